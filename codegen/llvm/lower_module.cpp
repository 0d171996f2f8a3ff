// Functions: declarations, the frame and unwind/exit blocks of each, the slot wrappers that
// call() uses, and lower_program(), the entry point of the lowering.
#include "codegen/llvm/lower_context.hpp"

namespace kestrel::jit::lower {

namespace {

/// A symbol-safe rendering of a Kestrel function name.
std::string symbol_of(const std::string& name, std::uint32_t id) {
  std::string s = "kestrel.";
  for (char c : name) {
    s += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.') ? c : '_';
  }
  return s + "." + std::to_string(id);
}

/// The slot wrapper of a function: void entry(ctx, int64_t* args, int64_t* out), for call().
void lower_entry(ModuleLowering& ml, ir::FnId id, FnSig& sig) {
  llvm::Function* target = ml.fns_[id.v];
  auto* ft = llvm::FunctionType::get(ml.void_, {ml.ptr_, ml.ptr_, ml.ptr_}, false);
  auto* f = llvm::Function::Create(ft, llvm::Function::ExternalLinkage, sig.entry, ml.m_);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ml.c_, "entry", f));
  Value* ctx = f->getArg(0);
  Value* args = f->getArg(1);
  Value* out = f->getArg(2);
  std::vector<Value*> call_args{ctx};
  bool tuple = sig.ret.is_tuple();
  if (tuple) {
    call_args.push_back(out);
  }
  for (std::size_t k = 0; k < sig.flat_params.size(); ++k) {
    Type t = sig.flat_params[k];
    Value* at = b.CreateConstInBoundsGEP1_64(ml.i64_, args, k);
    llvm::Type* lt = ml.type_of(t);
    Value* v;
    if (t.is_scalar() && (t.scalar == Scalar::Bool || t.scalar == Scalar::I32)) {
      Value* w = b.CreateLoad(ml.i64_, at);
      v = t.scalar == Scalar::Bool ? b.CreateICmpNE(w, llvm::ConstantInt::get(ml.i64_, 0))
                                   : b.CreateTrunc(w, ml.i32_);
    } else {
      v = b.CreateLoad(lt, at);
    }
    call_args.push_back(v);
  }
  Value* r = b.CreateCall(target, call_args);
  if (!tuple && !sig.flat_ret.empty()) {
    Type t = sig.flat_ret[0];
    if (t.is_scalar() && (t.scalar == Scalar::Bool || t.scalar == Scalar::I32)) {
      r = t.scalar == Scalar::Bool ? b.CreateZExt(r, ml.i64_) : b.CreateSExt(r, ml.i64_);
    }
    b.CreateStore(r, out);
  }
  b.CreateRetVoid();
}

}  // namespace

void FnLowering::run() {
  open_frame();

  auto arg = f_->arg_begin();
  ctx_ = &*arg++;
  ctx_->setName("ctx");
  ret_types_ = ml_.flat(fn_.ret);
  if (fn_.ret.is_tuple()) {
    out_ = &*arg++;
    out_->setName("out");
  }
  for (Type t : ret_types_) {
    ret_slots_.push_back(
        entry_alloca(ml_.type_of(t), llvm::Constant::getNullValue(ml_.type_of(t)), "ret"));
  }
  make_locals();
  for (std::uint32_t i = 0; i < fn_.param_count; ++i) {
    for (llvm::AllocaInst* slot : locals_[i]) {
      Value* a = &*arg++;
      a->setName(fn_.locals[i].name);
      b_.CreateStore(a, slot);
    }
    written(ir::LocalId{i});
  }

  // An array parameter the body never rebinds is borrowed for the whole call (the caller keeps
  // it alive): no retain on entry, no release on exit. One it rebinds is owned like a local.
  std::vector<char> rebound(fn_.locals.size(), 0);
  assigned_locals(p_, fn_.body, rebound);
  redeclared_params(p_, fn_.body, fn_.param_count, rebound);
  for (std::uint32_t i = 0; i < fn_.param_count; ++i) {
    if (!rebound[i]) {
      borrowed_.push_back(i);
    }
  }
  last_stmt_span_ = fn_.span;
  stmts(fn_.body);
  if (!terminated()) {
    b_.CreateBr(exit_bb_);
  }

  unwind_block();

  // Retain the parameters that are owned (decided above, after the entry block was begun).
  {
    llvm::IRBuilder<> eb(alloca_bb_, alloca_bb_->getTerminator()->getIterator());
    auto arg_it = f_->arg_begin() + (fn_.ret.is_tuple() ? 2 : 1);
    for (std::uint32_t i = 0; i < fn_.param_count; ++i) {
      bool borrowed = std::find(borrowed_.begin(), borrowed_.end(), i) != borrowed_.end();
      for (std::size_t k = 0; k < local_types_[i].size(); ++k) {
        Type t = local_types_[i][k];
        Value* a = &*arg_it++;
        if (is_ref(t) && !borrowed) {
          llvm::AllocaInst* owned = shadow(i, k);
          eb.SetInsertPoint(alloca_bb_->getTerminator());
          eb.CreateStore(a, owned, true);
          if (t.is_table()) {
            eb.CreateCall(ml_.rt(Abi::kestrel_rt_table_retain), {a});
          } else {
            Value* refs = eb.CreateConstInBoundsGEP1_64(ml_.i8_, a, kArrRefs);
            llvm::LoadInst* n = eb.CreateLoad(ml_.i64_, refs);
            n->setMetadata(llvm::LLVMContext::MD_tbaa, ml_.tbaa_header_);
            eb.CreateStore(eb.CreateAdd(n, i64c(1)), refs)
                ->setMetadata(llvm::LLVMContext::MD_tbaa, ml_.tbaa_header_);
          }
        }
      }
    }
  }

  // exit: release the locals (not borrowed parameters), return the result.
  b_.SetInsertPoint(exit_bb_);
  release_locals();
  if (fn_.ret.is_tuple()) {
    for (std::size_t k = 0; k < ret_slots_.size(); ++k) {
      Value* v = b_.CreateLoad(ml_.type_of(ret_types_[k]), ret_slots_[k]);
      Value* at = b_.CreateConstInBoundsGEP1_64(ml_.i64_, out_, k);
      if (ret_types_[k].is_scalar() && ret_types_[k].scalar != Scalar::F64 &&
          ret_types_[k].scalar != Scalar::F32 && ret_types_[k].scalar != Scalar::Str) {
        v = ret_types_[k].scalar == Scalar::Bool ? b_.CreateZExt(v, ml_.i64_)
                                                 : b_.CreateSExt(v, ml_.i64_);
      }
      b_.CreateStore(v, at);
    }
    b_.CreateRetVoid();
  } else if (ret_types_.empty()) {
    b_.CreateRetVoid();
  } else {
    b_.CreateRet(b_.CreateLoad(ml_.type_of(ret_types_[0]), ret_slots_[0]));
  }
}

