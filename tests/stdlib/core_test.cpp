// stdlib/fibonacci.kst, montecarlo.kst and vecadd.kst against answers computed independently in
// C++, in both modes, through the public API (the groupby and mlp modules have their own tests).
//   fib, fib_rec: a C++ loop with wrapping u64 arithmetic, and known values (fib(90)).
//   pi: a C++ loop over the same normative Philox mapping (runtime/rules/philox.hpp) counting hits,
//       so the estimate must be exactly 4 * hits / n; also the same at 1, 2 and 8 threads.
//   vadd, add: elementwise sums checked element by element.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "kestrel/kestrel.hpp"
#include "runtime/rules/philox.hpp"

namespace {

using I64 = std::int64_t;

constexpr const char* kWrappers = R"(
import fibonacci
import montecarlo
import vecadd
fn fib(n: i64) -> i64 {
    return fibonacci.fib(n)
}
fn fib_rec(n: i64) -> i64 {
    return fibonacci.fib_rec(n)
}
fn pi(n: i64, seed: i64) -> f64 {
    return montecarlo.pi(n, seed)
}
fn vadd(a: f32[:], b: f32[:], out: f32[:]) {
    vecadd.vadd[len(out)](a, b, out)
}
fn add(a: f64[:], b: f64[:]) -> f64[:] {
    return vecadd.add(a, b)
}
)";

kestrel::EngineOptions in_mode(kestrel::Mode mode, int threads = 0) {
  kestrel::EngineOptions options;
  options.stdlib_dir = KESTREL_SOURCE_DIR "/stdlib";
  options.mode = mode;
  options.threads = threads;
  options.use_cache = false;
  return options;
}

I64 fib_reference(I64 n) {
  std::uint64_t a = 0;
  std::uint64_t b = 1;
  for (I64 i = 0; i < n; ++i) {
    std::uint64_t t = a + b;
    a = b;
    b = t;
  }
  return static_cast<I64>(a);
}

double pi_reference(I64 n, I64 seed) {
  I64 hits = 0;
  for (I64 i = 0; i < n; ++i) {
    double x = kestrel::rt::random(seed, 2 * i);
    double y = kestrel::rt::random(seed, 2 * i + 1);
    hits += x * x + y * y < 1.0 ? 1 : 0;
  }
  return 4.0 * static_cast<double>(hits) / static_cast<double>(n);
}

class Stdlib : public ::testing::TestWithParam<kestrel::Mode> {
 protected:
  kestrel::Engine engine_{in_mode(GetParam())};
  kestrel::Module module_ = engine_.load_source("core_test.kst", kWrappers);
};

INSTANTIATE_TEST_SUITE_P(Modes, Stdlib,
                         ::testing::Values(kestrel::Mode::Interp, kestrel::Mode::Jit),
                         [](const ::testing::TestParamInfo<kestrel::Mode>& param_info) {
                           return param_info.param == kestrel::Mode::Jit ? "jit" : "interp";
                         });

TEST_P(Stdlib, FibonacciLoopAndRecursion) {
  auto fib = module_.function<I64(I64)>("fib");
  auto fib_rec = module_.function<I64(I64)>("fib_rec");
  EXPECT_EQ(fib(0), 0);
  EXPECT_EQ(fib(1), 1);
  EXPECT_EQ(fib(90), 2880067194370816120);  // known value
  for (I64 n : {2, 10, 50, 92, 93, 100, 1000}) {
    EXPECT_EQ(fib(n), fib_reference(n)) << n;  // wraps past fib(92)
  }
  for (I64 n : {0, 1, 2, 15, 20}) {
    EXPECT_EQ(fib_rec(n), fib_reference(n)) << n;
  }
}

TEST_P(Stdlib, MonteCarloPiCountsTheSameHits) {
  auto pi = module_.function<double(I64, I64)>("pi");
  for (I64 n : {1, 7, 1000, 100003}) {
    for (I64 seed : {0, 42, -5}) {
      EXPECT_EQ(pi(n, seed), pi_reference(n, seed)) << n << " " << seed;
    }
  }
  double p = pi(1000000, 42);
  EXPECT_NEAR(p, 3.14159265358979, 0.01);
  // The same answer at any thread count.
  for (int threads : {1, 2, 8}) {
    kestrel::Engine engine(in_mode(GetParam(), threads));
    kestrel::Module m = engine.load_source("core_test.kst", kWrappers);
    EXPECT_EQ(m.function<double(I64, I64)>("pi")(1000000, 42), p) << threads << " threads";
  }
}

TEST_P(Stdlib, VectorAddKernelAndArrayAdd) {
  const I64 n = 300007;  // above the parallel thresholds, not a multiple of a chunk
  std::vector<float> a(n), b(n), out(n, -1.0f);
  std::vector<double> x(n), y(n);
  for (I64 i = 0; i < n; ++i) {
    a[i] = static_cast<float>(i) * 0.5f;
    b[i] = 1.0f / static_cast<float>(i + 1);
    x[i] = static_cast<double>(i) * 0.25;
    y[i] = -3.0 / static_cast<double>(i + 1);
  }
  module_.function<void(kestrel::ArrayView<float>, kestrel::ArrayView<float>,
                        kestrel::ArrayView<float>)>("vadd")(a, b, out);
  for (I64 i = 0; i < n; ++i) {
    ASSERT_EQ(out[i], a[i] + b[i]) << i;
  }
  auto sum =
      module_
          .function<kestrel::Array<double>(kestrel::ArrayView<double>, kestrel::ArrayView<double>)>(
              "add")(x, y);
  ASSERT_EQ(sum.size(), n);
  for (I64 i = 0; i < n; ++i) {
    ASSERT_EQ(sum(i), x[i] + y[i]) << i;
  }
}

}  // namespace
