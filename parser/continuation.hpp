#pragma once
// Which newlines continue a statement. A newline is insignificant inside ( ) and [ ], and after
// a line whose last token is an operator, ',' or an open bracket; the grammar's skipper reads
// this map instead of threading optional newlines through every rule.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace kestrel::parser {

/// One byte per source byte: 1 where a '\n' continues the current statement, else 0.
std::vector<std::uint8_t> continuation_map(std::string_view text);

/// Whether `c` may be part of a name.
bool is_ident_char(char c);
/// The last byte of the comment ('#') or string ('"') that opens at text[i]: a comment ends at
/// its line's end, a string at its closing quote or, unterminated, at the line's end (a
/// backslash escapes the next byte). Any other byte: i.
std::size_t comment_or_string_end(std::string_view text, std::size_t i);

}  // namespace kestrel::parser
