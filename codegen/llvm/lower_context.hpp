#pragma once
// The LLVM lowering's internal header (Carbon's function_context.h is the model): the state
// shared by the lowering's translation units, ModuleLowering (one module: types, declarations,
// metadata) and FnLowering (one function: its IRBuilder, frame, cleanup slots and loops), with
// the small helpers every file uses. The members are defined by kind of IR:
//   lower_module.cpp    functions, their frames and slot wrappers; lower_program()
//   lower_expr.cpp      expressions: constants, conversions, operators, elements and slices
//   lower_call.cpp      calls and kernel launches
//   lower_builtin.cpp   builtins: math, random numbers, array builtins
//   lower_stmt.cpp      statements and serial loops
//   lower_parallel.cpp  parallel loops and launches outlined as chunk functions
//   lower_fuse.cpp      fused elementwise loops
// and ir_queries.hpp answers the questions about the IR that need no IRBuilder.
//
// Typed IR to LLVM IR, one function at a time. Scalars are SSA values (locals live in allocas
// that mem2reg promotes); arrays and tables are pointers to runtime objects whose counts the code
// keeps exactly: every owned temporary sits in a cleanup slot (an alloca, null when it holds
// nothing), so the one unwind block of a function releases what is alive when a runtime error
// stops it. Array operations call the runtime's C ABI (runtime/abi.hpp); element access, bounds
// checks, integer semantics and Philox are inlined. Errors are recorded in the context at a site
// id (a span in LoweredTables::sites) and the function returns; callers test ctx->failed.
#include <llvm/ADT/SmallPtrSet.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "codegen/common/gpu_plan.hpp"
#include "codegen/common/rt_ops.hpp"
#include "codegen/llvm/abi_decls.hpp"
#include "codegen/llvm/ir_queries.hpp"
#include "codegen/llvm/program.hpp"
#include "dsl/ir/stream_use.hpp"
#include "dsl/ir/walk.hpp"
#include "runtime/abi.hpp"
#include "runtime/elementwise.hpp"
#include "runtime/reduce.hpp"
#include "runtime/rules/kmath.hpp"
#include "runtime/rules/messages.hpp"

namespace kestrel::jit {
namespace lower {

using ir::BinaryOp;
using ir::Builtin;
using ir::ExprId;
using ir::Scalar;
using ir::Type;
using llvm::BasicBlock;
using llvm::Value;

// Byte offsets of the fields generated code touches (checked against the C++ structs).
constexpr std::uint64_t kArrRefs = 0;
constexpr std::uint64_t kArrData = 16;
constexpr std::uint64_t kArrShape = 24;
constexpr std::uint64_t kArrStrides = 40;
static_assert(offsetof(rt::Array, refs) == kArrRefs);
static_assert(offsetof(rt::Array, data) == kArrData);
static_assert(offsetof(rt::Array, shape) == kArrShape);
static_assert(offsetof(rt::Array, strides) == kArrStrides);
constexpr std::uint64_t kCtxFailed = 0;
constexpr std::uint64_t kCtxDepth = 8;
constexpr std::uint64_t kCtxMaxDepth = 12;
constexpr std::uint64_t kCtxInterrupt = 16;
constexpr std::uint64_t kCtxKey = 24;
constexpr std::uint64_t kCtxCounter = 32;
constexpr std::uint64_t kCtxIndex = 40;
constexpr std::uint64_t kCtxBudget = 56;
constexpr std::uint64_t kCtxStackLimit = 72;
static_assert(offsetof(KestrelContext, failed) == kCtxFailed);
static_assert(offsetof(KestrelContext, depth) == kCtxDepth);
static_assert(offsetof(KestrelContext, max_depth) == kCtxMaxDepth);
static_assert(offsetof(KestrelContext, interrupt) == kCtxInterrupt);
static_assert(offsetof(KestrelContext, stream_key) == kCtxKey);
static_assert(offsetof(KestrelContext, stream_counter) == kCtxCounter);
static_assert(offsetof(KestrelContext, index) == kCtxIndex);
static_assert(offsetof(KestrelContext, budget) == kCtxBudget);
static_assert(offsetof(KestrelContext, stack_limit) == kCtxStackLimit);

inline bool is_ref(Type t) { return t.is_array() || t.is_table(); }

/// What lowering shares between functions: the module, declarations, types, metadata.
class ModuleLowering;

/// An evaluated expression: its flattened values, and for each the cleanup slot that owns it
/// (null when the value is borrowed or not a reference).
struct Val {
  std::vector<Value*> v;
  std::vector<llvm::AllocaInst*> slot;
  std::vector<Type> types;

