#pragma once
// Kestrel's own exp, the one every mode computes: the interpreter calls these functions, the
// runtime's array loops inline them, and the JIT emits the same operations in the same order
// (codegen/llvm, FnLowering::exp_f64), so `exp` and `sigmoid` agree bit for bit in every mode and
// on every machine, not only where each backend happens to call the same libm.
//
// It has no branches and no table: the JIT's loop vectorizer and the compiler's vectorize a loop
// over it (libm's exp is a call per element, which neither can). Within 1 ulp of the exact value
// over the whole double range (tests/runtime/kmath_test.cpp sweeps it against std::exp), with
// IEEE results at the edges: exp(nan) is nan, exp(+inf) and anything above kExpHi is +inf,
// exp(-inf) and anything below kExpLo is +0, and results below 2^-1022 round once, as subnormals.
//
// Method: n = round(x / ln 2) and r = x - n ln 2 (Cody-Waite: ln 2 as a 33-bit head, exact in
// n * head for |n| < 2^20, and a tail), so |r| <= ln 2 / 2; e^r by its Taylor polynomial to
// degree 13 (the first omitted term is below 2^-60 of the result); then 2^n as two powers of
// two, 2^n1 * 2^n2 with n1 = n / 2 rounded, so each is a normal double and the product rounds
// once. Every step is a plain IEEE add, multiply or bit operation: build what includes this with
// -ffp-contract=off (a fused multiply-add would change the last bit in one mode and not another).
#include <bit>
#include <cstdint>
#include <limits>

namespace kestrel::rt::kmath {

inline constexpr double kLog2e = 0x1.71547652b82fep+0;
inline constexpr double kLn2Hi = 0x1.62e42fee00000p-1;   // ln 2's first 33 bits
inline constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;  // ln 2 - kLn2Hi
/// Adding it rounds a double of magnitude below 2^51 to an integer, held in the low bits.
inline constexpr double kShift = 0x1.8p52;
/// The largest x whose exp is finite, and the smallest whose exp does not round to zero.
inline constexpr double kExpHi = 0x1.62e42fefa39efp+9;   // 709.78...
inline constexpr double kExpLo = -0x1.74910d52d3051p+9;  // -745.13...
/// 1/k! for k = 2 .. 13, highest degree first (Horner order).
inline constexpr double kExpPoly[] = {
    0x1.6124613a86d09p-33,  // 1/13!
    0x1.1eed8eff8d898p-29,  // 1/12!
    0x1.ae64567f544e4p-26,  // 1/11!
    0x1.27e4fb7789f5cp-22,  // 1/10!
    0x1.71de3a556c734p-19,  // 1/9!
    0x1.a01a01a01a01ap-16,  // 1/8!
    0x1.a01a01a01a01ap-13,  // 1/7!
    0x1.6c16c16c16c17p-10,  // 1/6!
    0x1.1111111111111p-7,   // 1/5!
    0x1.5555555555555p-5,   // 1/4!
    0x1.5555555555555p-3,   // 1/3!
    0x1p-1,                 // 1/2!
};
inline constexpr int kExpTerms = 12;

/// 2^k for the integer k that `t` (= k + kShift) holds, |k| <= 1022.
inline double pow2_of_shifted(double t) {
  std::uint64_t k = std::bit_cast<std::uint64_t>(t) - std::bit_cast<std::uint64_t>(kShift);
  return std::bit_cast<double>((k + 1023) << 52);
}

/// e^x.
inline double exp_f64(double x) {
  // nan compares false both times and flows through to the result.
  double xc = x > kExpHi ? kExpHi : x;
  xc = xc < kExpLo ? kExpLo : xc;
  double t = xc * kLog2e + kShift;
  double n = t - kShift;
  double a = xc - n * kLn2Hi;  // exact
  double b = n * kLn2Lo;
  double r = a - b;
  double r_lo = (a - r) - b;  // what rounding r lost (exact: |a| >= |b|)
  double h = kExpPoly[0];
  for (int k = 1; k < kExpTerms; ++k) {
    h = h * r + kExpPoly[k];
  }
  // e^r = 1 + r + r^2 h: 1 + r as a head and an exact tail, so that the sum rounds once.
  double s = 1.0 + r;
  double s_lo = (1.0 - s) + r;
  double p = s + (s_lo + (r_lo + (r * r) * h));
  double t1 = n * 0.5 + kShift;  // n1 = n / 2, rounded to even
  double n1 = t1 - kShift;
  double t2 = (n - n1) + kShift;
  double e = p * pow2_of_shifted(t1) * pow2_of_shifted(t2);
  e = x > kExpHi ? std::numeric_limits<double>::infinity() : e;
  return x < kExpLo ? 0.0 : e;
}

/// e^x for f32: the f64 result rounded to f32 (one rounding of a value within 1 ulp of f64).
inline float exp_f32(float x) { return static_cast<float>(exp_f64(static_cast<double>(x))); }

/// 1 / (1 + e^-x).
inline double sigmoid_f64(double x) { return 1.0 / (1.0 + exp_f64(-x)); }
/// 1 / (1 + e^-x) in f32, from the f32 exp.
inline float sigmoid_f32(float x) { return 1.0F / (1.0F + exp_f32(-x)); }

}  // namespace kestrel::rt::kmath
