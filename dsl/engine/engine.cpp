#include <cstdlib>
#include <fstream>
#include <sstream>

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
