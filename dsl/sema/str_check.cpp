// str operations: str(x), format(x, spec), `a + b` on two str, elementwise `==` / `!=` with a
// str array, and print's sep= / end=. The text itself is runtime/strings.cpp's, in every mode.
#include "dsl/sema/checker.hpp"
#include "runtime/rules/format_spec.hpp"

namespace kestrel::sema {

using ir::Builtin;
using ir::Scalar;

ExprId Checker::check_str_builtin(const std::string& name, const std::vector<const ast::Expr*>& pos,
                                  diag::Span at) {
  ExprId x = check_value(*pos[0]);
  Type t = type_of(x);
  if (name == "str") {
    if (t.is_error()) {
      return error_expr(at);
    }
    if (t.is_tuple()) {
      error(diag::Kind::ArgumentType, span_of(*pos[0]),
            "argument 1 of 'str' must be a scalar, an array or a table, found " + tname(t));
      return error_expr(at);
    }
    if (t == Type::str()) {
      return x;
    }
    return add_expr(ir::BuiltinCall{Builtin::Str, {x}}, Type::str(), at);
  }
  ExprId spec = check_value(*pos[1]);
  Type st = type_of(spec);
  if (t.is_error() || st.is_error()) {
    return error_expr(at);
  }
  bool bad = false;
  if (st != Type::str()) {
    error(
        diag::Kind::ArgumentType, span_of(*pos[1]),
        "argument 2 of 'format' must be a str (a format spec such as \".3f\"), found " + tname(st));
    bad = true;
  }
  rt::FormatKind kind = rt::FormatKind::Str;
  if (t.is_scalar() && ir::is_integer(t.scalar)) {
    kind = rt::FormatKind::Int;
    x = convert_elements(x, Scalar::I64);
  } else if (t.is_scalar() && ir::is_float(t.scalar)) {
    kind = rt::FormatKind::Float;
    x = convert_elements(x, Scalar::F64);
  } else if (t != Type::str()) {
    error(diag::Kind::ArgumentType, span_of(*pos[0]),
          "argument 1 of 'format' must be a number or a str, found " + tname(t) +
              (t.is_array() ? " (format one element, or use str(a) for an array)" : ""));
    bad = true;
  }
  if (bad) {
    return error_expr(at);
  }
  // A constant spec is checked now, at its column; any other is checked when it runs.
  if (const auto* k = std::get_if<ir::StrConst>(&expr(spec).kind)) {
    rt::FormatSpec parsed;
    std::string why = rt::parse_format_spec(k->value, kind, parsed);
    if (!why.empty()) {
      error(diag::Kind::ArgumentType, span_of(*pos[1]), why);
      return error_expr(at);
    }
  }
  return add_expr(ir::BuiltinCall{Builtin::Format, {x, spec}}, Type::str(), at);
}

ExprId Checker::print_with(const ast::Arg* sep, const ast::Arg* end, std::vector<ExprId> args,
                           bool ok, diag::Span at) {
  // The backends lay out a print's text when they compile it, so sep and end are literals.
  auto text = [&](const ast::Arg* a, const char* dflt) -> ExprId {
    if (a == nullptr) {
      return add_expr(ir::StrConst{dflt}, Type::str(), at);
    }
    const auto* lit = ast_if<ast::StrLit>(a->value);
    if (lit == nullptr) {
      error(diag::Kind::ArgumentType, span(*a),
            "print's " + *a->keyword + "= must be a string literal, such as " + *a->keyword +
                "=\", \"");
      ok = false;
      return ExprId{};
    }
    return add_expr(ir::StrConst{lit->value}, Type::str(), span(*a));
  };
  ExprId s = text(sep, " ");
  ExprId e = text(end, "\n");
  for (ExprId a : args) {
    ok = ok && !type_of(a).is_error();
  }
  if (!ok) {
    return error_expr(at);
  }
  args.push_back(s);
  args.push_back(e);
  return add_expr(ir::BuiltinCall{Builtin::PrintWith, std::move(args)}, Type::void_(), at);
}

ExprId Checker::fold_str_binary(ast::BinOp op, ExprId lhs, ExprId rhs, diag::Span at) {
  Type lt = type_of(lhs);
  Type rt = type_of(rhs);
  bool ls = lt.has_elements() && lt.scalar == Scalar::Str;
  bool rs = rt.has_elements() && rt.scalar == Scalar::Str;
  if (!ls && !rs) {
    return ExprId{};
  }
  if (op == ast::BinOp::Add) {
    if (lt == Type::str() && rt == Type::str()) {
      return add_expr(ir::BuiltinCall{Builtin::StrConcat, {lhs, rhs}}, Type::str(), at);
    }
    auto& d = error(diag::Kind::InvalidOperands, at,
                    "invalid operands to '+': " + tname(lt) + " and " + tname(rt));
    d.notes.push_back({at, lt.is_array() || rt.is_array()
                               ? std::string("'+' joins two str values, not arrays of them")
                               : "'+' joins two str values; turn a number into text with str(x): "
                                 "\"n = \" + str(n)"});
    return error_expr(at);
  }
  bool equality = op == ast::BinOp::Eq || op == ast::BinOp::Ne;
  if (equality && ls && rs && (lt.is_array() || rt.is_array())) {
    if (lt.is_array() && rt.is_array() && lt.rank != rt.rank) {
      error(diag::Kind::InvalidOperands, at,
            "invalid operands to '" + std::string(ast::spelling(op)) +
                "': str arrays of different ranks, " + tname(lt) + " and " + tname(rt));
      return error_expr(at);
    }
    int rank = lt.is_array() ? lt.rank : rt.rank;
    return add_expr(
        ir::BuiltinCall{op == ast::BinOp::Eq ? Builtin::StrEq : Builtin::StrNe, {lhs, rhs}},
        Type::array_of(Scalar::Bool, rank), at);
  }
  return ExprId{};
}

}  // namespace kestrel::sema
