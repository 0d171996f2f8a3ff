// Continuation functions for on-stack replacement (osr.hpp): which loops are entry points and
// what is live at their headers, and the function that runs the rest of a call from one; and a
// kernel launch as a function (add_launcher).
#include "dsl/ir/osr.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include "dsl/ir/walk.hpp"

namespace kestrel::ir {

namespace {

/// A statement on the way from F's body to a loop: `block` holds it at `index`.
struct Level {
  std::vector<StmtId> block;
  std::size_t index = 0;
};

/// One walk over a function in pre-order: the loops' entries as a tree of live slots and, for
/// one target loop, the statements around it.
class Walker {
 public:
  Walker(const Program& p, FnId fn, std::uint32_t target) : p_(p), f_(p.fn(fn)), target_(target) {
    for (std::uint32_t k = 0; k < f_.param_count; ++k) {
      push(LiveSlot{LiveSlot::Kind::Local, LocalId{k}, 0, f_.locals[k].type});
    }
    block(f_.body);
  }

  LoopEntryTree tree;
  std::vector<Level> target_path;

 private:
  /// Declares a live slot: the chain of slots in scope grows by one.
  void push(LiveSlot s) {
    tree.slots.push_back(s);
    tree.parent.push_back(tail_);
    tail_ = static_cast<std::uint32_t>(tree.slots.size() - 1);
  }
  void push_local(LocalId l) { push(LiveSlot{LiveSlot::Kind::Local, l, 0, f_.locals[l.v].type}); }

  void block(const Block& b) {
    std::uint32_t mark = tail_;
    for (std::size_t j = 0; j < b.stmts.size(); ++j) {
      path_.push_back({&b, j});
      stmt(b.stmts[j]);
      path_.pop_back();
      const StmtKind& k = p_.stmt(b.stmts[j]).kind;
      if (const auto* l = std::get_if<Let>(&k)) {
        push_local(l->local);
      } else if (const auto* t = std::get_if<LetTuple>(&k)) {
        for (LocalId x : t->locals) {
          push_local(x);
        }
      }
    }
    tail_ = mark;
  }

  void stmt(StmtId id) {
    const StmtKind& k = p_.stmt(id).kind;
    if (const auto* i = std::get_if<If>(&k)) {
      block(i->then_body);
      block(i->else_body);
    } else if (const auto* w = std::get_if<While>(&k)) {
      entry(false);
      block(w->body);
    } else if (const auto* f = std::get_if<For>(&k)) {
      std::uint32_t mark = tail_;
      auto n = static_cast<std::uint32_t>(tree.loops.size());
      Type t = f_.locals[f->var.v].type;
      push(LiveSlot{LiveSlot::Kind::ForIndex, f->var, n, t});
      push(LiveSlot{LiveSlot::Kind::ForHi, f->var, n, t});
      if (f->step.valid() && !std::holds_alternative<IntConst>(p_.expr(f->step).kind)) {
        push(LiveSlot{LiveSlot::Kind::ForStep, f->var, n, t});
      }
      // An outermost parallel loop is an entry point at its start (no iteration run yet); the
      // loops inside one are not.
      bool at_start = f->parallel && parallel_ == 0;
      parallel_ += f->parallel ? 1 : 0;
      entry(at_start);
      block(f->body);
      parallel_ -= f->parallel ? 1 : 0;
      tail_ = mark;
    }
  }

  void entry(bool parallel_start) {
    auto number = static_cast<std::uint32_t>(tree.loops.size());
    LoopEntryTree::Loop e;
    if (f_.is_kernel) {
      e.not_entry = "a kernel's loops are not entry points: a kernel runs once per launch index";
    } else if (parallel_ > (parallel_start ? 1 : 0)) {
      e.not_entry =
          "a parallel for, and every loop inside one, runs as one unit: it is not an entry point";
    } else {
      e.last = tail_;
    }
    tree.loops.push_back(std::move(e));
    if (number == target_) {
      for (const auto& [b, j] : path_) {
        target_path.push_back(Level{b->stmts, j});
      }
    }
  }

