#include "bench/cpp_baselines.hpp"

#include <vector>

#include "runtime/reduce.hpp"
#include "runtime/rules/philox.hpp"

// Built twice (see cpp_baselines.hpp): KESTREL_BASELINE_NS names the copy.
#ifndef KESTREL_BASELINE_NS
#define KESTREL_BASELINE_NS gcc_baseline
#endif
namespace kestrel::bench::KESTREL_BASELINE_NS {

std::int64_t fib_loop(std::int64_t n) {
  std::uint64_t a = 0;
  std::uint64_t b = 1;
  for (std::int64_t i = 0; i < n; ++i) {
    std::uint64_t t = a + b;
    a = b;
    b = t;
  }
  return static_cast<std::int64_t>(a);
}

double pi_philox(std::int64_t n, std::int64_t seed) {
  std::int64_t hits = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    double x = rt::random(seed, 2 * i);
    double y = rt::random(seed, 2 * i + 1);
    hits += x * x + y * y < 1.0 ? 1 : 0;
  }
  return 4.0 * static_cast<double>(hits) / static_cast<double>(n);
}

double sqdist(const double* a, const double* b, std::int64_t n) {
  std::vector<double> partials;
  for (std::int64_t lo = 0; lo < n; lo += rt::kReduceChunk) {
    std::int64_t hi = lo + rt::kReduceChunk < n ? lo + rt::kReduceChunk : n;
    double acc = 0;
    for (std::int64_t i = lo; i < hi; ++i) {
      double d = a[i] - b[i];
      acc = acc + d * d;
    }
    partials.push_back(acc);
  }
  return rt::combine_tree<double>(partials, 0.0, [](double x, double y) { return x + y; });
}

void vadd(const float* a, const float* b, float* out, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    out[i] = a[i] + b[i];
  }
}

std::int64_t buckets(std::int64_t n) {
  std::int64_t s = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    s += (i * 31 + 7) % 100 + (i / 10) % 7;
  }
  return s;
}

}  // namespace kestrel::bench::KESTREL_BASELINE_NS
