#pragma once
// What compile() produces: every function's Proto plus the program-wide tables the VM reads
// (print layouts, array-operation descriptors, string constants).
#include <deque>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "codegen/interp/array_ops.hpp"
#include "codegen/interp/bytecode.hpp"
#include "codegen/interp/interp.hpp"
#include "runtime/rules/philox.hpp"

namespace kestrel::interp {

struct CompiledProgram::Impl {
  std::vector<Proto> protos;  // indexed by ir::FnId
  std::uint32_t main = 0;
  std::vector<PrintLayout> prints;
  std::vector<ArrayInstr> array_ops;
  std::vector<std::vector<ReductionSlot>> reductions;
  std::vector<ArrayReductionDesc> array_reductions;
  std::vector<LaunchSite> launches;  // LAUNCH's operand A
  std::deque<std::string> strings;   // str constants; K slots point at them
  /// str values read out of arrays (`labels[i]`). A str register does not own its string, and
  /// the array it came from may be a temporary or be overwritten, so the element is copied here
  /// (once per distinct value: nodes never move) and lives as long as the program.
  std::unordered_set<std::string> str_pool;
  /// The seeded stream: random() / randn() draw number `stream_pos` of key `stream_key`.
  std::int64_t stream_key = 0;
  std::int64_t stream_pos = 0;
  /// Per function: does it (or anything it calls) draw from the seeded stream?
  std::vector<char> uses_stream;
  /// The register stack of the last run, kept so that a call from C++ does not allocate and
  /// clear a new one (32 KiB) each time. Frames never rely on its old contents: the entry frame
  /// is cleared and a callee nulls its array registers.
  std::vector<Slot> spare_stack;
  /// A tiered run (RunOptions::tier) asks the hook at a loop's back-edge once per this many
  /// back-edges (set_loop_poll_period).
  std::uint32_t loop_poll_period = 1024;
  /// Guards spare_stack, the stream position and str_pool: calls from several host threads may
  /// run at once (each with its own Vm); each starts from the stream's position when it starts.
  mutable std::mutex state_mutex;

  /// Whether running `block` may draw from the seeded stream.
  bool block_uses_stream(const ir::Program& program, const ir::Block& block) const;
};

/// Lowers one function (compile_stmt.cpp; the compiler is compiler.hpp over emitter.hpp).
void compile_function(const ir::Program& program, ir::FnId id, CompiledProgram::Impl& out);

/// Runs one ARRAY instruction (in array_exec.cpp).
void exec_array(const ArrayInstr& ai, Slot* R, std::uint16_t dst, CompiledProgram::Impl& program);

/// On-stack replacement (osr_frame.cpp): the back-edge that instruction `at` of `proto` is,
/// when its loop is an entry point (else null), and the words of that loop's
/// continuation parameters (dsl/ir/osr.hpp's order) read from the frame at R.
const BackEdge* osr_back_edge(const Proto& proto, std::uint32_t at);
void osr_live_words(const Proto& proto, std::uint32_t loop, const Slot* R,
                    std::vector<std::int64_t>& words);

/// A tiered run's switch at a kernel launch (LAUNCH, osr_frame.cpp): asks the hook
/// (options.tier) whether launch site `site` runs natively and, when it does, runs it there
/// from the frame at R (the launching function at call depth `depth`), the seeded stream handed
/// over and taken back (also when it fails), and returns true. Throws what the interpreted launch
/// would before its first instance (the call-depth limit) and the native code's RunError.
bool launch_natively(const CompiledProgram::Impl& program, std::uint32_t site, const Slot* R,
                     const RunOptions& options, std::uint32_t depth, rt::Stream& stream);

/// Runs function `fn` with its arguments in args[0..nparams) and returns its results in
/// results[0..nresults) (owned references for arrays); it runs at depth options.depth (a
/// continuation run for another tier's frame: codegen::TierState::depth). In vm.cpp.
void execute(CompiledProgram::Impl& program, std::uint32_t fn, const Slot* args, Slot* results,
             const RunOptions& options);

}  // namespace kestrel::interp
