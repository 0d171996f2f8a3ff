#pragma once
// exp and sigmoid over contiguous memory: runtime/kmath.hpp's functions in loops built for the
// host CPU (with KESTREL_NATIVE_LINALG, as linalg.cpp is), so they run in its widest vectors.
// Each element is the scalar function's result, bit for bit: no contraction, no reassociation.
#include <cstdint>

namespace kestrel::rt {

/// out[j] = exp(a[j]) for j < n (`out` may be `a`).
void exp_row(const double* a, double* out, std::int64_t n);
void exp_row(const float* a, float* out, std::int64_t n);
/// out[j] = sigmoid(a[j]) for j < n (`out` may be `a`).
void sigmoid_row(const double* a, double* out, std::int64_t n);
void sigmoid_row(const float* a, float* out, std::int64_t n);

/// e^x: kmath::exp_f64 and exp_f32 on one value (the interpreter's exp and the runtime's
/// strided loops), out of line in this host-CPU file so that their fused multiply-adds are
/// instructions even where the caller is built for generic x86-64 (there std::fma is a libm
/// call, 14 of them an exp).
double exp_of(double x);
float exp_of(float x);

}  // namespace kestrel::rt
