#pragma once
// Printing, as DESIGN.md says, into a std::string the caller writes out:
//   integers in decimal; booleans `true` / `false`; strings as they are;
//   floats (scalars) as Python's repr: the shortest digits that read back to the same bits, in
//     fixed notation when the decimal exponent is in [-4, 16) and with a ".0" when there is no
//     fraction (`0.1`, `3.5`, `100.0`, `-0.0`), else in scientific notation with a signed exponent
//     of at least two digits (`1e-07`, `1e+16`, `1.5e+300`); `nan`, `inf`, `-inf`. An f32 prints
//     the shortest digits that read back to the same f32 (0.1f32 prints `0.1`);
//   arrays as numpy's default repr (numpy.array2string) does: `[1 2 3]`, `[1.5 2.  3. ]`. Float
//     elements keep a trailing point and align on it, or all go to scientific notation when a
//     finite nonzero magnitude is >= 1e8 or < 1e-4 or they span more than 1000x (`[1.0e-05
//     1.5e+00]`); unlike numpy each keeps its shortest round-trip digits (numpy stops at 8).
//     Integers print in decimal, unpadded in a vector; a matrix prints one row per line,
//     `[[1 2]\n [3 4]]`, integer elements right-aligned to the widest one shown. Rows wrap at
//     numpy's linewidth 75. An array of more than kPrintThreshold elements shows its first and
//     last kPrintEdge elements (rows and columns of a matrix) around `...`:
//     `[0 1 2 ... 997 998 999]`; an empty array prints `[]`;
//   tables as aligned columns: a header line of names, then one line per row, each column
//     right-aligned to its widest cell and columns separated by two spaces; a table of more than
//     kTableRowThreshold rows shows its first and last kTableEdge rows around a `...` line and
//     ends with a `[N rows x M columns]` line.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "runtime/array.hpp"

namespace kestrel::rt {

class Table;

inline constexpr std::int64_t kPrintThreshold = 1000;
inline constexpr std::int64_t kPrintEdge = 3;
inline constexpr std::int64_t kTableRowThreshold = 20;
inline constexpr std::int64_t kTableEdge = 5;

/// Appends one scalar in print's form.
void append_int(std::string& out, std::int64_t v);
void append_float(std::string& out, double v);
void append_float(std::string& out, float v);
void append_bool(std::string& out, bool v);
void append_value(std::string& out, const Value& v);

std::string format_int(std::int64_t v);
std::string format_float(double v);
std::string format_float(float v);
std::string format_value(const Value& v);
std::string format_array(const Array& a);
std::string format_table(const Table& t);

/// print(x, …): the pieces joined by single spaces, ending in '\n'.
std::string print_line(std::span<const std::string> pieces);

}  // namespace kestrel::rt
