// Arrays: constructors, views sharing buffers, bounds errors, reference counts and the live
// allocation counters.
#include "runtime/array.hpp"

#include <gtest/gtest.h>

#include "runtime/elementwise.hpp"
#include "runtime/reduce.hpp"
#include "tests/runtime/expect_error.hpp"

namespace kestrel::rt {
namespace {

TEST(Array, Constructors) {
  ArrayRef z = zeros(Shape(3, 4));
  EXPECT_EQ(z->rank, 2);
  EXPECT_EQ(z->shape[0], 3);
  EXPECT_EQ(z->shape[1], 4);
  EXPECT_EQ(z->elem, Elem::F64);
  EXPECT_TRUE(z->is_contiguous());
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(z->data) % 64, 0u);
  EXPECT_EQ(to_vector<double>(*z), std::vector<double>(12, 0.0));
  EXPECT_EQ(to_vector<std::int32_t>(*ones(3, Elem::I32)), (std::vector<std::int32_t>{1, 1, 1}));
  EXPECT_EQ(to_vector<float>(*full(2, Value(2.5), Elem::F32)), (std::vector<float>{2.5f, 2.5f}));
  EXPECT_EQ(to_vector<std::int64_t>(*empty(2, Elem::I64)), (std::vector<std::int64_t>{0, 0}));
}

TEST(Array, Arange) {
  EXPECT_EQ(to_vector<double>(*arange(0, 4)), (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(to_vector<std::int64_t>(*arange(2, 9, 3, Elem::I64)),
            (std::vector<std::int64_t>{2, 5, 8}));
  EXPECT_EQ(to_vector<std::int64_t>(*arange(5, 0, -2, Elem::I64)),
            (std::vector<std::int64_t>{5, 3, 1}));
  EXPECT_EQ(arange(5, 0, 1)->size(), 0);
  expect_error([] { arange(0, 5, 0); }, "step must not be zero");
}

TEST(Array, Linspace) {
  EXPECT_EQ(to_vector<double>(*linspace(0, 1, 5)), (std::vector<double>{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(to_vector<double>(*linspace(0.1, 0.7, 7)).back(), 0.7);
  EXPECT_EQ(to_vector<double>(*linspace(3, 9, 1)), (std::vector<double>{3}));
  EXPECT_EQ(linspace(3, 9, 0)->size(), 0);
  EXPECT_EQ(linspace(0, 1, 3, Elem::F32)->elem, Elem::F32);
}

TEST(Array, NegativeSizeIsAnError) {
  expect_error([] { zeros(-1); }, "negative size -1 in zeros");
  expect_error([] { ones(Shape(2, -3)); }, "negative size -3 in ones");
}

TEST(Array, LiteralsAndCopy) {
  ArrayRef m = make_matrix<double>({{1, 2, 3}, {4, 5, 6}});
  EXPECT_EQ(m->shape[0], 2);
  EXPECT_EQ(m->shape[1], 3);
  EXPECT_EQ(get<double>(*m, 1, 2), 6);
  ArrayRef c = copy(*transpose(*m));
  EXPECT_TRUE(c->is_contiguous());
  EXPECT_EQ(to_vector<double>(*c), (std::vector<double>{1, 4, 2, 5, 3, 6}));
  set<double>(*c, 0, 0, 100.0);
  EXPECT_EQ(get<double>(*m, 0, 0), 1);  // a copy does not share
  expect_error([] { make_matrix<int64_t>({{1, 2}, {3}}); }, "differ in length");
}

TEST(Array, ViewsShareTheBuffer) {
  ArrayRef m = make_matrix<std::int64_t>({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
  ArrayRef r = row(*m, 1);
  ArrayRef c = column(*m, 2);
  ArrayRef t = transpose(*m);
  ArrayRef s = slice(*m, 1, 3);
  EXPECT_EQ(to_vector<std::int64_t>(*r), (std::vector<std::int64_t>{4, 5, 6}));
  EXPECT_EQ(to_vector<std::int64_t>(*c), (std::vector<std::int64_t>{3, 6, 9}));
  EXPECT_EQ(get<std::int64_t>(*t, 0, 2), 7);
  EXPECT_EQ(s->shape[0], 2);
  EXPECT_EQ(get<std::int64_t>(*s, 0, 0), 4);
  set<std::int64_t>(*c, 1, std::int64_t{60});
  EXPECT_EQ(get<std::int64_t>(*m, 1, 2), 60);
  EXPECT_EQ(get<std::int64_t>(*r, 2), 60);
  EXPECT_EQ(get<std::int64_t>(*t, 2, 1), 60);
  EXPECT_EQ(m->buffer->refs(), 5u);
  // m[0:2, 1:3] and m[2, 0:2].
  SliceArg block[] = {SliceArg::range(0, 2), SliceArg::range(1, kOpen)};
  EXPECT_EQ(to_vector<std::int64_t>(*slice(*m, block)), (std::vector<std::int64_t>{2, 3, 5, 60}));
  SliceArg tail[] = {SliceArg::at(2), SliceArg::range(kOpen, 2)};
  ArrayRef v = slice(*m, tail);
  EXPECT_EQ(v->rank, 1);
  EXPECT_EQ(to_vector<std::int64_t>(*v), (std::vector<std::int64_t>{7, 8}));
  // Empty slices are fine.
  EXPECT_EQ(slice(*m, 3, 3)->size(), 0);
}

TEST(Array, OutOfBounds) {
  ArrayRef a = arange(0, 3);
  expect_error([&] { get<double>(*a, 3); }, "index 3 is out of bounds for axis 0 with size 3");
  expect_error([&] { get<double>(*a, -1); }, "index -1 is out of bounds for axis 0 with size 3");
  ArrayRef m = zeros(Shape(2, 4));
  expect_error([&] { set<double>(*m, 1, 4, 1.0); },
               "index 4 is out of bounds for axis 1 with size 4");
  // Slice ranges are clipped as numpy clips them; a step of 0 and an index out of bounds raise.
  EXPECT_EQ(to_vector<std::int64_t>(*slice(*a, 2, 5)), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(to_vector<std::int64_t>(*slice(*a, -1, 2)), (std::vector<std::int64_t>{}));
  EXPECT_EQ(slice(*a, 2, 1)->size(), 0);
  EXPECT_EQ(to_vector<std::int64_t>(*slice(*a, kOpen, kOpen, -1)),
            (std::vector<std::int64_t>{2, 1, 0}));
  expect_error([&] { slice(*a, 0, 3, 0); }, "slice step cannot be zero");
  expect_error([&] { column(*m, 4); }, "index 4 is out of bounds for axis 1 with size 4");
  expect_error([&] { column(*m, -5); }, "index -5 is out of bounds for axis 1 with size 4");
  EXPECT_EQ(column(*m, -1)->shape[0], 2);
}

TEST(Array, StringArrays) {
  std::vector<std::string> words{"red", "green"};
  ArrayRef a = from_values<std::string>(words, Shape(2));
  EXPECT_EQ(a->elem, Elem::Str);
  EXPECT_EQ(get<std::string>(*a, 1), "green");
  ArrayRef b = copy(*a);
  set<std::string>(*b, 0, "blue");
  EXPECT_EQ(get<std::string>(*a, 0), "red");
}

TEST(Array, ReleasingTheLastReferenceFreesTheBuffer) {
  std::int64_t buffers = live_buffers();
  std::int64_t bytes = live_bytes();
  std::int64_t arrays = live_arrays();
  {
    ArrayRef a = zeros(1000);
    EXPECT_EQ(live_buffers(), buffers + 1);
    EXPECT_EQ(live_bytes(), bytes + 8000);
    ArrayRef v = slice(*a, 10, 20);
    a = nullptr;  // the view keeps the buffer alive
    EXPECT_EQ(live_buffers(), buffers + 1);
    EXPECT_EQ(live_arrays(), arrays + 1);
  }
  EXPECT_EQ(live_buffers(), buffers);
  EXPECT_EQ(live_bytes(), bytes);
  EXPECT_EQ(live_arrays(), arrays);
}

TEST(Array, ManyTemporariesKeepLiveMemoryFlat) {
  std::int64_t buffers = live_buffers();
  std::int64_t bytes = live_bytes();
  std::int64_t arrays = live_arrays();
  ArrayRef acc = zeros(16);
  std::int64_t peak_bytes = 0;
  for (int k = 0; k < 100000; ++k) {
    ArrayRef t = binary(BinOp::Mul, *arange(0, 16), Value(0.5));
    ArrayRef v = slice(*transpose(*t), 2, 10);
    ArrayRef s = unary(UnOp::Sqrt, *copy(*v));
    store(*slice(*acc, 2, 10), StoreOp::Add, *s);
    acc = binary(BinOp::Add, *acc, Value(1.0));
    peak_bytes = std::max(peak_bytes, live_bytes() - bytes);
  }
  EXPECT_LE(peak_bytes, 4 * 16 * 8);
  acc = nullptr;
  EXPECT_EQ(live_buffers(), buffers);
  EXPECT_EQ(live_bytes(), bytes);
  EXPECT_EQ(live_arrays(), arrays);
}

TEST(Array, WrapHostMemory) {
  std::vector<double> host{1, 2, 3, 4};
  static int released = 0;
  {
    ArrayRef a = wrap(
        host.data(), Shape(2, 2), Elem::F64, [](void* ctx) { ++*static_cast<int*>(ctx); },
        &released);
    set<double>(*a, 1, 1, 40.0);
    EXPECT_EQ(host[3], 40);
  }
  EXPECT_EQ(released, 1);
}

TEST(Array, Values) {
  EXPECT_EQ(Value(3.0).to(Elem::I64), Value(std::int64_t{3}));
  EXPECT_EQ(Value(1e300).to(Elem::I32), Value(std::int32_t{2147483647}));
  EXPECT_EQ(Value(std::int64_t{5}).to(Elem::F32).f32, 5.0f);
  EXPECT_EQ(get_value(*make_array<std::int32_t>({4, 5}), 1), Value(std::int32_t{5}));
}

}  // namespace
}  // namespace kestrel::rt
