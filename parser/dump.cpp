// A span-free S-expression of the parse tree, for tests: two trees dump equal exactly when they
// are equal field by field, spans aside. Optional fields that are absent are left out; each
// present one is tagged, so the dump stays unambiguous:
//   (binary (name a) (+ (int 1)) (- (name b)))
//   (let var destructure (names k s) (type (named f64 1)) (postfix (name f) (call (arg (name x)))))
// A program dumps as one statement per line.
#include <cstdio>
#include <string>

#include "parser/ast_visit.hpp"
#include "parser/parse.hpp"

namespace kestrel::parser {

namespace {

class Dumper {
 public:
  std::string take() { return std::move(out_); }

  void program(const ast::Program& p) {
    for (const ast::Stmt& s : p.stmts) {
      stmt(s);
      out_ += '\n';
    }
  }

  void expr(const ast::Expr& e) {
    ast::visit_ast<void>(e, [this](const auto& node) { expr_node(node); });
  }

 private:
  void open(const char* tag) {
    out_ += '(';
    out_ += tag;
  }
  void close() { out_ += ')'; }
  void word(const std::string& w) {
    out_ += ' ';
    out_ += w;
  }
  void word(const char* w) {
    out_ += ' ';
    out_ += w;
  }
  /// A separator, then a subtree.
  void sub_expr(const ast::Expr& e) {
    out_ += ' ';
    expr(e);
  }

  // ---- expressions ---------------------------------------------------------------------------

  void expr_node(const ast::Name& n) {
    open("name");
    word(n.name);
    close();
  }
  void expr_node(const ast::IntLit& n) {
    open("int");
    word(n.text);
    close();
  }
  void expr_node(const ast::FloatLit& n) {
    open("float");
    word(n.text);
    close();
  }
  void expr_node(const ast::BoolLit& n) {
    open("bool");
    word(n.value ? "true" : "false");
    close();
  }
  void expr_node(const ast::StrLit& n) {
    open("str");
    out_ += " \"";
    for (char c : n.value) {
      auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (u < 0x20 || u >= 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", u);
        out_ += buf;
      } else {
        out_ += c;
      }
    }
    out_ += '"';
    close();
  }

  void expr_node(const ast::Paren& n) {
    open("paren");
    sub_expr(n.inner);
    close();
  }

  void expr_node(const ast::TupleLit& n) {
    open("tuple");
    for (const ast::Expr& e : n.elems) {
      sub_expr(e);
    }
    close();
  }

  void expr_node(const ast::ArrayLit& n) {
    open("array");
    for (const ast::Expr& e : n.elems) {
      sub_expr(e);
    }
    close();
  }

  void expr_node(const ast::Unary& n) {
    open("unary");
    for (ast::UnOp op : n.ops) {
      word(ast::spelling(op));
    }
    sub_expr(n.operand);
    close();
  }

  void expr_node(const ast::Binary& n) {
    open("binary");
    sub_expr(n.first);
    for (const ast::BinaryRest& r : n.rest) {
      out_ += ' ';
      open(ast::spelling(r.op));
      sub_expr(r.rhs);
      close();
    }
    close();
  }

  void expr_node(const ast::Postfix& n) {
    open("postfix");
    sub_expr(n.primary);
    for (const ast::Suffix& s : n.suffixes) {
      out_ += ' ';
      ast::visit_ast<void>(s, [this](const auto& node) { suffix(node); });
    }
    close();
  }

  void suffix(const ast::CallSuffix& s) {
    open("call");
    for (const ast::Arg& a : s.args) {
      out_ += ' ';
      if (a.keyword) {
        open("kwarg");
        word(*a.keyword);
      } else {
        open("arg");
      }
      sub_expr(a.value);
      close();
    }
    close();
  }

  void suffix(const ast::IndexSuffix& s) {
    open("index");
    for (const ast::Subscript& item : s.items) {
      out_ += ' ';
      ast::visit_ast<void>(item, [this](const auto& node) { subscript(node); });
    }
    close();
  }

  void suffix(const ast::AttrSuffix& s) {
    open("attr");
    word(s.name);
    close();
  }

  void subscript(const ast::Expr& e) { expr(e); }
  void subscript(const ast::Slice& s) {
    open("slice");
    if (s.lo) {
      sub_expr(*s.lo);
    } else {
      word("_");
    }
    if (s.hi) {
      sub_expr(*s.hi);
    } else {
      word("_");
    }
    if (s.step) {
      sub_expr(*s.step);
    }
    close();
  }

