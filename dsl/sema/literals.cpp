// Literals: `42` (i64), `42i32`, `3.5` (f64), `3.5f32`, `true`, `"text"`. A literal that does
// not fit its type is InvalidLiteral. Unsuffixed numbers are marked untyped: they adapt to the
// other operand (`a_f32 * 0.5` stays f32), as Go's untyped constants do.
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "dsl/sema/checker.hpp"

namespace kestrel::sema {

namespace {

/// Splits `12i32` into digits "12" and suffix "i32" (suffix empty when absent).
void split_suffix(const std::string& text, std::string& digits, std::string& suffix) {
  digits.clear();
  suffix.clear();
  for (const char* s : {"i32", "i64", "f32", "f64"}) {
    if (text.size() > 3 && text.compare(text.size() - 3, 3, s) == 0) {
      suffix = s;
      break;
    }
  }
  for (std::size_t i = 0; i < text.size() - suffix.size(); ++i) {
    if (text[i] != '_') {
      digits += text[i];
    }
  }
}

}  // namespace

ExprId Checker::check_int_lit(const ast::IntLit& lit) {
  std::string digits, suffix;
  split_suffix(lit.text, digits, suffix);
  diag::Span at = span(lit);
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  bool parsed = ec == std::errc() && ptr == digits.data() + digits.size() && !digits.empty();
  Type t = suffix == "i32" ? Type::i32() : Type::i64();
  if (suffix == "f32" || suffix == "f64") {
    t = suffix == "f32" ? Type::f32() : Type::f64();
    ExprId id = add_expr(ir::FloatConst{static_cast<double>(value)}, t, at);
    return id;
  }
  std::uint64_t max = t == Type::i32() ? 2147483647u : 9223372036854775807u;
  if (!parsed || value > max) {
    error(diag::Kind::InvalidLiteral, at,
          "integer literal " + lit.text + " does not fit in " + tname(t))
        .notes.push_back({at, t == Type::i32() ? "i32 holds values up to 2147483647"
                                               : "i64 holds values up to 9223372036854775807"});
    return error_expr(at);
  }
  ExprId id = add_expr(ir::IntConst{static_cast<std::int64_t>(value)}, t, at);
  untyped_[id.v] = suffix.empty();
  return id;
}

ExprId Checker::check_float_lit(const ast::FloatLit& lit) {
  std::string digits, suffix;
  split_suffix(lit.text, digits, suffix);
  diag::Span at = span(lit);
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(digits.c_str(), &end);
  bool parsed = !digits.empty() && end == digits.c_str() + digits.size();
  Type t = suffix == "f32" ? Type::f32() : Type::f64();
  if (t == Type::f32()) {
    value = static_cast<double>(static_cast<float>(value));
  }
  if (!parsed || !std::isfinite(value)) {
    error(diag::Kind::InvalidLiteral, at,
          "float literal " + lit.text + " does not fit in " + tname(t));
    return error_expr(at);
  }
  ExprId id = add_expr(ir::FloatConst{value}, t, at);
  untyped_[id.v] = suffix.empty();
  return id;
}

}  // namespace kestrel::sema
