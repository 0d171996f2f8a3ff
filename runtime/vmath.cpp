// Built with -march=native under KESTREL_NATIVE_LINALG (runtime/CMakeLists.txt) and, as all of
// the runtime, -ffp-contract=off: the compiler vectorizes each loop; every lane computes what
// kmath's scalar function computes.
#include "runtime/vmath.hpp"

#include "runtime/kmath.hpp"

namespace kestrel::rt {

void exp_row(const double* a, double* out, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) {
    out[j] = kmath::exp_f64(a[j]);
  }
}
void exp_row(const float* a, float* out, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) {
    out[j] = kmath::exp_f32(a[j]);
  }
}
void sigmoid_row(const double* a, double* out, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) {
    out[j] = kmath::sigmoid_f64(a[j]);
  }
}
void sigmoid_row(const float* a, float* out, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) {
    out[j] = kmath::sigmoid_f32(a[j]);
  }
}

}  // namespace kestrel::rt
