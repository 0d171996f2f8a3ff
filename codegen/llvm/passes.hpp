#pragma once
// What the JIT does to the lowered module before code generation (jit.cpp's compile() runs them
// in this order, then hands the optimised module to LLJIT): keep_reachable trims what
// Options::roots cannot reach, fold_large_loop_tails marks large loops for the vectoriser,
// set_cheap marks the functions that get the cheap pipeline, and optimise runs the new pass
// manager's default pipeline (less of it for the functions marked cheap). Also the
// KESTREL_JIT_TIMES switches and the text forms of a module and a function.
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace llvm {
class Function;
class Module;
class OptPassGate;
class TargetMachine;
}  // namespace llvm

namespace kestrel::jit::passes {

/// KESTREL_JIT_TIMES=1 prints the time of each phase of compile() on stderr; =passes also each
/// LLVM pass's (optimisation and code generation), as `-time-passes` does.
bool times_enabled();
bool pass_times_enabled();
double ms_since(std::chrono::steady_clock::time_point t);

/// Sets `m`'s data layout and triple to `tm`'s, and its functions' target CPU and features.
void set_target(llvm::Module& m, const llvm::TargetMachine& tm);

/// Runs the new pass manager's default pipeline for `opt` (0..3; O2 by default) on `m` for `tm`.
/// In the functions marked by set_cheap it skips the passes of the pipeline that cost the most
/// compile time for what they gain in code that is not hot (passes.cpp lists them: loop
/// unrolling, vectorisation, induction-variable rewriting, GVN, jump threading, ...): an
/// O1-class pipeline for those functions within the one module pipeline, so that inlining
/// between cheap and full functions stays as it is; and only the first two of the pipeline's
/// InstCombine runs (each costs a function of N sequential statements time quadratic in N:
/// passes.cpp says why). Skipping optional passes never changes a result: no pass here may
/// reassociate floating point (no fast-math flags, no contraction).
///
/// In a function marked by mark_philox_loop it skips the InstCombine runs that find nothing to do
/// there: it runs the first and the third of the five before vectorisation and, once
/// LoopVectorize has vectorised the loop, the first of the three after it. They were measured
/// when a draw's ten rounds were written out before optimisation (each run then walked the known
/// bits of every round: 244 -> 211 million instructions for pi's compile, with the same objects);
/// the rounds now come after it (expand_random_calls), and the optimised function is still the
/// same with and without the runs. `all_instcombines` runs them all (the tests compare). Returns
/// how many runs it skipped so.
unsigned optimise(llvm::Module& m, llvm::TargetMachine& tm, unsigned opt,
                  bool all_instcombines = false);

/// Cuts the selection DAG's known-bits queries short in chains of 32x32->64-bit multiplies (a
/// Philox draw: ten dependent rounds of `mul (and x, 0xFFFFFFFF), K`): each operand of such a
/// multiply, `and V, 2^k - 1` with V computed in the function, becomes `and (freeze V), ...`.
/// The code generator asks the known bits of every node of a chain to a depth of six, through
/// the operands of each, so without the cut each round re-walks the rounds below it: X86
/// instruction selection took 22-24 ms of the Monte Carlo pi loop's 30 ms of code generation,
/// and 12-13 ms with the cut, for the same machine code (llc -O2 on its optimised IR: the
/// assembly is byte-identical). Elsewhere the code may differ a little: 7 of the 244 objects of
/// examples/ and tests/lang/ (scalar and kernel Philox draws: other registers, at most 0.7% more
/// instructions), and a scalar loop of 3*10^7 draws runs as fast (median 288 ms against 292).
/// The mask alone gives the bits the multiply needs (its upper
/// half is zero: x86's 32x32->64 multiply). Run after optimise: InstCombine revisits every
/// freeze (whether it may go, a walk of the instructions after it), which cost more than the
/// cut saved. A freeze of a value that is not poison is that value, so no result changes.
/// A vector multiply's mask in the multiply's own block is also written constant first (`and M,
/// V`): CodeGenPrepare asks the target whether to sink each operand of an instruction next to it,
/// and for a vector multiply by a masked operand x86 says yes, after which CodeGenPrepare numbers
/// every instruction of the block, a cost quadratic in the block (8 of the tiered pi compile's
/// 197 million instructions). Written so, the target does not recognise the mask, nothing moves
/// (it is already beside the multiply), and the selection DAG puts the constant back on the
/// right: all 244 objects of examples/ and tests/lang/ are byte-identical to those without it.
/// And a vector product whose high half is taken (`lshr P, 32`, a Philox round's hi word) and
/// which has another use (the round's lo word) has its shifts read `freeze P`: the selection
/// DAG's known bits of each xor of the chain then stop there instead of walking into the product
/// (4 of the tiered pi compile's 188 million instructions). P keeps its other use, so the DAG
/// does not push the freeze back through the multiply; the same objects again.
void cut_multiply_chains(llvm::Module& m);

/// Gives each call of `kestrel.random` (philox_ir.hpp: the draws of a parallel loop) the vector
/// variants the loop vectoriser may call instead, as wide as `tm`'s vector registers hold i64s:
/// `kestrel.random.uN` for a key the loop does not change, `kestrel.random.vN` for one it does.
/// They are declared only (kept until the vectoriser by llvm.compiler.used); after optimise,
/// expand_random_calls replaces their calls. The loop holding a call asks the vectoriser for that
/// width (llvm.loop.vectorize.width): its costs see a call, not the draw's hundred operations.
void add_random_variants(llvm::Module& m, llvm::TargetMachine& tm);
/// Replaces every call of kestrel.random and of its variants by the draws themselves: the vector
/// calls of a block that do not depend on one another's draws (and have no memory access between
/// them) share one loop over Philox's rounds (philox_ir::random_rounds), which splits the block;
/// scalar calls so grouped are written out in the lanes of a vector (philox_ir::random_lanes).
/// Then deletes the declarations, and throws std::logic_error if a call is left. Run after
/// optimise: the optimiser sees one call a draw instead of ten rounds, and instruction selection
/// sees one round of each draw in the loop instead of ten in the vector body (the tier's compile
/// of Monte Carlo pi's loop: 185 -> 88 million instructions, 65 -> 15 of them optimising; the
/// loop runs 5-7% faster). What expand_random_calls writes is not optimised further: it is
/// written as the code generator wants it.
void expand_random_calls(llvm::Module& m);

/// Gives each call of `kestrel.sdiv` (int_div_ir.hpp: a // D and a % D with a constant D) the
/// vector variants the loop vectoriser may call instead, `kestrel.sdiv.vN` for N from 2 to as
/// many i64s as `tm`'s vector registers hold (D uniform); declared only, and kept until the
/// vectoriser by llvm.compiler.used. Unlike a draw's, the call asks for no width: the
/// vectoriser's costs decide, now that the division costs it a call instead of a scalar
/// division a lane.
void add_division_variants(llvm::Module& m, llvm::TargetMachine& tm);
/// Replaces every call of kestrel.sdiv and of its variants: a scalar call by LLVM's `sdiv`, a
/// vector call by int_div_ir::sdiv_vector. Then deletes the declarations, and throws
/// std::logic_error if a call is left. Run after optimise, with expand_random_calls.
void expand_division_calls(llvm::Module& m);

/// Marks `f` for the cheap pipeline (a function attribute, so that it survives until optimise).
void set_cheap(llvm::Function& f);
bool is_cheap(const llvm::Function& f);

/// Marks `f` as holding a loop of Philox draws (lower_stmt.cpp: a parallel loop's body that
/// draws random numbers and has no inner loop), for optimise.
void mark_philox_loop(llvm::Function& f);

/// While alive, code generation (the legacy pass manager's passes, which ask the context's
/// OptPassGate) skips in the functions of `m` marked cheap the machine passes that cost such a
/// function time quadratic in its size for little gain in code that is not hot (machine code
/// sinking: 0.31 s of 0.57 s for 300 array literals in one function; machine CSE and block
/// placement: 11x and 9x the time from 300 to 1,000 array statements).
class CheapCodegen {
 public:
  explicit CheapCodegen(llvm::Module& m);
  ~CheapCodegen();
  CheapCodegen(const CheapCodegen&) = delete;
  CheapCodegen& operator=(const CheapCodegen&) = delete;

