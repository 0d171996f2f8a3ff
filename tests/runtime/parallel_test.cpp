// Parallel loops and reductions: fixed chunking, results bit-identical at any thread count and
// equal to the serial runtime, nesting, the first error reported once, no leaks.
#include "runtime/parallel.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/abi.hpp"
#include "runtime/array.hpp"
#include "runtime/reduce.hpp"
#include "runtime/rules/philox.hpp"

namespace kestrel::rt {
namespace {

namespace rt = kestrel::rt;
using I64 = std::int64_t;

constexpr int kThreadCounts[] = {1, 2, 8};

// Restores the default thread count after each test.
class Parallel : public ::testing::Test {
 protected:
  void TearDown() override { set_threads(0); }
};

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// n values of mixed sign over ~12 decades, so the summation order shows in the low bits.
template <class T>
std::vector<T> random_values(I64 n, I64 key) {
  std::vector<T> v(static_cast<std::size_t>(n));
  for (I64 k = 0; k < n; ++k) {
    double u = rt::random(key, 2 * k);
    double e = rt::random(key, 2 * k + 1);
    v[static_cast<std::size_t>(k)] = static_cast<T>((u - 0.5) * std::exp2(40.0 * e - 20.0));
  }
  return v;
}

// The default is every core the process may run on: its affinity mask, not the machine's count.
TEST_F(Parallel, DefaultIsTheProcesssCores) {
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
  int cores = CPU_COUNT(&allowed);
  EXPECT_EQ(threads(), cores);
  set_threads(3);
  EXPECT_EQ(threads(), 3);
  EXPECT_EQ(kestrel_rt_threads(), 3);
  kestrel_rt_set_threads(0);
  EXPECT_EQ(threads(), cores);
}

// A run's own thread count (Limits::threads, from EngineOptions::threads) bounds its loops, over
// the process's count, so engines of different counts share a process; outside the run the
// process's count holds again.
TEST_F(Parallel, ARunsThreadCountBoundsItsLoops) {
  set_threads(8);
  for (int n : {1, 2}) {
    rt::Limits limits;
    limits.threads = n;
    std::mutex mutex;
    std::vector<std::thread::id> ids;
    {
      rt::LimitsScope scope(&limits);
      EXPECT_EQ(threads(), n);
      parallel_for_chunks(0, 1 << 12, 1, [&](I64, I64) {
        std::this_thread::sleep_for(std::chrono::microseconds(20));
        std::lock_guard<std::mutex> lock(mutex);
        if (std::find(ids.begin(), ids.end(), std::this_thread::get_id()) == ids.end()) {
          ids.push_back(std::this_thread::get_id());
        }
      });
    }
    EXPECT_LE(static_cast<int>(ids.size()), n);
    if (n == 1) {
      EXPECT_EQ(ids.front(), std::this_thread::get_id());
    }
    EXPECT_EQ(threads(), 8);
  }
}

TEST_F(Parallel, ChunkBoundariesDependOnTheRangeAlone) {
  const I64 lo = -7, hi = 10'000, chunk = 97;
  const I64 count = chunks_in(lo, hi, chunk);
  ASSERT_EQ(count, (hi - lo + chunk - 1) / chunk);
  std::vector<std::pair<I64, I64>> expected;
  for (I64 c = 0; c < count; ++c) {
    expected.emplace_back(lo + c * chunk, std::min(hi, lo + (c + 1) * chunk));
  }
  for (int t : kThreadCounts) {
    set_threads(t);
    std::vector<std::pair<I64, I64>> seen(static_cast<std::size_t>(count), {0, 0});
    std::atomic<I64> calls{0};
    parallel_for_chunks(lo, hi, chunk, [&](I64 a, I64 b) {
      seen[static_cast<std::size_t>((a - lo) / chunk)] = {a, b};
      calls.fetch_add(1);
    });
    EXPECT_EQ(calls.load(), count) << t << " threads";
    EXPECT_EQ(seen, expected) << t << " threads";
  }
  // Any int64 bounds: the width is taken unsigned.
  constexpr I64 kMin = std::numeric_limits<I64>::min(), kMax = std::numeric_limits<I64>::max();
  EXPECT_EQ(chunks_in(kMin, kMax, I64{1} << 62), 4);
  EXPECT_EQ(chunk_bounds(kMin, kMax, I64{1} << 62, 3), std::make_pair(I64{1} << 62, kMax));
  EXPECT_EQ(chunk_bounds(kMin, kMax, I64{1} << 62, 1),
            std::make_pair(kMin + (I64{1} << 62), I64{0}));
  // A chunk size below 1: one chunk.
  EXPECT_EQ(chunks_in(3, 10, 0), 1);
  EXPECT_EQ(chunk_bounds(3, 10, 0, 0), std::make_pair(I64{3}, I64{10}));
  // Empty and reversed ranges run nothing.
  int ran = 0;
  parallel_for_chunks(5, 5, 4, [&](I64, I64) { ++ran; });
  parallel_for_chunks(9, 2, 4, [&](I64, I64) { ++ran; });
  EXPECT_EQ(ran, 0);
}

TEST_F(Parallel, CAbiForCoversTheRangeOnce) {
  std::vector<std::atomic<int>> hits(100'003);
  for (int t : kThreadCounts) {
    set_threads(t);
    for (auto& h : hits) {
      h.store(0);
    }
    kestrel_rt_parallel_for(
        0, 100'003, 1000,
        [](void* env, I64 a, I64 b) {
          auto* h = static_cast<std::vector<std::atomic<int>>*>(env);
          for (I64 i = a; i < b; ++i) {
            (*h)[static_cast<std::size_t>(i)].fetch_add(1);
          }
        },
        &hits);
    for (auto& h : hits) {
      ASSERT_EQ(h.load(), 1) << t << " threads";
    }
  }
}

template <class T>
void check_sums(I64 key) {
  for (I64 n : {I64{0}, I64{1}, I64{4095}, I64{4096}, I64{4097}, I64{1'000'003}}) {
    std::vector<T> v = random_values<T>(n, key);
    ArrayRef a = from_values<T>(std::span<const T>(v), Shape(n));
    T serial = sum(*a).template get<T>();
    for (int t : kThreadCounts) {
      set_threads(t);
      T par = parallel_reduce(CombineOp::Add, v.data(), n);
      EXPECT_TRUE(same_bits(par, serial))
          << "n=" << n << " threads=" << t << ": " << par << " vs " << serial;
      EXPECT_TRUE(same_bits(parallel_sum(v.data(), n), serial)) << "n=" << n << " threads=" << t;
    }
  }
}

TEST_F(Parallel, FloatSumsAreBitIdenticalAndEqualToReduce) {
  check_sums<double>(11);
  check_sums<float>(12);
}

// The fixed order written out: chunks left to right from `init`, then combine_tree.
template <class T, class Op>
T reference(const std::vector<T>& v, T init, Op op) {
  std::vector<T> parts;
  for (std::size_t lo = 0; lo < v.size(); lo += kReduceChunk) {
    T acc = init;
    for (std::size_t k = lo; k < std::min(v.size(), lo + std::size_t{kReduceChunk}); ++k) {
      acc = op(acc, v[k]);
    }
    parts.push_back(acc);
  }
  return combine_tree(std::span<T>(parts), init, op);
}

TEST_F(Parallel, MinMaxProduct) {
  const I64 n = 300'001;
  std::vector<double> v = random_values<double>(n, 21);
  ArrayRef a = from_values<double>(std::span<const double>(v), Shape(n));
  // Factors near 1 so the product neither overflows nor underflows.
  std::vector<double> f(static_cast<std::size_t>(n));
  for (I64 k = 0; k < n; ++k) {
    f[static_cast<std::size_t>(k)] = 1.0 + (rt::random(22, k) - 0.5) * 1e-3;
  }
  double prod = reference(f, 1.0, [](double x, double y) { return x * y; });
  std::vector<float> f32(f.begin(), f.end());
  float prod32 = reference(f32, 1.0f, [](float x, float y) { return x * y; });
  for (int t : kThreadCounts) {
    set_threads(t);
    EXPECT_TRUE(same_bits(parallel_reduce(CombineOp::Min, v.data(), n), min(*a).get<double>()));
    EXPECT_TRUE(same_bits(parallel_reduce(CombineOp::Max, v.data(), n), max(*a).get<double>()));
    EXPECT_TRUE(same_bits(parallel_reduce(CombineOp::Mul, f.data(), n), prod)) << t;
    EXPECT_TRUE(same_bits(parallel_reduce(CombineOp::Mul, f32.data(), n), prod32)) << t;
  }
  // nan propagates, as rt::reduce's min and max do.
  v[200'000] = std::nan("");
  for (int t : kThreadCounts) {
    set_threads(t);
    EXPECT_TRUE(std::isnan(parallel_reduce(CombineOp::Min, v.data(), n)));
    EXPECT_TRUE(std::isnan(parallel_reduce(CombineOp::Max, v.data(), n)));
  }
  // Empty: the identity.
  EXPECT_EQ(parallel_reduce(CombineOp::Min, v.data(), 0), std::numeric_limits<double>::infinity());
  EXPECT_EQ(parallel_reduce<I64>(CombineOp::Max, nullptr, 0), std::numeric_limits<I64>::lowest());
}

TEST_F(Parallel, IntegersWrap) {
  const I64 n = 50'000;
  std::vector<I64> v(static_cast<std::size_t>(n));
  std::uint64_t usum = 0, uprod = 1;
  for (I64 k = 0; k < n; ++k) {
    I64 x = std::numeric_limits<I64>::max() - k * 12'345;
    v[static_cast<std::size_t>(k)] = x;
    usum += static_cast<std::uint64_t>(x);
    uprod *= static_cast<std::uint64_t>(x | 1);
  }
  ArrayRef a = from_values<I64>(std::span<const I64>(v), Shape(n));
  std::vector<I64> odd = v;
  for (I64& x : odd) {
    x |= 1;
  }
  for (int t : kThreadCounts) {
    set_threads(t);
    EXPECT_EQ(parallel_reduce(CombineOp::Add, v.data(), n), static_cast<I64>(usum));
    EXPECT_EQ(parallel_sum(v.data(), n), sum(*a).get<I64>());
    EXPECT_EQ(parallel_reduce(CombineOp::Mul, odd.data(), n), static_cast<I64>(uprod));
    EXPECT_EQ(parallel_reduce(CombineOp::Min, v.data(), n), min(*a).get<I64>());
    EXPECT_EQ(parallel_reduce(CombineOp::Max, v.data(), n), max(*a).get<I64>());
  }
}

TEST_F(Parallel, NestedLoopRunsInlineAndInOrder) {
  set_threads(2);
  EXPECT_FALSE(in_parallel_loop());
  const I64 outer = 16, inner = 10;
  std::vector<std::vector<I64>> order(outer);
  std::atomic<int> not_inline{0};
  parallel_for_chunks(0, outer, 1, [&](I64 i, I64) {
    if (!in_parallel_loop()) {
      not_inline.fetch_add(1);
    }
    std::thread::id me = std::this_thread::get_id();
    parallel_for_chunks(0, inner, 1, [&](I64 j, I64) {
      if (std::this_thread::get_id() != me) {
        not_inline.fetch_add(1);
      }
      order[static_cast<std::size_t>(i)].push_back(j);
    });
  });
  EXPECT_EQ(not_inline.load(), 0);
  for (const auto& o : order) {
    EXPECT_EQ(o, (std::vector<I64>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  }
  EXPECT_FALSE(in_parallel_loop());
}

TEST_F(Parallel, FirstThrownErrorInChunkOrderIsReportedOnce) {
  const I64 live = live_buffers();
  for (int t : kThreadCounts) {
    set_threads(t);
    std::atomic<int> ran{0};
    int caught = 0;
    try {
      parallel_for_chunks(0, 64 * 100, 100, [&](I64 lo, I64) {
        ArrayRef scratch = zeros(Shape(100));  // released while the exception unwinds
        ran.fetch_add(1);
        I64 c = lo / 100;
        if (c == 9 || c == 23 || c == 50) {
          raise("failed in chunk " + std::to_string(c));
        }
      });
    } catch (const RuntimeError& e) {
      ++caught;
      EXPECT_STREQ(e.what(), "failed in chunk 9") << t << " threads";
    }
    EXPECT_EQ(caught, 1);
    if (t == 1) {
      EXPECT_EQ(ran.load(), 10);  // serially, nothing after the failing chunk starts
    } else {
      EXPECT_GE(ran.load(), 10);
    }
  }
  EXPECT_EQ(live_buffers(), live);
}

// A generated-code style body: records an error in its chunk context at iteration 7'000 and
// 90'000 (site = the iteration), and counts the iterations it ran.
struct ErrEnv {
  std::atomic<I64> iterations{0};
};

void failing_body(void* env, KestrelContext* ctx, I64 lo, I64 hi) {
  auto* e = static_cast<ErrEnv*>(env);
  for (I64 i = lo; i < hi; ++i) {
    if (i == 7'000 || i == 90'000) {
      kestrel_rt_raise(ctx, static_cast<std::uint32_t>(i), "index out of bounds");
      return;
    }
    e->iterations.fetch_add(1, std::memory_order_relaxed);
  }
}

KestrelContext make_context(AbiHost& host) {
  KestrelContext ctx{};
  ctx.max_depth = 1000;
  ctx.budget = 1 << 20;
  ctx.host = &host;
  return ctx;
}

TEST_F(Parallel, ContextErrorIsRecordedOnceWithTheFirstSite) {
  for (int t : kThreadCounts) {
    set_threads(t);
    AbiHost host;
    KestrelContext ctx = make_context(host);
    ErrEnv env;
    kestrel_rt_parallel_for_ctx(&ctx, 0, 100'000, 1000, failing_body, &env);
    EXPECT_EQ(ctx.failed, 1);
    EXPECT_EQ(ctx.site, 7'000u) << t << " threads";
    EXPECT_EQ(host.message, "index out of bounds");
    EXPECT_FALSE(host.internal);
    EXPECT_GE(env.iterations.load(), 7'000);
    if (t == 1) {
      EXPECT_EQ(env.iterations.load(), 7'000);
    }
  }
}

// body for kestrel_rt_parallel_reduce: reductions (f64 sum of x, f32 sum of x, i64 count of
// x > 0, f64 min of x, f64 product of 1 + x/1e9).
struct ReduceEnv {
  const double* x;
  I64 fail_at = -1;
};

void reduce_body(void* env, KestrelContext* ctx, I64 lo, I64 hi, I64* partials) {
  auto* e = static_cast<ReduceEnv*>(env);
  double s, m, p;
  float s32;
  std::memcpy(&s, &partials[0], 8);
  std::uint32_t bits32 = static_cast<std::uint32_t>(partials[1]);
  std::memcpy(&s32, &bits32, 4);
  I64 count = partials[2];
  std::memcpy(&m, &partials[3], 8);
  std::memcpy(&p, &partials[4], 8);
  for (I64 i = lo; i < hi; ++i) {
    if (i == e->fail_at) {
      kestrel_rt_raise(ctx, 77, "integer division by zero");
      return;
    }
    double x = e->x[i];
    s = s + x;
    s32 = s32 + static_cast<float>(x);
    count += x > 0 ? 1 : 0;
    m = min_value(m, x);
    p = p * (1.0 + x / 1e9);
  }
  std::memcpy(&partials[0], &s, 8);
  std::memcpy(&bits32, &s32, 4);
  partials[1] = static_cast<I64>(bits32);
  partials[2] = count;
  std::memcpy(&partials[3], &m, 8);
  std::memcpy(&partials[4], &p, 8);
}

I64 bits_of(double d) {
  I64 b;
  std::memcpy(&b, &d, 8);
  return b;
}

// More than 2^20 chunks: the partials are kept a wave of 2^20 chunks at a time (a loop of 10^11
// chunks once asked for 10^11 slots and failed with bad_alloc), and the waves' nodes give exactly
// the whole fixed tree's bits. Chunks of one iteration, so 3 * 2^20 + 12345 iterations make four
// waves, the last one partial.
TEST_F(Parallel, ReductionsOverManyChunksGiveTheWholeTreesBits) {
  const I64 n = 3 * (I64{1} << 20) + 12'345;
  std::vector<double> x = random_values<double>(n, 41);
  auto add = [](double a, double b) { return a + b; };
  std::vector<double> parts(x.begin(), x.end());  // chunk c's partial: -0.0 + x[c] == x[c]
  const double before = 0.25;
  double want = before + combine_tree(std::span<double>(parts), 0.0, add);
  const std::uint32_t ops[] = {0, 0, 0, 2, 1};
  const std::uint32_t elems[] = {
      static_cast<std::uint32_t>(Elem::F64), static_cast<std::uint32_t>(Elem::F32),
      static_cast<std::uint32_t>(Elem::I64), static_cast<std::uint32_t>(Elem::F64),
      static_cast<std::uint32_t>(Elem::F64)};
  I64 positive = 0;
  for (double v : x) {
    positive += v > 0 ? 1 : 0;
  }
  for (int t : kThreadCounts) {
    set_threads(t);
    AbiHost host;
    KestrelContext ctx = make_context(host);
    I64 values[] = {bits_of(before), 0, 0, bits_of(-1.0), bits_of(1.0)};
    ReduceEnv env{x.data()};
    kestrel_rt_parallel_reduce_by(&ctx, 0, n, 1, 5, ops, elems, values, reduce_body, &env);
    ASSERT_EQ(ctx.failed, 0) << host.message;
    EXPECT_EQ(values[0], bits_of(want)) << t << " threads";
    EXPECT_EQ(values[2], positive);
  }
}

TEST_F(Parallel, CAbiReductionsMatchTheInterpretersOrder) {
  const I64 n = 123'457;
  std::vector<double> x = random_values<double>(n, 31);
  std::vector<float> x32(x.begin(), x.end());
  const std::uint32_t ops[] = {0, 0, 0, 2, 1};
  const std::uint32_t elems[] = {
      static_cast<std::uint32_t>(Elem::F64), static_cast<std::uint32_t>(Elem::F32),
      static_cast<std::uint32_t>(Elem::I64), static_cast<std::uint32_t>(Elem::F64),
      static_cast<std::uint32_t>(Elem::F64)};
  // Expected: combine(before, tree of chunk partials), as the interpreter's PFOR_END.
  const double before = 0.25;
  auto add = [](auto a, auto b) { return a + b; };
  double want_sum = before + reference(x, 0.0, add);
  float want_sum32 = 1.5f + reference(x32, 0.0f, add);
  I64 want_count = 5;
  for (double v : x) {
    want_count += v > 0 ? 1 : 0;
  }
  double want_min = std::min(-1.0, *std::min_element(x.begin(), x.end()));
  std::vector<double> factors;
  for (double v : x) {
    factors.push_back(1.0 + v / 1e9);
  }
  double want_prod = 2.0 * reference(factors, 1.0, [](double a, double b) { return a * b; });
  for (int t : kThreadCounts) {
    set_threads(t);
    AbiHost host;
    KestrelContext ctx = make_context(host);
    float init32 = 1.5f;
    std::uint32_t init32_bits;
    std::memcpy(&init32_bits, &init32, 4);
    I64 values[] = {bits_of(before), static_cast<I64>(init32_bits), 5, bits_of(-1.0), bits_of(2.0)};
    ReduceEnv env{x.data()};
    kestrel_rt_parallel_reduce(&ctx, 0, n, 5, ops, elems, values, reduce_body, &env);
    ASSERT_EQ(ctx.failed, 0);
    EXPECT_EQ(values[0], bits_of(want_sum)) << t << " threads";
    float got32;
    auto got32_bits = static_cast<std::uint32_t>(values[1]);
    std::memcpy(&got32, &got32_bits, 4);
    EXPECT_TRUE(same_bits(got32, want_sum32)) << t << " threads";
    EXPECT_EQ(values[2], want_count);
    EXPECT_EQ(values[3], bits_of(want_min));
    EXPECT_EQ(values[4], bits_of(want_prod)) << t << " threads";
  }
  // A failing chunk: ctx records it, the values stay as they were.
  set_threads(2);
  AbiHost host;
  KestrelContext ctx = make_context(host);
  I64 values[] = {bits_of(before), 0, 5, bits_of(-1.0), bits_of(2.0)};
  ReduceEnv env{x.data(), 50'000};
  kestrel_rt_parallel_reduce(&ctx, 0, n, 5, ops, elems, values, reduce_body, &env);
  EXPECT_EQ(ctx.failed, 1);
  EXPECT_EQ(ctx.site, 77u);
  EXPECT_EQ(host.message, "integer division by zero");
  EXPECT_EQ(values[0], bits_of(before));
  // An empty range leaves the values as they were.
  AbiHost host2;
  KestrelContext ctx2 = make_context(host2);
  kestrel_rt_parallel_reduce(&ctx2, 10, 10, 5, ops, elems, values, reduce_body, &env);
  EXPECT_EQ(ctx2.failed, 0);
  EXPECT_EQ(values[0], bits_of(before));
}

// An i32 reduction wraps in i32 and comes back sign-extended.
void i32_sum_body(void*, KestrelContext*, I64 lo, I64 hi, I64* partials) {
  auto acc = static_cast<std::int32_t>(partials[0]);
  for (I64 i = lo; i < hi; ++i) {
    acc = wrap_add(acc, std::int32_t{1'000'000});
  }
  partials[0] = acc;
}

TEST_F(Parallel, CAbiI32ReductionWraps) {
  const std::uint32_t ops[] = {0};
  const std::uint32_t elems[] = {static_cast<std::uint32_t>(Elem::I32)};
  std::uint32_t want = 7;
  for (int i = 0; i < 10'000; ++i) {
    want += 1'000'000u;
  }
  for (int t : kThreadCounts) {
    set_threads(t);
    AbiHost host;
    KestrelContext ctx = make_context(host);
    I64 values[] = {7};
    kestrel_rt_parallel_reduce(&ctx, 0, 10'000, 1, ops, elems, values, i32_sum_body, nullptr);
    EXPECT_EQ(values[0], static_cast<std::int32_t>(want)) << t << " threads";
  }
}

// kestrel_rt_parallel_reduce_by: integer reductions give the same result at any chunk size and
// thread count; chunk c covers [lo + c * chunk, ...) and sees the identities in its partials.
struct ChunkSeen {
  std::atomic<I64> chunks{0};
  std::atomic<I64> bad_bounds{0};
  I64 lo = 0;
  I64 chunk = 0;
};

void int_reduce_body(void* env, KestrelContext*, I64 lo, I64 hi, I64* partials) {
  auto* e = static_cast<ChunkSeen*>(env);
  e->chunks.fetch_add(1);
  if ((lo - e->lo) % e->chunk != 0 || hi - lo > e->chunk || partials[0] != 0 ||
      partials[1] != std::numeric_limits<I64>::max()) {
    e->bad_bounds.fetch_add(1);
  }
  for (I64 i = lo; i < hi; ++i) {
    partials[0] = wrap_add(partials[0], wrap_mul(i, i));
    partials[1] = std::min(partials[1], (i * 7919) % 100'003);
  }
}

TEST_F(Parallel, CAbiReduceByAnyChunkSize) {
  const std::uint32_t ops[] = {0, 2};
  const std::uint32_t elems[] = {static_cast<std::uint32_t>(Elem::I64),
                                 static_cast<std::uint32_t>(Elem::I64)};
  const I64 lo = -5;
  const I64 hi = 1'000'003;
  I64 want_sum = 11;
  I64 want_min = 99'999;
  for (I64 i = lo; i < hi; ++i) {
    want_sum = wrap_add(want_sum, wrap_mul(i, i));
    want_min = std::min(want_min, (i * 7919) % 100'003);
  }
  for (I64 chunk : {I64{1000}, I64{4096}, I64{16384}, I64{999'999}}) {
    for (int t : kThreadCounts) {
      set_threads(t);
      AbiHost host;
      KestrelContext ctx = make_context(host);
      I64 values[] = {11, 99'999};
      ChunkSeen seen;
      seen.lo = lo;
      seen.chunk = chunk;
      kestrel_rt_parallel_reduce_by(&ctx, lo, hi, chunk, 2, ops, elems, values, int_reduce_body,
                                    &seen);
      ASSERT_EQ(ctx.failed, 0);
      EXPECT_EQ(values[0], want_sum) << chunk << " per chunk, " << t << " threads";
      EXPECT_EQ(values[1], want_min) << chunk << " per chunk, " << t << " threads";
      EXPECT_EQ(seen.chunks.load(), chunks_in(lo, hi, chunk));
      EXPECT_EQ(seen.bad_bounds.load(), 0);
    }
  }
}

TEST_F(Parallel, ElementwiseAddAndLiveBuffersStayFlat) {
  const I64 live = live_buffers();
  {
    const I64 n = 3 * kParallelElementwiseThreshold + 17;
    ArrayRef a = arange(0, n, 1, Elem::F32);
    ArrayRef b = ones(Shape(n), Elem::F32);
    ArrayRef out = zeros(Shape(n), Elem::F32);
    const float* pa = a->ptr<float>();
    const float* pb = b->ptr<float>();
    float* po = out->ptr<float>();
    for (int t : kThreadCounts) {
      set_threads(t);
      parallel_elementwise(n, [&](I64 lo, I64 hi) {
        for (I64 i = lo; i < hi; ++i) {
          po[i] = pa[i] + pb[i];
        }
      });
      for (I64 i = 0; i < n; i += 997) {
        ASSERT_EQ(po[i], static_cast<float>(i) + 1.0f);
      }
      ASSERT_EQ(po[n - 1], static_cast<float>(n - 1) + 1.0f);
    }
  }
  EXPECT_EQ(live_buffers(), live);
}

// Run by hand under the tsan preset (--gtest_also_run_disabled_tests) to check that
// tests/tsan.supp hides only TBB's internals: TSan must report this race between two chunks.
TEST_F(Parallel, DISABLED_TsanReportsARaceBetweenChunks) {
  set_threads(2);
  I64 shared = 0;
  parallel_for_chunks(0, 64, 1, [&](I64 i, I64) {
    shared += i;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  EXPECT_GT(shared, 0);
}

}  // namespace
}  // namespace kestrel::rt