  Value* one() const { return v.at(0); }
};

class ModuleLowering {
 public:
  ModuleLowering(const ir::Program& p, llvm::Module& m, LoweredTables& t)
      : p_(p), m_(m), c_(m.getContext()), t_(t), chunks_(p) {
    ptr_ = llvm::PointerType::getUnqual(c_);
    i1_ = llvm::Type::getInt1Ty(c_);
    i8_ = llvm::Type::getInt8Ty(c_);
    i32_ = llvm::Type::getInt32Ty(c_);
    i64_ = llvm::Type::getInt64Ty(c_);
    f32_ = llvm::Type::getFloatTy(c_);
    f64_ = llvm::Type::getDoubleTy(c_);
    void_ = llvm::Type::getVoidTy(c_);
    llvm::MDBuilder md(c_);
    llvm::MDNode* root = md.createTBAARoot("kestrel");
    auto tag = [&](const char* name) {
      llvm::MDNode* type = md.createTBAAScalarTypeNode(name, root);
      return md.createTBAAStructTagNode(type, type, 0);
    };
    tbaa_header_ = tag("array header");
    tbaa_ctx_ = tag("context");
    for (int s = 0; s < 6; ++s) {
      static const char* const kNames[] = {"bool", "i32", "i64", "f32", "f64", "str"};
      tbaa_elem_[s] = tag(kNames[s]);
    }
    uses_stream_ = ir::functions_using_stream(p);
  }

  void run();

  // ---- types ----

  void flat(Type t, std::vector<Type>& out) const {
    if (t.is_tuple()) {
      for (Type e : p_.types.elems(t)) {
        flat(e, out);
      }
    } else if (!t.is_void()) {
      out.push_back(t);
    }
  }
  std::vector<Type> flat(Type t) const {
    std::vector<Type> out;
    flat(t, out);
    return out;
  }
  llvm::Type* scalar_type(Scalar s) const {
    switch (s) {
      case Scalar::Bool:
        return i1_;
      case Scalar::I32:
        return i32_;
      case Scalar::I64:
        return i64_;
      case Scalar::F32:
        return f32_;
      case Scalar::F64:
        return f64_;
      case Scalar::Str:
        return ptr_;
    }
    return i64_;
  }
  /// The LLVM type of one flat (non-tuple) value.
  llvm::Type* type_of(Type t) const {
    if (t.is_scalar()) {
      return scalar_type(t.scalar);
    }
    return ptr_;
  }
  /// The type an element of `s` has in memory (bool is a byte).
  llvm::Type* mem_type(Scalar s) const { return s == Scalar::Bool ? i8_ : scalar_type(s); }

  /// Runtime function `f`, declared with the type of its C declaration (abi_decls.hpp).
  llvm::FunctionCallee rt(Abi f) { return declare_abi(m_, f); }

  /// libm's `name` (log, sin, cos, tanh, pow) for f64 or f32 `t`, called through the runtime's
  /// kestrel_rt_<name>_f64/_f32 (runtime/abi.hpp): a name LLVM does not know, so it neither folds
  /// the call nor rewrites it, and the JIT computes what the interpreter does.
  llvm::FunctionCallee math_fn(const char* name, llvm::Type* t) {
    std::string symbol = std::string("kestrel_rt_") + name + (t->isFloatTy() ? "_f32" : "_f64");
    llvm::FunctionCallee f = rt(abi_named(symbol));
    if (auto* fn = llvm::dyn_cast<llvm::Function>(f.getCallee())) {
      fn->setDoesNotThrow();
      fn->setWillReturn();
      fn->setDoesNotAccessMemory();  // errno aside, which nothing generated reads
    }
    return f;
  }

  std::uint32_t site(diag::Span span) {
    t_.sites.push_back(span);
    return static_cast<std::uint32_t>(t_.sites.size() - 1);
  }

  const ir::Program& p_;
  llvm::Module& m_;
  llvm::LLVMContext& c_;
  LoweredTables& t_;
  llvm::PointerType* ptr_;
  llvm::Type* i1_;
  llvm::Type* i8_;
  llvm::Type* i32_;
  llvm::Type* i64_;
  llvm::Type* f32_;
  llvm::Type* f64_;
  llvm::Type* void_;
  llvm::MDNode* tbaa_header_;
  llvm::MDNode* tbaa_ctx_;
  llvm::MDNode* tbaa_elem_[6];
  std::vector<char> uses_stream_;
  std::vector<llvm::Function*> fns_;
  /// By FnId: for a kernel whose accesses are all by the grid (kernel_indexes_by_grid), a copy
  /// without bounds checks that a launch calls once it has checked the grid fits; else null.
  std::vector<llvm::Function*> in_bounds_;
  std::vector<char> in_bounds_can_fail_;  // whether that copy can record an error
  std::uint32_t chunk_fns_ = 0;           // outlined chunk functions so far (for their names)
  ChunkRule chunks_;  // which parallel loops and launches may run as chunks on worker threads
  /// The CUDA backend's plan under --target gpu (null: everything on the CPU), and the site map
  /// of its kernels' faults (lower_gpu.cpp).
  const codegen::GpuPlan* gpu_ = nullptr;
  llvm::GlobalVariable* gpu_sites_ = nullptr;
  Value* gpu_site_map();
};

/// Lowers one function.
class FnLowering {
 public:
  FnLowering(ModuleLowering& ml, ir::FnId id, bool in_bounds = false)
      : ml_(ml),
        p_(ml.p_),
        fn_(ml.p_.fn(id)),
        id_(id),
        b_(ml.c_),
        f_(in_bounds ? ml.in_bounds_[id.v] : ml.fns_[id.v]),
        checked_(!fn_.unchecked && !in_bounds) {}
  /// Lowers into `chunk_fn`, an outlined chunk of a parallel loop or launch in function `id`.
  FnLowering(ModuleLowering& ml, ir::FnId id, llvm::Function* chunk_fn)
      : ml_(ml),
        p_(ml.p_),
        fn_(ml.p_.fn(id)),
        id_(id),
        b_(ml.c_),
        f_(chunk_fn),
        checked_(!fn_.unchecked),
        in_chunk_(true) {}

