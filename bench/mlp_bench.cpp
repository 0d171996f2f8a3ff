// MLP training (issue 6): 65,536 x 32 -> 64 -> 1, batch 256, 5 epochs, lr 0.05, synthetic data
// from a fixed seed: stdlib/mlp.kst's train in the interpreter and in the JIT, and the same loop
// hand-written with Eigen (bench/mlp_bench.cpp is built with -march=native; runtime/linalg.cpp,
// which does Kestrel's `@`, is built with the same flag by default: KESTREL_NATIVE_LINALG).
// BM_MlpTrain_Eigen/libm_exp is that loop with the sigmoid through libm's exp, as Kestrel's
// runtime computes it, to separate the cost of Eigen's vectorised exp from everything else.
// Kestrel runs on one thread (EngineOptions::threads = 1) as Eigen does here. The answer is
// checked once before timing: the final training mse of each mode within 1e-6 (relative) of
// Eigen's (not bit for bit: Eigen's vectorised exp rounds differently from libm's exp).
//
// Peak memory: `mlp_bench --rss=eigen|interp|jit` runs one training in this process instead of
// the benchmarks and prints the resident set (VmRSS, VmHWM from /proc/self/status) before it and
// after each of the 5 epochs (run one fit call per epoch, so growth across epochs shows), plus
// the runtime's live array bytes. Run each mode in its own process.
#include <benchmark/benchmark.h>

// GCC 12's own AVX-512 intrinsics (`__m512d __Y = __Y;`, its idiom for an undefined vector) trip
// -Wmaybe-uninitialized wherever Eigen's kernels inline them with -march=native (GCC bug 105593,
// fixed in 13): not a fault of this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Core>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "kestrel/kestrel.hpp"
#include "runtime/array.hpp"
#include "runtime/rules/philox.hpp"

namespace {

using Mat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using CMat = kestrel::MatrixView<const double>;
using WMat = kestrel::MatrixView<double>;

constexpr std::int64_t kRows = 65'536;
constexpr std::int64_t kInputs = 32;
constexpr std::int64_t kHidden = 64;
constexpr std::int64_t kOutputs = 1;
constexpr std::int64_t kBatch = 256;
constexpr std::int64_t kEpochs = 5;
constexpr double kLr = 0.05;
constexpr std::int64_t kSeed = 42;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "mlp_bench: %s\n", what.c_str());
  std::exit(1);
}

// train returns a tuple, which does not cross the C++ boundary yet: the harness copies the
// weights out into the caller's matrices (4,160 elements, nothing next to the training).
constexpr const char* kHarness = R"(
import mlp
fn train_into(X: f64[:,:], y: f64[:,:], hidden: i64, lr: f64, batch: i64, epochs: i64, seed: i64,
              W1: f64[:,:], W2: f64[:,:]) {
    let (A, B) = mlp.train(X, y, hidden, lr, batch, epochs, seed)
    W1[:, :] = A
    W2[:, :] = B
}
)";
using TrainIntoFn = void(CMat, CMat, std::int64_t, double, std::int64_t, std::int64_t, std::int64_t,
                         WMat, WMat);
using FitFn = void(CMat, CMat, WMat, WMat, double, std::int64_t, std::int64_t);

/// Inputs uniform in [-1, 1) (Philox key 1), one target: a smooth function of three of them.
struct Data {
  Mat x{kRows, kInputs};
  Mat y{kRows, kOutputs};
  Data() {
    for (std::int64_t i = 0; i < kRows; ++i) {
      for (std::int64_t j = 0; j < kInputs; ++j) {
        x(i, j) = 2.0 * kestrel::rt::random(1, i * kInputs + j) - 1.0;
      }
      y(i, 0) = std::sin(2.0 * x(i, 0)) + 0.5 * x(i, 1) * x(i, 2);
    }
  }
};
Data& data() {
  static Data d;
  return d;
}

// ---- the Eigen baseline: mlp.kst's algorithm as one would write it with Eigen ----------------

/// mlp.kst's initial weights: normal draws 0, 1, … of key `seed` times 0.1, W1's then W2's.
void initial_weights(Mat& w1, Mat& w2) {
  w1.resize(kInputs, kHidden);
  w2.resize(kHidden, kOutputs);
  std::int64_t counter = 0;
  for (std::int64_t i = 0; i < w1.size(); ++i) {
    w1.data()[i] = kestrel::rt::randn(kSeed, counter++) * 0.1;
  }
  for (std::int64_t i = 0; i < w2.size(); ++i) {
    w2.data()[i] = kestrel::rt::randn(kSeed, counter++) * 0.1;
  }
}

