#pragma once
// The bounds rules every backend shares: an index i is in bounds for an axis of size n when
// 0 <= i < n (one unsigned comparison; there is no negative indexing), and an axis argument
// (len(a, axis)) names one of the array's axes. Out of bounds is an error whose text is
// rules/messages.hpp's index_message / axis_message.
#include "runtime/rules/hd.hpp"

namespace kestrel::rt {

/// Whether 0 <= i < size.
KESTREL_HD inline bool index_in_bounds(hd::i64 i, hd::i64 size) {
  return static_cast<hd::u64>(i) < static_cast<hd::u64>(size);
}
/// Whether 0 <= axis < rank.
KESTREL_HD inline bool axis_in_bounds(hd::i64 axis, hd::i64 rank) {
  return axis >= 0 && axis < rank;
}

}  // namespace kestrel::rt
