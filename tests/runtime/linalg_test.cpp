// Matrix products against a naive triple loop, on dense and strided views.
#include "runtime/linalg.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "runtime/random.hpp"
#include "runtime/reduce.hpp"
#include "tests/runtime/expect_error.hpp"

namespace kestrel::rt {
namespace {

double naive(const Array& a, const Array& b, std::int64_t i, std::int64_t j) {
  double acc = 0;
  for (std::int64_t k = 0; k < a.shape[1]; ++k) {
    acc += a.at<double>(i, k) * b.at<double>(k, j);
  }
  return acc;
}

void expect_product(const Array& a, const Array& b) {
  ArrayRef c = matmul(a, b);
  ASSERT_EQ(c->shape[0], a.shape[0]);
  ASSERT_EQ(c->shape[1], b.shape[1]);
  for (std::int64_t i = 0; i < a.shape[0]; ++i) {
    for (std::int64_t j = 0; j < b.shape[1]; ++j) {
      EXPECT_NEAR(c->at<double>(i, j), naive(a, b, i, j), 1e-9) << i << "," << j;
    }
  }
}

TEST(Linalg, MatrixMatrix) {
  ArrayRef a = randn_array(Shape(7, 5), 1);
  ArrayRef b = randn_array(Shape(5, 3), 2);
  expect_product(*a, *b);
  ArrayRef m = make_matrix<double>({{1, 2}, {3, 4}});
  EXPECT_EQ(to_vector<double>(*matmul(*m, *transpose(*m))), (std::vector<double>{5, 11, 11, 25}));
}

TEST(Linalg, StridedViews) {
  ArrayRef big = randn_array(Shape(9, 8), 3);
  SliceArg block[] = {SliceArg::range(1, 6), SliceArg::range(2, 7)};
  ArrayRef a = slice(*big, block);                       // rows dense, outer stride 8
  ArrayRef b = transpose(*randn_array(Shape(4, 5), 4));  // columns dense
  expect_product(*a, *b);
  expect_product(*transpose(*a), *transpose(*a));
  // Neither dimension dense: every other column of every other row.
  Array odd = *big;
  odd.shape[0] = 4;
  odd.shape[1] = 4;
  odd.strides[0] = 16;
  odd.strides[1] = 2;
  expect_product(odd, *transpose(odd));
}

TEST(Linalg, MatrixVectorAndVectorMatrix) {
  ArrayRef m = make_matrix<double>({{1, 2, 3}, {4, 5, 6}});
  ArrayRef v = make_array<double>({1, 0, -1});
  ArrayRef mv = matmul(*m, *v);
  EXPECT_EQ(mv->rank, 1);
  EXPECT_EQ(to_vector<double>(*mv), (std::vector<double>{-2, -2}));
  ArrayRef w = make_array<double>({1, 1});
  ArrayRef vm = matmul(*w, *m);
  EXPECT_EQ(vm->rank, 1);
  EXPECT_EQ(to_vector<double>(*vm), (std::vector<double>{5, 7, 9}));
  EXPECT_EQ(matmul_vv(*v, *v), Value(2.0));
  EXPECT_EQ(matmul_vv(*v, *v), dot(*v, *v));
  ArrayRef f = matmul(*make_matrix<float>({{1, 2}, {3, 4}}), *make_array<float>({1, 1}));
  EXPECT_EQ(f->elem, Elem::F32);
  EXPECT_EQ(to_vector<float>(*f), (std::vector<float>{3, 7}));
}

TEST(Linalg, IntegerProductsWrap) {
  ArrayRef a = make_matrix<std::int64_t>({{1, 2}, {3, 4}});
  EXPECT_EQ(to_vector<std::int64_t>(*matmul(*a, *a)), (std::vector<std::int64_t>{7, 10, 15, 22}));
  ArrayRef big = make_matrix<std::int64_t>({{INT64_MAX, 1}});
  ArrayRef col = make_matrix<std::int64_t>({{2}, {2}});
  EXPECT_EQ(to_vector<std::int64_t>(*matmul(*big, *col)), (std::vector<std::int64_t>{0}));
}

TEST(Linalg, ShapeErrors) {
  expect_error([] { matmul(*zeros(Shape(2, 3)), *zeros(Shape(4, 2))); },
               "matmul shape mismatch: (2, 3) @ (4, 2)");
  expect_error([] { matmul(*zeros(Shape(2, 3)), *zeros(2)); },
               "matmul shape mismatch: (2, 3) @ (2,)");
  expect_error([] { matmul_vv(*zeros(2), *zeros(3)); }, "matmul shape mismatch: (2,) @ (3,)");
}

}  // namespace
}  // namespace kestrel::rt
