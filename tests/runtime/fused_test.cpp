// The fused loops' runtime entries (kestrel_rt_fused_sum, kestrel_rt_fused_for: the JIT's fused
// whole-array loops, codegen/llvm/lower_fuse.cpp): a sum equals rt::reduce bit for bit at any
// thread count and size, a store covers every element once, and the run's limits stop both
// between chunks with the stop recorded at the fused loop's site.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "runtime/abi.hpp"
#include "runtime/array.hpp"
#include "runtime/limits.hpp"
#include "runtime/parallel.hpp"
#include "runtime/reduce.hpp"
#include "runtime/rules/philox.hpp"

namespace kestrel::rt {
namespace {

using I64 = std::int64_t;

class Fused : public ::testing::Test {
 protected:
  void TearDown() override { set_threads(0); }
};

// n values of mixed sign over ~12 decades, so the summation order shows in the low bits.
std::vector<double> values(I64 n) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (I64 k = 0; k < n; ++k) {
    double u = random(5, 2 * k);
    double e = random(5, 2 * k + 1);
    v[static_cast<std::size_t>(k)] = (u - 0.5) * std::exp2(40.0 * e - 20.0);
  }
  return v;
}

// The generated partial's contract: elements [lo, hi) left to right from 0 (here x * 3 - 1).
struct SumEnv {
  const double* p;
  std::atomic<I64> calls{0};
};
double partial(void* env, I64 lo, I64 hi) {
  auto* e = static_cast<SumEnv*>(env);
  e->calls.fetch_add(1);
  double acc = 0.0;
  for (I64 i = lo; i < hi; ++i) {
    double x = e->p[i] * 3.0;
    acc += x - 1.0;
  }
  return acc;
}

KestrelContext context(AbiHost& host) {
  KestrelContext ctx{};
  ctx.host = &host;
  return ctx;
}

TEST_F(Fused, SumEqualsReduceAtAnyThreadCount) {
  for (I64 n : {I64{0}, I64{1}, I64{4095}, I64{4096}, I64{4097}, kParallelReduceThreshold - 1,
                kParallelReduceThreshold, kParallelReduceThreshold + 1, I64{1'000'003}}) {
    std::vector<double> v = values(n);
    ArrayRef chain = zeros(n);
    for (I64 i = 0; i < n; ++i) {
      double x = v[static_cast<std::size_t>(i)] * 3.0;
      chain->ptr<double>()[i] = x - 1.0;
    }
    double want = reduce(ReduceOp::Sum, *chain).f64;
    for (int t : {1, 2, 8}) {
      set_threads(t);
      AbiHost host;
      KestrelContext ctx = context(host);
      SumEnv env{v.data()};
      double got = kestrel_rt_fused_sum(&ctx, 3, n, partial, &env);
      EXPECT_EQ(ctx.failed, 0);
      EXPECT_EQ(std::memcmp(&got, &want, sizeof got), 0) << n << " elements, " << t << " threads";
      EXPECT_EQ(env.calls.load(), chunks_in(0, n, kReduceChunk)) << n;
    }
  }
}

struct StoreEnv {
  std::vector<std::atomic<int>>* hits;
};
void mark(void* env, I64 lo, I64 hi) {
  auto* e = static_cast<StoreEnv*>(env);
  for (I64 i = lo; i < hi; ++i) {
    (*e->hits)[static_cast<std::size_t>(i)].fetch_add(1);
  }
}

TEST_F(Fused, StoreCoversEveryElementOnce) {
  for (I64 n : {I64{0}, I64{7}, kParallelElementwiseThreshold - 1, kParallelElementwiseThreshold,
                I64{1'000'003}}) {
    for (int t : {1, 2, 8}) {
      set_threads(t);
      AbiHost host;
      KestrelContext ctx = context(host);
      std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
      StoreEnv env{&hits};
      kestrel_rt_fused_for(&ctx, 3, n, mark, &env);
      EXPECT_EQ(ctx.failed, 0);
      I64 wrong = 0;
      for (auto& h : hits) {
        wrong += h.load() != 1;
      }
      EXPECT_EQ(wrong, 0) << n << " elements, " << t << " threads";
    }
  }
}

// With the interrupt set, neither entry runs a chunk: "interrupted" at the fused loop's site,
// small or large, at one thread or several.
TEST_F(Fused, InterruptStopsBeforeAChunkAtTheSite) {
  std::atomic<bool> stop{true};
  Limits limits;
  limits.interrupt = &stop;
  std::vector<double> v = values(200'000);
  for (I64 n : {I64{100}, I64{200'000}}) {
    for (int t : {1, 2}) {
      set_threads(t);
      AbiHost host;
      KestrelContext ctx = context(host);
      ctx.interrupt = &limits;
      SumEnv env{v.data()};
      kestrel_rt_fused_sum(&ctx, 42, n, partial, &env);
      EXPECT_EQ(ctx.failed, 1);
      EXPECT_EQ(ctx.site, 42u);
      EXPECT_EQ(host.message, "interrupted");
      EXPECT_FALSE(host.internal);
      EXPECT_EQ(env.calls.load(), 0) << n << " elements, " << t << " threads";

      AbiHost host2;
      KestrelContext ctx2 = context(host2);
      ctx2.interrupt = &limits;
      std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
      StoreEnv senv{&hits};
      kestrel_rt_fused_for(&ctx2, 43, n, mark, &senv);
      EXPECT_EQ(ctx2.failed, 1);
      EXPECT_EQ(ctx2.site, 43u);
      EXPECT_EQ(host2.message, "interrupted");
    }
  }
}

}  // namespace
}  // namespace kestrel::rt
