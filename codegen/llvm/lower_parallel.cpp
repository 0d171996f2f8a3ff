// Parallel loops and CPU kernel launches on the runtime's threads (FnLowering's and
// ModuleLowering's members).
//
// A `parallel for` (or a launch) whose body is chunk-safe is outlined: its body becomes an
// internal function over one chunk of the iteration range,
//   void chunk(env*, KestrelContext* chunk_ctx, i64 lo, i64 hi [, i64* partials]),
// and the parent stores what the body reads (the captured outer locals, the loop's bounds and
// step, the substream base) in an environment struct on its own frame, then calls
// kestrel_rt_parallel_for_ctx or kestrel_rt_parallel_reduce_by (runtime/parallel.hpp), which
// runs the chunks over the fixed chunking on its threads. Captured arrays are borrowed: the parent
// holds them for the whole call and sema forbids rebinding them in the body, so a chunk never
// touches their (non-atomic) counts; what a chunk creates it owns and frees, on error too (its
// own unwind block). Each chunk has its own context: errors (the runtime reports the lowest
// failing chunk's, i.e. the first failing iteration), the substream, the call depth, and the
// partials of reductions nested inside it. A chunk lowers the body with the serial loop code
// (strip-mined, hoisted bounds checks, the Philox interleave hint), and any parallel loop lexically
// inside it serially, as the runtime would run it inline anyway.
//
// Reductions: the runtime gives each chunk the identities in `partials`; the chunk accumulates
// into its own copy of the variable, left to right, and stores it back. With a float reduction the
// chunks are exactly kReduceChunk iterations, so the partials and their fixed combine tree are
// the interpreter's (bit for bit, at any thread count); integer reductions (wrapping + and *, min,
// max) give the same result in any grouping, so their loops take larger chunks.
// Array reductions (runtime/array_reduction.hpp): the parent begins a handle (in the env); each
// chunk binds the array's local to a private copy from kestrel_rt_arred_fresh and hands it in at
// its exit with its first iteration, which gives its index in the tree. A loop run serially does
// the same with the copies in shadow slots, handing them in every kReduceChunk iterations.
#include "codegen/llvm/lower_context.hpp"

