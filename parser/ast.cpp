#include "parser/ast.hpp"

#include "parser/ast_visit.hpp"

namespace kestrel::parser::ast {

Prec precedence(BinOp op) {
  switch (op) {
    case BinOp::Or:
      return Prec::Or;
    case BinOp::And:
      return Prec::And;
    case BinOp::Eq:
    case BinOp::Ne:
    case BinOp::Lt:
    case BinOp::Le:
    case BinOp::Gt:
    case BinOp::Ge:
      return Prec::Compare;
    case BinOp::BitOr:
      return Prec::BitOr;
    case BinOp::BitXor:
      return Prec::BitXor;
    case BinOp::BitAnd:
      return Prec::BitAnd;
    case BinOp::Shl:
    case BinOp::Shr:
      return Prec::Shift;
    case BinOp::Add:
    case BinOp::Sub:
      return Prec::Add;
    case BinOp::Mul:
    case BinOp::Div:
    case BinOp::FloorDiv:
    case BinOp::Mod:
    case BinOp::MatMul:
      return Prec::Mul;
    case BinOp::Pow:
      return Prec::Pow;
  }
  return Prec::Or;
}

const char* spelling(BinOp op) {
  switch (op) {
    case BinOp::Or:
      return "or";
    case BinOp::And:
      return "and";
    case BinOp::Eq:
      return "==";
    case BinOp::Ne:
      return "!=";
    case BinOp::Lt:
      return "<";
    case BinOp::Le:
      return "<=";
    case BinOp::Gt:
      return ">";
    case BinOp::Ge:
      return ">=";
    case BinOp::BitOr:
      return "|";
    case BinOp::BitXor:
      return "^";
    case BinOp::BitAnd:
      return "&";
    case BinOp::Shl:
      return "<<";
    case BinOp::Shr:
      return ">>";
    case BinOp::Add:
      return "+";
    case BinOp::Sub:
      return "-";
    case BinOp::Mul:
      return "*";
    case BinOp::Div:
      return "/";
    case BinOp::FloorDiv:
      return "//";
    case BinOp::Mod:
      return "%";
    case BinOp::MatMul:
      return "@";
    case BinOp::Pow:
      return "**";
  }
  return "?";
}

const char* spelling(UnOp op) {
  switch (op) {
    case UnOp::Neg:
      return "-";
    case UnOp::Pos:
      return "+";
    case UnOp::Not:
      return "not";
    case UnOp::BitNot:
      return "~";
  }
  return "?";
}

const char* spelling(AssignOp op) {
  switch (op) {
    case AssignOp::Set:
      return "=";
    case AssignOp::Add:
      return "+=";
    case AssignOp::Sub:
      return "-=";
    case AssignOp::Mul:
      return "*=";
    case AssignOp::Div:
      return "/=";
  }
  return "?";
}

Node span_of(const Expr& e) {
  return visit_ast<Node>(e, [](const auto& node) -> Node { return node; });
}
Node span_of(const Stmt& s) {
  return visit_ast<Node>(s, [](const auto& node) -> Node { return node; });
}
Node span_of(const Type& t) {
  return visit_ast<Node>(t, [](const auto& node) -> Node { return node; });
}

}  // namespace kestrel::parser::ast
