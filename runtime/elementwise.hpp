#pragma once
// Elementwise operations on arrays, with numpy broadcasting. The scalar rules they apply (`//`,
// `%`, `**`, shifts, conversions, min/max, …) are defined once in runtime/rules/ for every
// backend; this header adds their checked forms, which raise the rule's error.
#include <cstdint>

#include "runtime/array.hpp"
#include "runtime/rules/arith.hpp"
#include "runtime/rules/math.hpp"
#include "runtime/vmath.hpp"

namespace kestrel::rt {

// ---- the scalar rules' checked forms ---------------------------------------------------------

/// Raise the rules' errors (message text: rules/messages.hpp).
[[noreturn]] void raise_division_by_zero();
[[noreturn]] void raise_negative_exponent(std::int64_t exponent);
[[noreturn]] void raise_negative_shift(std::int64_t count);

/// a // b for integers (floordiv_nonzero), raising when b == 0.
template <class I>
inline I floordiv(I a, I b) {
  if (divides_by_zero(b)) {
    raise_division_by_zero();
  }
  return floordiv_nonzero(a, b);
}
/// a % b for integers (mod_nonzero), raising when b == 0.
template <class I>
inline I mod(I a, I b) {
  if (divides_by_zero(b)) {
    raise_division_by_zero();
  }
  return mod_nonzero(a, b);
}
/// base ** exp for integers (ipow_nonnegative), raising on a negative exponent.
template <class I>
inline I ipow(I base, I exp) {
  if (negative_count(exp)) {
    raise_negative_exponent(exp);
  }
  return ipow_nonnegative(base, exp);
}
/// a << n and a >> n (shl_nonnegative, shr_nonnegative), raising on a negative count.
template <class I>
inline I shl(I a, I n) {
  if (negative_count(n)) {
    raise_negative_shift(n);
  }
  return shl_nonnegative(a, n);
}
template <class I>
inline I shr(I a, I n) {
  if (negative_count(n)) {
    raise_negative_shift(n);
  }
  return shr_nonnegative(a, n);
}

// ---- array operations ------------------------------------------------------------------------

/// Binary elementwise operators (IR BinaryOp less the short-circuit and/or, plus the elementwise
/// min/max builtins). Operands share one element type; comparisons give bool, Div of integers
/// gives f64, everything else keeps the element type. & | ^ take integers or bools.
enum class BinOp : std::uint8_t {
  Add,
  Sub,
  Mul,
  Div,
  FloorDiv,
  Mod,
  Pow,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  BitAnd,
  BitOr,
  BitXor,
  Shl,
  Shr,
  Min,
  Max,
};
/// Unary elementwise operators and math functions. Neg, Abs: numbers; Not: bool; BitNot:
/// integers; the rest take floats (the checker converts integers to f64 first) and keep the
/// float type.
enum class UnOp : std::uint8_t {
  Neg,
  Not,
  BitNot,
  Exp,
  Log,
  Sqrt,
  Abs,
  Sin,
  Cos,
  Tanh,
  Sigmoid,
  Floor,
  Tan,
  Log10,
  Log2,
  Ceil,
  Round
};
/// `out[:] = v`, `a += v`, …
enum class StoreOp : std::uint8_t { Set, Add, Sub, Mul, Div };

/// An operand of an elementwise operation: an array (not owned; the caller keeps it alive for
/// the call) or a scalar.
struct Operand {
  Operand(const Array& a) : array(&a) {}
  Operand(const ArrayRef& a) : array(a.get()) {}
  Operand(Value v) : scalar(v) {}
  const Array* array = nullptr;
  Value scalar;

  bool is_array() const { return array != nullptr; }
  Elem elem() const { return array ? array->elem : scalar.elem; }
};

/// The shape two operands broadcast to (numpy's rule for rank <= 2: dimensions align on the
/// right, a dimension of 1 or a scalar stretches; so a 1-D row goes across a matrix's rows).
/// Raises "shape mismatch: (3,) and (4,)".
Shape broadcast_shape(const Operand& a, const Operand& b);

/// a op b elementwise into a new array; at least one operand is an array.
ArrayRef binary(BinOp op, const Operand& a, const Operand& b);
/// op a elementwise into a new array.
ArrayRef unary(UnOp op, const Array& a);
/// f64(a), i64(a), …: a new array of element type `to` (rules of convert_scalar).
ArrayRef convert(const Array& a, Elem to);
/// where(c, a, b): a where c is true, else b; c is bool; all three broadcast together.
ArrayRef where(const Operand& c, const Operand& a, const Operand& b);
/// clip(x, lo, hi) = min(max(x, lo), hi), broadcast together.
ArrayRef clip(const Operand& x, const Operand& lo, const Operand& hi);
/// target op= value in place: `value` broadcasts to target's shape (never the other way) and has
/// its element type. Overlapping views of one buffer behave as if `value` were copied first.
void store(const Array& target, StoreOp op, const Operand& value);

/// Scalar forms, for backends that want one entry point: Value op Value (same element type).
Value binary(BinOp op, Value a, Value b);
Value unary(UnOp op, Value a);

}  // namespace kestrel::rt
