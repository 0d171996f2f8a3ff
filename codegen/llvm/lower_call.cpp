// Calls of Kestrel functions and kernel launches (FnLowering's members).
#include "codegen/common/library_error.hpp"
#include "codegen/llvm/lower_context.hpp"

namespace kestrel::jit::lower {

// ---- calls -----------------------------------------------------------------------------------

Value* FnLowering::checked_depth(std::uint32_t site) {
  Value* depth = ctx_field(ml_.i32_, kCtxDepth);
  raise_if(b_.CreateICmpUGE(depth, ctx_field(ml_.i32_, kCtxMaxDepth)), [&] {
    b_.CreateCall(ml_.rt(Abi::kestrel_rt_raise_stack_overflow), {ctx_, i32c(site)});
  });
  return depth;
}

void FnLowering::check_grid(const ir::Launch& l, const std::vector<Value*>& grid,
                            std::uint32_t site) {
  for (Value* g : grid) {
    raise_if(b_.CreateICmpSLT(g, i64c(0)), [&] {
      Value* what = b_.CreateGlobalStringPtr("launch of " + p_.fn(l.kernel).name);
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_raise_negative_size), {ctx_, i32c(site), g, what});
    });
  }
}

std::vector<Value*> FnLowering::emit_call(ir::FnId fn, const std::vector<Value*>& args,
                                          diag::Span span) {
  // The VM's CALL: the depth limit, then the interrupt poll, then the call.
  std::uint32_t st = ml_.site(span);
  Value* depth = checked_depth(st);
  // And the stack actually left: a call from a frame below the thread's limit (rt::stack_limit)
  // is a stack overflow too, an error rather than a signal.
  Value* frame = b_.CreateIntrinsic(llvm::Intrinsic::frameaddress, {ml_.ptr_}, {i32c(0)});
  raise_if(
      b_.CreateICmpULT(b_.CreatePtrToInt(frame, ml_.i64_), ctx_field(ml_.i64_, kCtxStackLimit)),
      [&] {
        b_.CreateCall(ml_.rt(Abi::kestrel_rt_raise_stack_exhausted), {ctx_, i32c(st)});
      });
  poll(span);
  set_ctx_field(b_.CreateAdd(depth, i32c(1)), kCtxDepth);
  const ir::Function& callee = p_.fn(fn);
  std::vector<Type> rts = ml_.flat(callee.ret);
  std::vector<Value*> call_args{ctx_};
  llvm::AllocaInst* out = nullptr;
  if (callee.ret.is_tuple()) {
    out = entry_alloca(llvm::ArrayType::get(ml_.i64_, rts.size()), nullptr, "out");
    call_args.push_back(out);
  }
  call_args.insert(call_args.end(), args.begin(), args.end());
  Value* r = b_.CreateCall(ml_.fns_[fn.v], call_args);
  set_ctx_field(depth, kCtxDepth);
  std::vector<Value*> results;
  if (out != nullptr) {
    for (std::size_t k = 0; k < rts.size(); ++k) {
      Value* at = b_.CreateConstInBoundsGEP1_64(ml_.i64_, out, k);
      Type t = rts[k];
      if (t.is_scalar() &&
          (t.scalar == Scalar::Bool || t.scalar == Scalar::I32 || t.scalar == Scalar::I64)) {
        Value* w = b_.CreateLoad(ml_.i64_, at);
        results.push_back(t.scalar == Scalar::Bool  ? b_.CreateICmpNE(w, i64c(0))
                          : t.scalar == Scalar::I32 ? b_.CreateTrunc(w, ml_.i32_)
                                                    : w);
      } else {
        results.push_back(b_.CreateLoad(ml_.type_of(t), at));
      }
    }
  } else if (!rts.empty()) {
    results.push_back(r);
  }
  return results;
}

