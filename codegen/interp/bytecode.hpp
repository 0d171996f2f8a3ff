#pragma once
// The interpreter's bytecode: typed register instructions, 8 bytes each (op, A, B, C as 16-bit
// fields; sBx is B and C read together as a signed 32-bit offset; sC is C read as signed 16-bit).
// Registers are 8-byte slots of a frame: i64/i32/bool in .i (i32 kept sign-extended, bool 0/1),
// f64 in .f, f32 in .f32, arrays, tables and strings as pointers in .p. The type of every register
// is fixed by the instruction that reads it: there are no tags and no run-time type tests.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "dsl/diag/source.hpp"
#include "dsl/ir/ir.hpp"
#include "runtime/rules/math.hpp"

namespace kestrel::interp {

/// Our own broken invariant (not the user's error): an internal error naming the place.
#define KESTREL_INTERP_CHECK(cond)                                                               \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      throw std::logic_error(std::string("internal error: ") + #cond + " at " + __FILE__ + ":" + \
                             std::to_string(__LINE__));                                          \
    }                                                                                            \
  } while (0)

/// One register: eight bytes, read as whatever the instruction says.
union Slot {
  std::int64_t i;
  double f;
  float f32;
  void* p;
};
static_assert(sizeof(Slot) == 8);

// OP(name, operand form, effect). Forms: ABC, ABx (B unsigned 32-bit), AsBx, ABsC.
// Types: I = i64/i32/bool slots compared as i64; I64/I32/F64/F32 = arithmetic in that type.
#define KESTREL_INTERP_OPCODES(OP)                                                               \
  OP(MOV, ABC, "R[A] = R[B]  (scalar)")                                                          \
  OP(LOADK, ABx, "R[A] = K[Bx]")                                                                 \
  OP(LOADI, AsBx, "R[A].i = sBx")                                                                \
  OP(LOADNIL, ABC, "R[A..A+B).p = null")                                                         \
  OP(COPYA, ABC, "R[A] = R[B]; retain R[A]  (A holds no reference before; C=1: a table)")        \
  OP(SETA, ABC, "retain R[B]; release R[A]; R[A] = R[B]  (a borrowed array; C=1: table)")        \
  OP(MOVEA, ABC, "release R[A]; R[A] = R[B]; R[B] = null  (an owned array; C=1: table)")         \
  OP(RELEASE, ABC, "release R[A]; R[A] = null  (C=1: a table)")                                  \
  OP(ADD_I64, ABC, "R[A] = R[B] + R[C]  (wrapping)")                                             \
  OP(SUB_I64, ABC, "R[A] = R[B] - R[C]  (wrapping)")                                             \
  OP(MUL_I64, ABC, "R[A] = R[B] * R[C]  (wrapping)")                                             \
  OP(ADDK_I64, ABC, "R[A] = R[B] + K[C]  (wrapping)")                                            \
  OP(SUBK_I64, ABC, "R[A] = R[B] - K[C]  (wrapping)")                                            \
  OP(MULK_I64, ABC, "R[A] = R[B] * K[C]  (wrapping)")                                            \
  OP(FDIV_I64, ABC, "R[A] = R[B] // R[C]  (floor; error when R[C] == 0)")                        \
  OP(MOD_I64, ABC, "R[A] = R[B] % R[C]  (sign of R[C]; error when R[C] == 0)")                   \
  OP(POW_I64, ABC, "R[A] = R[B] ** R[C]")                                                        \
  OP(NEG_I64, ABC, "R[A] = -R[B]  (wrapping)")                                                   \
  OP(BAND_I64, ABC, "R[A] = R[B] & R[C]")                                                        \
  OP(BOR_I64, ABC, "R[A] = R[B] | R[C]")                                                         \
  OP(BXOR_I64, ABC, "R[A] = R[B] ^ R[C]")                                                        \
  OP(SHL_I64, ABC, "R[A] = R[B] << R[C]")                                                        \
  OP(SHR_I64, ABC, "R[A] = R[B] >> R[C]  (arithmetic)")                                          \
  OP(BNOT_I64, ABC, "R[A] = ~R[B]")                                                              \
  OP(ADD_I32, ABC, "R[A] = R[B] + R[C]  (wrapping in 32 bits)")                                  \
  OP(SUB_I32, ABC, "R[A] = R[B] - R[C]  (wrapping in 32 bits)")                                  \
  OP(MUL_I32, ABC, "R[A] = R[B] * R[C]  (wrapping in 32 bits)")                                  \
  OP(FDIV_I32, ABC, "R[A] = R[B] // R[C]  (floor; error when R[C] == 0)")                        \
  OP(MOD_I32, ABC, "R[A] = R[B] % R[C]  (sign of R[C]; error when R[C] == 0)")                   \
  OP(POW_I32, ABC, "R[A] = R[B] ** R[C]")                                                        \
  OP(NEG_I32, ABC, "R[A] = -R[B]  (wrapping in 32 bits)")                                        \
  OP(SHL_I32, ABC, "R[A] = R[B] << R[C]  (32 bits)")                                             \
  OP(SHR_I32, ABC, "R[A] = R[B] >> R[C]  (32 bits, arithmetic)")                                 \
  OP(ADD_F64, ABC, "R[A] = R[B] + R[C]")                                                         \
  OP(SUB_F64, ABC, "R[A] = R[B] - R[C]")                                                         \
  OP(MUL_F64, ABC, "R[A] = R[B] * R[C]")                                                         \
  OP(DIV_F64, ABC, "R[A] = R[B] / R[C]")                                                         \
  OP(ADDK_F64, ABC, "R[A] = R[B] + K[C]")                                                        \
  OP(SUBK_F64, ABC, "R[A] = R[B] - K[C]")                                                        \
  OP(MULK_F64, ABC, "R[A] = R[B] * K[C]")                                                        \
  OP(DIVK_F64, ABC, "R[A] = R[B] / K[C]")                                                        \
  OP(FDIV_F64, ABC, "R[A] = floor(R[B] / R[C])  (Python's //)")                                  \
  OP(MOD_F64, ABC, "R[A] = R[B] % R[C]  (Python's %)")                                           \
  OP(POW_F64, ABC, "R[A] = R[B] ** R[C]")                                                        \
  OP(NEG_F64, ABC, "R[A] = -R[B]")                                                               \
  OP(ADD_F32, ABC, "R[A] = R[B] + R[C]  (f32)")                                                  \
  OP(SUB_F32, ABC, "R[A] = R[B] - R[C]  (f32)")                                                  \
  OP(MUL_F32, ABC, "R[A] = R[B] * R[C]  (f32)")                                                  \
  OP(DIV_F32, ABC, "R[A] = R[B] / R[C]  (f32)")                                                  \
  OP(FDIV_F32, ABC, "R[A] = floor(R[B] / R[C])  (f32)")                                          \
  OP(MOD_F32, ABC, "R[A] = R[B] % R[C]  (f32, Python's %)")                                      \
  OP(POW_F32, ABC, "R[A] = R[B] ** R[C]  (f32)")                                                 \
  OP(NEG_F32, ABC, "R[A] = -R[B]  (f32)")                                                        \
  OP(NOT, ABC, "R[A] = !R[B]  (bool)")                                                           \
  OP(EQ_I, ABC, "R[A] = R[B] == R[C]  (integers and bools)")                                     \
  OP(NE_I, ABC, "R[A] = R[B] != R[C]")                                                           \
  OP(LT_I, ABC, "R[A] = R[B] < R[C]")                                                            \
  OP(LE_I, ABC, "R[A] = R[B] <= R[C]")                                                           \
  OP(EQ_F64, ABC, "R[A] = R[B] == R[C]")                                                         \
  OP(NE_F64, ABC, "R[A] = R[B] != R[C]")                                                         \
  OP(LT_F64, ABC, "R[A] = R[B] < R[C]")                                                          \
  OP(LE_F64, ABC, "R[A] = R[B] <= R[C]")                                                         \
  OP(EQ_F32, ABC, "R[A] = R[B] == R[C]  (f32)")                                                  \
  OP(NE_F32, ABC, "R[A] = R[B] != R[C]  (f32)")                                                  \
  OP(LT_F32, ABC, "R[A] = R[B] < R[C]  (f32)")                                                   \
  OP(LE_F32, ABC, "R[A] = R[B] <= R[C]  (f32)")                                                  \
  OP(EQ_STR, ABC, "R[A] = R[B] == R[C]  (str: the texts)")                                       \
  OP(NE_STR, ABC, "R[A] = R[B] != R[C]  (str: the texts)")                                       \
  OP(JMP, AsBx, "pc += sBx")                                                                     \
  OP(JMPF, AsBx, "if not R[A]: pc += sBx")                                                       \
  OP(JMPT, AsBx, "if R[A]: pc += sBx")                                                           \
  OP(JNEQ_I, ABsC, "if not (R[A] == R[B]): pc += sC")                                            \
  OP(JNNE_I, ABsC, "if not (R[A] != R[B]): pc += sC")                                            \
  OP(JNLT_I, ABsC, "if not (R[A] < R[B]): pc += sC")                                             \
  OP(JNLE_I, ABsC, "if not (R[A] <= R[B]): pc += sC")                                            \
  OP(JNEQ_F64, ABsC, "if not (R[A] == R[B]): pc += sC")                                          \
  OP(JNNE_F64, ABsC, "if not (R[A] != R[B]): pc += sC")                                          \
  OP(JNLT_F64, ABsC, "if not (R[A] < R[B]): pc += sC")                                           \
  OP(JNLE_F64, ABsC, "if not (R[A] <= R[B]): pc += sC")                                          \
  OP(JNEQK_I, ABsC, "if not (R[A] == K[B]): pc += sC")                                           \
  OP(JNNEK_I, ABsC, "if not (R[A] != K[B]): pc += sC")                                           \
  OP(JNLTK_I, ABsC, "if not (R[A] < K[B]): pc += sC")                                            \
  OP(JNLEK_I, ABsC, "if not (R[A] <= K[B]): pc += sC")                                           \
  OP(JNGTK_I, ABsC, "if not (R[A] > K[B]): pc += sC")                                            \
  OP(JNGEK_I, ABsC, "if not (R[A] >= K[B]): pc += sC")                                           \
  OP(JNEQK_F64, ABsC, "if not (R[A] == K[B]): pc += sC")                                         \
  OP(JNNEK_F64, ABsC, "if not (R[A] != K[B]): pc += sC")                                         \
  OP(JNLTK_F64, ABsC, "if not (R[A] < K[B]): pc += sC")                                          \
  OP(JNLEK_F64, ABsC, "if not (R[A] <= K[B]): pc += sC")                                         \
  OP(JNGTK_F64, ABsC, "if not (R[A] > K[B]): pc += sC")                                          \
  OP(JNGEK_F64, ABsC, "if not (R[A] >= K[B]): pc += sC")                                         \
  OP(FORPREP, ABsC,                                                                              \
     "i = R[A], hi = R[B], step = R[B+1]: error if step == 0; if the range is empty: pc += sC")  \
  OP(FORPREP1, ABsC, "i = R[A], hi = R[B], step 1: if not (i < hi): pc += sC")                   \
  OP(FORLOOP, ABsC, "i += step; if i is still before hi: pc += sC  (never overflows past hi)")   \
  OP(FORLOOP1, ABsC, "i += 1; if i < hi: pc += sC  (the loop without 'by')")                     \
  OP(PENTRY, ABC,                                                                                \
     "a parallel loop's start, i = R[A], hi = R[B] (loop C): a tiered run may go native here")   \
  OP(PFOR_BEGIN, ABC, "parallel-for reductions B: save each, set it to the identity, R[A] = 0")  \
  OP(PFOR_STEP, ABC, "R[A] += 1; at a chunk's end keep each partial, reset to the identity")     \
  OP(PFOR_END, ABC, "each reduction = saved op combine_tree(partials of its chunks)")            \
  OP(ARED_BEGIN, ABC, "array reductions B: each array to a private identity copy, R[A] = 0")     \
  OP(ARED_STEP, ABC, "R[A] += 1; at a chunk's end hand in the copies and take fresh ones")       \
  OP(ARED_END, ABC, "hand in the last copies; each array = array op tree of the copies")         \
  OP(I64_TO_F64, ABC, "R[A].f = double(R[B].i)")                                                 \
  OP(I64_TO_F32, ABC, "R[A].f32 = float(R[B].i)")                                                \
  OP(I64_TO_I32, ABC, "R[A].i = int32(R[B].i)  (wraps)")                                         \
  OP(F64_TO_I64, ABC, "R[A].i = int64(R[B].f)  (toward zero; NaN 0, saturating)")                \
  OP(F64_TO_I32, ABC, "R[A].i = int32(R[B].f)  (toward zero; NaN 0, saturating)")                \
  OP(F32_TO_I64, ABC, "R[A].i = int64(R[B].f32)")                                                \
  OP(F32_TO_I32, ABC, "R[A].i = int32(R[B].f32)")                                                \
  OP(F64_TO_F32, ABC, "R[A].f32 = float(R[B].f)")                                                \
  OP(F32_TO_F64, ABC, "R[A].f = double(R[B].f32)")                                               \
  OP(TO_BOOL, ABC, "R[A].i = R[B].i != 0")                                                       \
  OP(MATH_F64, ABC, "R[A] = math[C](R[B])  (exp log sqrt … in f64)")                             \
  OP(MATH_F32, ABC, "R[A] = math[C](R[B])  (in f32)")                                            \
  OP(MIN_I, ABC, "R[A] = min(R[B], R[C])  (integers)")                                           \
  OP(MAX_I, ABC, "R[A] = max(R[B], R[C])  (integers)")                                           \
  OP(MIN_F64, ABC, "R[A] = min(R[B], R[C])")                                                     \
  OP(MAX_F64, ABC, "R[A] = max(R[B], R[C])")                                                     \
  OP(MIN_F32, ABC, "R[A] = min(R[B], R[C])  (f32)")                                              \
  OP(MAX_F32, ABC, "R[A] = max(R[B], R[C])  (f32)")                                              \
  OP(ABS_I64, ABC, "R[A] = |R[B]|  (wrapping)")                                                  \
  OP(ABS_I32, ABC, "R[A] = |R[B]|  (wrapping in 32 bits: abs(-2147483648) is itself)")           \
  OP(CLIP_I64, ABC, "R[A] = clip(R[B], R[C], R[C+1])")                                           \
  OP(CLIP_F64, ABC, "R[A] = clip(R[B], R[C], R[C+1])")                                           \
  OP(CLIP_F32, ABC, "R[A] = clip(R[B], R[C], R[C+1])  (f32)")                                    \
  OP(SELECT, ABC, "R[A] = R[B] ? R[C] : R[C+1]  (scalar where)")                                 \
  OP(RANDOM, ABC, "R[A].f = random(key R[B], counter R[C])  (Philox, in [0, 1))")                \
  OP(RANDOM2, ABC,                                                                               \
     "R[A] = random(R[B], R[C]); R[A+1] = random(R[B], R[C+1])  (two draws overlap)")            \
  OP(RANDN, ABC, "R[A].f = randn(key R[B], counter R[C])")                                       \
  OP(RANDOM_STREAM, ABC, "R[A].f = the next draw of the seeded stream")                          \
  OP(RANDN_STREAM, ABC, "R[A].f = the next normal draw of the seeded stream")                    \
  OP(CLOCK, ABC, "R[A].f = clock(): seconds on a monotonic clock")                               \
  OP(SEED, ABC, "restart the seeded stream at key R[A]")                                         \
  OP(PSTREAM_BEGIN, ABC, "R[A], R[A+1] = the stream (key, counter); the stream advances by one") \
  OP(PSTREAM_ITER, ABC, "the stream = substream(R[A], R[A+1], iteration R[B])")                  \
  OP(PSTREAM_END, ABC, "the stream = (R[A], R[A+1] + 1): where the loop left it")                \
  OP(GETINDEX, ABC, "R[A].i = the kernel launch index of dimension B")                           \
  OP(SETINDEX, ABC, "the kernel launch index of dimension B = R[A]")                             \
  OP(CHECKGRID, ABx, "raise 'negative size R[A] in launch of K' (K: function Bx) if R[A] < 0")   \
  OP(LAUNCH, ABsC,                                                                               \
     "a kernel launch's start (launch site A): a tiered run may run it natively; then pc += sC") \
  OP(PRINT, ABC, "print R[A..A+n) as described by print layout C")                               \
  OP(CALL, ABx, "call function Bx with its frame at R[A]; results land in R[A..]")               \
  OP(RET, ABC, "return R[A..A+B) to the caller (release this frame's arrays)")                   \
  OP(ARRAY, ABC, "R[A] = array operation Bx (see ArrayOp) on the registers it names")

