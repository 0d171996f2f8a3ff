#pragma once
// Inside the engine: a program parsed, checked and held with its sources (so runtime errors can
// be rendered at their file:line:col), and the Module implementation built on it.
#include <filesystem>
#include <memory>
#include <string>

#include "codegen/common/backend.hpp"
#include "dsl/diag/source.hpp"
#include "dsl/engine/backend.hpp"
#include "dsl/ir/ir.hpp"
#include "kestrel/kestrel.hpp"

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

/// What a Module shares between its copies and the Functions bound from it.
struct ModuleImpl {
  Loaded loaded;
  std::unique_ptr<Backend> code;
  Timings timings;
};

}  // namespace kestrel::engine
