// The canonical form printed by `kestrel fmt`.
#include <gtest/gtest.h>

#include "tests/parser/parse_helpers.hpp"

namespace kestrel::parser::testing {
namespace {

std::string fmt_e(std::string text) {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  std::optional<ast::Expr> e = parse_expression(sources.add("e.kst", std::move(text)), diags);
  return e ? format_expr(*e) : "ERROR: " + diag::render(sources, diags);
}

TEST(Format, Operators) {
  EXPECT_EQ(fmt_e("a+b*c"), "a + b * c");
  EXPECT_EQ(fmt_e("-x**2"), "-x ** 2");
  EXPECT_EQ(fmt_e("2**-1"), "2 ** -1");
  EXPECT_EQ(fmt_e("not  a<b"), "not a < b");
  EXPECT_EQ(fmt_e("- - x"), "--x");
  EXPECT_EQ(fmt_e("~ i&j|k"), "~i & j | k");
  EXPECT_EQ(fmt_e("a//b%c@d"), "a // b % c @ d");
  EXPECT_EQ(fmt_e("a  and(b or c)"), "a and (b or c)");
  EXPECT_EQ(fmt_e("( ( a ) )"), "((a))");
}

TEST(Format, CallsSubscriptsLiterals) {
  EXPECT_EQ(fmt_e("sum( m , axis = 0 )"), "sum(m, axis=0)");
  EXPECT_EQ(fmt_e("m[ : , k ]"), "m[:, k]");
  EXPECT_EQ(fmt_e("a[1 : n]"), "a[1:n]");
  EXPECT_EQ(fmt_e("a[ i : ]"), "a[i:]");
  EXPECT_EQ(fmt_e("vadd[ len(out) ]( a,b )"), "vadd[len(out)](a, b)");
  EXPECT_EQ(fmt_e("t . f64( \"x\" ) . T"), "t.f64(\"x\").T");
  EXPECT_EQ(fmt_e("[[1.0,2.0],[3.0,4.0]]"), "[[1.0, 2.0], [3.0, 4.0]]");
  EXPECT_EQ(fmt_e("( a,b )"), "(a, b)");
  EXPECT_EQ(fmt_e("[ ]"), "[]");
  EXPECT_EQ(fmt_e("42i32 + 1e-3 + 2.5f32"), "42i32 + 1e-3 + 2.5f32");
  EXPECT_EQ(fmt_e(R"("q\"b\\n\n\t\r\0")"), R"("q\"b\\n\n\t\r\0")");
}

TEST(Format, Statements) {
  EXPECT_EQ(fmt("var s:f64=0"), "var s: f64 = 0\n");
  EXPECT_EQ(fmt("let(k,s)=f(x)"), "let (k, s) = f(x)\n");
  EXPECT_EQ(fmt("m[i,j]+=1;x-=1"), "m[i, j] += 1\nx -= 1\n");
  EXPECT_EQ(fmt("import   montecarlo"), "import montecarlo\n");
  EXPECT_EQ(fmt("let a = 1 +\n   2  # comment\n"), "let a = 1 + 2\n");
}

TEST(Format, BlocksAndIndentation) {
  EXPECT_EQ(fmt("if a {x=1} else if b {} else {\ny=2\n}"),
            "if a {\n    x = 1\n} else if b {} else {\n    y = 2\n}\n");
  EXPECT_EQ(fmt("while true { if x { break } }"),
            "while true {\n    if x {\n        break\n    }\n}\n");
  EXPECT_EQ(fmt("parallel for i in 0 .. n by 2 { s += i }"),
            "parallel for i in 0..n by 2 {\n    s += i\n}\n");
  EXPECT_EQ(fmt("for i in 0..n {}"), "for i in 0..n {}\n");
}

TEST(Format, DefinitionsAreSeparatedByBlankLines) {
  EXPECT_EQ(fmt("import m\nfn f(a:i64,b:f64[:,:])->(i64[:],f64[:]){return (a,b)}\n"
                "@unchecked\nkernel k(o: f32[:]) {}\nfn g() {}\nlet x = 1\nlet y = 2\n"),
            "import m\n"
            "\n"
            "fn f(a: i64, b: f64[:,:]) -> (i64[:], f64[:]) {\n"
            "    return (a, b)\n"
            "}\n"
            "\n"
            "@unchecked\n"
            "kernel k(o: f32[:]) {}\n"
            "\n"
            "fn g() {}\n"
            "\n"
            "let x = 1\n"
            "let y = 2\n");
  EXPECT_EQ(fmt(""), "");
}

TEST(Format, Types) {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  auto p = parse_program(sources.add("t.kst", "let t: ( i64[ : ], f64[:, :], bool ) = g()"), diags);
  ASSERT_TRUE(p.has_value()) << diag::render(sources, diags);
  auto& let = boost::get<ast::LetStmt>(p->stmts.at(0).get());
  ASSERT_TRUE(let.type.has_value());
  EXPECT_EQ(format_type(*let.type), "(i64[:], f64[:,:], bool)");
}

}  // namespace
}  // namespace kestrel::parser::testing
