// Every node carries its source span: for every program in the tree, each node's span lies
// inside the file and inside its parent's span, and covers at least one byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parser/ast_visit.hpp"
#include "tests/parser/corpus.hpp"
#include "tests/parser/parse_helpers.hpp"

namespace kestrel::parser::testing {
namespace {

/// Walks a tree and records every node whose span is empty, out of the file or outside its
/// parent's span.
class SpanChecker {
 public:
  explicit SpanChecker(std::size_t size) : parent_{{0, static_cast<std::uint32_t>(size)}} {}

  const std::vector<std::string>& problems() const { return problems_; }

  void program(const ast::Program& p) {
    for (const ast::Stmt& s : p.stmts) {
      stmt(s);
    }
  }

 private:
  /// Checks `n` against its parent, then walks its children with `n` as their parent.
  template <class F>
  void node(const char* kind, const ast::Node& n, F&& children) {
    const ast::Node& parent = parent_.back();
    if (n.begin >= n.end || n.begin < parent.begin || n.end > parent.end) {
      problems_.push_back(std::string(kind) + " " + std::to_string(n.begin) + ".." +
                          std::to_string(n.end) + " (parent " + std::to_string(parent.begin) +
                          ".." + std::to_string(parent.end) + ")");
    }
    parent_.push_back(n);
    children();
    parent_.pop_back();
  }

  void expr(const ast::Expr& e) {
    ast::visit_ast<void>(e, [this](const auto& n) { expr_node(n); });
  }
  void expr_node(const ast::Name& n) {
    node("Name", n, [] {});
  }
  void expr_node(const ast::IntLit& n) {
    node("IntLit", n, [] {});
  }
  void expr_node(const ast::FloatLit& n) {
    node("FloatLit", n, [] {});
  }
  void expr_node(const ast::BoolLit& n) {
    node("BoolLit", n, [] {});
  }
  void expr_node(const ast::StrLit& n) {
    node("StrLit", n, [] {});
  }
  void expr_node(const ast::Paren& n) {
    node("Paren", n, [&] { expr(n.inner); });
  }
  void expr_node(const ast::TupleLit& n) {
    node("TupleLit", n, [&] {
      for (const ast::Expr& e : n.elems) {
        expr(e);
      }
    });
  }
  void expr_node(const ast::ArrayLit& n) {
    node("ArrayLit", n, [&] {
      for (const ast::Expr& e : n.elems) {
        expr(e);
      }
    });
  }
  void expr_node(const ast::Unary& n) {
    node("Unary", n, [&] { expr(n.operand); });
  }
  void expr_node(const ast::Binary& n) {
    node("Binary", n, [&] {
      expr(n.first);
      for (const ast::BinaryRest& r : n.rest) {
        node("BinaryRest", r, [&] { expr(r.rhs); });
      }
    });
  }
  void expr_node(const ast::Postfix& n) {
    node("Postfix", n, [&] {
      expr(n.primary);
      for (const ast::Suffix& s : n.suffixes) {
        ast::visit_ast<void>(s, [this](const auto& x) { suffix(x); });
      }
    });
  }
  void suffix(const ast::CallSuffix& s) {
    node("CallSuffix", s, [&] {
      for (const ast::Arg& a : s.args) {
        node("Arg", a, [&] { expr(a.value); });
      }
    });
  }
  void suffix(const ast::IndexSuffix& s) {
    node("IndexSuffix", s, [&] {
      for (const ast::Subscript& item : s.items) {
        ast::visit_ast<void>(item, [this](const auto& x) { subscript(x); });
      }
    });
  }
  void suffix(const ast::AttrSuffix& s) {
    node("AttrSuffix", s, [] {});
  }
  void subscript(const ast::Expr& e) { expr(e); }
  void subscript(const ast::Slice& s) {
    node("Slice", s, [&] {
      if (s.lo) {
        expr(*s.lo);
      }
      if (s.hi) {
        expr(*s.hi);
      }
    });
  }

  void type(const ast::Type& t) {
    ast::visit_ast<void>(t, [this](const auto& n) { type_node(n); });
  }
  void type_node(const ast::NamedType& t) {
    node("NamedType", t, [] {});
  }
  void type_node(const ast::TupleType& t) {
    node("TupleType", t, [&] {
      for (const ast::Type& e : t.elems) {
        type(e);
      }
    });
  }

