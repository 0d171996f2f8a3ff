#pragma once
// Visits the direct children of an IR node in evaluation order: an expression's
// sub-expressions, a statement's sub-expressions and nested blocks. Exhaustive: a new node kind
// fails the build here until its children are listed.
#include <vector>

#include "dsl/ir/ir.hpp"

namespace kestrel::ir {

template <class F>
void for_each_child(const ExprKind& kind, F&& f) {
  auto all = [&](const std::vector<ExprId>& ids) {
    for (ExprId id : ids) {
      f(id);
    }
  };
  std::visit(overloaded{
                 [](const IntConst&) {},
                 [](const FloatConst&) {},
                 [](const BoolConst&) {},
                 [](const StrConst&) {},
                 [](const LocalRef&) {},
                 [](const ErrorExpr&) {},
                 [&](const Convert& c) { f(c.operand); },
                 [&](const Unary& u) { f(u.operand); },
                 [&](const Binary& b) {
                   f(b.lhs);
                   f(b.rhs);
                 },
                 [&](const MatMul& m) {
                   f(m.lhs);
                   f(m.rhs);
                 },
                 [&](const Call& c) { all(c.args); },
                 [&](const BuiltinCall& c) { all(c.args); },
                 [&](const Launch& l) {
                   all(l.grid);
                   all(l.args);
                 },
                 [&](const Index& i) {
                   f(i.base);
                   all(i.indices);
                 },
                 [&](const SliceView& s) {
                   f(s.base);
                   for (const SliceDim& d : s.dims) {
                     for (ExprId id : {d.index, d.lo, d.hi, d.step}) {
                       if (id.valid()) {
                         f(id);
                       }
                     }
                   }
                 },
                 [&](const Transpose& t) { f(t.base); },
                 [&](const TableColumn& c) {
                   f(c.table);
                   f(c.name);
                 },
                 [&](const TableRows& r) { f(r.table); },
                 [&](const ArrayLit& a) { all(a.elems); },
                 [&](const MakeTuple& t) { all(t.elems); },
             },
             kind);
}

/// Visits the direct children of a statement node in evaluation order: `on_expr(ExprId)` for
/// each sub-expression that is present (a `for` without `by`, a bare `return` have none there),
/// `on_block(const Block&)` for each nested block. Does not descend into either.
template <class FE, class FB>
void for_each_child(const StmtKind& kind, FE&& on_expr, FB&& on_block) {
  auto e = [&](ExprId id) {
    if (id.valid()) {
      on_expr(id);
    }
  };
  std::visit(overloaded{
                 [&](const Let& s) { e(s.init); },
                 [&](const LetTuple& s) { e(s.init); },
                 [&](const Assign& s) { e(s.value); },
                 [&](const StoreIndex& s) {
                   e(s.base);
                   for (ExprId id : s.indices) {
                     e(id);
                   }
                   e(s.value);
                 },
                 [&](const StoreView& s) {
                   e(s.target);
                   e(s.value);
                 },
                 [&](const ExprStmt& s) { e(s.expr); },
                 [&](const If& s) {
                   e(s.cond);
                   on_block(s.then_body);
                   on_block(s.else_body);
                 },
                 [&](const While& s) {
                   e(s.cond);
                   on_block(s.body);
                 },
                 [&](const For& s) {
                   e(s.lo);
                   e(s.hi);
                   e(s.step);
                   on_block(s.body);
                 },
                 [](const Break&) {},
                 [](const Continue&) {},
                 [&](const Return& s) { e(s.value); },
             },
             kind);
}

/// Whether `block` reaches a node where `expr_hit(expr)` or `stmt_hit(stmt)` holds: in its own
/// statements, or through a call or launch of a function flagged in `fns`.
template <class EH, class SH>
bool block_reaches(const Program& p, const Block& block, const std::vector<char>& fns,
                   const EH& expr_hit, const SH& stmt_hit) {
  auto expr = [&](auto& self, ExprId id) -> bool {
    const Expr& e = p.expr(id);
    if (expr_hit(e)) {
      return true;
    }
    if (const auto* c = std::get_if<Call>(&e.kind); c && fns[c->fn.v]) {
      return true;
    }
    if (const auto* l = std::get_if<Launch>(&e.kind); l && fns[l->kernel.v]) {
      return true;
    }
    bool found = false;
    for_each_child(e.kind, [&](ExprId child) { found = found || self(self, child); });
    return found;
  };
  for (StmtId id : block.stmts) {
    const Stmt& s = p.stmt(id);
    bool found = stmt_hit(s);
    for_each_child(
        s.kind, [&](ExprId x) { found = found || expr(expr, x); },
        [&](const Block& b) { found = found || block_reaches(p, b, fns, expr_hit, stmt_hit); });
    if (found) {
      return true;
    }
  }
  return false;
}

/// One flag per function (indexed by FnId): whether a call of it reaches a hit (block_reaches).
/// A fixpoint over the call graph, so recursion is handled.
template <class EH, class SH>
std::vector<char> functions_reaching(const Program& program, const EH& expr_hit,
                                     const SH& stmt_hit) {
  std::vector<char> fns(program.functions.size(), 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t f = 0; f < program.functions.size(); ++f) {
      if (!fns[f] && block_reaches(program, program.functions[f].body, fns, expr_hit, stmt_hit)) {
        fns[f] = 1;
        changed = true;
      }
    }
  }
  return fns;
}

}  // namespace kestrel::ir
