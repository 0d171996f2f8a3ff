#pragma once
// Parallel loops and reductions on oneTBB, with results that never depend on the thread count.
//
//   Chunking: a parallel loop over [lo, hi) with chunk size s runs body(lo + c*s, min(hi, lo +
//   (c+1)*s)) once for each chunk c; the boundaries depend on lo, hi and s alone. Chunks run in
//   one tbb::task_arena on at most threads() threads, in any order and on any thread.
//   Reductions use chunks of kReduceChunk (reduce.hpp): the partial of chunk c is reduced left to
//   right from the identity, and the partials are combined by combine_tree in chunk order, so a
//   float sum is bit-identical at 1, 2 or 64 threads and equal to rt::reduce. A parallel for's
//   reduction into a variable v gives combine(v_before, tree), as the interpreter's PFOR_END.
//   Host threads: one loop at a time runs in the arena; a loop started on another thread while
//   it is taken (calls of a Module from several threads) runs its chunks serially, inline.
//   Nesting: a parallel loop started inside a chunk runs all its chunks serially, inline, on the
//   thread that started it (same chunks, same result).
//   Stopping: the caller's rt::Limits are current on every thread that runs its chunks; C++
//   bodies poll them between chunks (an interrupt or the time limit throws there), generated
//   code at its own loop back-edges.
//   Errors: a chunk fails by throwing (C++ bodies) or by setting `failed` in its KestrelContext
//   (generated code). The error of the lowest failing chunk is the one reported, so the report
//   does not depend on the schedule; chunks above a known failure are not started, chunks below
//   it still run (one of them may fail first in chunk order). Failing chunks' exceptions are
//   caught on the worker and the chosen one is rethrown on the calling thread after every chunk
//   has finished, so nothing outlives the call.
//
// Arrays' reference counts are not atomic (array.hpp): a body reads and writes elements through
// raw pointers and never retains or releases an Array.
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/elementwise.hpp"
#include "runtime/limits.hpp"
#include "runtime/reduce.hpp"

struct KestrelContext;  // runtime/abi.hpp

namespace kestrel::rt {

/// Sets the number of threads parallel loops use; n <= 0 restores the default (every core the
/// process may run on: its CPU affinity mask, tbb::info::default_concurrency). A loop starts at
/// most this many tasks, so it may change between loops at any time (an engine per thread count in
/// one process works); TBB's own process-wide settings are left alone, so a host application's TBB
/// work is not bounded by it.
void set_threads(int n);
/// The number of threads parallel loops use: the current run's (Limits::threads) when it sets
/// one, else the process's (set_threads).
int threads();
/// True on a thread that is running a chunk of a parallel loop (a nested loop runs serially).
bool in_parallel_loop();
/// Starts the loops' thread pool on a thread of its own, once per process, when `threads` (0:
/// the default) is more than one: TBB's first use loads libraries and starts its workers, a few
/// ms that a program with a parallel loop otherwise waits for when the loop starts (the engine
/// calls this as it compiles such a program, so the pool starts while it parses and compiles).
void warm_up_threads(int threads);

/// Number of chunks of size `chunk` in [lo, hi) (0 when the range is empty). A chunk size below 1
/// means one chunk for the whole range. Exact for any int64 bounds (the width is taken unsigned).
inline std::int64_t chunks_in(std::int64_t lo, std::int64_t hi, std::int64_t chunk) {
  if (hi <= lo) {
    return 0;
  }
  if (chunk < 1) {
    return 1;
  }
  std::uint64_t width = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  return static_cast<std::int64_t>((width - 1) / static_cast<std::uint64_t>(chunk) + 1);
}

/// Chunk c of [lo, hi) by `chunk`: [first, second).
inline std::pair<std::int64_t, std::int64_t> chunk_bounds(std::int64_t lo, std::int64_t hi,
                                                          std::int64_t chunk, std::int64_t c) {
  if (chunk < 1) {
    return {lo, hi};
  }
  std::uint64_t start = static_cast<std::uint64_t>(c) * static_cast<std::uint64_t>(chunk);
  std::uint64_t left = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) - start;
  auto clo = static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + start);
  auto chi = left > static_cast<std::uint64_t>(chunk)
                 ? static_cast<std::int64_t>(static_cast<std::uint64_t>(clo) +
                                             static_cast<std::uint64_t>(chunk))
                 : hi;
  return {clo, chi};
}

