#pragma once
// The scalar rules of Kestrel's operators, defined once for every backend: the interpreter and
// the runtime call these functions, the CUDA backend compiles this header as it is, and the
// JIT's hand-emitted fast paths are held to them bit for bit (tests/llvm/rules_table_test.cpp).
//
// Integer arithmetic wraps (two's complement). `//` floors and `%` takes the divisor's sign
// (Python); an integer `//` or `%` by zero is an error ("integer division by zero"). `/` is true
// division: integer operands give f64. `**` of integers with a negative exponent is an error.
// Shifts: a negative count is an error; a count >= the width gives what Python's unbounded
// integers give, wrapped (x << 64 == 0, x >> 64 == 0 or -1). Float operations follow IEEE 754
// (x / 0.0 is inf or nan); min and max propagate nan. A float to integer conversion truncates
// toward zero and saturates (nan gives 0), like LLVM's fptosi.sat.
//
// A rule that can fail comes as a predicate (divides_by_zero, negative_count) and the operation
// on the operands the predicate accepts (floordiv_nonzero, …): the caller tests the one and
// raises its error its own way (the runtime's checked forms are in runtime/elementwise.hpp, the
// message text in rules/messages.hpp), so nothing here throws.
#include "runtime/rules/hd.hpp"

namespace kestrel::rt {

template <class I>
using Unsigned = hd::Unsigned<I>;

template <class I>
KESTREL_HD inline I wrap_add(I a, I b) {
  return static_cast<I>(static_cast<Unsigned<I>>(a) + static_cast<Unsigned<I>>(b));
}
template <class I>
KESTREL_HD inline I wrap_sub(I a, I b) {
  return static_cast<I>(static_cast<Unsigned<I>>(a) - static_cast<Unsigned<I>>(b));
}
template <class I>
KESTREL_HD inline I wrap_mul(I a, I b) {
  return static_cast<I>(static_cast<Unsigned<I>>(a) * static_cast<Unsigned<I>>(b));
}
template <class I>
KESTREL_HD inline I wrap_neg(I a) {
  return static_cast<I>(Unsigned<I>{0} - static_cast<Unsigned<I>>(a));
}
/// |a|, wrapping: abs(MIN) == MIN.
template <class I>
KESTREL_HD inline I wrap_abs(I a) {
  return a < 0 ? wrap_neg(a) : a;
}

/// a + b, a - b, a * b, -a, abs(a) of numbers: integers wrap, floats round once (IEEE).
template <class T>
KESTREL_HD inline T num_add(T a, T b) {
  if constexpr (hd::kInt<T>) {
    return wrap_add(a, b);
  } else {
    return static_cast<T>(a + b);
  }
}
template <class T>
KESTREL_HD inline T num_sub(T a, T b) {
  if constexpr (hd::kInt<T>) {
    return wrap_sub(a, b);
  } else {
    return static_cast<T>(a - b);
  }
}
template <class T>
KESTREL_HD inline T num_mul(T a, T b) {
  if constexpr (hd::kInt<T>) {
    return wrap_mul(a, b);
  } else {
    return static_cast<T>(a * b);
  }
}
template <class T>
KESTREL_HD inline T num_neg(T a) {
  if constexpr (hd::kInt<T>) {
    return wrap_neg(a);
  } else {
    return -a;
  }
}
template <class T>
KESTREL_HD inline T num_abs(T a) {
  if constexpr (hd::kInt<T>) {
    return wrap_abs(a);
  } else {
    return hd::fabs(a);
  }
}

/// Whether an integer a // b or a % b is an error: b == 0.
template <class I>
KESTREL_HD inline bool divides_by_zero(I b) {
  return b == 0;
}
/// Whether a shift count or an integer exponent is an error: n < 0.
template <class I>
KESTREL_HD inline bool negative_count(I n) {
  return n < 0;
}

/// a // b for integers, b != 0: the floor of the quotient; MIN // -1 wraps to MIN.
template <class I>
KESTREL_HD inline I floordiv_nonzero(I a, I b) {
  if (b == -1) {
    return wrap_neg(a);
  }
  I q = static_cast<I>(a / b);
  if ((a % b != 0) && ((a < 0) != (b < 0))) {
    --q;
  }
  return q;
}
/// a % b for integers, b != 0: the sign of b (or 0); a == floordiv(a, b) * b + mod(a, b).
template <class I>
KESTREL_HD inline I mod_nonzero(I a, I b) {
  if (b == -1) {
    return 0;
  }
  I r = static_cast<I>(a % b);
  if (r != 0 && ((r < 0) != (b < 0))) {
    r = static_cast<I>(r + b);
  }
  return r;
}
/// base ** exp for integers, exp >= 0, wrapping; 0 ** 0 == 1.
template <class I>
KESTREL_HD inline I ipow_nonnegative(I base, I exp) {
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
/// a << n, n >= 0, wrapping; n >= the width gives 0.
template <class I>
KESTREL_HD inline I shl_nonnegative(I a, I n) {
  if (n >= static_cast<I>(sizeof(I) * 8)) {
    return 0;
  }
  return static_cast<I>(static_cast<Unsigned<I>>(a) << n);
}
/// a >> n, n >= 0, arithmetic; n >= the width gives 0 or -1 (the sign).
template <class I>
KESTREL_HD inline I shr_nonnegative(I a, I n) {
  if (n >= static_cast<I>(sizeof(I) * 8)) {
    return a < 0 ? I{-1} : I{0};
  }
  return static_cast<I>(a >> n);
}

/// base ** exp for floats: pow, except that an exponent of exactly 2 is base * base (the same
/// value, rounded once), so that the JIT squares inline and vectorised while every mode follows
/// this one rule.
template <class F>
KESTREL_HD inline F fpow(F base, F exp) {
  return exp == F(2) ? base * base : hd::pow(base, exp);
}
/// a // b for floats, exactly as Python computes it (floor of the quotient by way of fmod);
/// b == 0 gives a / b (inf or nan), as numpy does.
template <class F>
KESTREL_HD inline F floordiv_float(F a, F b) {
  if (b == 0) {
    return a / b;
  }
  F m = hd::fmod(a, b);
  F div = (a - m) / b;
  if (m != 0 && ((b < 0) != (m < 0))) {
    div -= F(1);
  }
  if (div != 0) {
    F fl = hd::floor(div);
    if (div - fl > F(0.5)) {
      fl += F(1);
    }
    return fl;
  }
  return hd::copysign(F(0), a / b);
}
/// a % b for floats: the sign of b (Python); b == 0 gives nan.
template <class F>
KESTREL_HD inline F mod_float(F a, F b) {
  if (b == 0) {
    return hd::quiet_nan(F(0));
  }
  F m = hd::fmod(a, b);
  if (m != 0) {
    if ((b < 0) != (m < 0)) {
      m += b;
    }
  } else {
    m = hd::copysign(F(0), b);
  }
  return m;
}

/// min and max that propagate nan (numpy's minimum/maximum) and keep `a` on a tie.
template <class T>
KESTREL_HD inline T min_value(T a, T b) {
  if constexpr (hd::kFloat<T>) {
    if (a != a || b != b) {
      return a + b;
    }
  }
  return b < a ? b : a;
}
template <class T>
KESTREL_HD inline T max_value(T a, T b) {
  if constexpr (hd::kFloat<T>) {
    if (a != a || b != b) {
      return a + b;
    }
  }
  return a < b ? b : a;
}

/// Converts one value: float to integer truncates and saturates (nan gives 0); to bool is
/// `!= 0`; integer to integer wraps; to float rounds to nearest.
template <class To, class From>
KESTREL_HD inline To convert_scalar(From v) {
  if constexpr (hd::kSame<To, bool>) {
    return v != From{};
  } else if constexpr (hd::kInt<To> && hd::kFloat<From>) {
    if (v != v) {
      return 0;
    }
    if (v <= static_cast<From>(hd::int_min<To>())) {
      return hd::int_min<To>();
    }
    if (v >= static_cast<From>(hd::int_max<To>())) {
      return hd::int_max<To>();
    }
    return static_cast<To>(v);
  } else {
    return static_cast<To>(v);  // narrowing integers wraps (C++20 defines it as modular)
  }
}

}  // namespace kestrel::rt
