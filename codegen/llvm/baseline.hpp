#pragma once
// The JIT's baseline tier (jit::Pipeline::Baseline, issue 16): code that is not hot compiled as
// fast as LLVM can while still giving readable native code. A function marked baseline gets a
// short function pipeline (SROA, EarlyCSE, one InstCombine, SimplifyCFG: the lowering's
// allocas become registers and its redundant loads go) and fast instruction selection. When
// every function of a module is baseline, the module is optimised by that short pipeline alone
// and compiled by a TargetMachine at CodeGenOptLevel::None (FastISel, the fast register
// allocator, none of the machine optimisations); in a module that mixes baseline and full
// functions, the baseline ones skip the default pipeline's other passes (passes.cpp) and are
// compiled `optnone` (FastISel and no machine optimisations, in the same object). The tier never
// changes a result bit: no pass here reassociates floating point, and the code generator never
// contracts (jit.cpp's host_builder).
namespace llvm {
class Function;
class Module;
class StringRef;
class TargetMachine;
}  // namespace llvm

namespace kestrel::jit::baseline {

/// Marks `f` for the baseline tier (a function attribute, so that it survives until optimise).
void set(llvm::Function& f);
bool is(const llvm::Function& f);

/// Whether every function defined in `m` is marked baseline (then optimise_module and a
/// CodeGenOptLevel::None TargetMachine compile it).
bool whole_module(const llvm::Module& m);

/// Whether a pass of the default pipeline runs in a baseline function of a mixed module (the
/// passes of the short pipeline, and of InstCombine's runs the first only: `instcombines` is
/// how many ran so far in that function, this one included).
bool runs_pass(llvm::StringRef pass, int instcombines);

/// Runs the short pipeline on every function of `m` (for a module whose functions are all
/// baseline).
void optimise_module(llvm::Module& m, llvm::TargetMachine& tm);

/// After optimisation: marks each baseline function of a mixed module `optnone` (and
/// `noinline`, which optnone requires), so that the code generator selects its instructions
/// with FastISel and skips the machine optimisations in it.
void mark_for_fast_codegen(llvm::Module& m);

}  // namespace kestrel::jit::baseline