namespace kestrel::jit::lower {

namespace {

/// The identity of a float or integer reduction is supplied by the runtime; these are the
/// numbers the ABI takes for an operator and an element type.
std::uint32_t elem_code(Scalar s) { return static_cast<std::uint32_t>(s); }

}  // namespace

void FnLowering::begin_chunk() {
  open_frame();
  ctx_ = f_->getArg(1);
  ctx_->setName("ctx");
  f_->getArg(0)->setName("env");
  f_->getArg(2)->setName("lo");
  f_->getArg(3)->setName("hi");
}

void FnLowering::end_chunk(const std::function<void()>& at_exit) {
  if (!terminated()) {
    b_.CreateBr(exit_bb_);
  }
  unwind_block();
  b_.SetInsertPoint(exit_bb_);
  at_exit();
  release_locals();
  b_.CreateRetVoid();
}

Value* FnLowering::array_reduction_ops(const ir::For& f, bool& any_float) {
  auto n = static_cast<std::uint32_t>(f.array_reductions.size());
  auto* codes_type = llvm::ArrayType::get(ml_.i32_, n);
  std::vector<llvm::Constant*> ops;
  any_float = false;
  for (const ir::Reduction& r : f.array_reductions) {
    ops.push_back(llvm::ConstantInt::get(ml_.i32_, static_cast<std::uint32_t>(r.op)));
    Scalar s = local_types_[r.local.v][0].scalar;
    any_float = any_float || s == Scalar::F32 || s == Scalar::F64;
  }
  return new llvm::GlobalVariable(ml_.m_, codes_type, true, llvm::GlobalValue::PrivateLinkage,
                                  llvm::ConstantArray::get(codes_type, ops), "arred.ops");
}

FnLowering::ArrayReds FnLowering::begin_array_reductions(const ir::For& f, std::uint32_t site) {
  ArrayReds a;
  auto n = static_cast<std::uint32_t>(f.array_reductions.size());
  Value* ops = array_reduction_ops(f, a.chunked);
  a.tmp = entry_alloca(llvm::ArrayType::get(ml_.ptr_, n), nullptr, "arred.tmp");
  for (std::uint32_t r = 0; r < n; ++r) {
    ir::LocalId l = f.array_reductions[r].local;
    Value* arr = b_.CreateLoad(ml_.ptr_, locals_[l.v][0]);
    b_.CreateStore(arr, b_.CreateConstInBoundsGEP2_32(a.tmp->getAllocatedType(), a.tmp, 0, r));
  }
  // The runtime holds the arrays (borrowed here: their slots keep them, set aside).
  a.handle = b_.CreateCall(ml_.rt(Abi::kestrel_rt_arred_begin),
                           {ctx_, i32c(n), ops, a.tmp, i32c(0), i64c(0), i64c(0), i32c(site)});
  for (std::uint32_t r = 0; r < n; ++r) {
    ir::LocalId l = f.array_reductions[r].local;
    a.saved.push_back(locals_[l.v][0]);
    a.shadows.push_back(temp_slot(local_types_[l.v][0]));
    locals_[l.v][0] = a.shadows.back();
  }
  b_.CreateCall(ml_.rt(Abi::kestrel_rt_arred_fresh), {ctx_, a.handle, a.tmp});
  for (std::uint32_t r = 0; r < n; ++r) {
    Value* p = b_.CreateLoad(ml_.ptr_,
                             b_.CreateConstInBoundsGEP2_32(a.tmp->getAllocatedType(), a.tmp, 0, r));
    b_.CreateStore(p, a.shadows[r]);
  }
  check_failed();
  return a;  // the slots are restored by end_array_reductions
}

void FnLowering::array_reductions_step(ArrayReds& a, bool next) {
  auto n = static_cast<std::uint32_t>(a.shadows.size());
  llvm::Type* tt = a.tmp->getAllocatedType();
  for (std::uint32_t r = 0; r < n; ++r) {
    b_.CreateStore(b_.CreateLoad(ml_.ptr_, a.shadows[r]),
                   b_.CreateConstInBoundsGEP2_32(tt, a.tmp, 0, r));
  }
  if (next) {
    b_.CreateCall(ml_.rt(Abi::kestrel_rt_arred_next), {ctx_, a.handle, a.tmp});
  } else {
    b_.CreateCall(ml_.rt(Abi::kestrel_rt_arred_done), {ctx_, a.handle, i64c(0), a.tmp});
  }
  for (std::uint32_t r = 0; r < n; ++r) {
    b_.CreateStore(b_.CreateLoad(ml_.ptr_, b_.CreateConstInBoundsGEP2_32(tt, a.tmp, 0, r)),
                   a.shadows[r]);
  }
  check_failed();
}

void FnLowering::end_array_reductions(ArrayReds& a) {
  if (!a.chunked) {
    array_reductions_step(a, false);  // integers: the whole loop is one chunk
  }
  for (llvm::AllocaInst* s : a.shadows) {
    release(b_.CreateLoad(ml_.ptr_, s), false, true);
    b_.CreateStore(llvm::ConstantPointerNull::get(ml_.ptr_), s);
  }
  b_.CreateCall(ml_.rt(Abi::kestrel_rt_arred_end),
                {ctx_, a.handle, llvm::ConstantPointerNull::get(ml_.ptr_)});
  check_failed();
  // The arrays' own slots again (the shadows stay cleanup temporaries, now null).
  for (std::size_t r = 0; r < a.saved.size(); ++r) {
    for (auto& slots : locals_) {
      if (!slots.empty() && slots[0] == a.shadows[r]) {
        slots[0] = a.saved[r];
      }
    }
  }
}

FnLowering::LoopBounds FnLowering::loop_bounds(const ir::For& f) {
  LoopBounds b{b_.CreateSExt(eval_scalar(f.lo), ml_.i64_),
               b_.CreateSExt(eval_scalar(f.hi), ml_.i64_), nullptr};
  if (f.step.valid()) {
    const auto* k = std::get_if<ir::IntConst>(&ex(f.step).kind);
    if (k == nullptr || k->value != 1) {
      b.step = b_.CreateSExt(eval_scalar(f.step), ml_.i64_);
    }
  }
  return b;
}

std::pair<Value*, Value*> FnLowering::enter_parallel_stream(bool streams) {
  if (!streams) {
    return {i64c(0), i64c(0)};
  }
  Value* key = ctx_field(ml_.i64_, kCtxKey);
  Value* counter = ctx_field(ml_.i64_, kCtxCounter);
  set_ctx_field(b_.CreateAdd(counter, i64c(1)), kCtxCounter);
  return {key, counter};
}

void FnLowering::leave_parallel_stream(bool streams, Value* key, Value* counter) {
  if (streams) {
    set_ctx_field(key, kCtxKey);
    set_ctx_field(b_.CreateAdd(counter, i64c(1)), kCtxCounter);
  }
}

Value* FnLowering::checked_trip(Value* lo, Value* hi, Value* step, std::uint32_t site) {
  raise_message(b_.CreateICmpEQ(step, i64c(0)), site, rt::zero_step_message().c_str());
  Value* pos = b_.CreateICmpSGT(step, i64c(0));
  Value* up =
      b_.CreateAdd(b_.CreateUDiv(b_.CreateSub(b_.CreateSub(hi, lo), i64c(1)), step), i64c(1));
  Value* down = b_.CreateAdd(
      b_.CreateUDiv(b_.CreateSub(b_.CreateSub(lo, hi), i64c(1)), b_.CreateNeg(step)), i64c(1));
  return b_.CreateSelect(pos, b_.CreateSelect(b_.CreateICmpSLT(lo, hi), up, i64c(0)),
                         b_.CreateSelect(b_.CreateICmpSGT(lo, hi), down, i64c(0)));
}

void FnLowering::outline_for(const ir::For& f, diag::Span span) {
  Type vt = local_types_[f.var.v][0];
  auto [lo, hi, step] = loop_bounds(f);
  bool unit = step == nullptr;
  bool streams = ir::block_uses_stream(p_, f.body, ml_.uses_stream_);
  auto [base_key, base_ctr] = enter_parallel_stream(streams);
  std::uint32_t st = ml_.site(span);
  // The runtime's range counts iterations from lo: lo..hi itself for a unit step, else
  // [0, trip count), the chunk computing i = lo + k * step.
  Value* range_lo = lo;
  Value* range_hi = hi;
  Value* trip = i64c(0);
  if (!unit) {
    trip = checked_trip(lo, hi, step, st);
    range_lo = i64c(0);
    range_hi = trip;
  }

  // The environment: the captured locals' flat values, then lo, hi, step, trip, key, counter.
  ChunkPlan plan;
  std::vector<char> used(fn_.locals.size(), 0);
  std::vector<char> declared(fn_.locals.size(), 0);
  locals_of(p_, f.body, used, declared);
  for (const ir::Reduction& r : f.reductions) {
    used[r.local.v] = 0;
  }
  for (const ir::Reduction& r : f.array_reductions) {
    used[r.local.v] = 0;  // each chunk gets a private copy from the runtime
  }
  std::vector<llvm::Type*> fields;
  for (std::uint32_t l = 0; l < fn_.locals.size(); ++l) {
    if (used[l] && !declared[l] && l != f.var.v) {
      plan.captured.push_back(ir::LocalId{l});
      for (Type t : local_types_[l]) {
        fields.push_back(ml_.type_of(t));
      }
    }
  }
  plan.extras = static_cast<unsigned>(fields.size());
  fields.insert(fields.end(), 6, ml_.i64_);
  fields.push_back(ml_.ptr_);  // the array reductions' handle
  plan.env = llvm::StructType::get(c(), fields);
  llvm::AllocaInst* env = entry_alloca(plan.env, nullptr, "loop.env");
  unsigned at = 0;
  for (ir::LocalId l : plan.captured) {
    for (std::size_t k = 0; k < locals_[l.v].size(); ++k) {
      Value* v = b_.CreateLoad(ml_.type_of(local_types_[l.v][k]), locals_[l.v][k]);
      b_.CreateStore(v, b_.CreateStructGEP(plan.env, env, at++));
    }
  }
  Value* extras[] = {lo, hi, step != nullptr ? step : i64c(1), trip, base_key, base_ctr};
  for (Value* v : extras) {
    b_.CreateStore(v, b_.CreateStructGEP(plan.env, env, at++));
  }

  // Chunk size: kReduceChunk with a float reduction (the interpreter's partials); else 16384
  // iterations of a cheap body (a chunk start costs about as much as a few hundred cheap
  // iterations), or about a thousandth of the range, at least 1 and at most 4096, when an
  // iteration loops or calls (a few costly iterations still spread over the threads).
  bool float_reduction = false;
  for (const ir::Reduction& r : f.reductions) {
    Scalar s = local_types_[r.local.v][0].scalar;
    float_reduction = float_reduction || s == Scalar::F32 || s == Scalar::F64;
  }
  Value* ared_ops = nullptr;
  if (!f.array_reductions.empty()) {
    bool any_float = false;
    ared_ops = array_reduction_ops(f, any_float);
    float_reduction = float_reduction || any_float;
  }
  Value* chunk = nullptr;
  if (float_reduction) {
    chunk = i64c(rt::kReduceChunk);
  } else if (ml_.chunks_.heavy(f.body)) {
    Value* n = b_.CreateLShr(b_.CreateSub(range_hi, range_lo), i64c(10));
    n = b_.CreateSelect(b_.CreateICmpULT(n, i64c(1)), i64c(1), n);
    chunk = b_.CreateSelect(b_.CreateICmpUGT(n, i64c(4096)), i64c(4096), n);
  } else {
    chunk = i64c(16384);
  }
  // Integer array reductions give the same result in any grouping, and each chunk fills and
  // combines a whole copy of the array: at most about 4 chunks per thread.
  Value* ared = llvm::ConstantPointerNull::get(ml_.ptr_);
  if (ared_ops != nullptr) {
    if (!float_reduction) {
      Value* t = b_.CreateSExt(b_.CreateCall(ml_.rt(Abi::kestrel_rt_threads), {}), ml_.i64_);
      Value* parts = b_.CreateMul(t, i64c(4));
      Value* per = b_.CreateUDiv(
          b_.CreateAdd(b_.CreateSub(range_hi, range_lo), b_.CreateSub(parts, i64c(1))), parts);
      chunk = b_.CreateSelect(b_.CreateICmpUGT(per, chunk), per, chunk);
    }
    auto n = static_cast<std::uint32_t>(f.array_reductions.size());
    llvm::AllocaInst* targets =
        entry_alloca(llvm::ArrayType::get(ml_.ptr_, n), nullptr, "arred.targets");
    for (std::uint32_t r = 0; r < n; ++r) {
      Value* arr = b_.CreateLoad(ml_.ptr_, locals_[f.array_reductions[r].local.v][0]);
      b_.CreateStore(arr,
                     b_.CreateConstInBoundsGEP2_32(targets->getAllocatedType(), targets, 0, r));
    }
    ared = b_.CreateCall(ml_.rt(Abi::kestrel_rt_arred_begin),
                         {ctx_, i32c(n), ared_ops, targets, i32c(0), range_lo, chunk, i32c(st)});
  }
  b_.CreateStore(ared, b_.CreateStructGEP(plan.env, env, at++));
  // After the loop (failed or not): combine the chunks' copies into the arrays, free the handle.
  auto end_ared = [&] {
    if (ared_ops != nullptr) {
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_arred_end),
                    {ctx_, ared, llvm::ConstantPointerNull::get(ml_.ptr_)});
    }
  };

  bool reduce = !f.reductions.empty();
  std::vector<llvm::Type*> params{ml_.ptr_, ml_.ptr_, ml_.i64_, ml_.i64_};
  if (reduce) {
    params.push_back(ml_.ptr_);
  }
  auto* chunk_fn = llvm::Function::Create(
      llvm::FunctionType::get(ml_.void_, params, false), llvm::Function::InternalLinkage,
      ml_.t_.sigs[id_.v].symbol + ".chunk." + std::to_string(ml_.chunk_fns_++), ml_.m_);
  FnLowering(ml_, id_, chunk_fn).run_chunk_loop(f, span, plan);

  if (!reduce) {
    b_.CreateCall(ml_.rt(Abi::kestrel_rt_parallel_for_ctx),
                  {ctx_, range_lo, range_hi, chunk, chunk_fn, env});
    end_ared();
    check_failed();
  } else {
    auto n = static_cast<std::uint32_t>(f.reductions.size());
    auto* codes_type = llvm::ArrayType::get(ml_.i32_, n);
    std::vector<llvm::Constant*> ops;
    std::vector<llvm::Constant*> elems;
    for (const ir::Reduction& r : f.reductions) {
      ops.push_back(llvm::ConstantInt::get(ml_.i32_, static_cast<std::uint32_t>(r.op)));
      elems.push_back(
          llvm::ConstantInt::get(ml_.i32_, elem_code(local_types_[r.local.v][0].scalar)));
    }
    auto global = [&](std::vector<llvm::Constant*>& v, const char* name) {
      return new llvm::GlobalVariable(ml_.m_, codes_type, true, llvm::GlobalValue::PrivateLinkage,
                                      llvm::ConstantArray::get(codes_type, v), name);
    };
    llvm::GlobalVariable* ops_g = global(ops, "reduce.ops");
    llvm::GlobalVariable* elems_g = global(elems, "reduce.elems");
    llvm::AllocaInst* values =
        entry_alloca(llvm::ArrayType::get(ml_.i64_, n), nullptr, "reduce.values");
    for (std::uint32_t r = 0; r < n; ++r) {
      Scalar s = local_types_[f.reductions[r].local.v][0].scalar;
      Value* v = b_.CreateLoad(ml_.scalar_type(s), locals_[f.reductions[r].local.v][0]);
      b_.CreateStore(bits_of(v, s), b_.CreateConstInBoundsGEP1_64(ml_.i64_, values, r));
    }
    b_.CreateCall(
        ml_.rt(Abi::kestrel_rt_parallel_reduce_by),
        {ctx_, range_lo, range_hi, chunk, i32c(n), ops_g, elems_g, values, chunk_fn, env});
    end_ared();
    check_failed();
    for (std::uint32_t r = 0; r < n; ++r) {
      Scalar s = local_types_[f.reductions[r].local.v][0].scalar;
      Value* bits = b_.CreateLoad(ml_.i64_, b_.CreateConstInBoundsGEP1_64(ml_.i64_, values, r));
      b_.CreateStore(from_bits(bits, s), locals_[f.reductions[r].local.v][0]);
    }
  }
  (void)vt;
  leave_parallel_stream(streams, base_key, base_ctr);
}

