// The embedding API: Engine::load_source / load_file, Module::function<Sig> with its signature
// check, scalars and zero-copy arrays across the boundary, and errors as kestrel::Error.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <array>
#include <cmath>
#include <vector>

#include "kestrel/kestrel.hpp"
#include "runtime/array.hpp"

namespace {

using kestrel::ArrayView;
using kestrel::MatrixView;

constexpr const char* kSource = R"(
fn add(x: i64, y: i64) -> i64 {
    return x + y
}
fn scale(a: f64[:], k: f64) {
    a[:] *= k
}
fn total(a: f64[:]) -> f64 {
    return sum(a)
}
fn trace(m: f64[:, :]) -> f64 {
    var t = 0.0
    for i in 0..shape(m, 0) {
        t += m[i, i]
    }
    return t
}
fn col_sums(m: f64[:, :]) -> f64[:] {
    return sum(m, axis=0)
}
fn halve(a: f32[:]) -> f32[:] {
    return a * 0.5
}
fn pick(a: i64[:], i: i64) -> i64 {
    return a[i]
}
fn name(flag: bool) -> str {
    if flag {
        return "yes"
    }
    return "no"
}
fn hello() {
    print("hello from kestrel")
}
print("top level")
)";

kestrel::EngineOptions in_mode(kestrel::Mode mode) {
  kestrel::EngineOptions options;
  options.mode = mode;
  options.use_cache = false;
  return options;
}

/// Every test runs in both modes: the interpreter (calls through boundary values) and the JIT
/// (direct calls of the native entries).
class ModuleTest : public ::testing::TestWithParam<kestrel::Mode> {
 protected:
  kestrel::Engine engine_{in_mode(GetParam())};
  kestrel::Module module_ = engine_.load_source("embed_test.kst", kSource);
};
INSTANTIATE_TEST_SUITE_P(Modes, ModuleTest,
                         ::testing::Values(kestrel::Mode::Interp, kestrel::Mode::Jit),
                         [](const auto& param_info) {
                           return param_info.param == kestrel::Mode::Jit ? "jit" : "interp";
                         });

TEST_P(ModuleTest, ScalarsCrossTheBoundary) {
  auto add = module_.function<std::int64_t(std::int64_t, std::int64_t)>("add");
  EXPECT_EQ(add(2, 40), 42);
  EXPECT_EQ(add(INT64_MAX, 1), INT64_MIN);  // wrapping, as in the language
  auto name = module_.function<std::string(bool)>("name");
  EXPECT_EQ(name(true), "yes");
  EXPECT_EQ(name(false), "no");
}

TEST_P(ModuleTest, VectorArgumentIsWrittenInPlace) {
  std::vector<double> v{1, 2, 3};
  const double* before = v.data();
  auto scale = module_.function<void(ArrayView<double>, double)>("scale");
  scale(v, 2.0);
  EXPECT_EQ(v, (std::vector<double>{2, 4, 6}));  // no copy: the function wrote our memory
  EXPECT_EQ(v.data(), before);
  std::array<double, 4> a{1, 1, 1, 1};
  scale(a, 3.0);
  EXPECT_EQ(a[3], 3.0);
  auto total = module_.function<double(ArrayView<const double>)>("total");
  const std::vector<double> c{0.5, 0.25};
  EXPECT_EQ(total(c), 0.75);
  EXPECT_EQ(total(std::span<const double>(c).subspan(1)), 0.25);
}

TEST_P(ModuleTest, EigenVectorsAndMatricesWithoutCopies) {
  auto total = module_.function<double(ArrayView<const double>)>("total");
  Eigen::VectorXd v = Eigen::VectorXd::LinSpaced(5, 1, 5);
  EXPECT_EQ(total(v), 15.0);
  auto trace = module_.function<double(MatrixView<const double>)>("trace");
  Eigen::MatrixXd m(3, 3);  // column-major: passed with its strides
  m << 1, 2, 3, 4, 5, 6, 7, 8, 9;
  EXPECT_EQ(trace(m), 15.0);
  auto col_sums = module_.function<kestrel::Array<double>(MatrixView<const double>)>("col_sums");
  kestrel::Array<double> s = col_sums(m);
  ASSERT_EQ(s.shape(0), 3);
  EXPECT_EQ(s.to_vector(), (std::vector<double>{12, 15, 18}));
  // A strided block of a matrix: the middle column, rows 0..2.
  Eigen::Ref<Eigen::VectorXd> column = m.col(1);
  EXPECT_EQ(total(column), 15.0);
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> r = m;
  EXPECT_EQ(col_sums(r).to_vector(), (std::vector<double>{12, 15, 18}));
  auto scale = module_.function<void(ArrayView<double>, double)>("scale");
  scale(v, 2.0);
  EXPECT_EQ(v(4), 10.0);
}