  const Program& p_;
  const Function& f_;
  std::uint32_t target_;
  std::uint32_t tail_ = kNoId;  // the last slot in scope
  std::vector<std::pair<const Block*, std::size_t>> path_;
  int parallel_ = 0;
};

/// Calls `f` on every expression id a node holds, by reference (to rewrite them).
template <class F>
void each_child(ExprKind& kind, F&& f) {
  auto opt = [&](ExprId& id) {
    if (id.valid()) {
      f(id);
    }
  };
  auto all = [&](std::vector<ExprId>& ids) {
    for (ExprId& id : ids) {
      f(id);
    }
  };
  std::visit(overloaded{
                 [](IntConst&) {},
                 [](FloatConst&) {},
                 [](BoolConst&) {},
                 [](StrConst&) {},
                 [](LocalRef&) {},
                 [](ErrorExpr&) {},
                 [&](Convert& c) { f(c.operand); },
                 [&](Unary& u) { f(u.operand); },
                 [&](Binary& b) {
                   f(b.lhs);
                   f(b.rhs);
                 },
                 [&](MatMul& m) {
                   f(m.lhs);
                   f(m.rhs);
                 },
                 [&](Call& c) { all(c.args); },
                 [&](BuiltinCall& c) { all(c.args); },
                 [&](Launch& l) {
                   all(l.grid);
                   all(l.args);
                 },
                 [&](Index& i) {
                   f(i.base);
                   all(i.indices);
                 },
                 [&](SliceView& s) {
                   f(s.base);
                   for (SliceDim& d : s.dims) {
                     opt(d.index);
                     opt(d.lo);
                     opt(d.hi);
                     opt(d.step);
                   }
                 },
                 [&](Transpose& t) { f(t.base); },
                 [&](TableColumn& c) {
                   f(c.table);
                   f(c.name);
                 },
                 [&](TableRows& r) { f(r.table); },
                 [&](ArrayLit& a) { all(a.elems); },
                 [&](MakeTuple& t) { all(t.elems); },
             },
             kind);
}

/// Builds the continuation: F's statements cloned into the new function, its locals renumbered.
class Builder {
 public:
  Builder(Program& p, FnId fn, std::uint32_t loop, std::vector<LiveSlot> live,
          std::vector<Level> path)
      : p_(p), src_(fn), loop_(loop), live_(std::move(live)), path_(std::move(path)) {}

  FnId build() {
    const Function& f = p_.fn(src_);
    Function c;
    c.name = f.name + "#loop" + std::to_string(loop_);
    c.unchecked = f.unchecked;
    c.ret = f.ret;
    c.span = f.span;
    map_.assign(f.locals.size(), LocalId{});
    for (const LiveSlot& s : live_) {
      LocalId id{static_cast<std::uint32_t>(c.locals.size())};
      Local l = f.locals[s.local.v];
      if (s.kind == LiveSlot::Kind::Local) {
        map_[s.local.v] = id;
      } else {
        static const char* const kSuffix[] = {"", "#index", "#hi", "#step"};
        l.name += kSuffix[static_cast<int>(s.kind)];
        l.is_mutable = false;
        hidden_[{s.loop, s.kind}] = id;
      }
      c.locals.push_back(std::move(l));
    }
    c.param_count = static_cast<std::uint32_t>(c.locals.size());
    for (std::size_t l = 0; l < f.locals.size(); ++l) {
      if (!map_[l].valid()) {
        map_[l] = LocalId{static_cast<std::uint32_t>(c.locals.size())};
        c.locals.push_back(f.locals[l]);
      }
    }
    locals_ = &c.locals;
    c.body.stmts = resume();
    locals_ = nullptr;
    p_.functions.push_back(std::move(c));
    return FnId{static_cast<std::uint32_t>(p_.functions.size() - 1)};
  }

