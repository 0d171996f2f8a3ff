// The canonical printer behind `kestrel fmt`: 4-space indent, one statement per line, single
// spaces around every binary operator (`**` included), prefix operators attached (`-x`) except
// `not x`. Parsing its output gives the same tree (tests/parser checks this for every program).
// The printer never adds or removes parentheses: a Paren node prints as one pair, and nothing
// else does. Comments are not part of the parse tree: given the source text, the printer puts
// them back from it, each once. A comment on a line of its own stays on a line of its own,
// before the statement (or the closing '}') that follows it, at that statement's indent; a
// comment after code on a line follows that statement (two spaces, then the comment); a blank
// line (or several) between statements or comments stays one blank line.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "parser/ast_visit.hpp"
#include "parser/parse.hpp"

namespace kestrel::parser {

namespace {

/// A comment in the source: [begin, end) holds '#' up to the end of its line.
struct Comment {
  std::uint32_t begin;
  std::uint32_t end;
};

/// Every comment in `text`, in order (a '#' inside a string literal starts none).
std::vector<Comment> comments_of(std::string_view text) {
  std::vector<Comment> out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') {
      // A string ends at its closing quote or, unterminated, at the end of the line.
      for (++i; i < text.size() && text[i] != '"' && text[i] != '\n'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
          ++i;
        }
      }
    } else if (text[i] == '#') {
      std::size_t end = text.find('\n', i);
      end = end == std::string_view::npos ? text.size() : end;
      std::size_t last = end;
      while (last > i &&
             (text[last - 1] == '\r' || text[last - 1] == ' ' || text[last - 1] == '\t')) {
        --last;
      }
      out.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(last)});
      i = end;
    }
  }
  return out;
}

class Formatter {
 public:
  Formatter() = default;
  explicit Formatter(std::string_view source) : src_(source), comments_(comments_of(source)) {}

  std::string take() { return std::move(out_); }

  void program(const ast::Program& p) {
    for (std::size_t i = 0; i < p.stmts.size(); ++i) {
      if (i > 0 && (is_definition(p.stmts[i - 1]) || is_definition(p.stmts[i]))) {
        blank_ = true;
      }
      stmt(p.stmts[i], 0);
    }
    comments_before(static_cast<std::uint32_t>(src_.size()), 0);
  }

  void expr(const ast::Expr& e) {
    ast::visit_ast<void>(e, [this](const auto& node) { expr_node(node); });
  }

  void type(const ast::Type& t) {
    ast::visit_ast<void>(t, [this](const auto& node) { type_node(node); });
  }

 private:
  static bool is_definition(const ast::Stmt& s) {
    return boost::get<ast::x3::forward_ast<ast::FnDef>>(&s.get()) != nullptr;
  }

  // ---- expressions ---------------------------------------------------------------------------

  void expr_node(const ast::Name& n) { out_ += n.name; }
  void expr_node(const ast::IntLit& n) { out_ += n.text; }
  void expr_node(const ast::FloatLit& n) { out_ += n.text; }
  void expr_node(const ast::BoolLit& n) { out_ += n.value ? "true" : "false"; }
  void expr_node(const ast::StrLit& n) { string_literal(n.value); }

  void expr_node(const ast::Paren& n) {
    out_ += '(';
    expr(n.inner);
    out_ += ')';
  }

  void expr_node(const ast::TupleLit& n) {
    out_ += '(';
    expr_list(n.elems);
    out_ += ')';
  }

  void expr_node(const ast::ArrayLit& n) {
    out_ += '[';
    expr_list(n.elems);
    out_ += ']';
  }

  void expr_node(const ast::Unary& n) {
    for (ast::UnOp op : n.ops) {
      out_ += ast::spelling(op);
      if (op == ast::UnOp::Not) {
        out_ += ' ';
      }
    }
    expr(n.operand);
  }

  void expr_node(const ast::Binary& n) {
    expr(n.first);
    for (const ast::BinaryRest& r : n.rest) {
      out_ += ' ';
      out_ += ast::spelling(r.op);
      out_ += ' ';
      expr(r.rhs);
    }
  }

  void expr_node(const ast::Postfix& n) {
    expr(n.primary);
    for (const ast::Suffix& s : n.suffixes) {
      ast::visit_ast<void>(s, [this](const auto& node) { suffix(node); });
    }
  }

  void suffix(const ast::CallSuffix& s) {
    out_ += '(';
    for (std::size_t i = 0; i < s.args.size(); ++i) {
      if (i > 0) {
        out_ += ", ";
      }
      if (s.args[i].keyword) {
        out_ += *s.args[i].keyword;
        out_ += '=';
      }
      expr(s.args[i].value);
    }
    out_ += ')';
  }

