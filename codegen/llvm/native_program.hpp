#pragma once
// The half of the JIT that runs compiled code, and needs no LLVM: CompiledProgram's runs and
// calls, and linking a program from the object cache with the object loader. It builds into the
// engine (kestrel_jit_host), so a run whose code is all cached never loads the JIT module
// (libkestrel_jit.so, which holds compile()).
#include <memory>

#include "codegen/llvm/object_cache.hpp"
#include "codegen/llvm/program.hpp"

namespace kestrel::jit {

/// `program` compiled with `options`, loaded from the object cache and linked by the object
/// loader: no LLVM. Null when caching is off, on a miss, on a machine without the loader, or when
/// the loader refuses the entry (compile() then links it with ORC). Never throws. Sets
/// options.cache_key to the key it looked up (when it computed one), so that the compile that
/// follows a miss stores under it without hashing the program again.
std::unique_ptr<CompiledProgram> load_from_cache(const ir::Program& program, Options& options);

/// The program of cache entry `e` (whose top level is `main`) linked by the object loader, or
/// null (the reason on stderr under KESTREL_JIT_TIMES) when it refuses the object or a symbol is
/// missing. `e` is left as it was.
std::unique_ptr<CompiledProgram::Impl> link_entry(const cache::Entry& e, std::uint32_t main,
                                                  const std::vector<ir::FnId>& roots);

/// A program with cache entry `e`'s tables and texts and no code yet; null when they do not fit
/// together or `main` is out of range.
std::unique_ptr<CompiledProgram::Impl> impl_of_entry(const cache::Entry& e, std::uint32_t main);

}  // namespace kestrel::jit
