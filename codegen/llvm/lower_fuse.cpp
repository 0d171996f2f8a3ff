// Fusion: an elementwise chain over 1-D float arrays (+ - * / **, unary minus, the math
// functions, elementwise min/max, with pure scalar operands) under `sum(…)` or stored by
// `out[:] op= …` compiles to one loop with no temporary array; so does a chain over 2-D arrays
// stored by `out[:, :] op= …` when, at run time, the target and every array read are row-major
// contiguous with one shape (else the unfused code runs: broadcasting, views, errors). The loop
// runs only when every array read has the length of the first (and, for a store, does not partially
// overlap the target); otherwise the unfused code runs, which raises the runtime's own errors in
// the interpreter's order. A fused sum keeps reduce.hpp's order: chunks of kReduceChunk summed left
// to right, then combine_tree; so every result is the interpreter's, bit for bit.
// The loop is outlined (outline_fused) as a function over elements [lo, hi): a sum's partial of
// one chunk, or a store's chunk. The runtime runs its chunks on every core above a size threshold
// (else inline, in order) and polls the run's limits before each (kestrel_rt_fused_sum /
// kestrel_rt_fused_for, runtime/parallel.hpp), so a long fused loop stops within a chunk; a small
// one (run_fused) is called directly, charged to the back-edge budget by its length. The chunks of
// a sum are the kReduceChunk ones whatever the thread count, so its result does not depend on it; a
// store's elements are independent; and a chain of float operations cannot fail, so no error
// depends on which chunk runs first. (FnLowering's members.)
#include "codegen/llvm/lower_context.hpp"
#include "runtime/parallel.hpp"

