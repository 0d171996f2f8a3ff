// Reductions: values against naive loops, the fixed chunked order, axis reductions, errors.
#include "runtime/reduce.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <vector>

#include "runtime/elementwise.hpp"
#include "runtime/random.hpp"
#include "runtime/rules/philox.hpp"
#include "tests/runtime/expect_error.hpp"

namespace kestrel::rt {
namespace {

using I64 = std::int64_t;

// The documented order, written out plainly: chunk sums left to right, then the pairwise tree.
double reference_sum(const std::vector<double>& x) {
  std::vector<double> partials;
  for (std::size_t lo = 0; lo < x.size(); lo += kReduceChunk) {
    double acc = 0;
    for (std::size_t k = lo; k < std::min(x.size(), lo + static_cast<std::size_t>(kReduceChunk));
         ++k) {
      acc += x[k];
    }
    partials.push_back(acc);
  }
  if (partials.empty()) {
    return 0;
  }
  while (partials.size() > 1) {
    std::vector<double> next;
    for (std::size_t k = 0; k + 1 < partials.size(); k += 2) {
      next.push_back(partials[k] + partials[k + 1]);
    }
    if (partials.size() % 2) {
      next.push_back(partials.back());
    }
    partials = next;
  }
  return partials[0];
}

TEST(Reduce, SmallArraysMatchNaiveLoops) {
  ArrayRef a = make_array<double>({3, -1, 4, 1, -5, 9});
  EXPECT_EQ(sum(*a), Value(11.0));
  EXPECT_EQ(mean(*a), Value(11.0 / 6));
  EXPECT_EQ(min(*a), Value(-5.0));
  EXPECT_EQ(max(*a), Value(9.0));
  EXPECT_EQ(argmin(*a), Value(I64{4}));
  EXPECT_EQ(argmax(*a), Value(I64{5}));
  ArrayRef i = make_array<std::int32_t>({5, 2, 5});
  EXPECT_EQ(sum(*i), Value(I64{12}));
  EXPECT_EQ(mean(*i), Value(4.0));
  EXPECT_EQ(max(*i), Value(std::int32_t{5}));
  EXPECT_EQ(argmax(*i), Value(I64{0}));  // the first of equal extremes
  ArrayRef b = make_array<bool>({true, false, true});
  EXPECT_EQ(count(*b), Value(I64{2}));
  EXPECT_EQ(any(*b), Value(true));
  EXPECT_EQ(all(*b), Value(false));
  EXPECT_EQ(sum(*b), Value(I64{2}));
  EXPECT_EQ(dot(*make_array<double>({1, 2, 3}), *make_array<double>({4, 5, 6})), Value(32.0));
  EXPECT_EQ(dot(*make_array<I64>({1, 2}), *make_array<I64>({3, 4})), Value(I64{11}));
}

TEST(Reduce, EmptyArrays) {
  ArrayRef e = zeros(0);
  EXPECT_EQ(sum(*e), Value(0.0));
  EXPECT_TRUE(std::isnan(mean(*e).f64));
  EXPECT_EQ(all(*zeros(0, Elem::Bool)), Value(true));
  expect_error([&] { min(*e); }, "min of an empty array");
  expect_error([&] { argmax(*e); }, "argmax of an empty array");
  expect_error([] { reduce_axis(ReduceOp::Max, *zeros(Shape(0, 3)), 0); }, "max of an empty array");
}

TEST(Reduce, NanPropagatesThroughMinMaxAndArgmin) {
  double nan = std::nan("");
  ArrayRef a = make_array<double>({1, nan, -3});
  EXPECT_TRUE(std::isnan(min(*a).f64));
  EXPECT_TRUE(std::isnan(max(*a).f64));
  EXPECT_EQ(argmin(*a), Value(I64{1}));
}

TEST(Reduce, SumFollowsTheDocumentedOrder) {
  for (std::int64_t n : {1, 4095, 4096, 4097, 3 * 4096 + 17, 5 * 4096, 100003}) {
    ArrayRef a = binary(BinOp::Mul, *randn_array(Shape(n), n), Value(1e6));
    std::vector<double> x = to_vector<double>(*a);
    EXPECT_EQ(sum(*a).f64, reference_sum(x)) << n;
    // Through a strided view holding the same data, and as a matrix: the same bits.
    ArrayRef twice = zeros(2 * n);
    for (std::int64_t k = 0; k < n; ++k) {
      twice->at<double>(2 * k) = x[static_cast<std::size_t>(k)];
    }
    Array strided = *twice;  // a view with stride 2 (not owned: refs stay balanced below)
    strided.shape[0] = n;
    strided.strides[0] = 2;
    EXPECT_EQ(sum(strided).f64, reference_sum(x)) << n;
  }
}

TEST(Reduce, MatrixSumIsRowMajorOrderWhateverTheLayout) {
  ArrayRef m = binary(BinOp::Mul, *randn_array(Shape(300, 70), 1), Value(1e3));
  std::vector<double> x = to_vector<double>(*m);
  double expected = reference_sum(x);
  EXPECT_EQ(sum(*m).f64, expected);
  // The same logical matrix stored column-major (the transpose of a contiguous transpose).
  ArrayRef t = copy(*transpose(*m));
  EXPECT_EQ(sum(*transpose(*t)).f64, expected);
}

TEST(Reduce, AxisReductions) {
  ArrayRef m = make_matrix<double>({{1, 2, 3}, {4, 5, 6}});
  EXPECT_EQ(to_vector<double>(*reduce_axis(ReduceOp::Sum, *m, 0)), (std::vector<double>{5, 7, 9}));
  EXPECT_EQ(to_vector<double>(*reduce_axis(ReduceOp::Sum, *m, 1)), (std::vector<double>{6, 15}));
  EXPECT_EQ(to_vector<double>(*reduce_axis(ReduceOp::Mean, *m, 1)), (std::vector<double>{2, 5}));
  EXPECT_EQ(to_vector<I64>(*reduce_axis(ReduceOp::Argmax, *m, 0)), (std::vector<I64>{1, 1, 1}));
  ArrayRef im = make_matrix<I64>({{1, 9}, {7, 3}});
  ArrayRef mx = reduce_axis(ReduceOp::Max, *im, 1);
  EXPECT_EQ(mx->elem, Elem::I64);
  EXPECT_EQ(to_vector<I64>(*mx), (std::vector<I64>{9, 7}));
  ArrayRef s = reduce_axis(ReduceOp::Sum, *make_matrix<std::int32_t>({{1, 2}, {3, 4}}), 0);
  EXPECT_EQ(s->elem, Elem::I64);
  EXPECT_EQ(to_vector<I64>(*s), (std::vector<I64>{4, 6}));
  ArrayRef bm = make_matrix<bool>({{true, false}, {true, true}});
  EXPECT_EQ(to_vector<I64>(*reduce_axis(ReduceOp::Count, *bm, 0)), (std::vector<I64>{2, 1}));
  EXPECT_EQ(to_vector<bool>(*reduce_axis(ReduceOp::All, *bm, 1)), (std::vector<bool>{false, true}));
  EXPECT_EQ(to_vector<double>(*dot(*m, *m, 1)), (std::vector<double>{14, 77}));
  EXPECT_EQ(to_vector<double>(*dot(*m, *m, 0)), (std::vector<double>{17, 29, 45}));
}

TEST(Reduce, AxisLinesReduceLikeVectors) {
  ArrayRef m = randn_array(Shape(5000, 3), 11);
  ArrayRef cols = reduce_axis(ReduceOp::Sum, *m, 0);
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(cols->at<double>(j), sum(*copy(*column(*m, j))).f64);
    EXPECT_EQ(cols->at<double>(j), reference_sum(to_vector<double>(*column(*m, j))));
  }
}

// axis=0 of a matrix with contiguous rows adds every column at once, row by row, up to eight
// columns side by side (reduce.cpp's column_sums): each column must still get the bits of that
// column reduced alone, for every width (1 to 17 columns: each block width and a remainder),
// across chunk boundaries, and for each element type's accumulator (f64; f32 widened to f64;
// integers in i64 for sum, f64 for mean; bools).
TEST(Reduce, AxisZeroOfContiguousRowsGivesEachColumnsOwnBits) {
  for (std::int64_t cols = 1; cols <= 17; ++cols) {
    for (std::int64_t rows : {1, 4097, 2 * 4096 + 3}) {
      ArrayRef m = binary(BinOp::Mul, *randn_array(Shape(rows, cols), rows + cols), Value(1e6));
      for (Elem e : {Elem::F64, Elem::F32, Elem::I32, Elem::Bool}) {
        ArrayRef typed = convert(*m, e);
        for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Mean}) {
          ArrayRef got = reduce_axis(op, *typed, 0);
          for (std::int64_t j = 0; j < cols; ++j) {
            Value alone = reduce(op, *copy(*column(*typed, j)));
            ASSERT_EQ(alone.elem, got->elem);
            bool same = got->elem == Elem::F64 ? std::bit_cast<I64>(got->at<double>(j)) ==
                                                     std::bit_cast<I64>(alone.f64)
                        : got->elem == Elem::F32 ? std::bit_cast<std::int32_t>(got->at<float>(j)) ==
                                                       std::bit_cast<std::int32_t>(alone.f32)
                                                 : got->at<I64>(j) == alone.i64;
            EXPECT_TRUE(same) << "cols " << cols << " rows " << rows << " elem " << elem_name(e)
                              << " op " << static_cast<int>(op) << " column " << j;
          }
        }
      }
    }
  }
}

