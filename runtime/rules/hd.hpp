#pragma once
// The portable layer under runtime/rules/: what a rule may use, so that one header compiles for
// the host (GCC, Clang) and for the GPU (nvcc, or NVRTC, which has no standard library).
//
//   KESTREL_HD   marks every rule function: __host__ __device__ under CUDA, nothing elsewhere.
//   hd::i32 …    the fixed-width integers (std::int32_t … on the host).
//   hd::Num<T>   what the rules ask of a type: float or integer, its unsigned twin, its limits.
//   hd::fma …    the few math functions the rules call, spelled std:: on the host and with the
//                CUDA Math API's names on the device (correctly rounded where IEEE requires it:
//                fma, sqrt, fmod, floor, copysign, fabs; log, sin, cos, tanh and pow are the
//                platform's, as libm's are on the host).
//   hd::inf …    infinities, nan and bit casts without <limits> or <bit>.
// Nothing here throws or allocates: a rule that can fail has a predicate the caller tests
// (rules/arith.hpp), and the message text is host-only (rules/messages.hpp).
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define KESTREL_HD __host__ __device__
#else
#define KESTREL_HD
#endif

/// Defined while compiling device code (nvcc's device pass, or NVRTC).
#if defined(__CUDA_ARCH__) || defined(__CUDACC_RTC__)
#define KESTREL_RULES_DEVICE 1
#endif

#ifndef __CUDACC_RTC__
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#endif

namespace kestrel::rt::hd {

#ifdef __CUDACC_RTC__
using i32 = int;
using u32 = unsigned int;
using i64 = long long;
using u64 = unsigned long long;
#else
using i32 = std::int32_t;
using u32 = std::uint32_t;
using i64 = std::int64_t;
using u64 = std::uint64_t;
#endif

template <class A, class B>
inline constexpr bool kSame = false;
template <class A>
inline constexpr bool kSame<A, A> = true;

template <int Bytes>
struct UnsignedOfSize;
template <>
struct UnsignedOfSize<1> {
  using type = unsigned char;
};
template <>
struct UnsignedOfSize<2> {
  using type = unsigned short;
};
template <>
struct UnsignedOfSize<4> {
  using type = u32;
};
template <>
struct UnsignedOfSize<8> {
  using type = u64;
};

/// The unsigned integer type of I's width (wrapping arithmetic goes through it).
template <class I>
using Unsigned = typename UnsignedOfSize<sizeof(I)>::type;

/// f32 and f64.
template <class T>
inline constexpr bool kFloat = kSame<T, float> || kSame<T, double>;
/// i32 and i64 (any integer but bool).
template <class T>
inline constexpr bool kInt = !kFloat<T> && !kSame<T, bool>;

/// The largest and the smallest value of a signed integer type.
template <class I>
KESTREL_HD constexpr I int_max() {
  return static_cast<I>(static_cast<Unsigned<I>>(~Unsigned<I>{0}) >> 1);
}
template <class I>
KESTREL_HD constexpr I int_min() {
  return static_cast<I>(-int_max<I>() - 1);
}

#ifdef KESTREL_RULES_DEVICE
KESTREL_HD inline double inf(double) { return __longlong_as_double(0x7ff0000000000000LL); }
KESTREL_HD inline float inf(float) { return __uint_as_float(0x7f800000U); }
KESTREL_HD inline double quiet_nan(double) { return __longlong_as_double(0x7ff8000000000000LL); }
KESTREL_HD inline float quiet_nan(float) { return __uint_as_float(0x7fc00000U); }
KESTREL_HD inline u64 bits_of(double x) { return static_cast<u64>(__double_as_longlong(x)); }
KESTREL_HD inline double double_of(u64 b) { return __longlong_as_double(static_cast<i64>(b)); }
#else
inline double inf(double) { return std::numeric_limits<double>::infinity(); }
inline float inf(float) { return std::numeric_limits<float>::infinity(); }
inline double quiet_nan(double) { return std::numeric_limits<double>::quiet_NaN(); }
inline float quiet_nan(float) { return std::numeric_limits<float>::quiet_NaN(); }
inline u64 bits_of(double x) { return std::bit_cast<u64>(x); }
inline double double_of(u64 b) { return std::bit_cast<double>(b); }
#endif

// The math functions, f32 and f64 overloads: KESTREL_HD_MATHn(name, its f64 and f32 names on the
// device).
#ifdef KESTREL_RULES_DEVICE
#define KESTREL_HD_MATH1(name, dev, devf)                      \
  KESTREL_HD inline double name(double x) { return ::dev(x); } \
  KESTREL_HD inline float name(float x) { return ::devf(x); }
#define KESTREL_HD_MATH2(name, dev, devf)                                   \
  KESTREL_HD inline double name(double x, double y) { return ::dev(x, y); } \
  KESTREL_HD inline float name(float x, float y) { return ::devf(x, y); }
#else
#define KESTREL_HD_MATH1(name, dev, devf)               \
  inline double name(double x) { return std::name(x); } \
  inline float name(float x) { return std::name(x); }
#define KESTREL_HD_MATH2(name, dev, devf)                            \
  inline double name(double x, double y) { return std::name(x, y); } \
  inline float name(float x, float y) { return std::name(x, y); }
#endif
KESTREL_HD_MATH1(log, log, logf)
KESTREL_HD_MATH1(sqrt, sqrt, sqrtf)
KESTREL_HD_MATH1(fabs, fabs, fabsf)
KESTREL_HD_MATH1(sin, sin, sinf)
KESTREL_HD_MATH1(cos, cos, cosf)
KESTREL_HD_MATH1(tanh, tanh, tanhf)
KESTREL_HD_MATH1(floor, floor, floorf)
KESTREL_HD_MATH1(tan, tan, tanf)
KESTREL_HD_MATH1(log10, log10, log10f)
KESTREL_HD_MATH1(log2, log2, log2f)
KESTREL_HD_MATH1(ceil, ceil, ceilf)
KESTREL_HD_MATH1(rint, rint, rintf)  // to nearest, ties to even (the default rounding mode)
KESTREL_HD_MATH2(fmod, fmod, fmodf)
KESTREL_HD_MATH2(pow, pow, powf)
KESTREL_HD_MATH2(copysign, copysign, copysignf)
#undef KESTREL_HD_MATH1
#undef KESTREL_HD_MATH2

/// x * y + z rounded once.
#ifdef KESTREL_RULES_DEVICE
KESTREL_HD inline double fma(double x, double y, double z) { return ::fma(x, y, z); }
#else
inline double fma(double x, double y, double z) { return std::fma(x, y, z); }
#endif

}  // namespace kestrel::rt::hd
