// Large elementwise operations run their blocks on every core (runtime/parallel.hpp's
// over-threshold path in elementwise.cpp): the results must be those of the one-thread run,
// element for element, for vectors, matrices split by rows, broadcasts, strided and transposed
// views, in-place stores; and an error raised in a late block is reported once.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "runtime/array.hpp"
#include "runtime/elementwise.hpp"
#include "runtime/parallel.hpp"
#include "tests/runtime/expect_error.hpp"

namespace kestrel::rt {
namespace {

using I64 = std::int64_t;

class ParallelElementwise : public ::testing::Test {
 protected:
  void TearDown() override { set_threads(0); }
};

// Deterministic, irregular values (so an element computed from the wrong position shows).
ArrayRef values(Shape shape, double scale) {
  ArrayRef a = alloc(shape, Elem::F64);
  auto* p = a->ptr<double>();
  I64 n = shape.size();
  for (I64 k = 0; k < n; ++k) {
    p[k] = std::sin(static_cast<double>(k) * scale) * 1e3;
  }
  return a;
}

bool same_bits(const Array& a, const Array& b) {
  if (a.rank != b.rank || a.shape[0] != b.shape[0] || (a.rank == 2 && a.shape[1] != b.shape[1])) {
    return false;
  }
  I64 rows = a.rank == 2 ? a.shape[0] : 1;
  I64 cols = a.rank == 2 ? a.shape[1] : a.shape[0];
  for (I64 i = 0; i < rows; ++i) {
    for (I64 j = 0; j < cols; ++j) {
      double x = a.rank == 2 ? a.at<double>(i, j) : a.at<double>(j);
      double y = b.rank == 2 ? b.at<double>(i, j) : b.at<double>(j);
      if (std::memcmp(&x, &y, sizeof x) != 0) {
        return false;
      }
    }
  }
  return true;
}

// f() at 1 thread and at 2 and 8 threads gives the same bits.
template <class F>
void expect_thread_count_invariant(F f) {
  set_threads(1);
  ArrayRef one = f();
  for (int t : {2, 8}) {
    set_threads(t);
    ArrayRef many = f();
    EXPECT_TRUE(same_bits(*one, *many)) << t << " threads";
  }
}

TEST_F(ParallelElementwise, VectorsAboveTheThresholdMatchOneThread) {
  // Not a multiple of the chunk, so the last block is partial.
  I64 n = kParallelElementwiseThreshold * 3 + 12345;
  ArrayRef a = values(Shape(n), 0.37);
  ArrayRef b = values(Shape(n), 1.91);
  expect_thread_count_invariant([&] { return binary(BinOp::Mul, *a, *b); });
  expect_thread_count_invariant([&] { return binary(BinOp::Add, *a, Value(2.5)); });
  expect_thread_count_invariant([&] { return unary(UnOp::Sigmoid, *a); });
  expect_thread_count_invariant([&] { return clip(*a, Value(-10.0), *b); });
  // The values are the scalar operation's, element for element.
  set_threads(2);
  ArrayRef s = binary(BinOp::Sub, *a, *b);
  for (I64 k : {I64{0}, kElementwiseChunk - 1, kElementwiseChunk, n / 2, n - 1}) {
    EXPECT_EQ(s->at<double>(k), a->at<double>(k) - b->at<double>(k)) << k;
  }
}

TEST_F(ParallelElementwise, MatricesSplitByRowsWithBroadcastsAndViews) {
  ArrayRef m = values(Shape(1031, 517), 0.11);
  ArrayRef row = values(Shape(517), 0.7);
  ArrayRef col = values(Shape(1031, 1), 0.3);
  ArrayRef wide = values(Shape(3, 300001), 0.05);  // few rows, many columns
  expect_thread_count_invariant([&] { return binary(BinOp::Add, *m, *row); });
  expect_thread_count_invariant([&] { return binary(BinOp::Mul, *m, *col); });
  expect_thread_count_invariant([&] { return unary(UnOp::Exp, *transpose(*m)); });
  expect_thread_count_invariant([&] { return binary(BinOp::Div, *wide, Value(3.0)); });
  set_threads(2);
  ArrayRef r = binary(BinOp::Add, *m, *row);
  EXPECT_EQ(r->at<double>(1030, 516), m->at<double>(1030, 516) + row->at<double>(516));
  EXPECT_EQ(r->at<double>(517, 3), m->at<double>(517, 3) + row->at<double>(3));
}

TEST_F(ParallelElementwise, InPlaceStoresIncludingOverlappingViews) {
  I64 n = kParallelElementwiseThreshold * 2 + 7;
  ArrayRef base = values(Shape(n), 0.9);
  expect_thread_count_invariant([&] {
    ArrayRef t = copy(*base);
    store(*t, StoreOp::Add, Operand(*base));
    // A shifted view of the same buffer: as if the right-hand side were copied first.
    ArrayRef head = slice(*t, 0, n - 1);
    ArrayRef tail = slice(*t, 1, n);
    store(*tail, StoreOp::Set, Operand(*head));
    return t;
  });
}

TEST_F(ParallelElementwise, AnErrorInALateBlockIsReportedOnce) {
  I64 n = kParallelElementwiseThreshold * 2;
  ArrayRef a = arange(0, n, 1, Elem::I64);
  ArrayRef d = full(Shape(n), Value(I64{3}), Elem::I64);
  d->at<I64>(n - 5) = 0;
  for (int t : {1, 2, 8}) {
    set_threads(t);
    I64 before = live_buffers();
    expect_error([&] { binary(BinOp::FloorDiv, *a, *d); }, "integer division by zero");
    EXPECT_EQ(live_buffers(), before) << t << " threads";
  }
}

TEST_F(ParallelElementwise, FreedLargeBlocksDoNotChangeTheCounters) {
  // Large blocks are kept for reuse (array.cpp's block cache); the live counters count arrays in
  // use, not blocks kept, and a reused block reads as zeros through zeros().
  I64 before_buffers = live_buffers();
  I64 before_bytes = live_bytes();
  for (int k = 0; k < 10; ++k) {
    ArrayRef a = full(Shape(I64{1} << 18), Value(7.0), Elem::F64);
    EXPECT_EQ(live_bytes(), before_bytes + (I64{1} << 21));
  }
  ArrayRef z = zeros(Shape(I64{1} << 18));
  EXPECT_EQ(z->at<double>(12345), 0.0);
  z = ArrayRef();
  EXPECT_EQ(live_buffers(), before_buffers);
  EXPECT_EQ(live_bytes(), before_bytes);
}

}  // namespace
}  // namespace kestrel::rt
