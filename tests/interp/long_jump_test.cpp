// Blocks longer than a 16-bit jump offset (more than 32K instructions): the function is compiled
// again with 32-bit jumps and runs. The programs are generated here rather than kept as golden
// files (a 72 KB file would slow the parser's every-byte truncation corpus to minutes).
#include <gtest/gtest.h>

#include <string>

#include "run_helpers.hpp"

namespace kestrel::interp::testing {
namespace {

/// `x = x*x*…*x` lines (900 factors each, under the checker's depth limit) adding up to more than
/// `instructions` multiplications, one instruction each.
std::string long_body(int instructions, const std::string& indent) {
  std::string line = indent + "x = x";
  for (int k = 1; k < 900; ++k) {
    line += "*x";
  }
  line += "\n";
  std::string body;
  for (int n = 0; n < instructions; n += 899) {
    body += line;
  }
  return body;
}

TEST(InterpLongJumps, LongIfBlockRuns) {
  std::string body = long_body(36000, "    ");
  EXPECT_EQ(output("var x = 1\nif x == 1 {\n" + body + "} else {\n    x = 5\n}\nprint(x)\n"),
            "1\n");
}

TEST(InterpLongJumps, LongLoopBodiesRunWithBreakAndContinue) {
  std::string body = long_body(34000, "        ");
  std::string text =
      "fn f(n: i64) -> i64 {\n    var x = 1\n    var c = 0\n"
      "    for i in 0..n by 1 {\n        if i == 1 { continue }\n" +
      body +
      "        c += 1\n        if c == 3 { break }\n    }\n"
      "    var w = 0\n    while w < n {\n" +
      body +
      "        w += 1\n    }\n"
      "    for j in 0..n {\n" +
      body +
      "        c += 1\n    }\n    return c + w\n}\n"
      "print(f(4), f(0))\n";
  EXPECT_EQ(output(text), "11 0\n");
}

}  // namespace
}  // namespace kestrel::interp::testing