enum class Op : std::uint16_t {
#define KESTREL_OP_ENUM(name, form, effect) name,
  KESTREL_INTERP_OPCODES(KESTREL_OP_ENUM)
#undef KESTREL_OP_ENUM
      kCount
};

/// One instruction: an opcode and three 16-bit operands.
struct Instr {
  Op op;
  std::uint16_t a;
  std::uint16_t b;
  std::uint16_t c;
};
static_assert(sizeof(Instr) == 8);

inline std::int32_t arg_sbx(Instr i) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(i.b) |
                                   (static_cast<std::uint32_t>(i.c) << 16));
}
inline std::uint32_t arg_bx(Instr i) {
  return static_cast<std::uint32_t>(i.b) | (static_cast<std::uint32_t>(i.c) << 16);
}
inline std::int16_t arg_sc(Instr i) { return static_cast<std::int16_t>(i.c); }

/// Scalar math builtins, the C operand of MATH_F64 / MATH_F32: the runtime's own list, so the VM
/// hands the number to rt::math_fn as it is.
using Math1 = rt::MathFn;

/// A `parallel for` reduction the VM combines per chunk: the variable's register, the register
/// that keeps its value from before the loop, its type and operator.
struct ReductionSlot {
  std::uint16_t reg;
  std::uint16_t saved;
  ir::Scalar scalar;
  ir::ReduceOp op;
};

