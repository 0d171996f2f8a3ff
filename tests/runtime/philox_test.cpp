// Philox4x32-10 against Random123's known-answer vectors (kat_vectors), and the random/randn
// mapping built on it.
#include "runtime/rules/philox.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "runtime/limits.hpp"
#include "runtime/parallel.hpp"
#include "runtime/random.hpp"
#include "tests/runtime/expect_error.hpp"

namespace kestrel::rt {
namespace {

TEST(Philox, KnownAnswerVectors) {
  // Random123 kat_vectors: philox4x32 10 CTR[4] KEY[2] -> OUT[4].
  static_assert(philox4x32_10({0, 0, 0, 0}, {0, 0}) ==
                PhiloxCounter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  EXPECT_EQ(
      philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
      (PhiloxCounter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(
      philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
      (PhiloxCounter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Philox, RandomIsTheDocumentedFunctionOfTheBlock) {
  PhiloxCounter x = philox4x32_10({7, 0, 0, 0}, {42, 0});
  double expected = static_cast<double>(((static_cast<std::uint64_t>(x[0]) << 32) | x[1]) >> 11) /
                    9007199254740992.0;
  EXPECT_EQ(random(42, 7), expected);
  // Negative keys and counters are their two's complement bits.
  PhiloxCounter y = philox4x32_10({0xffffffff, 0xffffffff, 0, 0}, {0xfffffffe, 0xffffffff});
  EXPECT_EQ(random(-2, -1),
            static_cast<double>(((static_cast<std::uint64_t>(y[0]) << 32) | y[1]) >> 11) /
                9007199254740992.0);
}

TEST(Philox, RandomRangeAndMoments) {
  double sum = 0;
  double lo = 1;
  double hi = 0;
  std::set<double> distinct;
  const int n = 200000;
  for (int k = 0; k < n; ++k) {
    double u = random(42, k);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    if (k < 1000) {
      distinct.insert(u);
    }
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  EXPECT_LT(lo, 1e-4);
  EXPECT_GT(hi, 1 - 1e-4);
  EXPECT_EQ(distinct.size(), 1000u);
  EXPECT_NE(random(1, 0), random(2, 0));
  EXPECT_EQ(random(1, 5), random(1, 5));
}

TEST(Philox, RandnMoments) {
  double sum = 0;
  double sq = 0;
  const int n = 200000;
  for (int k = 0; k < n; ++k) {
    double z = randn(7, k);
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sq += z * z;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sq / n, 1.0, 0.02);
}

TEST(Philox, RandnUsesItsOwnDomain) {
  // randn(k, c) is Box-Muller on the block of counter {c, 0, 1, 0}.
  PhiloxCounter x = philox4x32_10({3, 0, 1, 0}, {9, 0});
  double u1 = static_cast<double>((((static_cast<std::uint64_t>(x[0]) << 32) | x[1]) >> 11) + 1) *
              kTwoPow53Inv;
  double u2 =
      static_cast<double>(((static_cast<std::uint64_t>(x[2]) << 32) | x[3]) >> 11) * kTwoPow53Inv;
  EXPECT_EQ(randn(9, 3), std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2));
}

TEST(Philox, StreamDrawKIsRandomOfSeedAndK) {
  Stream s;
  EXPECT_EQ(next_random(s), random(0, 0));  // a program starts with stream {0, 0}
  seed(s, 1234);
  for (int k = 0; k < 10; ++k) {
    if (k % 3 == 2) {
      EXPECT_EQ(next_randn(s), randn(1234, k));
    } else {
      EXPECT_EQ(next_random(s), random(1234, k));
    }
  }
}

TEST(Philox, SubstreamsDependOnIterationNotThread) {
  Stream s;
  seed(s, 5);
  Stream base = begin_parallel(s);
  EXPECT_EQ(s.counter, 1);  // the loop consumed one draw
  EXPECT_EQ(base.counter, 0);
  Stream a = substream(base, 10);
  Stream b = substream(base, 10);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.counter, 0);
  std::set<std::int64_t> keys;
  for (int i = 0; i < 1000; ++i) {
    keys.insert(substream(base, i).key);
  }
  EXPECT_EQ(keys.size(), 1000u);
  // A second parallel loop gets other substreams.
  Stream base2 = begin_parallel(s);
  EXPECT_NE(substream(base2, 10).key, a.key);
}

TEST(Philox, RandArraysAreRowMajorDraws) {
  ArrayRef m = rand_array(Shape(3, 4), 99);
  ASSERT_EQ(m->rank, 2);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 4; ++j) {
      EXPECT_EQ(m->at<double>(i, j), random(99, i * 4 + j));
    }
  }
  ArrayRef v = randn_array(Shape(5), 3);
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(v->at<double>(k), randn(3, k));
  }
}

TEST(Philox, RandArraysWithANegativeSizeNameTheFunction) {
  expect_error([] { rand_array(Shape(-1), 1); }, "negative size -1 in rand");
  expect_error([] { randn_array(Shape(2, -3), 1); }, "negative size -3 in randn");
}

TEST(Philox, LargeRandArraysAreTheSameDrawsAtAnyThreadCount) {
  // Above the parallel threshold the array is filled in chunks on every core.
  for (int threads : {1, 2, 8}) {
    set_threads(threads);
    ArrayRef u = rand_array(Shape(3, 100000), 9);
    ArrayRef z = randn_array(Shape(300001), 9);
    for (std::int64_t k : {std::int64_t{0}, std::int64_t{16383}, std::int64_t{16384},
                           std::int64_t{131072}, std::int64_t{299999}}) {
      EXPECT_EQ(u->ptr<double>()[k], random(9, k)) << threads << " threads, element " << k;
      EXPECT_EQ(z->ptr<double>()[k], randn(9, k)) << threads << " threads, element " << k;
    }
    EXPECT_EQ(z->ptr<double>()[300000], randn(9, 300000));
  }
  set_threads(0);
}

TEST(Philox, ATimeLimitStopsALargeRandArrayWhileItIsFilled) {
  // rand/randn of millions of elements used to run to the end before the run's limits were
  // looked at again (a time limit of 50 ms stopped randn(4000, 5000) only after 0.7 s). The
  // deadline here passes while the 8M elements (about 100 ms) are drawn; the allocation before
  // them also polls, so the stop may come from either, but it must come.
  Limits limits;
  limits.time_limit_ms = 1;
  for (int threads : {1, 2}) {
    set_threads(threads);
    limits.deadline_ns = monotonic_ns() + 1000000;
    LimitsScope scope(&limits);
    expect_error([] { randn_array(Shape(8000000), 1); }, "time limit of 1 ms exceeded");
  }
  set_threads(0);
}

}  // namespace
}  // namespace kestrel::rt