Val FnLowering::call(const ir::Call& c, Type t, diag::Span span) {
  std::vector<Val> args;
  std::vector<Value*> flat;
  for (ExprId a : c.args) {
    args.push_back(eval(a));
    flat.insert(flat.end(), args.back().v.begin(), args.back().v.end());
  }
  std::vector<Value*> results = emit_call(c.fn, flat, span);
  // A result array is owned; put it in a cleanup slot before checking for an error (it is null
  // then, and the unwind releases nothing for it).
  Val r;
  std::vector<Type> rts = ml_.flat(t);
  for (std::size_t k = 0; k < results.size(); ++k) {
    r.v.push_back(results[k]);
    r.types.push_back(rts[k]);
    if (is_ref(rts[k])) {
      llvm::AllocaInst* s = temp_slot(rts[k]);
      b_.CreateStore(results[k], s, true);
      r.slot.push_back(s);
    } else {
      r.slot.push_back(nullptr);
    }
  }
  resite_module_call(c.fn, span);
  check_failed();
  for (Val& a : args) {
    drop(a);
  }
  return r;
}

void FnLowering::resite_module_call(ir::FnId callee, diag::Span span) {
  if (codegen::is_module_function(p_.fn(callee).name) &&
      !codegen::is_module_function(p_.fn(id_).name)) {
    // The script's call or launch of a module's function or kernel: an error raised in the
    // module's code is reported here, with a note at where it was raised
    // (codegen/common/library_error.hpp).
    raise_if(b_.CreateICmpNE(ctx_field(ml_.i32_, kCtxFailed), i32c(0)), [&] {
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_resite),
                    {ctx_, i32c(ml_.site(span)), b_.CreateGlobalStringPtr(p_.fn(callee).name)});
    });
  }
}

void FnLowering::launch(const ir::Launch& l, diag::Span span) {
  std::vector<Value*> grid;
  for (ExprId g : l.grid) {
    grid.push_back(eval_scalar(g));
  }
  std::vector<Val> args;
  std::vector<Value*> flat;
  std::vector<Type> flat_types;
  for (ExprId a : l.args) {
    args.push_back(eval(a));
    flat.insert(flat.end(), args.back().v.begin(), args.back().v.end());
    flat_types.insert(flat_types.end(), args.back().types.begin(), args.back().types.end());
  }
  // One kernel instance per index: for i in 0..grid[0] { [for j in 0..grid[1]] kernel(args) }.
  // The VM's CALL checks the depth limit at every instance; it is the same for all, so it is
  // checked once (when there is an instance at all). Interrupts are polled between blocks of
  // 2^16 instances.
  std::uint32_t st = ml_.site(span);
  // A negative size is an error, as in zeros(-1) (the VM's CHECKGRID).
  check_grid(l, grid, st);
  // A kernel that draws from the seeded stream: instance i (row-major over the grid) draws from
  // substream(base, i) (launch_loops), and the launch advances the stream by one draw, as a
  // parallel for does. A chunk's context starts with the base as its stream.
  bool streams = ml_.uses_stream_[l.kernel.v] != 0;
  Value* base_key = streams ? ctx_field(ml_.i64_, kCtxKey) : nullptr;
  Value* base_ctr = streams ? ctx_field(ml_.i64_, kCtxCounter) : nullptr;
  BasicBlock* done = block("launch.done");
  Value* any = b_.CreateICmpSGT(grid[0], i64c(0));
  for (std::size_t d = 1; d < grid.size(); ++d) {
    any = b_.CreateAnd(any, b_.CreateICmpSGT(grid[d], i64c(0)));
  }
  BasicBlock* run = block("launch");
  b_.CreateCondBr(any, run, done);
  b_.SetInsertPoint(run);
  Value* depth = checked_depth(st);
  set_ctx_field(b_.CreateAdd(depth, i32c(1)), kCtxDepth);
  if (!in_chunk_ && ml_.chunks_.chunk_safe_launch(l.kernel)) {
    // Rows of axis 0 in chunks on the runtime's threads: the chunk function gets the grid and
    // the flat arguments (borrowed: this frame holds them until the launch returns).
    std::vector<llvm::Type*> fields{ml_.i64_, ml_.i64_};
    for (Type t : flat_types) {
      fields.push_back(ml_.type_of(t));
    }
    auto* env_type = llvm::StructType::get(c(), fields);
    llvm::AllocaInst* env = entry_alloca(env_type, nullptr, "launch.env");
    Value* cols = grid.size() > 1 ? grid[1] : i64c(1);
    b_.CreateStore(grid[0], b_.CreateStructGEP(env_type, env, 0));
    b_.CreateStore(cols, b_.CreateStructGEP(env_type, env, 1));
    for (std::size_t k = 0; k < flat.size(); ++k) {
      b_.CreateStore(flat[k], b_.CreateStructGEP(env_type, env, static_cast<unsigned>(k + 2)));
    }
    auto* chunk_type =
        llvm::FunctionType::get(ml_.void_, {ml_.ptr_, ml_.ptr_, ml_.i64_, ml_.i64_}, false);
    auto* chunk_fn = llvm::Function::Create(
        chunk_type, llvm::Function::InternalLinkage,
        ml_.t_.sigs[id_.v].symbol + ".launch." + std::to_string(ml_.chunk_fns_++), ml_.m_);
    FnLowering(ml_, id_, chunk_fn).run_chunk_launch(l, span, flat_types, env_type);
    // About 16384 instances per chunk, fewer when the kernel loops or calls (costly instances).
    std::int64_t per_chunk = ml_.chunks_.heavy(p_.fn(l.kernel).body) ? 1024 : 16384;
    Value* rows = b_.CreateUDiv(i64c(per_chunk), cols);
    rows = b_.CreateSelect(b_.CreateICmpEQ(rows, i64c(0)), i64c(1), rows);
    b_.CreateCall(ml_.rt(Abi::kestrel_rt_parallel_for_ctx),
                  {ctx_, i64c(0), grid[0], rows, chunk_fn, env});
    check_failed();
  } else {
    launch_loops(l, grid, flat, flat_types, i64c(0), grid[0], st, span);
  }
  set_ctx_field(depth, kCtxDepth);
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
  if (streams) {
    set_ctx_field(base_key, kCtxKey);
    set_ctx_field(b_.CreateAdd(base_ctr, i64c(1)), kCtxCounter);
  }
  for (Val& a : args) {
    drop(a);
  }
}

