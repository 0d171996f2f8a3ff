// Elementwise operations: broadcasting, shape errors, integer semantics (wrapping, Python's //
// and %, division by zero), float rules, conversions and in-place stores.
#include "runtime/elementwise.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/runtime/expect_error.hpp"

namespace kestrel::rt {
namespace {

using I64 = std::int64_t;
constexpr I64 kMin = std::numeric_limits<I64>::min();
constexpr I64 kMax = std::numeric_limits<I64>::max();

TEST(Scalar, WrappingArithmetic) {
  EXPECT_EQ(wrap_add(kMax, I64{1}), kMin);
  EXPECT_EQ(wrap_sub(kMin, I64{1}), kMax);
  EXPECT_EQ(wrap_mul(kMax, I64{2}), I64{-2});
  EXPECT_EQ(wrap_neg(kMin), kMin);
  EXPECT_EQ(wrap_add(std::int32_t{2147483647}, std::int32_t{1}), std::int32_t{-2147483647 - 1});
  EXPECT_EQ(binary(BinOp::Add, Value(kMax), Value(I64{1})), Value(kMin));
}

TEST(Scalar, FloorDivisionAndModTakePythonsSigns) {
  struct Case {
    I64 a, b, q, r;
  };
  for (Case c : {Case{7, 2, 3, 1}, Case{-7, 2, -4, 1}, Case{7, -2, -4, -1}, Case{-7, -2, 3, -1},
                 Case{6, 3, 2, 0}, Case{-6, 3, -2, 0}, Case{0, -5, 0, 0}, Case{kMin, -1, kMin, 0},
                 Case{kMin, 1, kMin, 0}, Case{kMax, kMin, -1, -1}}) {
    EXPECT_EQ(floordiv(c.a, c.b), c.q) << c.a << " // " << c.b;
    EXPECT_EQ(mod(c.a, c.b), c.r) << c.a << " % " << c.b;
  }
  EXPECT_EQ(floordiv(std::int32_t{-7}, std::int32_t{2}), -4);
  EXPECT_EQ(mod(std::int32_t{-7}, std::int32_t{2}), 1);
}

TEST(Scalar, IntegerDivisionByZeroIsAnError) {
  expect_error([] { floordiv(I64{1}, I64{0}); }, "integer division by zero");
  expect_error([] { mod(I64{1}, I64{0}); }, "integer division by zero");
  expect_error(
      [] {
        binary(BinOp::FloorDiv, *make_array<I64>({1, 2}), Value(I64{0}));
      },
      "integer division by zero");
  expect_error(
      [] {
        binary(BinOp::Mod, *make_array<std::int32_t>({1, 2}), *make_array<std::int32_t>({1, 0}));
      },
      "integer division by zero");
}

TEST(Scalar, FloatFloorDivAndModAreIeeeWithPythonsSigns) {
  EXPECT_EQ(floordiv_float(7.5, 2.0), 3.0);
  EXPECT_EQ(floordiv_float(-7.5, 2.0), -4.0);
  EXPECT_EQ(mod_float(-7.5, 2.0), 0.5);
  EXPECT_EQ(mod_float(7.5, -2.0), -0.5);
  EXPECT_TRUE(std::signbit(mod_float(-4.0, 2.0)) == false);
  EXPECT_TRUE(std::signbit(mod_float(4.0, -2.0)));
  EXPECT_EQ(floordiv_float(1.0, 0.0), std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(mod_float(1.0, 0.0)));
  EXPECT_EQ(binary(BinOp::Div, Value(1.0), Value(0.0)).f64,
            std::numeric_limits<double>::infinity());
}

TEST(Scalar, Powers) {
  EXPECT_EQ(ipow(I64{3}, I64{4}), 81);
  EXPECT_EQ(ipow(I64{0}, I64{0}), 1);
  EXPECT_EQ(ipow(I64{-2}, I64{63}), kMin);
  EXPECT_EQ(ipow(I64{3}, I64{64}), I64{8733086111712066817});  // 3**64 mod 2**64
  expect_error([] { ipow(I64{2}, I64{-1}); }, "negative exponent");
  EXPECT_EQ(binary(BinOp::Pow, Value(2.0), Value(0.5)).f64, std::sqrt(2.0));
}

TEST(Scalar, Shifts) {
  EXPECT_EQ(shl(I64{1}, I64{62}), I64{1} << 62);
  EXPECT_EQ(shl(I64{1}, I64{63}), kMin);
  EXPECT_EQ(shl(I64{1}, I64{64}), 0);
  EXPECT_EQ(shr(I64{-8}, I64{1}), -4);
  EXPECT_EQ(shr(I64{-8}, I64{100}), -1);
  EXPECT_EQ(shr(I64{8}, I64{100}), 0);
  expect_error([] { shl(I64{1}, I64{-1}); }, "negative shift count");
}

TEST(Scalar, Conversions) {
  EXPECT_EQ(convert_scalar<I64>(2.9), 2);
  EXPECT_EQ(convert_scalar<I64>(-2.9), -2);
  EXPECT_EQ(convert_scalar<I64>(std::nan("")), 0);
  EXPECT_EQ(convert_scalar<I64>(1e300), kMax);
  EXPECT_EQ(convert_scalar<I64>(-1e300), kMin);
  EXPECT_EQ(convert_scalar<std::int32_t>(I64{1} << 32 | 5), 5);
  EXPECT_EQ(convert_scalar<double>(I64{3}), 3.0);
  EXPECT_EQ(convert_scalar<bool>(0.5), true);
}

TEST(Elementwise, SameShape) {
  ArrayRef a = make_array<double>({1, 2, 3});
  ArrayRef b = make_array<double>({10, 20, 30});
  EXPECT_EQ(to_vector<double>(*binary(BinOp::Add, *a, *b)), (std::vector<double>{11, 22, 33}));
  EXPECT_EQ(to_vector<double>(*binary(BinOp::Sub, *a, *b)), (std::vector<double>{-9, -18, -27}));
  ArrayRef lt = binary(BinOp::Lt, *a, Value(2.0));
  EXPECT_EQ(lt->elem, Elem::Bool);
  EXPECT_EQ(to_vector<bool>(*lt), (std::vector<bool>{true, false, false}));
}

TEST(Elementwise, ScalarBroadcasts) {
  ArrayRef a = make_array<I64>({1, 2, 3});
  EXPECT_EQ(to_vector<I64>(*binary(BinOp::Mul, *a, Value(I64{2}))), (std::vector<I64>{2, 4, 6}));
  EXPECT_EQ(to_vector<I64>(*binary(BinOp::Sub, Value(I64{10}), *a)), (std::vector<I64>{9, 8, 7}));
  ArrayRef d = binary(BinOp::Div, *a, Value(I64{2}));
  EXPECT_EQ(d->elem, Elem::F64);  // `/` is true division
  EXPECT_EQ(to_vector<double>(*d), (std::vector<double>{0.5, 1, 1.5}));
}

TEST(Elementwise, RowBroadcastsAcrossMatrixRows) {
  ArrayRef m = make_matrix<double>({{1, 2, 3}, {4, 5, 6}});
  ArrayRef r = make_array<double>({10, 20, 30});
  ArrayRef s = binary(BinOp::Add, *m, *r);
  EXPECT_EQ(s->rank, 2);
  EXPECT_EQ(to_vector<double>(*s), (std::vector<double>{11, 22, 33, 14, 25, 36}));
  EXPECT_EQ(to_vector<double>(*binary(BinOp::Sub, *r, *m)),
            (std::vector<double>{9, 18, 27, 6, 15, 24}));
  // A column (m x 1) stretches across columns, numpy's rule.
  ArrayRef c = make_matrix<double>({{100}, {200}});
  EXPECT_EQ(to_vector<double>(*binary(BinOp::Add, *m, *c)),
            (std::vector<double>{101, 102, 103, 204, 205, 206}));
  // Views with strides: the transpose of a 3 x 2.
  ArrayRef t = transpose(*make_matrix<double>({{1, 4}, {2, 5}, {3, 6}}));
  EXPECT_EQ(to_vector<double>(*binary(BinOp::Mul, *t, *m)),
            (std::vector<double>{1, 4, 9, 16, 25, 36}));
}

TEST(Elementwise, ShapeMismatch) {
  expect_error([] { binary(BinOp::Add, *zeros(3), *zeros(4)); }, "shape mismatch: (3,) and (4,)");
  expect_error([] { binary(BinOp::Add, *zeros(Shape(2, 3)), *zeros(4)); },
               "shape mismatch: (2, 3) and (4,)");
  expect_error([] { binary(BinOp::Add, *zeros(Shape(2, 3)), *zeros(Shape(3, 2))); },
               "shape mismatch: (2, 3) and (3, 2)");
  expect_error([] { store(*zeros(3), StoreOp::Set, *zeros(Shape(2, 3))); }, "shape mismatch");
}

TEST(Elementwise, IntegerArraysWrap) {
  ArrayRef a = make_array<I64>({kMax, kMin, -7});
  EXPECT_EQ(to_vector<I64>(*binary(BinOp::Add, *a, Value(I64{1}))),
            (std::vector<I64>{kMin, kMin + 1, -6}));
  EXPECT_EQ(to_vector<I64>(*unary(UnOp::Neg, *a)), (std::vector<I64>{kMin + 1, kMin, 7}));
  EXPECT_EQ(to_vector<I64>(*unary(UnOp::Abs, *a)), (std::vector<I64>{kMax, kMin, 7}));
  EXPECT_EQ(to_vector<I64>(*binary(BinOp::FloorDiv, *a, Value(I64{2}))),
            (std::vector<I64>{kMax / 2, kMin / 2, -4}));
  EXPECT_EQ(to_vector<I64>(*binary(BinOp::Mod, *a, Value(I64{-3}))),
            (std::vector<I64>{mod(kMax, I64{-3}), mod(kMin, I64{-3}), -1}));
  EXPECT_EQ(to_vector<I64>(*unary(UnOp::BitNot, *a)), (std::vector<I64>{kMin, kMax, 6}));
}

TEST(Elementwise, BoolOperators) {
  ArrayRef p = make_array<bool>({true, true, false});
  ArrayRef q = make_array<bool>({true, false, false});
  EXPECT_EQ(to_vector<bool>(*binary(BinOp::BitAnd, *p, *q)),
            (std::vector<bool>{true, false, false}));
  EXPECT_EQ(to_vector<bool>(*binary(BinOp::BitXor, *p, *q)),
            (std::vector<bool>{false, true, false}));
  EXPECT_EQ(to_vector<bool>(*unary(UnOp::Not, *p)), (std::vector<bool>{false, false, true}));
  expect_error([&] { binary(BinOp::Add, *p, *q); }, "operator + is not defined for bool");
}

TEST(Elementwise, MathFunctions) {
  ArrayRef a = make_array<double>({0.0, 1.0, 4.0});
  EXPECT_EQ(to_vector<double>(*unary(UnOp::Sqrt, *a)), (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(to_vector<double>(*unary(UnOp::Exp, *a))[1], std::exp(1.0));
  EXPECT_EQ(to_vector<double>(*unary(UnOp::Sigmoid, *a))[0], 0.5);
  EXPECT_EQ(to_vector<double>(*unary(UnOp::Floor, *make_array<double>({-1.5, 2.5}))),
            (std::vector<double>{-2, 2}));
  ArrayRef f = make_array<float>({1.0f, 4.0f});
  ArrayRef r = unary(UnOp::Sqrt, *f);
  EXPECT_EQ(r->elem, Elem::F32);
  EXPECT_EQ(to_vector<float>(*r), (std::vector<float>{1, 2}));
  double nan = std::nan("");
  ArrayRef mn =
      binary(BinOp::Min, *make_array<double>({1, nan, 5}), *make_array<double>({2, 0, 3}));
  std::vector<double> v = to_vector<double>(*mn);
  EXPECT_EQ(v[0], 1);
  EXPECT_TRUE(std::isnan(v[1]));  // min and max propagate nan
  EXPECT_EQ(v[2], 3);
}

TEST(Elementwise, WhereAndClip) {
  ArrayRef c = make_array<bool>({true, false, true});
  EXPECT_EQ(to_vector<double>(*where(*c, *make_array<double>({1, 2, 3}), Value(0.0))),
            (std::vector<double>{1, 0, 3}));
  EXPECT_EQ(to_vector<I64>(*clip(*make_array<I64>({-5, 5, 50}), Value(I64{0}), Value(I64{10}))),
            (std::vector<I64>{0, 5, 10}));
  ArrayRef m = make_matrix<double>({{1, 2}, {3, 4}});
  EXPECT_EQ(to_vector<double>(*where(*make_array<bool>({true, false}), *m, Value(-1.0))),
            (std::vector<double>{1, -1, 3, -1}));
}

TEST(Elementwise, Conversions) {
  ArrayRef a = make_array<double>({1.9, -1.9, 1e20});
  EXPECT_EQ(to_vector<I64>(*convert(*a, Elem::I64)), (std::vector<I64>{1, -1, kMax}));
  EXPECT_EQ(to_vector<std::int32_t>(*convert(*a, Elem::I32)),
            (std::vector<std::int32_t>{1, -1, 2147483647}));
  ArrayRef f = convert(*make_array<I64>({1, 2}), Elem::F32);
  EXPECT_EQ(f->elem, Elem::F32);
  EXPECT_EQ(to_vector<float>(*f), (std::vector<float>{1, 2}));
}

TEST(Elementwise, StoreInPlace) {
  ArrayRef out = zeros(4);
  store(*out, StoreOp::Set, *make_array<double>({1, 2, 3, 4}));
  store(*out, StoreOp::Add, Value(10.0));
  EXPECT_EQ(to_vector<double>(*out), (std::vector<double>{11, 12, 13, 14}));
  store(*slice(*out, 1, 3), StoreOp::Mul, *make_array<double>({2, 3}));
  EXPECT_EQ(to_vector<double>(*out), (std::vector<double>{11, 24, 39, 14}));
  store(*out, StoreOp::Div, Value(2.0));
  EXPECT_EQ(to_vector<double>(*out), (std::vector<double>{5.5, 12, 19.5, 7}));
  ArrayRef m = zeros(Shape(2, 3));
  store(*m, StoreOp::Set, *make_array<double>({1, 2, 3}));  // a row across both rows
  EXPECT_EQ(to_vector<double>(*m), (std::vector<double>{1, 2, 3, 1, 2, 3}));
  store(*column(*m, 1), StoreOp::Sub, Value(5.0));
  EXPECT_EQ(to_vector<double>(*m), (std::vector<double>{1, -3, 3, 1, -3, 3}));
  expect_error([] { store(*zeros(2, Elem::I64), StoreOp::Add, Value(1.0)); },
               "different element types");
}

TEST(Elementwise, OverlappingStoreActsAsIfCopiedFirst) {
  ArrayRef a = make_array<I64>({1, 2, 3, 4, 5});
  // a[1:5] = a[0:4]: numpy gives [1 1 2 3 4].
  store(*slice(*a, 1, 5), StoreOp::Set, *slice(*a, 0, 4));
  EXPECT_EQ(to_vector<I64>(*a), (std::vector<I64>{1, 1, 2, 3, 4}));
  ArrayRef b = make_array<I64>({1, 2, 3});
  store(*b, StoreOp::Add, *b);
  EXPECT_EQ(to_vector<I64>(*b), (std::vector<I64>{2, 4, 6}));
  // m += m.T
  ArrayRef m = make_matrix<I64>({{1, 2}, {3, 4}});
  store(*m, StoreOp::Add, *transpose(*m));
  EXPECT_EQ(to_vector<I64>(*m), (std::vector<I64>{2, 5, 5, 8}));
}

}  // namespace
}  // namespace kestrel::rt
