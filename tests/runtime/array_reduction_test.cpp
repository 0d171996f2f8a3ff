// Array reductions of a parallel for: the fixed tree equals combine_tree's grouping whatever the
// order chunks finish in, results are bit-identical at any thread count, untouched elements keep
// their bits, copies stay few, and the C ABI's handles free what they hold.
#include "runtime/array_reduction.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "runtime/abi.hpp"
#include "runtime/reduce.hpp"

namespace kestrel::rt {
namespace {

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// Values of very different magnitudes, so a float sum depends on its grouping.
std::vector<double> spread_values(std::size_t n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::vector<double> v(n);
  for (std::size_t k = 0; k < n; ++k) {
    double m = std::ldexp(1.0, static_cast<int>(gen() % 120) - 60);
    v[k] = (static_cast<double>(gen() % 2000000) / 1000000.0 - 1.0) * m;
  }
  return v;
}

// Feeds one-element partials to an ArrayReductions in `order`; returns the target afterwards.
double reduce_in_order(double before, const std::vector<double>& parts,
                       const std::vector<std::int64_t>& order) {
  ArrayRef target = make_array<double>({before});
  ArrayReductions red({target}, {CombineOp::Add});
  for (std::int64_t c : order) {
    ArrayRef p = red.fresh(0);
    p->ptr<double>()[0] += parts[static_cast<std::size_t>(c)];
    std::vector<ArrayRef> node;
    node.push_back(std::move(p));
    red.done(c, std::move(node));
  }
  red.finish();
  return target->ptr<double>()[0];
}

TEST(ArrayReduction, TreeMatchesCombineTree) {
  std::mt19937 gen(7);
  for (std::size_t n = 1; n <= 300; ++n) {
    std::vector<double> parts = spread_values(n, static_cast<unsigned>(n));
    std::vector<double> copy = parts;
    double tree = combine_tree<double>(std::span<double>(copy), 0.0,
                                       [](double a, double b) { return a + b; });
    double expected = 0.25 + tree;
    std::vector<std::int64_t> order(n);
    for (std::size_t c = 0; c < n; ++c) {
      order[c] = static_cast<std::int64_t>(c);
    }
    EXPECT_TRUE(same_bits(reduce_in_order(0.25, parts, order), expected)) << "in order, n=" << n;
    std::shuffle(order.begin(), order.end(), gen);
    EXPECT_TRUE(same_bits(reduce_in_order(0.25, parts, order), expected)) << "shuffled, n=" << n;
  }
}

TEST(ArrayReduction, UntouchedElementsKeepTheirBits) {
  ArrayRef t = make_array<double>({-0.0, 1.5, -0.0});
  ArrayRef m = make_array<double>({-0.0, std::nan(""), 3.0});
  ArrayReductions red({t, m}, {CombineOp::Add, CombineOp::Min});
  for (std::int64_t c = 0; c < 5; ++c) {
    std::vector<ArrayRef> node{red.fresh(0), red.fresh(1)};
    node[0]->ptr<double>()[1] += 1.0;  // element 1 of the sum only
    node[1]->ptr<double>()[2] = std::min(node[1]->ptr<double>()[2], 2.0 - static_cast<double>(c));
    red.done(c, std::move(node));
  }
  red.finish();
  EXPECT_TRUE(same_bits(t->ptr<double>()[0], -0.0));
  EXPECT_EQ(t->ptr<double>()[1], 6.5);
  EXPECT_TRUE(same_bits(t->ptr<double>()[2], -0.0));
  EXPECT_TRUE(same_bits(m->ptr<double>()[0], -0.0));
  EXPECT_TRUE(std::isnan(m->ptr<double>()[1]));
  EXPECT_EQ(m->ptr<double>()[2], -2.0);
}

TEST(ArrayReduction, IntegerOperatorsAndStridedTarget) {
  ArrayRef mat = make_matrix<std::int32_t>({{1, 2, 3}, {4, 5, 6}});
  ArrayRef col = column(*mat, 1);  // strided: 2, 5
  ArrayReductions red({col}, {CombineOp::Mul});
  for (std::int64_t c = 0; c < 3; ++c) {
    std::vector<ArrayRef> node{red.fresh(0)};
    node[0]->ptr<std::int32_t>()[1] *= 3;
    red.done(c, std::move(node));
  }
  red.finish();
  EXPECT_EQ(mat->at<std::int32_t>(0, 1), 2);
  EXPECT_EQ(mat->at<std::int32_t>(1, 1), 5 * 27);
  EXPECT_EQ(mat->at<std::int32_t>(1, 2), 6);
}

// A float histogram over the runtime's parallel chunks: the same bits at 1, 2 and 8 threads.
TEST(ArrayReduction, ParallelHistogramIsThreadIndependent) {
  constexpr std::int64_t kN = 200000;
  constexpr std::int64_t kBins = 37;
  std::vector<double> x = spread_values(kN, 3);
  std::vector<double> first;
  for (int threads : {1, 2, 8}) {
    set_threads(threads);
    ArrayRef h = zeros(kBins);
    ArrayReductions red({h}, {CombineOp::Add});
    parallel_for_chunks(0, kN, kReduceChunk, [&](std::int64_t lo, std::int64_t hi) {
      std::vector<ArrayRef> node{red.fresh(0)};
      double* p = node[0]->ptr<double>();
      for (std::int64_t i = lo; i < hi; ++i) {
        p[(i * 7) % kBins] += x[static_cast<std::size_t>(i)];
      }
      red.done(lo / kReduceChunk, std::move(node));
    });
    red.finish();
    std::vector<double> got(h->ptr<double>(), h->ptr<double>() + kBins);
    if (first.empty()) {
      first = got;
    } else {
      EXPECT_EQ(std::memcmp(first.data(), got.data(), sizeof(double) * kBins), 0) << threads;
    }
  }
  set_threads(0);
}

// Chunks handed in one after another keep O(log chunks) copies alive, not one per chunk.
TEST(ArrayReduction, SerialChunksKeepFewCopies) {
  ArrayRef h = zeros(1000);
  std::int64_t base = live_arrays();
  std::int64_t most = 0;
  {
    ArrayReductions red({h}, {CombineOp::Add});
    for (std::int64_t c = 0; c < 1000; ++c) {
      std::vector<ArrayRef> node{red.fresh(0)};
      node[0]->ptr<double>()[c] = 1.0;
      red.done(c, std::move(node));
      most = std::max(most, live_arrays() - base);
    }
    red.finish();
  }
  EXPECT_LE(most, 12);  // log2(1000) + 2
  EXPECT_EQ(live_arrays(), base);
  EXPECT_EQ(sum(*h).f64, 1000.0);
}

// The C ABI: adopt and give back references, release everything on failure.
TEST(ArrayReduction, AbiHandlesReleaseWhatTheyHold) {
  std::int64_t base = live_arrays();
  {
    AbiHost host;
    KestrelContext ctx{};
    ctx.host = &host;
    Array* target = zeros(4, Elem::I64).detach();
    std::uint32_t op = 0;
    void* h = kestrel_rt_arred_begin(&ctx, 1, &op, &target, 1, 0, 0, 0);
    Array* slot = nullptr;
    kestrel_rt_arred_fresh(&ctx, h, &slot);
    for (int c = 0; c < 3; ++c) {
      slot->ptr<std::int64_t>()[c] += 5;
      kestrel_rt_arred_next(&ctx, h, &slot);
    }
    kestrel_rt_arred_done(&ctx, h, 0, &slot);
    EXPECT_EQ(slot, nullptr);
    Array* back = nullptr;
    kestrel_rt_arred_end(&ctx, h, &back);
    EXPECT_EQ(ctx.failed, 0);
    EXPECT_TRUE(host.array_reductions.empty());
    EXPECT_EQ(back->ptr<std::int64_t>()[2], 5);
    EXPECT_EQ(back->refs, 1);
    release(back);
    // A run that fails inside the loop: the host frees the handle and the adopted target.
    Array* t2 = zeros(4).detach();
    void* h2 = kestrel_rt_arred_begin(&ctx, 1, &op, &t2, 1, 0, 0, 0);
    kestrel_rt_arred_fresh(&ctx, h2, &slot);
    release(slot);
  }
  EXPECT_EQ(live_arrays(), base);
}

}  // namespace
}  // namespace kestrel::rt
