// The conversion rules of DESIGN.md: integer-float mixing converts the integer, i32 widens to
// i64 and f32 to f64, nothing narrows implicitly. Arrays never convert implicitly where they are
// passed or stored (that would silently copy a shared buffer); in expressions their elements do.
#include <cmath>

#include "dsl/sema/checker.hpp"

namespace kestrel::sema {

using ir::Scalar;

bool Checker::implicitly_converts(Scalar from, Scalar to) {
  if (from == to) {
    return true;
  }
  if (ir::is_integer(from) && ir::is_float(to)) {
    return true;
  }
  return (from == Scalar::I32 && to == Scalar::I64) || (from == Scalar::F32 && to == Scalar::F64);
}

int Checker::broadcast_rank(Type a, Type b) {
  int ra = a.is_array() ? a.rank : 0;
  int rb = b.is_array() ? b.rank : 0;
  return std::max(ra, rb);
}

Scalar Checker::promote(Scalar a, Scalar b) {
  if (a == b) {
    return a;
  }
  if (ir::is_integer(a) && ir::is_integer(b)) {
    return Scalar::I64;
  }
  if (ir::is_float(a) && ir::is_float(b)) {
    return Scalar::F64;
  }
  return ir::is_float(a) ? a : b;
}

Scalar Checker::common_scalar(ExprId a, ExprId b) const {
  Scalar sa = type_of(a).scalar;
  Scalar sb = type_of(b).scalar;
  bool ua = is_untyped_literal(a);
  bool ub = is_untyped_literal(b);
  if (ua != ub) {
    // An untyped literal takes the other side's type where it can.
    Scalar lit = ua ? sa : sb;
    Scalar other = ua ? sb : sa;
    if (ir::is_integer(lit) || ir::is_float(other)) {
      return other;
    }
    return Scalar::F64;  // a float literal with an integer: the integer converts
  }
  return promote(sa, sb);
}

ExprId Checker::convert_elements(ExprId e, Scalar s) {
  const ir::Expr& x = expr(e);
  Type t = x.type;
  if (t.is_error() || t.scalar == s) {
    return e;
  }
  diag::Span at = x.span;
  if (is_untyped_literal(e) && t.is_scalar()) {
    // Fold the conversion into the constant; it stays untyped only while it is an integer.
    if (const auto* i = std::get_if<ir::IntConst>(&x.kind)) {
      std::int64_t v = i->value;
      if (s == Scalar::I32) {
        if (v < -2147483648LL || v > 2147483647LL) {
          error(diag::Kind::InvalidLiteral, at,
                "integer literal " + std::to_string(v) + " does not fit in i32")
              .notes.push_back(
                  {at, "an untyped literal takes the type of the i32 it meets; write " +
                           std::to_string(v) + "i64 to keep it i64"});
          return error_expr(at);
        }
        ExprId id = add_expr(ir::IntConst{v}, Type::i32(), at);
        untyped_[id.v] = 1;
        return id;
      }
      if (ir::is_float(s)) {
        double d = static_cast<double>(v);
        if (s == Scalar::F32) {
          d = static_cast<double>(static_cast<float>(d));
        }
        return add_expr(ir::FloatConst{d}, Type::scalar_of(s), at);
      }
    } else if (const auto* f = std::get_if<ir::FloatConst>(&x.kind); f && ir::is_float(s)) {
      double d = s == Scalar::F32 ? static_cast<double>(static_cast<float>(f->value)) : f->value;
      return add_expr(ir::FloatConst{d}, Type::scalar_of(s), at);
    }
  }
  return add_expr(ir::Convert{e}, t.with_scalar(s), at);
}

ExprId Checker::coerce(ExprId e, Type to, const std::string& what, diag::Kind mismatch) {
  Type from = type_of(e);
  if (from.is_error() || to.is_error() || from == to) {
    return e;
  }
  diag::Span at = expr(e).span;
  std::string prefix = what.empty() ? "" : what + ": ";
  auto report_mismatch = [&]() -> diag::Diagnostic& {
    if (what.empty()) {
      return error(mismatch, at, "expected " + tname(to) + " but found " + tname(from));
    }
    return error(mismatch, at, what + " must be " + tname(to) + ", found " + tname(from));
  };
  if (from.has_elements() && to.has_elements()) {
    if (from.is_array() && to.is_array() && from.rank != to.rank) {
      error(diag::Kind::RankMismatch, at,
            prefix + "expected " + tname(to) + " (rank " + std::to_string(to.rank) +
                ") but found " + tname(from) + " (rank " + std::to_string(from.rank) + ")");
      return error_expr(at);
    }
    if (from.is_scalar() && to.is_scalar()) {
      bool literal_fits =
          is_untyped_literal(e) &&
          (ir::is_integer(from.scalar) ? ir::is_numeric(to.scalar) : ir::is_float(to.scalar));
      if (literal_fits || implicitly_converts(from.scalar, to.scalar)) {
        return convert_elements(e, to.scalar);
      }
      if (ir::is_numeric(from.scalar) && ir::is_numeric(to.scalar)) {
        std::string fn(ir::scalar_name(to.scalar));
        error(diag::Kind::Narrowing, at,
              prefix + "cannot convert " + tname(from) + " to " + tname(to) + " implicitly; use " +
                  fn + "(" + snippet(at) + ")");
        return error_expr(at);
      }
    }
    if (from.is_array() && to.is_array()) {
      report_mismatch().notes.push_back({at, "arrays are not converted implicitly; " +
                                                 std::string(ir::scalar_name(to.scalar)) +
                                                 "(…) makes a converted copy"});
      return error_expr(at);
    }
  }
  if (from.is_void()) {
    error(mismatch, at, prefix + "expected " + tname(to) + " but the expression has no value");
    return error_expr(at);
  }
  report_mismatch();
  return error_expr(at);
}

ExprId Checker::coerce_elements(ExprId value, Scalar to, const std::string& what) {
  Type vt = type_of(value);
  if (vt.is_error() || vt.scalar == to) {
    return value;
  }
  if (vt.is_scalar()) {
    return coerce(value, Type::scalar_of(to), what);
  }
  if (implicitly_converts(vt.scalar, to)) {
    return convert_elements(value, to);
  }
  diag::Span at = expr(value).span;
  std::string prefix = what.empty() ? "" : what + ": ";
  if (ir::is_numeric(vt.scalar) && ir::is_numeric(to)) {
    std::string fn(ir::scalar_name(to));
    error(diag::Kind::Narrowing, at,
          prefix + "cannot convert " + tname(vt) + " to " + tname(vt.with_scalar(to)) +
              " implicitly; use " + fn + "(" + snippet(at) + ")");
  } else {
    error(diag::Kind::TypeMismatch, at,
          prefix + "expected " + std::string(ir::scalar_name(to)) + " elements but found " +
              tname(vt));
  }
  return error_expr(at);
}

}  // namespace kestrel::sema
