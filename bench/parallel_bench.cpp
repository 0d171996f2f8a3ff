// Parallel runtime (runtime/parallel.hpp) against serial loops and a hand-written OpenMP loop,
// in one binary so every figure comes from the same run. Each workload checks its answer once.
//   parallel_bench --benchmark_repetitions=11 --benchmark_enable_random_interleaving=true
//     --benchmark_report_aggregates_only=true   (interleaving spreads the other load evenly)
// BM_SumF64 / BM_AddF32 at growing n are how kParallelReduceThreshold and
// kParallelElementwiseThreshold were chosen.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "runtime/parallel.hpp"

namespace {

namespace rt = kestrel::rt;
using I64 = std::int64_t;

constexpr I64 kBig = 10'000'000;

const std::vector<I64>& ints() {
  static const std::vector<I64> v = [] {
    std::vector<I64> x(kBig);
    for (I64 i = 0; i < kBig; ++i) {
      x[static_cast<std::size_t>(i)] = i;
    }
    return x;
  }();
  return v;
}

const std::vector<double>& doubles() {
  static const std::vector<double> v = [] {
    std::vector<double> x(kBig);
    for (I64 i = 0; i < kBig; ++i) {
      x[static_cast<std::size_t>(i)] = 1.0 / static_cast<double>(i + 1);
    }
    return x;
  }();
  return v;
}

struct F32Vectors {
  std::vector<float> a, b, out;
  explicit F32Vectors(I64 n)
      : a(static_cast<std::size_t>(n)),
        b(static_cast<std::size_t>(n), 1.0f),
        out(static_cast<std::size_t>(n)) {
    for (I64 i = 0; i < n; ++i) {
      a[static_cast<std::size_t>(i)] = static_cast<float>(i);
    }
  }
};

F32Vectors& f32_vectors() {
  static F32Vectors v(kBig);
  return v;
}

// The fastest repetition: on a shared 2-core machine the median mostly measures the other load.
double fastest(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "wrong answer: %s\n", what);
    std::abort();
  }
}

// Sum of squares of 0 .. 10^7-1 (i64, wrapping), chunked and combined in the fixed order.
I64 sum_of_squares(const I64* p, I64 n) {
  return rt::parallel_reduce_chunks<I64>(
      0, n, 0,
      [p](I64 lo, I64 hi) {
        std::uint64_t acc = 0;
        for (I64 i = lo; i < hi; ++i) {
          acc += static_cast<std::uint64_t>(p[i]) * static_cast<std::uint64_t>(p[i]);
        }
        return static_cast<I64>(acc);
      },
      [](I64 a, I64 b) { return rt::wrap_add(a, b); });
}

void BM_SumSquaresI64(benchmark::State& state) {
  rt::set_threads(static_cast<int>(state.range(0)));
  const I64* p = ints().data();
  std::uint64_t want = 0;
  for (I64 i = 0; i < kBig; ++i) {
    want += static_cast<std::uint64_t>(i) * static_cast<std::uint64_t>(i);
  }
  check(sum_of_squares(p, kBig) == static_cast<I64>(want), "sum of squares");
  for (auto _ : state) {
    benchmark::DoNotOptimize(sum_of_squares(p, kBig));
  }
  state.SetBytesProcessed(state.iterations() * kBig * 8);
  rt::set_threads(0);
}
BENCHMARK(BM_SumSquaresI64)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->ComputeStatistics("min", fastest);

// f32 vector add out = a + b over 10^7 elements: the runtime (parallel_elementwise) ...
void BM_VecAddF32_Kestrel(benchmark::State& state) {
  rt::set_threads(static_cast<int>(state.range(0)));
  F32Vectors& v = f32_vectors();
  const float* a = v.a.data();
  const float* b = v.b.data();
  float* out = v.out.data();
  auto add = [&] {
    rt::parallel_elementwise(kBig, [=](I64 lo, I64 hi) {
      for (I64 i = lo; i < hi; ++i) {
        out[i] = a[i] + b[i];
      }
    });
  };
  add();
  check(out[kBig - 1] == static_cast<float>(kBig - 1) + 1.0f, "vector add");
  for (auto _ : state) {
    add();
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * kBig * 12);
  rt::set_threads(0);
}
BENCHMARK(BM_VecAddF32_Kestrel)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->ComputeStatistics("min", fastest);

// ... and the hand-written OpenMP loop it is held to (90% of its bandwidth).
void BM_VecAddF32_OpenMP(benchmark::State& state) {
  int nthreads = static_cast<int>(state.range(0));
  F32Vectors& v = f32_vectors();
  const float* a = v.a.data();
  const float* b = v.b.data();
  float* out = v.out.data();
  auto add = [&] {
#pragma omp parallel for schedule(static) num_threads(nthreads)
    for (I64 i = 0; i < kBig; ++i) {
      out[i] = a[i] + b[i];
    }
  };
  add();
  check(out[kBig - 1] == static_cast<float>(kBig - 1) + 1.0f, "vector add (OpenMP)");
  for (auto _ : state) {
    add();
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * kBig * 12);
}
BENCHMARK(BM_VecAddF32_OpenMP)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->ComputeStatistics("min", fastest);

// The fixed cost of a parallel region: two empty chunks.
void BM_EmptyRegion(benchmark::State& state) {
  rt::set_threads(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    rt::parallel_for_chunks(0, 2, 1, [](I64 lo, I64) { benchmark::DoNotOptimize(lo); });
  }
  rt::set_threads(0);
}
BENCHMARK(BM_EmptyRegion)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->UseRealTime()
    ->ComputeStatistics("min", fastest);

// Threshold sweeps: {n, threads}. The f64 sum in the fixed order (rt::reduce's).
void BM_SumF64(benchmark::State& state) {
  I64 n = state.range(0);
  rt::set_threads(static_cast<int>(state.range(1)));
  const double* p = doubles().data();
  for (auto _ : state) {
    benchmark::DoNotOptimize(rt::parallel_reduce(rt::CombineOp::Add, p, n));
  }
  state.SetBytesProcessed(state.iterations() * n * 8);
  rt::set_threads(0);
}
BENCHMARK(BM_SumF64)
    ->ArgsProduct({{8192, 16384, 32768, 65536, 131072, 1 << 20}, {1, 2}})
    ->ArgNames({"n", "threads"})
    ->UseRealTime()
    ->ComputeStatistics("min", fastest);

// f32 vector add forced through parallel_for_chunks (no threshold) at kElementwiseChunk.
void BM_AddF32(benchmark::State& state) {
  I64 n = state.range(0);
  rt::set_threads(static_cast<int>(state.range(1)));
  F32Vectors& v = f32_vectors();
  const float* a = v.a.data();
  const float* b = v.b.data();
  float* out = v.out.data();
  for (auto _ : state) {
    rt::parallel_for_chunks(0, n, rt::kElementwiseChunk, [=](I64 lo, I64 hi) {
      for (I64 i = lo; i < hi; ++i) {
        out[i] = a[i] + b[i];
      }
    });
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * n * 12);
  rt::set_threads(0);
}
BENCHMARK(BM_AddF32)
    ->ArgsProduct({{32768, 65536, 131072, 262144, 524288, 1 << 20}, {1, 2}})
    ->ArgNames({"n", "threads"})
    ->UseRealTime()
    ->ComputeStatistics("min", fastest);

}  // namespace

BENCHMARK_MAIN();
