// exp and sigmoid give the same bits in every mode and every form a program writes them in —
// a scalar in a loop, a whole array (runtime/vmath.cpp's vector loops), a fused chain the JIT
// compiles into one loop — and those bits are runtime/rules/kmath.hpp's.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kestrel/kestrel.hpp"
#include "runtime/rules/kmath.hpp"

namespace {

namespace km = kestrel::rt::kmath;

constexpr const char* kSource = R"(
fn exp_loop(x: f64[:]) -> f64[:] {
    let o = zeros(len(x))
    for i in 0..len(x) {
        o[i] = exp(x[i])
    }
    return o
}
fn exp_array(x: f64[:]) -> f64[:] {
    return exp(x)
}
fn sigmoid_loop(x: f64[:]) -> f64[:] {
    let o = zeros(len(x))
    for i in 0..len(x) {
        o[i] = sigmoid(x[i])
    }
    return o
}
fn sigmoid_fused(x: f64[:]) -> f64[:] {
    let o = zeros(len(x))
    o[:] = sigmoid(x) * 1.0
    return o
}
fn sigmoid_matrix(x: f64[:,:]) -> f64[:,:] {
    return sigmoid(x)
}
fn exp_loop32(x: f32[:]) -> f32[:] {
    let o = zeros(len(x), f32)
    for i in 0..len(x) {
        o[i] = exp(x[i])
    }
    return o
}
fn exp_array32(x: f32[:]) -> f32[:] {
    return exp(x)
}
fn sigmoid_fused32(x: f32[:]) -> f32[:] {
    let o = zeros(len(x), f32)
    o[:] = sigmoid(x) * 1.0f32
    return o
}
fn sigmoid_array(x: f64[:]) -> f64[:] {
    return sigmoid(x)
}
fn sigmoid_loop32(x: f32[:]) -> f32[:] {
    let o = zeros(len(x), f32)
    for i in 0..len(x) {
        o[i] = sigmoid(x[i])
    }
    return o
}
fn sigmoid_array32(x: f32[:]) -> f32[:] {
    return sigmoid(x)
}
)";

std::vector<double> inputs() {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<double> v = {0.0, -0.0, 1.0, -1.0, kInf, -kInf, km::kExpHi, km::kExpLo, 710.0, -746.0,
                           -720.5, 1e-310, -1e-310, 88.5, -103.5, 0.5,
                           // sigmoid's switch to e^x (kSigmoidLo, kSigmoidLoF32) and around it
                           -709.0, -709.5, -708.9, -88.0, -88.5, -87.9, -100.25, -95.0};
  std::mt19937_64 gen(11);
  std::uniform_real_distribution<double> wide(-800.0, 800.0);
  std::uniform_real_distribution<double> small(-8.0, 8.0);
  for (int i = 0; i < 3000; ++i) {
    v.push_back(i % 2 == 0 ? wide(gen) : small(gen));
  }
  return v;
}

template <class T>
auto bits(T v) {
  return std::bit_cast<std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>>(v);
}

template <class T, class F>
void expect_bits(const std::vector<T>& got, const std::vector<T>& in, F want, const char* what) {
  ASSERT_EQ(got.size(), in.size()) << what;
  int wrong = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (bits(got[i]) != bits(want(in[i])) && wrong++ < 5) {
      ADD_FAILURE() << what << "(" << in[i] << ") = " << got[i] << ", kmath gives " << want(in[i]);
    }
  }
  EXPECT_EQ(wrong, 0) << what;
}

class ExpModes : public ::testing::TestWithParam<kestrel::Mode> {};

