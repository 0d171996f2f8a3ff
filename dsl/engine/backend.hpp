#pragma once
// The one place the engine picks a backend for a Mode. What it gets back is a
// codegen::Backend (codegen/common/backend.hpp), which the interpreter's and the JIT's compiled
// programs both implement: run the top level, or call one function with boundary values.
#include <memory>
#include <vector>

#include "codegen/common/backend.hpp"
#include "codegen/common/gpu_plan.hpp"
#include "dsl/ir/ir.hpp"
#include "kestrel/kestrel.hpp"

namespace kestrel::jit {
class Host;  // codegen/llvm/jit.hpp
}

namespace kestrel::engine {

using codegen::Backend;

/// Compiles `program` for `mode` (the JIT's object cache as `options` say); Mode::Tiered and
/// EngineOptions::crosscheck make a tiered program (tiered.hpp), which compiles the other two.
/// Throws codegen::RunError for what the backend cannot lower. Two requests the interpreter
/// ignores:
///  - `jit_host`: the JIT puts the code into that LLJIT (created there on first use and kept for
///    the next compile: the REPL keeps one per session) and frees it with the Backend; without,
///    the program gets an LLJIT of its own.
///  - `roots`: the only functions that will be called (empty: any); the JIT compiles these and
///    what they call, nothing else.
/// `llvm_text`: Mode::Jit keeps the optimised module's text for Backend::emit_llvm (printing it
/// costs a few percent of the compile, which a run does not need).
std::unique_ptr<Backend> compile(const ir::Program& program, Mode mode,
                                 const EngineOptions& options = {},
                                 std::shared_ptr<jit::Host>* jit_host = nullptr,
                                 std::vector<ir::FnId> roots = {}, bool llvm_text = false);

/// How much the JIT optimises (jit::Pipeline): Full is the JIT's own choice (the full pipeline,
/// and the cheap one for functions too large for it); Baseline is the baseline tier
/// (codegen/llvm/baseline.hpp: a short pipeline and fast instruction selection), which the tiered
/// mode compiles a hot batch with first. KESTREL_JIT_PIPELINE overrides both.
enum class JitTier : unsigned char { Full, Baseline };

/// compile() for the CPU: the chosen mode, with the JIT's GPU regions handed to the runtime when
/// `gpu` (the CUDA backend's plan) is given, optimised as `tier` says. `text`: whether the JIT
/// keeps the optimised module's text for emit_llvm (jit::Options::keep_text; the tiered mode's
/// compiles, never asked for it, skip printing it).
std::unique_ptr<Backend> compile_cpu(const ir::Program& program, Mode mode,
                                     const EngineOptions& options,
                                     std::shared_ptr<jit::Host>* jit_host,
                                     std::vector<ir::FnId> roots, const codegen::GpuPlan* gpu,
                                     JitTier tier = JitTier::Full, bool text = false);

/// What compile_cpu would give in Mode::Jit for the CPU, taken from the JIT's object cache and
/// linked without LLVM; null on a miss (or with the cache off), having loaded nothing: the
/// tiered mode asks it for a loop's continuation at the loop's first poll, so a loop cached by
/// an earlier run moves at once instead of waiting until it is hot. Never throws.
std::unique_ptr<Backend> cached_cpu(const ir::Program& program, const EngineOptions& options,
                                    std::vector<ir::FnId> roots, JitTier tier = JitTier::Full);

}  // namespace kestrel::engine
