#pragma once
// Which pipeline each function of a lowered module gets (jit::Options::pipeline, Options::hot,
// KESTREL_JIT_PIPELINE): jit.cpp's compile() calls these between lowering and optimisation.
#include "codegen/llvm/jit.hpp"
#include "codegen/llvm/program.hpp"

namespace llvm {
class Module;
}  // namespace llvm

namespace kestrel::jit {

/// Marks the functions of `m` that get the cheap pipeline or the baseline tier (Options::pipeline,
/// Options::hot; passes.hpp's bounds): an LLVM function belongs to the Kestrel function whose
/// symbol it is or extends (its in-bounds copy, its parallel loops' and launches' bodies, its
/// pieces) or whose entry it is.
void choose_pipelines(llvm::Module& m, const LoweredTables& tables, const Options& options);

/// `options`, with Options::pipeline set by KESTREL_JIT_PIPELINE (full, cheap, auto or baseline)
/// when that is set.
Options with_pipeline_override(const Options& options);

}  // namespace kestrel::jit
