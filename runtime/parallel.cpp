#include "runtime/parallel.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/abi.hpp"
#include "runtime/limits.hpp"

namespace kestrel::rt {

namespace {

// The cores this process may run on, as TBB counts them (its CPU affinity mask: `taskset -c 0`,
// an MPI rank bound to its core), not the machine's: more threads than that only take turns,
// and an arena wider than TBB's worker limit made TBB print "TBB Warning: The number of workers
// is currently limited to 0" on every run under `taskset -c 0`.
int default_threads() { return std::max(1, tbb::info::default_concurrency()); }

// Every loop runs in one arena with a slot per core, made once and never replaced, and the
// thread count is the number of tasks a loop starts: each task claims chunks in increasing
// order from a shared counter until none are left, so at most threads() threads work on a loop.
// (Earlier the count was TBB's global worker limit with arenas replaced as it changed; with
// oneTBB 2021 a worker lingers in the arena it last served, and after 2 -> 1 -> 2 threads in one
// process a loop ran on one thread. Nothing here changes TBB's process-wide settings, so a host
// application's own TBB work is not limited by Kestrel's thread count either.)
std::mutex g_arena_mutex;
std::shared_ptr<tbb::task_arena> g_arena;
std::atomic<int> g_threads{0};                            // 0: not set yet (the default)
std::atomic<tbb::global_control*> g_stack_size{nullptr};  // workers' stack size, never destroyed

std::shared_ptr<tbb::task_arena> the_arena() {
  std::lock_guard<std::mutex> lock(g_arena_mutex);
  if (!g_arena) {
    // Workers get stacks of 64 MiB (reserved, touched as used) instead of TBB's 4 MiB, so a chunk
    // that recurses deeply reaches about the depth the main thread does; deeper, the generated
    // code's stack check (rt::stack_limit) makes it an error. TBB takes the largest size any
    // live global_control asks for, so this only ever raises a host's own setting. (Never
    // destroyed: it must not outlive TBB's own statics.)
    // Held in an atomic: a pointer that is never read may be optimised away, and LeakSanitizer
    // then reports the control as leaked.
    if (g_stack_size.load() == nullptr) {
      g_stack_size.store(
          new tbb::global_control(tbb::global_control::thread_stack_size, std::size_t{64} << 20));
    }
    g_arena = std::make_shared<tbb::task_arena>(default_threads());
  }
  return g_arena;
}

// Set while this thread runs a chunk: a parallel loop started then runs serially inline.
thread_local bool t_in_loop = false;

struct InLoop {
  bool saved = t_in_loop;
  InLoop() { t_in_loop = true; }
  ~InLoop() { t_in_loop = saved; }
  InLoop(const InLoop&) = delete;
  InLoop& operator=(const InLoop&) = delete;
};

// The failures of one loop: the lowest failing chunk and, when it threw, its exception.
struct Failures {
  std::atomic<std::int64_t> first{std::numeric_limits<std::int64_t>::max()};
  std::mutex mutex;
  std::int64_t thrown_chunk = -1;
  std::exception_ptr thrown;

  bool skip(std::int64_t c) const { return c > first.load(std::memory_order_relaxed); }
  void note(std::int64_t c) {
    std::int64_t seen = first.load(std::memory_order_relaxed);
    while (c < seen && !first.compare_exchange_weak(seen, c, std::memory_order_relaxed)) {
    }
  }
  void note_thrown(std::int64_t c, std::exception_ptr e) {
    note(c);
    std::lock_guard<std::mutex> lock(mutex);
    if (thrown_chunk < 0 || c < thrown_chunk) {
      thrown_chunk = c;
      thrown = std::move(e);
    }
  }
};

void run_one(std::int64_t c, bool (*run)(void*, std::int64_t), void* env, Failures& f) {
  if (f.skip(c)) {
    return;
  }
  try {
    if (!run(env, c)) {
      f.note(c);
    }
  } catch (...) {
    f.note_thrown(c, std::current_exception());
  }
}

// One loop at a time runs in the arena. A loop that finds it taken (another host thread's call
// is running one) runs its chunks on its own thread, in order, as a nested loop does: the same
// chunks and result, no oversubscription, and no arena handing one thread's functor to another
// (which ThreadSanitizer cannot follow through the uninstrumented libtbb).
std::atomic<bool> g_arena_taken{false};

struct ArenaClaim {
  bool held = false;
  bool take() {
    held = !g_arena_taken.exchange(true, std::memory_order_acquire);
    return held;
  }
  ~ArenaClaim() {
    if (held) {
      g_arena_taken.store(false, std::memory_order_release);
    }
  }
};

// The loop running in the arena (one at a time: ArenaClaim), as its tasks find it: threads()
// tasks (at most one per chunk) claim runs of consecutive chunks from `next` (claim()).
struct ArenaLoop {
  bool (*run)(void* env, std::int64_t c);
  void* env;
  Failures* failures;
  std::int64_t count;
  std::int64_t tasks;
  const Limits* limits;
  std::atomic<std::int64_t> next;
  std::atomic<std::int64_t> finished;

