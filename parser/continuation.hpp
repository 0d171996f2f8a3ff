#pragma once
// Which newlines continue a statement. A newline is insignificant inside ( ) and [ ], and after
// a line whose last token is an operator, ',' or an open bracket; the grammar's skipper reads
// this map instead of threading optional newlines through every rule.
#include <cstdint>
#include <string_view>
#include <vector>

namespace kestrel::parser {

/// One byte per source byte: 1 where a '\n' continues the current statement, else 0.
std::vector<std::uint8_t> continuation_map(std::string_view text);

}  // namespace kestrel::parser
