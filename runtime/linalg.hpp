#pragma once
// Matrix products through Eigen. Views whose strides Eigen cannot map (neither dimension dense)
// are copied to contiguous memory first. Results are new contiguous arrays. Integer products wrap
// and are computed by a plain loop (Eigen's would overflow in signed arithmetic).
// linalg.cpp is built for the build machine's CPU (-march=native, CMake option
// KESTREL_NATIVE_LINALG), since Eigen picks its product kernels at compile time.
#include "runtime/array.hpp"

namespace kestrel::rt {

/// a @ b for a matrix (m x k) with a matrix (k x n) -> m x n, a matrix with a vector (k) -> m, a
/// vector (k) with a matrix (k x n) -> n. Both have one numeric element type. Raises
/// "matmul shape mismatch: (2, 3) @ (4, 2)". Two vectors: use matmul_vv.
ArrayRef matmul(const Array& a, const Array& b);
/// vector @ vector: a scalar, equal to dot(a, b) (the fixed reduction order).
Value matmul_vv(const Array& a, const Array& b);

}  // namespace kestrel::rt
