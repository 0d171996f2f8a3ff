#pragma once
// The str operations every backend calls (one implementation, so every mode gives the same text):
// str(x) (print's text), a + b, format(x, spec) with Python's format-spec mini-language
// (runtime/rules/format_spec.hpp), and elementwise == / != between str arrays and str values.
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/array.hpp"

namespace kestrel::rt {

/// format(v, spec) for an integer, a float and a str, bit for bit Python's format(); a bad spec
/// raises RuntimeError with parse_format_spec's words.
std::string format_int_spec(std::int64_t v, std::string_view spec);
std::string format_float_spec(double v, std::string_view spec);
std::string format_str_spec(const std::string& v, std::string_view spec);

/// a == b (or a != b when `negate`) elementwise: a str array against a str (either side), or two
/// str arrays of one shape (else a shape mismatch). A null array means the side is the str.
ArrayRef str_compare(const Array* a, const std::string* as, const Array* b, const std::string* bs,
                     bool negate);

}  // namespace kestrel::rt