  /// Claims the next run of chunks, [first, *end): about an eighth of a task's share of the
  /// chunks left (guided self-scheduling). Early runs are long, so each thread streams through
  /// contiguous memory (the vadd kernel reached 83% of OpenMP's static schedule claiming single
  /// chunks); they shrink as the loop nears its end, so the threads finish within about a chunk
  /// of each other (fixed runs of an eighth of the whole left one thread working alone for up
  /// to a run: 5 ms of Monte Carlo pi's 90 at 2 threads). Runs come in increasing order.
  std::int64_t claim(std::int64_t* end) {
    std::int64_t first = next.load(std::memory_order_relaxed);
    for (;;) {
      if (first >= count) {
        *end = first;
        return first;
      }
      std::int64_t grab = std::max<std::int64_t>(1, (count - first) / (tasks * 8));
      if (next.compare_exchange_weak(first, first + grab, std::memory_order_relaxed)) {
        *end = std::min(count, first + grab);
        return first;
      }
    }
  }
};
std::atomic<ArenaLoop*> g_arena_loop{nullptr};

}  // namespace

void set_threads(int n) { g_threads.store(n <= 0 ? default_threads() : n); }

int threads() {
  const Limits* limits = current_limits();
  if (limits != nullptr && limits->threads > 0) {
    return limits->threads;
  }
  int n = g_threads.load(std::memory_order_relaxed);
  return n == 0 ? default_threads() : n;
}

bool in_parallel_loop() { return t_in_loop; }

void warm_up_threads(int n) {
  static std::once_flag once;
  if ((n == 0 ? threads() : n) <= 1) {
    return;
  }
  std::call_once(once, [] {
    // An empty task enqueued to the arena makes TBB start a worker for it; nothing waits for
    // it, and a loop that starts meanwhile simply finds the arena being set up (the_arena()
    // and TBB are thread-safe). Joined at exit, before TBB's own statics go (this static is
    // made after them), so a program that ends at once does not tear TBB down under it.
    struct Joined {
      std::thread thread;
      ~Joined() {
        if (thread.joinable()) {
          thread.join();
        }
      }
    };
    static Joined warm_up;
    warm_up.thread = std::thread([] {
      try {
        the_arena()->enqueue([] {});
      } catch (...) {  // no threads: the loops then start them, or run serially
      }
    });
  });
}

namespace detail {

std::int64_t run_chunks(std::int64_t count, bool (*run)(void* env, std::int64_t c), void* env) {
  Failures f;
  if (count <= 0) {
    return -1;
  }
  ArenaClaim claim;
  if (count == 1 || t_in_loop || threads() == 1 || !claim.take()) {
    InLoop guard;
    for (std::int64_t c = 0; c < count && !f.skip(c); ++c) {
      run_one(c, run, env, f);
    }
  } else {
    // threads() tasks (at most one per chunk) claim runs of consecutive chunks in increasing
    // order (ArenaLoop::claim), so a chunk below a failure has always been started, and one
    // above it is skipped if not yet begun.
    std::int64_t tasks = std::min<std::int64_t>(threads(), count);
    ArenaLoop loop{run, env, &f, count, tasks, current_limits(), {0}, {0}};
    // The workers find the loop through g_arena_loop, not through captures: a lambda's captures
    // live in TBB's task object, which the uninstrumented libtbb hands between threads, so
    // ThreadSanitizer saw every read of them as a race with the task's construction. The
    // release/acquire pair on g_arena_loop (and on `finished` back) are edges it can see; they
    // cost one atomic operation per task.
    g_arena_loop.store(&loop, std::memory_order_release);
    std::shared_ptr<tbb::task_arena> arena = the_arena();
    arena->execute([] {
      const ArenaLoop* outer = g_arena_loop.load(std::memory_order_acquire);
      tbb::parallel_for(
          tbb::blocked_range<std::int64_t>(0, outer->tasks, 1),
          [](const tbb::blocked_range<std::int64_t>& r) {
            ArenaLoop* l = g_arena_loop.load(std::memory_order_acquire);
            InLoop guard;
            LimitsScope scope(l->limits);  // the caller's, so chunks poll and allocate under them
            for (std::int64_t t = r.begin(); t != r.end(); ++t) {
              // Claims come in increasing order: once a chunk below c0 failed, every later
              // claim is skipped whole (a loop of 10^11 chunks stopped by its time limit must
              // not step through the rest one by one).
              std::int64_t end = 0;
              for (std::int64_t c0 = l->claim(&end); c0 < l->count && !l->failures->skip(c0);
                   c0 = l->claim(&end)) {
                for (std::int64_t c = c0; c < end && !l->failures->skip(c); ++c) {
                  run_one(c, l->run, l->env, *l->failures);
                }
              }
            }
            l->finished.fetch_add(1, std::memory_order_release);
          },
          tbb::simple_partitioner());
    });
    (void)loop.finished.load(std::memory_order_acquire);
    g_arena_loop.store(nullptr, std::memory_order_relaxed);
  }
  std::int64_t first = f.first.load();
  if (first == std::numeric_limits<std::int64_t>::max()) {
    return -1;
  }
  if (f.thrown_chunk == first) {
    std::rethrow_exception(f.thrown);
  }
  return first;
}

}  // namespace detail

namespace {

// One chunk's own context: the parent's run state with a fresh error slot.
struct ChunkContext {
  KestrelContext ctx;
  AbiHost host;

