// The parameter-write analysis the embedding API's const views rely on (see param_writes.hpp).
#include "dsl/ir/param_writes.hpp"

#include "dsl/ir/walk.hpp"

namespace kestrel::ir {

namespace {

std::uint64_t bit(std::size_t k) { return std::uint64_t{1} << (k < 63 ? k : 63); }

/// One function's analysis, given the current masks of every function.
class FnWrites {
 public:
  FnWrites(const Program& p, const Function& f, const std::vector<std::uint64_t>& masks,
           const std::vector<std::uint64_t>& returned)
      : p_(p), f_(f), masks_(masks), returned_(returned), alias_(f.locals.size(), 0) {
    for (std::uint32_t k = 0; k < f.param_count; ++k) {
      if (!f.locals[k].type.is_scalar()) {
        alias_[k] = bit(k);
      }
    }
  }

  /// Returns the parameters written; `returns` gets those the result may view.
  std::uint64_t run(std::uint64_t& returns) {
    // Aliases first, to a fixpoint (a loop may bind a local that an earlier statement used).
    for (changed_ = true; changed_;) {
      changed_ = false;
      block(f_.body, false);
    }
    block(f_.body, true);
    returns = returns_;
    return written_;
  }

 private:
  /// The parameters whose memory the value of `id` may share.
  std::uint64_t views(ExprId id) const {
    if (!id.valid()) {
      return 0;
    }
    const Expr& e = p_.expr(id);
    if (e.type.is_scalar()) {
      return 0;
    }
    return std::visit(overloaded{
                          [&](const LocalRef& r) { return alias_[r.local.v]; },
                          [&](const SliceView& s) { return views(s.base); },
                          [&](const Transpose& t) { return views(t.base); },
                          [&](const Index& i) { return views(i.base); },
                          [&](const Convert& c) { return views(c.operand); },
                          [&](const MakeTuple& t) {
                            std::uint64_t m = 0;
                            for (ExprId x : t.elems) {
                              m |= views(x);
                            }
                            return m;
                          },
                          [&](const Call& c) {
                            // The result may view the arguments whose parameters the callee may
                            // return.
                            std::uint64_t m = 0;
                            for (std::size_t k = 0; k < c.args.size(); ++k) {
                              if (writes_param(returned_, c.fn, k)) {
                                m |= views(c.args[k]);
                              }
                            }
                            return m;
                          },
                          // Scalars, and fresh arrays and tables: no parameter's memory.
                          [&](const IntConst&) { return std::uint64_t{0}; },
                          [&](const FloatConst&) { return std::uint64_t{0}; },
                          [&](const BoolConst&) { return std::uint64_t{0}; },
                          [&](const StrConst&) { return std::uint64_t{0}; },
                          [&](const ErrorExpr&) { return std::uint64_t{0}; },
                          [&](const Unary&) { return std::uint64_t{0}; },
                          [&](const Binary&) { return std::uint64_t{0}; },
                          [&](const MatMul&) { return std::uint64_t{0}; },
                          [&](const BuiltinCall& c) {
                            // reshape's result views its array (when contiguous)
                            return c.builtin == Builtin::Reshape ? views(c.args[0])
                                                                 : std::uint64_t{0};
                          },
                          [&](const Launch&) { return std::uint64_t{0}; },
                          [&](const TableColumn&) { return std::uint64_t{0}; },
                          [&](const TableRows&) { return std::uint64_t{0}; },
                          [&](const ArrayLit&) { return std::uint64_t{0}; },
                      },
                      e.kind);
  }

  void bind(LocalId l, ExprId init) {
    std::uint64_t m = alias_[l.v] | views(init);
    if (m != alias_[l.v]) {
      alias_[l.v] = m;
      changed_ = true;
    }
  }

  /// Records the writes of calls and launches anywhere inside `id`.
  void expr(ExprId id) {
    if (!id.valid()) {
      return;
    }
    const Expr& e = p_.expr(id);
    auto through = [&](FnId callee, const std::vector<ExprId>& args) {
      for (std::size_t k = 0; k < args.size(); ++k) {
        if (writes_param(masks_, callee, k)) {
          written_ |= views(args[k]);
        }
      }
    };
    if (const auto* c = std::get_if<Call>(&e.kind)) {
      through(c->fn, c->args);
    } else if (const auto* l = std::get_if<Launch>(&e.kind)) {
      through(l->kernel, l->args);
    }
    for_each_child(e.kind, [&](ExprId child) { expr(child); });
  }

  void block(const Block& b, bool writes) {
    for (StmtId s : b.stmts) {
      stmt(s, writes);
    }
  }

  void stmt(StmtId id, bool writes) {
    auto e = [&](ExprId x) {
      if (writes) {
        expr(x);
      }
    };
    std::visit(overloaded{
                   [&](const Let& s) {
                     bind(s.local, s.init);
                     e(s.init);
                   },
                   [&](const LetTuple& s) {
                     for (LocalId l : s.locals) {
                       bind(l, s.init);
                     }
                     e(s.init);
                   },
                   [&](const Assign& s) {
                     if (s.op == AssignOp::Set) {
                       bind(s.local, s.value);
                     }
                     e(s.value);
                   },
                   [&](const StoreIndex& s) {
                     if (writes) {
                       written_ |= views(s.base);
                     }
                     e(s.base);
                     for (ExprId x : s.indices) {
                       e(x);
                     }
                     e(s.value);
                   },
                   [&](const StoreView& s) {
                     if (writes) {
                       written_ |= views(s.target);
                     }
                     e(s.target);
                     e(s.value);
                   },
                   [&](const ExprStmt& s) { e(s.expr); },
                   [&](const If& s) {
                     e(s.cond);
                     block(s.then_body, writes);
                     block(s.else_body, writes);
                   },
                   [&](const While& s) {
                     e(s.cond);
                     block(s.body, writes);
                   },
                   [&](const For& s) {
                     e(s.lo);
                     e(s.hi);
                     e(s.step);
                     block(s.body, writes);
                     if (writes) {
                       for (const Reduction& r : s.reductions) {
                         written_ |= alias_[r.local.v];
                       }
                     }
                   },
                   [&](const Break&) {},
                   [&](const Continue&) {},
                   [&](const Return& s) {
                     if (writes) {
                       returns_ |= views(s.value);
                     }
                     e(s.value);
                   },
               },
               p_.stmt(id).kind);
  }

  const Program& p_;
  const Function& f_;
  const std::vector<std::uint64_t>& masks_;
  const std::vector<std::uint64_t>& returned_;  // per function: the parameters it may return
  std::vector<std::uint64_t> alias_;            // per local: the parameters it may view
  std::uint64_t written_ = 0;
  std::uint64_t returns_ = 0;
  bool changed_ = false;
};

}  // namespace

std::vector<std::uint64_t> written_params(const Program& program) {
  std::vector<std::uint64_t> masks(program.functions.size(), 0);
  std::vector<std::uint64_t> returned(program.functions.size(), 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t f = 0; f < program.functions.size(); ++f) {
      std::uint64_t r = 0;
      std::uint64_t m = FnWrites(program, program.functions[f], masks, returned).run(r);
      if ((m | masks[f]) != masks[f] || (r | returned[f]) != returned[f]) {
        masks[f] |= m;
        returned[f] |= r;
        changed = true;
      }
    }
  }
  return masks;
}

}  // namespace kestrel::ir
