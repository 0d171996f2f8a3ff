#pragma once
// Array operations: the ARRAY instruction's operand C names one of these descriptors. Array
// work is dominated by the runtime call it makes, so one opcode with a descriptor keeps the
// dispatch loop small without costing anything measurable.
#include <cstdint>
#include <vector>

#include "dsl/ir/ir.hpp"

namespace kestrel::interp {

enum class ArrayKind : std::uint8_t {
  Binary,     // R[dst] = lhs op rhs, elementwise (one may be a scalar)
  Unary,      // R[dst] = op R[a]
  Convert,    // R[dst] = convert(R[a]) to `elem`
  Get,        // R[dst] = R[a][R[b], R[b+1]]  (scalar element)
  Set,        // R[a][R[b], R[b+1]] op= R[c]
  Slice,      // R[dst] = view of R[a] by `dims`
  Transpose,  // R[dst] = R[a].T
  StoreView,  // R[a][:] op= R[b]
  Build,      // R[dst] = constructor (zeros, ones, …) from R[a..]
  Literal,    // R[dst] = the literal's elements (constants and R[a], R[a+1], …), rows x cols
  Reduce,     // R[dst] = reduction of R[a] (axis optional)
  Dot,        // R[dst] = dot(R[a], R[b]) (axis optional)
  MatMul,     // R[dst] = R[a] @ R[b]
  Len,        // R[dst] = shape(R[a], axis)
  Copy,       // R[dst] = copy(R[a])
  Where,      // R[dst] = where(R[a], R[b], R[c])
  Clip,       // R[dst] = clip(R[a], R[b], R[c])
  Rand,       // R[dst] = rand / randn array from R[a..]
  Table,      // read_csv, columns, rows
  Npy,        // load_npy, save_npy
  Assert,     // assert(R[a], R[b]): raises the message R[b] when R[a] is false
  Str,        // str operations (op: the ir::Builtin): R[dst] = str(R[a]), R[a] + R[b], …
  ArrayFn,    // R[dst] = prod … reshape (rt::ArrayFn `op`) of R[a], R[b].. (axis optional)
  Stream,     // npy_blocks, csv_blocks, stream_next, stream_block, stream_close (op: ir::Builtin)
  Mpi,        // rank, ranks, allreduce, broadcast, gather (op: ir::Builtin; runtime/mpi.hpp)
  Fancy,      // op 0: R[dst] = R[a][R[b]]; else R[a][R[b]] op-1= R[c] (runtime/fancy_index.hpp)
  Keep,       // the REPL's kept array: rt::keep_array(R[a], R[b]) (ir::Builtin::ReplKeep)
};

/// One operand: a register and its IR type (a scalar or an array).
struct ArrayArg {
  std::uint16_t reg = 0;
  ir::Type type;
};

/// A slice dimension: an index register, or a range with optional bound registers.
struct SliceSpec {
  bool is_range = false;
  bool has_lo = false;
  bool has_hi = false;
  std::uint16_t index = 0;
  std::uint16_t lo = 0;
  std::uint16_t hi = 0;
  bool has_step = false;
  std::uint16_t step = 0;
};

/// Everything an ARRAY instruction needs besides its destination register (its A).
struct ArrayInstr {
  ArrayKind kind = ArrayKind::Binary;
  std::uint8_t op = 0;  // rt::BinOp / rt::UnOp / rt::StoreOp / rt::ReduceOp / ir::Builtin …
  std::int8_t axis = -1;
  bool checked = true;  // bounds checks (false in @unchecked functions)
  ir::Type result;
  std::vector<ArrayArg> args;
  std::vector<SliceSpec> dims;
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  /// Literal: each element's slot bits, filled in at compile time for constants; the elements
  /// at the positions in `dynamic` (ascending) come from registers args[0].reg, +1, … instead,
  /// so a literal of 10^5 numbers needs no register per number.
  std::vector<std::int64_t> literal;
  std::vector<std::uint32_t> dynamic;
  /// Set: the dimensions (bits) where a negative index raises instead of wrapping
  /// (ir::StoreIndex::no_wrap).
  std::uint8_t no_wrap = 0;
};

}  // namespace kestrel::interp