/// Mini-batch gradient descent, buffers allocated once (what a hand-written loop does). With
/// `libm_exp` the sigmoid calls libm's exp element by element, as Kestrel's runtime does (the
/// same bits in every backend), instead of Eigen's vectorised exp: a second baseline, to show how
/// much of the gap is that exp.
void eigen_fit(const Mat& x, const Mat& y, Mat& w1, Mat& w2, std::int64_t epochs,
               bool libm_exp = false) {
  const std::int64_t n = x.rows();
  Mat h(kBatch, kHidden);
  Mat e(kBatch, kOutputs);
  Mat delta(kBatch, kHidden);
  Mat g1(kInputs, kHidden);
  Mat g2(kHidden, kOutputs);
  for (std::int64_t epoch = 0; epoch < epochs; ++epoch) {
    for (std::int64_t s = 0; s < n; s += kBatch) {
      const std::int64_t m = std::min(kBatch, n - s);
      const auto xb = x.middleRows(s, m);
      auto hb = h.topRows(m);
      auto eb = e.topRows(m);
      auto db = delta.topRows(m);
      hb.noalias() = xb * w1;
      if (libm_exp) {
        hb = hb.unaryExpr([](double v) { return 1.0 / (1.0 + std::exp(-v)); });
      } else {
        hb = (1.0 + (-hb.array()).exp()).inverse().matrix();
      }
      eb = y.middleRows(s, m);
      eb.noalias() -= hb * w2;
      g2.noalias() = hb.transpose() * eb;
      db.noalias() = eb * w2.transpose();
      db.array() *= hb.array() * (1.0 - hb.array());
      g1.noalias() = xb.transpose() * db;
      w2 += (kLr / static_cast<double>(m)) * g2;
      w1 += (kLr / static_cast<double>(m)) * g1;
    }
  }
}

double eigen_mse(const Mat& x, const Mat& y, const Mat& w1, const Mat& w2) {
  Mat h = x * w1;
  h = (1.0 + (-h.array()).exp()).inverse().matrix();
  return (y - h * w2).array().square().mean();
}

double eigen_final_mse() {
  static double mse = [] {
    Mat w1;
    Mat w2;
    initial_weights(w1, w2);
    eigen_fit(data().x, data().y, w1, w2, kEpochs);
    return eigen_mse(data().x, data().y, w1, w2);
  }();
  return mse;
}

// ---- Kestrel ---------------------------------------------------------------------------------

kestrel::Module load(kestrel::Mode mode) {
  kestrel::EngineOptions options;
  options.mode = mode;
  options.threads = 1;
  options.use_cache = false;
  options.stdlib_dir = KESTREL_SOURCE_DIR "/stdlib";
  return kestrel::Engine(options).load_source("mlp_bench.kst", kHarness);
}

void BM_MlpTrain(benchmark::State& state, kestrel::Mode mode) {
  const Data& d = data();
  kestrel::Module m = load(mode);
  auto train = m.function<TrainIntoFn>("train_into");
  Mat w1(kInputs, kHidden);
  Mat w2(kHidden, kOutputs);
  train(d.x, d.y, kHidden, kLr, kBatch, kEpochs, kSeed, w1, w2);
  double mse = eigen_mse(d.x, d.y, w1, w2);
  double want = eigen_final_mse();
  if (!(std::fabs(mse - want) <= 1e-6 * want)) {
    fail("final mse " + std::to_string(mse) + ", Eigen's " + std::to_string(want));
  }
  for (auto _ : state) {
    train(d.x, d.y, kHidden, kLr, kBatch, kEpochs, kSeed, w1, w2);
    benchmark::DoNotOptimize(w1.data());
  }
  state.counters["mse"] = mse;
}
BENCHMARK_CAPTURE(BM_MlpTrain, interp, kestrel::Mode::Interp)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MlpTrain, jit, kestrel::Mode::Jit)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_MlpTrain_Eigen(benchmark::State& state, bool libm_exp) {
  const Data& d = data();
  state.counters["mse"] = eigen_final_mse();
  for (auto _ : state) {
    Mat w1;
    Mat w2;
    initial_weights(w1, w2);
    eigen_fit(d.x, d.y, w1, w2, kEpochs, libm_exp);
    benchmark::DoNotOptimize(w1.data());
  }
}
BENCHMARK_CAPTURE(BM_MlpTrain_Eigen, vector_exp, false)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_MlpTrain_Eigen, libm_exp, true)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- peak memory -----------------------------------------------------------------------------

/// A field of /proc/self/status in kB (VmRSS, VmHWM).
long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::size_t len = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, len, field) == 0 && line.size() > len && line[len] == ':') {
      return std::atol(line.c_str() + len + 1);
    }
  }
  return -1;
}

void report(const char* when) {
  std::printf("%-16s VmRSS %7ld kB  VmHWM %7ld kB  live array bytes %lld\n", when,
              status_kb("VmRSS"), status_kb("VmHWM"),
              static_cast<long long>(kestrel::rt::live_bytes()));
}

int rss_main(const std::string& mode) {
  const Data& d = data();
  Mat w1;
  Mat w2;
  initial_weights(w1, w2);
  if (mode == "eigen") {
    report("before training");
    for (std::int64_t epoch = 1; epoch <= kEpochs; ++epoch) {
      eigen_fit(d.x, d.y, w1, w2, 1);
      report(("after epoch " + std::to_string(epoch)).c_str());
    }
  } else if (mode == "interp" || mode == "jit") {
    kestrel::Module m = load(mode == "jit" ? kestrel::Mode::Jit : kestrel::Mode::Interp);
    auto fit = m.function<FitFn>("mlp.fit");
    report("before training");
    for (std::int64_t epoch = 1; epoch <= kEpochs; ++epoch) {
      fit(d.x, d.y, w1, w2, kLr, kBatch, 1);
      report(("after epoch " + std::to_string(epoch)).c_str());
    }
  } else {
    fail("--rss takes eigen, interp or jit");
  }
  std::printf("final mse %.17g (Eigen's %.17g)\n", eigen_mse(d.x, d.y, w1, w2), eigen_final_mse());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--rss=", 6) == 0) {
      return rss_main(argv[i] + 6);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
