#pragma once
// Helpers for the sema tests: check a text (or file), then look at the IR or the diagnostics.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dsl/diag/diagnostic.hpp"
#include "dsl/ir/ir.hpp"
#include "dsl/sema/check.hpp"

namespace kestrel::sema::testing {

/// The outcome of checking one program.
struct Checked {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  std::optional<ir::Program> program;

  bool ok() const { return program.has_value() && !diags.has_errors(); }
  std::string dump() const { return program ? ir::dump(*program) : "<no program>"; }
  std::string rendered() const { return diag::render(sources, diags); }
  /// `line:col: message` of every diagnostic, in order.
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const diag::Diagnostic& d : diags.all()) {
      std::string loc = diag::location(sources, d.span);
      auto colon = loc.find(':');
      out.push_back((colon == std::string::npos ? loc : loc.substr(colon + 1)) + ": " + d.message);
    }
    return out;
  }
  std::vector<diag::Kind> kinds() const {
    std::vector<diag::Kind> out;
    for (const diag::Diagnostic& d : diags.all()) {
      out.push_back(d.kind);
    }
    return out;
  }
  /// The type of the last `let`/`var` named `name` in function `fn` ("<main>" for top level).
  std::string local_type(const std::string& fn, const std::string& name) const {
    if (!program) {
      return "<no program>";
    }
    ir::FnId id = program->find_function(fn);
    if (!id.valid()) {
      return "<no function " + fn + ">";
    }
    std::string found = "<no local " + name + ">";
    for (const ir::Local& l : program->fn(id).locals) {
      if (l.name == name) {
        found = ir::type_name(program->types, l.type);
      }
    }
    return found;
  }
};

inline std::filesystem::path fixtures() { return KESTREL_SEMA_FIXTURES; }
inline std::filesystem::path source_dir() { return KESTREL_SOURCE_DIR; }

inline CheckOptions default_options() {
  CheckOptions options;
  options.import_paths.push_back(fixtures());
  options.import_paths.push_back(source_dir() / "stdlib");
  return options;
}

inline void check_text_into(Checked& out, std::string text, std::string name = "test.kst") {
  out.program =
      check_source(out.sources, std::move(name), std::move(text), default_options(), out.diags);
}

inline void check_path_into(Checked& out, const std::filesystem::path& path) {
  out.program = check_file(out.sources, path, default_options(), out.diags);
}

}  // namespace kestrel::sema::testing

/// Checks `text`; the result is in the variable `c`.
#define KESTREL_CHECK_TEXT(c, text)    \
  ::kestrel::sema::testing::Checked c; \
  ::kestrel::sema::testing::check_text_into(c, text)
