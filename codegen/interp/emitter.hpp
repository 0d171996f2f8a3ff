#pragma once
// The bytecode emitter of one function (Lua's lcode.c is the model): register allocation,
// instructions and their spans, constants, jump patching, and the pass that records which
// temporaries own references. The statement and expression compilers (compiler.hpp) build on it
// and never touch a Proto's code directly.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "codegen/interp/program.hpp"
#include "dsl/diag/source.hpp"
#include "dsl/ir/ir.hpp"

namespace kestrel::interp {

/// Thrown when a 16-bit jump offset does not reach: the function is compiled again with long jumps.
struct JumpTooFar {};

/// A register and whether it owns the reference it holds (array and table temporaries).
struct Operand {
  std::uint16_t reg = 0;
  bool owned = false;
  bool table = false;
};

inline bool is_ref(ir::Type t) { return t.is_array() || t.is_table(); }

class Emitter {
 public:
  using BinaryOp = ir::BinaryOp;
  using Builtin = ir::Builtin;
  using ExprId = ir::ExprId;
  using Scalar = ir::Scalar;
  using Type = ir::Type;

  /// Emits function `id` of `p` into out.protos[id]. `long_jumps`: no jump with a 16-bit offset
  /// may span user code (conditions compare into a register and JMPF; loops reach their body
  /// and exit through 32-bit JMPs).
  Emitter(const ir::Program& p, ir::FnId id, CompiledProgram::Impl& out, bool long_jumps)
      : p_(p),
        id_(id),
        fn_(p.fn(id)),
        out_(out),
        proto_(out.protos[id.v]),
        long_jumps_(long_jumps) {}

 protected:
  // ---- types and registers ----

  /// How many registers a value of type `t` takes (a tuple one per flattened element).
  std::uint32_t slots(Type t) const;
  /// Records the reference-holding registers of a local of type `t` at register `at` (and, with
  /// `init`, that the VM nulls them on entry).
  void add_ref_slots(Type t, std::uint32_t at, bool init);
  /// The flattened scalar types of a (possibly tuple) type, one per slot.
  void flat_types(Type t, std::vector<Type>& out) const;
  /// `n` consecutive temporaries above the live ones.
  std::uint16_t alloc(std::uint32_t n);
  const ir::Expr& ex(ExprId id) const { return p_.expr(id); }
  Type type(ExprId id) const { return p_.expr(id).type; }

  // ---- emission ----

  std::size_t emit(Op op, std::uint32_t a, std::uint32_t b, std::uint32_t c) {
    proto_.code.push_back(Instr{op, static_cast<std::uint16_t>(a), static_cast<std::uint16_t>(b),
                                static_cast<std::uint16_t>(c)});
    proto_.spans.push_back(span_);
    return proto_.code.size() - 1;
  }
  std::size_t emit_bx(Op op, std::uint32_t a, std::uint32_t bx) {
    return emit(op, a, bx & 0xffff, bx >> 16);
  }
  std::size_t here() const { return proto_.code.size(); }
  /// Points the jump at `at` to `target` (offsets count from the instruction after the jump).
  void patch(std::size_t at, std::size_t target);

  // ---- constants ----

  /// The index of constant `s` in the function's table (added once per distinct bit pattern).
  std::uint32_t konst(Slot s);
  std::uint32_t konst_i(std::int64_t v);
  std::uint32_t konst_f(double v);
  std::uint32_t konst_f32(float v);
  /// `dst = v`: LOADI when it fits 32 bits, else LOADK.
  void load_int(std::uint16_t dst, std::int64_t v);
  /// The constant slot of a scalar constant expression, if it is one.
  bool const_slot(ExprId id, Slot& s) const;

  // ---- reference ownership ----

  /// Records in proto_.owned_temps where each temporary (a register from `first_temp` up) owns a
  /// reference, by one pass over the code in order. Temporaries never live across a statement's
  /// control flow (a loop or branch starts and ends with the same ones live), so the order of
  /// the code is the order of execution as far as they are concerned. A reference starts in the
  /// register an ARRAY, COPYA or CALL result writes, moves with MOV (a call's result), and ends
  /// at RELEASE, MOVEA, RET, or the CALL that takes it as an argument: the CALL itself still
  /// counts, since its own errors (stack overflow, interrupt) come before the callee owns it;
  /// once the callee runs, its frame releases the argument first and leaves the register null.
  void find_owned_temps(std::uint32_t first_temp);

  const ir::Program& p_;
  ir::FnId id_;
  const ir::Function& fn_;
  CompiledProgram::Impl& out_;
  Proto& proto_;
  std::vector<std::uint16_t> local_reg_;  // per local: its first register
  std::uint32_t free_ = 0;                // the first register above the live temporaries
  diag::Span span_;                       // the span emit() records
  bool long_jumps_ = false;
};

}  // namespace kestrel::interp