namespace detail {
/// Runs run(env, c) for every chunk index c in [0, count): in parallel, or serially in order
/// when nested, when threads() == 1 or when count == 1. run returns false when chunk c failed
/// without throwing. Returns the lowest failed chunk (-1 if none); when that chunk threw, its
/// exception is rethrown here instead. Chunks above a recorded failure are skipped.
std::int64_t run_chunks(std::int64_t count, bool (*run)(void* env, std::int64_t c), void* env);
}  // namespace detail

/// Runs body(chunk_lo, chunk_hi) over the fixed chunking of [lo, hi) by `chunk` (> 0), in
/// parallel. An exception thrown by a body (the lowest failing chunk's) is rethrown here.
template <class Fn>
void parallel_for_chunks(std::int64_t lo, std::int64_t hi, std::int64_t chunk, Fn&& body) {
  struct Env {
    std::int64_t lo, hi, chunk;
    std::remove_reference_t<Fn>* body;
  } env{lo, hi, chunk, &body};
  auto run = [](void* p, std::int64_t c) {
    poll();  // an interrupt or the time limit stops a long operation between chunks
    auto* e = static_cast<Env*>(p);
    auto [clo, chi] = chunk_bounds(e->lo, e->hi, e->chunk, c);
    (*e->body)(clo, chi);
    return true;
  };
  detail::run_chunks(chunks_in(lo, hi, chunk), run, &env);
}

// CombineOp, combine_values and combine_identity: runtime/rules/combine.hpp.

/// The reduction of [lo, hi) in reduce.hpp's fixed order: partial(chunk_lo, chunk_hi) gives one
/// kReduceChunk chunk's partial, and the partials are combined by combine_tree with `combine`.
/// Returns `identity` for an empty range.
template <class T, class Partial, class Combine>
T parallel_reduce_chunks(std::int64_t lo, std::int64_t hi, T identity, Partial&& partial,
                         Combine combine) {
  std::int64_t count = chunks_in(lo, hi, kReduceChunk);
  std::vector<T> partials(static_cast<std::size_t>(count), identity);
  struct Env {
    std::int64_t lo, hi;
    T* out;
    std::remove_reference_t<Partial>* partial;
  } env{lo, hi, partials.data(), &partial};
  auto run = [](void* p, std::int64_t c) {
    poll();
    auto* e = static_cast<Env*>(p);
    auto [clo, chi] = chunk_bounds(e->lo, e->hi, kReduceChunk, c);
    e->out[c] = (*e->partial)(clo, chi);
    return true;
  };
  detail::run_chunks(count, run, &env);
  return combine_tree(std::span<T>(partials), identity, combine);
}

/// `op` over p[0..n) (contiguous) in the fixed order; for Add equal to rt::reduce(Sum) bit for
/// bit, for Min and Max equal to rt::reduce's (the first extreme, the first nan). Returns the
/// identity when n == 0 (rt::reduce raises for min and max of nothing). T: i64, f64 or f32.
template <class T>
T parallel_reduce(CombineOp op, const T* p, std::int64_t n) {
  static_assert(
      std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> || std::is_same_v<T, float>,
      "parallel_reduce: i64, f64 or f32");
  T id = combine_identity<T>(op);
  if constexpr (std::is_same_v<T, float>) {
    if (op == CombineOp::Add) {
      // As rt::reduce sums f32: in f64, rounded once (runtime/reduce.hpp).
      auto wide = [&](std::int64_t lo, std::int64_t hi) {
        double acc = 0;
        for (std::int64_t k = lo; k < hi; ++k) {
          acc += static_cast<double>(p[k]);
        }
        return acc;
      };
      return static_cast<float>(parallel_reduce_chunks<double>(
          0, n, 0.0, wide, [](double a, double b) { return a + b; }));
    }
  }
  auto partial = [&](std::int64_t lo, std::int64_t hi) {
    // Sum and product start from the identity as rt::reduce does (acc = 0; acc = acc + x).
    T acc = op == CombineOp::Add ? T{} : id;
    for (std::int64_t k = lo; k < hi; ++k) {
      acc = combine_values(op, acc, p[k]);
    }
    return acc;
  };
  return parallel_reduce_chunks<T>(0, n, id, partial,
                                   [op](T a, T b) { return combine_values(op, a, b); });
}

/// The finish of a parallel for's scalar reductions, shared by kestrel_rt_parallel_reduce_by and
/// the GPU runtime (runtime/gpu/program.cpp) so both combine the same way: `partials` holds
/// chunks * count values in the ABI's bits form, chunk c's partial of reduction r at
/// partials[c * count + r]; reduction r (op ops[r], element elems[r]: I32, I64, F32 or F64)
/// becomes values[r] = combine(values[r], combine_tree(its partials in chunk order)). Nothing
/// changes when chunks == 0.
void finish_reductions(std::int64_t chunks, std::int32_t count, const std::uint32_t* ops,
                       const std::uint32_t* elems, const std::int64_t* partials,
                       std::int64_t* values);