TEST(Reduce, F32SumsAccumulateInF32) {
  ArrayRef a = full(Shape(3), Value(0.1f), Elem::F32);
  Value s = sum(*a);
  EXPECT_EQ(s.elem, Elem::F32);
  EXPECT_EQ(s.f32, 0.1f + 0.1f + 0.1f);
}

TEST(Reduce, IntegerMeanSumsInF64InTheDocumentedOrder) {
  // Large values do not wrap (an i64 sum would), and the sum follows the chunked order.
  constexpr I64 kBig = 9223372036854775807;
  ArrayRef a = full(Shape(3), Value(kBig), Elem::I64);
  Value m = mean(*a);
  EXPECT_EQ(m.elem, Elem::F64);
  EXPECT_EQ(m.f64, static_cast<double>(kBig));
  std::vector<double> x;
  ArrayRef b = alloc(Shape(3 * kReduceChunk + 5), Elem::I64);
  for (I64 k = 0; k < b->size(); ++k) {
    b->at<I64>(k) = (k * 7919) % 1000003 * 1000000007;
    x.push_back(static_cast<double>(b->at<I64>(k)));
  }
  EXPECT_EQ(mean(*b).f64, reference_sum(x) / static_cast<double>(x.size()));
  ArrayRef column = full(Shape(2, 1), Value(kBig), Elem::I64);
  EXPECT_EQ(reduce_axis(ReduceOp::Mean, *column, 0)->at<double>(0), static_cast<double>(kBig));
}

TEST(Reduce, CombineTree) {
  std::vector<int> p{1, 2, 3, 4, 5};
  std::vector<std::string> names{"a", "b", "c", "d", "e"};
  auto tree = combine_tree<std::string>(
      names, std::string(),
      [](const std::string& x, const std::string& y) { return "(" + x + y + ")"; });
  EXPECT_EQ(tree, "(((ab)(cd))e)");
  EXPECT_EQ(combine_tree<int>(p, 0, [](int x, int y) { return x + y; }), 15);
}

TEST(Reduce, Errors) {
  expect_error([] { dot(*zeros(3), *zeros(4)); }, "shape mismatch: (3,) and (4,)");
  expect_error([] { reduce_axis(ReduceOp::Sum, *zeros(3), 0); }, "needs a matrix");
}

}  // namespace
}  // namespace kestrel::rt