 private:
  ExprId add(ExprKind kind, Type t, diag::Span span) {
    p_.exprs.push_back(Expr{std::move(kind), t, span});
    return ExprId{static_cast<std::uint32_t>(p_.exprs.size() - 1)};
  }
  StmtId add(StmtKind kind, diag::Span span) {
    p_.stmts.push_back(Stmt{std::move(kind), span});
    return StmtId{static_cast<std::uint32_t>(p_.stmts.size() - 1)};
  }
  ExprId ref(LocalId l, diag::Span span) { return add(LocalRef{l}, (*locals_)[l.v].type, span); }
  LocalId hidden(std::uint32_t loop, LiveSlot::Kind kind) { return hidden_.at({loop, kind}); }

  ExprId clone(ExprId id) {
    if (!id.valid()) {
      return id;
    }
    Expr e = p_.expr(id);
    if (auto* r = std::get_if<LocalRef>(&e.kind)) {
      r->local = map_[r->local.v];
    }
    each_child(e.kind, [&](ExprId& c) { c = clone(c); });
    return add(std::move(e.kind), e.type, e.span);
  }

  Block clone(const Block& b) {
    Block out;
    for (StmtId s : std::vector<StmtId>(b.stmts)) {
      out.stmts.push_back(clone(s));
    }
    return out;
  }

  StmtId clone(StmtId id) {
    Stmt s = p_.stmt(id);
    auto m = [&](LocalId& l) { l = map_[l.v]; };
    std::visit(overloaded{
                   [&](Let& x) {
                     m(x.local);
                     x.init = clone(x.init);
                   },
                   [&](LetTuple& x) {
                     for (LocalId& l : x.locals) {
                       m(l);
                     }
                     x.init = clone(x.init);
                   },
                   [&](Assign& x) {
                     m(x.local);
                     x.value = clone(x.value);
                   },
                   [&](StoreIndex& x) {
                     x.base = clone(x.base);
                     for (ExprId& i : x.indices) {
                       i = clone(i);
                     }
                     x.value = clone(x.value);
                   },
                   [&](StoreView& x) {
                     x.target = clone(x.target);
                     x.value = clone(x.value);
                   },
                   [&](ExprStmt& x) { x.expr = clone(x.expr); },
                   [&](If& x) {
                     x.cond = clone(x.cond);
                     x.then_body = clone(x.then_body);
                     x.else_body = clone(x.else_body);
                   },
                   [&](While& x) {
                     x.cond = clone(x.cond);
                     x.body = clone(x.body);
                   },
                   [&](For& x) {
                     m(x.var);
                     x.lo = clone(x.lo);
                     x.hi = clone(x.hi);
                     x.step = clone(x.step);
                     x.body = clone(x.body);
                     for (Reduction& r : x.reductions) {
                       m(r.local);
                     }
                     for (Reduction& r : x.array_reductions) {
                       m(r.local);
                     }
                   },
                   [](Break&) {},
                   [](Continue&) {},
                   [&](Return& x) { x.value = clone(x.value); },
               },
               s.kind);
    return add(std::move(s.kind), s.span);
  }

  /// `for v in index..hi by step {body}` from the loop's hidden state (loop number `n`).
  StmtId resumed_for(const For& f, std::uint32_t n, Block body, diag::Span span) {
    For x;
    x.var = map_[f.var.v];
    x.lo = ref(hidden(n, LiveSlot::Kind::ForIndex), span);
    x.hi = ref(hidden(n, LiveSlot::Kind::ForHi), span);
    if (f.step.valid() && !std::holds_alternative<IntConst>(p_.expr(f.step).kind)) {
      x.step = ref(hidden(n, LiveSlot::Kind::ForStep), span);
    } else {
      x.step = clone(f.step);
    }
    x.body = std::move(body);
    // An outermost parallel loop resumes from its start (its only entry point), whole: the
    // same reductions onto the variables' values at the switch.
    x.parallel = f.parallel;
    for (const std::vector<Reduction>* from : {&f.reductions, &f.array_reductions}) {
      std::vector<Reduction>& to = from == &f.reductions ? x.reductions : x.array_reductions;
      for (Reduction r : *from) {
        r.local = map_[r.local.v];
        to.push_back(r);
      }
    }
    return add(std::move(x), span);
  }

