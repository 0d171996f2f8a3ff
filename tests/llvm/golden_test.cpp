// Every golden program (tests/lang except tests/lang/errors, examples/, stdlib/) run by the
// interpreter and by the JIT at 1, 2 and 8 threads: byte-identical output, the same runtime
// error at the same place, and every array freed in both.
#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/parallel.hpp"
#include "tests/llvm/jit_helpers.hpp"

namespace kestrel::jit::testing {
namespace {

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, SameAsInterpreter) {
  std::filesystem::path path = std::filesystem::path(KESTREL_SOURCE_DIR) / GetParam();
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  auto program = sema::check_file(sources, path, check_options(), diags);
  ASSERT_TRUE(program && !diags.has_errors()) << diag::render(sources, diags);
  Outcome interp = run_program(sources, *program, Mode::Interp);
  // The JIT runs parallel loops and launches on the runtime's threads: the same output at any
  // thread count (what `kestrel run --threads N` sets).
  for (int threads : {1, 2, 8}) {
    rt::set_threads(threads);
    Outcome jit = run_program(sources, *program, Mode::Jit);
    if (GetParam().rfind("examples/", 0) == 0) {
      EXPECT_EQ(without_timings(interp.out), without_timings(jit.out)) << threads << " threads";
    } else {
      EXPECT_EQ(interp.out, jit.out) << threads << " threads";
    }
    EXPECT_EQ(interp.error, jit.error) << threads << " threads";
    EXPECT_EQ(jit.leaked_buffers, 0) << threads << " threads";
    EXPECT_EQ(jit.leaked_arrays, 0) << threads << " threads";
  }
  rt::set_threads(0);
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(Programs, Golden, ::testing::ValuesIn(golden_files()), test_name);

}  // namespace
}  // namespace kestrel::jit::testing
