// Google Benchmark: the interpreter on the two speed targets (a 1,000,000-step Fibonacci
// loop and a 10,000,000-sample Monte Carlo pi), compile excluded; results checked once.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "codegen/interp/interp.hpp"
#include "dsl/diag/diagnostic.hpp"
#include "dsl/sema/check.hpp"

namespace {

using namespace kestrel;

struct Loaded {
  diag::SourceManager sources;
  std::optional<ir::Program> program;
  std::unique_ptr<interp::CompiledProgram> compiled;
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
  l->compiled = interp::compile(*l->program);
  return l;
}

void BM_FibLoop(benchmark::State& state) {
  auto l = load("import fibonacci\n");
  ir::FnId fib = l->program->find_function("fibonacci.fib");
  std::vector<interp::Value> args{interp::Value::of_i64(state.range(0))};
  for (auto _ : state) {
    interp::Value v = interp::call(*l->compiled, fib, args);
    benchmark::DoNotOptimize(v.i);
  }
}
BENCHMARK(BM_FibLoop)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_MonteCarloPi(benchmark::State& state) {
  auto l = load("import montecarlo\n");
  ir::FnId pi = l->program->find_function("montecarlo.pi");
  std::vector<interp::Value> args{interp::Value::of_i64(state.range(0)), interp::Value::of_i64(42)};
  interp::Value first = interp::call(*l->compiled, pi, args);
  if (first.f < 3.14 || first.f > 3.143) {
    std::fprintf(stderr, "pi = %.17g is wrong\n", first.f);
    std::abort();
  }
  for (auto _ : state) {
    interp::Value v = interp::call(*l->compiled, pi, args);
    benchmark::DoNotOptimize(v.f);
  }
}
BENCHMARK(BM_MonteCarloPi)->Arg(10000000)->Unit(benchmark::kMillisecond);

void BM_FibRecursive(benchmark::State& state) {
  auto l = load("import fibonacci\n");
  ir::FnId fib = l->program->find_function("fibonacci.fib_rec");
  std::vector<interp::Value> args{interp::Value::of_i64(state.range(0))};
  for (auto _ : state) {
    interp::Value v = interp::call(*l->compiled, fib, args);
    benchmark::DoNotOptimize(v.i);
  }
}
BENCHMARK(BM_FibRecursive)->Arg(27)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