  void run();
  /// After run(): whether the function can record a runtime error (its unwind is reachable).
  bool can_fail() const { return !unwind_bb_->hasNPredecessors(0); }

 private:
  // ---- basics ----
  llvm::LLVMContext& c() { return ml_.c_; }
  Value* i64c(std::int64_t v) {
    return llvm::ConstantInt::get(ml_.i64_, static_cast<std::uint64_t>(v), true);
  }
  Value* i32c(std::int64_t v) {
    return llvm::ConstantInt::get(ml_.i32_, static_cast<std::uint64_t>(v), true);
  }
  const ir::Expr& ex(ExprId id) const { return p_.expr(id); }
  Type type(ExprId id) const { return p_.expr(id).type; }

  BasicBlock* block(const char* name) { return BasicBlock::Create(c(), name, f_); }
  /// After a terminator: continue emitting into a fresh block no edge reaches.
  void dead_block() { b_.SetInsertPoint(block("dead")); }
  bool terminated() { return b_.GetInsertBlock()->getTerminator() != nullptr; }

  Value* field(Value* base, std::uint64_t offset) {
    return b_.CreateConstInBoundsGEP1_64(ml_.i8_, base, offset);
  }
  Value* load(llvm::Type* t, Value* ptr, llvm::MDNode* tbaa) {
    llvm::LoadInst* l = b_.CreateLoad(t, ptr);
    if (tbaa) {
      l->setMetadata(llvm::LLVMContext::MD_tbaa, tbaa);
    }
    return l;
  }
  void store(Value* v, Value* ptr, llvm::MDNode* tbaa) {
    llvm::StoreInst* s = b_.CreateStore(v, ptr);
    if (tbaa) {
      s->setMetadata(llvm::LLVMContext::MD_tbaa, tbaa);
    }
  }
  Value* ctx_field(llvm::Type* t, std::uint64_t off) {
    return load(t, field(ctx_, off), ml_.tbaa_ctx_);
  }
  void set_ctx_field(Value* v, std::uint64_t off) { store(v, field(ctx_, off), ml_.tbaa_ctx_); }

  /// An alloca in the entry block, initialised to `init` there.
  llvm::AllocaInst* entry_alloca(llvm::Type* t, Value* init, const char* name = "") {
    llvm::IRBuilder<> eb(alloca_bb_, alloca_bb_->getTerminator()
                                         ? alloca_bb_->getTerminator()->getIterator()
                                         : alloca_bb_->end());
    llvm::AllocaInst* a = eb.CreateAlloca(t, nullptr, name);
    if (init != nullptr) {
      eb.CreateStore(init, a);
    }
    return a;
  }

  // ---- errors ----

