#pragma once
// Array reductions of a `parallel for` (DESIGN.md): `h[k] += 1`, `v += row`, `h[k] = min(h[k],
// x)` into an array declared outside the loop. Each chunk of the loop writes a private copy of
// the array instead (same shape, every element the identity), and the copies are combined in
// reduce.hpp's fixed tree over the chunk indices; at the end each element of the array becomes
// `before op tree`. So the result does not depend on the threads, and the interpreter, which runs
// the same chunks one after another, gets the same bits.
//
//   Identities: -0.0 for a float sum (an exact identity: an element no iteration touched keeps
//   its bits, -0.0 included), 0 for an integer sum, 1 for a product, +inf / -inf (the type's
//   max / min for integers) for min / max; combine_values' rules otherwise (integers wrap, min
//   and max propagate nan).
//   Memory: a chunk's copies are merged as soon as its sibling in the tree is done: two pending
//   copies of one level merge into one of the next, so the copies alive are those of chunks
//   running plus O(log chunks) per gap between running chunks, not one per chunk. Merged-away
//   copies are reset to the identity as they are merged and reused by later chunks.
//   The tree: the nodes pending at the end are maximal aligned blocks of chunks (the binary
//   decomposition of the chunk count) and are folded from the right, which is combine_tree's
//   grouping exactly (runtime unit test ArrayReduction.TreeMatchesCombineTree).
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "runtime/array.hpp"
#include "runtime/parallel.hpp"

struct KestrelContext;  // runtime/abi.hpp

namespace kestrel::rt {

class ArrayReductions {
 public:
  /// The arrays reduced into (held until the end) and their operators.
  ArrayReductions(std::vector<ArrayRef> targets, std::vector<CombineOp> ops);
  ArrayReductions(const ArrayReductions&) = delete;
  ArrayReductions& operator=(const ArrayReductions&) = delete;

  std::size_t size() const { return targets_.size(); }
  const ArrayRef& target(std::size_t r) const { return targets_[r]; }
  /// A private copy of target r for one chunk: its shape, contiguous, every element the
  /// identity. Thread-safe.
  ArrayRef fresh(std::size_t r);
  /// Chunk c's private copies (one per target, in order) are final. Thread-safe; each chunk
  /// index is handed in once.
  void done(std::int64_t c, std::vector<ArrayRef> privates);
  /// The chunks handed in so far combined (in the fixed tree), then each target element becomes
  /// `element op combined`. Call once, after every chunk is done; nothing changes without chunks.
  void finish();

 private:
  using Node = std::vector<ArrayRef>;
  /// a = a op b, element by element, for every target (a and b private copies); b is left
  /// holding the identity (a spare for fresh()).
  void merge(Node& a, const Node& b) const;
  void recycle(Node& n);

  std::vector<ArrayRef> targets_;
  std::vector<CombineOp> ops_;
  std::mutex mutex_;
  std::map<std::pair<int, std::int64_t>, Node> pending_;  // (level, index) -> complete node
  std::vector<std::vector<ArrayRef>> spare_;              // per target: copies to reuse
};

}  // namespace kestrel::rt

extern "C" {

/// Begins the array reductions of a parallel loop: count targets (borrowed, or adopted when
/// `adopt`: the handle then owns the caller's references) and their ops (ir::ReduceOp numbers).
/// Chunks are handed in by kestrel_rt_arred_done with their first iteration `lo`, chunk index
/// (lo - range_lo) / chunk; chunk 0 means "one after another" (the index counts the calls). The
/// handle is owned by ctx's host until kestrel_rt_arred_end. An error in the handle's calls (a
/// private copy past the memory limit) is recorded at `site`, the loop's.
void* kestrel_rt_arred_begin(KestrelContext* ctx, std::int32_t count, const std::uint32_t* ops,
                             kestrel::rt::Array* const* targets, std::int32_t adopt,
                             std::int64_t range_lo, std::int64_t chunk, std::uint32_t site);
/// Writes a fresh private copy of each target into privates[0..count) (new references). On
/// failure (memory) ctx is marked failed and the slots are null.
void kestrel_rt_arred_fresh(KestrelContext* ctx, void* handle, kestrel::rt::Array** privates);
/// Hands in the privates of the chunk starting at iteration `lo` (takes their references and
/// nulls the slots); when ctx has failed they are only released.
void kestrel_rt_arred_done(KestrelContext* ctx, void* handle, std::int64_t lo,
                           kestrel::rt::Array** privates);
/// kestrel_rt_arred_done for the next chunk of a serial loop, then kestrel_rt_arred_fresh.
void kestrel_rt_arred_next(KestrelContext* ctx, void* handle, kestrel::rt::Array** privates);
/// Unless ctx has failed, combines the chunks into the targets. When `back` is not null, writes
/// the targets there with one reference each (what `adopt` took). Frees the handle.
void kestrel_rt_arred_end(KestrelContext* ctx, void* handle, kestrel::rt::Array** back);
}
