#pragma once
// Loading the JIT (libkestrel_jit.so, codegen/llvm/jit_module.hpp) on first use. The engine
// reaches the JIT only through jit_module(), so a process that never compiles never maps LLVM.
#include <filesystem>
#include <string>
#include <vector>

#include "codegen/llvm/jit_module.hpp"

namespace kestrel::engine {

/// The JIT module's entry points, loading it on the first call. Thread-safe: any number of
/// threads may call it at once (a tiered run's compile thread while the interpreter runs); the
/// module is loaded once, and after that the call is an atomic load. Throws kestrel::Error with
/// one line naming the path tried and why it failed when the module is missing, cannot be
/// loaded or comes from another build; a later call tries again.
const jit::ModuleApi& jit_module();

/// The module's file as the object cache tells builds apart (jit::Options::jit_module): the one
/// jit_module() loads or would load. Computed once, without loading it.
std::string jit_module_identity();

/// Whether jit_module() has loaded the module in this process.
bool jit_module_loaded();

/// The folder of the file that holds the engine: the `kestrel` executable, libkestrel.so or
/// another library linking it (an installed one: P/bin or P/lib); empty when unknown.
std::filesystem::path engine_file_dir();

/// Where jit_module() looks, in order: $KESTREL_JIT_MODULE alone when it is set; else beside the
/// file that holds the engine (the `kestrel` executable or libkestrel.so), then ../lib from there
/// (an installed bin/kestrel), then the build folder the engine was built in.
std::vector<std::filesystem::path> jit_module_candidates();

}  // namespace kestrel::engine