  /// Branches to the unwind block when ctx->failed is set.
  void check_failed() {
    Value* failed = b_.CreateICmpNE(ctx_field(ml_.i32_, kCtxFailed), i32c(0));
    BasicBlock* ok = block("ok");
    b_.CreateCondBr(failed, unwind_bb_, ok, cold_);
    b_.SetInsertPoint(ok);
  }
  /// Emits `raise` in a cold block taken when `cond` holds, then unwinds.
  template <class F>
  void raise_if(Value* cond, F&& raise) {
    BasicBlock* bad = block("raise");
    BasicBlock* ok = block("ok");
    b_.CreateCondBr(cond, bad, ok, cold_);
    b_.SetInsertPoint(bad);
    raise();
    b_.CreateBr(unwind_bb_);
    b_.SetInsertPoint(ok);
  }
  void raise_message(Value* cond, std::uint32_t site, const char* message) {
    raise_if(cond, [&] {
      Value* text = b_.CreateGlobalStringPtr(message);
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_raise), {ctx_, i32c(site), text});
    });
  }
  /// A function's frame: the entry block (allocas, then a branch to the body), the unwind and
  /// exit blocks; code goes into the body next.
  void open_frame() {
    cold_ = llvm::MDBuilder(c()).createBranchWeights(1, 1 << 20);
    alloca_bb_ = block("entry");
    BasicBlock* body = block("body");
    unwind_bb_ = block("unwind");
    exit_bb_ = block("exit");
    b_.SetInsertPoint(alloca_bb_);
    b_.CreateBr(body);
    b_.SetInsertPoint(body);
  }
  /// The unwind block: release every live temporary, then leave through exit.
  void unwind_block() {
    b_.SetInsertPoint(unwind_bb_);
    for (const Temp& t : temps_) {
      release(b_.CreateLoad(ml_.ptr_, t.slot, true), t.table, true);
    }
    b_.CreateBr(exit_bb_);
  }
  /// The interrupt check at a loop back-edge or call (every 2^16 of them, like the VM).
  void poll(diag::Span span) {
    Value* budget = b_.CreateSub(ctx_field(ml_.i32_, kCtxBudget), i32c(1));
    set_ctx_field(budget, kCtxBudget);
    Value* due = b_.CreateICmpSLE(budget, i32c(0));
    BasicBlock* slow = block("poll");
    BasicBlock* ok = block("polled");
    b_.CreateCondBr(due, slow, ok, cold_);
    b_.SetInsertPoint(slow);
    Value* stop = b_.CreateCall(ml_.rt(Abi::kestrel_rt_poll), {ctx_, i32c(ml_.site(span))});
    b_.CreateCondBr(b_.CreateICmpNE(stop, i32c(0)), unwind_bb_, ok);
    b_.SetInsertPoint(ok);
  }
  /// The interrupt check between the blocks of a long inline loop (a fused sum's chunks): the
  /// run's limits are read each time, when it has any (no budget: a block is thousands of
  /// elements). Strip-mined loops and launches name the blocks after themselves and leave the
  /// stop branch unweighted (`cold` false).
  void poll_block(std::uint32_t site, const char* check_name = "poll.block",
                  const char* next_name = "poll.next", bool cold = true) {
    Value* limits = ctx_field(ml_.ptr_, kCtxInterrupt);
    BasicBlock* check = block(check_name);
    BasicBlock* ok = block(next_name);
    b_.CreateCondBr(b_.CreateIsNull(limits), ok, check);
    b_.SetInsertPoint(check);
    Value* stop = b_.CreateCall(ml_.rt(Abi::kestrel_rt_poll), {ctx_, i32c(site)});
    b_.CreateCondBr(b_.CreateICmpNE(stop, i32c(0)), unwind_bb_, ok, cold ? cold_ : nullptr);
    b_.SetInsertPoint(ok);
  }

  // ---- reference counts ----

