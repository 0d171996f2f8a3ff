#pragma once
// The text of the scalar rules' errors (host-only: it builds std::string). Every backend reports
// a failed rule with these words; the predicates that decide are in rules/arith.hpp and
// rules/bounds.hpp.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace kestrel::rt {

/// `text` with its control bytes written as the language's escapes (`\0`, `\t`, `\r`, `\n`,
/// and `\xHH` for the rest and DEL), line ends kept when `keep_newlines`. Every message may
/// quote what a program or a data file holds (a format spec, a CSV field, a file name): a NUL
/// would cut it short where it is read as a C string (`what()`), and an escape sequence would
/// reach the user's terminal. RuntimeError and the diagnostics' renderer both apply it; it
/// leaves printable text as it is, so applying it twice changes nothing.
inline std::string printable(std::string_view text, bool keep_newlines = false) {
  auto control = [&](unsigned char c) {
    return (c < 0x20 && !(keep_newlines && c == '\n')) || c == 0x7f;
  };
  if (std::none_of(text.begin(), text.end(), control)) {
    return std::string(text);
  }
  std::string out;
  for (unsigned char c : text) {
    if (!control(c)) {
      out += static_cast<char>(c);
    } else if (c == '\0' || c == '\t' || c == '\r' || c == '\n') {
      out += '\\';
      out += c == '\0' ? '0' : c == '\t' ? 't' : c == '\r' ? 'r' : 'n';
    } else {
      constexpr std::string_view kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

/// An integer `//` or `%` by zero.
inline std::string division_by_zero_message() { return "integer division by zero"; }
/// An integer `**` with a negative exponent.
inline std::string negative_exponent_message(std::int64_t exponent) {
  return "integer power with a negative exponent (" + std::to_string(exponent) + ")";
}
/// A shift by a negative count.
inline std::string negative_shift_message(std::int64_t count) {
  return "negative shift count (" + std::to_string(count) + ")";
}
/// A for loop whose step is 0 (serial or parallel, on the CPU or the GPU).
inline std::string zero_step_message() { return "the step of a for loop must not be zero"; }
/// A call deeper than RunOptions::max_call_depth.
inline std::string call_depth_message(std::int64_t limit) {
  return "stack overflow: recursion deeper than " + std::to_string(limit);
}
/// An index out of bounds: "index 5 is out of bounds for axis 0 with size 3".
inline std::string index_message(std::int64_t index, int axis, std::int64_t size) {
  return "index " + std::to_string(index) + " is out of bounds for axis " + std::to_string(axis) +
         " with size " + std::to_string(size);
}
/// A negative index in a `parallel for`'s plain store to an outer array: it would wrap onto an
/// element that another iteration may own.
inline std::string negative_parallel_store_message(std::int64_t index) {
  return "index " + std::to_string(index) +
         " is negative in a store inside 'parallel for': it would wrap to the end of the array, "
         "onto an element another iteration may write";
}
/// A slice whose step is 0.
inline std::string slice_step_message() { return "slice step cannot be zero"; }
/// An axis argument that names no axis: "axis 2 is out of bounds for an array of rank 1".
inline std::string axis_message(int axis, int rank) {
  return "axis " + std::to_string(axis) + " is out of bounds for an array of rank " +
         std::to_string(rank);
}

}  // namespace kestrel::rt
