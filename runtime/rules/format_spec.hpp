#pragma once
// format(x, spec): Python's format-spec mini-language, parsed once here so that the checker (a
// constant spec) and the runtime (any spec) accept and reject the same specs with the same words.
//   spec ::= [[fill]align][sign][#][0][width][grouping][.precision][type]
//   align: < > ^ =   sign: + - space   grouping: , or _
//   type: d x X o b (integers), e E f F g G % (numbers), s (str), or none.
// Host-only (it builds std::string); the formatting itself is runtime/strings.cpp.
#include <cstdint>
#include <string>
#include <string_view>

namespace kestrel::rt {

/// What is being formatted: Python's int, float or str.
enum class FormatKind : std::uint8_t { Int, Float, Str };

/// A parsed spec; 0 in a char field means "not given".
struct FormatSpec {
  char fill = ' ';
  char align = 0;
  char sign = 0;
  bool alt = false;
  char grouping = 0;
  std::int64_t width = -1;
  std::int64_t precision = -1;
  char type = 0;
};

/// The largest width or precision a spec may ask for (Python allows more; a hostile spec must not
/// exhaust memory).
inline constexpr std::int64_t kMaxFormatWidth = 100000;

/// Parses `text` for a value of `kind` into `out`: an empty string, or the error in words.
inline std::string parse_format_spec(std::string_view text, FormatKind kind, FormatSpec& out) {
  FormatSpec s;
  std::size_t pos = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  bool fill_given = false;
  if (text.size() >= 2 && is_align(text[1])) {
    s.fill = text[0];
    s.align = text[1];
    fill_given = true;
    pos = 2;
  } else if (!text.empty() && is_align(text[0])) {
    s.align = text[0];
    pos = 1;
  }
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-' || text[pos] == ' ')) {
    s.sign = text[pos++];
  }
  if (pos < text.size() && text[pos] == '#') {
    s.alt = true;
    ++pos;
  }
  if (pos < text.size() && text[pos] == '0' && !fill_given) {
    // '0' pads with zeros after the sign (Python's '=' alignment) unless an alignment is given.
    s.fill = '0';
    if (s.align == 0 && kind != FormatKind::Str) {
      s.align = '=';
    }
    ++pos;
  }
  auto number = [&](std::int64_t& v) {
    std::size_t start = pos;
    std::int64_t n = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (n <= kMaxFormatWidth) {
        n = n * 10 + (text[pos] - '0');
      }
      ++pos;
    }
    if (pos > start) {
      v = n;
    }
    return pos > start;
  };
  number(s.width);
  if (pos < text.size() && (text[pos] == ',' || text[pos] == '_')) {
    s.grouping = text[pos++];
    if (pos < text.size() && (text[pos] == ',' || text[pos] == '_')) {
      return "cannot specify both ',' and '_' in a format spec";
    }
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    if (!number(s.precision)) {
      return "format spec is missing its precision after '.'";
    }
  }
  if (s.width > kMaxFormatWidth || s.precision > kMaxFormatWidth) {
    return "format width and precision are at most " + std::to_string(kMaxFormatWidth);
  }
  // A NUL as the type would read as "no type" (0 means not given): "\0" is no spec at all.
  if (text.size() - pos > 1 || (pos < text.size() && text[pos] == '\0')) {
    return "invalid format spec '" + std::string(text) + "'";
  }
  if (pos < text.size()) {
    s.type = text[pos];
  }
  std::string type_text = s.type ? std::string("'") + s.type + "'" : std::string("none");
  const char* kind_name = kind == FormatKind::Int     ? "an integer"
                          : kind == FormatKind::Float ? "a float"
                                                      : "a str";
  std::string_view allowed = kind == FormatKind::Int     ? std::string_view("dxXobeEfFgG%")
                             : kind == FormatKind::Float ? std::string_view("eEfFgG%")
                                                         : std::string_view("s");
  if (s.type != 0 && allowed.find(s.type) == std::string_view::npos) {
    return "format type " + type_text + " does not apply to " + kind_name +
           " (types: d x X o b for integers, e E f F g G % for numbers, s for str)";
  }
  bool integral = kind == FormatKind::Int &&
                  (s.type == 0 || std::string_view("dxXob").find(s.type) != std::string_view::npos);
  if (integral && s.precision >= 0) {
    return "precision is not allowed in an integer format spec";
  }
  if (s.grouping == ',' && s.type != 0 &&
      std::string_view("xXob").find(s.type) != std::string_view::npos) {
    return std::string("cannot specify ',' with '") + s.type + "'";
  }
  if (kind == FormatKind::Str) {
    if (s.sign) {
      return "a sign is not allowed in a str format spec";
    }
    if (s.alt) {
      return "'#' is not allowed in a str format spec";
    }
    if (s.align == '=') {
      return "'=' alignment is not allowed in a str format spec";
    }
    if (s.grouping) {
      return std::string("cannot specify '") + s.grouping + "' with a str";
    }
  }
  out = s;
  return "";
}

}  // namespace kestrel::rt
