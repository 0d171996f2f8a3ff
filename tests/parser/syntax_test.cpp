// The grammar construct by construct, checked on the tree's dump.
#include <gtest/gtest.h>

#include "tests/parser/parse_helpers.hpp"

namespace kestrel::parser::testing {
namespace {

TEST(Literals, NumbersKeepTheirText) {
  EXPECT_EQ(dump_e("42"), "(int 42)");
  EXPECT_EQ(dump_e("42i32"), "(int 42i32)");
  EXPECT_EQ(dump_e("7i64"), "(int 7i64)");
  EXPECT_EQ(dump_e("3.5"), "(float 3.5)");
  EXPECT_EQ(dump_e("1e-3"), "(float 1e-3)");
  EXPECT_EQ(dump_e("2.5f32"), "(float 2.5f32)");
  EXPECT_EQ(dump_e("true"), "(bool true)");
  EXPECT_EQ(dump_e("false"), "(bool false)");
}

TEST(Literals, StringEscapesAreResolved) {
  EXPECT_EQ(dump_e(R"("plain")"), R"((str "plain"))");
  EXPECT_EQ(dump_e(R"("a\"b\\c")"), R"((str "a\"b\\c"))");
  EXPECT_EQ(dump_e(R"("\n\t\r\0")"), R"((str "\x0a\x09\x0d\x00"))");
  EXPECT_EQ(dump_e(R"("")"), R"((str ""))");
  EXPECT_EQ(dump_e(R"("# not a comment")"), R"((str "# not a comment"))");
}

TEST(Literals, ArraysAndTuples) {
  EXPECT_EQ(dump_e("[1.0, 2.0]"), "(array (float 1.0) (float 2.0))");
  EXPECT_EQ(dump_e("[[1, 2], [3, 4]]"), "(array (array (int 1) (int 2)) (array (int 3) (int 4)))");
  EXPECT_EQ(dump_e("[]"), "(array)");
  EXPECT_EQ(dump_e("(a, b)"), "(tuple (name a) (name b))");
  EXPECT_EQ(dump_e("(a, (b, c))"), "(tuple (name a) (tuple (name b) (name c)))");
  EXPECT_EQ(dump_e("(a)"), "(paren (name a))");
}

TEST(Calls, PositionalAndKeywordArguments) {
  EXPECT_EQ(dump_e("f()"), "(postfix (name f) (call))");
  EXPECT_EQ(dump_e("sum(m, axis=0)"),
            "(postfix (name sum) (call (arg (name m)) (kwarg axis (int 0))))");
  EXPECT_EQ(dump_e("zeros(n, f32)"),
            "(postfix (name zeros) (call (arg (name n)) (arg (name f32))))");
  EXPECT_EQ(dump_e("f(a == b)"), "(postfix (name f) (call (arg (binary (name a) (== (name b))))))");
}

TEST(Calls, MethodsFieldsAndModules) {
  EXPECT_EQ(dump_e(R"(t.f64("x"))"), R"((postfix (name t) (attr f64) (call (arg (str "x")))))");
  EXPECT_EQ(dump_e("t.rows"), "(postfix (name t) (attr rows))");
  EXPECT_EQ(dump_e("montecarlo.pi(1000, 7)"),
            "(postfix (name montecarlo) (attr pi) (call (arg (int 1000)) (arg (int 7))))");
}

TEST(Subscripts, IndicesAndSlices) {
  EXPECT_EQ(dump_e("a[i]"), "(postfix (name a) (index (name i)))");
  EXPECT_EQ(dump_e("m[i, j]"), "(postfix (name m) (index (name i) (name j)))");
  EXPECT_EQ(dump_e("a[1:n]"), "(postfix (name a) (index (slice (int 1) (name n))))");
  EXPECT_EQ(dump_e("a[:]"), "(postfix (name a) (index (slice _ _)))");
  EXPECT_EQ(dump_e("a[i:]"), "(postfix (name a) (index (slice (name i) _)))");
  EXPECT_EQ(dump_e("a[:j]"), "(postfix (name a) (index (slice _ (name j))))");
  EXPECT_EQ(dump_e("m[:, k]"), "(postfix (name m) (index (slice _ _) (name k)))");
  EXPECT_EQ(dump_e("m[i:j, :]"),
            "(postfix (name m) (index (slice (name i) (name j)) (slice _ _)))");
  EXPECT_EQ(dump_e("a[n - 1:]"),
            "(postfix (name a) (index (slice (binary (name n) (- (int 1))) _)))");
  // Steps (numpy's lo:hi:step, any part optional): the step follows the two bounds.
  EXPECT_EQ(dump_e("a[::2]"), "(postfix (name a) (index (slice _ _ (int 2))))");
  EXPECT_EQ(dump_e("a[::]"), "(postfix (name a) (index (slice _ _)))");
  EXPECT_EQ(dump_e("a[1::k]"), "(postfix (name a) (index (slice (int 1) _ (name k))))");
  EXPECT_EQ(dump_e("a[5:1:s]"), "(postfix (name a) (index (slice (int 5) (int 1) (name s))))");
  EXPECT_EQ(dump_e("m[::2, i:]"),
            "(postfix (name m) (index (slice _ _ (int 2)) (slice (name i) _)))");
}

TEST(Subscripts, KernelLaunches) {
  EXPECT_EQ(dump_e("vadd[len(out)](a, b, out)"),
            "(postfix (name vadd) (index (postfix (name len) (call (arg (name out))))) "
            "(call (arg (name a)) (arg (name b)) (arg (name out))))");
  EXPECT_EQ(dump_e("k[m, n](x)"),
            "(postfix (name k) (index (name m) (name n)) (call (arg (name x))))");
}

TEST(Statements, LetAndVar) {
  EXPECT_EQ(dump("let x = 1"), "(let (names x) (int 1))\n");
  EXPECT_EQ(dump("var s: f64 = 0"), "(let var (names s) (type (named f64 0)) (int 0))\n");
  EXPECT_EQ(dump("let a: f32[:,:] = m"), "(let (names a) (type (named f32 2)) (name m))\n");
  EXPECT_EQ(dump("let (k, s) = f(x)"),
            "(let destructure (names k s) (postfix (name f) (call (arg (name x)))))\n");
  EXPECT_EQ(dump("var (a, b) = (1, 2)"),
            "(let var destructure (names a b) (tuple (int 1) (int 2)))\n");
  EXPECT_EQ(dump("let t: (i64[:], f64) = g()"),
            "(let (names t) (type (tuple-type (named i64 1) (named f64 0))) "
            "(postfix (name g) (call)))\n");
}

TEST(Calls, VarInAnExpressionIsNumpysVar) {
  // `var(` where an expression goes is the builtin call; `var` declarations still parse.
  EXPECT_EQ(dump_e("var(a)"), "(postfix (name var) (call (arg (name a))))");
  EXPECT_EQ(dump_e("var(m, axis=0) + 1"),
            "(binary (postfix (name var) (call (arg (name m)) (kwarg axis (int 0)))) (+ (int 1)))");
  EXPECT_EQ(dump("let v = var(a)"), "(let (names v) (postfix (name var) (call (arg (name a)))))\n");
  EXPECT_EQ(dump("var v = var(a)"),
            "(let var (names v) (postfix (name var) (call (arg (name a)))))\n");
  EXPECT_EQ(dump("var (a, b) = (1, 2)"),
            "(let var destructure (names a b) (tuple (int 1) (int 2)))\n");
}

TEST(Statements, Assignments) {
  EXPECT_EQ(dump("x = 1"), "(assign = (name x) (int 1))\n");
  EXPECT_EQ(dump("m[i, j] += 1"),
            "(assign += (postfix (name m) (index (name i) (name j))) (int 1))\n");
  EXPECT_EQ(dump("out[:] = a + b"),
            "(assign = (postfix (name out) (index (slice _ _))) (binary (name a) (+ (name b))))\n");
  EXPECT_EQ(dump("x -= 1; x *= 2; x /= 3"),
            "(assign -= (name x) (int 1))\n(assign *= (name x) (int 2))\n"
            "(assign /= (name x) (int 3))\n");
}

TEST(Statements, IfElseChain) {
  EXPECT_EQ(dump("if a { x = 1 } else if b { x = 2 } else if c {} else { x = 3 }"),
            "(if (name a) (block (assign = (name x) (int 1))) "
            "(elif (name b) (block (assign = (name x) (int 2)))) (elif (name c) (block)) "
            "(else (block (assign = (name x) (int 3)))))\n");
  EXPECT_EQ(dump("if a {\n}\n"), "(if (name a) (block))\n");
  EXPECT_EQ(dump("if a {\n  x = 1\n} else {\n  x = 2\n}\n"),
            "(if (name a) (block (assign = (name x) (int 1))) "
            "(else (block (assign = (name x) (int 2)))))\n");
}

TEST(Statements, Loops) {
  EXPECT_EQ(dump("while i < n { i += 1; break; continue }"),
            "(while (binary (name i) (< (name n))) "
            "(block (assign += (name i) (int 1)) (break) (continue)))\n");
  EXPECT_EQ(dump("for i in 0..n {}"), "(for i (int 0) (name n) (block))\n");
  EXPECT_EQ(dump("for i in 0..n by 2 {}"), "(for i (int 0) (name n) (by (int 2)) (block))\n");
  EXPECT_EQ(dump("parallel for i in 0..n { s += i }"),
            "(for parallel i (int 0) (name n) (block (assign += (name s) (name i))))\n");
  EXPECT_EQ(dump("for i in n - 1..0 by -1 {}"),
            "(for i (binary (name n) (- (int 1))) (int 0) (by (unary - (int 1))) (block))\n");
  EXPECT_EQ(dump("for i in a..b {}"), "(for i (name a) (name b) (block))\n");
}

TEST(Statements, FunctionsKernelsAndDecorators) {
  EXPECT_EQ(dump("fn f() {}"), "(fn f (params) (block))\n");
  EXPECT_EQ(dump("fn f(a: i64, b: f64[:,:]) -> (i64[:], f64[:]) { return (a, b) }"),
            "(fn f (params (param a (named i64 0)) (param b (named f64 2))) "
            "(ret (tuple-type (named i64 1) (named f64 1))) "
            "(block (return (tuple (name a) (name b)))))\n");
  EXPECT_EQ(dump("@unchecked\nfn g(a: f64[:]) -> f64 {\n    return a[0]\n}\n"),
            "(fn @unchecked g (params (param a (named f64 1))) (ret (named f64 0)) "
            "(block (return (postfix (name a) (index (int 0))))))\n");
  EXPECT_EQ(dump("kernel k(out: f32[:]) { out[index()] = 1.0f32 }"),
            "(kernel k (params (param out (named f32 1))) (block (assign = "
            "(postfix (name out) (index (postfix (name index) (call)))) (float 1.0f32))))\n");
  EXPECT_EQ(dump("fn f() { return }"), "(fn f (params) (block (return)))\n");
}

TEST(Statements, ImportsAndExpressionStatements) {
  EXPECT_EQ(dump("import montecarlo"), "(import montecarlo)\n");
  EXPECT_EQ(dump(R"(print("hi", x))"),
            R"((expr (postfix (name print) (call (arg (str "hi")) (arg (name x))))))"
            "\n");
}

TEST(Layout, NewlinesAndSemicolonsEndStatements) {
  EXPECT_EQ(dump("a = 1; b = 2"), "(assign = (name a) (int 1))\n(assign = (name b) (int 2))\n");
  EXPECT_EQ(dump("a = 1\nb = 2\n"), "(assign = (name a) (int 1))\n(assign = (name b) (int 2))\n");
  EXPECT_EQ(dump("\n\n  a = 1  \n\n"), "(assign = (name a) (int 1))\n");
  EXPECT_EQ(dump(""), "");
  // A line that starts with an operator does not continue the one before it.
  EXPECT_EQ(dump("let x = a\n-b"), "(let (names x) (name a))\n(expr (unary - (name b)))\n");
}

TEST(Layout, LineContinuation) {
  const char* want = "(let (names x) (binary (int 1) (+ (int 2))))\n";
  EXPECT_EQ(dump("let x = 1 +\n    2"), want);
  EXPECT_EQ(dump("let x = (1\n + 2)"), "(let (names x) (paren (binary (int 1) (+ (int 2)))))\n");
  EXPECT_EQ(dump("let x = 1 + # comment\n    2"), want);
  EXPECT_EQ(dump("let x = f(a,\n      b)"),
            "(let (names x) (postfix (name f) (call (arg (name a)) (arg (name b)))))\n");
  EXPECT_EQ(dump("let m = [\n  [1, 2],\n  [3, 4]\n]"),
            "(let (names m) (array (array (int 1) (int 2)) (array (int 3) (int 4))))\n");
  EXPECT_EQ(dump("let ok = a and\n    b"), "(let (names ok) (binary (name a) (and (name b))))\n");
  EXPECT_EQ(dump("fn f(a: i64,\n      b: i64) {}"),
            "(fn f (params (param a (named i64 0)) (param b (named i64 0))) (block))\n");
}

TEST(Layout, Comments) {
  EXPECT_EQ(dump("# only a comment"), "");
  EXPECT_EQ(dump("let x = 1 # trailing\n# whole line\nlet y = 2 #"),
            "(let (names x) (int 1))\n(let (names y) (int 2))\n");
  EXPECT_EQ(dump("fn f() { # open\n  return # bare\n} # close"),
            "(fn f (params) (block (return)))\n");
}

TEST(Errors, InvalidInputReportsADiagnostic) {
  // (`for i in 0 {}` parses: a for loop over a block source, which the checker reports.)
  for (const char* bad : {"let = 1", "f(", "let x = \"abc", "fn (", "x = ", "1 +", "a[1:2:3:4]",
                          "for i in 0 .. {}", "if x { ", "}", "let x = 1 2", "@unchecked", "$",
                          "fn f(a) {}", "var s: = 0", "x += += 1"}) {
    Parsed p;
    parse_into(p, bad);
    EXPECT_FALSE(p.program.has_value()) << bad;
    EXPECT_TRUE(p.diags.has_errors()) << bad;
  }
}

TEST(Errors, DiagnosticSaysWhereAndWhat) {
  Parsed p;
  parse_into(p, "let x = 1\nlet y = (2 +\n", "where.kst");
  ASSERT_FALSE(p.program.has_value());
  ASSERT_TRUE(p.diags.has_errors());
  std::string text = diag::render(p.sources, p.diags);
  EXPECT_NE(text.find("where.kst:"), std::string::npos) << text;
  EXPECT_NE(text.find("error:"), std::string::npos) << text;
  EXPECT_NE(text.find("expected"), std::string::npos) << text;
}

}  // namespace
}  // namespace kestrel::parser::testing
