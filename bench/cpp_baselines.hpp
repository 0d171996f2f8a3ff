#pragma once
// Hand-written C++ for bench/jit_bench's workloads. cpp_baselines.cpp is compiled twice with
// -O3 -march=native -ffp-contract=off (the JIT's own floating-point rules, so the compiler may
// vectorise exactly what the JIT may): by the project's compiler into gcc_baseline, and by clang
// into clang_baseline when clang++ is installed (KESTREL_HAVE_CLANG_BASELINE).
#include <cstdint>

#define KESTREL_BASELINE_DECLS                                                                \
  std::int64_t fib_loop(std::int64_t n);                                                      \
  /* Monte Carlo pi with Philox: random(seed, 2i) and random(seed, 2i + 1). */                \
  double pi_philox(std::int64_t n, std::int64_t seed);                                        \
  /* sum((a - b) ** 2) in the runtime's fixed order (chunks of 4096, the tree). */            \
  double sqdist(const double* a, const double* b, std::int64_t n);                            \
  void vadd(const float* a, const float* b, float* out, std::int64_t n);                      \
  /* sum of (i * 31 + 7) % 100 + (i / 10) % 7, i in [0, n): Kestrel's floored ops, i >= 0. */ \
  std::int64_t buckets(std::int64_t n);

namespace kestrel::bench::gcc_baseline {
KESTREL_BASELINE_DECLS
}
namespace kestrel::bench::clang_baseline {
KESTREL_BASELINE_DECLS
}
