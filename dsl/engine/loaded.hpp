#pragma once
// Inside the engine: a program parsed, checked and held with its sources (so runtime errors can
// be rendered at their file:line:col), and the Module implementation built on it.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "codegen/common/backend.hpp"
#include "dsl/diag/source.hpp"
#include "dsl/engine/backend.hpp"
#include "dsl/ir/ir.hpp"
#include "kestrel/kestrel.hpp"
#include "runtime/limits.hpp"

namespace kestrel::engine {

struct Loaded {
  std::unique_ptr<diag::SourceManager> sources;
  ir::Program program;
};

/// Parses and checks `text` (imports found beside `name`, then in `stdlib_dir`). Throws Error with
/// the rendered diagnostics. Fills parse_ms and check_ms of `timings` when given.
Loaded load(const std::string& name, const std::string& text,
            const std::filesystem::path& stdlib_dir, Timings* timings);

/// Throws Error: the runtime error rendered at its location.
[[noreturn]] void throw_run_error(const diag::SourceManager& sources,
                                  const codegen::RunError& error);

/// The API boundary, in a catch block: rethrows the exception being handled as kestrel::Error.
/// An Error as it is; a RunError rendered at its location (in `sources`, when given); a runtime
/// error without one as its message; std::bad_alloc as "out of memory"; anything else (an
/// rt::InternalError from KESTREL_ASSERT, a standard exception from a broken invariant) as
/// "internal error: ..." with what it says. So no other exception leaves the engine.
[[noreturn]] void rethrow_as_error(const diag::SourceManager* sources);

/// Runs f() at the API boundary (rethrow_as_error on any exception).
template <class F>
decltype(auto) at_boundary(const diag::SourceManager* sources, F&& f) {
  try {
    return f();
  } catch (...) {
    rethrow_as_error(sources);
  }
}

/// The limits of one run under `options` (EngineOptions' allow_io, memory and time limits, the
/// deadline counted from now), stopped also by `interrupt` and by a change of `*epoch`.
rt::Limits run_limits(const EngineOptions& options, const std::atomic<bool>* interrupt,
                      const std::atomic<std::uint64_t>* epoch = nullptr);

/// Closes, when the scope ends, the block-loop streams (csv_blocks, npy_blocks) a run left open:
/// a runtime error inside the loop leaves its stream and reader thread behind otherwise. A
/// stream never outlives the call that opened it, so every run (a script, a Module call, a REPL
/// entry) ends with this.
struct CloseRunStreams {
  explicit CloseRunStreams(std::uint64_t r) : run(r) {}
  std::uint64_t run;
  CloseRunStreams(const CloseRunStreams&) = delete;
  CloseRunStreams& operator=(const CloseRunStreams&) = delete;
  ~CloseRunStreams();
};

/// What a Module shares between its copies and the Functions bound from it.
struct ModuleImpl {
  Loaded loaded;
  std::unique_ptr<Backend> code;
  Timings timings;
  EngineOptions options;
  /// Module::interrupt() increments it: the calls running then see it change and stop.
  std::atomic<std::uint64_t> epoch{0};
};

}  // namespace kestrel::engine
