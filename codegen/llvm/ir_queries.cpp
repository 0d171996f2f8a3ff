// Pure questions about the typed IR that the LLVM lowering asks (ir_queries.hpp).
#include "codegen/llvm/ir_queries.hpp"

#include <algorithm>
#include <functional>

#include "dsl/ir/walk.hpp"

namespace kestrel::jit {

using ir::BinaryOp;
using ir::Builtin;
using ir::ExprId;

// Each is documented in ir_queries.hpp.

void assigned_locals(const ir::Program& p, const ir::Block& b, std::vector<char>& out) {
  for (ir::StmtId id : b.stmts) {
    std::visit(ir::overloaded{
                   [&](const ir::Assign& a) { out[a.local.v] = 1; },
                   [&](const ir::If& i) {
                     assigned_locals(p, i.then_body, out);
                     assigned_locals(p, i.else_body, out);
                   },
                   [&](const ir::While& w) { assigned_locals(p, w.body, out); },
                   [&](const ir::For& f) { assigned_locals(p, f.body, out); },
                   kinds<ir::Let, ir::LetTuple, ir::StoreIndex, ir::StoreView, ir::ExprStmt,
                         ir::Break, ir::Continue, ir::Return>([&]() {}),
               },
               p.stmt(id).kind);
  }
}

bool kernel_indexes_by_grid(const ir::Program& p, const ir::Function& k) {
  std::vector<char> rebound(k.locals.size(), 0);
  assigned_locals(p, k.body, rebound);
  std::vector<int> index_local(k.locals.size(), -1);  // local -> the d of its `let = index(d)`
  auto axis_of = [&](ExprId e) -> int {
    const ir::Expr& x = p.expr(e);
    if (const auto* b = std::get_if<ir::BuiltinCall>(&x.kind); b && b->builtin == Builtin::Index) {
      return std::max<int>(b->axis, 0);
    }
    if (const auto* r = std::get_if<ir::LocalRef>(&x.kind)) {
      return index_local[r->local.v];
    }
    return -1;
  };
  bool ok = true;
  auto access = [&](ExprId base, const std::vector<ExprId>& indices) {
    const auto* r = std::get_if<ir::LocalRef>(&p.expr(base).kind);
    if (r == nullptr || r->local.v >= k.param_count || rebound[r->local.v]) {
      ok = false;
      return;
    }
    for (std::size_t d = 0; d < indices.size(); ++d) {
      ok = ok && axis_of(indices[d]) == static_cast<int>(d);
    }
  };
  std::function<void(ExprId)> expr = [&](ExprId e) {
    if (const auto* ix = std::get_if<ir::Index>(&p.expr(e).kind)) {
      access(ix->base, ix->indices);
    }
    ir::for_each_child(p.expr(e).kind, expr);
  };
  std::function<void(const ir::Block&)> block = [&](const ir::Block& b) {
    for (ir::StmtId id : b.stmts) {
      std::visit(ir::overloaded{
                     [&](const ir::Let& l) {
                       expr(l.init);
                       int d = axis_of(l.init);
                       const auto* b2 = std::get_if<ir::BuiltinCall>(&p.expr(l.init).kind);
                       if (b2 != nullptr && d >= 0 && !k.locals[l.local.v].is_mutable) {
                         index_local[l.local.v] = d;
                       }
                     },
                     [&](const ir::LetTuple& l) { expr(l.init); },
                     [&](const ir::Assign& a) { expr(a.value); },
                     [&](const ir::StoreIndex& st) {
                       expr(st.base);
                       for (ExprId i : st.indices) {
                         expr(i);
                       }
                       expr(st.value);
                       access(st.base, st.indices);
                     },
                     [&](const ir::StoreView& st) {
                       expr(st.target);
                       expr(st.value);
                     },
                     [&](const ir::ExprStmt& e) { expr(e.expr); },
                     [&](const ir::If& i) {
                       expr(i.cond);
                       block(i.then_body);
                       block(i.else_body);
                     },
                     [&](const ir::While& w) {
                       expr(w.cond);
                       block(w.body);
                     },
                     [&](const ir::For& f) {
                       expr(f.lo);
                       expr(f.hi);
                       if (f.step.valid()) {
                         expr(f.step);
                       }
                       block(f.body);
                     },
                     [&](const ir::Return& r) {
                       if (r.value.valid()) {
                         expr(r.value);
                       }
                     },
                     kinds<ir::Break, ir::Continue>([&]() {}),
                 },
                 p.stmt(id).kind);
    }
  };
  block(k.body);
  return ok;
}

void locals_of(const ir::Program& p, const ir::Block& b, std::vector<char>& used,
               std::vector<char>& declared) {
  std::function<void(ExprId)> expr = [&](ExprId e) {
    if (!e.valid()) {
      return;
    }
    if (const auto* r = std::get_if<ir::LocalRef>(&p.expr(e).kind)) {
      used[r->local.v] = 1;
    }
    ir::for_each_child(p.expr(e).kind, expr);
  };
  for (ir::StmtId id : b.stmts) {
    std::visit(ir::overloaded{
                   [&](const ir::Let& l) {
                     expr(l.init);
                     declared[l.local.v] = 1;
                   },
                   [&](const ir::LetTuple& l) {
                     expr(l.init);
                     for (ir::LocalId x : l.locals) {
                       declared[x.v] = 1;
                     }
                   },
                   [&](const ir::Assign& a) {
                     used[a.local.v] = 1;
                     expr(a.value);
                   },
                   [&](const ir::StoreIndex& st) {
                     expr(st.base);
                     for (ExprId i : st.indices) {
                       expr(i);
                     }
                     expr(st.value);
                   },
                   [&](const ir::StoreView& st) {
                     expr(st.target);
                     expr(st.value);
                   },
                   [&](const ir::ExprStmt& e) { expr(e.expr); },
                   [&](const ir::If& i) {
                     expr(i.cond);
                     locals_of(p, i.then_body, used, declared);
                     locals_of(p, i.else_body, used, declared);
                   },
                   [&](const ir::While& w) {
                     expr(w.cond);
                     locals_of(p, w.body, used, declared);
                   },
                   [&](const ir::For& f) {
                     expr(f.lo);
                     expr(f.hi);
                     expr(f.step);
                     declared[f.var.v] = 1;
                     locals_of(p, f.body, used, declared);
                   },
                   [&](const ir::Return& r) { expr(r.value); },
                   kinds<ir::Break, ir::Continue>([&]() {}),
               },
               p.stmt(id).kind);
  }
}

rt::BinOp rt_binop(ir::BinaryOp op) {
  switch (op) {
    case BinaryOp::Add:
      return rt::BinOp::Add;
    case BinaryOp::Sub:
      return rt::BinOp::Sub;
    case BinaryOp::Mul:
      return rt::BinOp::Mul;
    case BinaryOp::Div:
      return rt::BinOp::Div;
    case BinaryOp::FloorDiv:
      return rt::BinOp::FloorDiv;
    case BinaryOp::Mod:
      return rt::BinOp::Mod;
    case BinaryOp::Pow:
      return rt::BinOp::Pow;
    case BinaryOp::Eq:
      return rt::BinOp::Eq;
    case BinaryOp::Ne:
      return rt::BinOp::Ne;
    case BinaryOp::Lt:
      return rt::BinOp::Lt;
    case BinaryOp::Le:
      return rt::BinOp::Le;
    case BinaryOp::Gt:
      return rt::BinOp::Gt;
    case BinaryOp::Ge:
      return rt::BinOp::Ge;
    case BinaryOp::BitAnd:
      return rt::BinOp::BitAnd;
    case BinaryOp::BitOr:
      return rt::BinOp::BitOr;
    case BinaryOp::BitXor:
      return rt::BinOp::BitXor;
    case BinaryOp::Shl:
      return rt::BinOp::Shl;
    case BinaryOp::Shr:
      return rt::BinOp::Shr;
    case BinaryOp::And:
    case BinaryOp::Or:
      break;
  }
  return rt::BinOp::Add;
}

}  // namespace kestrel::jit
