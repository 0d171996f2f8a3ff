// Splitting huge functions (codegen/llvm/split.hpp): a function of hundreds of statements is
// compiled as a chain of outlined pieces, and prints the same bytes, raises the same error at
// the same place and leaks nothing, as in the interpreter, at 1 and 8 threads; a small function
// is left whole. (The golden programs run split into pieces of 4 blocks under
// KESTREL_JIT_SPLIT_BLOCKS=4 as well: see split.hpp.)
#include "codegen/llvm/split.hpp"

#include <string>

#include "runtime/parallel.hpp"
#include "tests/llvm/jit_helpers.hpp"

namespace kestrel::jit::testing {
namespace {

/// A function of about 3n statements (scalar loops, whole-array chains, array literals), one of
/// them failing (index out of bounds) when `bad` is past the arrays, on line `fail_line`.
std::string large_program(int n, int* fail_line) {
  std::string s = "fn work(m: i64, bad: i64) -> f64 {\n    var acc = 0\n    var t = 0.0\n";
  s += "    let a0 = zeros(m) + 1.0\n";
  int line = 5;
  for (int k = 1; k <= n; ++k) {
    const std::string ks = std::to_string(k);
    s += "    for i in 0..m { acc += i * " + ks + " % 7 }\n";
    s += "    let a" + ks + " = a" + std::to_string(k - 1) + " * 0.5 + a0 - " + ks + ".0\n";
    s += "    t += sum([" + ks + ".0, 1.5, 2.5])\n";
    line += 3;
    if (k == n / 2) {
      s += "    t += a" + ks + "[bad]\n";
      *fail_line = line++;
    }
  }
  s += "    return t + f64(acc) + sum(a" + std::to_string(n) + ")\n}\n";
  s += "print(work(5, 1))\nprint(work(3, 2))\nprint(work(4, 7))\nprint(1)\n";
  return s;
}

bool has_pieces(const std::string& text) {
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  if (!program) {
    return false;
  }
  Options jo;
  jo.use_cache = false;
  auto code = compile(*program, jo);
  return emit_llvm(*code).find(".piece") != std::string::npos;
}

TEST(Split, ALargeFunctionRunsInPiecesAsTheInterpreterRunsIt) {
  int fail_line = 0;
  const std::string text = large_program(150, &fail_line);
  EXPECT_TRUE(has_pieces(text));
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  ASSERT_TRUE(program);
  Outcome interp = run_program(sources, *program, Mode::Interp);
  ASSERT_NE(interp.out, "");
  EXPECT_EQ(interp.error.rfind("test.kst:" + std::to_string(fail_line) + ":", 0), 0u)
      << interp.error;
  for (int threads : {1, 8}) {
    rt::set_threads(threads);
    Outcome jit = run_program(sources, *program, Mode::Jit);
    EXPECT_EQ(interp.out, jit.out) << threads << " threads";
    EXPECT_EQ(interp.error, jit.error) << threads << " threads";
    EXPECT_EQ(jit.leaked_arrays, 0);
    EXPECT_EQ(jit.leaked_buffers, 0);
  }
  rt::set_threads(0);
}

TEST(Split, ASmallFunctionStaysWhole) {
  int fail_line = 0;
  EXPECT_FALSE(has_pieces(large_program(4, &fail_line)));
}

}  // namespace
}  // namespace kestrel::jit::testing