  explicit ChunkContext(const KestrelContext& parent) : ctx(parent) {
    ctx.failed = 0;
    ctx.site = 0;
    // The chunk polls at its first back-edge, then every budget's worth: a copy of the parent's
    // budget would outlast a chunk shorter than it, and a loop of such chunks never polled (a
    // 4e15-instance launch ran past its time limit at 2 threads).
    ctx.budget = 1;
    ctx.stack_limit = parent.stack_limit != 0 ? stack_limit() : 0;  // this thread's stack
    host.out = parent.host != nullptr ? parent.host->out : nullptr;
    host.str_pool = parent.host != nullptr ? parent.host->str_pool : nullptr;
    host.str_pool_mutex = parent.host != nullptr ? parent.host->str_pool_mutex : nullptr;
    host.gpu = parent.host != nullptr ? parent.host->gpu : nullptr;
    ctx.host = &host;
  }
  ChunkContext(const ChunkContext&) = delete;
  ChunkContext& operator=(const ChunkContext&) = delete;
};

// The error of the lowest failing chunk, copied out of its ChunkContext for the parent.
struct FirstError {
  std::mutex mutex;
  std::int64_t chunk = -1;
  std::uint32_t site = 0;
  bool internal = false;
  std::string message;
  std::uint32_t note_site = ~std::uint32_t{0};
  std::string note_function;

