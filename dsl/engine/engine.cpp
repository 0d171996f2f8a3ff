#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <optional>
#include <system_error>
#include <vector>

#include "dsl/diag/diagnostic.hpp"
#include "dsl/engine/gpu.hpp"
#include "dsl/engine/jit_loader.hpp"
#include "dsl/engine/loaded.hpp"
#include "dsl/engine/tiered.hpp"
#include "dsl/sema/builtin_docs.hpp"
#include "dsl/sema/check.hpp"
#include "kestrel/kestrel.hpp"
#include "parser/parse.hpp"
#include "runtime/error.hpp"
#include "runtime/limits.hpp"
#include "runtime/npy_writer.hpp"
#include "runtime/parallel.hpp"
#include "runtime/replace_file.hpp"
#include "runtime/stream.hpp"

namespace kestrel {

namespace {

std::filesystem::path default_stdlib_dir() {
  if (const char* env = std::getenv("KESTREL_STDLIB"); env != nullptr && *env != '\0') {
    return env;
  }
  // Installed (cmake/KestrelInstall.cmake): P/share/kestrel/stdlib, from P/bin or P/lib.
  if (std::filesystem::path dir = engine::engine_file_dir(); !dir.empty()) {
    std::filesystem::path installed = dir.parent_path() / "share" / "kestrel" / "stdlib";
    std::error_code ec;
    if (std::filesystem::is_directory(installed, ec)) {
      return installed;
    }
  }
  return KESTREL_STDLIB_DIR;
}

/// The largest source file read (a program this large is data: .npy and CSV files hold that).
/// Without a bound, `kestrel run /dev/zero` read until memory ran out.
constexpr std::size_t kMaxSourceBytes = std::size_t{64} << 20;

/// Reads a whole file; a missing, unreadable or too large file, or a directory, is an Error
/// naming it and why.
std::string read_file(const std::filesystem::path& path) {
  std::string name = "'" + rt::printable(path.string()) + "'";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw Error("error: cannot read " + name + ": it is a directory\n");
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    throw Error("error: cannot read " + name + ": " +
                (err != 0 ? std::strerror(err) : "no such file or not readable") + "\n");
  }
  std::string text;
  std::vector<char> buffer(std::size_t{1} << 16);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    text.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxSourceBytes) {
      throw Error("error: cannot read " + name + ": a source file is at most " +
                  std::to_string(kMaxSourceBytes >> 20) + " MiB\n");
    }
  }
  if (in.bad()) {
    throw Error("error: cannot read " + name + ": a read failed\n");
  }
  return text;
}

/// One file parsed (its imports are not read), added to `sources`; an Error with the
/// diagnostics when it does not parse.
struct ParsedFile {
  const diag::SourceFile* file;
  parser::ast::Program program;
};
ParsedFile parse_file(diag::SourceManager& sources, const std::filesystem::path& path) {
  diag::DiagnosticList diags;
  const diag::SourceFile& file = sources.add(path.string(), read_file(path));
  std::optional<parser::ast::Program> program = parser::parse_program(file, diags);
  if (!program) {
    throw Error(diag::render(sources, diags), diags.error_count());
  }
  return ParsedFile{&file, std::move(*program)};
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
  {
    diag::Diagnostic& d = diags.report(diag::Kind::RuntimeError, error.span(), error.message());
    if (error.has_note()) {
      d.notes.push_back({error.note_span(), error.note()});
    }
  }
  throw_diagnostics(sources, diags);
}

void rethrow_as_error(const diag::SourceManager* sources) {
  try {
    throw;
  } catch (const Error&) {
    throw;
  } catch (const codegen::RunError& error) {
    if (sources != nullptr) {
      throw_run_error(*sources, error);
    }
    throw Error("error: " + error.message() + "\n");
  } catch (const rt::RuntimeError& error) {
    throw Error(std::string("error: ") + error.what() + "\n");
  } catch (const std::bad_alloc&) {
    throw Error("error: out of memory\n");
  } catch (const std::exception& error) {
    throw Error(std::string("error: internal error: ") + error.what() + "\n");
  } catch (...) {
    throw Error("error: internal error: an exception of unknown type\n");
  }
}

CloseRunStreams::~CloseRunStreams() { rt::close_run_streams(run); }

rt::Limits run_limits(const EngineOptions& options, const std::atomic<bool>* interrupt,
                      const std::atomic<std::uint64_t>* epoch) {
  rt::Limits limits;
  limits.interrupt = interrupt;
  if (epoch != nullptr) {
    limits.epoch = epoch;
    limits.start_epoch = epoch->load(std::memory_order_relaxed);
  }
  if (options.time_limit_ms > 0) {
    limits.time_limit_ms = options.time_limit_ms;
    limits.deadline_ns = rt::monotonic_ns() + options.time_limit_ms * 1'000'000;
  }
  limits.allow_io = options.allow_io;
  limits.memory_limit = options.memory_limit;
  limits.threads = options.threads;
  static std::atomic<std::uint64_t> runs{0};
  limits.run = ++runs;
  return limits;
}

}  // namespace engine

std::string_view version() { return KESTREL_VERSION; }

std::string gpu_unavailable() { return engine::gpu_unavailable_reason(); }

std::string builtin_help(std::string_view name) {
  const sema::BuiltinDoc* d = sema::find_builtin_doc(name);
  return d == nullptr ? "" : std::string(d->signature) + "\n    " + d->doc + "\n";
}

