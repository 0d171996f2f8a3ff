// numpy's functions (issue 17): isnan isfinite, prod std var median cumsum sort argsort unique
// concatenate reshape, and normal(key, counter). check_builtin has checked their arity and
// keywords (axis=, and ddof= for var and std) and calls check_numpy_builtin. tan log10 log2 ceil
// round are builtins.cpp's float math; the constants pi, inf and nan are names
// (postfix_check.cpp's resolve_name).
#include <limits>

#include "dsl/sema/checker.hpp"

namespace kestrel::sema {

using ir::Builtin;
using ir::Scalar;

bool Checker::is_numpy_builtin(const std::string& name) {
  for (const char* n : {"isnan", "isfinite", "prod", "std", "var", "median", "cumsum", "sort",
                        "argsort", "unique", "concatenate", "reshape", "normal"}) {
    if (name == n) {
      return true;
    }
  }
  return false;
}

ExprId Checker::check_numpy_builtin(const std::string& name,
                                    const std::vector<const ast::Expr*>& pos,
                                    const ast::Arg* axis_arg, const ast::Arg* ddof_arg,
                                    diag::Span at) {
  bool ok = true;
  std::vector<ExprId> args(pos.size());
  auto what = [&](std::size_t k) {
    return "argument " + std::to_string(k + 1) + " of '" + name + "'";
  };
  auto fail = [&](std::size_t k, const std::string& must, Type found) {
    error(diag::Kind::ArgumentType, span_of(*pos[k]),
          what(k) + " must be " + must + ", found " + tname(found));
    ok = false;
  };
  auto value = [&](std::size_t k) {
    args[k] = check_value(*pos[k]);
    if (type_of(args[k]).is_error()) {
      ok = false;
    }
    return type_of(args[k]);
  };
  auto integer = [&](std::size_t k) {
    Type t = value(k);
    if (t.is_error()) {
      return;
    }
    if (!t.is_scalar() || !ir::is_integer(t.scalar)) {
      fail(k, "an integer", t);
      return;
    }
    args[k] = convert_elements(args[k], Scalar::I64);
  };
  // An array argument whose element type passes `elem_ok` (described by `must`).
  auto array = [&](std::size_t k, const char* must, bool (*elem_ok)(Scalar)) {
    Type t = value(k);
    if (t.is_error()) {
      return t;
    }
    if (!t.is_array() || !elem_ok(t.scalar)) {
      fail(k, must, t);
      return Type::error();
    }
    return t;
  };
  auto any_elem = [](Scalar) { return true; };
  auto num_elem = [](Scalar s) { return ir::is_numeric(s); };
  auto num_or_bool = [](Scalar s) { return ir::is_numeric(s) || s == Scalar::Bool; };

  // `axis=`: a literal 0 or 1, on a matrix.
  int axis = -1;
  if (axis_arg) {
    const auto* lit = ast_if<ast::IntLit>(axis_arg->value);
    if (lit && (lit->text == "0" || lit->text == "1")) {
      axis = lit->text[0] - '0';
    } else {
      error(diag::Kind::ArgumentType, span(*axis_arg), "axis must be 0 or 1");
      ok = false;
    }
  }
  auto check_axis = [&](Type t) {
    if (axis_arg && t.is_array() && t.rank != 2) {
      error(diag::Kind::ArgumentType, span(*axis_arg),
            "axis= needs a matrix (rank 2), found " + tname(t));
      ok = false;
    }
  };
  auto make = [&](Builtin b, Type t) -> ExprId {
    if (!ok || t.is_error()) {
      return error_expr(at);
    }
    return add_expr(ir::BuiltinCall{b, std::move(args), static_cast<std::int8_t>(axis)}, t, at);
  };

  if (name == "normal") {
    // The pure normal draw: the transform the stream's randn() applies to (key, counter).
    integer(0);
    integer(1);
    axis = -1;
    return make(Builtin::Randn, Type::f64());
  }
  if (name == "isnan" || name == "isfinite") {
    // Comparisons against +inf, so every backend (and a GPU kernel) already has them: isnan(x)
    // is not (x <= inf), true only for nan; isfinite(x) is abs(x) < inf. Integers are converted
    // to f64 first (never nan, always finite).
    Type t = value(0);
    if (t.is_error()) {
      return error_expr(at);
    }
    if (!t.has_elements() || !ir::is_numeric(t.scalar)) {
      fail(0, "a number or a numeric array", t);
      return error_expr(at);
    }
    Scalar s = ir::is_float(t.scalar) ? t.scalar : Scalar::F64;
    ExprId x = convert_elements(args[0], s);
    Type bt = t.with_scalar(Scalar::Bool);
    ExprId inf =
        add_expr(ir::FloatConst{std::numeric_limits<double>::infinity()}, Type::scalar_of(s), at);
    if (name == "isnan") {
      ExprId le = add_expr(ir::Binary{ir::BinaryOp::Le, x, inf}, bt, at);
      return add_expr(ir::Unary{ir::UnaryOp::Not, le}, bt, at);
    }
    ExprId mag = add_expr(ir::BuiltinCall{Builtin::Abs, {x}, -1}, t.with_scalar(s), at);
    return add_expr(ir::Binary{ir::BinaryOp::Lt, mag, inf}, bt, at);
  }
  if (name == "prod" || name == "std" || name == "var" || name == "median") {
    Type t = array(0, "a numeric array", name == "median" ? +num_elem : +num_or_bool);
    check_axis(t);
    if (!ok) {
      return error_expr(at);
    }
    Scalar s = t.scalar == Scalar::F32 ? Scalar::F32 : Scalar::F64;
    Builtin b = Builtin::Median;
    if (name == "prod") {
      s = ir::is_float(t.scalar) ? t.scalar : Scalar::I64;
      b = Builtin::Prod;
    } else if (name != "median") {
      b = name == "std" ? Builtin::Std : Builtin::Var;
      // The ddof (0 unless given) follows the array.
      ExprId ddof = add_expr(ir::IntConst{0}, Type::i64(), at);
      if (ddof_arg) {
        ddof = check_value(ddof_arg->value);
        Type dt = type_of(ddof);
        if (dt.is_error()) {
          return error_expr(at);
        }
        if (!dt.is_scalar() || !ir::is_integer(dt.scalar)) {
          error(diag::Kind::ArgumentType, span(*ddof_arg),
                "ddof= of '" + name + "' must be an integer, found " + tname(dt));
          return error_expr(at);
        }
        ddof = convert_elements(ddof, Scalar::I64);
      }
      args.push_back(ddof);
    }
    return make(b, axis >= 0 ? Type::array_of(s, 1) : Type::scalar_of(s));
  }
  if (name == "cumsum") {
    Type t = array(0, "a numeric array", num_or_bool);
    check_axis(t);
    Scalar s = ir::is_float(t.scalar) ? t.scalar : Scalar::I64;
    // Without axis= a matrix is flattened, as numpy's cumsum does.
    return make(Builtin::Cumsum, Type::array_of(s, axis >= 0 ? 2 : 1));
  }
  if (name == "sort" || name == "argsort") {
    Type t = array(0, "an array", any_elem);
    check_axis(t);
    if (!ok) {
      return error_expr(at);
    }
    return name == "sort" ? make(Builtin::Sort, t)
                          : make(Builtin::Argsort, Type::array_of(Scalar::I64, t.rank));
  }
  if (name == "unique") {
    Type t = array(0, "an array", any_elem);
    return make(Builtin::Unique, Type::array_of(t.scalar, 1));
  }
  if (name == "reshape") {
    Type t = array(0, "an array", any_elem);
    for (std::size_t k = 1; k < pos.size(); ++k) {
      integer(k);
    }
    return make(Builtin::Reshape, Type::array_of(t.scalar, static_cast<int>(pos.size()) - 1));
  }
  if (name == "concatenate") {
    // concatenate(a, b, c) joins left to right: concatenate(concatenate(a, b), c).
    std::vector<Type> ts;
    for (std::size_t k = 0; k < pos.size(); ++k) {
      ts.push_back(array(k, "an array", any_elem));
    }
    if (!ok) {
      return error_expr(at);
    }
    Scalar s = ts[0].scalar;
    for (std::size_t k = 1; k < ts.size(); ++k) {
      if (ts[k].rank != ts[0].rank) {
        error(diag::Kind::RankMismatch, span_of(*pos[k]),
              "'concatenate' takes arrays of one rank: argument 1 is " + tname(ts[0]) +
                  " but argument " + std::to_string(k + 1) + " is " + tname(ts[k]));
        return error_expr(at);
      }
      bool both_numeric = ir::is_numeric(s) && ir::is_numeric(ts[k].scalar);
      if (ts[k].scalar != s && !both_numeric) {
        error(diag::Kind::ArgumentType, span_of(*pos[k]),
              "'concatenate' takes arrays of one element type: argument 1 is " + tname(ts[0]) +
                  " but argument " + std::to_string(k + 1) + " is " + tname(ts[k]));
        return error_expr(at);
      }
      s = both_numeric ? promote(s, ts[k].scalar) : s;
    }
    check_axis(ts[0]);
    if (!ok) {
      return error_expr(at);
    }
    Type rt = Type::array_of(s, ts[0].rank);
    ExprId acc = convert_elements(args[0], s);
    for (std::size_t k = 1; k < args.size(); ++k) {
      ExprId next = convert_elements(args[k], s);
      acc = add_expr(
          ir::BuiltinCall{Builtin::Concatenate, {acc, next}, static_cast<std::int8_t>(axis)}, rt,
          at);
    }
    return acc;
  }
  return error_expr(at);
}

}  // namespace kestrel::sema
