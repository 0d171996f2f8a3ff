// The seeded-stream analysis every backend shares (see stream_use.hpp).
#include "dsl/ir/stream_use.hpp"

#include "dsl/ir/walk.hpp"

namespace kestrel::ir {

namespace {

bool stmt_uses(const Program& p, StmtId id, const std::vector<char>& fns);

/// Whether an expression draws from the stream, directly or through a call (per `fns`).
bool expr_uses_stream(const Program& p, ExprId id, const std::vector<char>& fns) {
  const Expr& e = p.expr(id);
  if (const auto* b = std::get_if<BuiltinCall>(&e.kind)) {
    if (b->builtin == Builtin::RandomStream || b->builtin == Builtin::RandnStream) {
      return true;
    }
  }
  if (const auto* c = std::get_if<Call>(&e.kind); c && fns[c->fn.v]) {
    return true;
  }
  if (const auto* l = std::get_if<Launch>(&e.kind); l && fns[l->kernel.v]) {
    return true;
  }
  bool found = false;
  for_each_child(e.kind, [&](ExprId child) { found = found || expr_uses_stream(p, child, fns); });
  return found;
}

bool stmt_uses(const Program& p, StmtId id, const std::vector<char>& fns) {
  auto e = [&](ExprId x) { return x.valid() && expr_uses_stream(p, x, fns); };
  return std::visit(
      overloaded{
          [&](const Let& s) { return e(s.init); },
          [&](const LetTuple& s) { return e(s.init); },
          [&](const Assign& s) { return e(s.value); },
          [&](const StoreIndex& s) {
            bool any = e(s.base) || e(s.value);
            for (ExprId x : s.indices) {
              any = any || e(x);
            }
            return any;
          },
          [&](const StoreView& s) { return e(s.target) || e(s.value); },
          [&](const ExprStmt& s) { return e(s.expr); },
          [&](const If& s) {
            return e(s.cond) || block_uses_stream(p, s.then_body, fns) ||
                   block_uses_stream(p, s.else_body, fns);
          },
          [&](const While& s) { return e(s.cond) || block_uses_stream(p, s.body, fns); },
          [&](const For& s) {
            return e(s.lo) || e(s.hi) || e(s.step) || block_uses_stream(p, s.body, fns);
          },
          [&](const Break&) { return false; },
          [&](const Continue&) { return false; },
          [&](const Return& s) { return e(s.value); },
      },
      p.stmt(id).kind);
}

}  // namespace

bool block_uses_stream(const Program& p, const Block& b, const std::vector<char>& fns) {
  for (StmtId s : b.stmts) {
    if (stmt_uses(p, s, fns)) {
      return true;
    }
  }
  return false;
}

std::vector<char> functions_using_stream(const Program& program) {
  std::vector<char> fns(program.functions.size(), 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t f = 0; f < program.functions.size(); ++f) {
      if (!fns[f] && block_uses_stream(program, program.functions[f].body, fns)) {
        fns[f] = 1;
        changed = true;
      }
    }
  }
  return fns;
}

}  // namespace kestrel::ir