  // ---- types ---------------------------------------------------------------------------------

  void type(const ast::Type& t) {
    ast::visit_ast<void>(t, [this](const auto& node) { type_node(node); });
  }

  void type_node(const ast::NamedType& t) {
    open("named");
    word(t.name);
    word(std::to_string(t.rank));
    close();
  }

  void type_node(const ast::TupleType& t) {
    open("tuple-type");
    for (const ast::Type& e : t.elems) {
      out_ += ' ';
      type(e);
    }
    close();
  }

  // ---- statements ----------------------------------------------------------------------------

  void stmt(const ast::Stmt& s) {
    ast::visit_ast<void>(s, [this](const auto& node) { stmt_node(node); });
  }

  void block(const ast::Block& b) {
    open("block");
    for (const ast::Stmt& s : b.stmts) {
      out_ += ' ';
      stmt(s);
    }
    close();
  }

  void stmt_node(const ast::LetStmt& s) {
    open("let");
    if (s.is_var) {
      word("var");
    }
    if (s.destructure) {
      word("destructure");
    }
    out_ += ' ';
    open("names");
    for (const ast::Ident& n : s.names) {
      word(n.name);
    }
    close();
    if (s.type) {
      out_ += ' ';
      open("type");
      out_ += ' ';
      type(*s.type);
      close();
    }
    sub_expr(s.value);
    close();
  }

  void stmt_node(const ast::AssignStmt& s) {
    open("assign");
    word(ast::spelling(s.op));
    sub_expr(s.target);
    sub_expr(s.value);
    close();
  }

  void stmt_node(const ast::ExprStmt& s) {
    open("expr");
    sub_expr(s.expr);
    close();
  }

  void stmt_node(const ast::IfStmt& s) {
    open("if");
    sub_expr(s.cond);
    out_ += ' ';
    block(s.then_body);
    for (const ast::ElseIf& e : s.else_ifs) {
      out_ += ' ';
      open("elif");
      sub_expr(e.cond);
      out_ += ' ';
      block(e.body);
      close();
    }
    if (s.else_body) {
      out_ += ' ';
      open("else");
      out_ += ' ';
      block(*s.else_body);
      close();
    }
    close();
  }

  void stmt_node(const ast::WhileStmt& s) {
    open("while");
    sub_expr(s.cond);
    out_ += ' ';
    block(s.body);
    close();
  }

  void stmt_node(const ast::ForStmt& s) {
    open("for");
    if (s.parallel) {
      word("parallel");
    }
    word(s.var.name);
    sub_expr(s.lo);
    if (!s.each) {
      sub_expr(s.hi);
    }
    if (s.step) {
      out_ += ' ';
      open("by");
      sub_expr(*s.step);
      close();
    }
    out_ += ' ';
    block(s.body);
    close();
  }

  void stmt_node(const ast::BreakStmt&) { out_ += "(break)"; }
  void stmt_node(const ast::ContinueStmt&) { out_ += "(continue)"; }

  void stmt_node(const ast::ReturnStmt& s) {
    open("return");
    if (s.value) {
      sub_expr(*s.value);
    }
    close();
  }

  void stmt_node(const ast::ImportStmt& s) {
    open("import");
    word(s.module.name);
    close();
  }

  void stmt_node(const ast::FnDef& s) {
    open(s.is_kernel ? "kernel" : "fn");
    for (const ast::Decorator& d : s.decorators) {
      word("@" + d.name);
    }
    word(s.name.name);
    out_ += ' ';
    open("params");
    for (const ast::Param& p : s.params) {
      out_ += ' ';
      open("param");
      word(p.name.name);
      out_ += ' ';
      type(p.type);
      close();
    }
    close();
    if (s.ret) {
      out_ += ' ';
      open("ret");
      out_ += ' ';
      type(*s.ret);
      close();
    }
    out_ += ' ';
    block(s.body);
    close();
  }

  std::string out_;
};

}  // namespace

std::string dump_program(const ast::Program& program) {
  Dumper d;
  d.program(program);
  return d.take();
}

std::string dump_expr(const ast::Expr& expr) {
  Dumper d;
  d.expr(expr);
  return d.take();
}

}  // namespace kestrel::parser
