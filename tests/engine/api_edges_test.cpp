// The embedding API's rough edges (issue 17): an Array result passed straight to another Function
// (as an Array parameter or through an ArrayView of it) is that same array, not a copy; Module and
// Function default-construct as empty members, and calling an empty one throws kestrel::Error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kestrel/kestrel.hpp"

namespace {

using kestrel::Array;
using kestrel::ArrayView;
using kestrel::MatrixView;

constexpr const char* kSource = R"(
fn ramp(n: i64) -> f64[:] {
    var a = zeros(n)
    for i in 0..n {
        a[i] = f64(i)
    }
    return a
}
fn grid(r: i64, c: i64) -> f64[:, :] {
    var m = zeros(r, c)
    for i in 0..r {
        for j in 0..c {
            m[i, j] = f64(10 * i + j)
        }
    }
    return m
}
fn total(a: f64[:]) -> f64 {
    return sum(a)
}
fn same(a: f64[:]) -> f64[:] {
    return a
}
fn tail(a: f64[:]) -> f64[:] {
    return a[1:]
}
fn scale(a: f64[:], k: f64) {
    a[:] *= k
}
fn doubled(a: f64[:]) -> f64[:] {
    return a * 2.0
}
fn trace(m: f64[:, :]) -> f64 {
    return m[0, 0] + m[1, 1]
}
)";

kestrel::EngineOptions in_mode(kestrel::Mode mode) {
  kestrel::EngineOptions options;
  options.mode = mode;
  options.use_cache = false;
  options.tier_policy = kestrel::TierPolicy::Eager;  // Tiered: every call switches to native
  return options;
}

class ArrayPassTest : public ::testing::TestWithParam<kestrel::Mode> {
 protected:
  kestrel::Engine engine_{in_mode(GetParam())};
  kestrel::Module module_ = engine_.load_source("array_pass.kst", kSource);
};
INSTANTIATE_TEST_SUITE_P(Modes, ArrayPassTest,
                         ::testing::Values(kestrel::Mode::Interp, kestrel::Mode::Jit,
                                           kestrel::Mode::Tiered),
                         [](const auto& param_info) {
                           switch (param_info.param) {
                             case kestrel::Mode::Interp:
                               return "interp";
                             case kestrel::Mode::Jit:
                               return "jit";
                             default:
                               return "tiered";
                           }
                         });

TEST_P(ArrayPassTest, ResultPassesToAViewParameter) {
  auto ramp = module_.function<Array<double>(std::int64_t)>("ramp");
  auto total = module_.function<double(ArrayView<const double>)>("total");
  Array<double> a = ramp(5);
  EXPECT_EQ(total(a), 10.0);       // an lvalue Array
  EXPECT_EQ(total(ramp(4)), 6.0);  // another call's result, straight on
  const Array<double>& ca = a;
  EXPECT_EQ(total(ca), 10.0);  // a const Array to a const view
}

TEST_P(ArrayPassTest, ResultPassesToAnArrayParameterWithoutACopy) {
  auto ramp = module_.function<Array<double>(std::int64_t)>("ramp");
  auto same = module_.function<Array<double>(Array<double>)>("same");
  auto same_view = module_.function<Array<double>(ArrayView<const double>)>("same");
  auto tail = module_.function<Array<double>(Array<double>)>("tail");
  Array<double> a = ramp(6);
  // The function gets the array itself: a result that is (or views) it shares its memory, where
  // a view of borrowed memory (a std::vector) comes back as a copy.
  Array<double> b = same(a);
  EXPECT_EQ(b.data(), a.data());
  Array<double> c = same_view(a);
  EXPECT_EQ(c.data(), a.data());
  Array<double> t = tail(a);
  EXPECT_EQ(t.data(), a.data() + 1);
  ASSERT_EQ(t.shape(0), 5);
  EXPECT_EQ(t(0), 1.0);
  std::vector<double> v{1, 2, 3};
  Array<double> from_vector = same_view(v);
  EXPECT_NE(from_vector.data(), v.data());
  EXPECT_EQ(from_vector.to_vector(), v);
}