  void offer(std::int64_t c, const ChunkContext& cc) {
    std::lock_guard<std::mutex> lock(mutex);
    if (chunk < 0 || c < chunk) {
      chunk = c;
      site = cc.ctx.site;
      internal = cc.host.internal;
      message = cc.host.message;
      note_site = cc.host.note_site;
      note_function = cc.host.note_function;
    }
  }
};

void record(KestrelContext* ctx, std::uint32_t site, const std::string& message, bool internal) {
  record_failure(ctx, site, message, internal);
}

// Runs chunks of a body that reports failure through its context; records the first in ctx.
// chunk_body(c, chunk_ctx) runs chunk c. Returns true when every chunk succeeded.
template <class ChunkBody>
bool run_ctx_chunks(KestrelContext* ctx, std::int64_t count, ChunkBody&& chunk_body) {
  struct Env {
    KestrelContext* parent;
    ChunkBody* body;
    FirstError first;
  } env{ctx, &chunk_body, {}};
  auto run = [](void* p, std::int64_t c) {
    auto* e = static_cast<Env*>(p);
    ChunkContext cc(*e->parent);
    (*e->body)(c, &cc.ctx);
    if (cc.ctx.failed != 0) {
      e->first.offer(c, cc);
      return false;
    }
    return true;
  };
  try {
    if (detail::run_chunks(count, run, &env) < 0) {
      return true;
    }
    record(ctx, env.first.site, env.first.message, env.first.internal);
    if (ctx->host != nullptr && ctx->host->note_site == ~std::uint32_t{0}) {
      ctx->host->note_site = env.first.note_site;
      ctx->host->note_function = env.first.note_function;
    }
  } catch (const std::exception& e) {
    // Generated code does not throw; this is the runtime's own failure (out of memory).
    record(ctx, kNoSite, e.what(), true);
  } catch (...) {
    record(ctx, kNoSite, "unknown error", true);
  }
  return false;
}

// The ABI's bits form: i32 sign-extended, f32's bit pattern in the low 32 bits, f64's bits.
template <class T>
T from_bits(std::int64_t bits) {
  if constexpr (std::is_same_v<T, std::int32_t>) {
    return static_cast<std::int32_t>(bits);
  } else if constexpr (std::is_same_v<T, float>) {
    auto u = static_cast<std::uint32_t>(bits);
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  } else {
    T v;
    std::memcpy(&v, &bits, 8);
    return v;
  }
}

template <class T>
std::int64_t to_bits(T v) {
  if constexpr (std::is_same_v<T, std::int32_t>) {
    return v;
  } else if constexpr (std::is_same_v<T, float>) {
    std::uint32_t u;
    std::memcpy(&u, &v, 4);
    return static_cast<std::int64_t>(u);
  } else {
    std::int64_t bits;
    std::memcpy(&bits, &v, 8);
    return bits;
  }
}

// Reduction r's partials (stride `count` in `buf`, chunks > 0) combined in the fixed tree.
template <class T>
T reduction_tree(CombineOp op, const std::int64_t* buf, std::int64_t chunks, std::int32_t count,
                 std::int32_t r) {
  std::vector<T> parts(static_cast<std::size_t>(chunks));
  for (std::int64_t c = 0; c < chunks; ++c) {
    parts[static_cast<std::size_t>(c)] = from_bits<T>(buf[c * count + r]);
  }
  auto combine = [op](T a, T b) { return combine_values(op, a, b); };
  return combine_tree(std::span<T>(parts), combine_identity<T>(op), combine);
}

// Combines reduction r's partials into values[r] (`tree_only`: replaces values[r] by their tree).
template <class T>
void finish_reduction(CombineOp op, const std::int64_t* buf, std::int64_t chunks,
                      std::int32_t count, std::int32_t r, std::int64_t* values, bool tree_only) {
  if (chunks == 0) {
    return;
  }
  T tree = reduction_tree<T>(op, buf, chunks, count, r);
  values[r] =
      tree_only ? to_bits(tree) : to_bits(combine_values(op, from_bits<T>(values[r]), tree));
}

}  // namespace

namespace {

void finish_or_tree(std::int64_t chunks, std::int32_t count, const std::uint32_t* ops,
                    const std::uint32_t* elems, const std::int64_t* partials, std::int64_t* values,
                    bool tree_only) {
  for (std::int32_t r = 0; r < count; ++r) {
    auto op = static_cast<CombineOp>(ops[r]);
    switch (static_cast<Elem>(elems[r])) {
      case Elem::F64:
        finish_reduction<double>(op, partials, chunks, count, r, values, tree_only);
        break;
      case Elem::F32:
        finish_reduction<float>(op, partials, chunks, count, r, values, tree_only);
        break;
      case Elem::I32:
        finish_reduction<std::int32_t>(op, partials, chunks, count, r, values, tree_only);
        break;
      default:
        finish_reduction<std::int64_t>(op, partials, chunks, count, r, values, tree_only);
        break;
    }
  }
}

}  // namespace

void finish_reductions(std::int64_t chunks, std::int32_t count, const std::uint32_t* ops,
                       const std::uint32_t* elems, const std::int64_t* partials,
                       std::int64_t* values) {
  finish_or_tree(chunks, count, ops, elems, partials, values, false);
}

void reduction_nodes(std::int64_t chunks, std::int32_t count, const std::uint32_t* ops,
                     const std::uint32_t* elems, const std::int64_t* partials,
                     std::int64_t* nodes) {
  finish_or_tree(chunks, count, ops, elems, partials, nodes, true);
}

namespace {

// The fused loops' chunks (kestrel_rt_fused_sum, kestrel_rt_fused_for): run(c) for every chunk c
// of `count`, on the runtime's threads when `parallel` (run_chunks still runs them inline when
// nested, at one thread or with the arena taken), else inline in order; before each chunk the
// run's limits are read. Returns false, the stop (or the runtime's own failure) recorded at
// `site`, when they stopped the run: chunks above the first stopped one do not start.
template <class Run>
bool run_fused(KestrelContext* ctx, std::uint32_t site, std::int64_t count, bool parallel,
               Run&& run) {
  const auto* limits = static_cast<const Limits*>(ctx->interrupt);
  auto stops = [limits] { return limits != nullptr && limits->can_stop() && stopping(*limits); };
  auto stopped = [&] {
    std::string why = stop_message(*limits);
    record(ctx, site, why.empty() ? "interrupted" : why, false);
    return false;
  };
  if (!parallel) {
    for (std::int64_t c = 0; c < count; ++c) {
      if (stops()) {
        return stopped();
      }
      run(c);
    }
    return true;
  }
  using Stops = decltype(stops);
  struct Env {
    Stops* stop_now;
    std::remove_reference_t<Run>* run;
  } env{&stops, &run};
  auto chunk = [](void* p, std::int64_t c) {
    auto* e = static_cast<Env*>(p);
    if ((*e->stop_now)()) {
      return false;
    }
    (*e->run)(c);
    return true;
  };
  try {
    if (detail::run_chunks(count, chunk, &env) < 0) {
      return true;
    }
  } catch (const std::exception& e) {
    record(ctx, kNoSite, e.what(), true);  // the runtime's own failure (out of memory)
    return false;
  }
  return stopped();
}

}  // namespace

}  // namespace kestrel::rt