/// As finish_reductions, but nodes[r] = combine_tree(reduction r's partials) alone (chunks > 0):
/// a block of the tree, to be combined with the other blocks' nodes in the same tree.
void reduction_nodes(std::int64_t chunks, std::int32_t count, const std::uint32_t* ops,
                     const std::uint32_t* elems, const std::int64_t* partials, std::int64_t* nodes);

// ---- whole-array operations ------------------------------------------------------------------
// Below these sizes a parallel region costs more than it saves, so the helpers run inline (same
// chunks, same result). Measured on this 2-core machine, Release, `parallel_bench
// --benchmark_repetitions=11 --benchmark_enable_random_interleaving=true
// --benchmark_min_time=0.05`, median (fastest) repetition, at load average ~2 (one other job).
// A region of two empty chunks costs 7 ns at 1 thread (inline) and ~180 ns at 2. When the other
// engineers' builds push the load to 3-8, the second core is rarely free and 2 threads gain
// nothing at any size: these thresholds are for a machine with its cores to itself.

/// f64 sum in the fixed order (BM_SumF64), 1 thread vs 2 threads, us:
///   n = 8192: 5.79 (5.11) vs 5.78 (5.42); 16384: 11.5 (10.8) vs 8.8 (7.8);
///   32768: 22.8 (21.9) vs 15.0 (13.6); 65536: 47.0 (43.8) vs 27.5 (26.5); 2^20: 739 vs 409.
inline constexpr std::int64_t kParallelReduceThreshold = 16384;
/// f32 vector add out = a + b (BM_AddF32), 1 vs 2 threads, us:
///   n = 32768: 2.98 (2.84) vs 4.58 (4.21); 65536: 6.2 (5.9) vs 6.2 (5.8);
///   131072: 17.0 (16.6) vs 9.9 (9.7); 2^20: 180 (166) vs 94 (93); 10^7: 4190 vs 1640.
inline constexpr std::int64_t kParallelElementwiseThreshold = 131072;
/// Elements per chunk of a parallel elementwise operation (128 KiB of f64).
inline constexpr std::int64_t kElementwiseChunk = 16384;

/// body(lo, hi) over [0, n): chunks of kElementwiseChunk in parallel when n reaches
/// kParallelElementwiseThreshold, else one call inline.
template <class Fn>
void parallel_elementwise(std::int64_t n, Fn&& body) {
  if (n < kParallelElementwiseThreshold || threads() == 1 || in_parallel_loop()) {
    // Inline; a long one in pieces with a poll between them (elementwise: the same result).
    constexpr std::int64_t kPiece = std::int64_t{1} << 22;
    for (std::int64_t lo = 0; lo < n; lo += kPiece) {
      if (lo > 0) {
        poll();
      }
      body(lo, std::min(n, lo + kPiece));
    }
    return;
  }
  parallel_for_chunks(0, n, kElementwiseChunk, body);
}

/// The sum of p[0..n) in the fixed order (equal to rt::reduce), in parallel from
/// kParallelReduceThreshold elements.
template <class T>
T parallel_sum(const T* p, std::int64_t n) {
  if (!std::is_same_v<T, float> && n < kParallelReduceThreshold) {
    T partials[kParallelReduceThreshold / kReduceChunk];
    std::int64_t count = chunks_in(0, n, kReduceChunk);
    for (std::int64_t c = 0; c < count; ++c) {
      T acc{};
      for (std::int64_t k = c * kReduceChunk; k < std::min(n, (c + 1) * kReduceChunk); ++k) {
        acc = combine_values(CombineOp::Add, acc, p[k]);
      }
      partials[c] = acc;
    }
    return combine_tree(std::span<T>(partials, static_cast<std::size_t>(count)), T{},
                        [](T a, T b) { return combine_values(CombineOp::Add, a, b); });
  }
  return parallel_reduce(CombineOp::Add, p, n);
}

}  // namespace kestrel::rt

