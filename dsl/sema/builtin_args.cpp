// BuiltinArgs: one builtin call's positional arguments, checked with one set of messages.
#include "dsl/sema/builtin_args.hpp"

namespace kestrel::sema {

bool any_elem(ir::Scalar) { return true; }
bool num_elem(ir::Scalar s) { return ir::is_numeric(s); }
bool num_or_bool(ir::Scalar s) { return ir::is_numeric(s) || s == ir::Scalar::Bool; }
bool bool_elem(ir::Scalar s) { return s == ir::Scalar::Bool; }

BuiltinArgs::BuiltinArgs(Checker& checker, const std::string& name_,
                         std::vector<const ast::Expr*> pos_, diag::Span at_)
    : c(checker), name(name_), pos(std::move(pos_)), at(at_), args(pos.size()) {}

std::string BuiltinArgs::what(std::size_t k) const {
  return "argument " + std::to_string(k + 1) + " of '" + name + "'";
}

void BuiltinArgs::fail(std::size_t k, const std::string& must, Type found, diag::Kind kind) {
  c.error(kind, c.span_of(*pos[k]), what(k) + " must be " + must + ", found " + c.tname(found));
  ok = false;
}

Type BuiltinArgs::value(std::size_t k) {
  args[k] = c.check_value(*pos[k]);
  Type t = c.type_of(args[k]);
  if (t.is_error()) {
    ok = false;
  }
  return t;
}

void BuiltinArgs::integer(std::size_t k) {
  Type t = value(k);
  if (t.is_error()) {
    return;
  }
  if (!t.is_scalar() || !ir::is_integer(t.scalar)) {
    fail(k, "an integer", t);
    return;
  }
  args[k] = c.convert_elements(args[k], ir::Scalar::I64);
}

void BuiltinArgs::string(std::size_t k) {
  Type t = value(k);
  if (!t.is_error() && t != Type::str()) {
    fail(k, "a str", t);
  }
}

Type BuiltinArgs::numeric(std::size_t k, bool allow_bool) {
  Type t = value(k);
  if (t.is_error()) {
    return t;
  }
  if (!t.has_elements() ||
      !(ir::is_numeric(t.scalar) || (allow_bool && t.scalar == ir::Scalar::Bool))) {
    fail(k, allow_bool ? "a number, a bool or an array of them" : "a number or a numeric array", t);
    return Type::error();
  }
  return t;
}

Type BuiltinArgs::array(std::size_t k, const char* must, bool (*elem_ok)(ir::Scalar)) {
  Type t = value(k);
  if (t.is_error()) {
    return t;
  }
  if (!t.is_array() || !elem_ok(t.scalar)) {
    fail(k, must, t);
    return Type::error();
  }
  return t;
}

int BuiltinArgs::parse_axis(const ast::Arg* axis_arg) {
  if (!axis_arg) {
    return -1;
  }
  const auto* lit = ast_if<ast::IntLit>(axis_arg->value);
  if (lit && (lit->text == "0" || lit->text == "1")) {
    return lit->text[0] - '0';
  }
  c.error(diag::Kind::ArgumentType, c.span(*axis_arg), "axis must be 0 or 1");
  ok = false;
  return -1;
}

void BuiltinArgs::check_axis(const ast::Arg* axis_arg, Type t) {
  if (axis_arg && t.is_array() && t.rank != 2) {
    c.error(diag::Kind::ArgumentType, c.span(*axis_arg),
            "axis= needs a matrix (rank 2), found " + c.tname(t));
    ok = false;
  }
}

ExprId BuiltinArgs::make(ir::Builtin b, Type t, int axis) {
  if (!ok || t.is_error()) {
    return c.error_expr(at);
  }
  return c.add_expr(ir::BuiltinCall{b, std::move(args), static_cast<std::int8_t>(axis)}, t, at);
}

}  // namespace kestrel::sema
