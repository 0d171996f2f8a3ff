#pragma once
// The reduction rules every backend shares: the four operators of a `parallel for` reduction
// (and of an array reduction), their identities, and the fixed order partials are combined in,
// so that a float reduction gives the same bits at any thread count and in every mode.
//
//   A reduction over n iterations (or elements) splits them into chunks of kReduceChunk
//   consecutive ones; each chunk's partial is accumulated left to right from the identity, and
//   the partials are combined by combine_tree: repeatedly replace the list with p[0]+p[1],
//   p[2]+p[3], …, carrying an odd last element over unchanged, until one is left. A `parallel
//   for`'s reduction into v gives combine(v_before, tree).
#include "runtime/rules/arith.hpp"

namespace kestrel::rt {

/// Iterations (elements) per chunk of a reduction.
inline constexpr hd::i64 kReduceChunk = 4096;

/// The four reductions of a parallel for, in ir::ReduceOp's order (the C ABI passes the number).
enum class CombineOp : unsigned char { Add, Mul, Min, Max };

/// a op b: integers wrap; min and max propagate nan and keep `a` on a tie.
template <class T>
KESTREL_HD inline T combine_values(CombineOp op, T a, T b) {
  switch (op) {
    case CombineOp::Add:
      return num_add(a, b);
    case CombineOp::Mul:
      return num_mul(a, b);
    case CombineOp::Min:
      return min_value(a, b);
    case CombineOp::Max:
      return max_value(a, b);
  }
  return a;
}

/// The identity of op: 0, 1, +inf (an integer's largest value) for Min, -inf (its smallest)
/// for Max. A scalar reduction's chunks start from it.
template <class T>
KESTREL_HD inline T combine_identity(CombineOp op) {
  switch (op) {
    case CombineOp::Add:
      return T{0};
    case CombineOp::Mul:
      return T{1};
    case CombineOp::Min:
      if constexpr (hd::kFloat<T>) {
        return hd::inf(T{0});
      } else {
        return hd::int_max<T>();
      }
    case CombineOp::Max:
      if constexpr (hd::kFloat<T>) {
        return -hd::inf(T{0});
      } else {
        return hd::int_min<T>();
      }
  }
  return T{0};
}

/// The exact identity of op, which an array reduction's private copies start from: a float sum
/// starts from -0.0 (-0.0 + x == x for every x, so an element no iteration touched keeps its
/// bits); otherwise combine_identity.
template <class T>
KESTREL_HD inline T exact_identity(CombineOp op) {
  if constexpr (hd::kFloat<T>) {
    if (op == CombineOp::Add) {
      return -T{0};
    }
  }
  return combine_identity<T>(op);
}

/// Combines partials p[0..n) in the fixed pairwise tree (see above), in place; returns the
/// result, or `identity` when n == 0.
template <class T, class Combine>
KESTREL_HD inline T combine_tree(T* p, hd::u64 n, T identity, Combine combine) {
  if (n == 0) {
    return identity;
  }
  while (n > 1) {
    hd::u64 half = n / 2;
    for (hd::u64 k = 0; k < half; ++k) {
      p[k] = combine(p[2 * k], p[2 * k + 1]);
    }
    if (n % 2 == 1) {
      p[half] = p[n - 1];
      n = half + 1;
    } else {
      n = half;
    }
  }
  return p[0];
}

}  // namespace kestrel::rt