TEST_P(ModuleTest, ArrayResultsAreCountedReferences) {
  std::int64_t live = kestrel::rt::live_arrays();
  {
    auto halve = module_.function<kestrel::Array<float>(ArrayView<const float>)>("halve");
    std::vector<float> f{2, 4, 8};
    kestrel::Array<float> h = halve(f);
    kestrel::Array<float> copy = h;
    EXPECT_EQ(copy.data(), h.data());
    EXPECT_EQ(h(2), 4.0f);
    EXPECT_GT(kestrel::rt::live_arrays(), live);
  }
  EXPECT_EQ(kestrel::rt::live_arrays(), live);
}

TEST_P(ModuleTest, SignatureIsCheckedAgainstTheSource) {
  try {
    module_.function<double(double, std::int64_t)>("add");
    FAIL() << "expected a signature mismatch";
  } catch (const kestrel::Error& e) {
    std::string text = e.what();
    EXPECT_NE(text.find("embed_test.kst:2:4: error: function signature mismatch: 'add' is "
                        "add(x: i64, y: i64) -> i64, but the C++ signature asks for "
                        "(f64, i64) -> f64"),
              std::string::npos)
        << text;
  }
  EXPECT_THROW(module_.function<double(ArrayView<const double, 2>)>("total"), kestrel::Error);
  EXPECT_THROW(module_.function<double(ArrayView<const float>)>("total"), kestrel::Error);
  try {
    module_.function<void()>("nope");
    FAIL();
  } catch (const kestrel::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no function 'nope' in the module; it defines: add,"),
              std::string::npos)
        << e.what();
  }
}

TEST_P(ModuleTest, RuntimeErrorsCarryTheirLocation) {
  auto pick = module_.function<std::int64_t(ArrayView<const std::int64_t>, std::int64_t)>("pick");
  std::vector<std::int64_t> a{10, 20};
  EXPECT_EQ(pick(a, 1), 20);
  try {
    pick(a, 5);
    FAIL();
  } catch (const kestrel::Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "embed_test.kst:25:12: error: index 5 is out of bounds for axis 0 with size 2"),
              std::string::npos)
        << e.what();
  }
}

TEST_P(ModuleTest, RuntimeErrorsLeaveTheModuleUsable) {
  auto pick = module_.function<std::int64_t(ArrayView<const std::int64_t>, std::int64_t)>("pick");
  std::vector<std::int64_t> a{10, 20};
  std::int64_t live = kestrel::rt::live_arrays();
  for (int k = 0; k < 3; ++k) {
    EXPECT_THROW(pick(a, -1), kestrel::Error);
    EXPECT_EQ(pick(a, 0), 10);
  }
  EXPECT_EQ(kestrel::rt::live_arrays(), live);  // the wrapped views were released
}

TEST_P(ModuleTest, LoadingDoesNotRunTheTopLevel) {
  std::string out;
  module_.function<void()>("hello");
  module_.run(&out);
  EXPECT_EQ(out, "top level\n");
}

TEST(ModuleLoad, CompileErrorsAreDiagnostics) {
  kestrel::Engine engine;
  try {
    engine.load_source("bad.kst", "fn f() -> i64 {\n    return 1.5\n}\n");
    FAIL();
  } catch (const kestrel::Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.kst:2:"), std::string::npos) << e.what();
  }
}

TEST(ModuleLoad, DesignExampleMonteCarloPi) {
  kestrel::Engine engine;
  kestrel::Module m = engine.load_file(std::string(KESTREL_SOURCE_DIR) + "/stdlib/montecarlo.kst");
  auto pi = m.function<double(std::int64_t, std::int64_t)>("pi");
  double p = pi(100'000, 42);
  EXPECT_NEAR(p, M_PI, 0.02);
  EXPECT_EQ(p, pi(100'000, 42));  // a pure function of (n, seed)
}

}  // namespace
