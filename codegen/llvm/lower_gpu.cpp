// GPU regions in native code (FnLowering's members): a parallel for or a launch that the CUDA
// backend planned (codegen/common/gpu_plan.hpp) does everything the CPU does around it (bounds,
// step and grid checks, the stream's base and advance, the depth check), then hands the region
// to the runtime instead of running its iterations: kestrel_rt_gpu_run(ctx, region, slots,
// site_map), where slots are the kernel's parameters (each 64 bits: a scalar's bits or an
// rt::Array*, in the plan's order), the iteration count, and the scalar reductions' values
// (read back after). The site map turns the kernel's fault sites into this module's site ids,
// so a fault on the GPU is the runtime error the CPU would raise, at the same place.
#include "codegen/llvm/lower_context.hpp"

namespace kestrel::jit::lower {

Value* ModuleLowering::gpu_site_map() {
  if (gpu_sites_ == nullptr) {
    std::vector<llvm::Constant*> ids;
    for (diag::Span span : gpu_->sites) {
      ids.push_back(llvm::ConstantInt::get(i32_, site(span)));
    }
    if (ids.empty()) {
      ids.push_back(llvm::ConstantInt::get(i32_, 0));
    }
    auto* type = llvm::ArrayType::get(i32_, ids.size());
    gpu_sites_ = new llvm::GlobalVariable(m_, type, true, llvm::GlobalValue::PrivateLinkage,
                                          llvm::ConstantArray::get(type, ids), "gpu.sites");
  }
  return gpu_sites_;
}

void FnLowering::gpu_run(const codegen::GpuRegion& r, const std::vector<Value*>& params,
                         Value* count, const ir::Launch* launch, diag::Span span) {
  std::size_t n = params.size() + 1 + r.reductions.size();
  llvm::AllocaInst* slots = entry_alloca(llvm::ArrayType::get(ml_.i64_, n), nullptr, "gpu.slots");
  auto at = [&](std::size_t k) {
    return b_.CreateConstInBoundsGEP2_32(slots->getAllocatedType(), slots, 0,
                                         static_cast<unsigned>(k));
  };
  for (std::size_t k = 0; k < params.size(); ++k) {
    b_.CreateStore(params[k], at(k));
  }
  b_.CreateStore(count, at(params.size()));
  for (std::size_t k = 0; k < r.reductions.size(); ++k) {
    ir::LocalId l = r.reductions[k];
    Scalar s = local_types_[l.v][0].scalar;
    Value* v = b_.CreateLoad(ml_.scalar_type(s), locals_[l.v][0]);
    b_.CreateStore(bits_of(v, s), at(params.size() + 1 + k));
  }
  b_.CreateCall(ml_.rt(Abi::kestrel_rt_gpu_run), {ctx_, i32c(r.id), slots, ml_.gpu_site_map()});
  if (launch != nullptr) {
    resite_module_call(launch->kernel, span);
  }
  check_failed();
  for (std::size_t k = 0; k < r.reductions.size(); ++k) {
    ir::LocalId l = r.reductions[k];
    Scalar s = local_types_[l.v][0].scalar;
    Value* bits = b_.CreateLoad(ml_.i64_, at(params.size() + 1 + k));
    b_.CreateStore(from_bits(bits, s), locals_[l.v][0]);
  }
}

Value* FnLowering::slot_bits(Value* v, Type t) {
  if (t.is_array()) {
    return b_.CreatePtrToInt(v, ml_.i64_);
  }
  return bits_of(v, t.scalar);
}

Value* FnLowering::gpu_param(const codegen::GpuSlot& slot, const GpuValues& v) {
  using From = codegen::GpuSlot::From;
  switch (slot.from) {
    case From::Local: {
      Type t = local_types_[slot.local.v][0];
      return slot_bits(b_.CreateLoad(ml_.type_of(t), locals_[slot.local.v][0]), t);
    }
    case From::Arg:
      return slot_bits((*v.args)[slot.index].one(), slot.type);
    case From::Lo:
      return v.lo;
    case From::Step:
      return v.step;
    case From::StreamKey:
      return v.key;
    case From::StreamCounter:
      return v.counter;
    case From::Cols:
      return v.cols;
  }
  return i64c(0);
}

void FnLowering::gpu_for(const ir::For& f, diag::Span span, const codegen::GpuRegion& r) {
  // As outline_for: bounds and step (in this order), the stream's base, the step check.
  auto [lo, hi, step] = loop_bounds(f);
  auto [base_key, base_ctr] = enter_parallel_stream(r.uses_stream);
  Value* trip = nullptr;
  if (step == nullptr) {
    trip = b_.CreateSelect(b_.CreateICmpSLT(lo, hi), b_.CreateSub(hi, lo), i64c(0));
    step = i64c(1);
  } else {
    trip = checked_trip(lo, hi, step, ml_.site(span));
  }
  GpuValues v{lo, step, base_key, base_ctr, i64c(1), nullptr};
  std::vector<Value*> params;
  for (const codegen::GpuSlot& slot : r.params) {
    params.push_back(gpu_param(slot, v));
  }
  gpu_run(r, params, trip);
  leave_parallel_stream(r.uses_stream, base_key, base_ctr);
}

void FnLowering::gpu_launch(const ir::Launch& l, diag::Span span, const codegen::GpuRegion& r) {
  // As launch(): the grid, the arguments, the negative-size check, the depth check when there
  // is an instance, the stream's base and advance.
  std::vector<Value*> grid;
  for (ExprId g : l.grid) {
    grid.push_back(eval_scalar(g));
  }
  std::vector<Val> args;
  for (ExprId a : l.args) {
    args.push_back(eval(a));
  }
  std::uint32_t st = ml_.site(span);
  check_grid(l, grid, st);
  Value* base_key = r.uses_stream ? ctx_field(ml_.i64_, kCtxKey) : i64c(0);
  Value* base_ctr = r.uses_stream ? ctx_field(ml_.i64_, kCtxCounter) : i64c(0);
  Value* cols = grid.size() > 1 ? grid[1] : i64c(1);
  Value* count = grid.size() > 1 ? b_.CreateMul(grid[0], grid[1]) : grid[0];
  BasicBlock* done = block("gpu.launch.done");
  BasicBlock* run = block("gpu.launch");
  b_.CreateCondBr(b_.CreateICmpSGT(count, i64c(0)), run, done);
  b_.SetInsertPoint(run);
  checked_depth(st);
  GpuValues v{i64c(0), i64c(1), base_key, base_ctr, cols, &args};
  std::vector<Value*> params;
  for (const codegen::GpuSlot& slot : r.params) {
    params.push_back(gpu_param(slot, v));
  }
  gpu_run(r, params, count, &l, span);
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
  leave_parallel_stream(r.uses_stream, base_key, base_ctr);
  for (Val& a : args) {
    drop(a);
  }
}

void FnLowering::gpu_sync() { b_.CreateCall(ml_.rt(Abi::kestrel_rt_gpu_sync), {ctx_}); }

}  // namespace kestrel::jit::lower
