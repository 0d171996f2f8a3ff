// stdlib/mlp.kst against the same algorithm written independently here with Eigen, in both modes,
// through the public API: the initial weights (Philox draws, exactly), predict and mse on given
// weights, fit and train (full and partial batches, several outputs), the loss going down, the
// same seed giving the same weights, and the runtime's live counters flat across epochs.
//
// Tolerance: the reference does the module's elementwise operations in the module's order (so
// those round identically), but its matrix products are Eigen's as compiled into this test, which
// may block and vectorise the sums differently from the runtime's (runtime/linalg.cpp is built
// with other flags). Products therefore differ in the last bits, and training carries that along;
// every comparison allows kTol (absolute, on values of order 1), which is still ~1e6 times
// smaller than the effect of any change to the algorithm (the partial-batch test shows one).
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "kestrel/kestrel.hpp"
#include "runtime/array.hpp"
#include "runtime/rules/philox.hpp"

namespace {

using kestrel::MatrixView;
using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Matrix = kestrel::Array<double, 2>;

constexpr double kTol = 1e-10;

// The module's functions are bound as mlp.train etc.; train's (W1, W2) comes back as a std::tuple.
constexpr const char* kHarness = R"(
import mlp
)";

using CMat = MatrixView<const double>;
using Weights = std::tuple<Matrix, Matrix>;
using TrainFn = Weights(CMat, CMat, std::int64_t, double, std::int64_t, std::int64_t, std::int64_t);
using FitFn = void(CMat, CMat, MatrixView<double>, MatrixView<double>, double, std::int64_t,
                   std::int64_t);

// ---- the reference -------------------------------------------------------------------------

Mat sigmoid(const Mat& z) {
  return z.unaryExpr([](double v) { return 1.0 / (1.0 + std::exp(-v)); });
}

/// The module's initial weights: normal draws 0, 1, … of key `seed`, W1's then W2's, times 0.1.
void initial_weights(std::int64_t d, std::int64_t hidden, std::int64_t k, std::int64_t seed,
                     Mat& w1, Mat& w2) {
  w1.resize(d, hidden);
  w2.resize(hidden, k);
  std::int64_t counter = 0;
  for (std::int64_t i = 0; i < d; ++i) {
    for (std::int64_t j = 0; j < hidden; ++j) {
      w1(i, j) = kestrel::rt::randn(seed, counter++) * 0.1;
    }
  }
  for (std::int64_t i = 0; i < hidden; ++i) {
    for (std::int64_t j = 0; j < k; ++j) {
      w2(i, j) = kestrel::rt::randn(seed, counter++) * 0.1;
    }
  }
}

/// Mini-batch gradient descent as stated in mlp.kst's comment. `divide_by_batch` is the variant
/// that divides the last partial batch's step by `batch` instead of its own row count: only to
/// show that the test can tell the two apart.
void reference_fit(const Mat& x, const Mat& y, Mat& w1, Mat& w2, double lr, std::int64_t batch,
                   std::int64_t epochs, bool divide_by_batch = false) {
  const std::int64_t n = x.rows();
  for (std::int64_t epoch = 0; epoch < epochs; ++epoch) {
    for (std::int64_t s = 0; s < n; s += batch) {
      const std::int64_t m = std::min(batch, n - s);
      const Mat xb = x.middleRows(s, m);
      const Mat h = sigmoid(xb * w1);
      const Mat e = y.middleRows(s, m) - h * w2;
      const Mat g2 = h.transpose() * e;
      const Mat back = e * w2.transpose();
      const Mat delta = (back.array() * h.array() * (1.0 - h.array())).matrix();
      const Mat g1 = xb.transpose() * delta;
      const double div = static_cast<double>(divide_by_batch ? batch : m);
      w2 += ((lr * g2.array()) / div).matrix();
      w1 += ((lr * g1.array()) / div).matrix();
    }
  }
}

Mat reference_predict(const Mat& x, const Mat& w1, const Mat& w2) { return sigmoid(x * w1) * w2; }

double reference_mse(const Mat& x, const Mat& y, const Mat& w1, const Mat& w2) {
  return (y - reference_predict(x, w1, w2)).array().square().mean();
}

// ---- helpers -------------------------------------------------------------------------------

/// n rows of d inputs uniform in [-1, 1), and k smooth targets of them.
void make_data(std::int64_t n, std::int64_t d, std::int64_t k, Mat& x, Mat& y) {
  x.resize(n, d);
  y.resize(n, k);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < d; ++j) {
      x(i, j) = 2.0 * kestrel::rt::random(7, i * d + j) - 1.0;
    }
    for (std::int64_t c = 0; c < k; ++c) {
      y(i, c) = std::sin(1.5 * x(i, 0) + static_cast<double>(c)) + 0.5 * x(i, d - 1);
    }
  }
}

Mat to_mat(const Matrix& a) {
  Mat m(a.shape(0), a.shape(1));
  for (std::int64_t i = 0; i < m.rows(); ++i) {
    for (std::int64_t j = 0; j < m.cols(); ++j) {
      m(i, j) = a(i, j);
    }
  }
  return m;
}

