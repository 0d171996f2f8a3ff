// Front-end speed: parse (+ check, once sema is wired in the hook below) of a generated,
// realistic 10,000-line Kestrel program. Target: under 200 ms.
#include <benchmark/benchmark.h>

#include <string>

#include "dsl/diag/diagnostic.hpp"
#include "dsl/diag/source.hpp"
#include "parser/parse.hpp"

#ifdef KESTREL_HAVE_SEMA
#include "dsl/sema/check.hpp"
#endif

namespace {

using namespace kestrel;

/// Replaces every `$` in `pattern` with `n`.
std::string instantiate(const char* pattern, int n) {
  std::string out;
  for (const char* p = pattern; *p != '\0'; ++p) {
    if (*p == '$') {
      out += std::to_string(n);
    } else {
      out += *p;
    }
  }
  return out;
}

// One group of functions: scalar loops, array expressions, matrix products, integer bit work, a
// parallel reduction with random numbers, tuples, and a driver that calls the rest.
constexpr const char* kGroup = R"(# group $: numeric kernels of every shape
fn poly_$(x: f64, n: i64) -> f64 {
    var acc = 0.0
    var p = 1.0
    for i in 0..n {
        let c = f64(i % 7) * 0.5 + $.0
        acc += c * p
        p = p * x
        if acc > 1e6 {
            acc = acc / 2.0
        } else if acc < -1e6 {
            acc = -acc
        }
    }
    return acc
}

fn norm_$(a: f64[:], b: f64[:]) -> f64 {
    let d = a - b
    let s = sum(d * d)
    let m = mean(abs(d))
    var best = 0
    for i in 0..len(a) {
        if a[i] > a[best] {
            best = i
        }
    }
    return sqrt(s) + m + f64(best)
}

fn layer_$(X: f64[:,:], W: f64[:,:], lr: f64) -> f64[:,:] {
    let H = sigmoid(X @ W)
    let G = H * (1.0 - H)
    var out = W - lr * (X.T @ G)
    for r in 0..shape(out, 0) {
        out[r, 0] = clip(out[r, 0], -1.0, 1.0)
    }
    return out
}

fn hash_$(n: i64, seed: i64) -> i64 {
    var h = seed ^ $
    var i = 0
    while i < n {
        h = (h * 31 + i) % 1000003
        h = h ^ (h >> 3) & 255 | (h << 1)
        i += 1
        if h == 0 { break }
    }
    return h
}

fn sample_$(n: i64, seed: i64) -> f64 {
    var total = 0.0
    parallel for i in 0..n by 2 {
        let u = random(seed, i)
        let v = randn(seed, i + 1)
        total += u * v + poly_$(u, 3)
    }
    return total / f64(n)
}

fn stats_$(a: f64[:]) -> (i64, f64) {
    return (argmax(a), max(a))
}

fn run_$(n: i64) -> f64 {
    let a = linspace(0.0, 1.0, n)
    let b = ones(n) * 0.5
    let X = rand(n, 4, seed=$)
    let W = zeros(4, 4) + 0.1
    let W2 = layer_$(X, W, 0.01)
    let (k, s) = stats_$(a)
    return poly_$(0.5, n) + norm_$(a, b) + sum(W2) + f64(hash_$(n, 7)) +
        sample_$(n, 3) + f64(k) + s
}

)";

/// A deterministic program of at least `lines` lines.
std::string generate_program(int lines) {
  std::string text;
  int count = 0;
  int groups = 0;
  while (count + 3 < lines) {
    std::string group = instantiate(kGroup, groups);
    for (char c : group) {
      count += c == '\n';
    }
    text += group;
    ++groups;
  }
  text += "let total = run_0(100) + run_" + std::to_string(groups - 1) + "(10)\n";
  text += "print(\"total =\", total)\n";
  return text;
}

const std::string& program_10k() {
  static const std::string text = generate_program(10000);
  return text;
}

/// SEMA HOOK: runs the type checker once dsl/sema provides it; returns whether it ran.
bool check_hook([[maybe_unused]] diag::SourceManager& sources,
                [[maybe_unused]] const diag::SourceFile& file,
                [[maybe_unused]] const parser::ast::Program& program,
                [[maybe_unused]] diag::DiagnosticList& diags) {
#ifdef KESTREL_HAVE_SEMA
  static const sema::CheckOptions options{};
  benchmark::DoNotOptimize(sema::check_program(sources, file.id(), program, options, diags));
  return true;
#else
  return false;
#endif
}

void BM_ParseCheck10kLines(benchmark::State& state) {
  const std::string& text = program_10k();
  bool checked = false;
  for (auto _ : state) {
    diag::SourceManager sources;
    diag::DiagnosticList diags;
    const diag::SourceFile& file = sources.add("bench.kst", text);
    auto program = parser::parse_program(file, diags);
    if (!program) {
      state.SkipWithError(
          ("generated program does not parse:\n" + diag::render(sources, diags)).c_str());
      return;
    }
    checked = check_hook(sources, file, *program, diags);
    if (diags.has_errors()) {
      state.SkipWithError(
          ("generated program does not check:\n" + diag::render(sources, diags)).c_str());
      return;
    }
    benchmark::DoNotOptimize(program);
  }
  int lines = 0;
  for (char c : text) {
    lines += c == '\n';
  }
  state.counters["lines"] = lines;
  state.counters["checked"] = checked ? 1 : 0;
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_ParseCheck10kLines)->Unit(benchmark::kMillisecond);

// Parse alone, to see how the front end's time splits between parser and checker.
void BM_Parse10kLines(benchmark::State& state) {
  const std::string& text = program_10k();
  for (auto _ : state) {
    diag::SourceManager sources;
    diag::DiagnosticList diags;
    auto program = parser::parse_program(sources.add("bench.kst", text), diags);
    if (!program) {
      state.SkipWithError("generated program does not parse");
      return;
    }
    benchmark::DoNotOptimize(program);
  }
}
BENCHMARK(BM_Parse10kLines)->Unit(benchmark::kMillisecond);

void BM_Format10kLines(benchmark::State& state) {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  auto program = parser::parse_program(sources.add("bench.kst", program_10k()), diags);
  if (!program) {
    state.SkipWithError("generated program does not parse");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(parser::format_program(*program));
  }
}
BENCHMARK(BM_Format10kLines)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
