#pragma once
// What the JIT does to the lowered module before code generation (jit.cpp's compile() runs them
// in this order, then hands the optimised module to LLJIT): keep_reachable trims what
// Options::roots cannot reach, fold_large_loop_tails marks large loops for the vectoriser, and
// optimise runs the new pass manager's default pipeline. Also the KESTREL_JIT_TIMES switches and
// the text forms of a module and a function.
#include <chrono>
#include <string>
#include <vector>

namespace llvm {
class Function;
class Module;
class TargetMachine;
}  // namespace llvm

namespace kestrel::jit::passes {

/// KESTREL_JIT_TIMES=1 prints the time of each phase of compile() on stderr; =passes also each
/// LLVM pass's (optimisation and code generation), as `-time-passes` does.
bool times_enabled();
bool pass_times_enabled();
double ms_since(std::chrono::steady_clock::time_point t);

/// Runs the new pass manager's default pipeline for `opt` (0..3; O2 by default) on `m` for `tm`.
void optimise(llvm::Module& m, llvm::TargetMachine& tm, unsigned opt);

/// Deletes the body of every function that no function reachable from `roots` refers to, so
/// that neither the optimiser nor the code generator spends time on it. References are followed
/// through calls, function pointers (a parallel loop's body handed to the runtime) and the
/// initializers of globals.
void keep_reachable(llvm::Module& m, const std::vector<llvm::Function*>& roots);

/// Asks the loop vectoriser to fold the remainder of each large innermost loop into the vector
/// loop (passes.cpp says why and which).
void fold_large_loop_tails(llvm::Module& m);

std::string print(const llvm::Module& m);
std::string print(const llvm::Function& f);

}  // namespace kestrel::jit::passes