  void retain(Value* p, bool table) {
    if (table) {
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_table_retain), {p});
      return;
    }
    Value* refs = field(p, kArrRefs);
    store(b_.CreateAdd(load(ml_.i64_, refs, ml_.tbaa_header_), i64c(1)), refs, ml_.tbaa_header_);
  }
  void release(Value* p, bool table, bool maybe_null) {
    if (table) {
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_table_release), {p});
      return;
    }
    BasicBlock* done = block("released");
    if (maybe_null) {
      BasicBlock* some = block("release");
      b_.CreateCondBr(b_.CreateIsNull(p), done, some);
      b_.SetInsertPoint(some);
    }
    Value* refs = field(p, kArrRefs);
    Value* n = b_.CreateSub(load(ml_.i64_, refs, ml_.tbaa_header_), i64c(1));
    store(n, refs, ml_.tbaa_header_);
    BasicBlock* destroy = block("destroy");
    b_.CreateCondBr(b_.CreateICmpEQ(n, i64c(0)), destroy, done);
    b_.SetInsertPoint(destroy);
    b_.CreateCall(ml_.rt(Abi::kestrel_rt_array_destroy), {p});
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }

  /// A new cleanup slot for an owned temporary of type `t`. Cleanup slots (these and the locals'
  /// shadows) are written and read with volatile accesses, so they stay in memory: promoted to SSA
  /// values, each would be a phi in the unwind block with an operand per edge into it (one per
  /// operation that can fail), which made the code generator quadratic in a function's length.
  /// A slot whose temporary was dropped or taken holds null on every path from there on, so a
  /// later temporary reuses it: a function's frame holds as many slots as temporaries live at
  /// once, not one per operation.
  llvm::AllocaInst* temp_slot(Type t) {
    std::vector<llvm::AllocaInst*>& free = free_temps_[t.is_table() ? 1 : 0];
    if (!free.empty()) {
      llvm::AllocaInst* a = free.back();
      free.pop_back();
      return a;
    }
    llvm::AllocaInst* a = entry_alloca(ml_.ptr_, llvm::ConstantPointerNull::get(ml_.ptr_), "tmp");
    temps_.push_back({a, t.is_table()});
    return a;
  }
  /// Empties cleanup slot `k` of `v` (its reference released or handed over).
  void clear_slot(Val& v, std::size_t k) {
    b_.CreateStore(llvm::ConstantPointerNull::get(ml_.ptr_), v.slot[k], true);
    free_temps_[v.types[k].is_table() ? 1 : 0].push_back(v.slot[k]);
    v.slot[k] = nullptr;
  }
  /// A Val holding one freshly made (owned) reference of type `t`.
  Val owned(Type t, Value* p) {
    llvm::AllocaInst* s = temp_slot(t);
    b_.CreateStore(p, s, true);
    return Val{{p}, {s}, {t}};
  }
  Val scalar(Type t, Value* v) { return Val{{v}, {nullptr}, {t}}; }
  /// Releases what `v` owns.
  void drop(Val& v) {
    for (std::size_t k = 0; k < v.v.size(); ++k) {
      if (v.slot[k] != nullptr) {
        release(v.v[k], v.types[k].is_table(), false);
        clear_slot(v, k);
      }
    }
  }
  /// Makes every reference in `v` owned (retaining borrowed ones), then gives up ownership to
  /// the caller: the values are no longer in cleanup slots.
  std::vector<Value*> take(Val& v) {
    for (std::size_t k = 0; k < v.v.size(); ++k) {
      if (!is_ref(v.types[k])) {
        continue;
      }
      if (v.slot[k] == nullptr) {
        retain(v.v[k], v.types[k].is_table());
      } else {
        clear_slot(v, k);
      }
    }
    return v.v;
  }

  // ---- locals ----

  /// The slots of the function's locals, uninitialised: a local's first write is where it is
  /// declared (or, for a parameter, at the top of the body), so that each slot's stores sit near
  /// its uses and mem2reg's work per local does not grow with the function (a store in the entry
  /// block dominates everything: the promotion of each such local walked the whole function).
  /// A reference local whose old value is read (rebound, or declared in a loop) gets a null
  /// store in the entry block when that is lowered (assign_flat).
  void make_locals() {
    for (const ir::Local& l : fn_.locals) {
      std::vector<Type> ts = ml_.flat(l.type);
      std::vector<llvm::AllocaInst*> slots;
      for (Type t : ts) {
        slots.push_back(entry_alloca(ml_.type_of(t), nullptr, l.name.c_str()));
      }
      locals_.push_back(std::move(slots));
      local_types_.push_back(std::move(ts));
    }
    written_.assign(fn_.locals.size(), 0);
  }
  /// Stores owned values `vals` (flat, of type `t`) into local `l`, releasing what it held. A
  /// `declaration` (a let) outside every loop, of a local nothing lowered before has written,
  /// runs at most once and before any other write to the local: it holds nothing to release,
  /// so its slots get one store each (the form mem2reg promotes without a dominance walk).
  void assign_flat(ir::LocalId l, const std::vector<Value*>& vals, std::size_t from = 0,
                   bool declaration = false) {
    const std::vector<llvm::AllocaInst*>& slots = locals_[l.v];
    const std::vector<Type>& types = local_types_[l.v];
    const bool fresh = declaration && loops_.empty() && !written_[l.v];
    written_[l.v] = 1;
    for (std::size_t k = 0; k < slots.size(); ++k) {
      if (is_ref(types[k])) {
        Value* old = nullptr;
        if (!fresh) {
          null_at_entry(slots[k]);
          old = b_.CreateLoad(ml_.ptr_, slots[k]);
        }
        b_.CreateStore(vals[from + k], slots[k]);
        b_.CreateStore(vals[from + k], shadow(l.v, k), true);
        if (old != nullptr) {
          release(old, types[k].is_table(), true);
        }
      } else {
        b_.CreateStore(vals[from + k], slots[k]);
      }
    }
  }
  /// Marks local `l` written by code other than assign_flat (a parameter, a captured value).
  void written(ir::LocalId l) { written_[l.v] = 1; }
  /// Gives reference slot `a` a null store in the entry block (once): its old value is read.
  void null_at_entry(llvm::AllocaInst* a) {
    if (!nulled_.insert(a).second) {
      return;
    }
    llvm::IRBuilder<> eb(alloca_bb_, alloca_bb_->getTerminator()
                                         ? alloca_bb_->getTerminator()->getIterator()
                                         : alloca_bb_->end());
    eb.CreateStore(llvm::ConstantPointerNull::get(ml_.ptr_), a);
  }
  /// The cleanup copy of reference `k` of local `l` (made on first use): what the exit block
  /// releases. The local's own slot is promoted to SSA values for the code that reads it.
  llvm::AllocaInst* shadow(std::uint32_t l, std::size_t k) {
    if (shadows_.size() <= l) {
      shadows_.resize(locals_.size());
    }
    std::vector<llvm::AllocaInst*>& s = shadows_[l];
    s.resize(locals_[l].size(), nullptr);
    if (s[k] == nullptr) {
      s[k] = entry_alloca(ml_.ptr_, llvm::ConstantPointerNull::get(ml_.ptr_), "owned");
    }
    return s[k];
  }
  /// At the exit: releases the references the locals own (not borrowed parameters).
  void release_locals() {
    for (std::size_t l = 0; l < shadows_.size(); ++l) {
      if (std::find(borrowed_.begin(), borrowed_.end(), l) != borrowed_.end()) {
        continue;
      }
      for (std::size_t k = 0; k < shadows_[l].size(); ++k) {
        if (shadows_[l][k] != nullptr) {
          release(b_.CreateLoad(ml_.ptr_, shadows_[l][k], true), local_types_[l][k].is_table(),
                  true);
        }
      }
    }
  }
  Val read_local(ir::LocalId l) {
    Val v;
    for (std::size_t k = 0; k < locals_[l.v].size(); ++k) {
      Type t = local_types_[l.v][k];
      v.v.push_back(b_.CreateLoad(ml_.type_of(t), locals_[l.v][k]));
      v.slot.push_back(nullptr);
      v.types.push_back(t);
    }
    return v;
  }

  // ---- expressions (lower_expr.cpp, lower_call.cpp, lower_builtin.cpp) ----
  Val eval(ExprId id);
  Value* eval_scalar(ExprId id) { return eval(id).one(); }
  Val convert(Type to, ExprId operand, diag::Span span);
  Value* convert_scalar(Value* v, Scalar from, Scalar to);
  Val unary(Type t, const ir::Unary& u, diag::Span span);
  Val binary(Type t, const ir::Binary& b, diag::Span span);
  /// `widen`: an i64 division by a constant becomes calls the vectoriser can widen
  /// (int_div_ir.hpp; the loop's DivisionPlan allows it).
  Value* scalar_binary(BinaryOp op, Scalar s, Value* a, Value* b, diag::Span span,
                       bool widen = false);
  Value* minmax(bool is_min, Scalar s, Value* a, Value* b);
  Val call(const ir::Call& c, Type t, diag::Span span);
  std::vector<Value*> emit_call(ir::FnId fn, const std::vector<Value*>& args, diag::Span span);
  void launch(const ir::Launch& l, diag::Span span);
  /// After a call or launch of `callee` at `span`: when the script's code called a module's
  /// function, an error raised inside it is moved to `span` (library_error.hpp's rule).
  void resite_module_call(ir::FnId callee, diag::Span span);
  /// The call depth, after raising "stack overflow" at `site` when it is at the limit.
  Value* checked_depth(std::uint32_t site);
  /// Raises the negative-size error at `site` for a launch extent below 0 (as zeros(-1)).
  void check_grid(const ir::Launch& l, const std::vector<Value*>& grid, std::uint32_t site);
  Val builtin(Type t, const ir::BuiltinCall& c, diag::Span span);
  Val array_builtin(Type t, const ir::BuiltinCall& c, diag::Span span);
  /// prod … reshape (runtime/array_fns.hpp) of the evaluated `args`.
  Val array_fn(Type t, const ir::BuiltinCall& c, const std::vector<Val>& args, std::uint32_t st);
  /// a ** b for floats (rt::fpow).
  Value* pow_of(Value* a, Value* b);
  Value* math1(Builtin b, Scalar s, Value* x);
  /// e^x as runtime/rules/kmath.hpp computes it, for an f64 or f32 value.
  Value* exp_of(Value* x);
  Val index_get(Type t, const ir::Index& ix, diag::Span span);
  /// The address of arr[idx…]: each index wrapped when negative (rules/bounds.hpp), except
  /// those `nonneg` (bit d) says cannot be, and checked when `checked`; a negative index in a
  /// dimension whose bit is set in `no_wrap` raises instead (ir::StoreIndex::no_wrap).
  Value* element_ptr(Value* arr, Scalar s, const std::vector<Value*>& idx, bool checked,
                     std::uint32_t site, std::uint8_t no_wrap = 0, std::uint8_t nonneg = 0);
  /// The bits of the indices that are known non-negative: constants >= 0, `index(k)`, and the
  /// variable of an enclosing loop that starts at a constant >= 0 and counts up.
  std::uint8_t nonneg_bits(const std::vector<ExprId>& indices) const;
  Val slice(Type t, const ir::SliceView& s, diag::Span span);
  Val array_literal(Type t, const ir::ArrayLit& a, diag::Span span);
  Value* random(Value* key, Value* counter);
  Value* randn(Value* key, Value* counter);
  /// An elementwise operand's three ABI words.
  void operand_words(const Val& v, Type t, std::vector<Value*>& out);
  Value* bits_of(Value* v, Scalar s);
  Value* from_bits(Value* bits, Scalar s);
  Val array_result(Type t, Value* p) {
    check_failed();
    return owned(t, p);
  }
  // ---- fusion (lower_fuse.cpp) ----
  struct Leaf {
    Value* array;
    Value* data;
    Value* stride;
  };
  struct Fused {
    Scalar s;
    std::vector<ir::LocalId> leaves;  // array locals read, in order of appearance
    std::vector<ExprId> scalars;      // pure scalar operands, hoisted ahead of the loop
    std::map<std::uint32_t, Leaf> leaf;
    std::map<std::uint32_t, Value*> hoisted;
    std::uint8_t rank = 1;  // 2: row-major contiguous matrices of one shape, run as one vector
  };
  bool try_fused(Type t, const ir::BuiltinCall& c, diag::Span span, Val& out);
  bool try_fused_store(const ir::StoreView& st, diag::Span span);
  bool fusible(ExprId id, Fused& f) const;
  Value* fused_prologue(Fused& f, Value* extra_array);
  Value* fused_element(ExprId id, Fused& f, Value* i);
  /// The fused loop outlined over elements [lo, hi): a sum's partial `double (env*, i64 lo, i64
  /// hi)`, or with `st` a store's chunk `void (env*, i64 lo, i64 hi)` writing through `data` and
  /// `stride`; and its environment on this frame (leaves, hoisted scalars, the target).
  std::pair<llvm::Function*, Value*> outline_fused(const Fused& f, ExprId value,
                                                   const ir::StoreView* st, Value* data,
                                                   Value* stride);
  void fused_chunk(const Fused& parent, ExprId value, const ir::StoreView* st,
                   llvm::StructType* env_type);
  /// Runs the outlined loop over n elements: directly when small, else by the runtime's chunks.
  /// Returns a sum's f64 result (null for a store).
  Value* run_fused(const Fused& f, ExprId value, const ir::StoreView* st, Value* data,
                   Value* stride, Value* n, diag::Span span);

  // ---- statements (lower_stmt.cpp) ----
  void stmts(const ir::Block& b);
  void stmt(ir::StmtId id);
  /// `declaration`: the local's let (assign_flat).
  void assign_local(ir::LocalId l, ExprId value, bool declaration = false);
  void assign(const ir::Assign& a, diag::Span span);
  void stmt_store_view(const ir::StoreView& st, diag::Span span);
  void store_index(const ir::StoreIndex& st, diag::Span span);
  /// The bounds of one chunk of an outlined parallel loop, in the loop variable's type, and its
  /// substream base (null when the body draws no random numbers).
  struct ChunkBounds {
    Value* lo;
    Value* hi;
    Value* step;  // null: unit step
    Value* key;
    Value* counter;
  };
  /// Lowers a for loop: a parallel one whose body is chunk-safe as an outlined chunk function
  /// run by the runtime, else serially (`chunk` given: one chunk of an outlined loop).
  void for_loop(const ir::For& f, diag::Span span, const ChunkBounds* chunk = nullptr);

  // ---- outlining (lower_parallel.cpp) ----
  /// What the parent stores in a chunk function's environment and the chunk reads back.
  struct ChunkPlan {
    std::vector<ir::LocalId> captured;  // outer locals the body reads, flat values first in env
    llvm::StructType* env = nullptr;
    unsigned extras = 0;  // index of the first field after the captured values
  };
  void outline_for(const ir::For& f, diag::Span span);
  /// A parallel loop's lo, hi and step as i64, evaluated in that order (step null when it is
  /// absent or the constant 1).
  struct LoopBounds {
    Value* lo;
    Value* hi;
    Value* step;
  };
  LoopBounds loop_bounds(const ir::For& f);
  /// Entering a parallel loop or launch that draws from the stream: its base (key, counter),
  /// the stream advanced by one draw; leaving: the stream one draw past the base. (0, 0) and
  /// nothing when it does not draw.
  std::pair<Value*, Value*> enter_parallel_stream(bool streams);
  void leave_parallel_stream(bool streams, Value* key, Value* counter);
  /// The trip count of lo..hi by step (i64s), raising "the step … must not be zero" first.
  Value* checked_trip(Value* lo, Value* hi, Value* step, std::uint32_t site);
  // ---- GPU regions (lower_gpu.cpp) ----
  void gpu_for(const ir::For& f, diag::Span span, const codegen::GpuRegion& r);
  void gpu_launch(const ir::Launch& l, diag::Span span, const codegen::GpuRegion& r);
  /// kestrel_rt_gpu_run of region r with these parameter slots and iteration count; for a
  /// launch, `launch` (at `span`) names the kernel, whose errors resite_module_call moves.
  void gpu_run(const codegen::GpuRegion& r, const std::vector<Value*>& params, Value* count,
               const ir::Launch* launch = nullptr, diag::Span span = {});
  Value* slot_bits(Value* v, Type t);
  /// What a region's parameters come from (a loop has no launch arguments: `args` null).
  struct GpuValues {
    Value* lo;
    Value* step;
    Value* key;
    Value* counter;
    Value* cols;
    const std::vector<Val>* args;
  };
  Value* gpu_param(const codegen::GpuSlot& slot, const GpuValues& v);
  void gpu_sync();
  /// The array reductions of a parallel loop run serially by this function: the body writes
  /// private copies held in `shadows` (temporaries, so an unwind releases them), the arrays'
  /// own slots are set aside in `saved` until the end.
  struct ArrayReds {
    Value* handle = nullptr;  // null: none
    llvm::AllocaInst* tmp = nullptr;
    std::vector<llvm::AllocaInst*> shadows;
    std::vector<llvm::AllocaInst*> saved;
    bool chunked = false;  // a float array: chunks of kReduceChunk iterations, else one chunk
  };
  /// The ops array (ir::ReduceOp numbers) of f's array reductions, and their element kind.
  Value* array_reduction_ops(const ir::For& f, bool& any_float);
  ArrayReds begin_array_reductions(const ir::For& f, std::uint32_t site);
  /// Calls kestrel_rt_arred_next (`next`) or _done on the shadows' copies.
  void array_reductions_step(ArrayReds& a, bool next);
  void end_array_reductions(ArrayReds& a);
  void run_chunk_loop(const ir::For& f, diag::Span span, const ChunkPlan& plan);
  void run_chunk_launch(const ir::Launch& l, diag::Span span, const std::vector<Type>& flat_types,
                        llvm::StructType* env);
  /// The chunk function's frame: entry, unwind and exit blocks, the context argument.
  void begin_chunk();
  /// Ends a chunk function: unwind releases temporaries, exit the locals the chunk owns.
  void end_chunk(const std::function<void()>& at_exit);
  /// The loop nest of a launch over rows [row_lo, row_hi) of axis 0.
  void launch_loops(const ir::Launch& l, const std::vector<Value*>& grid,
                    const std::vector<Value*>& flat, const std::vector<Type>& flat_types,
                    Value* row_lo, Value* row_hi, std::uint32_t st, diag::Span span);
  void store_element(Value* ptr, Scalar s, ir::AssignOp op, Value* v);
  bool proven(ExprId base, const std::vector<ExprId>& indices) const;

  struct Loop {
    BasicBlock* brk;
    BasicBlock* cont;
  };
  struct Temp {
    llvm::AllocaInst* slot;
    bool table;
  };

  ModuleLowering& ml_;
  const ir::Program& p_;
  const ir::Function& fn_;
  ir::FnId id_;
  llvm::IRBuilder<> b_;
  llvm::Function* f_;
  Value* ctx_ = nullptr;
  Value* out_ = nullptr;  // tuple results
  BasicBlock* alloca_bb_ = nullptr;
  BasicBlock* unwind_bb_ = nullptr;
  BasicBlock* exit_bb_ = nullptr;
  std::vector<llvm::AllocaInst*> ret_slots_;
  std::vector<Type> ret_types_;
  std::vector<std::vector<llvm::AllocaInst*>> locals_;
  std::vector<std::vector<Type>> local_types_;
  std::vector<std::vector<llvm::AllocaInst*>> shadows_;  // by local: shadow() (null: none yet)
  std::vector<char> written_;                            // by local: a write to it has been lowered
  llvm::SmallPtrSet<llvm::AllocaInst*, 8> nulled_;       // reference slots null at entry
  std::vector<Temp> temps_;
  std::vector<llvm::AllocaInst*> free_temps_[2];  // emptied slots (arrays, tables) for reuse
  std::vector<Loop> loops_;
  diag::Span last_stmt_span_;
  ir::StmtId cur_stmt_;  // the statement stmt() is lowering (a parallel for's id for its plan)
  llvm::MDNode* cold_ = nullptr;
  std::vector<std::uint32_t> borrowed_;  // parameters never rebound: not retained
  std::vector<std::uint32_t> proven_;    // array locals a with a[proven_var_] in bounds here
  ir::LocalId proven_var_;
  std::vector<std::uint32_t> nonneg_vars_;  // enclosing loops' variables that are never < 0
  mutable std::vector<char> index_lets_;    // locals bound once by `let x = index(k)` (lazy)
  bool checked_;           // bounds checks (off under @unchecked and in a kernel's in-bounds copy)
  bool no_fuse_ = false;   // while lowering the unfused fallback of a fused operation
  bool in_chunk_ = false;  // lowering a chunk function: parallel loops inside run serially
  bool philox_calls_ = false;  // random() calls kestrel.random (a parallel loop's body)
  const DivisionPlan* divisions_ = nullptr;  // the innermost loop body's, while lowering it
};

}  // namespace lower
}  // namespace kestrel::jit