/// The array reductions of one `parallel for`: the arrays' registers and operators, and whether
/// chunks are rt::kReduceChunk iterations (a float array; integer results do not depend on the
/// grouping, so then the whole loop is one chunk).
struct ArrayReductionDesc {
  std::vector<std::uint16_t> regs;
  std::vector<ir::ReduceOp> ops;
  bool chunked = false;
};

/// One register PRINT shows: its type (a scalar, str, array or table) and the text around it
/// (" " between arguments; "(", ", " and ")" around a tuple's elements).
struct PrintItem {
  ir::Type type;
  std::string before;
  std::string after;
};

/// How PRINT shows its arguments: one item per register, tuples flattened.
struct PrintLayout {
  std::vector<PrintItem> items;
  std::string end = "\n";  // print's end= (a newline unless given)
};

/// A temporary register that owns an array or table reference while the instruction index is in
/// [begin, end). A runtime error releases these besides the frame's locals.
struct OwnedTemp {
  std::uint32_t begin;
  std::uint32_t end;
  std::uint16_t reg;
  bool table;
};

/// On-stack replacement (dsl/ir/osr.hpp): where the words of the continuations' parameters
/// are, kept as the IR's LoopEntryTree (linear in the function): a node is one parameter,
/// `count` consecutive registers from `reg`, and names the parameter before it (`parent`).
struct OsrNode {
  std::uint32_t parent;
  std::uint16_t reg;
  std::uint16_t count;
};

