#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "codegen/interp/interp.hpp"
#include "dsl/diag/diagnostic.hpp"
#include "dsl/sema/check.hpp"
#include "kestrel/kestrel.hpp"
#include "parser/parse.hpp"

namespace kestrel {

namespace {

std::filesystem::path default_stdlib_dir() {
  if (const char* env = std::getenv("KESTREL_STDLIB"); env != nullptr && *env != '\0') {
    return env;
  }
  return KESTREL_STDLIB_DIR;
}

/// Reads a whole file; a missing or unreadable file is an Error naming it.
std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error("error: cannot read '" + path.string() + "': no such file or not readable\n");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Diagnostics to_diagnostics(const diag::SourceManager& sources, const diag::DiagnosticList& list) {
  return Diagnostics{diag::render(sources, list), list.error_count()};
}

/// Milliseconds since construction or the last lap.
class Stopwatch {
 public:
  double lap() {
    auto now = std::chrono::steady_clock::now();
    double ms = std::chrono::duration<double, std::milli>(now - start_).count();
    start_ = now;
    return ms;
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

[[noreturn]] void throw_diagnostics(const diag::SourceManager& sources,
                                    const diag::DiagnosticList& diags) {
  throw Error(diag::render(sources, diags), diags.error_count());
}

}  // namespace

std::string_view version() { return KESTREL_VERSION; }

Engine::Engine(EngineOptions options) : options_(std::move(options)) {
  if (options_.stdlib_dir.empty()) {
    options_.stdlib_dir = default_stdlib_dir();
  }
}

Diagnostics Engine::check_file(const std::filesystem::path& path) const {
  return check_source(path.string(), read_file(path));
}

Diagnostics Engine::check_source(const std::string& name, const std::string& text) const {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  sema::CheckOptions options;
  options.import_paths.push_back(options_.stdlib_dir);
  sema::check_source(sources, name, text, options, diags);
  return to_diagnostics(sources, diags);
}

Timings Engine::run_file(const std::filesystem::path& path, std::string* out) const {
  return run_source(path.string(), read_file(path), out);
}

Timings Engine::run_source(const std::string& name, const std::string& text,
                           std::string* out) const {
  Timings timings;
  Stopwatch clock;
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  const diag::SourceFile& file = sources.add(name, text);
  std::optional<parser::ast::Program> tree = parser::parse_program(file, diags);
  timings.parse_ms = clock.lap();
  if (!tree) {
    throw_diagnostics(sources, diags);
  }
  sema::CheckOptions options;
  options.import_paths.push_back(options_.stdlib_dir);
  std::optional<ir::Program> program =
      sema::check_program(sources, file.id(), *tree, options, diags);
  timings.check_ms = clock.lap();
  if (!program) {
    throw_diagnostics(sources, diags);
  }
  interp::RunOptions run_options;
  run_options.out = out;
  try {
    // compile() raises RunError too, for what the interpreter cannot lower (a limit it has).
    std::unique_ptr<interp::CompiledProgram> code = interp::compile(*program);
    timings.compile_ms = clock.lap();
    interp::run_main(*code, run_options);
  } catch (const interp::RunError& error) {
    diags.report(diag::Kind::RuntimeError, error.span(), error.message());
    throw_diagnostics(sources, diags);
  }
  timings.run_ms = clock.lap();
  return timings;
}

std::string Engine::format_file(const std::filesystem::path& path) const {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  const diag::SourceFile& file = sources.add(path.string(), read_file(path));
  std::optional<parser::ast::Program> program = parser::parse_program(file, diags);
  if (!program) {
    throw Error(diag::render(sources, diags), diags.error_count());
  }
  return parser::format_program(*program);
}

}  // namespace kestrel
