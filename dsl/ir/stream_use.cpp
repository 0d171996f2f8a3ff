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
  bool found = false;
  for_each_child(
      p.stmt(id).kind, [&](ExprId x) { found = found || expr_uses_stream(p, x, fns); },
      [&](const Block& b) { found = found || block_uses_stream(p, b, fns); });
  return found;
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
