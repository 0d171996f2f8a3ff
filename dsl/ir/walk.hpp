#pragma once
// Visits the direct sub-expressions of an expression node, in evaluation order.
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
                     for (ExprId id : {d.index, d.lo, d.hi}) {
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

}  // namespace kestrel::ir
