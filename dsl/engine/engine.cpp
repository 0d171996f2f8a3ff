#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "dsl/diag/diagnostic.hpp"
#include "dsl/engine/loaded.hpp"
#include "dsl/sema/check.hpp"
#include "kestrel/kestrel.hpp"
#include "parser/parse.hpp"
#include "runtime/parallel.hpp"

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

namespace engine {

Loaded load(const std::string& name, const std::string& text,
            const std::filesystem::path& stdlib_dir, Timings* timings) {
  Stopwatch clock;
  Loaded loaded;
  loaded.sources = std::make_unique<diag::SourceManager>();
  diag::DiagnosticList diags;
  const diag::SourceFile& file = loaded.sources->add(name, text);
  std::optional<parser::ast::Program> tree = parser::parse_program(file, diags);
  if (timings != nullptr) {
    timings->parse_ms = clock.lap();
  }
  if (!tree) {
    throw_diagnostics(*loaded.sources, diags);
  }
  sema::CheckOptions options;
  options.import_paths.push_back(stdlib_dir);
  std::optional<ir::Program> program =
      sema::check_program(*loaded.sources, file.id(), *tree, options, diags);
  if (timings != nullptr) {
    timings->check_ms = clock.lap();
  }
  if (!program) {
    throw_diagnostics(*loaded.sources, diags);
  }
  loaded.program = std::move(*program);
  return loaded;
}

void throw_run_error(const diag::SourceManager& sources, const codegen::RunError& error) {
  diag::DiagnosticList diags;
  diags.report(diag::Kind::RuntimeError, error.span(), error.message());
  throw_diagnostics(sources, diags);
}

}  // namespace engine

std::string_view version() { return KESTREL_VERSION; }

Engine::Engine(EngineOptions options) : options_(std::move(options)) {
  if (options_.stdlib_dir.empty()) {
    options_.stdlib_dir = default_stdlib_dir();
  }
  rt::set_threads(options_.threads);
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
  engine::Loaded loaded = engine::load(name, text, options_.stdlib_dir, &timings);
  Stopwatch clock;
  codegen::RunOptions run_options;
  run_options.out = out;
  try {
    // compile() raises RunError too, for what a backend cannot lower (a limit it has).
    std::unique_ptr<engine::Backend> code =
        engine::compile(loaded.program, options_.mode, options_);
    timings.compile_ms = clock.lap();
    timings.cached = code->cached();
    timings.cache_hit = code->cache_hit();
    code->run_main(run_options);
  } catch (const codegen::RunError& error) {
    engine::throw_run_error(*loaded.sources, error);
  }
  timings.run_ms = clock.lap();
  return timings;
}

Module Engine::load_file(const std::filesystem::path& path) const {
  return load_source(path.string(), read_file(path));
}

Module Engine::load_source(const std::string& name, const std::string& text) const {
  auto impl = std::make_shared<engine::ModuleImpl>();
  impl->loaded = engine::load(name, text, options_.stdlib_dir, &impl->timings);
  try {
    Stopwatch clock;
    impl->code = engine::compile(impl->loaded.program, options_.mode, options_);
    impl->timings.compile_ms = clock.lap();
    impl->timings.cached = impl->code->cached();
    impl->timings.cache_hit = impl->code->cache_hit();
  } catch (const codegen::RunError& error) {
    engine::throw_run_error(*impl->loaded.sources, error);
  }
  return Module(std::move(impl));
}

std::string Engine::emit_llvm(const std::filesystem::path& path, std::string_view function) const {
  engine::Loaded loaded =
      engine::load(path.string(), read_file(path), options_.stdlib_dir, nullptr);
  ir::FnId fn;
  if (!function.empty()) {
    fn = loaded.program.find_function(function);
    if (!fn.valid()) {
      throw Error("error: no function '" + std::string(function) + "' in " + path.string() + "\n");
    }
  }
  try {
    std::unique_ptr<engine::Backend> code = engine::compile(loaded.program, Mode::Jit, options_);
    return fn.valid() ? code->emit_llvm_function(fn) : code->emit_llvm();
  } catch (const codegen::RunError& error) {
    engine::throw_run_error(*loaded.sources, error);
  }
}

std::string Engine::format_file(const std::filesystem::path& path) const {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  const diag::SourceFile& file = sources.add(path.string(), read_file(path));
  std::optional<parser::ast::Program> program = parser::parse_program(file, diags);
  if (!program) {
    throw Error(diag::render(sources, diags), diags.error_count());
  }
  return parser::format_program(*program, file.text());
}

}  // namespace kestrel
