// Built with -march=native under KESTREL_NATIVE_LINALG (runtime/CMakeLists.txt) and, as all of
// the runtime, -ffp-contract=off: the compiler vectorizes each loop; every lane computes what
// kmath's scalar function computes.
//
// A block of elements goes through kmath::exp_fast (one power of two, no clamping: 28 vector
// operations an element instead of 44), then the few elements outside its range (|x| > 708,
// nan) are recomputed by exp_f64, which gives the same bits wherever both apply; so the result
// is exp_f64's, element for element. Measured on 16,384 normal draws: 1.32 -> 0.6 ns an element.
#include "runtime/vmath.hpp"

#include <algorithm>

#include "runtime/rules/kmath.hpp"

namespace kestrel::rt {
namespace {

constexpr std::int64_t kBlock = 256;

/// Branch-free (& rather than &&), so that the loop testing a block vectorizes; false for nan.
inline int fast_range(double x) {
  return static_cast<int>(x >= kmath::kFastLo) & static_cast<int>(x <= kmath::kFastHi);
}

/// out[j] = finish(exp(arg(a[j])), a[j]) over blocks of kBlock; `out` may be `a`.
template <class T, class Arg, class Finish>
void exp_rows(const T* a, T* out, std::int64_t n, Arg arg, Finish finish) {
  double e[kBlock];
  for (std::int64_t j0 = 0; j0 < n; j0 += kBlock) {
    std::int64_t m = std::min(kBlock, n - j0);
    const T* pa = a + j0;
    for (std::int64_t i = 0; i < m; ++i) {
      e[i] = kmath::exp_fast(arg(pa[i]));
    }
    int slow = 0;
    for (std::int64_t i = 0; i < m; ++i) {
      slow |= fast_range(arg(pa[i])) ^ 1;
    }
    if (slow != 0) {
      for (std::int64_t i = 0; i < m; ++i) {
        double x = arg(pa[i]);
        if (fast_range(x) == 0) {
          e[i] = kmath::exp_f64(x);
        }
      }
    }
    for (std::int64_t i = 0; i < m; ++i) {
      out[j0 + i] = finish(e[i], pa[i]);
    }
  }
}

}  // namespace

double exp_of(double x) { return kmath::exp_f64(x); }
float exp_of(float x) { return kmath::exp_f32(x); }

void exp_row(const double* a, double* out, std::int64_t n) {
  exp_rows(
      a, out, n, [](double x) { return x; }, [](double e, double) { return e; });
}
void exp_row(const float* a, float* out, std::int64_t n) {
  exp_rows(
      a, out, n, [](float x) { return static_cast<double>(x); },
      [](double e, float) { return static_cast<float>(e); });
}
void sigmoid_row(const double* a, double* out, std::int64_t n) {
  exp_rows(
      a, out, n, [](double x) { return kmath::sigmoid_exp_arg(x); },
      [](double e, double x) { return kmath::sigmoid_from_exp(x, e); });
}
void sigmoid_row(const float* a, float* out, std::int64_t n) {
  exp_rows(
      a, out, n, [](float x) { return static_cast<double>(kmath::sigmoid_exp_arg(x)); },
      [](double e, float x) { return kmath::sigmoid_from_exp(x, static_cast<float>(e)); });
}

}  // namespace kestrel::rt
