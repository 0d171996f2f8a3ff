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
  EXPECT_EQ(fmt_e("a[ : : 2]"), "a[::2]");
  EXPECT_EQ(fmt_e("m[5 : 1 : k, :]"), "m[5:1:k, :]");
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

/// The canonical text of `text` with its comments and blank lines, as `kestrel fmt` prints it.
std::string fmt_kept(std::string text) {
  Parsed p;
  parse_into(p, text);
  if (!p.program) {
    return "ERROR: " + diag::render(p.sources, p.diags);
  }
  return format_program(*p.program, text);
}

// `fmt --write` once deleted every comment and blank line. Comments come back from the source:
// on a line of their own before what follows them (at its indent), after code on its line,
// inside blocks, before a closing brace, at the end of the file; runs of blank lines stay one.
TEST(Format, KeepsCommentsAndBlankLines) {
  std::string source =
      "# header comment\n"
      "# second line\n"
      "\n"
      "\n"
      "import   m   # why m\n"
      "let x=1 # one\n"
      "\n"
      "let y=\"# not a comment\"\n"
      "# about f\n"
      "fn f(a:i64)->i64{\n"
      "      # inside, first\n"
      "  let b=a*2   # doubled\n"
      "\n"
      "  if b>3 {   # big\n"
      "  return b\n"
      "  # before the closing brace\n"
      "  }\n"
      "  return a\n"
      "}  # after f\n"
      "fn g() {\n"
      "    # only a comment\n"
      "}\n"
      "print(x,   y)\n"
      "# trailing comment at the end\n";
  std::string want =
      "# header comment\n"
      "# second line\n"
      "\n"
      "import m  # why m\n"
      "let x = 1  # one\n"
      "\n"
      "let y = \"# not a comment\"\n"
      "\n"
      "# about f\n"
      "fn f(a: i64) -> i64 {\n"
      "    # inside, first\n"
      "    let b = a * 2  # doubled\n"
      "\n"
      "    if b > 3 {\n"
      "        # big\n"
      "        return b\n"
      "        # before the closing brace\n"
      "    }\n"
      "    return a\n"
      "}  # after f\n"
      "\n"
      "fn g() {\n"
      "    # only a comment\n"
      "}\n"
      "\n"
      "print(x, y)\n"
      "# trailing comment at the end\n";
  std::string got = fmt_kept(source);
  EXPECT_EQ(got, want);
  EXPECT_EQ(fmt_kept(got), got) << "formatting with comments is not idempotent";
  // Every comment of the source is in the output exactly once.
  for (const char* c : {"# header comment", "# why m", "# one", "# about f", "# inside, first",
                        "# doubled", "# big", "# before the closing brace", "# after f",
                        "# only a comment", "# trailing comment at the end"}) {
    std::size_t at = got.find(c);
    EXPECT_NE(at, std::string::npos) << c;
    EXPECT_EQ(got.find(c, at + 1), std::string::npos) << c;
  }
  // The tree is unchanged, and without the source the printer is as before (no comments).
  EXPECT_EQ(fmt(got), fmt(source));
  EXPECT_EQ(fmt_kept("let a = 1\r\n# crlf comment\r\nlet b = 2\r\n"),
            "let a = 1\n# crlf comment\nlet b = 2\n");
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