namespace rt = kestrel::rt;

extern "C" {

void kestrel_rt_parallel_for(std::int64_t lo, std::int64_t hi, std::int64_t chunk,
                             void (*body)(void* env, std::int64_t lo, std::int64_t hi), void* env) {
  // No limits here but the thread count: nothing may throw through the generated caller (it has
  // no context to take an "interrupted" error); its own loops poll.
  rt::Limits count_only;
  count_only.threads = rt::threads();
  rt::LimitsScope none(&count_only);
  rt::parallel_for_chunks(lo, hi, chunk,
                          [&](std::int64_t clo, std::int64_t chi) { body(env, clo, chi); });
}

void kestrel_rt_parallel_for_ctx(KestrelContext* ctx, std::int64_t lo, std::int64_t hi,
                                 std::int64_t chunk,
                                 void (*body)(void* env, KestrelContext* chunk_ctx, std::int64_t lo,
                                              std::int64_t hi),
                                 void* env) {
  rt::run_ctx_chunks(ctx, rt::chunks_in(lo, hi, chunk), [&](std::int64_t c, KestrelContext* cc) {
    auto [clo, chi] = rt::chunk_bounds(lo, hi, chunk, c);
    body(env, cc, clo, chi);
  });
}

void kestrel_rt_parallel_reduce(KestrelContext* ctx, std::int64_t lo, std::int64_t hi,
                                std::int32_t count, const std::uint32_t* ops,
                                const std::uint32_t* elems, std::int64_t* values,
                                void (*body)(void* env, KestrelContext* chunk_ctx, std::int64_t lo,
                                             std::int64_t hi, std::int64_t* partials),
                                void* env) {
  kestrel_rt_parallel_reduce_by(ctx, lo, hi, rt::kReduceChunk, count, ops, elems, values, body,
                                env);
}

void kestrel_rt_parallel_reduce_by(KestrelContext* ctx, std::int64_t lo, std::int64_t hi,
                                   std::int64_t chunk, std::int32_t count, const std::uint32_t* ops,
                                   const std::uint32_t* elems, std::int64_t* values,
                                   void (*body)(void* env, KestrelContext* chunk_ctx,
                                                std::int64_t lo, std::int64_t hi,
                                                std::int64_t* partials),
                                   void* env) {
  std::int64_t chunks = rt::chunks_in(lo, hi, chunk);
  std::vector<std::int64_t> identities(static_cast<std::size_t>(count));
  for (std::int32_t r = 0; r < count; ++r) {
    auto op = static_cast<rt::CombineOp>(ops[r]);
    switch (static_cast<rt::Elem>(elems[r])) {
      case rt::Elem::F64:
        identities[r] = rt::to_bits(rt::combine_identity<double>(op));
        break;
      case rt::Elem::F32:
        identities[r] = rt::to_bits(rt::combine_identity<float>(op));
        break;
      case rt::Elem::I32:
        identities[r] = rt::to_bits(rt::combine_identity<std::int32_t>(op));
        break;
      default:
        identities[r] = rt::combine_identity<std::int64_t>(op);
        break;
    }
  }
  // Partials for at most kWaveChunks chunks at a time (a loop of 10^11 chunks needs no 10^11
  // slots): a wave of 2^20 chunks, aligned at a multiple of 2^20, reduces in the fixed pairwise
  // tree (rules/combine.hpp) to exactly the node the whole tree makes of it, and the waves'
  // nodes then combine in the same tree, so the bits do not depend on the waves.
  constexpr std::int64_t kWaveChunks = std::int64_t{1} << 20;
  std::int64_t waves = (chunks + kWaveChunks - 1) / kWaveChunks;
  std::vector<std::int64_t> buf;
  std::vector<std::int64_t> nodes;
  try {
    buf.resize(static_cast<std::size_t>(std::min(chunks, kWaveChunks) * count));
    nodes.resize(static_cast<std::size_t>(waves > 1 ? waves * count : 0));
  } catch (const std::exception& e) {
    rt::record(ctx, rt::kNoSite, e.what(), true);
    return;
  }
  for (std::int64_t w = 0; w < waves; ++w) {
    std::int64_t first = w * kWaveChunks;
    std::int64_t n = std::min(kWaveChunks, chunks - first);
    for (std::int64_t c = 0; c < n; ++c) {
      std::memcpy(buf.data() + c * count, identities.data(),
                  sizeof(std::int64_t) * static_cast<std::size_t>(count));
    }
    bool ok = rt::run_ctx_chunks(ctx, n, [&](std::int64_t c, KestrelContext* cc) {
      auto [clo, chi] = rt::chunk_bounds(lo, hi, chunk, first + c);
      body(env, cc, clo, chi, buf.data() + c * count);
    });
    if (!ok) {
      return;
    }
    if (waves == 1) {
      rt::finish_reductions(n, count, ops, elems, buf.data(), values);
      return;
    }
    rt::reduction_nodes(n, count, ops, elems, buf.data(), nodes.data() + w * count);
  }
  rt::finish_reductions(waves, count, ops, elems, nodes.data(), values);
}

double kestrel_rt_fused_sum(KestrelContext* ctx, std::uint32_t site, std::int64_t n,
                            double (*partial)(void* env, std::int64_t lo, std::int64_t hi),
                            void* env) {
  std::int64_t count = rt::chunks_in(0, n, rt::kReduceChunk);
  constexpr std::int64_t kSmall = 64;  // partials on the stack up to 64 chunks
  double small[kSmall];
  std::vector<double> big;
  double* parts = small;
  if (count > kSmall) {
    try {
      big.resize(static_cast<std::size_t>(count));
    } catch (const std::exception& e) {
      rt::record(ctx, rt::kNoSite, e.what(), true);
      return 0.0;
    }
    parts = big.data();
  }
  bool ok = rt::run_fused(ctx, site, count, n >= rt::kParallelReduceThreshold, [&](std::int64_t c) {
    auto [lo, hi] = rt::chunk_bounds(0, n, rt::kReduceChunk, c);
    parts[c] = partial(env, lo, hi);
  });
  if (!ok) {
    return 0.0;
  }
  // As kestrel_rt_partials_end / rt::reduce combine a sum's partials (rules/combine.hpp).
  return rt::combine_tree<double>(
      std::span<double>(parts, static_cast<std::size_t>(count)), 0.0,
      [](double a, double b) { return rt::combine_values(rt::CombineOp::Add, a, b); });
}

void kestrel_rt_fused_for(KestrelContext* ctx, std::uint32_t site, std::int64_t n,
                          void (*body)(void* env, std::int64_t lo, std::int64_t hi), void* env) {
  rt::run_fused(ctx, site, rt::chunks_in(0, n, rt::kElementwiseChunk),
                n >= rt::kParallelElementwiseThreshold, [&](std::int64_t c) {
                  auto [lo, hi] = rt::chunk_bounds(0, n, rt::kElementwiseChunk, c);
                  body(env, lo, hi);
                });
}

void kestrel_rt_set_threads(std::int32_t n) { rt::set_threads(n); }

std::int32_t kestrel_rt_threads() { return rt::threads(); }

}  // extern "C"
