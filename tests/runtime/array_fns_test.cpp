// numpy's array functions (runtime/array_fns.hpp): large sorts against std::stable_sort, the
// stability of argsort, reshape's views, and the errors.
#include "runtime/array_fns.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "runtime/rules/philox.hpp"
#include "tests/runtime/expect_error.hpp"

namespace kestrel::rt {
namespace {

using I64 = std::int64_t;

ArrayRef fn(ArrayFn f, const Array& a, int axis = -1) {
  return array_fn_array(f, a, nullptr, axis, 0, 0, 0);
}

/// n values with many ties (k distinct) and some nans, from Philox.
std::vector<double> tied_values(I64 n, I64 k) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (I64 i = 0; i < n; ++i) {
    auto bits = static_cast<std::uint64_t>(random(7, i) * 1e9);
    v[static_cast<std::size_t>(i)] =
        bits % 97 == 0 ? std::nan("") : static_cast<double>(static_cast<I64>(bits % k)) - 5.0;
  }
  return v;
}

TEST(ArrayFns, ArgsortIsStableAndSortPutsNanLast) {
  const I64 n = 200000;
  std::vector<double> v = tied_values(n, 1000);
  ArrayRef a = from_values<double>(std::span<const double>(v), Shape(n));
  ArrayRef idx = fn(ArrayFn::Argsort, *a);
  ArrayRef s = fn(ArrayFn::Sort, *a);
  std::vector<I64> ref(static_cast<std::size_t>(n));
  std::iota(ref.begin(), ref.end(), I64{0});
  std::stable_sort(ref.begin(), ref.end(), [&](I64 x, I64 y) {
    double a1 = v[static_cast<std::size_t>(x)];
    double b1 = v[static_cast<std::size_t>(y)];
    return !std::isnan(a1) && (std::isnan(b1) || a1 < b1);
  });
  for (I64 k = 0; k < n; ++k) {
    ASSERT_EQ(idx->ptr<I64>()[k], ref[static_cast<std::size_t>(k)]) << k;
    double want = v[static_cast<std::size_t>(ref[static_cast<std::size_t>(k)])];
    double got = s->ptr<double>()[k];
    ASSERT_TRUE(std::isnan(want) ? std::isnan(got) : got == want) << k;
  }
  // unique: the sorted distinct numbers, then one nan
  ArrayRef u = fn(ArrayFn::Unique, *a);
  ASSERT_GE(u->size(), 2);
  for (I64 k = 1; k + 1 < u->size(); ++k) {
    EXPECT_LT(u->ptr<double>()[k - 1], u->ptr<double>()[k]);
  }
  EXPECT_TRUE(std::isnan(u->ptr<double>()[u->size() - 1]));
}

TEST(ArrayFns, ReshapeViewsAContiguousArrayAndCopiesAStridedOne) {
  ArrayRef a = arange(0, 12, 1, Elem::I64);
  ArrayRef m = array_fn_array(ArrayFn::Reshape, *a, nullptr, -1, 3, 4, 2);
  EXPECT_EQ(m->buffer, a->buffer);
  EXPECT_EQ(m->at<I64>(2, 1), 9);
  ArrayRef t = transpose(*m);
  ArrayRef f = array_fn_array(ArrayFn::Reshape, *t, nullptr, -1, 12, 1, 1);
  EXPECT_NE(f->buffer, a->buffer);
  EXPECT_EQ(f->ptr<I64>()[1], 4);  // column 0 of m, read row-major from m.T
  expect_error([&] { array_fn_array(ArrayFn::Reshape, *a, nullptr, -1, 5, 0, 1); },
               "cannot reshape array of size 12 into shape (5,)");
  expect_error([&] { array_fn_array(ArrayFn::Reshape, *a, nullptr, -1, -3, -4, 2); },
               "negative size -3 in reshape");
}

TEST(ArrayFns, ReductionsAlongAxes) {
  ArrayRef m = make_matrix<double>({{1, 2, 3}, {4, 5, 7}});
  EXPECT_EQ(array_fn_value(ArrayFn::Prod, *m, 0).f64, 840.0);
  EXPECT_EQ(array_fn_value(ArrayFn::Median, *m, 0).f64, 3.5);
  ArrayRef v0 = array_fn_array(ArrayFn::Var, *m, nullptr, 0, 0, 0, 0);
  EXPECT_EQ(v0->ptr<double>()[2], 4.0);
  ArrayRef c1 = fn(ArrayFn::Cumsum, *m, 1);
  EXPECT_EQ(c1->at<double>(1, 2), 16.0);
  // a huge or negative ddof leaves no degrees of freedom or many: never an overflow
  EXPECT_TRUE(std::isnan(array_fn_value(ArrayFn::Var, *m, INT64_MAX).f64));
  double tiny = array_fn_value(ArrayFn::Var, *m, INT64_MIN).f64;  // 23.33 / 2^63
  EXPECT_GT(tiny, 0.0);
  EXPECT_LT(tiny, 1e-17);
}

}  // namespace
}  // namespace kestrel::rt
