// Boolean masks and integer-array indexing (runtime/fancy_index.hpp): a large gather and scatter
// against a plain loop, numpy's buffered `+=` with repeated indices, copies not views, strided
// views, and the errors.
#include "runtime/fancy_index.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tests/runtime/expect_error.hpp"

namespace kestrel::rt {
namespace {

using I64 = std::int64_t;

template <class T>
std::vector<T> values(const Array& a) {
  std::vector<T> out;
  for (I64 i = 0; i < a.shape[0]; ++i) {
    for (I64 j = 0; j < a.shape[1]; ++j) {
      out.push_back(a.at<T>(i, j));
    }
  }
  return out;
}

TEST(FancyIndex, LargeMaskAndIndexGatherMatchALoop) {
  const I64 n = 100003;
  ArrayRef a = arange(0, n, 1, Elem::I64);
  ArrayRef mask = alloc(Shape(n), Elem::Bool);
  ArrayRef idx = alloc(Shape(n / 2), Elem::I64);
  std::vector<I64> want_mask;
  std::vector<I64> want_idx;
  for (I64 i = 0; i < n; ++i) {
    bool keep = (i * 7919) % 13 < 5;
    mask->at<bool>(i) = keep;
    if (keep) {
      want_mask.push_back(i);
    }
  }
  for (I64 k = 0; k < n / 2; ++k) {
    I64 v = (k * 104729) % (2 * n) - n;  // in [-n, n): negative ones wrap
    idx->at<I64>(k) = v;
    want_idx.push_back(v < 0 ? v + n : v);
  }
  EXPECT_EQ(values<I64>(*fancy_get(*a, *mask)), want_mask);
  EXPECT_EQ(values<I64>(*fancy_get(*a, *idx)), want_idx);
}

TEST(FancyIndex, RepeatedIndicesLastStoreWinsAndAddIsBuffered) {
  ArrayRef a = zeros(Shape(4), Elem::F64);
  ArrayRef idx = make_array<I64>({1, 1, 3, -1});
  fancy_set(*a, *idx, StoreOp::Add, Operand(Value(2.5)));
  EXPECT_EQ(values<double>(*a), (std::vector<double>{0, 2.5, 0, 2.5}));
  ArrayRef v = make_array<double>({1, 2, 3, 4});
  fancy_set(*a, *idx, StoreOp::Set, Operand(*v));
  EXPECT_EQ(values<double>(*a), (std::vector<double>{0, 2, 0, 4}));
}

TEST(FancyIndex, ResultsAreCopiesAndViewsAreWalkedByStrides) {
  ArrayRef m = make_matrix<std::int32_t>({{1, 2, 3}, {4, 5, 6}});
  ArrayRef t = transpose(*m);  // [[1 4] [2 5] [3 6]]
  ArrayRef rows = fancy_get(*t, *make_array<I64>({2, 0}));
  EXPECT_EQ(rows->rank, 2);
  EXPECT_EQ(values<std::int32_t>(*rows), (std::vector<std::int32_t>{3, 6, 1, 4}));
  rows->at<std::int32_t>(0, 0) = 100;
  EXPECT_EQ(m->at<std::int32_t>(0, 2), 3);
  ArrayRef mask2 = make_matrix<bool>({{false, true}, {true, false}, {true, true}});
  EXPECT_EQ(values<std::int32_t>(*fancy_get(*t, *mask2)), (std::vector<std::int32_t>{4, 2, 3, 6}));
  fancy_set(*t, *mask2, StoreOp::Mul, Operand(Value(std::int32_t{10})));
  EXPECT_EQ(values<std::int32_t>(*m), (std::vector<std::int32_t>{1, 20, 30, 40, 5, 60}));
  // a value that shares the target's buffer is read before any write
  ArrayRef a = make_array<I64>({1, 2, 3});
  fancy_set(*a, *make_array<I64>({2, 1, 0}), StoreOp::Set, Operand(*a));
  EXPECT_EQ(values<I64>(*a), (std::vector<I64>{3, 2, 1}));
}

TEST(FancyIndex, Errors) {
  ArrayRef a = make_array<I64>({1, 2, 3});
  expect_error(
      [&] {
        fancy_get(*a, *make_array<bool>({true, false}));
      },
      "size of axis is 3 but size of corresponding boolean axis is 2");
  expect_error(
      [&] {
        fancy_get(*a, *make_array<I64>({0, 2, -4}));
      },
      "index -4 is out of bounds for axis 0 with size 3 (element 2 of the index array)");
  expect_error(
      [&] {
        fancy_set(*a, *make_array<bool>({true, false, true}), StoreOp::Set,
                  Operand(*make_array<I64>({1, 2, 3})));
      },
      "cannot assign 3 values to the 2 elements where the mask is true");
  expect_error([&] { fancy_get(*a, *make_array<double>({0.0})); },
               "an index array must be a 1-D array of integers or bools");
}

}  // namespace
}  // namespace kestrel::rt
