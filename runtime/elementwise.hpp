#pragma once
// Elementwise operations on arrays, with numpy broadcasting, and the scalar definitions they and
// every backend share (one definition of `//`, `%`, `**`, shifts and conversions: the
// interpreter calls these, the JIT calls or inlines them).
//
// Integer arithmetic wraps (two's complement). `//` floors and `%` takes the divisor's sign
// (Python); an integer `//` or `%` by zero raises "integer division by zero". `/` is true
// division: integer operands give f64. `**` of integers with a negative exponent raises.
// Shifts: a negative count raises; a count >= the width gives what Python's unbounded integers
// give, wrapped (x << 64 == 0, x >> 64 == 0 or -1). Float operations follow IEEE 754 (x / 0.0 is
// inf or nan); min and max propagate nan. A float to integer conversion truncates toward zero and
// saturates (nan gives 0), like LLVM's fptosi.sat.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "runtime/array.hpp"
#include "runtime/kmath.hpp"
#include "runtime/vmath.hpp"

namespace kestrel::rt {

// ---- scalar definitions ----------------------------------------------------------------------

[[noreturn]] void raise_division_by_zero();
[[noreturn]] void raise_negative_exponent(std::int64_t exponent);
[[noreturn]] void raise_negative_shift(std::int64_t count);

template <class I>
using Unsigned = std::make_unsigned_t<I>;

template <class I>
inline I wrap_add(I a, I b) {
  return static_cast<I>(static_cast<Unsigned<I>>(a) + static_cast<Unsigned<I>>(b));
}
template <class I>
inline I wrap_sub(I a, I b) {
  return static_cast<I>(static_cast<Unsigned<I>>(a) - static_cast<Unsigned<I>>(b));
}
template <class I>
inline I wrap_mul(I a, I b) {
  return static_cast<I>(static_cast<Unsigned<I>>(a) * static_cast<Unsigned<I>>(b));
}
template <class I>
inline I wrap_neg(I a) {
  return static_cast<I>(Unsigned<I>{0} - static_cast<Unsigned<I>>(a));
}
template <class I>
inline I wrap_abs(I a) {
  return a < 0 ? wrap_neg(a) : a;
}

/// a // b for integers: the floor of the quotient; MIN // -1 wraps to MIN.
template <class I>
inline I floordiv(I a, I b) {
  if (b == 0) {
    raise_division_by_zero();
  }
  if (b == -1) {
    return wrap_neg(a);
  }
  I q = static_cast<I>(a / b);
  if ((a % b != 0) && ((a < 0) != (b < 0))) {
    --q;
  }
  return q;
}
/// a % b for integers: the sign of b (or 0); a == floordiv(a, b) * b + mod(a, b).
template <class I>
inline I mod(I a, I b) {
  if (b == 0) {
    raise_division_by_zero();
  }
  if (b == -1) {
    return 0;
  }
  I r = static_cast<I>(a % b);
  if (r != 0 && ((r < 0) != (b < 0))) {
    r = static_cast<I>(r + b);
  }
  return r;
}
/// base ** exp for floats: std::pow, except that an exponent of exactly 2 is base * base (the
/// same value, rounded once), so that the JIT squares inline and vectorised while every mode
/// follows this one rule.
template <class F>
inline F fpow(F base, F exp) {
  return exp == F(2) ? base * base : std::pow(base, exp);
}
/// base ** exp for integers, wrapping; 0 ** 0 == 1; a negative exponent raises.
template <class I>
inline I ipow(I base, I exp) {
  if (exp < 0) {
    raise_negative_exponent(exp);
  }
  Unsigned<I> result = 1;
  Unsigned<I> b = static_cast<Unsigned<I>>(base);
  auto e = static_cast<Unsigned<I>>(exp);
  while (e != 0) {
    if (e & 1) {
      result *= b;
    }
    b *= b;
    e >>= 1;
  }
  return static_cast<I>(result);
}
/// a << n, wrapping; n >= the width gives 0.
template <class I>
inline I shl(I a, I n) {
  if (n < 0) {
    raise_negative_shift(n);
  }
  if (n >= static_cast<I>(sizeof(I) * 8)) {
    return 0;
  }
  return static_cast<I>(static_cast<Unsigned<I>>(a) << n);
}
/// a >> n, arithmetic; n >= the width gives 0 or -1 (the sign).
template <class I>
inline I shr(I a, I n) {
  if (n < 0) {
    raise_negative_shift(n);
  }
  if (n >= static_cast<I>(sizeof(I) * 8)) {
    return a < 0 ? I{-1} : I{0};
  }
  return static_cast<I>(a >> n);
}

/// a // b for floats, exactly as Python computes it (floor of the quotient by way of fmod);
/// b == 0 gives a / b (inf or nan), as numpy does.
template <class F>
inline F floordiv_float(F a, F b) {
  if (b == 0) {
    return a / b;
  }
  F m = std::fmod(a, b);
  F div = (a - m) / b;
  if (m != 0 && ((b < 0) != (m < 0))) {
    div -= F(1);
  }
  if (div != 0) {
    F fl = std::floor(div);
    if (div - fl > F(0.5)) {
      fl += F(1);
    }
    return fl;
  }
  return std::copysign(F(0), a / b);
}
/// a % b for floats: the sign of b (Python); b == 0 gives nan.
template <class F>
inline F mod_float(F a, F b) {
  if (b == 0) {
    return std::numeric_limits<F>::quiet_NaN();
  }
  F m = std::fmod(a, b);
  if (m != 0) {
    if ((b < 0) != (m < 0)) {
      m += b;
    }
  } else {
    m = std::copysign(F(0), b);
  }
  return m;
}
/// min and max that propagate nan (numpy's minimum/maximum).
template <class T>
inline T min_value(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (a != a || b != b) {
      return a + b;
    }
  }
  return b < a ? b : a;
}
template <class T>
inline T max_value(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (a != a || b != b) {
      return a + b;
    }
  }
  return a < b ? b : a;
}
/// 1 / (1 + exp(-x)), with Kestrel's exp (exp_of, runtime/vmath.hpp), or exp(x) where the
/// result is subnormal: kmath::sigmoid_f64 / sigmoid_f32's rule, the same bits.
template <class F>
inline F sigmoid(F x) {
  constexpr F kLo = std::is_same_v<F, float> ? F(kmath::kSigmoidLoF32) : F(kmath::kSigmoidLo);
  bool lo = x < kLo;
  F e = exp_of(lo ? x : -x);
  return lo ? e : F(1) / (F(1) + e);
}
/// Converts one element: float to integer truncates and saturates (nan gives 0); to bool is
/// `!= 0`; integer to float rounds to nearest.
template <class To, class From>
inline To convert_scalar(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From{};
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    if (v != v) {
      return 0;
    }
    if (v <= static_cast<From>(std::numeric_limits<To>::min())) {
      return std::numeric_limits<To>::min();
    }
    if (v >= static_cast<From>(std::numeric_limits<To>::max())) {
      return std::numeric_limits<To>::max();
    }
    return static_cast<To>(v);
  } else if constexpr (std::is_integral_v<To> && std::is_integral_v<From>) {
    return static_cast<To>(v);  // narrowing wraps (C++20 defines it as modular)
  } else {
    return static_cast<To>(v);
  }
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
  Floor
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
