// numpy's functions (issue 17): isnan isfinite, prod std var median cumsum sort argsort unique
// concatenate reshape, and normal(key, counter). check_builtin has checked their arity and
// keywords (axis=, and ddof= for var and std) and calls check_numpy_builtin. tan log10 log2 ceil
// round are builtins.cpp's float math; the constants pi, inf and nan are names
// (postfix_check.cpp's resolve_name).
#include <limits>

#include "dsl/sema/builtin_args.hpp"

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

ExprId Checker::check_numpy_builtin(BuiltinArgs& ba, const ast::Arg* axis_arg,
                                    const ast::Arg* ddof_arg) {
  const std::string& name = ba.name;
  const std::vector<const ast::Expr*>& pos = ba.pos;
  diag::Span at = ba.at;
  std::vector<ExprId>& args = ba.args;
  // `axis=`: a literal 0 or 1, on a matrix.
  int axis = ba.parse_axis(axis_arg);
  if (name == "normal") {
    // The pure normal draw: the transform the stream's randn() applies to (key, counter).
    ba.integer(0);
    ba.integer(1);
    axis = -1;
    return ba.make(Builtin::Randn, Type::f64(), axis);
  }
  if (name == "isnan" || name == "isfinite") {
    // Comparisons against +inf, so every backend (and a GPU kernel) already has them: isnan(x)
    // is not (x <= inf), true only for nan; isfinite(x) is abs(x) < inf. Integers are converted
    // to f64 first (never nan, always finite).
    Type t = ba.value(0);
    if (t.is_error()) {
      return error_expr(at);
    }
    if (!t.has_elements() || !ir::is_numeric(t.scalar)) {
      ba.fail(0, "a number or a numeric array", t);
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
    Type t = ba.array(0, "a numeric array", name == "median" ? +num_elem : +num_or_bool);
    ba.check_axis(axis_arg, t);
    if (!ba.ok) {
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
    return ba.make(b, axis >= 0 ? Type::array_of(s, 1) : Type::scalar_of(s), axis);
  }
  if (name == "cumsum") {
    Type t = ba.array(0, "a numeric array", num_or_bool);
    ba.check_axis(axis_arg, t);
    Scalar s = ir::is_float(t.scalar) ? t.scalar : Scalar::I64;
    // Without axis= a matrix is flattened, as numpy's cumsum does.
    return ba.make(Builtin::Cumsum, Type::array_of(s, axis >= 0 ? 2 : 1), axis);
  }
  if (name == "sort" || name == "argsort") {
    Type t = ba.array(0, "an array", any_elem);
    ba.check_axis(axis_arg, t);
    if (!ba.ok) {
      return error_expr(at);
    }
    return name == "sort" ? ba.make(Builtin::Sort, t, axis)
                          : ba.make(Builtin::Argsort, Type::array_of(Scalar::I64, t.rank), axis);
  }
  if (name == "unique") {
    Type t = ba.array(0, "an array", any_elem);
    return ba.make(Builtin::Unique, Type::array_of(t.scalar, 1), axis);
  }
  if (name == "reshape") {
    Type t = ba.array(0, "an array", any_elem);
    for (std::size_t k = 1; k < pos.size(); ++k) {
      ba.integer(k);
    }
    return ba.make(Builtin::Reshape, Type::array_of(t.scalar, static_cast<int>(pos.size()) - 1),
                   axis);
  }
  if (name == "concatenate") {
    // concatenate(a, b, c) joins left to right: concatenate(concatenate(a, b), c).
    std::vector<Type> ts;
    for (std::size_t k = 0; k < pos.size(); ++k) {
      ts.push_back(ba.array(k, "an array", any_elem));
    }
    if (!ba.ok) {
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
    ba.check_axis(axis_arg, ts[0]);
    if (!ba.ok) {
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
