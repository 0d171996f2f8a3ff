// The `parallel for` rule. Iterations run in parallel in no fixed order, so a scalar declared
// outside the loop may change inside it only as a reduction: `v += e` / `v -= e` (sum),
// `v *= e` (product), `v = min(v, e)`, `v = max(v, e)`; the body must not otherwise read v, and
// one variable takes one reduction operator. Array elements may be written freely (the user
// promises the iterations touch different elements).
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

}  // namespace

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

std::vector<ir::Reduction> Checker::close_parallel(ParallelFrame& frame) {
  std::vector<ir::Reduction> reductions;
  auto report = [&](diag::Span at, std::string message) -> diag::Diagnostic* {
    std::uint64_t key = (std::uint64_t{at.file} << 32) | at.begin;
    if (!parallel_reported_.insert(key).second) {
      return nullptr;
    }
    auto& d = error(diag::Kind::ParallelWrite, at, std::move(message));
    return &d;
  };
  for (auto& [local_id, use] : frame.uses) {
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
          d->notes.push_back({w.span, kHow});
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
    static constexpr ir::ReduceOp kOps[] = {ir::ReduceOp::Add, ir::ReduceOp::Mul, ir::ReduceOp::Min,
                                            ir::ReduceOp::Max};
    reductions.push_back(ir::Reduction{LocalId{local_id}, kOps[cls]});
  }
  return reductions;
}

}  // namespace kestrel::sema