double max_abs_diff(const Mat& a, const Mat& b) {
  EXPECT_EQ(a.rows(), b.rows());
  EXPECT_EQ(a.cols(), b.cols());
  if (a.rows() != b.rows() || a.cols() != b.cols()) {
    return INFINITY;
  }
  return (a - b).cwiseAbs().maxCoeff();
}

bool bit_equal(const Mat& a, const Mat& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0;
}

kestrel::EngineOptions in_mode(kestrel::Mode mode) {
  kestrel::EngineOptions options;
  options.mode = mode;
  options.use_cache = false;
  options.stdlib_dir = KESTREL_SOURCE_DIR "/stdlib";
  return options;
}

class MlpTest : public ::testing::TestWithParam<kestrel::Mode> {
 protected:
  kestrel::Engine engine_{in_mode(GetParam())};
  kestrel::Module module_ = engine_.load_source("mlp_harness.kst", kHarness);
  kestrel::Function<TrainFn> train_ = module_.function<TrainFn>("mlp.train");
  kestrel::Function<FitFn> fit_ = module_.function<FitFn>("mlp.fit");
  kestrel::Function<Matrix(CMat, CMat, CMat)> predict_ =
      module_.function<Matrix(CMat, CMat, CMat)>("mlp.predict");
  kestrel::Function<double(CMat, CMat, CMat, CMat)> mse_ =
      module_.function<double(CMat, CMat, CMat, CMat)>("mlp.mse");
};
INSTANTIATE_TEST_SUITE_P(Modes, MlpTest,
                         ::testing::Values(kestrel::Mode::Interp, kestrel::Mode::Jit),
                         [](const auto& param_info) {
                           return param_info.param == kestrel::Mode::Jit ? "jit" : "interp";
                         });

TEST_P(MlpTest, ZeroEpochsGiveThePhiloxDrawsExactly) {
  Mat x;
  Mat y;
  make_data(10, 3, 2, x, y);
  Mat w1;
  Mat w2;
  initial_weights(3, 5, 2, 42, w1, w2);
  auto [t1, t2] = train_(x, y, 5, 0.5, 4, 0, 42);
  EXPECT_TRUE(bit_equal(to_mat(t1), w1));
  EXPECT_TRUE(bit_equal(to_mat(t2), w2));
  // W2 continues W1's draws: its first element is draw d * hidden = 15, not draw 0.
  EXPECT_NE(w2(0, 0), w1(0, 0));
}

TEST_P(MlpTest, PredictAndMseMatchTheReference) {
  Mat x;
  Mat y;
  make_data(23, 4, 3, x, y);
  Mat w1;
  Mat w2;
  initial_weights(4, 6, 3, 9, w1, w2);
  w1 *= 10.0;  // weights of order 1, so the hidden layer is far from linear
  w2 *= 10.0;
  Mat p = to_mat(predict_(x, w1, w2));
  EXPECT_LE(max_abs_diff(p, reference_predict(x, w1, w2)), kTol);
  EXPECT_NEAR(mse_(x, y, w1, w2), reference_mse(x, y, w1, w2), kTol);
}

TEST_P(MlpTest, FitMatchesTheReferenceWithAPartialLastBatch) {
  // 37 rows in batches of 8: four full batches and one of 5 rows, every epoch.
  Mat x;
  Mat y;
  make_data(37, 3, 2, x, y);
  Mat w1;
  Mat w2;
  initial_weights(3, 7, 2, 5, w1, w2);
  Mat k1 = w1;
  Mat k2 = w2;
  fit_(x, y, k1, k2, 0.3, 8, 40);  // in place: the module writes our matrices
  Mat r1 = w1;
  Mat r2 = w2;
  reference_fit(x, y, r1, r2, 0.3, 8, 40);
  EXPECT_LE(max_abs_diff(k1, r1), kTol);
  EXPECT_LE(max_abs_diff(k2, r2), kTol);
  EXPECT_GT(max_abs_diff(k1, w1), 1e-3);  // it did train
  // Dividing the partial batch's step by 8 instead of 5 moves the weights by far more than kTol.
  Mat v1 = w1;
  Mat v2 = w2;
  reference_fit(x, y, v1, v2, 0.3, 8, 40, /*divide_by_batch=*/true);
  EXPECT_GT(max_abs_diff(v2, r2), 1e4 * kTol);
}

TEST_P(MlpTest, TrainIsInitialWeightsThenFit) {
  Mat x;
  Mat y;
  make_data(64, 2, 1, x, y);
  Mat w1;
  Mat w2;
  initial_weights(2, 8, 1, 3, w1, w2);
  reference_fit(x, y, w1, w2, 0.5, 16, 25);
  auto [t1, t2] = train_(x, y, 8, 0.5, 16, 25, 3);
  EXPECT_LE(max_abs_diff(to_mat(t1), w1), kTol);
  EXPECT_LE(max_abs_diff(to_mat(t2), w2), kTol);
}

