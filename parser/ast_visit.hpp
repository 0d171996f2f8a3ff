#pragma once
// Small helpers for reading the X3 parse tree: visiting its variants with a lambda that sees
// through forward_ast, and testing for one alternative.
#include <boost/variant/get.hpp>
#include <type_traits>

#include "parser/ast.hpp"

namespace kestrel::parser::ast {

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
    std::is_same_v<T, Paren> || std::is_same_v<T, TupleLit> || std::is_same_v<T, ArrayLit> ||
    std::is_same_v<T, Unary> || std::is_same_v<T, Binary> || std::is_same_v<T, Postfix> ||
    std::is_same_v<T, TupleType> || std::is_same_v<T, IfStmt> || std::is_same_v<T, WhileStmt> ||
    std::is_same_v<T, ForStmt> || std::is_same_v<T, FnDef>;

/// The alternative T of an X3 variant, or null.
template <class T, class V>
auto* ast_if(V& v) {
  if constexpr (kForwarded<T>) {
    auto* f = boost::get<boost::spirit::x3::forward_ast<T>>(&v.get());
    return f ? &f->get() : nullptr;
  } else {
    return boost::get<T>(&v.get());
  }
}

}  // namespace kestrel::parser::ast
