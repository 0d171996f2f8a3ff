#pragma once
// rand(n, key), rand(m, n, key), randn(…): arrays of random numbers (see philox.hpp for the
// mapping: element k in row-major order is random(key, k) or randn(key, k)).
#include <cstdint>

#include "runtime/array.hpp"

namespace kestrel::rt {

/// An f64 array of `shape` with element k (row-major) = random(key, k).
ArrayRef rand_array(Shape shape, std::int64_t key);
/// An f64 array of `shape` with element k (row-major) = randn(key, k).
ArrayRef randn_array(Shape shape, std::int64_t key);

}  // namespace kestrel::rt