namespace kestrel::jit::lower {

bool FnLowering::fusible(ExprId id, Fused& f) const {
  const ir::Expr& e = ex(id);
  if (!e.type.is_array()) {
    if (e.type.is_scalar() && e.type.scalar == f.s && pure_scalar(p_, id)) {
      f.scalars.push_back(id);
      return true;
    }
    return false;
  }
  if (e.type.rank != f.rank || e.type.scalar != f.s) {
    return false;
  }
  return std::visit(
      ir::overloaded{
          [&](const ir::LocalRef& r) {
            f.leaves.push_back(r.local);
            return true;
          },
          [&](const ir::Unary& u) { return u.op == ir::UnaryOp::Neg && fusible(u.operand, f); },
          [&](const ir::Binary& b) {
            bool ok = b.op == BinaryOp::Add || b.op == BinaryOp::Sub || b.op == BinaryOp::Mul ||
                      b.op == BinaryOp::Div || b.op == BinaryOp::Pow;
            return ok && fusible(b.lhs, f) && fusible(b.rhs, f);
          },
          [&](const ir::BuiltinCall& c) {
            switch (c.builtin) {
              case Builtin::Exp:
              case Builtin::Log:
              case Builtin::Sqrt:
              case Builtin::Abs:
              case Builtin::Sin:
              case Builtin::Cos:
              case Builtin::Tanh:
              case Builtin::Sigmoid:
              case Builtin::Floor:
              case Builtin::Tan:
              case Builtin::Log10:
              case Builtin::Log2:
              case Builtin::Ceil:
              case Builtin::Round:
                return fusible(c.args[0], f);
              case Builtin::Minimum:
              case Builtin::Maximum:
                return fusible(c.args[0], f) && fusible(c.args[1], f);
              default:
                return false;
            }
          },
          kinds<ir::IntConst, ir::FloatConst, ir::BoolConst, ir::StrConst, ir::Convert, ir::MatMul,
                ir::Call, ir::Launch, ir::Index, ir::SliceView, ir::Transpose, ir::TableColumn,
                ir::TableRows, ir::ArrayLit, ir::MakeTuple, ir::ErrorExpr>([&]() { return false; }),
      },
      e.kind);
}

/// Loads the leaves' views, evaluates the hoisted scalars, and returns the condition under
/// which the fused loop may run (equal lengths; with `target`, no partial overlap with it).
Value* FnLowering::fused_prologue(Fused& f, Value* target) {
  for (ExprId id : f.scalars) {
    f.hoisted[id.v] = eval_scalar(id);
  }
  Value* ok = llvm::ConstantInt::getTrue(c());
  Value* n = nullptr;
  Value* t_buf = nullptr;
  Value* t_data = nullptr;
  Value* t_stride = nullptr;
  Value* cols = nullptr;  // rank 2: the target's
  // Rank 2 runs only over row-major contiguous matrices (strides {cols, 1}) of the target's shape,
  // as one vector of rows * cols elements with stride 1; anything else takes the unfused path.
  auto contiguous = [&](Value* a, Value* ok_so_far) {
    Value* c1 = load(ml_.i64_, field(a, kArrShape + 8), ml_.tbaa_header_);
    Value* s0 = load(ml_.i64_, field(a, kArrStrides), ml_.tbaa_header_);
    Value* s1 = load(ml_.i64_, field(a, kArrStrides + 8), ml_.tbaa_header_);
    Value* same = b_.CreateAnd(ok_so_far, b_.CreateICmpEQ(c1, cols));
    return b_.CreateAnd(same, b_.CreateAnd(b_.CreateICmpEQ(s0, c1), b_.CreateICmpEQ(s1, i64c(1))));
  };
  if (target != nullptr) {
    n = load(ml_.i64_, field(target, kArrShape), ml_.tbaa_header_);
    t_buf = load(ml_.ptr_, field(target, 8), ml_.tbaa_header_);
    t_data = load(ml_.ptr_, field(target, kArrData), ml_.tbaa_header_);
    t_stride = load(ml_.i64_, field(target, kArrStrides), ml_.tbaa_header_);
    if (f.rank == 2) {
      cols = load(ml_.i64_, field(target, kArrShape + 8), ml_.tbaa_header_);
      ok = contiguous(target, ok);
      t_stride = i64c(1);
    }
  }
  for (ir::LocalId l : f.leaves) {
    if (f.leaf.count(l.v) != 0) {
      continue;
    }
    Value* a = b_.CreateLoad(ml_.ptr_, locals_[l.v][0]);
    Leaf leaf{a, load(ml_.ptr_, field(a, kArrData), ml_.tbaa_header_),
              f.rank == 2 ? i64c(1) : load(ml_.i64_, field(a, kArrStrides), ml_.tbaa_header_)};
    Value* len = load(ml_.i64_, field(a, kArrShape), ml_.tbaa_header_);
    if (n == nullptr) {
      n = len;
    } else {
      ok = b_.CreateAnd(ok, b_.CreateICmpEQ(len, n));
    }
    if (f.rank == 2) {
      ok = contiguous(a, ok);
    }
    if (target != nullptr) {
      Value* buf = load(ml_.ptr_, field(a, 8), ml_.tbaa_header_);
      Value* same_view =
          b_.CreateAnd(b_.CreateICmpEQ(leaf.data, t_data), b_.CreateICmpEQ(leaf.stride, t_stride));
      ok = b_.CreateAnd(ok, b_.CreateOr(b_.CreateICmpNE(buf, t_buf), same_view));
    }
    f.leaf[l.v] = leaf;
  }
  return ok;
}

Value* FnLowering::fused_element(ExprId id, Fused& f, Value* i) {
  const ir::Expr& e = ex(id);
  if (!e.type.is_array()) {
    return f.hoisted.at(id.v);
  }
  llvm::Type* t = ml_.scalar_type(f.s);
  return std::visit(
      ir::overloaded{
          [&](const ir::LocalRef& r) -> Value* {
            const Leaf& leaf = f.leaf.at(r.local.v);
            Value* p = b_.CreateGEP(t, leaf.data, b_.CreateMul(i, leaf.stride));
            return load(t, p, ml_.tbaa_elem_[static_cast<int>(f.s)]);
          },
          [&](const ir::Unary& u) -> Value* {
            return b_.CreateFNeg(fused_element(u.operand, f, i));
          },
          [&](const ir::Binary& bin) -> Value* {
            Value* a = fused_element(bin.lhs, f, i);
            Value* b = fused_element(bin.rhs, f, i);
            switch (bin.op) {
              case BinaryOp::Add:
                return b_.CreateFAdd(a, b);
              case BinaryOp::Sub:
                return b_.CreateFSub(a, b);
              case BinaryOp::Mul:
                return b_.CreateFMul(a, b);
              case BinaryOp::Div:
                return b_.CreateFDiv(a, b);
              default:
                return pow_of(a, b);
            }
          },
          [&](const ir::BuiltinCall& c) -> Value* {
            Value* a = fused_element(c.args[0], f, i);
            if (c.builtin == Builtin::Minimum || c.builtin == Builtin::Maximum) {
              Value* b = fused_element(c.args[1], f, i);
              return minmax(c.builtin == Builtin::Minimum, f.s, a, b);
            }
            return math1(c.builtin, f.s, a);
          },
          kinds<ir::IntConst, ir::FloatConst, ir::BoolConst, ir::StrConst, ir::Convert, ir::MatMul,
                ir::Call, ir::Launch, ir::Index, ir::SliceView, ir::Transpose, ir::TableColumn,
                ir::TableRows, ir::ArrayLit, ir::MakeTuple, ir::ErrorExpr>(
              [&]() -> Value* { throw std::logic_error("internal error: not fusible"); }),
      },
      e.kind);
}

bool FnLowering::try_fused(Type t, const ir::BuiltinCall& c, diag::Span span, Val& out) {
  if (no_fuse_ || c.builtin != Builtin::Sum || c.axis >= 0 || !t.is_scalar() ||
      (t.scalar != Scalar::F64 && t.scalar != Scalar::F32)) {
    return false;
  }
  Fused f{t.scalar, {}, {}, {}, {}, 1};
  if (!type(c.args[0]).is_array() || !fusible(c.args[0], f) || f.leaves.empty()) {
    return false;
  }
  llvm::Type* et = ml_.scalar_type(t.scalar);
  Value* ok = fused_prologue(f, nullptr);
  Value* n = load(ml_.i64_, field(f.leaf.at(f.leaves[0].v).array, kArrShape), ml_.tbaa_header_);
  BasicBlock* fused = block("sum.fused");
  BasicBlock* generic = block("sum.generic");
  BasicBlock* merge = block("sum.merge");
  b_.CreateCondBr(ok, fused, generic);

  // The partials of kReduceChunk chunks (f32 elements accumulate in f64, runtime/reduce.hpp's
  // rule), combined by the runtime's combine_tree; the result rounds once to f32.
  b_.SetInsertPoint(fused);
  Value* r = run_fused(f, c.args[0], nullptr, nullptr, nullptr, n, span);
  if (t.scalar == Scalar::F32) {
    r = b_.CreateFPTrunc(r, ml_.f32_);
  }
  BasicBlock* fused_end = b_.GetInsertBlock();
  b_.CreateBr(merge);

  b_.SetInsertPoint(generic);
  no_fuse_ = true;
  Val g = builtin(t, c, span);
  no_fuse_ = false;
  BasicBlock* generic_end = b_.GetInsertBlock();
  b_.CreateBr(merge);

  b_.SetInsertPoint(merge);
  llvm::PHINode* phi = b_.CreatePHI(et, 2, "sum");
  phi->addIncoming(r, fused_end);
  phi->addIncoming(g.one(), generic_end);
  out = scalar(t, phi);
  return true;
}

bool FnLowering::try_fused_store(const ir::StoreView& st, diag::Span span) {
  if (no_fuse_) {
    return false;
  }
  Type tt = type(st.target);
  // The target: an array variable, or all of it (`out[:]`, a view equal to it).
  const auto* target = std::get_if<ir::LocalRef>(&ex(st.target).kind);
  if (const auto* sv = std::get_if<ir::SliceView>(&ex(st.target).kind)) {
    bool whole = true;
    for (const ir::SliceDim& d : sv->dims) {
      whole = whole && d.is_range && !d.lo.valid() && !d.hi.valid() && !d.step.valid();
    }
    if (whole) {
      target = std::get_if<ir::LocalRef>(&ex(sv->base).kind);
    }
  }
  if (target == nullptr || !tt.is_array() || (tt.rank != 1 && tt.rank != 2) ||
      (tt.scalar != Scalar::F64 && tt.scalar != Scalar::F32)) {
    return false;
  }
  Fused f{tt.scalar, {}, {}, {}, {}, tt.rank};
  if (!fusible(st.value, f)) {
    return false;
  }
  Value* out = b_.CreateLoad(ml_.ptr_, locals_[target->local.v][0]);
  Value* ok = fused_prologue(f, out);
  Value* n = load(ml_.i64_, field(out, kArrShape), ml_.tbaa_header_);
  Value* data = load(ml_.ptr_, field(out, kArrData), ml_.tbaa_header_);
  Value* stride = load(ml_.i64_, field(out, kArrStrides), ml_.tbaa_header_);
  if (f.rank == 2) {  // contiguous (the prologue's condition): rows * cols elements, stride 1
    n = b_.CreateMul(n, load(ml_.i64_, field(out, kArrShape + 8), ml_.tbaa_header_));
    stride = i64c(1);
  }
  BasicBlock* fused = block("store.fused");
  BasicBlock* generic = block("store.generic");
  BasicBlock* merge = block("store.merge");
  b_.CreateCondBr(ok, fused, generic);

  b_.SetInsertPoint(fused);
  run_fused(f, st.value, &st, data, stride, n, span);
  b_.CreateBr(merge);

  b_.SetInsertPoint(generic);
  no_fuse_ = true;
  stmt_store_view(st, span);
  no_fuse_ = false;
  b_.CreateBr(merge);
  b_.SetInsertPoint(merge);
  return true;
}

Value* FnLowering::run_fused(const Fused& f, ExprId value, const ir::StoreView* st, Value* data,
                             Value* stride, Value* n, diag::Span span) {
  auto [fn, env] = outline_fused(f, value, st, data, stride);
  std::uint32_t site = ml_.site(span);
  // Small (one chunk of a sum, whose result is its partial; a store the runtime would run inline):
  // called here, after the back-edge budget is charged 1 + n / 16, so a loop of small fused loops
  // still reaches the poll within about 2^20 elements. Else the runtime's chunks, each polled.
  BasicBlock* small = block("fused.small");
  BasicBlock* chunked = block("fused.chunked");
  BasicBlock* done = block("fused.done");
  std::int64_t limit = st != nullptr ? rt::kParallelElementwiseThreshold - 1 : rt::kReduceChunk;
  b_.CreateCondBr(b_.CreateICmpSLE(n, i64c(limit)), small, chunked);
  b_.SetInsertPoint(small);
  Value* cost = b_.CreateAdd(b_.CreateTrunc(b_.CreateLShr(n, i64c(4)), ml_.i32_), i32c(1));
  Value* budget = b_.CreateSub(ctx_field(ml_.i32_, kCtxBudget), cost);
  set_ctx_field(budget, kCtxBudget);
  BasicBlock* poll_bb = block("fused.poll");
  BasicBlock* run = block("fused.run");
  b_.CreateCondBr(b_.CreateICmpSLE(budget, i32c(0)), poll_bb, run, cold_);
  b_.SetInsertPoint(poll_bb);
  Value* stop = b_.CreateCall(ml_.rt(Abi::kestrel_rt_poll), {ctx_, i32c(site)});
  b_.CreateCondBr(b_.CreateICmpNE(stop, i32c(0)), unwind_bb_, run);
  b_.SetInsertPoint(run);
  Value* here = b_.CreateCall(llvm::FunctionCallee(fn->getFunctionType(), fn), {env, i64c(0), n});
  BasicBlock* small_end = b_.GetInsertBlock();
  b_.CreateBr(done);
  b_.SetInsertPoint(chunked);
  Value* there = nullptr;
  if (st != nullptr) {
    b_.CreateCall(ml_.rt(Abi::kestrel_rt_fused_for), {ctx_, i32c(site), n, fn, env});
  } else {
    there = b_.CreateCall(ml_.rt(Abi::kestrel_rt_fused_sum), {ctx_, i32c(site), n, fn, env});
  }
  check_failed();  // stopped by an interrupt or the time limit
  BasicBlock* chunked_end = b_.GetInsertBlock();
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
  if (st != nullptr) {
    return nullptr;
  }
  llvm::PHINode* sum = b_.CreatePHI(ml_.f64_, 2, "fused.sum");
  sum->addIncoming(here, small_end);
  sum->addIncoming(there, chunked_end);
  return sum;
}

std::pair<llvm::Function*, Value*> FnLowering::outline_fused(const Fused& f, ExprId value,
                                                             const ir::StoreView* st, Value* data,
                                                             Value* stride) {
  // The environment: each leaf's data and stride (first appearance order), the hoisted scalars
  // that are not constants, then a store's target data and stride.
  std::vector<llvm::Type*> fields;
  std::vector<Value*> values;
  std::vector<std::uint32_t> seen;
  for (ir::LocalId l : f.leaves) {
    if (std::find(seen.begin(), seen.end(), l.v) != seen.end()) {
      continue;
    }
    seen.push_back(l.v);
    const Leaf& leaf = f.leaf.at(l.v);
    fields.insert(fields.end(), {ml_.ptr_, ml_.i64_});
    values.insert(values.end(), {leaf.data, leaf.stride});
  }
  for (ExprId id : f.scalars) {
    Value* v = f.hoisted.at(id.v);
    if (!llvm::isa<llvm::Constant>(v)) {  // a constant stays one in the chunk (`x ** 2` squares)
      fields.push_back(v->getType());
      values.push_back(v);
    }
  }
  if (st != nullptr) {
    fields.insert(fields.end(), {ml_.ptr_, ml_.i64_});
    values.insert(values.end(), {data, stride});
  }
  auto* env_type = llvm::StructType::get(c(), fields);
  llvm::AllocaInst* env = entry_alloca(env_type, nullptr, "fused.env");
  for (unsigned k = 0; k < values.size(); ++k) {
    b_.CreateStore(values[k], b_.CreateStructGEP(env_type, env, k));
  }
  // double partial(env, lo, hi) for a sum, void chunk(env, lo, hi) for a store.
  llvm::Type* ret = st != nullptr ? ml_.void_ : ml_.f64_;
  auto* fn = llvm::Function::Create(
      llvm::FunctionType::get(ret, {ml_.ptr_, ml_.i64_, ml_.i64_}, false),
      llvm::Function::InternalLinkage,
      ml_.t_.sigs[id_.v].symbol + ".fused." + std::to_string(ml_.chunk_fns_++), ml_.m_);
  FnLowering(ml_, id_, fn).fused_chunk(f, value, st, env_type);
  return {fn, env};
}

void FnLowering::fused_chunk(const Fused& parent, ExprId value, const ir::StoreView* st,
                             llvm::StructType* env_type) {
  b_.SetInsertPoint(block("entry"));
  Value* env = f_->getArg(0);
  Value* lo = f_->getArg(1);
  Value* hi = f_->getArg(2);
  Fused f{parent.s, parent.leaves, parent.scalars, {}, {}, parent.rank};
  unsigned at = 0;
  auto next = [&](llvm::Type* t) {
    return b_.CreateLoad(t, b_.CreateStructGEP(env_type, env, at++));
  };
  for (ir::LocalId l : f.leaves) {
    if (f.leaf.count(l.v) == 0) {
      Value* data = next(ml_.ptr_);
      f.leaf[l.v] = Leaf{nullptr, data, next(ml_.i64_)};
    }
  }
  for (ExprId id : f.scalars) {
    Value* v = parent.hoisted.at(id.v);
    f.hoisted[id.v] = llvm::isa<llvm::Constant>(v) ? v : next(ml_.scalar_type(f.s));
  }
  Value* t_data = nullptr;
  Value* t_stride = nullptr;
  if (st != nullptr) {
    t_data = next(ml_.ptr_);
    t_stride = next(ml_.i64_);
  }
  BasicBlock* pre = b_.GetInsertBlock();
  BasicBlock* body = block("body");
  BasicBlock* done = block("done");
  b_.CreateCondBr(b_.CreateICmpSLT(lo, hi), body, done);
  b_.SetInsertPoint(body);
  llvm::PHINode* i = b_.CreatePHI(ml_.i64_, 2, "i");
  i->addIncoming(lo, pre);
  llvm::PHINode* acc = nullptr;
  if (st == nullptr) {  // left to right from 0, in f64
    acc = b_.CreatePHI(ml_.f64_, 2, "acc");
    acc->addIncoming(llvm::ConstantFP::get(ml_.f64_, 0.0), pre);
  }
  Value* next_acc = nullptr;
  Value* x = fused_element(value, f, i);
  if (st == nullptr) {
    next_acc = b_.CreateFAdd(acc, f.s == Scalar::F32 ? b_.CreateFPExt(x, ml_.f64_) : x);
  } else {
    Value* p = b_.CreateGEP(ml_.scalar_type(f.s), t_data, b_.CreateMul(i, t_stride));
    store_element(p, f.s, st->op, x);
  }
  Value* next_i = b_.CreateAdd(i, i64c(1));
  BasicBlock* body_end = b_.GetInsertBlock();
  i->addIncoming(next_i, body_end);
  if (acc != nullptr) {
    acc->addIncoming(next_acc, body_end);
  }
  b_.CreateCondBr(b_.CreateICmpSLT(next_i, hi), body, done);
  b_.SetInsertPoint(done);
  if (st != nullptr) {
    b_.CreateRetVoid();
    return;
  }
  llvm::PHINode* sum = b_.CreatePHI(ml_.f64_, 2, "sum");
  sum->addIncoming(llvm::ConstantFP::get(ml_.f64_, 0.0), pre);
  sum->addIncoming(next_acc, body_end);
  b_.CreateRet(sum);
}

}  // namespace kestrel::jit::lower
