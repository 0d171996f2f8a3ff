// Expressions: names, literals, tuples and array literals, unary operators, and the folding of
// flat operator chains into typed binary nodes (left-associative; `**` right-associative).
#include "dsl/sema/checker.hpp"

namespace kestrel::sema {

using ir::Scalar;

ExprId Checker::check_expr(const ast::Expr& e) {
  return visit_ast<ExprId>(e, [&](const auto& x) -> ExprId {
    using T = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<T, ast::Name>) {
      return check_name(x);
    } else if constexpr (std::is_same_v<T, ast::IntLit>) {
      return check_int_lit(x);
    } else if constexpr (std::is_same_v<T, ast::FloatLit>) {
      return check_float_lit(x);
    } else if constexpr (std::is_same_v<T, ast::BoolLit>) {
      return add_expr(ir::BoolConst{x.value}, Type::boolean(), span(x));
    } else if constexpr (std::is_same_v<T, ast::StrLit>) {
      return add_expr(ir::StrConst{x.value}, Type::str(), span(x));
    } else if constexpr (std::is_same_v<T, ast::Paren>) {
      return check_expr(x.inner);
    } else if constexpr (std::is_same_v<T, ast::TupleLit>) {
      std::vector<ExprId> elems;
      std::vector<Type> types;
      bool ok = true;
      for (const ast::Expr& el : x.elems) {
        ExprId id = check_value(el);
        ok = ok && !type_of(id).is_error();
        elems.push_back(id);
        types.push_back(type_of(id));
      }
      Type t = ok ? program_.types.tuple(types) : Type::error();
      return add_expr(ir::MakeTuple{std::move(elems)}, t, span(x));
    } else if constexpr (std::is_same_v<T, ast::ArrayLit>) {
      return check_array_lit(x);
    } else if constexpr (std::is_same_v<T, ast::Unary>) {
      return check_unary(x);
    } else if constexpr (std::is_same_v<T, ast::Binary>) {
      return check_binary(x);
    } else {
      return check_postfix(x);
    }
  });
}

ExprId Checker::check_value(const ast::Expr& e) {
  ExprId id = check_expr(e);
  if (type_of(id).is_void()) {
    std::string what = "this expression";
    if (const auto* post = ast_if<ast::Postfix>(e)) {
      if (const auto* n = ast_if<ast::Name>(post->primary)) {
        what = "'" + n->name + "(…)'";
      }
    }
    error(diag::Kind::TypeMismatch, span_of(e), what + " returns nothing, so it has no value");
    return error_expr(span_of(e));
  }
  return id;
}

ExprId Checker::check_name(const ast::Name& n) { return value_of(resolve_name(n), span(n)); }

