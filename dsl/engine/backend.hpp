#pragma once
// The engine's view of a compiled program, whatever backend compiled it: run the top level, or
// call one function with boundary values. One place chooses the backend for a Mode.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "codegen/common/backend.hpp"
#include "dsl/ir/ir.hpp"
#include "kestrel/kestrel.hpp"

namespace kestrel::jit {
class Host;  // codegen/llvm/jit.hpp
}

namespace kestrel::engine {

class Backend {
 public:
  virtual ~Backend() = default;
  /// Runs the script's top-level statements. Throws codegen::RunError.
  virtual void run_main(const codegen::RunOptions& options) = 0;
  /// Calls one function (arguments of its parameter types). Throws codegen::RunError.
  virtual codegen::Value call(ir::FnId fn, std::span<const codegen::Value> args,
                              const codegen::RunOptions& options) = 0;
  /// The optimised LLVM module, or one function of it (JIT only; the interpreter throws Error).
  virtual std::string emit_llvm();
  virtual std::string emit_llvm_function(ir::FnId fn);
  /// Direct calls of native code (JIT only): the entry of `fn` (null: no direct calls, use
  /// call()); begin_native gives the context pointer to pass first (the call's own: calls on
  /// several threads may run at once); end_native(ctx) ends that call and throws
  /// codegen::RunError if it failed. See codegen/llvm/jit.hpp's calling convention.
  virtual void* native_address(ir::FnId) { return nullptr; }
  virtual void* begin_native(const codegen::RunOptions&) { return nullptr; }
  virtual void end_native(void*) {}
  /// The seeded stream's position after the last run, and before the next.
  virtual codegen::StreamState stream_state() const = 0;
  virtual void set_stream_state(codegen::StreamState state) = 0;
  /// Whether the object cache was on, and whether the code came from it (JIT only).
  virtual bool cached() const { return false; }
  virtual bool cache_hit() const { return false; }
};

/// Compiles `program` for `mode` (the JIT's object cache as `options` say). Throws
/// codegen::RunError for what the backend cannot lower. Two requests the interpreter ignores:
///  - `jit_host`: the JIT puts the code into that LLJIT (created there on first use and kept for
///    the next compile: the REPL keeps one per session) and frees it with the Backend; without,
///    the program gets an LLJIT of its own.
///  - `roots`: the only functions that will be called (empty: any); the JIT compiles these and
///    what they call, nothing else.
std::unique_ptr<Backend> compile(const ir::Program& program, Mode mode,
                                 const EngineOptions& options = {},
                                 std::shared_ptr<jit::Host>* jit_host = nullptr,
                                 std::vector<ir::FnId> roots = {});

}  // namespace kestrel::engine