  void suffix(const ast::IndexSuffix& s) {
    out_ += '[';
    for (std::size_t i = 0; i < s.items.size(); ++i) {
      if (i > 0) {
        out_ += ", ";
      }
      ast::visit_ast<void>(s.items[i], [this](const auto& node) { subscript(node); });
    }
    out_ += ']';
  }

  void suffix(const ast::AttrSuffix& s) {
    out_ += '.';
    out_ += s.name;
  }

  void subscript(const ast::Expr& e) { expr(e); }
  void subscript(const ast::Slice& s) {
    if (s.lo) {
      expr(*s.lo);
    }
    out_ += ':';
    if (s.hi) {
      expr(*s.hi);
    }
    if (s.step) {
      out_ += ':';
      expr(*s.step);
    }
  }

  void expr_list(const std::vector<ast::Expr>& elems) {
    for (std::size_t i = 0; i < elems.size(); ++i) {
      if (i > 0) {
        out_ += ", ";
      }
      expr(elems[i]);
    }
  }

  /// Re-escapes with the escapes the grammar reads (\" \\ \n \t \r \0); other bytes are raw.
  void string_literal(const std::string& value) {
    out_ += '"';
    for (char c : value) {
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\t':
          out_ += "\\t";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\0':
          out_ += "\\0";
          break;
        default:
          out_ += c;
      }
    }
    out_ += '"';
  }

  // ---- types ---------------------------------------------------------------------------------

  void type_node(const ast::NamedType& t) {
    out_ += t.name;
    if (t.rank > 0) {
      out_ += '[';
      for (int i = 0; i < t.rank; ++i) {
        out_ += i == 0 ? ":" : ",:";
      }
      out_ += ']';
    }
  }

  void type_node(const ast::TupleType& t) {
    out_ += '(';
    for (std::size_t i = 0; i < t.elems.size(); ++i) {
      if (i > 0) {
        out_ += ", ";
      }
      type(t.elems[i]);
    }
    out_ += ')';
  }

  // ---- statements ----------------------------------------------------------------------------

  void stmt(const ast::Stmt& s, int depth) {
    ast::Node span = ast::span_of(s);
    comments_before(span.begin, depth);
    line_start(span.begin);
    indent(depth);
    ast::visit_ast<void>(s, [this, depth](const auto& node) { stmt_node(node, depth); });
    // Comments inside the statement that no block took (in a condition, between `}` and
    // `else`), then one after it on its last line: all follow it on its line.
    while (next_ < comments_.size() &&
           (comments_[next_].begin < span.end ||
            src_.substr(span.end, comments_[next_].begin - span.end).find('\n') ==
                std::string_view::npos)) {
      out_ += "  ";
      out_ += comment_text(comments_[next_]);
      last_end_ = comments_[next_].end;
      ++next_;
    }
    last_end_ = std::max(last_end_, span.end);
    out_ += '\n';
  }

  void indent(int depth) { out_.append(static_cast<std::size_t>(depth) * 4, ' '); }

  /// `{}` when empty, else the statements one level deeper and `}` at this level.
  void block(const ast::Block& b, int depth) {
    // The closing brace: the block's last byte when its span ends at it.
    std::uint32_t close = b.end > b.begin ? b.end - 1 : b.end;
    bool inner_comments = next_ < comments_.size() && comments_[next_].begin < close;
    if (b.stmts.empty() && !inner_comments) {
      out_ += "{}";
      return;
    }
    out_ += "{\n";
    blank_ = false;
    last_end_ = std::max(last_end_, b.begin + 1);
    for (const ast::Stmt& s : b.stmts) {
      stmt(s, depth + 1);
    }
    comments_before(close, depth + 1);
    indent(depth);
    out_ += '}';
  }

  std::string_view comment_text(const Comment& c) const {
    return src_.substr(c.begin, c.end - c.begin);
  }

  /// Whether the source between `from` and `to` holds a blank line.
  bool blank_between(std::uint32_t from, std::uint32_t to) const {
    if (to <= from || to > src_.size()) {
      return false;
    }
    std::string_view gap = src_.substr(from, to - from);
    std::size_t nl = gap.find('\n');
    while (nl != std::string_view::npos) {
      std::size_t next = gap.find('\n', nl + 1);
      if (next == std::string_view::npos) {
        break;
      }
      if (gap.substr(nl + 1, next - nl - 1).find_first_not_of(" \t\r") == std::string_view::npos) {
        return true;
      }
      nl = next;
    }
    return false;
  }

  /// Before an item (a statement or a comment) that starts at `begin` in the source: one blank
  /// line when one is due (the source had one, or a definition asks for one), never at the
  /// start of the file or of a block.
  void line_start(std::uint32_t begin) {
    bool blank = blank_ || (!src_.empty() && blank_between(last_end_, begin));
    blank_ = false;
    if (blank && !out_.empty() && !out_.ends_with("{\n") && !out_.ends_with("\n\n")) {
      out_ += '\n';
    }
  }

  /// Prints, each on a line of its own at `depth`, the comments not yet printed that start
  /// before `begin`.
  void comments_before(std::uint32_t begin, int depth) {
    while (next_ < comments_.size() && comments_[next_].begin < begin) {
      line_start(comments_[next_].begin);
      indent(depth);
      out_ += comment_text(comments_[next_]);
      out_ += '\n';
      last_end_ = comments_[next_].end;
      ++next_;
    }
  }

  void stmt_node(const ast::LetStmt& s, int /*depth*/) {
    out_ += s.is_var ? "var " : "let ";
    if (s.destructure) {
      out_ += '(';
    }
    for (std::size_t i = 0; i < s.names.size(); ++i) {
      if (i > 0) {
        out_ += ", ";
      }
      out_ += s.names[i].name;
    }
    if (s.destructure) {
      out_ += ')';
    }
    if (s.type) {
      out_ += ": ";
      type(*s.type);
    }
    out_ += " = ";
    expr(s.value);
  }

  void stmt_node(const ast::AssignStmt& s, int /*depth*/) {
    expr(s.target);
    out_ += ' ';
    out_ += ast::spelling(s.op);
    out_ += ' ';
    expr(s.value);
  }

  void stmt_node(const ast::ExprStmt& s, int /*depth*/) { expr(s.expr); }

  void stmt_node(const ast::IfStmt& s, int depth) {
    out_ += "if ";
    expr(s.cond);
    out_ += ' ';
    block(s.then_body, depth);
    for (const ast::ElseIf& e : s.else_ifs) {
      out_ += " else if ";
      expr(e.cond);
      out_ += ' ';
      block(e.body, depth);
    }
    if (s.else_body) {
      out_ += " else ";
      block(*s.else_body, depth);
    }
  }

  void stmt_node(const ast::WhileStmt& s, int depth) {
    out_ += "while ";
    expr(s.cond);
    out_ += ' ';
    block(s.body, depth);
  }

  void stmt_node(const ast::ForStmt& s, int depth) {
    out_ += s.parallel ? "parallel for " : "for ";
    out_ += s.var.name;
    out_ += " in ";
    expr(s.lo);
    if (!s.each) {
      out_ += "..";
      expr(s.hi);
    }
    if (s.step) {
      out_ += " by ";
      expr(*s.step);
    }
    out_ += ' ';
    block(s.body, depth);
  }

  void stmt_node(const ast::BreakStmt&, int /*depth*/) { out_ += "break"; }
  void stmt_node(const ast::ContinueStmt&, int /*depth*/) { out_ += "continue"; }

  void stmt_node(const ast::ReturnStmt& s, int /*depth*/) {
    out_ += "return";
    if (s.value) {
      out_ += ' ';
      expr(*s.value);
    }
  }

  void stmt_node(const ast::ImportStmt& s, int /*depth*/) {
    out_ += "import ";
    out_ += s.module.name;
  }

  void stmt_node(const ast::FnDef& s, int depth) {
    for (const ast::Decorator& d : s.decorators) {
      out_ += '@';
      out_ += d.name;
      out_ += '\n';
      indent(depth);
    }
    out_ += s.is_kernel ? "kernel " : "fn ";
    out_ += s.name.name;
    out_ += '(';
    for (std::size_t i = 0; i < s.params.size(); ++i) {
      if (i > 0) {
        out_ += ", ";
      }
      out_ += s.params[i].name.name;
      out_ += ": ";
      type(s.params[i].type);
    }
    out_ += ')';
    if (s.ret) {
      out_ += " -> ";
      type(*s.ret);
    }
    out_ += ' ';
    block(s.body, depth);
  }

  std::string out_;
  std::string_view src_;           // the source, for its comments and blank lines (or empty)
  std::vector<Comment> comments_;  // the source's comments
  std::size_t next_ = 0;           // the first comment not yet printed
  std::uint32_t last_end_ = 0;     // where the last item printed ends in the source
  bool blank_ = false;             // a blank line is due before the next item
};

}  // namespace

std::string format_program(const ast::Program& program, std::string_view source) {
  Formatter f(source);
  f.program(program);
  return f.take();
}

std::string format_expr(const ast::Expr& expr) {
  Formatter f;
  f.expr(expr);
  return f.take();
}

std::string format_type(const ast::Type& type) {
  Formatter f;
  f.type(type);
  return f.take();
}

}  // namespace kestrel::parser