ExprId Checker::check_array_lit(const ast::ArrayLit& lit) {
  diag::Span at = span(lit);
  if (lit.elems.empty()) {
    error(diag::Kind::CannotInfer, at, "cannot infer the element type of an empty array literal")
        .notes.push_back({at, "use zeros(0) or empty(0, T) for an empty array"});
    return error_expr(at);
  }
  // A matrix literal is a list of row literals of equal length.
  bool nested = ast_if<ast::ArrayLit>(lit.elems[0]) != nullptr;
  std::vector<const ast::Expr*> items;
  std::uint32_t rows = 0, cols = 0;
  bool ok = true;
  if (nested) {
    rows = static_cast<std::uint32_t>(lit.elems.size());
    for (std::size_t r = 0; r < lit.elems.size(); ++r) {
      const auto* row = ast_if<ast::ArrayLit>(lit.elems[r]);
      if (!row) {
        error(diag::Kind::TypeMismatch, span_of(lit.elems[r]),
              "every row of a matrix literal must be a [ … ] list");
        return error_expr(at);
      }
      if (r == 0) {
        cols = static_cast<std::uint32_t>(row->elems.size());
      } else if (row->elems.size() != cols) {
        error(diag::Kind::TypeMismatch, span(*row),
              "rows of a matrix literal must have the same length: row " + std::to_string(r + 1) +
                  " has " + std::to_string(row->elems.size()) + " elements, row 1 has " +
                  std::to_string(cols));
        ok = false;
      }
      for (const ast::Expr& el : row->elems) {
        if (ast_if<ast::ArrayLit>(el)) {
          error(diag::Kind::TypeMismatch, span_of(el), "array literals have at most 2 dimensions");
          return error_expr(at);
        }
        items.push_back(&el);
      }
    }
    if (cols == 0) {
      error(diag::Kind::CannotInfer, at, "cannot infer the element type of an empty matrix");
      return error_expr(at);
    }
  } else {
    for (const ast::Expr& el : lit.elems) {
      if (ast_if<ast::ArrayLit>(el)) {
        error(diag::Kind::TypeMismatch, span_of(el), "mixed rows and scalars in an array literal");
        return error_expr(at);
      }
      items.push_back(&el);
    }
  }
  std::vector<ExprId> elems;
  for (const ast::Expr* el : items) {
    ExprId id = check_value(*el);
    Type t = type_of(id);
    if (t.is_error()) {
      ok = false;
    } else if (!t.is_scalar()) {
      error(diag::Kind::TypeMismatch, span_of(*el),
            "array literal elements must be scalars, found " + tname(t));
      ok = false;
    }
    elems.push_back(id);
  }
  if (!ok) {
    return error_expr(at);
  }
  // The element type: the common type of the typed elements; untyped literals adapt to it.
  bool all_numeric = true, any_typed = false, float_literal = false;
  Scalar elem = Scalar::I64;
  for (ExprId id : elems) {
    Scalar s = type_of(id).scalar;
    all_numeric = all_numeric && ir::is_numeric(s);
    if (is_untyped_literal(id)) {
      float_literal = float_literal || ir::is_float(s);
    } else {
      elem = any_typed ? promote(elem, s) : s;
      any_typed = true;
    }
  }
  if (all_numeric) {
    if (!any_typed) {
      elem = float_literal ? Scalar::F64 : Scalar::I64;
    } else if (float_literal && ir::is_integer(elem)) {
      elem = Scalar::F64;
    }
  } else {
    elem = type_of(elems[0]).scalar;
    for (std::size_t i = 1; i < elems.size(); ++i) {
      if (type_of(elems[i]).scalar != elem) {
        error(diag::Kind::TypeMismatch, span_of(*items[i]),
              "array literal elements must have one type: found " + tname(type_of(elems[i])) +
                  " after " + tname(type_of(elems[0])));
        return error_expr(at);
      }
    }
  }
  for (ExprId& id : elems) {
    id = convert_elements(id, elem);
  }
  Type t = Type::array_of(elem, nested ? 2 : 1);
  return add_expr(ir::ArrayLit{std::move(elems), rows, cols}, t, at);
}

ExprId Checker::check_unary(const ast::Unary& u) {
  diag::Span at = span(u);
  // `-9223372036854775808`: the one literal that only fits negated.
  if (!u.ops.empty() && u.ops.back() == ast::UnOp::Neg) {
    if (const auto* lit = ast_if<ast::IntLit>(u.operand)) {
      if (lit->text == "9223372036854775808" || lit->text == "9223372036854775808i64") {
        ExprId id = add_expr(ir::IntConst{INT64_MIN}, Type::i64(), at);
        untyped_[id.v] = lit->text.size() < 20;
        if (u.ops.size() == 1) {
          return id;
        }
      }
    }
  }
  ExprId e = check_value(u.operand);
  for (std::size_t k = u.ops.size(); k-- > 0;) {
    Type t = type_of(e);
    if (t.is_error()) {
      return e;
    }
    ast::UnOp op = u.ops[k];
    bool elementwise = t.has_elements();
    Scalar s = t.scalar;
    const char* spelled = ast::spelling(op);
    if (op == ast::UnOp::Neg || op == ast::UnOp::Pos) {
      if (!elementwise || !ir::is_numeric(s)) {
        error(diag::Kind::InvalidOperands, at,
              std::string("invalid operand to unary '") + spelled + "': " + tname(t));
        return error_expr(at);
      }
      if (op == ast::UnOp::Pos) {
        continue;
      }
      const ir::Expr& x = expr(e);
      if (is_untyped_literal(e)) {
        if (const auto* i = std::get_if<ir::IntConst>(&x.kind)) {
          ExprId id = add_expr(
              ir::IntConst{static_cast<std::int64_t>(0ULL - static_cast<std::uint64_t>(i->value))},
              t, at);
          untyped_[id.v] = 1;
          e = id;
          continue;
        }
        if (const auto* f = std::get_if<ir::FloatConst>(&x.kind)) {
          ExprId id = add_expr(ir::FloatConst{-f->value}, t, at);
          untyped_[id.v] = 1;
          e = id;
          continue;
        }
      }
      e = add_expr(ir::Unary{ir::UnaryOp::Neg, e}, t, at);
    } else if (op == ast::UnOp::Not) {
      if (!elementwise || s != Scalar::Bool) {
        error(diag::Kind::InvalidOperands, at, "'not' needs a bool operand, found " + tname(t));
        return error_expr(at);
      }
      e = add_expr(ir::Unary{ir::UnaryOp::Not, e}, t, at);
    } else {
      // Integers only, scalar or array alike: on a bool, the interpreter's two's complement
      // gave -2 (printed true), the JIT's i1 gave false, and the runtime refused an array.
      if (!elementwise || !ir::is_integer(s)) {
        error(diag::Kind::InvalidOperands, at,
              "'~' needs an integer operand, found " + tname(t) +
                  (s == Scalar::Bool ? "; use 'not' to negate a bool" : ""));
        return error_expr(at);
      }
      e = add_expr(ir::Unary{ir::UnaryOp::BitNot, e}, t, at);
    }
  }
  return e;
}