  /// The statements that run the rest of the call from loop `loop_`'s header.
  std::vector<StmtId> resume() {
    // The loops' numbers along the path: the walker numbers them in the same pre-order.
    std::vector<std::uint32_t> numbers = loop_numbers();
    std::vector<StmtId> out;
    for (std::size_t t = path_.size(); t-- > 0;) {
      const Level& lv = path_[t];
      Stmt s = p_.stmt(lv.block[lv.index]);
      std::vector<StmtId> seq;
      if (t + 1 == path_.size()) {
        if (const auto* w = std::get_if<While>(&s.kind)) {
          seq.push_back(add(While{clone(w->cond), clone(w->body)}, s.span));
        } else {
          const auto& f = std::get<For>(s.kind);
          seq.push_back(resumed_for(f, numbers[t], clone(f.body), s.span));
        }
      } else if (std::holds_alternative<If>(s.kind)) {
        seq = std::move(out);
      } else {
        // An enclosing loop: its current iteration's rest first, then its next iterations.
        LocalId first{static_cast<std::uint32_t>(locals_->size())};
        locals_->push_back(Local{"#first", Type::boolean(), true, s.span});
        seq.push_back(add(Let{first, add(BoolConst{true}, Type::boolean(), s.span)}, s.span));
        Block rest;
        rest.stmts.push_back(add(
            Assign{first, AssignOp::Set, add(BoolConst{false}, Type::boolean(), s.span)}, s.span));
        rest.stmts.insert(rest.stmts.end(), out.begin(), out.end());
        auto pick = [&](const Block& body) {
          Block b;
          b.stmts.push_back(add(If{ref(first, s.span), std::move(rest), clone(body)}, s.span));
          return b;
        };
        if (const auto* w = std::get_if<While>(&s.kind)) {
          ExprId cond = add(Binary{BinaryOp::Or, ref(first, s.span), clone(w->cond)},
                            Type::boolean(), s.span);
          Block b = pick(w->body);
          seq.push_back(add(While{cond, std::move(b)}, s.span));
        } else {
          const auto& f = std::get<For>(s.kind);
          Block b = pick(f.body);
          seq.push_back(resumed_for(f, numbers[t], std::move(b), s.span));
        }
      }
      for (std::size_t j = lv.index + 1; j < lv.block.size(); ++j) {
        seq.push_back(clone(lv.block[j]));
      }
      out = std::move(seq);
    }
    return out;
  }

  /// For each level of the path whose statement is a `for`, its loop number (from the live
  /// slots: every `for` on the path has a ForIndex there, outermost first).
  std::vector<std::uint32_t> loop_numbers() const {
    std::vector<std::uint32_t> fors;
    for (const LiveSlot& s : live_) {
      if (s.kind == LiveSlot::Kind::ForIndex) {
        fors.push_back(s.loop);
      }
    }
    std::vector<std::uint32_t> out(path_.size(), kNoId);
    std::size_t next = 0;
    for (std::size_t t = 0; t < path_.size(); ++t) {
      if (std::holds_alternative<For>(p_.stmt(path_[t].block[path_[t].index]).kind)) {
        out[t] = fors.at(next++);
      }
    }
    return out;
  }