void FnLowering::launch_loops(const ir::Launch& l, const std::vector<Value*>& grid,
                              const std::vector<Value*>& flat, const std::vector<Type>& flat_types,
                              Value* row_lo, Value* row_hi, std::uint32_t st, diag::Span span) {
  // Two copies of the loop nest when the kernel has an in-bounds copy (every access is
  // P[index(0)…], see kernel_indexes_by_grid): that copy runs once every array argument spans
  // the grid on its axes; the checked kernel runs otherwise.
  llvm::Function* in_bounds = ml_.in_bounds_[l.kernel.v];
  Value* fits = llvm::ConstantInt::getTrue(c());
  for (std::size_t k = 0; k < flat.size() && in_bounds != nullptr; ++k) {
    Type t = flat_types[k];
    if (!t.is_array()) {
      continue;
    }
    if (t.rank > grid.size()) {
      in_bounds = nullptr;  // it would read an index() the launch does not set
      break;
    }
    for (std::size_t d = 0; d < t.rank; ++d) {
      Value* size = load(ml_.i64_, field(flat[k], kArrShape + 8 * d), ml_.tbaa_header_);
      fits = b_.CreateAnd(fits, b_.CreateICmpULE(grid[d], size));
    }
  }
  // The stream's base when the kernel draws from it (the context's stream on entry).
  bool streams = ml_.uses_stream_[l.kernel.v] != 0;
  Value* base_key = streams ? ctx_field(ml_.i64_, kCtxKey) : nullptr;
  Value* base_ctr = streams ? ctx_field(ml_.i64_, kCtxCounter) : nullptr;
  // Axis 0 runs over [row_lo, row_hi) (one chunk's rows), the others over the whole grid.
  std::vector<Value*> ends = grid;
  ends[0] = row_hi;
  BasicBlock* after = block("launch.after");
  auto nest = [&](llvm::Function* kernel) {
    std::vector<llvm::PHINode*> vars;
    std::vector<BasicBlock*> heads;
    std::size_t inner = grid.size() - 1;
    llvm::PHINode* block_start = nullptr;
    Value* block_end = nullptr;
    BasicBlock* block_head = nullptr;
    for (std::size_t d = 0; d < grid.size(); ++d) {
      BasicBlock* pre = b_.GetInsertBlock();
      Value* first = d == 0 ? row_lo : i64c(0);
      if (d == inner) {
        // The innermost axis runs in blocks of 2^16 instances, the interrupt polled between.
        block_head = block("launch.block");
        b_.CreateBr(block_head);
        b_.SetInsertPoint(block_head);
        block_start = b_.CreatePHI(ml_.i64_, 2, "block");
        block_start->addIncoming(first, pre);
        Value* left = b_.CreateSub(ends[d], block_start);
        block_end = b_.CreateSelect(b_.CreateICmpUGT(left, i64c(1 << 16)),
                                    b_.CreateAdd(block_start, i64c(1 << 16)), ends[d]);
        pre = block_head;
        first = block_start;
      }
      BasicBlock* head = block("launch.body");
      b_.CreateBr(head);
      b_.SetInsertPoint(head);
      llvm::PHINode* v = b_.CreatePHI(ml_.i64_, 2, "index");
      v->addIncoming(first, pre);
      set_ctx_field(v, kCtxIndex + 8 * d);
      vars.push_back(v);
      heads.push_back(head);
    }
    if (streams) {
      Value* linear = grid.size() > 1 ? b_.CreateAdd(b_.CreateMul(vars[0], grid[1]), vars[1])
                                      : static_cast<Value*>(vars[0]);
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_substream), {ctx_, base_key, base_ctr, linear});
    }
    std::vector<Value*> ca{ctx_};
    ca.insert(ca.end(), flat.begin(), flat.end());
    // Inlined, so the loop is one piece of code (and vectorises when nothing can fail).
    b_.CreateCall(kernel, ca)->addFnAttr(llvm::Attribute::AlwaysInline);
    if (kernel != ml_.in_bounds_[l.kernel.v] || ml_.in_bounds_can_fail_[l.kernel.v]) {
      resite_module_call(l.kernel, span);
      check_failed();
    }
    for (std::size_t d = grid.size(); d-- > 0;) {
      Value* next = b_.CreateAdd(vars[d], i64c(1));
      if (d == inner) {
        vars[d]->addIncoming(next, b_.GetInsertBlock());
        BasicBlock* block_done = block("launch.block.end");
        b_.CreateCondBr(b_.CreateICmpSLT(next, block_end), heads[d], block_done);
        b_.SetInsertPoint(block_done);
        poll_block(st, "launch.check", "launch.next", false);
        BasicBlock* go_on = b_.GetInsertBlock();
        block_start->addIncoming(block_end, go_on);
        BasicBlock* exit = block("launch.exit");
        b_.CreateCondBr(b_.CreateICmpSLT(block_end, ends[d]), block_head, exit);
        b_.SetInsertPoint(exit);
        continue;
      }
      poll(span);
      vars[d]->addIncoming(next, b_.GetInsertBlock());
      BasicBlock* exit = block("launch.exit");
      b_.CreateCondBr(b_.CreateICmpSLT(next, ends[d]), heads[d], exit);
      b_.SetInsertPoint(exit);
    }
    b_.CreateBr(after);
  };
  if (in_bounds != nullptr) {
    BasicBlock* fast = block("launch.fits");
    BasicBlock* slow = block("launch.any");
    b_.CreateCondBr(fits, fast, slow);
    b_.SetInsertPoint(fast);
    nest(in_bounds);
    b_.SetInsertPoint(slow);
  }
  nest(ml_.fns_[l.kernel.v]);
  b_.SetInsertPoint(after);
}

}  // namespace kestrel::jit::lower
