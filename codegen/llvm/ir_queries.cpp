// Pure questions about the typed IR that the LLVM lowering asks (ir_queries.hpp).
#include "codegen/llvm/ir_queries.hpp"

#include <algorithm>
#include <functional>

#include "dsl/ir/walk.hpp"

namespace kestrel::jit {

using ir::BinaryOp;
using ir::Builtin;
using ir::ExprId;
using ir::Scalar;
using ir::Type;

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

void redeclared_params(const ir::Program& p, const ir::Block& b, std::uint32_t params,
                       std::vector<char>& out) {
  for (ir::StmtId id : b.stmts) {
    std::visit(ir::overloaded{
                   [&](const ir::Let& l) {
                     if (l.local.v < params) {
                       out[l.local.v] = 1;
                     }
                   },
                   [&](const ir::LetTuple& l) {
                     for (ir::LocalId local : l.locals) {
                       if (local.v < params) {
                         out[local.v] = 1;
                       }
                     }
                   },
                   [&](const ir::If& i) {
                     redeclared_params(p, i.then_body, params, out);
                     redeclared_params(p, i.else_body, params, out);
                   },
                   [&](const ir::While& w) { redeclared_params(p, w.body, params, out); },
                   [&](const ir::For& f) { redeclared_params(p, f.body, params, out); },
                   kinds<ir::Assign, ir::StoreIndex, ir::StoreView, ir::ExprStmt, ir::Break,
                         ir::Continue, ir::Return>([&]() {}),
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
      const ir::StmtKind& s = p.stmt(id).kind;
      ir::for_each_child(s, expr, block);
      if (const auto* st = std::get_if<ir::StoreIndex>(&s)) {
        access(st->base, st->indices);
      } else if (const auto* l = std::get_if<ir::Let>(&s)) {
        int d = axis_of(l->init);
        const auto* b2 = std::get_if<ir::BuiltinCall>(&p.expr(l->init).kind);
        if (b2 != nullptr && d >= 0 && !k.locals[l->local.v].is_mutable) {
          index_local[l->local.v] = d;
        }
      }
    }
  };
  block(k.body);
  return ok;
}

bool pure_scalar(const ir::Program& p, ExprId id) {
  const ir::Expr& e = p.expr(id);
  if (!e.type.is_scalar() || e.type.scalar == Scalar::Str) {
    return false;
  }
  return std::visit(
      ir::overloaded{
          [&](const ir::IntConst&) { return true; },
          [&](const ir::FloatConst&) { return true; },
          [&](const ir::BoolConst&) { return true; },
          [&](const ir::LocalRef&) { return true; },
          [&](const ir::Convert& c) { return pure_scalar(p, c.operand); },
          [&](const ir::Unary& u) { return u.op == ir::UnaryOp::Neg && pure_scalar(p, u.operand); },
          [&](const ir::Binary& b) {
            bool fl = e.type.scalar == Scalar::F32 || e.type.scalar == Scalar::F64;
            bool ok = b.op == BinaryOp::Add || b.op == BinaryOp::Sub || b.op == BinaryOp::Mul ||
                      (fl && b.op == BinaryOp::Div);
            return ok && pure_scalar(p, b.lhs) && pure_scalar(p, b.rhs);
          },
          kinds<ir::StrConst, ir::MatMul, ir::Call, ir::BuiltinCall, ir::Launch, ir::Index,
                ir::SliceView, ir::Transpose, ir::TableColumn, ir::TableRows, ir::ArrayLit,
                ir::MakeTuple, ir::ErrorExpr>([&]() { return false; }),
      },
      e.kind);
}

namespace {
/// Whether expression `e` reads a local marked in `marks`.
bool reads_marked(const ir::Program& p, ExprId e, const std::vector<char>& marks) {
  if (const auto* r = std::get_if<ir::LocalRef>(&p.expr(e).kind);
      r != nullptr && marks[r->local.v]) {
    return true;
  }
  bool found = false;
  ir::for_each_child(p.expr(e).kind,
                     [&](ExprId child) { found = found || reads_marked(p, child, marks); });
  return found;
}

/// The statements of `b` and of the blocks nested in it, in order.
void each_stmt(const ir::Program& p, const ir::Block& b,
               const std::function<void(const ir::StmtKind&)>& f) {
  for (ir::StmtId id : b.stmts) {
    const ir::StmtKind& k = p.stmt(id).kind;
    f(k);
    ir::for_each_child(
        k, [](ExprId) {}, [&](const ir::Block& inner) { each_stmt(p, inner, f); });
  }
}
}  // namespace

bool DivisionPlan::allows(const ir::Program& p, ir::ExprId dividend) const {
  return calls && !reads_marked(p, dividend, fed);
}

DivisionPlan division_plan(const ir::Program& p, const ir::Function& fn, const ir::Block& body) {
  DivisionPlan plan;
  // Most loops divide by nothing: they need none of the walks below.
  const std::vector<char> no_calls(p.functions.size(), 0);
  const bool divides = ir::block_reaches(
      p, body, no_calls,
      [](const ir::Expr& e) {
        const auto* b = std::get_if<ir::Binary>(&e.kind);
        return b != nullptr && (b->op == BinaryOp::Mod || b->op == BinaryOp::FloorDiv);
      },
      [](const ir::Stmt&) { return false; });
  if (!divides || has_loops(p, body)) {
    return plan;
  }
  const std::size_t n = fn.locals.size();
  std::vector<char> used(n, 0);
  std::vector<char> declared(n, 0);
  ir::locals_of(p, body, used, declared);
  plan.fed.assign(n, 0);
  bool carries_other = false;
  // The locals an iteration takes from the one before (assigned, not declared here), which must
  // be integer sums; and the arrays the body stores into.
  each_stmt(p, body, [&](const ir::StmtKind& k) {
    if (const auto* a = std::get_if<ir::Assign>(&k); a != nullptr && !declared[a->local.v]) {
      const ir::Type t = fn.locals[a->local.v].type;
      const bool sum = (a->op == ir::AssignOp::Add || a->op == ir::AssignOp::Sub) &&
                       t.is_scalar() && (t.scalar == Scalar::I64 || t.scalar == Scalar::I32);
      carries_other = carries_other || !sum;
      plan.fed[a->local.v] = 1;
    }
    // The local a store writes into: its target's base, through elements and views.
    auto root = [&](ExprId e) {
      for (;;) {
        const ir::ExprKind& x = p.expr(e).kind;
        if (const auto* r = std::get_if<ir::LocalRef>(&x)) {
          plan.fed[r->local.v] = 1;
          return;
        }
        if (const auto* i = std::get_if<ir::Index>(&x)) {
          e = i->base;
        } else if (const auto* v = std::get_if<ir::SliceView>(&x)) {
          e = v->base;
        } else if (const auto* t = std::get_if<ir::Transpose>(&x)) {
          e = t->base;
        } else {
          return;
        }
      }
    };
    if (const auto* st = std::get_if<ir::StoreIndex>(&k)) {
      root(st->base);
    } else if (const auto* sv = std::get_if<ir::StoreView>(&k)) {
      root(sv->target);
    }
  });
  if (carries_other) {
    return plan;
  }
  // What those feed, through lets and assignments, to a fixed point.
  for (bool changed = true; changed;) {
    changed = false;
    auto mark = [&](ir::LocalId l) {
      if (!plan.fed[l.v]) {
        plan.fed[l.v] = 1;
        changed = true;
      }
    };
    each_stmt(p, body, [&](const ir::StmtKind& k) {
      if (const auto* l = std::get_if<ir::Let>(&k);
          l != nullptr && reads_marked(p, l->init, plan.fed)) {
        mark(l->local);
      } else if (const auto* t = std::get_if<ir::LetTuple>(&k);
                 t != nullptr && reads_marked(p, t->init, plan.fed)) {
        for (ir::LocalId local : t->locals) {
          mark(local);
        }
      } else if (const auto* a = std::get_if<ir::Assign>(&k);
                 a != nullptr && reads_marked(p, a->value, plan.fed)) {
        mark(a->local);
      }
    });
  }
  plan.calls = true;
  return plan;
}

bool has_loops(const ir::Program& p, const ir::Block& b) {
  for (ir::StmtId id : b.stmts) {
    const ir::StmtKind& k = p.stmt(id).kind;
    if (std::holds_alternative<ir::For>(k) || std::holds_alternative<ir::While>(k)) {
      return true;
    }
    if (const auto* i = std::get_if<ir::If>(&k)) {
      if (has_loops(p, i->then_body) || has_loops(p, i->else_body)) {
        return true;
      }
    }
  }
  return false;
}

bool draws_random(const ir::Program& p, const ir::Block& b) {
  std::function<bool(ExprId)> expr = [&](ExprId e) {
    if (const auto* c = std::get_if<ir::BuiltinCall>(&p.expr(e).kind);
        c != nullptr && (c->builtin == Builtin::Random || c->builtin == Builtin::RandomStream)) {
      return true;
    }
    bool found = false;
    ir::for_each_child(p.expr(e).kind, [&](ExprId child) { found = found || expr(child); });
    return found;
  };
  for (ir::StmtId id : b.stmts) {
    bool found = std::visit(
        ir::overloaded{
            [&](const ir::Let& l) { return expr(l.init); },
            [&](const ir::Assign& a) { return expr(a.value); },
            [&](const ir::If& i) {
              return expr(i.cond) || draws_random(p, i.then_body) || draws_random(p, i.else_body);
            },
            kinds<ir::LetTuple, ir::StoreIndex, ir::StoreView, ir::ExprStmt, ir::While, ir::For,
                  ir::Break, ir::Continue, ir::Return>([&]() { return false; }),
        },
        p.stmt(id).kind);
    if (found) {
      return true;
    }
  }
  return false;
}

std::vector<std::uint32_t> indexed_by(const ir::Program& p, const ir::Function& fn,
                                      const ir::Block& body, ir::LocalId var) {
  // The block check reads each array's length before the first iteration, so only an array
  // bound before the loop and never rebound in it qualifies: one the body declares (`let`, a
  // tuple binding) does not exist yet there, and one it assigns changes between iterations.
  std::vector<char> rebound(fn.locals.size(), 0);
  std::vector<char> used(fn.locals.size(), 0);
  assigned_locals(p, body, rebound);
  locals_of(p, body, used, rebound);
  std::vector<std::uint32_t> out;
  auto note = [&](ExprId base, const std::vector<ExprId>& indices) {
    const auto* r = std::get_if<ir::LocalRef>(&p.expr(base).kind);
    if (r == nullptr || indices.size() != 1 || rebound[r->local.v] ||
        !fn.locals[r->local.v].type.is_array() || fn.locals[r->local.v].type.rank != 1) {
      return;
    }
    const auto* i = std::get_if<ir::LocalRef>(&p.expr(indices[0]).kind);
    if (i != nullptr && i->local == var &&
        std::find(out.begin(), out.end(), r->local.v) == out.end()) {
      out.push_back(r->local.v);
    }
  };
  std::function<void(ExprId)> expr = [&](ExprId e) {
    if (const auto* ix = std::get_if<ir::Index>(&p.expr(e).kind)) {
      note(ix->base, ix->indices);
    }
    ir::for_each_child(p.expr(e).kind, expr);
  };
  // Its caller passes loop-free bodies only; a nested loop would not be looked into.
  std::function<void(const ir::Block&)> walk = [&](const ir::Block& b) {
    for (ir::StmtId id : b.stmts) {
      const ir::StmtKind& s = p.stmt(id).kind;
      if (std::holds_alternative<ir::While>(s) || std::holds_alternative<ir::For>(s)) {
        continue;
      }
      ir::for_each_child(s, expr, walk);
      if (const auto* st = std::get_if<ir::StoreIndex>(&s)) {
        note(st->base, st->indices);
      }
    }
  };
  walk(body);
  return out;
}

// The serial-loop rule. A parallel loop's body (with everything it calls or launches) runs as
// chunks on worker threads only when it touches no state that is shared and not thread-safe:
//  - print: one output stream and one line buffer, and the order of lines would change;
//  - seed(): it sets the run's stream, which a serial loop then leaves seeded (a chunk's stream is
//    its own and would be lost);
//  - str and table values: the program's str pool is one unordered_set, tables are counted
//    without atomics, and file I/O (read_csv, load_npy, save_npy) takes str paths;
//  - the count of an array it did not create: counts are not atomic and the enclosing function's
//    arrays are shared by every chunk. A view (a slice or .T of such an array) retains its
//    buffer; a binding of one (`let b = a`, `return a`, a tuple holding it) retains it; a callee
//    that rebinds an array parameter retains its argument on entry.
// Everything else a chunk does is its own (temporaries, its context: errors, stream, depth,
// nested partials, the private copies of reduction arrays) or checked by sema (an outer array is
// stored into only at the loop variable plus a constant, so iterations write different
// elements). Loops that break the rule run serially, with the same results.

bool ChunkRule::chunk_safe_type(Type t) const {
  if (t.is_tuple()) {
    for (Type e : p_.types.elems(t)) {
      if (!chunk_safe_type(e)) {
        return false;
      }
    }
    return true;
  }
  if (t.is_table()) {
    return false;
  }
  return !(t.is_scalar() || t.is_array()) || t.scalar != Scalar::Str;
}

bool ChunkRule::borrows_foreign(ExprId e, const std::vector<char>& own) const {
  const ir::Expr& x = p_.expr(e);
  if (const auto* r = std::get_if<ir::LocalRef>(&x.kind)) {
    return !own[r->local.v] && !x.type.is_scalar();
  }
  if (const auto* t = std::get_if<ir::MakeTuple>(&x.kind)) {
    for (ExprId el : t->elems) {
      if (borrows_foreign(el, own)) {
        return true;
      }
    }
  }
  return false;
}

bool ChunkRule::chunk_safe_expr(const ir::Function& fn, ExprId e, const std::vector<char>& own,
                                std::vector<char>& seen) const {
  const ir::Expr& x = p_.expr(e);
  if (!chunk_safe_type(x.type)) {
    return false;
  }
  bool ok = std::visit(
      ir::overloaded{
          [&](const ir::BuiltinCall& b) {
            switch (b.builtin) {
              case Builtin::Print:
              case Builtin::Seed:
              case Builtin::ReadCsv:
              case Builtin::LoadNpy:
              case Builtin::SaveNpy:
              case Builtin::WriteCsv:
              case Builtin::TableNew:
              case Builtin::WithColumn:
              case Builtin::SubTable:
              case Builtin::Assert:
              case Builtin::PrintWith:
              case Builtin::NpyBlocks:
              case Builtin::CsvBlocks:
              case Builtin::StreamNext:
              case Builtin::StreamBlock:
              case Builtin::StreamClose:
              case Builtin::NpyAppend:
              case Builtin::NpyFinish:
              case Builtin::MpiRank:
              case Builtin::MpiRanks:
              case Builtin::Allreduce:
              case Builtin::Broadcast:
              case Builtin::Gather:
              case Builtin::ReplKeep:
                return false;
              case Builtin::Reshape:  // a view of its array, as a slice is
                return !borrows_foreign(b.args[0], own);
              default:
                return true;
            }
          },
          [&](const ir::SliceView& s) { return !borrows_foreign(s.base, own); },
          [&](const ir::Transpose& t) { return !borrows_foreign(t.base, own); },
          [&](const ir::Call& c) { return chunk_safe_fn(c.fn, seen); },
          [&](const ir::Launch& l) { return chunk_safe_fn(l.kernel, seen); },
          [&](const ir::StrConst&) { return false; },
          [&](const ir::TableColumn&) { return false; },
          [&](const ir::TableRows&) { return false; },
          kinds<ir::IntConst, ir::FloatConst, ir::BoolConst, ir::LocalRef, ir::Convert, ir::Unary,
                ir::Binary, ir::MatMul, ir::Index, ir::ArrayLit, ir::MakeTuple, ir::ErrorExpr>(
              [&]() { return true; }),
      },
      x.kind);
  ir::for_each_child(x.kind,
                     [&](ExprId child) { ok = ok && chunk_safe_expr(fn, child, own, seen); });
  return ok;
}

bool ChunkRule::chunk_safe_block(const ir::Function& fn, const ir::Block& b,
                                 const std::vector<char>& own, std::vector<char>& seen) const {
  auto expr = [&](ExprId e) { return !e.valid() || chunk_safe_expr(fn, e, own, seen); };
  auto bind = [&](ExprId e) { return expr(e) && !borrows_foreign(e, own); };
  for (ir::StmtId id : b.stmts) {
    bool ok =
        std::visit(ir::overloaded{
                       [&](const ir::Let& l) { return bind(l.init); },
                       [&](const ir::LetTuple& l) { return bind(l.init); },
                       [&](const ir::Assign& a) { return bind(a.value); },
                       [&](const ir::StoreIndex& st) {
                         bool all = expr(st.base) && expr(st.value);
                         for (ExprId i : st.indices) {
                           all = all && expr(i);
                         }
                         return all;
                       },
                       [&](const ir::StoreView& st) { return expr(st.target) && expr(st.value); },
                       [&](const ir::ExprStmt& e) { return expr(e.expr); },
                       [&](const ir::If& i) {
                         return expr(i.cond) && chunk_safe_block(fn, i.then_body, own, seen) &&
                                chunk_safe_block(fn, i.else_body, own, seen);
                       },
                       [&](const ir::While& w) {
                         return expr(w.cond) && chunk_safe_block(fn, w.body, own, seen);
                       },
                       [&](const ir::For& f) {
                         return expr(f.lo) && expr(f.hi) && expr(f.step) &&
                                chunk_safe_block(fn, f.body, own, seen);
                       },
                       [&](const ir::Return& r) { return !r.value.valid() || bind(r.value); },
                       kinds<ir::Break, ir::Continue>([&]() { return true; }),
                   },
                   p_.stmt(id).kind);
    if (!ok) {
      return false;
    }
  }
  return true;
}

/// A function is chunk-safe when its body is, its parameters counting as not its own. `seen`
/// marks the functions this question has already taken on (a recursive call adds nothing new:
/// the answer is the conjunction over every function reachable).
bool ChunkRule::chunk_safe_fn(ir::FnId id, std::vector<char>& seen) const {
  if (seen[id.v]) {
    return true;
  }
  seen[id.v] = 1;
  const ir::Function& fn = p_.fn(id);
  std::vector<char> own(fn.locals.size(), 1);
  std::vector<char> rebound(fn.locals.size(), 0);
  assigned_locals(p_, fn.body, rebound);
  for (std::uint32_t i = 0; i < fn.param_count; ++i) {
    own[i] = 0;
    if (rebound[i] && !fn.locals[i].type.is_scalar()) {
      return false;  // an owned array parameter is retained on entry
    }
  }
  return chunk_safe_block(fn, fn.body, own, seen);
}

bool ChunkRule::chunk_safe_loop(const ir::Function& fn, const ir::For& f) const {
  std::vector<char> used(fn.locals.size(), 0);
  std::vector<char> own(fn.locals.size(), 0);
  locals_of(p_, f.body, used, own);
  own[f.var.v] = 1;
  for (const ir::Reduction& r : f.array_reductions) {
    own[r.local.v] = 1;  // each chunk writes its own private copy
  }
  std::vector<char> seen(p_.functions.size(), 0);
  return chunk_safe_block(fn, f.body, own, seen);
}

bool ChunkRule::chunk_safe_launch(ir::FnId k) const {
  std::vector<char> seen(p_.functions.size(), 0);
  return chunk_safe_fn(k, seen);
}

bool ChunkRule::heavy(const ir::Block& b) const {
  std::function<bool(ExprId)> expr = [&](ExprId e) {
    if (!e.valid()) {
      return false;
    }
    const ir::ExprKind& k = p_.expr(e).kind;
    if (std::holds_alternative<ir::Call>(k) || std::holds_alternative<ir::Launch>(k) ||
        std::holds_alternative<ir::MatMul>(k)) {
      return true;
    }
    bool found = false;
    ir::for_each_child(k, [&](ExprId c) { found = found || expr(c); });
    return found;
  };
  for (ir::StmtId id : b.stmts) {
    bool found = std::visit(ir::overloaded{
                                [&](const ir::Let& l) { return expr(l.init); },
                                [&](const ir::LetTuple& l) { return expr(l.init); },
                                [&](const ir::Assign& a) { return expr(a.value); },
                                [&](const ir::StoreIndex& st) { return expr(st.value); },
                                [&](const ir::StoreView& st) { return expr(st.value); },
                                [&](const ir::ExprStmt& e) { return expr(e.expr); },
                                [&](const ir::If& i) {
                                  return expr(i.cond) || heavy(i.then_body) || heavy(i.else_body);
                                },
                                [&](const ir::While&) { return true; },
                                [&](const ir::For&) { return true; },
                                [&](const ir::Return& r) { return expr(r.value); },
                                kinds<ir::Break, ir::Continue>([&]() { return false; }),
                            },
                            p_.stmt(id).kind);
    if (found) {
      return true;
    }
  }
  return false;
}

}  // namespace kestrel::jit
