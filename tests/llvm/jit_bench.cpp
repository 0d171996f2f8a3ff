// The JIT's speed, measured: issue 4's workloads run by the interpreter, by the JIT and by
// hand-written C++ in one process, each the median of N runs, every result checked against the
// others; and the first-call compile latency of montecarlo's `pi`.
//   ./llvm_bench [repeats]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "codegen/interp/interp.hpp"
#include "codegen/llvm/jit.hpp"
#include "dsl/diag/diagnostic.hpp"
#include "dsl/sema/check.hpp"
#include "runtime/array.hpp"
#include "runtime/reduce.hpp"
#include "runtime/rules/philox.hpp"

namespace {

using namespace kestrel;

struct Loaded {
  diag::SourceManager sources;
  std::optional<ir::Program> program;
};

std::unique_ptr<Loaded> load(const char* text) {
  auto l = std::make_unique<Loaded>();
  diag::DiagnosticList diags;
  sema::CheckOptions options;
  options.import_paths.push_back(std::string(KESTREL_SOURCE_DIR) + "/stdlib");
  l->program = sema::check_source(l->sources, "bench.kst", text, options, diags);
  if (!l->program) {
    std::fprintf(stderr, "%s", diag::render(l->sources, diags).c_str());
    std::abort();
  }
  return l;
}

/// CPU time of this thread, in ms (robust to other processes on a loaded machine).
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

/// The median time of `repeats` runs of f, in ms.
double median_ms(int repeats, const std::function<void()>& f) {
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(ms_since(t0));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void report(const char* name, double interp, double jit, double cpp) {
  std::printf("%-28s %10.2f %10.2f %10.2f %9.1fx %8.2fx\n", name, interp, jit, cpp, interp / jit,
              jit / cpp);
}

void same(double a, double b, const char* what) {
  if (a != b) {
    std::fprintf(stderr, "%s: results differ: %.17g vs %.17g\n", what, a, b);
    std::abort();
  }
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = argc > 1 ? std::atoi(argv[1]) : 5;
  const char* source =
      "import fibonacci\nimport montecarlo\nimport vecadd\n"
      "fn sse(a: f64[:], b: f64[:]) -> f64 {\n    return sum((a - b) ** 2)\n}\n"
      "fn axpy(a: f64, x: f64[:], y: f64[:], out: f64[:]) {\n    out[:] = a * x + y\n}\n"
      "fn vadd_all(a: f32[:], b: f32[:], out: f32[:]) {\n    vecadd.vadd[len(out)](a, b, out)\n}\n";

  // Compile latency: the first call of montecarlo.pi from the typed IR, with the object cache
  // off (lowering + O2 + machine code), then through a fresh cache folder (a miss, then hits).
  {
    auto l = load("import montecarlo\n");
    auto first_call = [&](const jit::Options& o, std::vector<double>& wall,
                          std::vector<double>& cpu) {
      double c0 = thread_cpu_ms();
      auto t0 = std::chrono::steady_clock::now();
      auto code = jit::compile(*l->program, o);
      codegen::Value v = jit::call(
          *code, l->program->find_function("montecarlo.pi"),
          std::vector<codegen::Value>{codegen::Value::of_i64(1000), codegen::Value::of_i64(42)});
      wall.push_back(ms_since(t0));
      cpu.push_back(thread_cpu_ms() - c0);
      (void)v;
    };
    auto med = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    jit::Options cold;
    cold.use_cache = false;
    std::vector<double> wall, cpu;
    for (int r = 0; r < 7; ++r) {
      first_call(cold, wall, cpu);
    }
    std::printf(
        "montecarlo.pi first call, no cache (lower + O2 + codegen + run n=1000): median %.1f ms "
        "wall, %.1f ms CPU, min %.1f ms wall\n",
        med(wall), med(cpu), *std::min_element(wall.begin(), wall.end()));
    jit::Options cached;
    cached.cache_dir = std::filesystem::temp_directory_path() /
                       ("kestrel-bench-cache-" + std::to_string(::getpid()));
    std::vector<double> miss_w, miss_c, hit_w, hit_c;
    first_call(cached, miss_w, miss_c);
    for (int r = 0; r < 7; ++r) {
      first_call(cached, hit_w, hit_c);
    }
    std::filesystem::remove_all(cached.cache_dir);
    std::printf("montecarlo.pi first call, cache miss %.1f ms; cache hit median %.2f ms wall\n",
                miss_w[0], med(hit_w));
  }

  auto l = load(source);
  auto t0 = std::chrono::steady_clock::now();
  auto interp_code = interp::compile(*l->program);
  double interp_compile = ms_since(t0);
  jit::Options no_cache;
  no_cache.use_cache = false;
  auto jit_code = jit::compile(*l->program, no_cache);
  std::printf("whole bench module: interpreter compile %.2f ms, JIT compile %.2f ms\n\n",
              interp_compile, jit::last_compile_ms(*jit_code));
  std::printf("%-28s %10s %10s %10s %10s %9s\n", "workload (median ms)", "interp", "jit", "C++",
              "jit/interp", "jit/C++");

  auto fn = [&](const char* name) { return l->program->find_function(name); };
  auto run_both = [&](ir::FnId f, const std::vector<codegen::Value>& args, double& vi, double& vj,
                      double& ti, double& tj) {
    ti = median_ms(repeats, [&] {
      codegen::Value v = interp::call(*interp_code, f, args);
      vi = v.type.is_scalar() && v.type.scalar == ir::Scalar::F64 ? v.f : static_cast<double>(v.i);
    });
    tj = median_ms(repeats, [&] {
      codegen::Value v = jit::call(*jit_code, f, args);
      vj = v.type.is_scalar() && v.type.scalar == ir::Scalar::F64 ? v.f : static_cast<double>(v.i);
    });
    same(vi, vj, "interp vs jit");
  };

  {  // Fibonacci loop, 1,000,000 steps.
    std::int64_t n = 1000000;
    double vi, vj, ti, tj;
    run_both(fn("fibonacci.fib"), {codegen::Value::of_i64(n)}, vi, vj, ti, tj);
    std::int64_t c = 0;
    double tc = median_ms(repeats, [&] {
      std::uint64_t a = 0, b = 1;
      for (std::int64_t i = 0; i < n; ++i) {
        std::uint64_t t = a + b;
        a = b;
        b = t;
        __asm__ volatile("" : "+r"(a));
      }
      c = static_cast<std::int64_t>(a);
    });
    same(vj, static_cast<double>(c), "fib vs C++");
    report("fib loop (1e6 steps)", ti, tj, tc);
  }
  {  // Monte Carlo pi, 10,000,000 samples.
    std::int64_t n = 10000000;
    double vi, vj, ti, tj;
    run_both(fn("montecarlo.pi"), {codegen::Value::of_i64(n), codegen::Value::of_i64(42)}, vi, vj,
             ti, tj);
    double c = 0;
    double tc = median_ms(repeats, [&] {
      std::int64_t hits = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        double x = rt::random(42, 2 * i);
        double y = rt::random(42, 2 * i + 1);
        hits += x * x + y * y < 1.0;
      }
      c = 4.0 * static_cast<double>(hits) / static_cast<double>(n);
    });
    same(vj, c, "pi vs C++");
    report("montecarlo.pi (1e7 samples)", ti, tj, tc);
  }
  std::int64_t n = 10000000;
  codegen::ArrayRef a(rt::arange(0, n, 1, rt::Elem::F64).detach());
  codegen::ArrayRef b(rt::linspace(0.5, 3.0, n, rt::Elem::F64).detach());
  {  // sum((a - b) ** 2) over 1e7 f64.
    codegen::Value va;
    va.type = ir::Type::array_of(ir::Scalar::F64, 1);
    va.array = a;
    codegen::Value vb = va;
    vb.array = b;
    double vi, vj, ti, tj;
    run_both(fn("sse"), {va, vb}, vi, vj, ti, tj);
    const double* pa = static_cast<rt::Array*>(a.handle())->ptr<double>();
    const double* pb = static_cast<rt::Array*>(b.handle())->ptr<double>();
    double c = 0;
    double tc = median_ms(repeats, [&] {
      // reduce.hpp's order: chunks of 4096 summed left to right, then the pairwise tree.
      std::vector<double> parts;
      for (std::int64_t s = 0; s < n; s += 4096) {
        double acc = 0;
        for (std::int64_t i = s; i < std::min(n, s + 4096); ++i) {
          double d = pa[i] - pb[i];
          acc += d * d;
        }
        parts.push_back(acc);
      }
      c = rt::combine_tree<double>(parts, 0.0, [](double x, double y) { return x + y; });
    });
    same(vj, c, "sse vs C++");
    report("sum((a-b)**2) (1e7 f64)", ti, tj, tc);
  }
  {  // out[:] = 2.5 * x + y over 1e7 f64.
    codegen::ArrayRef out(rt::zeros(n, rt::Elem::F64).detach());
    codegen::Value va;
    va.type = ir::Type::array_of(ir::Scalar::F64, 1);
    va.array = a;
    codegen::Value vb = va;
    vb.array = b;
    codegen::Value vo = va;
    vo.array = out;
    std::vector<codegen::Value> args{codegen::Value::of_f64(2.5), va, vb, vo};
    double ti = median_ms(repeats, [&] { interp::call(*interp_code, fn("axpy"), args); });
    double tj = median_ms(repeats, [&] { jit::call(*jit_code, fn("axpy"), args); });
    const double* pa = static_cast<rt::Array*>(a.handle())->ptr<double>();
    const double* pb = static_cast<rt::Array*>(b.handle())->ptr<double>();
    double* po = static_cast<rt::Array*>(out.handle())->ptr<double>();
    double tc = median_ms(repeats, [&] {
      for (std::int64_t i = 0; i < n; ++i) {
        po[i] = 2.5 * pa[i] + pb[i];
      }
    });
    report("out[:] = a*x + y (1e7 f64)", ti, tj, tc);
  }
  {  // vector add of 1e7 f32 (the kernel, launched over every index).
    codegen::ArrayRef x(rt::arange(0, n, 1, rt::Elem::F32).detach());
    codegen::ArrayRef y(rt::ones(n, rt::Elem::F32).detach());
    codegen::ArrayRef out(rt::zeros(n, rt::Elem::F32).detach());
    auto arr = [](const codegen::ArrayRef& r) {
      codegen::Value v;
      v.type = ir::Type::array_of(ir::Scalar::F32, 1);
      v.array = r;
      return v;
    };
    std::vector<codegen::Value> args{arr(x), arr(y), arr(out)};
    double ti = median_ms(repeats, [&] { interp::call(*interp_code, fn("vadd_all"), args); });
    double tj = median_ms(repeats, [&] { jit::call(*jit_code, fn("vadd_all"), args); });
    const float* px = static_cast<rt::Array*>(x.handle())->ptr<float>();
    const float* py = static_cast<rt::Array*>(y.handle())->ptr<float>();
    float* po = static_cast<rt::Array*>(out.handle())->ptr<float>();
    double tc = median_ms(repeats, [&] {
      for (std::int64_t i = 0; i < n; ++i) {
        po[i] = px[i] + py[i];
      }
    });
    report("vadd kernel (1e7 f32)", ti, tj, tc);
  }
  return 0;
}