  Program& p_;
  FnId src_;
  std::uint32_t loop_;
  std::vector<LiveSlot> live_;
  std::vector<Level> path_;
  std::vector<LocalId> map_;  // F's local -> the continuation's
  std::map<std::pair<std::uint32_t, LiveSlot::Kind>, LocalId> hidden_;
  std::vector<Local>* locals_ = nullptr;
};

}  // namespace

std::vector<LiveSlot> LoopEntryTree::live(std::uint32_t loop) const {
  std::vector<LiveSlot> out;
  for (std::uint32_t n = loops.at(loop).last; n != kNoId; n = parent[n]) {
    out.push_back(slots[n]);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

LoopEntryTree loop_entry_tree(const Program& program, FnId fn) {
  return std::move(Walker(program, fn, kNoId).tree);
}

std::vector<LoopEntry> loop_entries(const Program& program, FnId fn) {
  LoopEntryTree tree = loop_entry_tree(program, fn);
  std::vector<LoopEntry> out;
  for (std::uint32_t k = 0; k < tree.loops.size(); ++k) {
    out.push_back(LoopEntry{tree.loops[k].not_entry,
                            tree.loops[k].entry() ? tree.live(k) : std::vector<LiveSlot>{}});
  }
  return out;
}

std::uint32_t word_count(const TypeTable& types, Type t) {
  if (t.is_void()) {
    return 0;
  }
  if (!t.is_tuple()) {
    return 1;
  }
  std::uint32_t n = 0;
  for (Type e : types.elems(t)) {
    n += word_count(types, e);
  }
  return n;
}

Continuation add_continuation(Program& program, FnId fn, std::uint32_t loop) {
  if (!fn.valid() || fn.v >= program.functions.size()) {
    throw std::invalid_argument("add_continuation: no such function");
  }
  Walker w(program, fn, loop);
  if (loop >= w.tree.loops.size()) {
    throw std::invalid_argument("add_continuation: '" + program.fn(fn).name + "' has no loop " +
                                std::to_string(loop));
  }
  if (!w.tree.loops[loop].entry()) {
    throw std::invalid_argument("add_continuation: loop " + std::to_string(loop) + " of '" +
                                program.fn(fn).name + "': " + w.tree.loops[loop].not_entry);
  }
  std::vector<LiveSlot> live = w.tree.live(loop);
  FnId id = Builder(program, fn, loop, live, std::move(w.target_path)).build();
  return Continuation{id, std::move(live)};
}

FnId add_launcher(Program& program, ExprId launch) {
  if (!launch.valid() || launch.v >= program.exprs.size() ||
      !std::holds_alternative<Launch>(program.expr(launch).kind)) {
    throw std::invalid_argument("add_launcher: not a kernel launch");
  }
  // Copies: the pushes below may move the program's tables.
  const Expr e = program.expr(launch);
  const Launch l = std::get<Launch>(e.kind);
  // Named after the function holding the launch site, not the kernel: an error raised in a
  // module's kernel launched by the script's code is then reported at the launch, as for the
  // launch itself (codegen/common/library_error.hpp goes by these names).
  std::string site = program.fn(l.kernel).name;
  std::vector<char> no_calls(program.functions.size(), 0);
  const Expr* target = &program.expr(launch);
  for (const Function& g : program.functions) {
    if (block_reaches(
            program, g.body, no_calls, [&](const Expr& x) { return &x == target; },
            [](const Stmt&) { return false; })) {
      site = g.name;
      break;
    }
  }
  Function f;
  f.name = site + "#launch" + std::to_string(launch.v);
  f.span = e.span;
  auto param = [&](std::string name, Type t, diag::Span span) {
    LocalId id{static_cast<std::uint32_t>(f.locals.size())};
    f.locals.push_back(Local{std::move(name), t, false, span});
    program.exprs.push_back(Expr{LocalRef{id}, t, span});
    return ExprId{static_cast<std::uint32_t>(program.exprs.size() - 1)};
  };
  Launch body{l.kernel, {}, {}};
  for (std::size_t d = 0; d < l.grid.size(); ++d) {
    const Expr& g = program.expr(l.grid[d]);
    body.grid.push_back(param("#grid" + std::to_string(d), g.type, g.span));
  }
  for (std::size_t k = 0; k < l.args.size(); ++k) {
    const Expr& a = program.expr(l.args[k]);
    body.args.push_back(param("#arg" + std::to_string(k), a.type, a.span));
  }
  f.param_count = static_cast<std::uint32_t>(f.locals.size());
  program.exprs.push_back(Expr{std::move(body), e.type, e.span});
  ExprId call{static_cast<std::uint32_t>(program.exprs.size() - 1)};
  program.stmts.push_back(Stmt{ExprStmt{call}, e.span});
  f.body.stmts.push_back(StmtId{static_cast<std::uint32_t>(program.stmts.size() - 1)});
  program.functions.push_back(std::move(f));
  return FnId{static_cast<std::uint32_t>(program.functions.size() - 1)};
}

}  // namespace kestrel::ir