TEST_P(ArrayPassTest, WritesReachTheArrayAndItsSharers) {
  auto ramp = module_.function<Array<double>(std::int64_t)>("ramp");
  auto scale = module_.function<void(ArrayView<double>, double)>("scale");
  auto scale_array = module_.function<void(Array<double>, double)>("scale");
  Array<double> a = ramp(4);
  Array<double> shared = a;  // a second reference to the same elements
  scale(a, 2.0);
  EXPECT_EQ(a.to_vector(), (std::vector<double>{0, 2, 4, 6}));
  scale_array(a, 0.5);
  EXPECT_EQ(shared.to_vector(), (std::vector<double>{0, 1, 2, 3}));
  scale(ramp(3), 2.0);  // a temporary: written, then dropped
  auto doubled = module_.function<Array<double>(Array<double>)>("doubled");
  Array<double> d = doubled(a);
  EXPECT_EQ(d.to_vector(), (std::vector<double>{0, 2, 4, 6}));
  EXPECT_EQ(a.to_vector(), (std::vector<double>{0, 1, 2, 3}));  // unchanged: a new array
}

TEST_P(ArrayPassTest, MatricesPassToo) {
  auto grid = module_.function<Array<double, 2>(std::int64_t, std::int64_t)>("grid");
  auto trace = module_.function<double(MatrixView<const double>)>("trace");
  auto trace_array = module_.function<double(Array<double, 2>)>("trace");
  Array<double, 2> m = grid(2, 3);
  EXPECT_EQ(trace(m), 11.0);
  EXPECT_EQ(trace_array(m), 11.0);
  EXPECT_EQ(trace(grid(3, 3)), 11.0);
}

TEST_P(ArrayPassTest, AnEmptyArrayPasses) {
  auto total = module_.function<double(Array<double>)>("total");
  EXPECT_EQ(total(Array<double>()), 0.0);
}

TEST_P(ArrayPassTest, ASignatureMismatchIsStillAnError) {
  EXPECT_THROW((module_.function<double(Array<double, 2>)>("total")), kestrel::Error);
  EXPECT_THROW((module_.function<double(Array<float>)>("total")), kestrel::Error);
}

/// What an application keeps as members, assigned after construction.
struct Holder {
  kestrel::Module module;
  kestrel::Function<double(ArrayView<const double>)> total;
};

std::string error_of(const auto& call) {
  try {
    call();
  } catch (const kestrel::Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(EmptyMembers, CallingAnEmptyOneThrowsSayingSo) {
  Holder h;
  EXPECT_FALSE(h.module);
  EXPECT_FALSE(h.total);
  std::vector<double> v{1, 2};
  EXPECT_NE(error_of([&] { h.total(v); }).find("kestrel::Function is empty"), std::string::npos);
  const std::string module_empty = "kestrel::Module is empty";
  EXPECT_NE(error_of([&] { h.module.function<double(double)>("f"); }).find(module_empty),
            std::string::npos);
  EXPECT_NE(error_of([&] { h.module.run(); }).find(module_empty), std::string::npos);
  EXPECT_NE(error_of([&] { h.module.signatures(); }).find(module_empty), std::string::npos);
  EXPECT_NE(error_of([&] { h.module.call_text("f", {}); }).find(module_empty), std::string::npos);
  EXPECT_NE(error_of([&] { h.module.interrupt(); }).find(module_empty), std::string::npos);
  EXPECT_NE(error_of([&] { h.module.load_timings(); }).find(module_empty), std::string::npos);
}

TEST(EmptyMembers, AssignedLaterTheyWork) {
  kestrel::Engine engine(in_mode(kestrel::Mode::Interp));
  Holder h;
  h.module = engine.load_source("array_pass.kst", kSource);
  h.total = h.module.function<double(ArrayView<const double>)>("total");
  EXPECT_TRUE(h.module);
  EXPECT_TRUE(h.total);
  std::vector<double> v{1, 2, 3.5};
  EXPECT_EQ(h.total(v), 6.5);
  Holder copy = h;  // copies share the module
  EXPECT_EQ(copy.total(v), 6.5);
}

}  // namespace
