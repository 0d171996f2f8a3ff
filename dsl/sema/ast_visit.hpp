#pragma once
// Small helpers for reading the X3 parse tree: visiting its variants with a lambda that sees
// through forward_ast, testing for one alternative, and spans.
#include <boost/variant/get.hpp>
#include <type_traits>

#include "parser/ast.hpp"

namespace kestrel::sema {

namespace ast = parser::ast;

template <class R, class F>
struct AstVisitor {
  using result_type = R;
  F& f;
  template <class T>
  R operator()(const T& x) const {
    return f(x);
  }
  template <class T>
  R operator()(const boost::spirit::x3::forward_ast<T>& x) const {
    return f(x.get());
  }
};

/// Calls `f` with the active alternative of an X3 variant (forward_ast unwrapped).
template <class R, class V, class F>
R visit_ast(const V& v, F&& f) {
  AstVisitor<R, std::remove_reference_t<F>> visitor{f};
  return v.apply_visitor(visitor);
}

/// The parse-tree nodes that the variants hold through forward_ast (recursive ones).
template <class T>
inline constexpr bool kForwarded =
    std::is_same_v<T, ast::Paren> || std::is_same_v<T, ast::TupleLit> ||
    std::is_same_v<T, ast::ArrayLit> || std::is_same_v<T, ast::Unary> ||
    std::is_same_v<T, ast::Binary> || std::is_same_v<T, ast::Postfix> ||
    std::is_same_v<T, ast::TupleType> || std::is_same_v<T, ast::IfStmt> ||
    std::is_same_v<T, ast::WhileStmt> || std::is_same_v<T, ast::ForStmt> ||
    std::is_same_v<T, ast::FnDef>;

/// The alternative T of an X3 variant, or null.
template <class T, class V>
const T* ast_if(const V& v) {
  if constexpr (kForwarded<T>) {
    const auto* f = boost::get<boost::spirit::x3::forward_ast<T>>(&v.get());
    return f ? &f->get() : nullptr;
  } else {
    return boost::get<T>(&v.get());
  }
}

/// The byte span of any expression's active alternative.
inline ast::Node expr_node(const ast::Expr& e) {
  return visit_ast<ast::Node>(e, [](const auto& x) -> ast::Node { return x; });
}
inline ast::Node stmt_node(const ast::Stmt& s) {
  return visit_ast<ast::Node>(s, [](const auto& x) -> ast::Node { return x; });
}
inline ast::Node type_node(const ast::Type& t) {
  return visit_ast<ast::Node>(t, [](const auto& x) -> ast::Node { return x; });
}

}  // namespace kestrel::sema
