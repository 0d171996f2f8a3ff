// libFuzzer target: any byte string through parse and check. It aborts when the front end
// crashes, when it rejects an input without an error diagnostic, when a diagnostic's span lies
// outside its file, or when an accepted input does not survive `kestrel fmt` (format, reparse,
// same tree).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dsl/diag/diagnostic.hpp"
#include "dsl/diag/source.hpp"
#include "parser/parse.hpp"

#ifdef KESTREL_HAVE_SEMA
#include <filesystem>

#include "dsl/sema/check.hpp"
#endif

namespace {

using namespace kestrel;

[[noreturn]] void die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "parse_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

/// SEMA HOOK: runs the type checker on an accepted program once dsl/sema provides it.
/// Imports resolve in the stdlib/ of the source tree only.
void check_hook([[maybe_unused]] diag::SourceManager& sources,
                [[maybe_unused]] const diag::SourceFile& file,
                [[maybe_unused]] const parser::ast::Program& program,
                [[maybe_unused]] diag::DiagnosticList& diags) {
#ifdef KESTREL_HAVE_SEMA
  static const sema::CheckOptions options{{std::filesystem::path(KESTREL_SOURCE_DIR) / "stdlib"}};
  (void)sema::check_program(sources, file.id(), program, options, diags);
#endif
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  const diag::SourceFile& file =
      sources.add("fuzz.kst", std::string(reinterpret_cast<const char*>(data), size));
  std::optional<parser::ast::Program> program = parser::parse_program(file, diags);
  if (!program && !diags.has_errors()) {
    die("input rejected without an error diagnostic", "");
  }
  if (program) {
    check_hook(sources, file, *program, diags);
  }
  // Every diagnostic, the parser's and sema's, points into the file it names.
  for (const diag::Diagnostic& d : diags.all()) {
    if (d.span.file != diag::kNoFile && d.span.file < sources.size() &&
        (d.span.begin > d.span.end || d.span.end > sources.file(d.span.file).text().size())) {
      die("diagnostic span out of range",
          std::to_string(d.span.begin) + ".." + std::to_string(d.span.end) + ": " + d.message);
    }
  }
  (void)diag::render(sources, diags);
  if (!program) {
    return 0;
  }

  std::string formatted = parser::format_program(*program);
  diag::DiagnosticList again_diags;
  const diag::SourceFile& again_file = sources.add("formatted.kst", formatted);
  std::optional<parser::ast::Program> again = parser::parse_program(again_file, again_diags);
  if (!again) {
    die("formatted text does not parse", formatted + "\n" + diag::render(sources, again_diags));
  }
  if (parser::dump_program(*again) != parser::dump_program(*program)) {
    die("formatting changes the tree", formatted);
  }
  return 0;
}
