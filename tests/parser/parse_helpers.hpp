#pragma once
// Small helpers for the parser tests: parse text, dump the tree, run the optional sema hook.
#include <optional>
#include <string>
#include <string_view>

#include "dsl/diag/diagnostic.hpp"
#include "dsl/diag/source.hpp"
#include "parser/parse.hpp"

#ifdef KESTREL_HAVE_SEMA
#include <filesystem>

#include "dsl/sema/check.hpp"
#endif

namespace kestrel::parser::testing {

/// The outcome of parsing one text: the tree (if any) and every diagnostic reported.
struct Parsed {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  std::optional<ast::Program> program;
};

inline void parse_into(Parsed& out, std::string text, std::string name = "test.kst") {
  const diag::SourceFile& file = out.sources.add(std::move(name), std::move(text));
  out.program = parse_program(file, out.diags);
}

/// SEMA HOOK: type-checks a parsed program once dsl/sema is built (tests/parser/CMakeLists.txt
/// defines KESTREL_HAVE_SEMA when the kestrel_sema target exists). Until then, parse only.
inline void check_hook([[maybe_unused]] Parsed& parsed) {
#ifdef KESTREL_HAVE_SEMA
  sema::CheckOptions options;
  options.import_paths.push_back(std::filesystem::path(KESTREL_SOURCE_DIR) / "stdlib");
  (void)sema::check_program(parsed.sources, 0, *parsed.program, options, parsed.diags);
#endif
}

/// The dump of `text` parsed as a program, or "ERROR: <diagnostics>" when it does not parse.
inline std::string dump(std::string text) {
  Parsed p;
  parse_into(p, std::move(text));
  if (!p.program) {
    return "ERROR: " + diag::render(p.sources, p.diags);
  }
  return dump_program(*p.program);
}

/// The dump of `text` parsed as one expression, or "ERROR: …".
inline std::string dump_e(std::string text) {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  const diag::SourceFile& file = sources.add("expr.kst", std::move(text));
  std::optional<ast::Expr> e = parse_expression(file, diags);
  if (!e) {
    return "ERROR: " + diag::render(sources, diags);
  }
  return dump_expr(*e);
}

/// The canonical text of `text`, or "ERROR: …".
inline std::string fmt(std::string text) {
  Parsed p;
  parse_into(p, std::move(text));
  if (!p.program) {
    return "ERROR: " + diag::render(p.sources, p.diags);
  }
  return format_program(*p.program);
}

}  // namespace kestrel::parser::testing
