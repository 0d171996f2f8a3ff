#pragma once
// The public C++ API of Kestrel: the only header an embedding application includes.
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

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

}  // namespace kestrel
