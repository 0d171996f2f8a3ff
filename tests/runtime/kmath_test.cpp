// Kestrel's exp (runtime/rules/kmath.hpp) against the exact value (long double expl, 64-bit
// significand), at its edges, and vmath's vector loops against the scalar function, bit for bit.
#include "runtime/rules/kmath.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "runtime/vmath.hpp"

namespace kestrel::rt::kmath {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kMinSub = std::numeric_limits<double>::denorm_min();

/// |got - exact| in units of the last place of the double nearest `exact` (subnormal spacing
/// below 2^-1022).
double ulps(double got, long double exact) {
  double near = static_cast<double>(exact);
  double ulp = std::fabs(near) < std::numeric_limits<double>::min()
                   ? kMinSub
                   : std::nextafter(std::fabs(near), kInf) - std::fabs(near);
  return static_cast<double>(std::fabs(static_cast<long double>(got) - exact) / ulp);
}

TEST(KMath, WithinOneUlpOverTheWholeRange) {
  std::mt19937_64 gen(20261204);
  std::uniform_real_distribution<double> wide(kExpLo, kExpHi);
  std::uniform_real_distribution<double> near_zero(-2.0, 2.0);
  std::uniform_real_distribution<double> subnormal(kExpLo, -708.4);
  double worst_normal = 0;
  double worst_subnormal = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    double x = i % 3 == 0 ? wide(gen) : i % 3 == 1 ? near_zero(gen) : subnormal(gen);
    long double exact = expl(static_cast<long double>(x));
    double e = exp_f64(x);
    double u = ulps(e, exact);
    if (std::fabs(static_cast<double>(exact)) < std::numeric_limits<double>::min()) {
      worst_subnormal = std::max(worst_subnormal, u);
    } else {
      worst_normal = std::max(worst_normal, u);
    }
  }
  // Measured: 0.69 ulp over 10^7 normal results, 1.0 below 2^-1022 (two roundings there).
  EXPECT_LE(worst_normal, 0.75);
  EXPECT_LE(worst_subnormal, 1.0);
}

TEST(KMath, ExactAndCorrectlyRoundedWhereItMatters) {
  EXPECT_EQ(exp_f64(0.0), 1.0);
  EXPECT_EQ(exp_f64(-0.0), 1.0);
  EXPECT_EQ(exp_f64(1.0), 2.718281828459045);  // what print shows, as Python's math.exp(1)
  EXPECT_EQ(exp_f64(std::log(2.0)), 2.0);
  EXPECT_EQ(exp_f64(1e-300), 1.0);
  EXPECT_EQ(exp_f64(-1e-300), 1.0);
  EXPECT_EQ(sigmoid_f64(0.0), 0.5);
  EXPECT_EQ(sigmoid_f32(0.0F), 0.5F);
}

TEST(KMath, EdgesAreIeee) {
  EXPECT_EQ(exp_f64(kInf), kInf);
  EXPECT_EQ(exp_f64(-kInf), 0.0);
  EXPECT_FALSE(std::signbit(exp_f64(-kInf)));
  EXPECT_TRUE(std::isnan(exp_f64(std::nan(""))));
  EXPECT_TRUE(std::isnan(exp_f32(std::nanf(""))));
  // The last finite result and the first overflow; the last nonzero result and the first zero.
  EXPECT_EQ(exp_f64(kExpHi), std::exp(kExpHi));
  EXPECT_TRUE(std::isfinite(exp_f64(kExpHi)));
  EXPECT_EQ(exp_f64(std::nextafter(kExpHi, kInf)), kInf);
  EXPECT_EQ(exp_f64(kExpLo), kMinSub);
  EXPECT_EQ(exp_f64(std::nextafter(kExpLo, -kInf)), 0.0);
  EXPECT_EQ(exp_f64(1000.0), kInf);
  EXPECT_EQ(exp_f64(-1000.0), 0.0);
  EXPECT_EQ(exp_f32(89.0F), std::numeric_limits<float>::infinity());
  EXPECT_EQ(exp_f32(-104.0F), 0.0F);
  EXPECT_EQ(sigmoid_f64(-1000.0), 0.0);
  EXPECT_EQ(sigmoid_f64(1000.0), 1.0);
  EXPECT_EQ(sigmoid_f64(-kInf), 0.0);
  EXPECT_EQ(sigmoid_f32(-std::numeric_limits<float>::infinity()), 0.0F);
  EXPECT_TRUE(std::isnan(sigmoid_f64(std::nan(""))));
  EXPECT_TRUE(std::isnan(sigmoid_f32(std::nanf(""))));
  // Subnormal results are exp's (1 / (1 + e^-x) overflowed to 0 there): the smallest is the
  // smallest subnormal, as exp's is.
  EXPECT_EQ(sigmoid_f64(-720.5), exp_f64(-720.5));
  EXPECT_GT(sigmoid_f64(-720.5), 0.0);
  EXPECT_EQ(sigmoid_f64(kExpLo), kMinSub);
  EXPECT_EQ(sigmoid_f32(-100.0F), exp_f32(-100.0F));
  EXPECT_GT(sigmoid_f32(-100.0F), 0.0F);
  EXPECT_EQ(sigmoid_f32(-103.0F), exp_f32(-103.0F));
  EXPECT_GT(sigmoid_f32(-103.0F), 0.0F);
  // Across the switch to e^x, sigmoid stays monotone and within an ulp or so of the exact value.
  for (double x : {-709.0, std::nextafter(-709.0, -kInf), -708.5}) {
    long double exact = 1.0L / (1.0L + expl(-static_cast<long double>(x)));
    EXPECT_NEAR(static_cast<double>(sigmoid_f64(x) / exact), 1.0, 1e-15) << x;
  }
  EXPECT_LE(sigmoid_f64(std::nextafter(-709.0, -kInf)), sigmoid_f64(-709.0));
  EXPECT_LE(sigmoid_f32(std::nextafter(-88.0F, -1000.0F)), sigmoid_f32(-88.0F));
  EXPECT_EQ(sigmoid_f64(kInf), 1.0);
}