  void stmt(const ast::Stmt& s) {
    ast::visit_ast<void>(s, [this](const auto& n) { stmt_node(n); });
  }
  void block(const ast::Block& b) {
    node("Block", b, [&] {
      for (const ast::Stmt& s : b.stmts) {
        stmt(s);
      }
    });
  }
  void ident(const ast::Ident& i) {
    node("Ident", i, [] {});
  }
  void stmt_node(const ast::LetStmt& s) {
    node("LetStmt", s, [&] {
      for (const ast::Ident& i : s.names) {
        ident(i);
      }
      if (s.type) {
        type(*s.type);
      }
      expr(s.value);
    });
  }
  void stmt_node(const ast::AssignStmt& s) {
    node("AssignStmt", s, [&] {
      expr(s.target);
      expr(s.value);
    });
  }
  void stmt_node(const ast::ExprStmt& s) {
    node("ExprStmt", s, [&] { expr(s.expr); });
  }
  void stmt_node(const ast::IfStmt& s) {
    node("IfStmt", s, [&] {
      expr(s.cond);
      block(s.then_body);
      for (const ast::ElseIf& e : s.else_ifs) {
        node("ElseIf", e, [&] {
          expr(e.cond);
          block(e.body);
        });
      }
      if (s.else_body) {
        block(*s.else_body);
      }
    });
  }
  void stmt_node(const ast::WhileStmt& s) {
    node("WhileStmt", s, [&] {
      expr(s.cond);
      block(s.body);
    });
  }
  void stmt_node(const ast::ForStmt& s) {
    node("ForStmt", s, [&] {
      ident(s.var);
      expr(s.lo);
      if (!s.each) {
        expr(s.hi);
      }
      if (s.step) {
        expr(*s.step);
      }
      block(s.body);
    });
  }
  void stmt_node(const ast::BreakStmt& s) {
    node("BreakStmt", s, [] {});
  }
  void stmt_node(const ast::ContinueStmt& s) {
    node("ContinueStmt", s, [] {});
  }
  void stmt_node(const ast::ReturnStmt& s) {
    node("ReturnStmt", s, [&] {
      if (s.value) {
        expr(*s.value);
      }
    });
  }
  void stmt_node(const ast::ImportStmt& s) {
    node("ImportStmt", s, [&] { ident(s.module); });
  }
  void stmt_node(const ast::FnDef& s) {
    node("FnDef", s, [&] {
      for (const ast::Decorator& d : s.decorators) {
        node("Decorator", d, [] {});
      }
      ident(s.name);
      for (const ast::Param& p : s.params) {
        node("Param", p, [&] {
          ident(p.name);
          type(p.type);
        });
      }
      if (s.ret) {
        type(*s.ret);
      }
      block(s.body);
    });
  }

  std::vector<ast::Node> parent_;
  std::vector<std::string> problems_;
};

std::vector<std::string> span_problems(const std::string& text) {
  Parsed p;
  parse_into(p, text);
  if (!p.program) {
    return {"does not parse: " + diag::render(p.sources, p.diags)};
  }
  SpanChecker checker(text.size());
  checker.program(*p.program);
  return checker.problems();
}

TEST(Spans, EveryNodeOfEveryProgramHasASpanInsideItsParent) {
  int checked = 0;
  for (const CorpusFile& file : load_corpus()) {
    Parsed p;
    parse_into(p, file.text, file.path);
    if (!p.program) {
      continue;  // RoundTrip reports programs that should parse and do not
    }
    SpanChecker checker(file.text.size());
    checker.program(*p.program);
    const std::vector<std::string>& problems = checker.problems();
    std::string first;
    for (std::size_t i = 0; i < problems.size() && i < 5; ++i) {
      first += "  " + problems[i] + "\n";
    }
    EXPECT_TRUE(problems.empty()) << file.path << ": " << problems.size()
                                  << " nodes with bad spans, the first ones:\n"
                                  << first;
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST(Spans, OfEachKindOfNode) {
  using Problems = std::vector<std::string>;
  EXPECT_EQ(span_problems("let x = sqrt(2.0, axis=3)"), Problems{});
  EXPECT_EQ(span_problems("let y = (a) + (b, c)[0:1, :].T"), Problems{});
  EXPECT_EQ(span_problems("let (k, s): (i64, f64) = -f(x) ** 2"), Problems{});
  EXPECT_EQ(span_problems("@unchecked fn f(a: f64[:]) -> f64 { return a[0] }"), Problems{});
  EXPECT_EQ(span_problems("if a { b = 1 } else if c { d += 2 } else { break }"), Problems{});
  EXPECT_EQ(span_problems("parallel for i in 0..n by 2 { continue }\nwhile x {}\nimport m"),
            Problems{});
  EXPECT_EQ(span_problems("print(\"s\", true, 1.5, [1, 2], not x)"), Problems{});
}

TEST(Spans, PointAtTheRightText) {
  const std::string text = "let x = foo(1, 22)";
  Parsed p;
  parse_into(p, text);
  ASSERT_TRUE(p.program.has_value());
  const auto& let = boost::get<ast::LetStmt>(p.program->stmts.at(0).get());
  ast::Node call = ast::span_of(let.value);
  EXPECT_EQ(text.substr(call.begin, call.end - call.begin), "foo(1, 22)");
  const auto& postfix = boost::get<ast::x3::forward_ast<ast::Postfix>>(let.value.get()).get();
  const auto& suffix = boost::get<ast::CallSuffix>(postfix.suffixes.at(0).get());
  EXPECT_EQ(text.substr(suffix.begin, suffix.end - suffix.begin), "(1, 22)");
  ASSERT_EQ(suffix.args.size(), 2u);
  EXPECT_EQ(text.substr(suffix.args[1].begin, suffix.args[1].end - suffix.args[1].begin), "22");
}

}  // namespace
}  // namespace kestrel::parser::testing
