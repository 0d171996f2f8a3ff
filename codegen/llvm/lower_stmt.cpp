// Statements and serial loops (FnLowering's members).
#include <algorithm>
#include <utility>

#include "codegen/llvm/lower_context.hpp"
#include "codegen/llvm/passes.hpp"

namespace kestrel::jit::lower {

void FnLowering::stmts(const ir::Block& b) {
  for (ir::StmtId s : b.stmts) {
    if (terminated()) {
      dead_block();
    }
    stmt(s);
    // The end of a run of GPU statements: copy back what the GPU wrote before host code runs.
    if (ml_.gpu_ != nullptr && ml_.gpu_->sync_after.count(s.v) != 0 && !terminated()) {
      gpu_sync();
    }
  }
}

void FnLowering::assign_local(ir::LocalId l, ExprId value, bool declaration) {
  Val v = eval(value);
  assign_flat(l, take(v), 0, declaration);
}

void FnLowering::stmt(ir::StmtId id) {
  const ir::Stmt& s = p_.stmt(id);
  diag::Span span = s.span;
  last_stmt_span_ = span;
  cur_stmt_ = id;
  std::visit(ir::overloaded{
                 [&](const ir::Let& l) { assign_local(l.local, l.init, true); },
                 [&](const ir::LetTuple& l) {
                   Val v = eval(l.init);
                   std::vector<Value*> vals = take(v);
                   std::size_t at = 0;
                   for (ir::LocalId local : l.locals) {
                     assign_flat(local, vals, at, true);
                     at += locals_[local.v].size();
                   }
                 },
                 [&](const ir::Assign& a) { assign(a, span); },
                 [&](const ir::StoreIndex& st) { store_index(st, span); },
                 [&](const ir::StoreView& st) {
                   if (!try_fused_store(st, span)) {
                     stmt_store_view(st, span);
                   }
                 },
                 [&](const ir::ExprStmt& e) {
                   Val v = eval(e.expr);
                   drop(v);
                 },
                 [&](const ir::If& i) {
                   Value* cond = eval_scalar(i.cond);
                   BasicBlock* then_bb = block("then");
                   BasicBlock* else_bb = block("else");
                   BasicBlock* end = block("endif");
                   b_.CreateCondBr(cond, then_bb, else_bb);
                   b_.SetInsertPoint(then_bb);
                   stmts(i.then_body);
                   if (!terminated()) {
                     b_.CreateBr(end);
                   }
                   b_.SetInsertPoint(else_bb);
                   stmts(i.else_body);
                   if (!terminated()) {
                     b_.CreateBr(end);
                   }
                   b_.SetInsertPoint(end);
                 },
                 [&](const ir::While& w) {
                   BasicBlock* top = block("while");
                   BasicBlock* body = block("while.body");
                   BasicBlock* latch = block("while.latch");
                   BasicBlock* exit = block("while.exit");
                   b_.CreateBr(top);
                   b_.SetInsertPoint(top);
                   Value* cond = eval_scalar(w.cond);
                   b_.CreateCondBr(cond, body, exit);
                   b_.SetInsertPoint(body);
                   loops_.push_back(Loop{exit, latch});
                   const DivisionPlan plan = division_plan(p_, fn_, w.body);
                   const DivisionPlan* saved_divisions = std::exchange(divisions_, &plan);
                   stmts(w.body);
                   divisions_ = saved_divisions;
                   loops_.pop_back();
                   if (!terminated()) {
                     b_.CreateBr(latch);
                   }
                   b_.SetInsertPoint(latch);
                   // The VM's back-edge jump carries the span of the last statement compiled before
                   // it.
                   poll(last_stmt_span_);
                   b_.CreateBr(top);
                   b_.SetInsertPoint(exit);
                 },
                 [&](const ir::For& f) { for_loop(f, span); },
                 [&](const ir::Break&) {
                   b_.CreateBr(loops_.back().brk);
                   dead_block();
                 },
                 [&](const ir::Continue&) {
                   b_.CreateBr(loops_.back().cont);
                   dead_block();
                 },
                 [&](const ir::Return& r) {
                   if (r.value.valid()) {
                     Val v = eval(r.value);
                     std::vector<Value*> vals = take(v);
                     for (std::size_t k = 0; k < vals.size(); ++k) {
                       b_.CreateStore(vals[k], ret_slots_[k]);
                     }
                   }
                   b_.CreateBr(exit_bb_);
                   dead_block();
                 },
             },
             s.kind);
}

void FnLowering::stmt_store_view(const ir::StoreView& st, diag::Span span) {
  Val target = eval(st.target);
  Val value = eval(st.value);
  std::vector<Value*> w{ctx_, i32c(ml_.site(span)), target.one(), i32c(static_cast<int>(st.op))};
  operand_words(value, type(st.value), w);
  b_.CreateCall(ml_.rt(Abi::kestrel_rt_store), w);
  check_failed();
  drop(target);
  drop(value);
}

void FnLowering::assign(const ir::Assign& a, diag::Span span) {
  if (a.op == ir::AssignOp::Set) {
    assign_local(a.local, a.value);
    return;
  }
  Type t = local_types_[a.local.v].at(0);
  BinaryOp bop = codegen::assign_binop(a.op).value();
  llvm::AllocaInst* slot = locals_[a.local.v][0];
  if (t.is_array()) {
    // A rebinding `x = x op e` (sema turns in-place updates into StoreView).
    Val v = eval(a.value);
    std::vector<Value*> w{ctx_, i32c(ml_.site(span)),
                          i32c(static_cast<int>(codegen::rt_binop(bop).value()))};
    Val cur = read_local(a.local);
    operand_words(cur, t, w);
    operand_words(v, type(a.value), w);
    Value* p = b_.CreateCall(ml_.rt(Abi::kestrel_rt_binary), w);
    Val r = array_result(t, p);
    drop(v);
    assign_flat(a.local, take(r));
    return;
  }
  Value* v = eval_scalar(a.value);
  Value* cur = b_.CreateLoad(ml_.type_of(t), slot);
  b_.CreateStore(scalar_binary(bop, t.scalar, cur, v, span), slot);
}

void FnLowering::store_element(Value* ptr, Scalar s, ir::AssignOp op, Value* v) {
  llvm::MDNode* tbaa = ml_.tbaa_elem_[static_cast<int>(s)];
  if (s == Scalar::Bool) {
    store(b_.CreateZExt(v, ml_.i8_), ptr, tbaa);
    return;
  }
  if (s == Scalar::Str) {
    b_.CreateCall(ml_.rt(Abi::kestrel_rt_assign_str), {ptr, v});
    return;
  }
  if (op == ir::AssignOp::Set) {
    store(v, ptr, tbaa);
    return;
  }
  bool fl = s == Scalar::F32 || s == Scalar::F64;
  Value* old = load(ml_.mem_type(s), ptr, tbaa);
  Value* r = nullptr;
  switch (op) {
    case ir::AssignOp::Add:
      r = fl ? b_.CreateFAdd(old, v) : b_.CreateAdd(old, v);
      break;
    case ir::AssignOp::Sub:
      r = fl ? b_.CreateFSub(old, v) : b_.CreateSub(old, v);
      break;
    case ir::AssignOp::Mul:
      r = fl ? b_.CreateFMul(old, v) : b_.CreateMul(old, v);
      break;
    case ir::AssignOp::Div:
      r = fl ? b_.CreateFDiv(old, v) : b_.CreateSDiv(old, v);
      break;
    case ir::AssignOp::Set:
      r = v;
      break;
  }
  store(r, ptr, tbaa);
}

void FnLowering::store_index(const ir::StoreIndex& st, diag::Span span) {
  if (ir::is_fancy_store(p_, st)) {  // a[mask] op= v, a[idx] op= v (runtime/fancy_index.hpp)
    Val target = eval(st.base);
    Val sel = eval(st.indices[0]);
    Val value = eval(st.value);
    std::vector<Value*> w{ctx_, i32c(ml_.site(span)), target.one(), sel.one(),
                          i32c(static_cast<int>(codegen::rt_store_op(st.op)))};
    operand_words(value, type(st.value), w);
    b_.CreateCall(ml_.rt(Abi::kestrel_rt_fancy_set), w);
    check_failed();
    drop(target);
    drop(sel);
    drop(value);
    return;
  }
  Val base = eval(st.base);
  std::vector<Value*> idx;
  for (ExprId i : st.indices) {
    idx.push_back(eval_scalar(i));
  }
  Val value = eval(st.value);
  Scalar s = type(st.base).scalar;
  bool in = proven(st.base, st.indices);
  Value* ptr = element_ptr(base.one(), s, idx, checked_ && !in, ml_.site(span), st.no_wrap,
                           in ? std::uint8_t{0xff} : nonneg_bits(st.indices));
  store_element(ptr, s, st.op, value.one());
  drop(base);
}

/// Whether the access base[indices] is proven in bounds by the enclosing loop's block check.
bool FnLowering::proven(ExprId base, const std::vector<ExprId>& indices) const {
  if (proven_.empty() || indices.size() != 1) {
    return false;
  }
  const auto* r = std::get_if<ir::LocalRef>(&ex(base).kind);
  const auto* i = std::get_if<ir::LocalRef>(&ex(indices[0]).kind);
  return r != nullptr && i != nullptr && i->local == proven_var_ &&
         std::find(proven_.begin(), proven_.end(), r->local.v) != proven_.end();
}

void FnLowering::for_loop(const ir::For& f, diag::Span span, const ChunkBounds* chunk) {
  if (chunk == nullptr && f.parallel && !in_chunk_ && ml_.gpu_ != nullptr) {
    if (const codegen::GpuRegion* r = ml_.gpu_->loop(cur_stmt_)) {
      gpu_for(f, span, *r);
      return;
    }
  }
  if (chunk == nullptr && f.parallel && !in_chunk_ && ml_.chunks_.chunk_safe_loop(fn_, f)) {
    outline_for(f, span);
    return;
  }
  // The variable of a loop from a constant >= 0 counting up never indexes from the end.
  struct NonNeg {
    std::vector<std::uint32_t>& vars;
    bool pushed;
    ~NonNeg() {
      if (pushed) {
        vars.pop_back();
      }
    }
  } nonneg{nonneg_vars_, false};
  {
    const auto* lo0 = std::get_if<ir::IntConst>(&ex(f.lo).kind);
    const auto* step0 = f.step.valid() ? std::get_if<ir::IntConst>(&ex(f.step).kind) : nullptr;
    if (lo0 != nullptr && lo0->value >= 0 && (!f.step.valid() || (step0 && step0->value > 0))) {
      nonneg_vars_.push_back(f.var.v);
      nonneg.pushed = true;
    }
  }
  llvm::AllocaInst* var = locals_[f.var.v][0];
  Type vt = local_types_[f.var.v][0];
  llvm::Type* it = ml_.type_of(vt);
  // The loop variable (immutable in the body) is a phi of each loop header, stored to its slot
  // only at the top of the body: the slot's stores then dominate nothing beyond the loop, so
  // promoting it costs mem2reg the loop's size, not the rest of the function's.
  Value* lo = nullptr;
  Value* hi = nullptr;
  Value* step = nullptr;
  if (chunk != nullptr) {
    lo = chunk->lo;
    hi = chunk->hi;
    step = chunk->step;
  } else {
    lo = eval_scalar(f.lo);
    hi = eval_scalar(f.hi);
    if (f.step.valid()) {
      const auto* k = std::get_if<ir::IntConst>(&ex(f.step).kind);
      if (k == nullptr || k->value != 1) {
        step = eval_scalar(f.step);
      }
    }
  }
  bool unit = step == nullptr;
  auto zero = llvm::ConstantInt::get(it, 0);

  // Float reductions of a parallel loop: per-chunk partials combined in reduce.hpp's tree.
  struct Red {
    llvm::AllocaInst* slot;
    Scalar s;
    ir::ReduceOp op;
    Value* saved;
    Value* handle;
  };
  std::vector<Red> reds;
  auto identity = [&](Scalar s, ir::ReduceOp op) -> Value* {
    double v = rt::combine_identity<double>(codegen::rt_combine(op));
    return llvm::ConstantFP::get(ml_.scalar_type(s), v);
  };
  // (A chunk of an outlined loop is one partial: the runtime keeps and combines them.)
  if (f.parallel && chunk == nullptr) {
    for (const ir::Reduction& r : f.reductions) {
      Type t = local_types_[r.local.v][0];
      if (t.scalar == Scalar::F64 || t.scalar == Scalar::F32) {
        llvm::AllocaInst* slot = locals_[r.local.v][0];
        Value* saved = b_.CreateLoad(ml_.scalar_type(t.scalar), slot);
        b_.CreateStore(identity(t.scalar, r.op), slot);
        Value* h = b_.CreateCall(ml_.rt(Abi::kestrel_rt_partials_begin), {ctx_});
        reds.push_back(Red{slot, t.scalar, r.op, saved, h});
      }
    }
  }
  // Array reductions (lower_parallel.cpp): private copies, handed in per chunk.
  ArrayReds ared;
  if (f.parallel && chunk == nullptr && !f.array_reductions.empty()) {
    ared = begin_array_reductions(f, ml_.site(span));
  }
  auto push_partials = [&] {
    for (Red& r : reds) {
      Value* v = b_.CreateLoad(ml_.scalar_type(r.s), r.slot);
      if (r.s == Scalar::F32) {
        v = b_.CreateFPExt(v, ml_.f64_);
      }
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_partials_push), {ctx_, r.handle, v});
      b_.CreateStore(identity(r.s, r.op), r.slot);
    }
  };
  // A parallel loop that draws from the seeded stream gives iteration i its own substream.
  bool streams = chunk != nullptr
                     ? chunk->key != nullptr
                     : f.parallel && ir::block_uses_stream(p_, f.body, ml_.uses_stream_);
  Value* base_key = chunk != nullptr ? chunk->key : nullptr;
  Value* base_ctr = chunk != nullptr ? chunk->counter : nullptr;
  if (streams && chunk == nullptr) {
    base_key = ctx_field(ml_.i64_, kCtxKey);
    base_ctr = ctx_field(ml_.i64_, kCtxCounter);
    set_ctx_field(b_.CreateAdd(base_ctr, i64c(1)), kCtxCounter);
  }
  std::uint32_t st = ml_.site(span);
  BasicBlock* exit = block("for.exit");
  // The non-unit loop counts the iterations of the current chunk (the VM's PFOR_STEP).
  llvm::AllocaInst* counter_ = nullptr;
  if (!unit && (!reds.empty() || ared.chunked)) {
    counter_ = entry_alloca(ml_.i64_, nullptr, "chunk");
    b_.CreateStore(i64c(0), counter_);
  }
  llvm::PHINode* iv = nullptr;  // the non-unit loop's variable
  if (!unit) {
    raise_message(b_.CreateICmpEQ(step, zero), st, rt::zero_step_message().c_str());
    Value* pos = b_.CreateICmpSGT(step, zero);
    Value* enter = b_.CreateSelect(pos, b_.CreateICmpSLT(lo, hi), b_.CreateICmpSGT(lo, hi));
    BasicBlock* body = block("for.body");
    BasicBlock* guard = b_.GetInsertBlock();
    b_.CreateCondBr(enter, body, exit);
    b_.SetInsertPoint(body);
    iv = b_.CreatePHI(it, 2, fn_.locals[f.var.v].name);
    iv->addIncoming(lo, guard);
    b_.CreateStore(iv, var);
  } else {
    BasicBlock* body = block("for.body");
    BasicBlock* guard = b_.GetInsertBlock();
    b_.CreateCondBr(b_.CreateICmpSLT(lo, hi), body, exit);
    b_.SetInsertPoint(body);
    iv = b_.CreatePHI(it, 2);  // the first index of a block of iterations
    iv->addIncoming(lo, guard);
  }

  if (unit) {
    // Strip-mined: blocks of B iterations with a clean inner loop (vectorisable), the interrupt
    // poll and the reduction chunk boundary between blocks. B = kReduceChunk when there are
    // float reductions, so a block is exactly one of the interpreter's chunks.
    std::int64_t block_size = reds.empty() && !ared.chunked ? (1 << 16) : rt::kReduceChunk;
    BasicBlock* outer = b_.GetInsertBlock();
    llvm::PHINode* i0 = iv;
    Value* left = b_.CreateSub(hi, i0);
    Value* end = b_.CreateSelect(b_.CreateICmpUGT(left, llvm::ConstantInt::get(it, block_size)),
                                 b_.CreateAdd(i0, llvm::ConstantInt::get(it, block_size)), hi);
    BasicBlock* block_end = block("for.block");
    bool philox = !has_loops(p_, f.body) && draws_random(p_, f.body);
    // The draws of a loop with a float reduction are written out at once: the vectoriser keeps
    // such a loop scalar (the sum's order is the interpreter's), and the SLP vectoriser then
    // packs a draw's straight-line rounds in vector lanes, which expand_random_calls, after the
    // optimiser, would not (a sum of 3*10^7 products of two draws: 313 ms against 247).
    const bool float_sum = std::any_of(
        f.reductions.begin(), f.reductions.end(),
        [&](const ir::Reduction& r) { return ir::is_float(local_types_[r.local.v][0].scalar); });
    std::vector<std::uint32_t> proven_here;
    if (vt.scalar == Scalar::I64 && !has_loops(p_, f.body)) {
      proven_here = indexed_by(p_, fn_, f.body, f.var);
    }
    // The index after the block's last iteration, from each inner loop's latch.
    std::vector<std::pair<Value*, BasicBlock*>> afters;
    auto inner_loop = [&](bool fast) {
      BasicBlock* inner = block(fast ? "for.inner.inbounds" : "for.inner");
      BasicBlock* latch = block("for.latch");
      BasicBlock* from = b_.GetInsertBlock();
      b_.CreateBr(inner);
      b_.SetInsertPoint(inner);
      llvm::PHINode* i = b_.CreatePHI(it, 2, fn_.locals[f.var.v].name);
      i->addIncoming(i0, from);
      b_.CreateStore(i, var);
      if (streams) {
        b_.CreateCall(ml_.rt(Abi::kestrel_rt_substream),
                      {ctx_, base_key, base_ctr, b_.CreateSExt(i, ml_.i64_)});
      }
      loops_.push_back(Loop{exit, latch});
      std::vector<std::uint32_t> saved = proven_;
      ir::LocalId saved_var = proven_var_;
      if (fast) {
        proven_ = proven_here;
        proven_var_ = f.var;
      }
      const bool saved_calls = philox_calls_;
      philox_calls_ = philox && !float_sum;
      const DivisionPlan plan = division_plan(p_, fn_, f.body);
      const DivisionPlan* saved_divisions = std::exchange(divisions_, &plan);
      stmts(f.body);
      divisions_ = saved_divisions;
      philox_calls_ = saved_calls;
      proven_ = saved;
      proven_var_ = saved_var;
      loops_.pop_back();
      if (!terminated()) {
        b_.CreateBr(latch);
      }
      b_.SetInsertPoint(latch);
      Value* next = b_.CreateAdd(i, llvm::ConstantInt::get(it, 1));
      i->addIncoming(next, latch);
      afters.emplace_back(next, latch);
      llvm::BranchInst* back = b_.CreateCondBr(b_.CreateICmpSLT(next, end), inner, block_end);
      if (philox) {
        // Philox is a long chain of dependent multiplies: two vector iterations in flight
        // hide its latency (measured: 1.3x on the Monte Carlo pi loop).
        llvm::LLVMContext& cx = c();
        llvm::Metadata* count[] = {
            llvm::MDString::get(cx, "llvm.loop.interleave.count"),
            llvm::ConstantAsMetadata::get(llvm::ConstantInt::get(ml_.i32_, 2))};
        llvm::MDNode* self = llvm::MDNode::getDistinct(cx, {nullptr, llvm::MDNode::get(cx, count)});
        self->replaceOperandWith(0, self);
        back->setMetadata(llvm::LLVMContext::MD_loop, self);
        passes::mark_philox_loop(*back->getFunction());
      }
    };
    // In a loop without inner loops, a[i] with i the loop variable and `a` a 1-D array the body
    // never rebinds is in bounds for the whole block when 0 <= i0 and end <= len(a): then a copy
    // of the body without those checks runs (and can vectorise); else the checked one.
    if (!proven_here.empty()) {
      Value* fits = b_.CreateICmpSGE(i0, i64c(0));
      for (std::uint32_t l : proven_here) {
        Value* a = b_.CreateLoad(ml_.ptr_, locals_[l][0]);
        fits = b_.CreateAnd(
            fits, b_.CreateICmpULE(end, load(ml_.i64_, field(a, kArrShape), ml_.tbaa_header_)));
      }
      BasicBlock* fast = block("for.fits");
      BasicBlock* slow = block("for.any");
      b_.CreateCondBr(fits, fast, slow);
      b_.SetInsertPoint(fast);
      inner_loop(true);
      b_.SetInsertPoint(slow);
    }
    inner_loop(false);
    b_.SetInsertPoint(block_end);
    llvm::PHINode* after = b_.CreatePHI(it, 2);
    for (auto [v, from] : afters) {
      after->addIncoming(v, from);
    }
    push_partials();
    if (ared.chunked) {
      array_reductions_step(ared, true);
    }
    // The interrupt check between blocks. When it stops the run, it leaves the loop through its
    // exit, which tests ctx->failed: a branch from every loop to the function's one unwind block
    // made that block an exit of every loop, and LoopSimplify and SimplifyCFG rewrote its edges
    // once per loop (quadratic in the loops of a function).
    Value* limits = ctx_field(ml_.ptr_, kCtxInterrupt);
    BasicBlock* check = block("for.poll");
    BasicBlock* next = block("for.next");
    b_.CreateCondBr(b_.CreateIsNull(limits), next, check);
    b_.SetInsertPoint(check);
    Value* stop = b_.CreateCall(ml_.rt(Abi::kestrel_rt_poll), {ctx_, i32c(st)});
    b_.CreateCondBr(b_.CreateICmpNE(stop, i32c(0)), exit, next);
    b_.SetInsertPoint(next);
    i0->addIncoming(after, b_.GetInsertBlock());
    b_.CreateCondBr(b_.CreateICmpSLT(after, hi), outer, exit);
  } else {
    BasicBlock* body = b_.GetInsertBlock();
    BasicBlock* latch = block("for.latch");
    llvm::AllocaInst* counter = counter_;
    if (streams) {
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_substream),
                    {ctx_, base_key, base_ctr, b_.CreateSExt(iv, ml_.i64_)});
    }
    loops_.push_back(Loop{exit, latch});
    const DivisionPlan plan = division_plan(p_, fn_, f.body);
    const DivisionPlan* saved_divisions = std::exchange(divisions_, &plan);
    stmts(f.body);
    divisions_ = saved_divisions;
    loops_.pop_back();
    if (!terminated()) {
      b_.CreateBr(latch);
    }
    b_.SetInsertPoint(latch);
    if (counter != nullptr) {
      Value* n = b_.CreateAdd(b_.CreateLoad(ml_.i64_, counter), i64c(1));
      BasicBlock* full = block("chunk.full");
      BasicBlock* cont = block("chunk.cont");
      b_.CreateStore(n, counter);
      b_.CreateCondBr(b_.CreateICmpEQ(n, i64c(rt::kReduceChunk)), full, cont);
      b_.SetInsertPoint(full);
      push_partials();
      if (ared.chunked) {
        array_reductions_step(ared, true);
      }
      b_.CreateStore(i64c(0), counter);
      b_.CreateBr(cont);
      b_.SetInsertPoint(cont);
    }
    poll(span);
    Value* i = iv;
    Value* pos = b_.CreateICmpSGT(step, zero);
    auto* add = b_.CreateBinaryIntrinsic(llvm::Intrinsic::sadd_with_overflow, i, step);
    Value* next = b_.CreateExtractValue(add, 0);
    Value* ovf = b_.CreateExtractValue(add, 1);
    Value* before = b_.CreateSelect(pos, b_.CreateICmpSLT(next, hi), b_.CreateICmpSGT(next, hi));
    Value* again = b_.CreateAnd(b_.CreateNot(ovf), before);
    BasicBlock* advance = block("for.advance");
    b_.CreateCondBr(again, advance, exit);
    b_.SetInsertPoint(advance);
    iv->addIncoming(next, advance);
    b_.CreateBr(body);
    if (counter != nullptr) {
      // The last, partial chunk.
      b_.SetInsertPoint(exit);
      BasicBlock* rest = block("chunk.rest");
      BasicBlock* after = block("for.after");
      b_.CreateCondBr(b_.CreateICmpSGT(b_.CreateLoad(ml_.i64_, counter), i64c(0)), rest, after);
      b_.SetInsertPoint(rest);
      push_partials();
      if (ared.chunked) {
        array_reductions_step(ared, false);
      }
      b_.CreateBr(after);
      exit = after;
    }
  }
  b_.SetInsertPoint(exit);
  if (unit) {
    check_failed();  // stopped by the interrupt check (nothing else fails on the way here)
  }
  // Reductions end in reverse order (their partial lists nest).
  for (std::size_t k = reds.size(); k-- > 0;) {
    Red& r = reds[k];
    Value* saved = r.s == Scalar::F32 ? b_.CreateFPExt(r.saved, ml_.f64_) : r.saved;
    Value* v = b_.CreateCall(
        ml_.rt(Abi::kestrel_rt_partials_end),
        {ctx_, r.handle, i32c(static_cast<int>(r.op)), i32c(r.s == Scalar::F32 ? 1 : 0), saved});
    if (r.s == Scalar::F32) {
      v = b_.CreateFPTrunc(v, ml_.f32_);
    }
    b_.CreateStore(v, r.slot);
  }
  if (ared.handle != nullptr) {
    end_array_reductions(ared);
  }
  if (streams && chunk == nullptr) {
    set_ctx_field(base_key, kCtxKey);
    set_ctx_field(b_.CreateAdd(base_ctr, i64c(1)), kCtxCounter);
  }
}

}  // namespace kestrel::jit::lower
