#pragma once
// The JIT as a separately loaded module. codegen/llvm and LLVM build into libkestrel_jit.so (a
// CMake MODULE, target kestrel_jit), which the engine loads with dlopen on the first compile
// (dsl/engine/jit_loader.hpp), so a process that never compiles (`kestrel check`, `fmt`,
// `run --interp`, `--version`) never maps libLLVM nor runs its static initialisers.
//
// The module's one exported symbol, kestrel_jit_module(), hands the engine the table below: the
// JIT's entry points (jit.hpp), nothing else. Everything else crosses as C++ objects
// (codegen::Backend, ir::Program, jit::Options), so the module and the engine must come from
// the same build: the table carries the ABI version and the sizes of the types that cross, and
// the loader refuses a module whose values differ. The module does not contain the libraries the
// JIT calls (runtime, IR, diagnostics, codegen common: KESTREL_JIT_HOST_LIBS): its references bind
// to the loading process's copies, which every program linking kestrel_engine holds whole and
// exports (dsl/engine/CMakeLists.txt), so a process has one runtime state.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "codegen/llvm/jit.hpp"

namespace kestrel::jit {

/// Changes whenever ModuleApi does.
inline constexpr std::uint32_t kModuleAbiVersion = 1;

/// What libkestrel_jit.so provides.
struct ModuleApi {
  std::uint32_t abi_version;  // kModuleAbiVersion as the module was built
  std::size_t options_size;   // sizeof(Options), sizeof(ir::Program): a cheap same-build check
  std::size_t program_size;
  /// jit::make_host.
  std::shared_ptr<Host> (*make_host)(unsigned opt_level);
  /// jit::compile, as the Backend the engine runs.
  std::unique_ptr<codegen::Backend> (*compile)(const ir::Program& program, const Options& options,
                                               std::shared_ptr<Host> host);
};

/// The filename of the module (libkestrel_jit.so).
inline constexpr const char* kModuleFile = "libkestrel_jit.so";
/// The name of the entry the loader looks up.
inline constexpr const char* kModuleEntry = "kestrel_jit_module";

}  // namespace kestrel::jit

/// The module's entry: the table of its entry points (never null; lives as long as the process).
extern "C" const kestrel::jit::ModuleApi* kestrel_jit_module();