std::vector<std::string> builtin_names() { return sema::builtin_names(); }

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
  engine::at_boundary(nullptr, [&] { sema::check_source(sources, name, text, options, diags); });
  return to_diagnostics(sources, diags);
}

Timings Engine::run_file(const std::filesystem::path& path, std::string* out,
                         const std::atomic<bool>* interrupt) const {
  return run_source(path.string(), read_file(path), out, interrupt);
}

Timings Engine::run_source(const std::string& name, const std::string& text, std::string* out,
                           const std::atomic<bool>* interrupt) const {
  Timings timings;
  engine::Loaded loaded = engine::at_boundary(
      nullptr, [&] { return engine::load(name, text, options_.stdlib_dir, &timings); });
  Stopwatch clock;
  engine::at_boundary(loaded.sources.get(), [&] {
    // compile() raises RunError too, for what a backend cannot lower (a limit it has). A run
    // calls only the top level: the JIT compiles it and what it reaches, not every function of
    // every import.
    std::unique_ptr<engine::Backend> code =
        engine::compile(loaded.program, options_.mode, options_, nullptr, {loaded.program.main});
    timings.compile_ms = clock.lap();
    timings.cached = code->cached();
    timings.cache_hit = code->cache_hit();
    timings.gpu = code->gpu_summary();
    rt::Limits limits = engine::run_limits(options_, interrupt);
    codegen::RunOptions run_options;
    run_options.out = out;
    run_options.limits = &limits;
    // What a runtime error left open (a block loop's stream, an unfinished npy_append file)
    // ends with the run.
    struct EndRunFiles {
      std::uint64_t run;
      ~EndRunFiles() {
        rt::close_run_streams(run);
        rt::remove_run_writers(run);
      }
    } end_run_files{limits.run};
    // A tiered program's background compile still working is not waited for: the run is over.
    struct EndRun {
      std::unique_ptr<engine::Backend>& code;
      ~EndRun() { engine::end_run(std::move(code)); }
    } end_run{code};
    code->run_main(run_options);
    engine::tier_timings(*code, timings);
  });
  timings.run_ms = clock.lap();
  return timings;
}

Module Engine::load_file(const std::filesystem::path& path) const {
  return load_source(path.string(), read_file(path));
}

Module Engine::load_source(const std::string& name, const std::string& text) const {
  auto impl = std::make_shared<engine::ModuleImpl>();
  impl->options = options_;
  impl->loaded = engine::at_boundary(
      nullptr, [&] { return engine::load(name, text, options_.stdlib_dir, &impl->timings); });
  engine::at_boundary(impl->loaded.sources.get(), [&] {
    Stopwatch clock;
    impl->code = engine::compile(impl->loaded.program, options_.mode, options_);
    impl->timings.compile_ms = clock.lap();
    impl->timings.cached = impl->code->cached();
    impl->timings.cache_hit = impl->code->cache_hit();
    impl->timings.gpu = impl->code->gpu_summary();
  });
  return Module(std::move(impl));
}

std::string Engine::emit_llvm(const std::filesystem::path& path, std::string_view function) const {
  return emit(path, Stage::Llvm, function);
}

std::string Engine::emit(const std::filesystem::path& path, Stage stage,
                         std::string_view function) const {
  if (stage == Stage::Ast) {
    if (!function.empty()) {
      throw Error("error: the parse tree is of the whole file (no function selection)\n");
    }
    diag::SourceManager sources;
    return parser::dump_program(parse_file(sources, path).program);
  }
  engine::Loaded loaded = engine::at_boundary(nullptr, [&] {
    return engine::load(path.string(), read_file(path), options_.stdlib_dir, nullptr);
  });
  ir::FnId fn;
  if (!function.empty()) {
    fn = loaded.program.find_function(function);
    if (!fn.valid()) {
      throw Error("error: no function '" + std::string(function) + "' in " + path.string() + "\n");
    }
  }
  if (stage == Stage::Ir) {
    return fn.valid() ? ir::dump_function(loaded.program, fn) : ir::dump(loaded.program);
  }
  if (stage == Stage::Cuda) {
    return engine::at_boundary(loaded.sources.get(), [&] {
      return engine::cuda_listing(*loaded.sources, loaded.program, fn);
    });
  }
  if (stage == Stage::Ptx || stage == Stage::Cubin) {
    return engine::at_boundary(loaded.sources.get(), [&] {
      return engine::cuda_compiled(loaded.program, stage == Stage::Cubin);
    });
  }
  return engine::at_boundary(loaded.sources.get(), [&] {
    if (stage == Stage::Bytecode) {
      return engine::compile(loaded.program, Mode::Interp, options_)->emit_bytecode(fn);
    }
    std::unique_ptr<engine::Backend> code =
        engine::compile(loaded.program, Mode::Jit, options_, nullptr, {}, true);
    return fn.valid() ? code->emit_llvm_function(fn) : code->emit_llvm();
  });
}

std::string Engine::format_file(const std::filesystem::path& path) const {
  diag::SourceManager sources;
  ParsedFile parsed = parse_file(sources, path);
  return parser::format_program(parsed.program, parsed.file->text());
}

void Engine::format_file_in_place(const std::filesystem::path& path) const {
  std::string text = format_file(path);
  try {
    rt::replace_file(path.string(), [&](std::FILE* f) {
      return std::fwrite(text.data(), 1, text.size(), f) == text.size();
    });
  } catch (const rt::RuntimeError& e) {
    throw Error(std::string("error: ") + e.what() + "\n");
  }
}

}  // namespace kestrel
