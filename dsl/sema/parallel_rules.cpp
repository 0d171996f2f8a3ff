// The `parallel for` rule. Iterations run in parallel in no fixed order, so a scalar declared
// outside the loop may change inside it only as a reduction: `v += e` / `v -= e` (sum),
// `v *= e` (product), `v = min(v, e)`, `v = max(v, e)`; the body must not otherwise read v, and
// one variable takes one reduction operator. An array declared outside the loop is written
// either by disjoint stores (`a[e] op= x` where an index e is the loop variable plus a constant:
// no two iterations share an element; the array may be read) or as a reduction, the same way as
// a scalar: `h[e] += x`, `h[e] -= x`, `h[e] *= x`, `h[e] = min(h[e], x)` / max, `v += row`,
// `v[1:3] *= 2` (each chunk writes a private copy, combined after the loop; the body must not
// read the array). Any other write to an outer array (`a[k] = x`, `a[:] = x`, `a[k] /= x`) is an
// error that says why. (Writes through another name for the same buffer, or inside a called
// function, are not seen here.)
#include "dsl/sema/checker.hpp"

namespace kestrel::sema {

namespace {

const char* kHow =
    "a variable from outside the loop may only be updated as a reduction: 'v += …', "
    "'v -= …', 'v *= …', 'v = min(v, …)' or 'v = max(v, …)'; or declare it inside the loop";

bool same_span(diag::Span a, diag::Span b) {
  return a.file == b.file && a.begin == b.begin && a.end == b.end;
}

/// The reduction class of a write: 0 sum, 1 product, 2 min, 3 max, -1 not a reduction.
int reduction_class(const ParallelWriteUse& w) {
  if (w.minmax) {
    return w.minmax + 1;
  }
  switch (w.op) {
    case ir::AssignOp::Add:
    case ir::AssignOp::Sub:
      return 0;
    case ir::AssignOp::Mul:
      return 1;
    default:
      return -1;
  }
}

const char* class_text(int c) {
  static const char* kText[] = {"'+='", "'*='", "'= min(…)'", "'= max(…)'"};
  return kText[c];
}

const char* kArrayHow =
    "in a 'parallel for', write an outer array by element at the loop variable plus a constant "
    "(a[i] = …, a[i + 1] = …), or reduce into it: 'h[k] += …', 'h[k] -= …', 'h[k] *= …', "
    "'h[k] = min(h[k], …)', 'h[k] = max(h[k], …)', 'v += row'";

/// The expression inside any parentheses.
const ast::Expr& unparen(const ast::Expr& e) {
  if (const auto* p = ast_if<ast::Paren>(e)) {
    return unparen(p->inner);
  }
  return e;
}

/// The text of a span with the blanks left out (to compare two index expressions).
std::string compact(const diag::SourceManager& sources, diag::Span at) {
  if (at.file == diag::kNoFile || at.file >= sources.size()) {
    return {};
  }
  const std::string& text = sources.file(at.file).text();
  std::string out;
  for (std::uint32_t k = at.begin; k < at.end && k < text.size(); ++k) {
    if (text[k] != ' ' && text[k] != '\t') {
      out += text[k];
    }
  }
  return out;
}

}  // namespace

/// Whether `e` is `v`, `v + c`, `c + v` or `v - c` with v the loop variable `var` and c an
/// integer literal.
bool Checker::loop_var_plus_const(const ast::Expr& e, LocalId var) {
  auto is_var = [&](const ast::Expr& x) {
    const auto* n = ast_if<ast::Name>(unparen(x));
    if (!n) {
      return false;
    }
    const Symbol* sym = fn_->scopes.lookup(n->name);
    return sym && sym->kind == Symbol::Kind::Local && sym->id == var.v;
  };
  auto is_const = [&](const ast::Expr& x) { return ast_if<ast::IntLit>(unparen(x)) != nullptr; };
  const ast::Expr& x = unparen(e);
  if (is_var(x)) {
    return true;
  }
  const auto* b = ast_if<ast::Binary>(x);
  if (!b || b->rest.size() != 1) {
    return false;
  }
  const ast::BinaryRest& r = b->rest[0];
  if (r.op == ast::BinOp::Add) {
    return (is_var(b->first) && is_const(r.rhs)) || (is_const(b->first) && is_var(r.rhs));
  }
  return r.op == ast::BinOp::Sub && is_var(b->first) && is_const(r.rhs);
}

int Checker::note_array_store(const ast::AssignStmt& s, const ast::Postfix& target, ir::AssignOp op,
                              std::uint8_t* no_wrap) {
  const auto* root = ast_if<ast::Name>(target.primary);
  const Symbol* sym = root ? fn_->scopes.lookup(root->name) : nullptr;
  if (fn_->parallel.empty() || !sym || sym->kind != Symbol::Kind::Local ||
      !fn().locals[sym->id].type.is_array()) {
    return 0;
  }
  bool outer = false;
  for (const ParallelFrame& frame : fn_->parallel) {
    outer = outer || sym->id < frame.first_local;
  }
  if (!outer) {
    return 0;
  }
  diag::Span at = span(s);
  const auto* idx =
      target.suffixes.size() == 1 ? ast_if<ast::IndexSuffix>(target.suffixes[0]) : nullptr;
  // h[e] = min(h[e], x) / max: the same element read as one argument.
  int minmax = 0;
  if (idx && s.op == ast::AssignOp::Set) {
    const auto* post = ast_if<ast::Postfix>(s.value);
    const auto* fn_name =
        post && post->suffixes.size() == 1 ? ast_if<ast::Name>(post->primary) : nullptr;
    const auto* call =
        post && post->suffixes.size() == 1 ? ast_if<ast::CallSuffix>(post->suffixes[0]) : nullptr;
    if (fn_name && call && call->args.size() == 2 &&
        (fn_name->name == "min" || fn_name->name == "max") && !fn_->scopes.lookup(fn_name->name) &&
        !fn_->file->globals.count(fn_name->name)) {
      std::string want = compact(sources_, span(*idx));
      for (const ast::Arg& a : call->args) {
        const auto* arg = a.keyword ? nullptr : ast_if<ast::Postfix>(a.value);
        const auto* n = arg ? ast_if<ast::Name>(arg->primary) : nullptr;
        if (n && n->name == root->name && arg->suffixes.size() == 1 &&
            ast_if<ast::IndexSuffix>(arg->suffixes[0]) &&
            compact(sources_, span(*ast_if<ast::IndexSuffix>(arg->suffixes[0]))) == want) {
          minmax = fn_name->name == "min" ? 1 : 2;
          for (ParallelFrame& frame : fn_->parallel) {
            frame.skip_reads.push_back(span(*n));
          }
          break;
        }
      }
    }
  }
  for (ParallelFrame& frame : fn_->parallel) {
    if (sym->id >= frame.first_local) {
      continue;
    }
    frame.skip_reads.push_back(span(*root));
    bool disjoint = false;
    if (idx) {
      for (std::size_t d = 0; d < idx->items.size(); ++d) {
        const auto* e = ast_if<ast::Expr>(idx->items[d]);
        if (e && loop_var_plus_const(*e, frame.var)) {
          disjoint = true;
          // A negative index there would wrap onto another iteration's element: the store
          // raises instead (ir::StoreIndex::no_wrap).
          if (no_wrap != nullptr && d < 8) {
            *no_wrap = static_cast<std::uint8_t>(*no_wrap | (1u << d));
          }
        }
      }
    }
    ArrayWriteUse w{ArrayWriteUse::Kind::Bad, op, minmax, at};
    if (disjoint) {
      w.kind = ArrayWriteUse::Kind::Disjoint;
    } else if (minmax || op == ir::AssignOp::Add || op == ir::AssignOp::Sub ||
               op == ir::AssignOp::Mul) {
      w.kind = ArrayWriteUse::Kind::Reduce;
    }
    frame.use(sym->id).array_writes.push_back(w);
  }
  return minmax;
}

void Checker::note_array_update(LocalId local, ir::AssignOp op, diag::Span at) {
  for (ParallelFrame& frame : fn_->parallel) {
    if (local.v < frame.first_local) {
      bool reduce = op == ir::AssignOp::Add || op == ir::AssignOp::Sub || op == ir::AssignOp::Mul;
      frame.use(local.v).array_writes.push_back(ArrayWriteUse{
          reduce ? ArrayWriteUse::Kind::Reduce : ArrayWriteUse::Kind::Bad, op, 0, at});
    }
  }
}

void Checker::note_read(LocalId local, diag::Span at) {
  for (ParallelFrame& frame : fn_->parallel) {
    if (local.v >= frame.first_local) {
      continue;
    }
    bool skip = false;
    for (diag::Span s : frame.skip_reads) {
      skip = skip || same_span(s, at);
    }
    if (!skip) {
      frame.use(local.v).reads.push_back(at);
    }
  }
}

void Checker::note_write(LocalId local, ir::AssignOp op, int minmax, diag::Span at) {
  for (ParallelFrame& frame : fn_->parallel) {
    if (local.v < frame.first_local) {
      frame.use(local.v).writes.push_back(ParallelWriteUse{op, minmax, at});
    }
  }
}

int Checker::minmax_reduction_pattern(const ast::AssignStmt& s, LocalId target,
                                      diag::Span& self_span) {
  if (s.op != ast::AssignOp::Set || fn_->parallel.empty()) {
    return 0;
  }
  const auto* post = ast_if<ast::Postfix>(s.value);
  if (!post || post->suffixes.size() != 1) {
    return 0;
  }
  const auto* fn_name = ast_if<ast::Name>(post->primary);
  const auto* call = ast_if<ast::CallSuffix>(post->suffixes[0]);
  if (!fn_name || !call || call->args.size() != 2 ||
      (fn_name->name != "min" && fn_name->name != "max") || fn_->scopes.lookup(fn_name->name) ||
      fn_->file->globals.count(fn_name->name)) {
    return 0;
  }
  for (const ast::Arg& a : call->args) {
    const auto* n = ast_if<ast::Name>(a.value);
    if (a.keyword || !n) {
      continue;
    }
    const Symbol* sym = fn_->scopes.lookup(n->name);
    if (sym && sym->kind == Symbol::Kind::Local && sym->id == target.v) {
      self_span = span(*n);
      return fn_name->name == "min" ? 1 : 2;
    }
  }
  return 0;
}

void Checker::close_parallel(ParallelFrame& frame, std::vector<ir::Reduction>& reductions,
                             std::vector<ir::Reduction>& array_reductions) {
  auto report = [&](diag::Span at, std::string message) -> diag::Diagnostic* {
    std::uint64_t key = (std::uint64_t{at.file} << 32) | at.begin;
    if (!parallel_reported_.insert(key).second) {
      return nullptr;
    }
    auto& d = error(diag::Kind::ParallelWrite, at, std::move(message));
    return &d;
  };
  static constexpr ir::ReduceOp kOps[] = {ir::ReduceOp::Add, ir::ReduceOp::Mul, ir::ReduceOp::Min,
                                          ir::ReduceOp::Max};
  // An outer array written inside the loop: disjoint stores only, or reductions only (one
  // operator, no reads).
  auto close_array = [&](std::uint32_t local_id, const ParallelVarUse& use) {
    const ir::Local& l = fn().locals[local_id];
    const ArrayWriteUse* reduce = nullptr;
    const ArrayWriteUse* store = nullptr;
    int cls = -1;
    for (const ArrayWriteUse& w : use.array_writes) {
      if (w.kind == ArrayWriteUse::Kind::Bad) {
        std::string why =
            w.op == ir::AssignOp::Div
                ? "'/=' is not a reduction, and no index is the loop variable plus a constant"
            : w.op == ir::AssignOp::Set
                ? "no index is the loop variable plus a constant, so two iterations may write "
                  "the same element and the result would depend on their order"
                : "the result would depend on the order of the iterations";
        if (auto* d = report(w.span, "cannot store into '" + l.name +
                                         "' inside 'parallel for': it is declared outside the "
                                         "loop, and " +
                                         why)) {
          d->notes.push_back({l.span, "declared here"});
          d->notes.push_back({w.span, kArrayHow});
        }
        return;
      }
      if (w.kind == ArrayWriteUse::Kind::Disjoint) {
        store = store ? store : &w;
        continue;
      }
      int c = reduction_class(ParallelWriteUse{w.op, w.minmax, w.span});
      if (reduce && c != cls) {
        if (auto* d = report(w.span, "'" + l.name + "' is reduced with both " + class_text(cls) +
                                         " and " + class_text(c) +
                                         " inside 'parallel for'; a reduction array takes one "
                                         "operator")) {
          d->notes.push_back({w.span, "use a separate array for each reduction"});
        }
        return;
      }
      reduce = reduce ? reduce : &w;
      cls = c;
    }
    if (!reduce) {
      return;  // disjoint stores: the array may be read
    }
    if (store) {
      if (auto* d =
              report(store->span, "cannot store into '" + l.name +
                                      "' by element inside 'parallel for': the loop also reduces "
                                      "into it, so each chunk writes a private copy of it")) {
        d->notes.push_back({reduce->span, "reduced here"});
        d->notes.push_back({store->span, "use a separate array for the stores"});
      }
      return;
    }
    if (!ir::is_numeric(l.type.scalar)) {
      report(reduce->span, "cannot reduce into '" + l.name +
                               "' inside 'parallel for': its "
                               "elements are " +
                               std::string(ir::scalar_name(l.type.scalar)) + ", not numbers");
      return;
    }
    if (!use.reads.empty()) {
      if (auto* d = report(use.reads[0],
                           "cannot read '" + l.name +
                               "' inside 'parallel for': it is a reduction array of the loop "
                               "(each chunk updates a private copy), and its values are only "
                               "known after the loop")) {
        d->notes.push_back({reduce->span, "reduced here"});
        d->notes.push_back(
            {use.reads[0], "read it after the loop, or reduce into a separate array"});
      }
      return;
    }
    array_reductions.push_back(ir::Reduction{LocalId{local_id}, kOps[cls]});
  };
  for (auto& [local_id, use] : frame.uses) {
    if (!use.array_writes.empty() && use.writes.empty()) {
      close_array(local_id, use);
      continue;
    }
    if (use.writes.empty()) {
      continue;
    }
    const ir::Local& l = fn().locals[local_id];
    bool bad = false;
    int cls = -2;
    for (const ParallelWriteUse& w : use.writes) {
      int c = reduction_class(w);
      if (c < 0 || !l.type.is_scalar() || !ir::is_numeric(l.type.scalar)) {
        std::string what = w.op == ir::AssignOp::Div ? "'/=' is not a reduction"
                                                     : "iterations run in parallel, in no fixed "
                                                       "order, so its final value would be "
                                                       "unpredictable";
        if (auto* d = report(w.span, "cannot assign to '" + l.name +
                                         "' inside 'parallel for': it is declared outside the "
                                         "loop, and " +
                                         what)) {
          d->notes.push_back({l.span, "declared here"});
          d->notes.push_back({w.span, l.type.is_array() ? kArrayHow : kHow});
        }
        bad = true;
        break;
      }
      if (cls >= 0 && c != cls) {
        if (auto* d = report(w.span, "'" + l.name + "' is reduced with both " + class_text(cls) +
                                         " and " + class_text(c) +
                                         " inside 'parallel for'; a reduction variable takes "
                                         "one operator")) {
          d->notes.push_back({w.span, "use a separate variable for each reduction"});
        }
        bad = true;
        break;
      }
      cls = c;
    }
    if (bad) {
      continue;
    }
    if (!use.reads.empty()) {
      if (auto* d =
              report(use.reads[0], "cannot read '" + l.name +
                                       "' inside 'parallel for': it is a reduction variable of the "
                                       "loop, and its value is only known after the loop")) {
        d->notes.push_back({use.writes[0].span, "reduced here"});
        d->notes.push_back({use.reads[0],
                            "read it after the loop, or keep a separate per-iteration variable "
                            "declared inside the loop"});
      }
      continue;
    }
    reductions.push_back(ir::Reduction{LocalId{local_id}, kOps[cls]});
  }
}

}  // namespace kestrel::sema
