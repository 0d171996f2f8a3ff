// The scalar language: arithmetic and its integer rules, control flow, functions and recursion,
// tuples, printing, random numbers, imports, and runtime errors with their locations.
#include <gtest/gtest.h>

#include "tests/interp/run_helpers.hpp"

namespace kestrel::interp::testing {
namespace {

TEST(InterpScalar, Arithmetic) {
  EXPECT_EQ(output("print(1 + 2 * 3, 7 - 10, 2 ** 10, 7 / 2, 1.5 * 2.0)\n"), "7 -3 1024 3.5 3.0\n");
  EXPECT_EQ(output("let x = 3\nlet y = 0.5\nprint(x + y, -x, x * x - 1)\n"), "3.5 -3 8\n");
  EXPECT_EQ(output("print(6 & 3, 6 | 3, 6 ^ 3, ~6, 1 << 4, -16 >> 2)\n"), "2 7 5 -7 16 -4\n");
  EXPECT_EQ(output("print(1 < 2, 2 <= 1, 1.5 > 1.0, 3 != 3, true and not false, false or false)\n"),
            "true false true false true false\n");
}

TEST(InterpScalar, Wrapping) {
  EXPECT_EQ(output("let big = 9223372036854775807\nprint(big + 1, -big - 2)\n"),
            "-9223372036854775808 9223372036854775807\n");
  EXPECT_EQ(output("let a = 2147483647i32\nprint(a + 1i32)\n"), "-2147483648\n");
}

TEST(InterpScalar, FloorDivisionAndModulo) {
  EXPECT_EQ(output("print(7 // 2, -7 // 2, 7 // -2, -7 // -2)\n"), "3 -4 -4 3\n");
  EXPECT_EQ(output("print(7 % 3, -7 % 3, 7 % -3, -7 % -3)\n"), "1 2 -2 -1\n");
  EXPECT_EQ(output("print(7.5 // 2.0, -7.5 % 2.0)\n"), "3.0 0.5\n");
}

TEST(InterpScalar, DivisionByZeroNamesTheLocation) {
  Outcome o = run("fn f(a: i64, b: i64) -> i64 {\n    return a // b\n}\nprint(f(1, 0))\n");
  EXPECT_EQ(o.error, "2:12: integer division by zero");
  o = run("let z = 0\nprint(5 % z)\n");
  EXPECT_EQ(o.error, "2:7: integer division by zero");
}

TEST(InterpScalar, Conversions) {
  EXPECT_EQ(output("print(f64(3), i64(3.9), i64(-3.9), i32(5), f32(0.1), i64(1e300))\n"),
            "3.0 3 -3 5 0.1 9223372036854775807\n");
}

TEST(InterpScalar, IfElseWhile) {
  EXPECT_EQ(output("var n = 0\nvar s = 0\nwhile n < 10 {\n  n += 1\n  if n % 2 == 0 { continue }\n"
                   "  if n > 7 { break }\n  s += n\n}\nprint(n, s)\n"),
            "9 16\n");
  EXPECT_EQ(output("let x = 5\nif x < 3 { print(\"a\") } else if x < 6 { print(\"b\") } else {"
                   " print(\"c\") }\n"),
            "b\n");
}

TEST(InterpScalar, ForLoopsWithSteps) {
  EXPECT_EQ(output("var s = 0\nfor i in 0..10 by 3 { s = s * 10 + i }\nprint(s)\n"), "369\n");
  EXPECT_EQ(output("var s = \"\"\nfor i in 5..0 by -2 { print(i) }\n"), "5\n3\n1\n");
  EXPECT_EQ(output("var c = 0\nfor i in 3..3 { c += 1 }\nfor i in 4..2 { c += 1 }\nprint(c)\n"),
            "0\n");
  EXPECT_EQ(output("var c = 0\nfor i in 0..10 {\n  if i == 2 { continue }\n  if i == 5 { break }\n"
                   "  c += i\n}\nprint(c)\n"),
            "8\n");
  EXPECT_EQ(output("var c = 0\nfor i in 0..3 { for j in 0..4 { c += i * j } }\nprint(c)\n"),
            "18\n");
}

TEST(InterpScalar, ZeroStepIsAnError) {
  Outcome o = run("let s = 0\nfor i in 0..3 by s { print(i) }\n");
  EXPECT_EQ(o.error, "2:1: the step of a for loop must not be zero");
}

TEST(InterpScalar, FunctionsAndRecursion) {
  EXPECT_EQ(output("fn fib_rec(n: i64) -> i64 {\n  if n < 2 { return n }\n"
                   "  return fib_rec(n - 1) + fib_rec(n - 2)\n}\nprint(fib_rec(20))\n"),
            "6765\n");
  EXPECT_EQ(
      output("fn even(n: i64) -> bool {\n  if n == 0 { return true }\n  return odd(n - 1)\n}\n"
             "fn odd(n: i64) -> bool {\n  if n == 0 { return false }\n  return even(n - 1)\n}\n"
             "print(even(10), odd(7), even(3))\n"),
      "true true false\n");
}

TEST(InterpScalar, StackOverflowIsAnError) {
  Outcome o = run("fn down(n: i64) -> i64 {\n  return down(n + 1) + 1\n}\nprint(down(0))\n", 500);
  EXPECT_EQ(o.error, "2:10: stack overflow: recursion deeper than 500");
}

TEST(InterpScalar, Tuples) {
  EXPECT_EQ(output("fn divmod(a: i64, b: i64) -> (i64, i64) {\n  return (a // b, a % b)\n}\n"
                   "let (q, r) = divmod(17, 5)\nprint(q, r)\n"),
            "3 2\n");
  EXPECT_EQ(output("fn swap(a: f64, b: i64) -> (i64, f64) { return (b, a) }\n"
                   "let (x, y) = swap(1.5, 2)\nlet (z, w) = swap(y, x)\nprint(x, y, z, w)\n"),
            "2 1.5 2 1.5\n");
}

TEST(InterpScalar, PrintsFloatsShortest) {
  EXPECT_EQ(output("print(0.1, 1e-7, 100.0, 1.0 / 3.0)\n"), "0.1 1e-07 100.0 0.3333333333333333\n");
}

TEST(InterpScalar, RandomIsPureAndStreamsAreSeeded) {
  std::string a = output("print(random(42, 7), randn(42, 7))\n");
  EXPECT_EQ(a, output("print(random(42, 7), randn(42, 7))\n"));
  EXPECT_EQ(output("seed(5)\nlet a = random()\nlet b = random()\nprint(a == random(5, 0), "
                   "b == random(5, 1))\n"),
            "true true\n");
}

TEST(InterpScalar, ImportsStdlib) {
  EXPECT_EQ(output("import fibonacci\nprint(fibonacci.fib(90), fibonacci.fib_rec(15))\n"),
            "2880067194370816120 610\n");
  std::string pi = output("import montecarlo\nprint(montecarlo.pi(100000, 42))\n");
  EXPECT_EQ(pi.substr(0, 3), "3.1");
}

TEST(InterpScalar, ParallelForReductions) {
  // Integer reductions are exact in any order; a float sum combines per-chunk partials in the
  // runtime's fixed tree order (rt::kReduceChunk iterations per chunk).
  EXPECT_EQ(output("var s = 0\nparallel for i in 0..10000 { s += i }\nprint(s)\n"), "49995000\n");
  EXPECT_EQ(output("var s = 0.0\nparallel for i in 0..10 { s += 0.5 }\nprint(s)\n"), "5.0\n");
  EXPECT_EQ(output("var s = 1.0\nvar m = 0.0\nparallel for i in 0..10 {\n  s *= 2.0\n"
                   "  m = max(m, f64(i))\n}\nprint(s, m)\n"),
            "1024.0 9.0\n");
}

TEST(InterpScalar, ParallelFloatSumMatchesChunkedTree) {
  // 10000 iterations = 3 chunks: ((c0 + c1) + c2), each chunk summed left to right from 0.
  std::string got =
      output("var s = 0.0\nparallel for i in 0..10000 { s += 0.1 * f64(i) }\nprint(s)\n");
  double c[3] = {0, 0, 0};
  for (int i = 0; i < 10000; ++i) {
    c[i / 4096] += 0.1 * i;
  }
  double expect = 0.0 + ((c[0] + c[1]) + c[2]);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", expect);
  EXPECT_EQ(std::stod(got), expect) << got << " vs " << buf;
}

TEST(InterpScalar, KernelLaunchOnCpu) {
  EXPECT_EQ(output("var s = 0\nkernel k(n: i64) {\n  let i = index()\n  print(i * n)\n}\n"
                   "k[3](10)\n"),
            "0\n10\n20\n");
  EXPECT_EQ(output("kernel k2() {\n  print(index(0), index(1))\n}\nk2[2, 2]()\n"),
            "0 0\n0 1\n1 0\n1 1\n");
}

TEST(InterpScalar, Disassembles) {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  auto program =
      sema::check_source(sources, "t.kst",
                         "fn fib(n: i64) -> i64 {\n var a = 0\n var b = 1\n for i in 0..n {\n"
                         "  let t = a + b\n  a = b\n  b = t\n }\n return a\n}\n",
                         check_options(), diags);
  ASSERT_TRUE(program);
  auto compiled = compile(*program);
  std::string text = disassemble(*compiled, program->find_function("fib"));
  EXPECT_NE(text.find("FORLOOP1"), std::string::npos) << text;
  EXPECT_NE(text.find("ADD_I64"), std::string::npos) << text;
  Value v = call(*compiled, program->find_function("fib"), std::vector<Value>{Value::of_i64(50)});
  EXPECT_EQ(v.i, 12586269025);
}

TEST(InterpScalar, PiLoopUsesSuperinstructions) {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  auto program =
      sema::check_source(sources, "t.kst", "import montecarlo\n", check_options(), diags);
  ASSERT_TRUE(program);
  auto compiled = compile(*program);
  std::string text = disassemble(*compiled, program->find_function("montecarlo.pi"));
  EXPECT_NE(text.find("RANDOM2"), std::string::npos) << text;
  EXPECT_NE(text.find("JNLTK_F64"), std::string::npos) << text;
  EXPECT_NE(text.find("FORLOOP1"), std::string::npos) << text;
}

}  // namespace
}  // namespace kestrel::interp::testing
