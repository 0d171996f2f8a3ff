#pragma once
// The interpreter's public API: typed IR in, register bytecode out, and a VM that runs it.
// compile() lowers every function of an ir::Program once; run_main() runs the script's top level;
// call() runs one function from C++. Runtime errors (index out of bounds, integer division by
// zero, stack overflow, errors raised by the runtime library) are thrown as codegen::RunError,
// carrying the span of the IR node whose operation failed; the engine renders it.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "codegen/common/backend.hpp"
#include "dsl/diag/source.hpp"
#include "dsl/ir/ir.hpp"

namespace kestrel::interp {

using codegen::ArrayRef;
using codegen::RunError;
using codegen::RunOptions;
using codegen::StreamState;
using codegen::Value;

/// A program lowered to bytecode. Holds the constants, the functions' code and the state that
/// persists between calls (the seeded random stream). Runs and calls may happen on several
/// threads at once (each has its own VM; what they share is guarded); set_stream_state is not to
/// race with a run. The engine runs it through codegen::Backend; the members do what the free
/// functions below do.
class CompiledProgram final : public codegen::Backend {
 public:
  struct Impl;
  explicit CompiledProgram(std::unique_ptr<Impl> impl);
  ~CompiledProgram() override;

  void run_main(const RunOptions& options) override;
  Value call(ir::FnId fn, std::span<const Value> args, const RunOptions& options) override;
  void call_words(ir::FnId fn, std::span<const std::int64_t> args, std::int64_t* out,
                  const RunOptions& options) override;
  StreamState stream_state() const override;
  void set_stream_state(StreamState state) override;
  std::string emit_bytecode(ir::FnId fn) override;

  Impl& impl() { return *impl_; }
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

/// Lowers every function of `program` to bytecode. The program must outlive the result only
/// for error messages' spans (they are copied); the result does not point into it.
std::unique_ptr<CompiledProgram> compile(const ir::Program& program);

/// Runs the script's top-level statements (the function flagged is_main that Program::main names).
void run_main(CompiledProgram& program, const RunOptions& options = {});

/// Calls function `fn` with `args` (one per parameter, of the parameter's type) and returns its
/// result (type void for a void function). Throws RunError on a runtime error,
/// std::invalid_argument when the arguments do not match the parameters.
Value call(CompiledProgram& program, ir::FnId fn, std::span<const Value> args,
           const RunOptions& options = {});

/// Calls `fn` with its parameters' words (borrowed) and writes its result words to `out`
/// (codegen::Backend::call_words).
void call_words(CompiledProgram& program, ir::FnId fn, std::span<const std::int64_t> args,
                std::int64_t* out, const RunOptions& options = {});

/// Where the seeded stream stands after the last run, and setting it before the next.
StreamState stream_state(const CompiledProgram& program);
void set_stream_state(CompiledProgram& program, StreamState state);

/// How often a tiered run (RunOptions::tier) asks its hook whether a loop continues natively:
/// once per `period` back-edges (default 1024; 1: at every back-edge, as tests force the switch).
void set_loop_poll_period(CompiledProgram& program, std::uint32_t period);

/// The bytecode of one function in a readable form, one instruction per line.
std::string disassemble(const CompiledProgram& program, ir::FnId fn);

}  // namespace kestrel::interp
