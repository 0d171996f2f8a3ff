// libFuzzer target: any byte string through parse (and, once wired, check). It aborts when the
// front end crashes, when it rejects an input without an error diagnostic, or when an accepted
// input does not survive `kestrel fmt` (format, reparse, same tree).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dsl/diag/diagnostic.hpp"
#include "dsl/diag/source.hpp"
#include "parser/parse.hpp"

#ifdef KESTREL_HAVE_SEMA
#include "dsl/sema/check.hpp"
#endif

namespace {

using namespace kestrel;

[[noreturn]] void die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "parse_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

/// SEMA HOOK: runs the type checker on an accepted program once dsl/sema provides it.
void check_hook([[maybe_unused]] const diag::SourceFile& file,
                [[maybe_unused]] const parser::ast::Program& program,
                [[maybe_unused]] diag::DiagnosticList& diags) {
#ifdef KESTREL_HAVE_SEMA
  // TODO(lead): wire sema's entry point here, e.g. sema::check_program(program, file, diags);
#endif
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  const diag::SourceFile& file =
      sources.add("fuzz.kst", std::string(reinterpret_cast<const char*>(data), size));
  std::optional<parser::ast::Program> program = parser::parse_program(file, diags);
  for (const diag::Diagnostic& d : diags.all()) {
    if (d.span.begin > d.span.end || d.span.end > size) {
      die("diagnostic span out of range", d.message);
    }
  }
  if (!program) {
    if (!diags.has_errors()) {
      die("input rejected without an error diagnostic", "");
    }
    (void)diag::render(sources, diags);
    return 0;
  }
  check_hook(file, *program, diags);

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
