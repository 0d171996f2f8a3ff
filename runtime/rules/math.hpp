#pragma once
// The math builtins on floats (exp log sqrt abs sin cos tanh sigmoid floor tan log10 log2 ceil
// round), one table for every backend: the interpreter's MATH instructions, the runtime's
// elementwise arrays and its C ABI call math_fn; the JIT emits exp and sigmoid as kmath computes
// them and calls the platform's functions for the rest (tests/llvm/rules_table_test.cpp compares
// each entry). An integer argument is converted to f64 by the checker first.
#include "runtime/rules/kmath.hpp"

namespace kestrel::rt {

/// The math builtins (the interpreter's Math1 is this enum), in the order the runtime's UnOp lists
/// them.
enum class MathFn : unsigned char {
  Exp,
  Log,
  Sqrt,
  Abs,
  Sin,
  Cos,
  Tanh,
  Sigmoid,
  Floor,
  // numpy's tan, log10, log2 (the platform's, as log and sin are), ceil and round (half to even:
  // rint in the default rounding mode; exact everywhere)
  Tan,
  Log10,
  Log2,
  Ceil,
  Round
};

// The device, and the emulated device's host build of generated code (a shared object that
// cannot link against the runtime's out-of-line copy), use kmath's inline definition.
#if defined(KESTREL_RULES_DEVICE) || defined(KESTREL_GPU_EMULATION)
KESTREL_HD inline double exp_of(double x) { return kmath::exp_f64(x); }
KESTREL_HD inline float exp_of(float x) { return kmath::exp_f32(x); }
#else
/// e^x: kmath::exp_f64 and exp_f32, defined out of line in runtime/vmath.cpp, which is built
/// for the host CPU so that their fused multiply-adds are instructions even where the caller is
/// built for generic x86-64 (there an fma is a libm call, 14 of them an exp). The same bits.
double exp_of(double x);
float exp_of(float x);
#endif

/// 1 / (1 + e^-x), or e^x where the result is subnormal: kmath::sigmoid_f64 / sigmoid_f32's
/// rule with exp_of.
template <class F>
KESTREL_HD inline F sigmoid(F x) {
  return kmath::sigmoid_from_exp(x, exp_of(kmath::sigmoid_exp_arg(x)));
}

/// Fn(x) for a float x: the table.
template <MathFn Fn, class F>
KESTREL_HD inline F math_fn(F x) {
  if constexpr (Fn == MathFn::Exp) {
    return exp_of(x);
  } else if constexpr (Fn == MathFn::Log) {
    return hd::log(x);
  } else if constexpr (Fn == MathFn::Sqrt) {
    return hd::sqrt(x);
  } else if constexpr (Fn == MathFn::Abs) {
    return hd::fabs(x);
  } else if constexpr (Fn == MathFn::Sin) {
    return hd::sin(x);
  } else if constexpr (Fn == MathFn::Cos) {
    return hd::cos(x);
  } else if constexpr (Fn == MathFn::Tanh) {
    return hd::tanh(x);
  } else if constexpr (Fn == MathFn::Sigmoid) {
    return sigmoid(x);
  } else if constexpr (Fn == MathFn::Floor) {
    return hd::floor(x);
  } else if constexpr (Fn == MathFn::Tan) {
    return hd::tan(x);
  } else if constexpr (Fn == MathFn::Log10) {
    return hd::log10(x);
  } else if constexpr (Fn == MathFn::Log2) {
    return hd::log2(x);
  } else if constexpr (Fn == MathFn::Ceil) {
    return hd::ceil(x);
  } else {
    static_assert(Fn == MathFn::Round);
    return hd::rint(x);
  }
}

/// f(x) for a float x and a function chosen at run time.
template <class F>
KESTREL_HD inline F math_fn(MathFn f, F x) {
  switch (f) {
    case MathFn::Exp:
      return math_fn<MathFn::Exp>(x);
    case MathFn::Log:
      return math_fn<MathFn::Log>(x);
    case MathFn::Sqrt:
      return math_fn<MathFn::Sqrt>(x);
    case MathFn::Abs:
      return math_fn<MathFn::Abs>(x);
    case MathFn::Sin:
      return math_fn<MathFn::Sin>(x);
    case MathFn::Cos:
      return math_fn<MathFn::Cos>(x);
    case MathFn::Tanh:
      return math_fn<MathFn::Tanh>(x);
    case MathFn::Sigmoid:
      return math_fn<MathFn::Sigmoid>(x);
    case MathFn::Floor:
      return math_fn<MathFn::Floor>(x);
    case MathFn::Tan:
      return math_fn<MathFn::Tan>(x);
    case MathFn::Log10:
      return math_fn<MathFn::Log10>(x);
    case MathFn::Log2:
      return math_fn<MathFn::Log2>(x);
    case MathFn::Ceil:
      return math_fn<MathFn::Ceil>(x);
    case MathFn::Round:
      return math_fn<MathFn::Round>(x);
  }
  return x;
}

}  // namespace kestrel::rt