ExprId Checker::check_binary(const ast::Binary& b) {
  std::vector<ExprId> operands{check_expr(b.first)};
  for (const ast::BinaryRest& r : b.rest) {
    operands.push_back(check_expr(r.rhs));
  }
  if (b.rest.empty()) {
    return operands[0];
  }
  ast::Prec prec = ast::precedence(b.rest[0].op);
  auto start = [&](std::size_t i) {
    return i == 0 ? ast::span_of(b.first).begin : ast::span_of(b.rest[i - 1].rhs).begin;
  };
  auto stop = [&](std::size_t i) {
    return i == 0 ? ast::span_of(b.first).end : ast::span_of(b.rest[i - 1].rhs).end;
  };
  if (prec == ast::Prec::Compare && b.rest.size() > 1) {
    error(diag::Kind::InvalidOperands, span(b),
          "comparisons cannot be chained; write 'a < b and b < c'");
    return error_expr(span(b));
  }
  if (prec == ast::Prec::Pow) {
    // a ** b ** c = a ** (b ** c)
    std::size_t n = operands.size() - 1;
    ExprId acc = operands[n];
    for (std::size_t i = n; i-- > 0;) {
      diag::Span at{cur_file_, start(i), stop(n)};
      acc = fold_binary(b.rest[i].op, operands[i], acc, at);
    }
    return acc;
  }
  ExprId acc = operands[0];
  for (std::size_t i = 0; i < b.rest.size(); ++i) {
    diag::Span at{cur_file_, start(0), stop(i + 1)};
    acc = fold_binary(b.rest[i].op, acc, operands[i + 1], at);
  }
  return acc;
}

namespace {

ir::BinaryOp to_ir(ast::BinOp op) {
  switch (op) {
    case ast::BinOp::Or:
      return ir::BinaryOp::Or;
    case ast::BinOp::And:
      return ir::BinaryOp::And;
    case ast::BinOp::Eq:
      return ir::BinaryOp::Eq;
    case ast::BinOp::Ne:
      return ir::BinaryOp::Ne;
    case ast::BinOp::Lt:
      return ir::BinaryOp::Lt;
    case ast::BinOp::Le:
      return ir::BinaryOp::Le;
    case ast::BinOp::Gt:
      return ir::BinaryOp::Gt;
    case ast::BinOp::Ge:
      return ir::BinaryOp::Ge;
    case ast::BinOp::BitOr:
      return ir::BinaryOp::BitOr;
    case ast::BinOp::BitXor:
      return ir::BinaryOp::BitXor;
    case ast::BinOp::BitAnd:
      return ir::BinaryOp::BitAnd;
    case ast::BinOp::Shl:
      return ir::BinaryOp::Shl;
    case ast::BinOp::Shr:
      return ir::BinaryOp::Shr;
    case ast::BinOp::Add:
      return ir::BinaryOp::Add;
    case ast::BinOp::Sub:
      return ir::BinaryOp::Sub;
    case ast::BinOp::Mul:
      return ir::BinaryOp::Mul;
    case ast::BinOp::Div:
      return ir::BinaryOp::Div;
    case ast::BinOp::FloorDiv:
      return ir::BinaryOp::FloorDiv;
    case ast::BinOp::Mod:
      return ir::BinaryOp::Mod;
    case ast::BinOp::Pow:
      return ir::BinaryOp::Pow;
    case ast::BinOp::MatMul:
      break;
  }
  return ir::BinaryOp::Add;
}

}  // namespace