void FnLowering::run_chunk_loop(const ir::For& f, diag::Span span, const ChunkPlan& plan) {
  begin_chunk();
  last_stmt_span_ = span;
  Value* env = f_->getArg(0);
  Value* klo = f_->getArg(2);
  Value* khi = f_->getArg(3);
  Value* partials = f_->arg_size() > 4 ? f_->getArg(4) : nullptr;
  make_locals();
  unsigned at = 0;
  for (ir::LocalId l : plan.captured) {
    borrowed_.push_back(l.v);
    written(l);
    for (std::size_t k = 0; k < locals_[l.v].size(); ++k) {
      Value* v =
          b_.CreateLoad(ml_.type_of(local_types_[l.v][k]), b_.CreateStructGEP(plan.env, env, at++));
      b_.CreateStore(v, locals_[l.v][k]);
    }
  }
  auto extra = [&](unsigned k) {
    return b_.CreateLoad(ml_.i64_, b_.CreateStructGEP(plan.env, env, plan.extras + k));
  };
  Value* lo = extra(0);
  Value* hi = extra(1);
  Value* step = extra(2);
  Value* trip = extra(3);
  for (std::size_t r = 0; r < f.reductions.size(); ++r) {
    Scalar s = local_types_[f.reductions[r].local.v][0].scalar;
    Value* bits = b_.CreateLoad(ml_.i64_, b_.CreateConstInBoundsGEP1_64(ml_.i64_, partials, r));
    b_.CreateStore(from_bits(bits, s), locals_[f.reductions[r].local.v][0]);
    written(f.reductions[r].local);
  }
  // Array reductions: this chunk's private copies, owned by the chunk's locals until handed in.
  auto n_arrays = static_cast<std::uint32_t>(f.array_reductions.size());
  llvm::AllocaInst* ared_tmp = nullptr;
  auto ared_handle = [&] {
    return b_.CreateLoad(ml_.ptr_, b_.CreateStructGEP(plan.env, env, plan.extras + 6));
  };
  if (n_arrays > 0) {
    ared_tmp = entry_alloca(llvm::ArrayType::get(ml_.ptr_, n_arrays), nullptr, "arred.tmp");
    b_.CreateCall(ml_.rt(Abi::kestrel_rt_arred_fresh), {ctx_, ared_handle(), ared_tmp});
    for (std::uint32_t r = 0; r < n_arrays; ++r) {
      Value* p = b_.CreateLoad(
          ml_.ptr_, b_.CreateConstInBoundsGEP2_32(ared_tmp->getAllocatedType(), ared_tmp, 0, r));
      b_.CreateStore(p, locals_[f.array_reductions[r].local.v][0]);
      written(f.array_reductions[r].local);
    }
    check_failed();
  }
  llvm::Type* it = ml_.type_of(local_types_[f.var.v][0]);
  bool unit = true;
  if (f.step.valid()) {
    const auto* k = std::get_if<ir::IntConst>(&ex(f.step).kind);
    unit = k != nullptr && k->value == 1;
  }
  ChunkBounds bounds{};
  if (unit) {
    bounds.lo = b_.CreateTrunc(klo, it);
    bounds.hi = b_.CreateTrunc(khi, it);
  } else {
    // Iterations klo..khi: i from lo + klo * step while before lo + khi * step (the loop's own hi
    // for the last chunk, where lo + khi * step may not be representable).
    Value* first = b_.CreateAdd(lo, b_.CreateMul(klo, step));
    Value* end =
        b_.CreateSelect(b_.CreateICmpEQ(khi, trip), hi, b_.CreateAdd(lo, b_.CreateMul(khi, step)));
    bounds.lo = b_.CreateTrunc(first, it);
    bounds.hi = b_.CreateTrunc(end, it);
    bounds.step = b_.CreateTrunc(step, it);
  }
  if (ir::block_uses_stream(p_, f.body, ml_.uses_stream_)) {
    bounds.key = extra(4);
    bounds.counter = extra(5);
  }
  for_loop(f, span, &bounds);
  end_chunk([&] {
    for (std::size_t r = 0; r < f.reductions.size(); ++r) {
      Scalar s = local_types_[f.reductions[r].local.v][0].scalar;
      Value* v = b_.CreateLoad(ml_.scalar_type(s), locals_[f.reductions[r].local.v][0]);
      b_.CreateStore(bits_of(v, s), b_.CreateConstInBoundsGEP1_64(ml_.i64_, partials, r));
    }
    // Hand the copies in (the runtime only releases them when this chunk failed).
    if (n_arrays > 0) {
      llvm::Type* tt = ared_tmp->getAllocatedType();
      for (std::uint32_t r = 0; r < n_arrays; ++r) {
        llvm::AllocaInst* slot = locals_[f.array_reductions[r].local.v][0];
        b_.CreateStore(b_.CreateLoad(ml_.ptr_, slot),
                       b_.CreateConstInBoundsGEP2_32(tt, ared_tmp, 0, r));
        b_.CreateStore(llvm::ConstantPointerNull::get(ml_.ptr_), slot);
      }
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_arred_done), {ctx_, ared_handle(), klo, ared_tmp});
    }
  });
}

void FnLowering::run_chunk_launch(const ir::Launch& l, diag::Span span,
                                  const std::vector<Type>& flat_types, llvm::StructType* env_type) {
  begin_chunk();
  last_stmt_span_ = span;
  Value* env = f_->getArg(0);
  std::vector<Value*> grid{b_.CreateLoad(ml_.i64_, b_.CreateStructGEP(env_type, env, 0))};
  if (l.grid.size() > 1) {
    grid.push_back(b_.CreateLoad(ml_.i64_, b_.CreateStructGEP(env_type, env, 1)));
  }
  std::vector<Value*> flat;
  for (std::size_t k = 0; k < flat_types.size(); ++k) {
    flat.push_back(b_.CreateLoad(ml_.type_of(flat_types[k]),
                                 b_.CreateStructGEP(env_type, env, static_cast<unsigned>(k + 2))));
  }
  launch_loops(l, grid, flat, flat_types, f_->getArg(2), f_->getArg(3), ml_.site(span), span);
  end_chunk([] {});
}

}  // namespace kestrel::jit::lower
