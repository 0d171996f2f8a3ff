// The embedding API: Engine::load_source / load_file, Module::function<Sig> with its signature
// check, scalars and zero-copy arrays across the boundary, and errors as kestrel::Error.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <array>
#include <cmath>
#include <string>
#include <tuple>
#include <utility>
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

// A view of const memory binds only to a parameter the function never writes: directly, through
// a slice or a local bound to it, or through a call that writes it. Binding it to one that does
// once let the function write the caller's const data.
TEST_P(ModuleTest, ConstViewsBindOnlyWhereTheFunctionDoesNotWrite) {
  constexpr const char* kWrites = R"(
fn set_first(a: f64[:]) {
    a[0] = 1.0
}
fn through_slice(a: f64[:]) {
    let v = a[1:3]
    v[0] = 2.0
}
fn zero(b: f64[:]) {
    b[:] = 0.0
}
fn through_call(a: f64[:], n: i64) -> i64 {
    zero(a)
    return n
}
fn view(a: f64[:]) -> f64[:] {
    return a[0:1]
}
fn through_returned_view(a: f64[:]) {
    var w = zeros(1)
    w = view(a)
    w[0] += 1.0
}
fn doubled(a: f64[:]) -> f64[:] {
    return a * 2.0
}
fn reads_only(a: f64[:], out: f64[:]) -> f64 {
    let fresh = doubled(a)
    fresh[0] = 5.0
    out[0] = sum(a)
    return sum(fresh)
}
)";
  kestrel::Module m = engine_.load_source("const_views.kst", kWrites);
  using Const = ArrayView<const double>;
  struct Case {
    const char* fn;
    const char* message;
  };
  for (const Case& c : {
           Case{"set_first",
                "const_views.kst:2:14: error: 'set_first' may write its parameter 'a'"},
           Case{"through_slice", "'through_slice' may write its parameter 'a'"},
           Case{"zero", "'zero' may write its parameter 'b'"},
           Case{"through_returned_view", "'through_returned_view' may write its parameter 'a'"},
       }) {
    try {
      m.function<void(Const)>(c.fn);
      ADD_FAILURE() << c.fn << ": bound a const view to a function that writes it";
    } catch (const kestrel::Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("ArrayView<const T>"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW((m.function<std::int64_t(Const, std::int64_t)>("through_call")), kestrel::Error);
  // Mutable views bind to all of them; a const view binds where the function only reads.
  std::vector<double> v{7, 8, 9};
  m.function<void(ArrayView<double>)>("set_first")(v);
  EXPECT_EQ(v[0], 1.0);
  const std::vector<double> c{1, 2};
  std::vector<double> out{0};
  auto reads = m.function<double(Const, ArrayView<double>)>("reads_only");
  EXPECT_EQ(reads(c, out), 9.0);
  EXPECT_EQ(out[0], 3.0);
  EXPECT_THROW((m.function<double(Const, Const)>("reads_only")), kestrel::Error);
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
    EXPECT_THROW(pick(a, -3), kestrel::Error);
    EXPECT_EQ(pick(a, 0), 10);
    EXPECT_EQ(pick(a, -1), 20);  // counts from the end, as numpy does
  }
  EXPECT_EQ(kestrel::rt::live_arrays(), live);  // the wrapped views were released
}

TEST_P(ModuleTest, LoadingDoesNotRunTheTopLevel) {
  std::string out;
  module_.function<void()>("hello");
  module_.run(&out);
  EXPECT_EQ(out, "top level\n");
}

// ---- tuple results ----------------------------------------------------------------------

constexpr const char* kTupleSource = R"(
fn divmod(a: i64, b: i64) -> (i64, i64) {
    return (a // b, a % b)
}
fn kinds(x: f64) -> (bool, i32, i64, f32, f64) {
    return (x > 0.0, 7i32, -3, f32(x) * 2.0f32, x / 4.0)
}
fn scaled(a: f64[:], k: f64) -> (f64[:], i64) {
    return (a * k, len(a))
}
fn halves(n: i64) -> (f64[:,:], i64[:]) {
    return (zeros(n, 2) + 0.5, arange(n, i64))
}
fn nested(n: i64) -> ((i64, f64[:]), str) {
    return ((n, arange(n, f64)), "done")
}
fn fails(a: f64[:], i: i64) -> (f64[:], f64) {
    let b = a * 2.0
    return (b, a[i])
}
)";

class TupleTest : public ::testing::TestWithParam<kestrel::Mode> {
 protected:
  kestrel::Engine engine_{in_mode(GetParam())};
  kestrel::Module module_ = engine_.load_source("tuple_test.kst", kTupleSource);
};
INSTANTIATE_TEST_SUITE_P(Modes, TupleTest,
                         ::testing::Values(kestrel::Mode::Interp, kestrel::Mode::Jit),
                         [](const auto& param_info) {
                           return param_info.param == kestrel::Mode::Jit ? "jit" : "interp";
                         });

TEST_P(TupleTest, TwoScalars) {
  auto divmod =
      module_.function<std::tuple<std::int64_t, std::int64_t>(std::int64_t, std::int64_t)>(
          "divmod");
  EXPECT_EQ(divmod(17, 5), std::make_tuple(std::int64_t{3}, std::int64_t{2}));
  auto [q, r] = divmod(-17, 5);  // Python's rules, as in the language
  EXPECT_EQ(q, -4);
  EXPECT_EQ(r, 3);
  auto as_pair =
      module_.function<std::pair<std::int64_t, std::int64_t>(std::int64_t, std::int64_t)>("divmod");
  EXPECT_EQ(as_pair(9, 4), std::make_pair(std::int64_t{2}, std::int64_t{1}));
}

TEST_P(TupleTest, EveryScalarKind) {
  auto kinds =
      module_.function<std::tuple<bool, std::int32_t, std::int64_t, float, double>(double)>(
          "kinds");
  auto [positive, seven, minus_three, twice, quarter] = kinds(1.5);
  EXPECT_TRUE(positive);
  EXPECT_EQ(seven, 7);
  EXPECT_EQ(minus_three, -3);
  EXPECT_EQ(twice, 3.0f);
  EXPECT_EQ(quarter, 0.375);
  EXPECT_FALSE(std::get<0>(kinds(-2.0)));
  EXPECT_EQ(std::get<3>(kinds(-2.0)), -4.0f);
}

TEST_P(TupleTest, ArrayAndScalar) {
  std::int64_t live = kestrel::rt::live_arrays();
  {
    auto scaled = module_.function<std::tuple<kestrel::Array<double>, std::int64_t>(
        ArrayView<const double>, double)>("scaled");
    std::vector<double> v{1, 2, 3};
    auto [a, n] = scaled(v, 2.0);
    EXPECT_EQ(n, 3);
    EXPECT_EQ(a.to_vector(), (std::vector<double>{2, 4, 6}));
    EXPECT_EQ(kestrel::rt::live_arrays(), live + 1);  // the result, owned once
    kestrel::Array<double> copy = a;
    EXPECT_EQ(copy.data(), a.data());
  }
  EXPECT_EQ(kestrel::rt::live_arrays(), live);
}

TEST_P(TupleTest, TwoArrays) {
  std::int64_t live = kestrel::rt::live_arrays();
  std::int64_t bytes = kestrel::rt::live_bytes();
  {
    auto halves =
        module_.function<std::tuple<kestrel::Array<double, 2>, kestrel::Array<std::int64_t>>(
            std::int64_t)>("halves");
    for (int k = 0; k < 3; ++k) {
      auto [m, r] = halves(4);
      ASSERT_EQ(m.shape(0), 4);
      ASSERT_EQ(m.shape(1), 2);
      EXPECT_EQ(m(3, 1), 0.5);
      EXPECT_EQ(r.to_vector(), (std::vector<std::int64_t>{0, 1, 2, 3}));
      EXPECT_EQ(kestrel::rt::live_arrays(), live + 2);
    }
    auto kept = halves(2);
    EXPECT_EQ(kestrel::rt::live_arrays(), live + 2);
  }
  EXPECT_EQ(kestrel::rt::live_arrays(), live);
  EXPECT_EQ(kestrel::rt::live_bytes(), bytes);
}

TEST_P(TupleTest, NestedTuplesAndStrings) {
  std::int64_t live = kestrel::rt::live_arrays();
  {
    auto nested =
        module_.function<std::tuple<std::tuple<std::int64_t, kestrel::Array<double>>, std::string>(
            std::int64_t)>("nested");
    auto [inner, text] = nested(3);
    EXPECT_EQ(std::get<0>(inner), 3);
    EXPECT_EQ(std::get<1>(inner).to_vector(), (std::vector<double>{0, 1, 2}));
    EXPECT_EQ(text, "done");
    auto as_pairs =
        module_.function<std::pair<std::pair<std::int64_t, kestrel::Array<double>>, std::string>(
            std::int64_t)>("nested");
    EXPECT_EQ(as_pairs(2).first.second.size(), 2);
  }
  EXPECT_EQ(kestrel::rt::live_arrays(), live);
}

TEST_P(TupleTest, RuntimeErrorReleasesWhatWasMade) {
  auto fails = module_.function<std::tuple<kestrel::Array<double>, double>(ArrayView<const double>,
                                                                           std::int64_t)>("fails");
  std::vector<double> v{1, 2};
  std::int64_t live = kestrel::rt::live_arrays();
  for (int k = 0; k < 3; ++k) {
    try {
      fails(v, 5);
      FAIL() << "expected an index error";
    } catch (const kestrel::Error& e) {
      EXPECT_NE(std::string(e.what()).find("tuple_test.kst:19:16: error: index 5 is out of bounds"),
                std::string::npos)
          << e.what();
    }
    EXPECT_EQ(kestrel::rt::live_arrays(), live);
  }
  auto [b, x] = fails(v, 1);
  EXPECT_EQ(x, 2.0);
  EXPECT_EQ(b.to_vector(), (std::vector<double>{2, 4}));
}

TEST_P(TupleTest, MismatchedTuplesAreRejectedAtBind) {
  auto message = [&](auto bind) {
    try {
      bind();
    } catch (const kestrel::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  using I64 = std::int64_t;
  std::string arity =
      message([&] { module_.function<std::tuple<I64, I64, I64>(I64, I64)>("divmod"); });
  EXPECT_NE(arity.find("tuple_test.kst:2:4: error: function signature mismatch: 'divmod' is "
                       "divmod(a: i64, b: i64) -> (i64, i64), but the C++ signature asks for "
                       "(i64, i64) -> (i64, i64, i64)"),
            std::string::npos)
      << arity;
  std::string elem = message([&] {
    module_.function<std::tuple<kestrel::Array<float>, I64>(ArrayView<const double>, double)>(
        "scaled");
  });
  EXPECT_NE(elem.find("'scaled' is scaled(a: f64[:], k: f64) -> (f64[:], i64), but the C++ "
                      "signature asks for (f64[:], f64) -> (f32[:], i64)"),
            std::string::npos)
      << elem;
  std::string rank = message([&] {
    module_.function<std::tuple<kestrel::Array<double>, kestrel::Array<I64>>(I64)>("halves");
  });
  EXPECT_NE(rank.find("-> (f64[:,:], i64[:]), but the C++ signature asks for (i64) -> (f64[:], "
                      "i64[:])"),
            std::string::npos)
      << rank;
  std::string flat = message([&] {
    module_.function<std::tuple<I64, kestrel::Array<double>, std::string>(I64)>("nested");
  });
  EXPECT_NE(flat.find("-> ((i64, f64[:]), str), but the C++ signature asks for (i64) -> (i64, "
                      "f64[:], str)"),
            std::string::npos)
      << flat;
  std::string scalar = message([&] { module_.function<I64(I64, I64)>("divmod"); });
  EXPECT_NE(scalar.find("asks for (i64, i64) -> i64"), std::string::npos) << scalar;
  std::string tuple_for_scalar =
      message([&] { module_.function<std::tuple<double>(double, I64)>("pi_like"); });
  EXPECT_NE(tuple_for_scalar.find("no function 'pi_like'"), std::string::npos) << tuple_for_scalar;
  std::string wanted_tuple =
      message([&] { module_.function<std::pair<double, double>(double)>("kinds"); });
  EXPECT_NE(wanted_tuple.find("asks for (f64) -> (f64, f64)"), std::string::npos) << wanted_tuple;
}

TEST_P(TupleTest, CallTextShowsATupleAsPrintDoes) {
  EXPECT_EQ(module_.call_text("divmod", {"17", "5"}), "(3, 2)");
  EXPECT_EQ(module_.call_text("nested", {"3"}), "((3, [0. 1. 2.]), done)");
  std::int64_t live = kestrel::rt::live_arrays();
  EXPECT_EQ(module_.call_text("halves", {"1"}), "([[0.5 0.5]], [0])");
  EXPECT_EQ(kestrel::rt::live_arrays(), live);
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