TEST_P(ExpModes, EveryFormGivesKmathsBits) {
  kestrel::EngineOptions options;
  options.mode = GetParam();
  kestrel::Engine engine(options);
  kestrel::Module m = engine.load_source("exp_modes.kst", kSource);
  std::vector<double> x = inputs();
  std::vector<float> x32(x.begin(), x.end());
  using V = kestrel::Array<double>(kestrel::ArrayView<const double>);
  using V32 = kestrel::Array<float>(kestrel::ArrayView<const float>);
  auto sig = [](double v) { return km::sigmoid_f64(v); };
  expect_bits(m.function<V>("exp_loop")(x).to_vector(), x, km::exp_f64, "exp_loop");
  expect_bits(m.function<V>("exp_array")(x).to_vector(), x, km::exp_f64, "exp_array");
  expect_bits(m.function<V>("sigmoid_loop")(x).to_vector(), x, sig, "sigmoid_loop");
  expect_bits(m.function<V>("sigmoid_fused")(x).to_vector(), x, sig, "sigmoid_fused");
  expect_bits(m.function<V32>("exp_loop32")(x32).to_vector(), x32, km::exp_f32, "exp_loop32");
  expect_bits(m.function<V32>("exp_array32")(x32).to_vector(), x32, km::exp_f32, "exp_array32");
  expect_bits(m.function<V32>("sigmoid_fused32")(x32).to_vector(), x32, km::sigmoid_f32,
              "sigmoid_fused32");
  expect_bits(m.function<V>("sigmoid_array")(x).to_vector(), x, sig, "sigmoid_array");
  expect_bits(m.function<V32>("sigmoid_loop32")(x32).to_vector(), x32, km::sigmoid_f32,
              "sigmoid_loop32");
  expect_bits(m.function<V32>("sigmoid_array32")(x32).to_vector(), x32, km::sigmoid_f32,
              "sigmoid_array32");
  // A 2-D array: the runtime's row loop over a matrix, and over a transposed (strided) view.
  std::vector<double> sq(x.begin(), x.begin() + 60 * 50);
  auto mat =
      m.function<kestrel::Array<double, 2>(kestrel::MatrixView<const double>)>("sigmoid_matrix");
  kestrel::MatrixView<const double> rows(sq.data(), 60, 50);
  expect_bits(mat(rows).to_vector(), sq, sig, "sigmoid_matrix");
  kestrel::MatrixView<const double> columns(sq.data(), 50, 60, 1, 50);
  std::vector<double> transposed;
  for (int i = 0; i < 50; ++i) {
    for (int j = 0; j < 60; ++j) {
      transposed.push_back(sq[static_cast<std::size_t>(i + 50 * j)]);
    }
  }
  expect_bits(mat(columns).to_vector(), transposed, sig, "sigmoid_matrix (strided)");
}

// Where sigmoid's result is subnormal it is exp's (sigmoid(x) = e^x there to far below an ulp),
// not 0 as 1 / (1 + e^-x) gave once e^-x overflowed: in every form, in every mode.
TEST_P(ExpModes, SigmoidKeepsSubnormalResults) {
  kestrel::EngineOptions options;
  options.mode = GetParam();
  kestrel::Engine engine(options);
  kestrel::Module m = engine.load_source("exp_modes.kst", kSource);
  std::vector<double> x = {-710.0, -720.5, -745.0};
  std::vector<float> x32 = {-89.0F, -95.5F, -103.0F};
  using V = kestrel::Array<double>(kestrel::ArrayView<const double>);
  using V32 = kestrel::Array<float>(kestrel::ArrayView<const float>);
  for (const char* f : {"sigmoid_loop", "sigmoid_fused", "sigmoid_array"}) {
    std::vector<double> got = m.function<V>(f)(x).to_vector();
    for (std::size_t i = 0; i < x.size(); ++i) {
      EXPECT_GT(got[i], 0.0) << f << "(" << x[i] << ")";
      EXPECT_EQ(bits(got[i]), bits(km::exp_f64(x[i]))) << f << "(" << x[i] << ")";
    }
  }
  for (const char* f : {"sigmoid_loop32", "sigmoid_fused32", "sigmoid_array32"}) {
    std::vector<float> got = m.function<V32>(f)(x32).to_vector();
    for (std::size_t i = 0; i < x32.size(); ++i) {
      EXPECT_GT(got[i], 0.0F) << f << "(" << x32[i] << ")";
      EXPECT_EQ(bits(got[i]), bits(km::exp_f32(x32[i]))) << f << "(" << x32[i] << ")";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, ExpModes,
                         ::testing::Values(kestrel::Mode::Interp, kestrel::Mode::Jit));

}  // namespace