extern "C" {

/// Runs body(env, chunk_lo, chunk_hi) over the fixed chunking of [lo, hi) by `chunk`, in
/// parallel. The body must not fail (use kestrel_rt_parallel_for_ctx for one that can).
/// [lo, hi) counts iterations: a loop `for i in a..b by s` passes [0, trip count) and its body
/// computes i = a + k * s, so chunks hold kReduceChunk iterations as the interpreter's PFOR_STEP
/// counts them.
void kestrel_rt_parallel_for(std::int64_t lo, std::int64_t hi, std::int64_t chunk,
                             void (*body)(void* env, std::int64_t lo, std::int64_t hi), void* env);

/// As kestrel_rt_parallel_for, for a body that may fail: each chunk runs with its own
/// KestrelContext (a copy of ctx's run state with a fresh error slot; print and str values are
/// not to be used from a chunk that can run on another thread). When a chunk fails, the error
/// of the lowest failing chunk (message, site, internal) is recorded in ctx, which is marked
/// failed; the generated code tests ctx->failed after the call as after any runtime call.
void kestrel_rt_parallel_for_ctx(KestrelContext* ctx, std::int64_t lo, std::int64_t hi,
                                 std::int64_t chunk,
                                 void (*body)(void* env, KestrelContext* chunk_ctx, std::int64_t lo,
                                              std::int64_t hi),
                                 void* env);

/// A parallel for over [lo, hi) with `count` reductions, chunked by kReduceChunk. Reduction r has
/// ops[r] (0 add, 1 mul, 2 min, 3 max: ir::ReduceOp), elems[r] (rt::Elem: I32, I64, F32, F64) and
/// values[r] (the variable before the loop in, its value after out, in the ABI's bits form).
/// body(env, chunk_ctx, chunk_lo, chunk_hi, partials) finds partials[0..count) holding the
/// identities and leaves there the chunk's partials (accumulated left to right); the runtime owns
/// the buffer. values[r] becomes combine(before, combine_tree(partials of every chunk)). On
/// failure ctx is marked as kestrel_rt_parallel_for_ctx does and values are left unchanged.
void kestrel_rt_parallel_reduce(KestrelContext* ctx, std::int64_t lo, std::int64_t hi,
                                std::int32_t count, const std::uint32_t* ops,
                                const std::uint32_t* elems, std::int64_t* values,
                                void (*body)(void* env, KestrelContext* chunk_ctx, std::int64_t lo,
                                             std::int64_t hi, std::int64_t* partials),
                                void* env);

/// kestrel_rt_parallel_reduce with chunks of `chunk` iterations instead of kReduceChunk. Only
/// integer reductions may use another size: wrapping + and *, min and max of integers give the
/// same result in any grouping, while a float reduction equals the interpreter's (and rt::reduce's)
/// only with kReduceChunk chunks. Larger chunks cost fewer chunk starts on a cheap body.
void kestrel_rt_parallel_reduce_by(KestrelContext* ctx, std::int64_t lo, std::int64_t hi,
                                   std::int64_t chunk, std::int32_t count, const std::uint32_t* ops,
                                   const std::uint32_t* elems, std::int64_t* values,
                                   void (*body)(void* env, KestrelContext* chunk_ctx,
                                                std::int64_t lo, std::int64_t hi,
                                                std::int64_t* partials),
                                   void* env);

/// A fused whole-array sum (the JIT's `sum` of an elementwise chain, codegen/llvm/lower_fuse.cpp)
/// over n elements: partial(env, lo, hi) sums elements [lo, hi) left to right from 0 in f64 (f32
/// elements widened), for each kReduceChunk chunk of [0, n); the partials are combined by
/// combine_tree in chunk order, so the result is rt::reduce's (and parallel_reduce's) at any
/// thread count. The chunks run on the runtime's threads from kParallelReduceThreshold elements,
/// else inline in order. The run's limits (ctx->interrupt) are polled before each chunk: when they
/// stop the run, the stop is recorded at `site` (ctx->failed set) and 0 returned. A partial must
/// not fail (a fused chain of float operations cannot).
double kestrel_rt_fused_sum(KestrelContext* ctx, std::uint32_t site, std::int64_t n,
                            double (*partial)(void* env, std::int64_t lo, std::int64_t hi),
                            void* env);

/// A fused elementwise store over n elements: body(env, lo, hi) for each kElementwiseChunk chunk
/// of [0, n), on the runtime's threads from kParallelElementwiseThreshold elements (else inline in
/// order), polling as kestrel_rt_fused_sum does. A body must not fail.
void kestrel_rt_fused_for(KestrelContext* ctx, std::uint32_t site, std::int64_t n,
                          void (*body)(void* env, std::int64_t lo, std::int64_t hi), void* env);

/// set_threads / threads for generated code and the CLI.
void kestrel_rt_set_threads(std::int32_t n);
std::int32_t kestrel_rt_threads();
}