TEST_P(MlpTest, LossDecreasesWithTraining) {
  Mat x;
  Mat y;
  make_data(200, 3, 1, x, y);
  double previous = INFINITY;
  for (std::int64_t epochs : {0, 5, 50, 300}) {
    auto [t1, t2] = train_(x, y, 10, 0.5, 20, epochs, 11);
    Mat w1 = to_mat(t1);
    Mat w2 = to_mat(t2);
    double loss = mse_(x, y, w1, w2);
    EXPECT_LT(loss, previous) << "after " << epochs << " epochs";
    previous = loss;
  }
  EXPECT_LT(previous, 0.01);  // the targets' variance is about 0.4
}

TEST_P(MlpTest, SameSeedSameWeightsOtherSeedOtherWeights) {
  Mat x;
  Mat y;
  make_data(30, 2, 1, x, y);
  Mat a = to_mat(std::get<0>(train_(x, y, 4, 0.5, 7, 20, 1)));
  Mat b = to_mat(std::get<0>(train_(x, y, 4, 0.5, 7, 20, 1)));
  Mat c = to_mat(std::get<0>(train_(x, y, 4, 0.5, 7, 20, 2)));
  EXPECT_TRUE(bit_equal(a, b));
  EXPECT_GT(max_abs_diff(a, c), 1e-3);
}

TEST_P(MlpTest, LiveArraysAndBytesDoNotGrowAcrossEpochs) {
  Mat x;
  Mat y;
  make_data(100, 4, 2, x, y);
  Mat w1;
  Mat w2;
  initial_weights(4, 6, 2, 1, w1, w2);
  const std::int64_t arrays = kestrel::rt::live_arrays();
  const std::int64_t buffers = kestrel::rt::live_buffers();
  const std::int64_t bytes = kestrel::rt::live_bytes();
  // Each call runs 13 batches per epoch; whatever a step allocates must be gone when it ends,
  // so 1 epoch and 50 leave the same counts as before the call.
  for (std::int64_t epochs : {1, 50, 1}) {
    fit_(x, y, w1, w2, 0.1, 8, epochs);
    EXPECT_EQ(kestrel::rt::live_arrays(), arrays) << epochs << " epochs";
    EXPECT_EQ(kestrel::rt::live_buffers(), buffers) << epochs << " epochs";
    EXPECT_EQ(kestrel::rt::live_bytes(), bytes) << epochs << " epochs";
  }
  {
    Weights w = train_(x, y, 6, 0.1, 8, 3, 1);
    EXPECT_EQ(kestrel::rt::live_arrays(), arrays + 2);  // the two results we hold, once each
  }
  EXPECT_EQ(kestrel::rt::live_arrays(), arrays);
  EXPECT_EQ(kestrel::rt::live_bytes(), bytes);
}

TEST_P(MlpTest, MismatchedShapesAreRuntimeErrors) {
  Mat x;
  Mat y;
  make_data(20, 3, 1, x, y);
  Mat w1;
  Mat w2;
  initial_weights(3, 4, 1, 1, w1, w2);
  Mat short_y = y.topRows(19);
  Mat long_y(21, 1);
  long_y.setZero();
  EXPECT_THROW(fit_(x, short_y, w1, w2, 0.1, 8, 1), kestrel::Error);
  EXPECT_THROW(fit_(x, long_y, w1, w2, 0.1, 8, 1), kestrel::Error);
  Mat bad_w1(2, 4);
  bad_w1.setZero();
  try {
    fit_(x, y, bad_w1, w2, 0.1, 8, 1);
    ADD_FAILURE() << "no error for W1 with 2 rows and X with 3 columns";
  } catch (const kestrel::Error& e) {
    EXPECT_NE(std::string(e.what()).find("matmul shape mismatch: (8, 3) @ (2, 4)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(fit_(x, y, w1, w2, 0.1, 0, 1), kestrel::Error);  // batch 0
}

// Promise 1: the interpreter and the JIT give the same weights, bit for bit.
TEST(MlpModes, InterpreterAndJitTrainTheSameBits) {
  Mat x;
  Mat y;
  make_data(50, 3, 2, x, y);
  Mat w[2][2];
  kestrel::Mode modes[2] = {kestrel::Mode::Interp, kestrel::Mode::Jit};
  for (int i = 0; i < 2; ++i) {
    kestrel::Engine engine(in_mode(modes[i]));
    kestrel::Module module = engine.load_source("mlp_harness.kst", kHarness);
    auto [t1, t2] = module.function<TrainFn>("mlp.train")(x, y, 6, 0.4, 16, 30, 8);
    w[i][0] = to_mat(t1);
    w[i][1] = to_mat(t2);
  }
  EXPECT_TRUE(bit_equal(w[0][0], w[1][0]));
  EXPECT_TRUE(bit_equal(w[0][1], w[1][1]));
}

}  // namespace
