#pragma once
// exp and sigmoid over contiguous memory: runtime/rules/kmath.hpp's functions in loops built for
// the host CPU (with KESTREL_NATIVE_LINALG, as linalg.cpp is), so they run in its widest vectors.
// Each element is the scalar function's result, bit for bit: no contraction, no reassociation.
#include <cstdint>

#include "runtime/rules/math.hpp"

namespace kestrel::rt {

/// out[j] = exp(a[j]) for j < n (`out` may be `a`).
void exp_row(const double* a, double* out, std::int64_t n);
void exp_row(const float* a, float* out, std::int64_t n);
/// out[j] = sigmoid(a[j]) for j < n (`out` may be `a`).
void sigmoid_row(const double* a, double* out, std::int64_t n);
void sigmoid_row(const float* a, float* out, std::int64_t n);

// exp_of, the one-value form: runtime/rules/math.hpp.

}  // namespace kestrel::rt
