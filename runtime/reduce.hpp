#pragma once
// Reductions: sum mean min max argmin argmax count any all dot, of a whole array or along
// axis=0|1 of a matrix, in one fixed order that depends on the data alone (never on threads):
//
//   A reduction of n elements, taken in row-major order, splits them into chunks of
//   kReduceChunk consecutive elements (the last may be shorter). Each chunk is reduced left to
//   right starting from the identity (acc = 0; acc = acc + x for each x); the chunk partials
//   p[0..c) are then combined by combine_tree (the order is defined in rules/combine.hpp).
//   An axis reduction reduces each line (a column for axis=0, a row for axis=1) exactly as a
//   1-D array holding that line would be reduced.
//
// The parallel runtime and the JIT use the same chunks (one task per chunk, or several chunks
// per task) and the same tree, so a float sum is bit-identical at any thread count. No fused
// multiply-add: dot computes each product, rounds it, then adds (the runtime is built with
// -ffp-contract=off; the JIT must not contract either).
//
// Element types: sum of integers or bools is i64 (wrapping), of floats keeps the float type; an
// f32 sum accumulates in f64 (each element widened; chunks and tree in f64) and rounds to f32
// once, at the end (more accurate than numpy's pairwise f32 sum); mean of integers or bools
// converts each element to f64 and sums in f64 (in the order above, as numpy does: large values
// do not wrap) then divides by n, and mean of floats is the sum as above divided by n (for f32:
// the f64 sum divided in f64, then rounded; nan when empty); min and max keep the element type
// and propagate nan; argmin and argmax give the first index of the extreme (of the first nan,
// if any) as i64; count (of a bool array) is i64; any and all are bool; dot multiplies in the
// common element type and sums as above (f32: each product formed in f64, where it is exact,
// and summed in f64, rounded once). min, max, argmin and argmax of an empty array (or
// along an empty line) raise.
#include <cstdint>
#include <span>

#include "runtime/array.hpp"
#include "runtime/rules/combine.hpp"

namespace kestrel::rt {

/// Number of chunks of a reduction of n elements.
inline std::int64_t chunk_count(std::int64_t n) { return (n + kReduceChunk - 1) / kReduceChunk; }

/// Combines chunk partials in the fixed pairwise tree (rules/combine.hpp), in place; returns the
/// result, or `identity` when there are none.
template <class T, class Combine>
T combine_tree(std::span<T> partials, T identity, Combine combine) {
  return combine_tree(partials.data(), partials.size(), identity, combine);
}

enum class ReduceOp : std::uint8_t { Sum, Mean, Min, Max, Argmin, Argmax, Count, Any, All };

/// The element type a reduction of an `elem` array gives.
Elem reduce_result_elem(ReduceOp op, Elem elem);

/// A whole-array reduction (a matrix reduces over all its elements, row-major).
Value reduce(ReduceOp op, const Array& a);
/// Along axis 0 (one result per column) or 1 (one per row) of a matrix: a new vector.
ArrayRef reduce_axis(ReduceOp op, const Array& m, int axis);

inline Value sum(const Array& a) { return reduce(ReduceOp::Sum, a); }
inline Value mean(const Array& a) { return reduce(ReduceOp::Mean, a); }
inline Value min(const Array& a) { return reduce(ReduceOp::Min, a); }
inline Value max(const Array& a) { return reduce(ReduceOp::Max, a); }
inline Value argmin(const Array& a) { return reduce(ReduceOp::Argmin, a); }
inline Value argmax(const Array& a) { return reduce(ReduceOp::Argmax, a); }
inline Value count(const Array& a) { return reduce(ReduceOp::Count, a); }
inline Value any(const Array& a) { return reduce(ReduceOp::Any, a); }
inline Value all(const Array& a) { return reduce(ReduceOp::All, a); }

/// dot(a, b) of two vectors of one length and element type: sum of a[i] * b[i] in the fixed
/// order. Raises "shape mismatch: (3,) and (4,)".
Value dot(const Array& a, const Array& b);
/// dot(a, b, axis=k) of two matrices of one shape: per column (0) or per row (1).
ArrayRef dot(const Array& a, const Array& b, int axis);

}  // namespace kestrel::rt
