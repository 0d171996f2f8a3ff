// locals_of (locals.hpp).
#include "dsl/ir/locals.hpp"

#include <functional>

#include "dsl/ir/walk.hpp"

namespace kestrel::ir {

void locals_of(const Program& p, const Block& b, std::vector<char>& used,
               std::vector<char>& declared) {
  std::function<void(ExprId)> expr = [&](ExprId e) {
    if (const auto* r = std::get_if<LocalRef>(&p.expr(e).kind)) {
      used[r->local.v] = 1;
    }
    for_each_child(p.expr(e).kind, expr);
  };
  for (StmtId id : b.stmts) {
    const StmtKind& k = p.stmt(id).kind;
    if (const auto* l = std::get_if<Let>(&k)) {
      declared[l->local.v] = 1;
    } else if (const auto* t = std::get_if<LetTuple>(&k)) {
      for (LocalId x : t->locals) {
        declared[x.v] = 1;
      }
    } else if (const auto* a = std::get_if<Assign>(&k)) {
      used[a->local.v] = 1;
    } else if (const auto* f = std::get_if<For>(&k)) {
      declared[f->var.v] = 1;
    }
    for_each_child(k, expr, [&](const Block& inner) { locals_of(p, inner, used, declared); });
  }
}

}  // namespace kestrel::ir
