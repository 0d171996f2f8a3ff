#pragma once
// The bounds rules every backend shares. An index counts from the end when negative, as in
// numpy: a[-1] is the last element (wrap_index); the wrapped index is in bounds for an axis of
// size n when 0 <= i < n (one unsigned comparison), and an error quotes the index as written. An
// axis argument (len(a, axis)) names one of the array's axes. Out of bounds is an error whose
// text is rules/messages.hpp's index_message / axis_message.
#include "runtime/rules/hd.hpp"

namespace kestrel::rt {

/// Whether 0 <= i < size.
KESTREL_HD inline bool index_in_bounds(hd::i64 i, hd::i64 size) {
  return static_cast<hd::u64>(i) < static_cast<hd::u64>(size);
}
/// The element a possibly negative index names: i + size when i < 0, else i (branch-free).
KESTREL_HD inline hd::i64 wrap_index(hd::i64 i, hd::i64 size) { return i + (size & (i >> 63)); }
/// A slice lo:hi:step of an axis of `size` as numpy takes it: negative bounds count from the
/// end, bounds past either end are clipped, and a missing bound (`open`) is the start or the end
/// in the step's direction. Sets the first element and the element count (0 for an empty
/// slice). `step` must not be 0.
KESTREL_HD inline void slice_range(hd::i64 lo, hd::i64 hi, hd::i64 step, hd::i64 size, hd::i64 open,
                                   hd::i64* first, hd::i64* count) {
  if (step > 0) {
    lo = lo == open ? 0 : lo < 0 ? (lo + size < 0 ? 0 : lo + size) : (lo > size ? size : lo);
    hi = hi == open ? size : hi < 0 ? (hi + size < 0 ? 0 : hi + size) : (hi > size ? size : hi);
    *first = lo;
    *count = hi > lo ? (hi - lo - 1) / step + 1 : 0;
    return;
  }
  lo = lo == open   ? size - 1
       : lo < 0     ? (lo + size < 0 ? -1 : lo + size)
       : lo >= size ? size - 1
                    : lo;
  hi = hi == open ? -1 : hi < 0 ? (hi + size < 0 ? -1 : hi + size) : hi >= size ? size - 1 : hi;
  *first = lo;
  // -step without overflow (step may be the most negative i64).
  hd::u64 back = hd::u64{0} - static_cast<hd::u64>(step);
  *count = lo > hi ? static_cast<hd::i64>(static_cast<hd::u64>(lo - hi - 1) / back) + 1 : 0;
}
/// Whether 0 <= axis < rank.
KESTREL_HD inline bool axis_in_bounds(hd::i64 axis, hd::i64 rank) {
  return axis >= 0 && axis < rank;
}

}  // namespace kestrel::rt