 private:
  struct Gate;
  llvm::Module& m_;
  llvm::OptPassGate* saved_;
  std::unique_ptr<Gate> gate_;
};

/// The number of natural loops of `f`, at every depth.
unsigned loop_count(const llvm::Function& f);

/// A function with more loops than this gets the cheap pipeline whatever it was asked for:
/// ScalarEvolution's loop guards (LoopGuards::collect, LLVM 19) walk from each loop back
/// through every loop before it in the function, so LLVM's loop passes (unrolling,
/// IndVarSimplify, LoopIdiom, LoopDeletion) cost a function of L loops O(L^2): 100 loops in one
/// function took 6 s to optimise. A Kestrel `for` is two LLVM loops (a strip of 65,536
/// iterations between interrupt polls, inside a loop over strips), so this is about 8 `for`s;
/// the stdlib's functions have at most 4 innermost loops (groupby.factorize).
constexpr unsigned kMaxFullLoops = 16;
/// Likewise a function of more basic blocks than this (as lowered): machine code sinking costs
/// time quadratic in them (1,000 array-literal statements, about 4,000 blocks, took 27 s to
/// compile at full). The largest function of the stdlib (groupby) has 132.
constexpr unsigned kMaxFullBlocks = 512;

/// Deletes the body of every function that no function reachable from `roots` refers to, so
/// that neither the optimiser nor the code generator spends time on it. References are followed
/// through calls, function pointers (a parallel loop's body handed to the runtime) and the
/// initializers of globals.
void keep_reachable(llvm::Module& m, const std::vector<llvm::Function*>& roots);

/// Asks the loop vectoriser to fold the remainder of each large innermost loop into the vector
/// loop (passes.cpp says why and which); a call of kestrel.random counts as the draw's rounds,
/// which a scalar remainder would repeat.
void fold_large_loop_tails(llvm::Module& m);

std::string print(const llvm::Module& m);
std::string print(const llvm::Function& f);
/// print(m), and in `functions` each defined function's text cut from the module's: as print(f)
/// gives it, except that metadata keeps the module's numbering (`!prof !4`, not `!0`). Printing
/// each function again cost as much as printing the module (62 of the 1,840 million
/// instructions of compiling examples/groupby_csv.kst, callgrind).
std::string print(const llvm::Module& m,
                  std::unordered_map<const llvm::Function*, std::string>& functions);

}  // namespace kestrel::jit::passes
