#pragma once
// Helpers for the JIT tests: check a program with sema, run it in the interpreter and in the JIT,
// and report what each printed, its runtime error (`line:col: message`) and leaked arrays.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codegen/interp/interp.hpp"
#include "codegen/llvm/jit.hpp"
#include "dsl/diag/diagnostic.hpp"
#include "dsl/sema/check.hpp"
#include "runtime/abi.hpp"
#include "runtime/array.hpp"

namespace kestrel::jit::testing {

struct Outcome {
  std::string out;    // what print wrote
  std::string error;  // `file:line:col: message` of a runtime error, else empty
  std::int64_t leaked_buffers = 0;
  std::int64_t leaked_arrays = 0;
};

inline sema::CheckOptions check_options() {
  sema::CheckOptions options;
  options.import_paths.push_back(std::string(KESTREL_SOURCE_DIR) + "/stdlib");
  return options;
}

enum class Mode { Interp, Jit };

/// Runs a checked program in one mode.
inline Outcome run_program(const diag::SourceManager& sources, const ir::Program& program,
                           Mode mode, std::uint32_t max_depth = 10000) {
  Outcome o;
  std::int64_t buffers = rt::live_buffers();
  std::int64_t arrays = rt::live_arrays();
  codegen::RunOptions options;
  options.out = &o.out;
  options.max_call_depth = max_depth;
  try {
    if (mode == Mode::Interp) {
      auto code = interp::compile(program);
      interp::run_main(*code, options);
    } else {
      jit::Options jo;
      // The lowering under test, not the object cache (cache_test.cpp has its own tests);
      // KESTREL_TEST_JIT_CACHE=1 runs every program through the cache as well.
      jo.use_cache = std::getenv("KESTREL_TEST_JIT_CACHE") != nullptr;
      auto code = jit::compile(program, jo);
      jit::run_main(*code, options);
    }
  } catch (const codegen::RunError& e) {
    o.error = diag::location(sources, e.span()) + ": " + e.message();
  }
  o.leaked_buffers = rt::live_buffers() - buffers;
  o.leaked_arrays = rt::live_arrays() - arrays;
  return o;
}

/// Checks `text` as file `test.kst`; null (with a test failure) when it does not check.
inline std::optional<ir::Program> check_text(diag::SourceManager& sources,
                                             const std::string& text) {
  diag::DiagnosticList diags;
  auto program = sema::check_source(sources, "test.kst", text, check_options(), diags);
  if (!program || diags.has_errors()) {
    ADD_FAILURE() << diag::render(sources, diags);
    return std::nullopt;
  }
  return program;
}

/// Runs `text` in the JIT.
inline Outcome jit_run(const std::string& text, std::uint32_t max_depth = 10000) {
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  if (!program) {
    return Outcome{};
  }
  return run_program(sources, *program, Mode::Jit, max_depth);
}

/// Every golden program (tests/lang except tests/lang/errors, examples/, stdlib/), sorted, relative
/// to the source tree.
inline std::vector<std::string> golden_files() {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  fs::path root(KESTREL_SOURCE_DIR);
  for (const char* dir : {"tests/lang", "examples", "stdlib"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
      if (e.path().extension() != ".kst") {
        continue;
      }
      std::string rel = fs::relative(e.path(), root).string();
      if (rel.rfind("tests/lang/errors/", 0) == 0) {
        continue;
      }
      out.push_back(rel);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// The examples print their own times (clock()), always on a line with "took": those lines
/// differ from run to run and are left out of the comparison; every other line must match.
inline std::string without_timings(const std::string& out) {
  std::string kept;
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t end = out.find('\n', start);
    end = end == std::string::npos ? out.size() : end + 1;
    std::string_view line(out.data() + start, end - start);
    if (line.find("took") == std::string_view::npos) {
      kept += line;
    }
    start = end;
  }
  return kept;
}

}  // namespace kestrel::jit::testing
