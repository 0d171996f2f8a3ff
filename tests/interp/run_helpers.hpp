#pragma once
// Helpers for the interpreter tests: check a source text with sema, compile it, run its top
// level and return what it printed (or the runtime error as `line:col: message`).
#include <gtest/gtest.h>

#include <string>

#include "codegen/interp/interp.hpp"
#include "dsl/diag/diagnostic.hpp"
#include "dsl/sema/check.hpp"

namespace kestrel::interp::testing {

struct Outcome {
  std::string out;    // what print wrote
  std::string error;  // `line:col: message` of a runtime error, else empty
  std::string check;  // rendered diagnostics when the program did not check
};

inline sema::CheckOptions check_options() {
  sema::CheckOptions options;
  options.import_paths.push_back(std::string(KESTREL_SOURCE_DIR) + "/stdlib");
  return options;
}

/// Checks, compiles and runs `text` (as file `test.kst`).
inline Outcome run(const std::string& text, std::uint32_t max_depth = 10000) {
  Outcome o;
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  auto program = sema::check_source(sources, "test.kst", text, check_options(), diags);
  if (!program || diags.has_errors()) {
    o.check = diag::render(sources, diags);
    return o;
  }
  auto compiled = compile(*program);
  RunOptions options;
  options.out = &o.out;
  options.max_call_depth = max_depth;
  try {
    run_main(*compiled, options);
  } catch (const RunError& e) {
    std::string loc = diag::location(sources, e.span());
    auto colon = loc.find(':');
    o.error = (colon == std::string::npos ? loc : loc.substr(colon + 1)) + ": " + e.message();
  }
  return o;
}

/// The printed output of a program that must check and run without error.
inline std::string output(const std::string& text) {
  Outcome o = run(text);
  EXPECT_EQ(o.check, "");
  EXPECT_EQ(o.error, "");
  return o.out;
}

}  // namespace kestrel::interp::testing
