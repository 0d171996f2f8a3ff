#pragma once
// numpy's array functions (issue 17): prod std var median cumsum sort argsort unique
// concatenate reshape. One implementation that the interpreter and the JIT (through the C ABI)
// both call, so every mode gives the same bits. Each is serial and walks its elements in one
// fixed order (row-major, or along the line for axis=), so no result depends on the thread count:
//
//   prod      i64 for integers and bools (wrapping), f64 for f64; f32 multiplies in f64 and
//             rounds once at the end (as sum does). 1 when empty.
//   var, std  population variance (ddof = 0, numpy's default; `ddof` subtracts from the count):
//             the mean first (the elements summed left to right in f64, divided by n), then the
//             squared deviations summed left to right, divided by n - ddof; std is its sqrt. f64
//             for integers and bools; f32 computes in f64 and rounds once. nan when n - ddof <= 0.
//   median    the middle element, or the mean of the two middle ones, (lo + hi) / 2, in f64 (f32
//             computes in f64 and rounds once); nan when any element is nan or when empty.
//   cumsum    running sums, left to right, in the element type (i64 for integers and bools,
//             wrapping); a matrix without axis= is flattened (row-major), as numpy does.
//   sort      a sorted copy, nan last; argsort the indices (i64) that sort, stable (ties keep
//             index order); both along axis (default: the last, as numpy's) of a matrix.
//   unique    the sorted distinct values of the whole array (flattened), all nans as one, last.
//   concatenate  two arrays of one element type and rank, along axis (0 for matrices).
//   reshape   the same elements, row-major, in a new shape: a view of a contiguous array (it
//             shares its memory, as numpy's reshape does), else of a contiguous copy.
#include <cstdint>

#include "runtime/array.hpp"

namespace kestrel::rt {

/// The functions, in ir::Builtin's order from Prod (codegen maps one to the other).
enum class ArrayFn : std::uint8_t {
  Prod,
  Std,
  Var,
  Median,
  Cumsum,
  Sort,
  Argsort,
  Unique,
  Concatenate,
  Reshape
};

/// prod, std, var or median of a whole array (a matrix over all its elements). `ddof` is var
/// and std's.
Value array_fn_value(ArrayFn fn, const Array& a, std::int64_t ddof);

/// Every array-valued use: prod, std, var and median along axis (0 or 1 of a matrix: one result
/// per line); cumsum, sort, argsort (axis -1: flattened for cumsum, the last axis for the sorts);
/// unique; concatenate(a, *b, axis); reshape(a, d0[, d1]) with `rank` 1 or 2 dimensions.
ArrayRef array_fn_array(ArrayFn fn, const Array& a, const Array* b, int axis, std::int64_t d0,
                        std::int64_t d1, int rank);

}  // namespace kestrel::rt