ExprId Checker::fold_binary(ast::BinOp op, ExprId lhs, ExprId rhs, diag::Span at) {
  Type lt = type_of(lhs);
  Type rt = type_of(rhs);
  if (lt.is_error() || rt.is_error()) {
    return error_expr(at);
  }
  std::string spelled = ast::spelling(op);
  auto invalid = [&](std::string why = "") -> ExprId {
    auto& d = error(diag::Kind::InvalidOperands, at,
                    "invalid operands to '" + spelled + "': " + tname(lt) + " and " + tname(rt));
    if (!why.empty()) {
      d.notes.push_back({at, std::move(why)});
    }
    return error_expr(at);
  };
  if (lt.is_void() || rt.is_void()) {
    return invalid("one side returns nothing");
  }
  if (!lt.has_elements() || !rt.has_elements()) {
    return invalid();
  }
  if (ExprId str = fold_str_binary(op, lhs, rhs, at); str.valid()) {
    return str;
  }
  Scalar ls = lt.scalar, rs = rt.scalar;
  bool numeric = ir::is_numeric(ls) && ir::is_numeric(rs);
  int rank = broadcast_rank(lt, rt);
  auto shaped = [&](Scalar s) { return rank == 0 ? Type::scalar_of(s) : Type::array_of(s, rank); };
  auto bool_note = [&]() -> std::string {
    return (ls == Scalar::Bool || rs == Scalar::Bool) ? "convert a bool with i64(b) first" : "";
  };

  switch (op) {
    case ast::BinOp::MatMul: {
      if (!lt.is_array() || !rt.is_array() || !numeric) {
        return invalid("'@' multiplies numeric vectors and matrices");
      }
      Scalar s = common_scalar(lhs, rhs);
      Type t = Type::scalar_of(s);
      if (lt.rank == 2 && rt.rank == 2) {
        t = Type::array_of(s, 2);
      } else if (lt.rank + rt.rank == 3) {
        t = Type::array_of(s, 1);
      }
      return add_expr(ir::MatMul{convert_elements(lhs, s), convert_elements(rhs, s)}, t, at);
    }
    case ast::BinOp::And:
    case ast::BinOp::Or:
      if (lt != Type::boolean() || rt != Type::boolean()) {
        return invalid(lt.is_array() || rt.is_array()
                           ? "'and'/'or' take bool scalars; use & and | for elementwise logic"
                           : "'and'/'or' take bool operands");
      }
      return add_expr(ir::Binary{to_ir(op), lhs, rhs}, Type::boolean(), at);
    case ast::BinOp::Eq:
    case ast::BinOp::Ne:
    case ast::BinOp::Lt:
    case ast::BinOp::Le:
    case ast::BinOp::Gt:
    case ast::BinOp::Ge: {
      bool equality = op == ast::BinOp::Eq || op == ast::BinOp::Ne;
      if (numeric) {
        Scalar s = common_scalar(lhs, rhs);
        return add_expr(ir::Binary{to_ir(op), convert_elements(lhs, s), convert_elements(rhs, s)},
                        shaped(Scalar::Bool), at);
      }
      if (equality && ls == rs && (ls == Scalar::Bool || (ls == Scalar::Str && rank == 0))) {
        return add_expr(ir::Binary{to_ir(op), lhs, rhs}, shaped(Scalar::Bool), at);
      }
      return invalid(bool_note());
    }
    case ast::BinOp::BitAnd:
    case ast::BinOp::BitOr:
    case ast::BinOp::BitXor:
      if (ls == Scalar::Bool && rs == Scalar::Bool) {
        return add_expr(ir::Binary{to_ir(op), lhs, rhs}, shaped(Scalar::Bool), at);
      }
      [[fallthrough]];
    case ast::BinOp::Shl:
    case ast::BinOp::Shr: {
      if (!ir::is_integer(ls) || !ir::is_integer(rs)) {
        return invalid("bitwise operators take integers (and &, |, ^ also bools)");
      }
      Scalar s = common_scalar(lhs, rhs);
      return add_expr(ir::Binary{to_ir(op), convert_elements(lhs, s), convert_elements(rhs, s)},
                      shaped(s), at);
    }
    default: {
      if (!numeric) {
        return invalid(bool_note());
      }
      Scalar s = common_scalar(lhs, rhs);
      if (op == ast::BinOp::Div && ir::is_integer(s)) {
        s = Scalar::F64;  // `/` is true division
      }
      return add_expr(ir::Binary{to_ir(op), convert_elements(lhs, s), convert_elements(rhs, s)},
                      shaped(s), at);
    }
  }
}

}  // namespace kestrel::sema