/// One loop: whether it is an entry point, and its last parameter (a node; ir::kNoId: none).
struct OsrLoop {
  bool entry = false;
  std::uint32_t last = ir::kNoId;
};

/// A loop's back-edge: the instruction (FORLOOP, or a while loop's backward JMP), the loop's
/// number (codegen::LoopRef's), and whether the loop is in no other loop of its function (then
/// a `for` loop's iterations left are all the looping left in the call: Vm::back_edge).
struct BackEdge {
  std::uint32_t at;
  std::uint32_t loop;
  bool outermost = false;
};

/// A kernel launch a tiered run may run natively (LAUNCH): the IR's Launch expression and the
/// registers of the words the hook takes (codegen::TierHook::run_launch), one per word: the
/// `dims` grid sizes', then the arguments' (each argument's flattened registers in order).
struct LaunchSite {
  ir::ExprId expr;
  std::uint32_t dims = 1;
  std::vector<std::uint16_t> words;
};

/// One compiled function.
struct Proto {
  std::string name;
  std::vector<Instr> code;
  std::vector<diag::Span> spans;            // one per instruction: where an error there points
  std::vector<Slot> k;                      // constants
  std::uint32_t nparams = 0;                // slots taken by the parameters
  std::uint32_t nregs = 0;                  // frame size in slots
  std::uint32_t nresults = 0;               // slots the result takes
  std::vector<std::uint16_t> array_locals;  // locals holding arrays, released at return
  std::vector<std::uint16_t> table_locals;  // locals holding tables, released at return
  std::vector<std::uint16_t> array_inits;   // non-parameter arrays and tables: null on entry
  std::vector<OwnedTemp> owned_temps;       // temporaries holding references, by code range
  ir::Type ret;
  std::vector<ir::Type> result_types;  // ret flattened, one per slot
  std::vector<ir::Type> param_types;
  std::vector<OsrNode> osr_nodes;    // the loops' parameters (OsrLoop::last)
  std::vector<OsrLoop> loops;        // by loop number; empty when no loop is an entry point
  std::vector<BackEdge> back_edges;  // sorted by instruction
};

}  // namespace kestrel::interp
