#pragma once
// Kestrel's own exp and sigmoid, the ones every mode computes: the interpreter and the runtime
// call these functions (runtime/vmath.cpp, built for the host CPU), the CUDA backend compiles
// them as they are, and the JIT emits the same operations in the same order (codegen/llvm,
// FnLowering::exp_of; tests/llvm/rules_table_test.cpp holds it to them), so `exp` and `sigmoid`
// agree bit for bit in every mode and on every machine, not only where each backend happens to
// call the same libm.
//
// It has no branches and no table: the JIT's loop vectorizer and the compiler's vectorize a loop
// over it (libm's exp is a call per element, which neither can). Within 0.75 ulp of the exact
// value for normal results and 1 ulp for subnormal ones (tests/runtime/kmath_test.cpp sweeps it
// against expl), with IEEE results at the edges: exp(nan) is nan, exp(+inf) and anything above
// kExpHi is +inf, exp(-inf) and anything below kExpLo is +0.
//
// Method: n = round(x / ln 2) and r = x - n ln 2 (Cody-Waite: ln 2 as a 33-bit head, exact in
// n * head for |n| < 2^20, and a tail, the rounding of r kept as r_lo), so |r| <= ln 2 / 2; e^r
// = 1 + r + r^2 h(r) with h the Taylor polynomial to degree 11 (e^r's to degree 13: the first
// omitted term is below 2^-60 of the result), 1 + r as a head and its exact tail so the sum
// rounds once; then 2^n as two powers of two, 2^n1 * 2^n2 with n1 = n / 2 rounded, so each is a
// normal double and the product rounds once. Multiply-adds are explicit fma (llvm.fma in
// the JIT), one rounding each, the same on every IEEE machine; nothing else may be contracted:
// build what includes this with -ffp-contract=off.
#include "runtime/rules/hd.hpp"

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

/// h * r^(kExpTerms - K) + the rest of Horner's rule from kExpPoly[K], written out (so that
/// the compiler has no inner loop to vectorize around).
template <int K>
KESTREL_HD inline double horner(double h, double r) {
  if constexpr (K == kExpTerms) {
    return h;
  } else {
    return horner<K + 1>(hd::fma(h, r, kExpPoly[K]), r);
  }
}

/// 2^k for the integer k that `t` (= k + kShift) holds, |k| <= 1022.
KESTREL_HD inline double pow2_of_shifted(double t) {
  hd::u64 k = hd::bits_of(t) - hd::bits_of(kShift);
  return hd::double_of((k + 1023) << 52);
}

/// e^xc = p * 2^n for xc in [kExpLo, kExpHi]: returns p, in [0.7, 1.42], and sets t = n + kShift.
KESTREL_HD inline double exp_reduced(double xc, double& t) {
  t = hd::fma(xc, kLog2e, kShift);
  double n = t - kShift;
  double a = hd::fma(-n, kLn2Hi, xc);  // exact
  double b = n * kLn2Lo;
  double r = a - b;
  double r_lo = (a - r) - b;  // what rounding r lost (exact: |a| >= |b|)
  double h = horner<1>(kExpPoly[0], r);
  double s = 1.0 + r;
  double s_lo = (1.0 - s) + r;
  return s + (s_lo + hd::fma(r * r, h, r_lo));
}

/// e^x.
KESTREL_HD inline double exp_f64(double x) {
  // nan compares false both times and flows through to the result.
  double xc = x > kExpHi ? kExpHi : x;
  xc = xc < kExpLo ? kExpLo : xc;
  double t = 0;
  double p = exp_reduced(xc, t);
  double n = t - kShift;
  double t1 = hd::fma(n, 0.5, kShift);  // n1 = n / 2, rounded to even
  double n1 = t1 - kShift;
  double t2 = (n - n1) + kShift;
  double e = p * pow2_of_shifted(t1) * pow2_of_shifted(t2);
  e = x > kExpHi ? hd::inf(0.0) : e;
  return x < kExpLo ? 0.0 : e;
}

/// Where exp_fast gives exp_f64's bits: 2^n is then one normal double.
inline constexpr double kFastLo = -708.0;
inline constexpr double kFastHi = 709.0;
/// exp_f64(x) for x in [kFastLo, kFastHi] (anything outside, nan included, gives garbage): the
/// same p scaled by one power of two instead of two, for array loops that handle the rest apart.
KESTREL_HD inline double exp_fast(double x) {
  double t = 0;
  double p = exp_reduced(x, t);
  return p * pow2_of_shifted(t);
}

/// e^x for f32: the f64 result rounded to f32 (one rounding of a value within 1 ulp of f64).
KESTREL_HD inline float exp_f32(float x) {
  return static_cast<float>(exp_f64(static_cast<double>(x)));
}

/// Below these, sigmoid(x) is e^x itself: e^-x is near overflow (1 + e^-x overflows past
/// -709.78 in f64, -88.72 in f32, which flushed every subnormal result to 0), and e^x differs
/// from e^x / (1 + e^x) by a factor 1 - e^x, far below an ulp. So sigmoid keeps exp's accuracy
/// where its result is subnormal. The JIT (FnLowering::math1) applies the same rule.
inline constexpr double kSigmoidLo = -709.0;
inline constexpr float kSigmoidLoF32 = -88.0F;

/// kSigmoidLo in F.
template <class F>
KESTREL_HD constexpr F sigmoid_lo() {
  return hd::kSame<F, float> ? F(kSigmoidLoF32) : F(kSigmoidLo);
}
/// sigmoid(x) takes one exp: of this (-x, or x itself below sigmoid_lo)...
template <class F>
KESTREL_HD inline F sigmoid_exp_arg(F x) {
  return x < sigmoid_lo<F>() ? x : -x;
}
/// ... and finishes from it, e = e^sigmoid_exp_arg(x): 1 / (1 + e^-x), or e^x itself.
template <class F>
KESTREL_HD inline F sigmoid_from_exp(F x, F e) {
  return x < sigmoid_lo<F>() ? e : F(1) / (F(1) + e);
}

/// 1 / (1 + e^-x), or e^x below kSigmoidLo (one exp either way, no branch).
KESTREL_HD inline double sigmoid_f64(double x) {
  return sigmoid_from_exp(x, exp_f64(sigmoid_exp_arg(x)));
}
/// 1 / (1 + e^-x) in f32, from the f32 exp, or e^x below kSigmoidLoF32.
KESTREL_HD inline float sigmoid_f32(float x) {
  return sigmoid_from_exp(x, exp_f32(sigmoid_exp_arg(x)));
}

}  // namespace kestrel::rt::kmath
