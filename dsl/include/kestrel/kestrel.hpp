#pragma once
// The public C++ API of Kestrel: the only header an embedding application includes.
#include <atomic>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kestrel {

/// The library's version, e.g. "0.1.0".
std::string_view version();

/// A failure the user can act on: its what() is the rendered diagnostics
/// (`file:line:col: error: message`, the source line and a caret).
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& rendered, std::size_t error_count = 1)
      : std::runtime_error(rendered), error_count_(error_count) {}
  std::size_t error_count() const { return error_count_; }

 private:
  std::size_t error_count_;
};

/// Diagnostics from checking a program, already rendered.
struct Diagnostics {
  std::string text;        // empty when clean
  std::size_t errors = 0;  // how many of them are errors
  bool ok() const { return errors == 0; }
};

/// Milliseconds spent in each phase of a run (`kestrel run --time`).
struct Timings {
  double parse_ms = 0;
  double check_ms = 0;
  double compile_ms = 0;
  double run_ms = 0;
};

struct EngineOptions {
  /// Where `import name` looks after the script's own folder. Empty: $KESTREL_STDLIB, else the
  /// stdlib/ folder of the source tree this library was built from.
  std::filesystem::path stdlib_dir;
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {});

  /// Parses and type-checks a file and everything it imports.
  Diagnostics check_file(const std::filesystem::path& path) const;
  /// Same, for source text held in memory; `name` is used in diagnostics and to find imports.
  Diagnostics check_source(const std::string& name, const std::string& text) const;

  /// Runs a script: its top-level statements in order, in the interpreter. print() writes to
  /// `out` (stdout when null). Throws Error with the rendered diagnostics on a compile error,
  /// and with the runtime error at its `file:line:col` when the program fails while running.
  Timings run_file(const std::filesystem::path& path, std::string* out = nullptr) const;
  Timings run_source(const std::string& name, const std::string& text,
                     std::string* out = nullptr) const;

  /// The canonical formatting of a file (`kestrel fmt`). Throws Error if it does not parse.
  std::string format_file(const std::filesystem::path& path) const;

  const std::filesystem::path& stdlib_dir() const { return options_.stdlib_dir; }

 private:
  EngineOptions options_;
};

/// An interactive session (the REPL): entries run one at a time, and what they define persists.
/// Functions, kernels and imports are kept as source; top-level `let`/`var` variables keep their
/// values (scalars, strings and arrays; tuples and tables do not persist). An entry that fails
/// (syntax, type or runtime error) leaves the session as it was. See dsl/engine/session.cpp.
class Session {
 public:
  explicit Session(const Engine& engine);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Runs one entry (one or more statements and definitions). When the entry ends with an
  /// expression whose type is not void, its value is printed as print() would. print() writes to
  /// `out` (stdout when null). When `interrupt` becomes true the run stops with an "interrupted"
  /// error. Throws Error (rendered diagnostics, positions relative to the entry) on failure.
  Timings run(const std::string& entry, std::string* out = nullptr,
              const std::atomic<bool>* interrupt = nullptr);
  /// The static type of an expression in the session's current state, as a user writes it
  /// (`f64[:]`, `(i64, f64)`, `void`). Throws Error when it does not check.
  std::string type_of(const std::string& expr);
  /// True when `text` is an unfinished entry: a bracket ( [ { is still open, or its last line
  /// ends in an operator or ','. (A REPL then reads a continuation line.)
  static bool needs_more(const std::string& text);
  /// The persisted variables, `name: type` each, in definition order.
  std::vector<std::string> variables() const;
  /// The names of the persisted functions, kernels and imports.
  std::vector<std::string> definitions() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kestrel