void ModuleLowering::run() {
  t_.sigs.resize(p_.functions.size());
  for (std::uint32_t f = 0; f < p_.functions.size(); ++f) {
    const ir::Function& fn = p_.functions[f];
    FnSig& sig = t_.sigs[f];
    sig.name = fn.name;
    sig.symbol = symbol_of(fn.name, f);
    sig.entry = "kestrel.entry." + std::to_string(f);
    sig.ret = fn.ret;
    flat(fn.ret, sig.flat_ret);
    std::vector<llvm::Type*> params{ptr_};
    if (fn.ret.is_tuple()) {
      params.push_back(ptr_);
    }
    for (std::uint32_t i = 0; i < fn.param_count; ++i) {
      sig.params.push_back(fn.locals[i].type);
      for (Type t : flat(fn.locals[i].type)) {
        sig.flat_params.push_back(t);
        params.push_back(type_of(t));
      }
    }
    llvm::Type* ret = fn.ret.is_tuple() || sig.flat_ret.empty() ? void_ : type_of(sig.flat_ret[0]);
    auto* ft = llvm::FunctionType::get(ret, params, false);
    llvm::Function* lf =
        llvm::Function::Create(ft, llvm::Function::ExternalLinkage, sig.symbol, m_);
    std::size_t k = fn.ret.is_tuple() ? 2 : 1;
    for (Type t : sig.flat_params) {
      if (t.is_scalar() && t.scalar == Scalar::Bool) {
        lf->addParamAttr(static_cast<unsigned>(k), llvm::Attribute::ZExt);
      }
      ++k;
    }
    if (ret == i1_) {
      lf->addRetAttr(llvm::Attribute::ZExt);
    }
    fns_.push_back(lf);
    llvm::Function* copy = nullptr;
    if (fn.is_kernel && !fn.unchecked && kernel_indexes_by_grid(p_, fn)) {
      copy =
          llvm::Function::Create(ft, llvm::Function::InternalLinkage, sig.symbol + ".inbounds", m_);
      copy->copyAttributesFrom(lf);
      copy->setLinkage(llvm::Function::InternalLinkage);
      copy->setDSOLocal(true);
    }
    in_bounds_.push_back(copy);
  }
  // The kernels' in-bounds copies first: a launch needs to know whether its copy can fail.
  in_bounds_can_fail_.assign(p_.functions.size(), 1);
  for (std::uint32_t f = 0; f < p_.functions.size(); ++f) {
    if (in_bounds_[f] != nullptr) {
      FnLowering copy(*this, ir::FnId{f}, true);
      copy.run();
      in_bounds_can_fail_[f] = copy.can_fail() ? 1 : 0;
    }
  }
  for (std::uint32_t f = 0; f < p_.functions.size(); ++f) {
    FnLowering(*this, ir::FnId{f}).run();
    lower_entry(*this, ir::FnId{f}, t_.sigs[f]);
  }
}

}  // namespace kestrel::jit::lower
namespace kestrel::jit {

void lower_program(const ir::Program& program, llvm::Module& module, LoweredTables& tables,
                   const codegen::GpuPlan* gpu) {
  lower::ModuleLowering ml(program, module, tables);
  ml.gpu_ = gpu != nullptr && !gpu->empty() ? gpu : nullptr;
  ml.run();
}

}  // namespace kestrel::jit
