#pragma once
// numpy's boolean masks and integer-array indexing (issue 17): `a[mask]`, `a[idx]` and the stores
// `a[mask] op= v`, `a[idx] op= v`. One implementation that the interpreter and the JIT (through
// the C ABI) both call, so every mode gives the same bits; serial, so the order of the selected
// elements and the first bad index reported never depend on the thread count.
//
//   selection   a bool mask of a's shape selects elements (row-major order, a 1-D result); a 1-D
//               bool mask over a matrix's rows selects rows; a 1-D integer array selects
//               elements of a vector or rows of a matrix, in its order, negative indices counting
//               from the end (rules/bounds.hpp's wrap_index). A mask whose length or shape is not
//               the array's, or an index out of bounds after wrapping, raises (the message quotes
//               the index and its position in the index array).
//   get         a NEW array (a copy, never a view).
//   set         `v` (a scalar, or an array of the selection's shape; a 1-D row also goes across
//               selected rows) is written to each selected element in order, so with repeated
//               indices the last write wins. A compound store reads every selected element once,
//               combines it with v as `x op= v` does, and writes it back (numpy's buffered
//               semantics: `a[[0, 0]] += 1` adds 1 once).
#include "runtime/array.hpp"
#include "runtime/elementwise.hpp"

namespace kestrel::rt {

/// a[sel]: sel a bool mask or an integer array (see above).
ArrayRef fancy_get(const Array& a, const Array& sel);

/// a[sel] op= v.
void fancy_set(const Array& a, const Array& sel, StoreOp op, const Operand& v);

}  // namespace kestrel::rt