TEST(KMath, F32IsTheF64ResultRounded) {
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<float> d(-103.0F, 88.7F);
  int off = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    float x = d(gen);
    float e = exp_f32(x);
    float exact = static_cast<float>(expl(static_cast<long double>(x)));
    if (e != exact) {
      ++off;
      // One step away at most (a double rounding near a halfway point).
      EXPECT_TRUE(std::nextafter(e, 0.0F) == exact || std::nextafter(e, 1e30F) == exact) << x;
    }
  }
  EXPECT_LT(off, 100);
}

std::vector<double> inputs() {
  std::vector<double> v = {0.0,    -0.0,  1.0,    -1.0,   kInf,   -kInf,   std::nan(""), kExpHi,
                           kExpLo, 710.0, -746.0, -720.5, 1e-310, -1e-310, 88.5,         -103.5};
  std::mt19937_64 gen(3);
  std::uniform_real_distribution<double> d(-800.0, 800.0);
  std::uniform_real_distribution<double> small(-5.0, 5.0);
  for (int i = 0; i < 4000; ++i) {
    v.push_back(i % 2 == 0 ? d(gen) : small(gen));
  }
  return v;
}

std::uint64_t bits(double v) { return std::bit_cast<std::uint64_t>(v); }
std::uint32_t bits(float v) { return std::bit_cast<std::uint32_t>(v); }

template <class T, class Row, class Scalar>
void expect_row_is_scalar(Row row, Scalar scalar) {
  std::vector<double> wide = inputs();
  std::vector<T> in(wide.begin(), wide.end());
  // Every length up to 40 (vector tails) and the whole input, out of place and in place.
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{7},
                        std::size_t{17}, std::size_t{40}, in.size()}) {
    std::vector<T> out(n);
    row(in.data(), out.data(), static_cast<std::int64_t>(n));
    std::vector<T> same(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
    row(same.data(), same.data(), static_cast<std::int64_t>(n));
    for (std::size_t j = 0; j < n; ++j) {
      T want = scalar(in[j]);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(out[j]) && std::isnan(same[j])) << in[j];
      } else {
        // Equal bits: == alone would let -0 pass for +0.
        EXPECT_EQ(bits(out[j]), bits(want)) << in[j];
        EXPECT_EQ(bits(same[j]), bits(want)) << in[j];
      }
    }
  }
}

TEST(VMath, RowsAreTheScalarFunctionBitForBit) {
  expect_row_is_scalar<double>([](const double* a, double* o, std::int64_t n) { exp_row(a, o, n); },
                               exp_f64);
  expect_row_is_scalar<float>([](const float* a, float* o, std::int64_t n) { exp_row(a, o, n); },
                              exp_f32);
  expect_row_is_scalar<double>(
      [](const double* a, double* o, std::int64_t n) { sigmoid_row(a, o, n); }, sigmoid_f64);
  expect_row_is_scalar<float>(
      [](const float* a, float* o, std::int64_t n) { sigmoid_row(a, o, n); }, sigmoid_f32);
}

}  // namespace
}  // namespace kestrel::rt::kmath
