// Expressions: constants, locals, conversions, unary and binary operators (scalar and
// elementwise), element access, slices and array literals (FnLowering's members).
#include "codegen/llvm/int_div_ir.hpp"
#include "codegen/llvm/lower_context.hpp"

namespace kestrel::jit::lower {

Val FnLowering::eval(ExprId id) {
  const ir::Expr& e = ex(id);
  diag::Span span = e.span;
  return std::visit(
      ir::overloaded{
          [&](const ir::IntConst& k) {
            return scalar(e.type,
                          llvm::ConstantInt::get(ml_.scalar_type(e.type.scalar),
                                                 static_cast<std::uint64_t>(k.value), true));
          },
          [&](const ir::BoolConst& k) {
            return scalar(e.type, llvm::ConstantInt::get(ml_.i1_, k.value ? 1 : 0));
          },
          [&](const ir::FloatConst& k) {
            return scalar(e.type, e.type.scalar == Scalar::F32
                                      ? llvm::ConstantFP::get(ml_.f32_, static_cast<float>(k.value))
                                      : llvm::ConstantFP::get(ml_.f64_, k.value));
          },
          [&](const ir::StrConst& k) {
            ml_.t_.strings.push_back(k.value);
            auto addr = reinterpret_cast<std::uintptr_t>(&ml_.t_.strings.back());
            return scalar(e.type,
                          b_.CreateIntToPtr(i64c(static_cast<std::int64_t>(addr)), ml_.ptr_));
          },
          [&](const ir::LocalRef& r) { return read_local(r.local); },
          [&](const ir::Convert& k) { return convert(e.type, k.operand, span); },
          [&](const ir::Unary& u) { return unary(e.type, u, span); },
          [&](const ir::Binary& bin) { return binary(e.type, bin, span); },
          [&](const ir::MatMul& m) {
            Val a = eval(m.lhs);
            Val b = eval(m.rhs);
            std::uint32_t s = ml_.site(span);
            Val r;
            if (e.type.is_array()) {
              Value* p =
                  b_.CreateCall(ml_.rt(Abi::kestrel_rt_matmul), {ctx_, i32c(s), a.one(), b.one()});
              r = array_result(e.type, p);
            } else {
              Value* bits = b_.CreateCall(
                  ml_.rt(Abi::kestrel_rt_matmul_vv),
                  {ctx_, i32c(s), a.one(), b.one(), i32c(static_cast<int>(e.type.scalar))});
              check_failed();
              r = scalar(e.type, from_bits(bits, e.type.scalar));
            }
            drop(a);
            drop(b);
            return r;
          },
          [&](const ir::Call& k) { return call(k, e.type, span); },
          [&](const ir::BuiltinCall& k) { return builtin(e.type, k, span); },
          [&](const ir::Launch& l) {
            const codegen::GpuRegion* r =
                ml_.gpu_ != nullptr && !in_chunk_ ? ml_.gpu_->launch_of(id) : nullptr;
            if (r != nullptr) {
              gpu_launch(l, span, *r);
            } else {
              launch(l, span);
            }
            return Val{};
          },
          [&](const ir::Index& ix) { return index_get(e.type, ix, span); },
          [&](const ir::SliceView& s) { return slice(e.type, s, span); },
          [&](const ir::Transpose& t) {
            Val a = eval(t.base);
            Value* p = b_.CreateCall(ml_.rt(Abi::kestrel_rt_transpose),
                                     {ctx_, i32c(ml_.site(span)), a.one()});
            Val r = array_result(e.type, p);
            drop(a);
            return r;
          },
          [&](const ir::TableColumn& col) {
            Val t = eval(col.table);
            Val name = eval(col.name);
            Value* p = b_.CreateCall(ml_.rt(Abi::kestrel_rt_table_column),
                                     {ctx_, i32c(ml_.site(span)), t.one(),
                                      i32c(static_cast<int>(col.column)), name.one()});
            Val r = array_result(e.type, p);
            drop(t);
            return r;
          },
          [&](const ir::TableRows& rows) {
            Val t = eval(rows.table);
            Value* n = b_.CreateCall(ml_.rt(Abi::kestrel_rt_table_rows), {t.one()});
            drop(t);
            return scalar(e.type, n);
          },
          [&](const ir::ArrayLit& a) { return array_literal(e.type, a, span); },
          [&](const ir::MakeTuple& t) {
            Val out;
            for (ExprId el : t.elems) {
              Val v = eval(el);
              out.v.insert(out.v.end(), v.v.begin(), v.v.end());
              out.slot.insert(out.slot.end(), v.slot.begin(), v.slot.end());
              out.types.insert(out.types.end(), v.types.begin(), v.types.end());
            }
            return out;
          },
          [&](const ir::ErrorExpr&) -> Val {
            throw std::runtime_error("internal error: an unchecked program reached the JIT");
          },
      },
      e.kind);
}

// ---- conversions and operators ---------------------------------------------------------------

Value* FnLowering::convert_scalar(Value* v, Scalar f, Scalar t) {
  auto is_int = [](Scalar s) { return s == Scalar::I64 || s == Scalar::I32 || s == Scalar::Bool; };
  bool ff = f == Scalar::F32 || f == Scalar::F64;
  if (f == t) {
    return v;
  }
  if (t == Scalar::Bool) {
    if (ff) {
      return b_.CreateFCmpUNE(v, llvm::ConstantFP::get(v->getType(), 0.0));
    }
    return b_.CreateICmpNE(v, llvm::ConstantInt::get(v->getType(), 0));
  }
  llvm::Type* to = ml_.scalar_type(t);
  if (is_int(f)) {
    if (t == Scalar::I64 || t == Scalar::I32) {
      return f == Scalar::Bool ? b_.CreateZExt(v, to) : b_.CreateSExtOrTrunc(v, to);
    }
    return f == Scalar::Bool ? b_.CreateUIToFP(v, to) : b_.CreateSIToFP(v, to);
  }
  if (t == Scalar::F32 || t == Scalar::F64) {
    return t == Scalar::F32 ? b_.CreateFPTrunc(v, to) : b_.CreateFPExt(v, to);
  }
  // Float to integer: truncates, saturates, nan gives 0 (rt::convert_scalar).
  return b_.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {to, v->getType()}, {v});
}

Val FnLowering::convert(Type to, ExprId operand, diag::Span span) {
  Type from = type(operand);
  Val a = eval(operand);
  if (from.is_array()) {
    Value* p = b_.CreateCall(ml_.rt(Abi::kestrel_rt_convert), {ctx_, i32c(ml_.site(span)), a.one(),
                                                               i32c(static_cast<int>(to.scalar))});
    Val r = array_result(to, p);
    drop(a);
    return r;
  }
  return scalar(to, convert_scalar(a.one(), from.scalar, to.scalar));
}

Val FnLowering::unary(Type t, const ir::Unary& u, diag::Span span) {
  Val a = eval(u.operand);
  if (t.is_array()) {
    rt::UnOp op = codegen::rt_unop(u.op);
    Value* p = b_.CreateCall(ml_.rt(Abi::kestrel_rt_unary),
                             {ctx_, i32c(ml_.site(span)), i32c(static_cast<int>(op)), a.one()});
    Val r = array_result(t, p);
    drop(a);
    return r;
  }
  Value* x = a.one();
  switch (u.op) {
    case ir::UnaryOp::Neg:
      if (t.scalar == Scalar::F32 || t.scalar == Scalar::F64) {
        return scalar(t, b_.CreateFNeg(x));
      }
      return scalar(t, b_.CreateSub(llvm::ConstantInt::get(x->getType(), 0), x));
    case ir::UnaryOp::Not:
      return scalar(t, b_.CreateNot(x));
    case ir::UnaryOp::BitNot:
      return scalar(t, b_.CreateNot(x));
  }
  return scalar(t, x);
}

Value* FnLowering::bits_of(Value* v, Scalar s) {
  switch (s) {
    case Scalar::Bool:
      return b_.CreateZExt(v, ml_.i64_);
    case Scalar::I32:
      return b_.CreateSExt(v, ml_.i64_);
    case Scalar::I64:
      return v;
    case Scalar::F32:
      return b_.CreateZExt(b_.CreateBitCast(v, ml_.i32_), ml_.i64_);
    case Scalar::F64:
      return b_.CreateBitCast(v, ml_.i64_);
    case Scalar::Str:
      return b_.CreatePtrToInt(v, ml_.i64_);
  }
  return v;
}

Value* FnLowering::from_bits(Value* bits, Scalar s) {
  switch (s) {
    case Scalar::Bool:
      return b_.CreateICmpNE(bits, i64c(0));
    case Scalar::I32:
      return b_.CreateTrunc(bits, ml_.i32_);
    case Scalar::I64:
      return bits;
    case Scalar::F32:
      return b_.CreateBitCast(b_.CreateTrunc(bits, ml_.i32_), ml_.f32_);
    case Scalar::F64:
      return b_.CreateBitCast(bits, ml_.f64_);
    case Scalar::Str:
      return b_.CreateIntToPtr(bits, ml_.ptr_);
  }
  return bits;
}

void FnLowering::operand_words(const Val& v, Type t, std::vector<Value*>& out) {
  if (t.is_array()) {
    out.push_back(v.one());
    out.push_back(i32c(static_cast<int>(t.scalar)));
    out.push_back(i64c(0));
  } else {
    out.push_back(llvm::ConstantPointerNull::get(ml_.ptr_));
    out.push_back(i32c(static_cast<int>(t.scalar)));
    out.push_back(bits_of(v.one(), t.scalar));
  }
}

Value* FnLowering::minmax(bool is_min, Scalar s, Value* a, Value* b) {
  // rt::min_value / max_value: nan propagates as a + b; else b < a ? b : a (a < b ? b : a).
  if (s == Scalar::F32 || s == Scalar::F64) {
    // The comparison is frozen: LLVM 19's InstCombine folds the two selects of
    // max(0.0, abs(x)) into `x > 0 ? abs(x) : 0` (0 for every negative x), and a frozen
    // condition keeps it to a correct `x != 0` (tests/lang/basics/max_zero_abs.kst).
    Value* pick = is_min ? b_.CreateSelect(b_.CreateFreeze(b_.CreateFCmpOLT(b, a)), b, a)
                         : b_.CreateSelect(b_.CreateFreeze(b_.CreateFCmpOLT(a, b)), b, a);
    return b_.CreateSelect(b_.CreateFCmpUNO(a, b), b_.CreateFAdd(a, b), pick);
  }
  if (s == Scalar::Bool) {
    return is_min ? b_.CreateSelect(b_.CreateICmpULT(b, a), b, a)
                  : b_.CreateSelect(b_.CreateICmpULT(a, b), b, a);
  }
  return is_min ? b_.CreateSelect(b_.CreateICmpSLT(b, a), b, a)
                : b_.CreateSelect(b_.CreateICmpSLT(a, b), b, a);
}

Value* FnLowering::scalar_binary(BinaryOp op, Scalar s, Value* a, Value* b, diag::Span span,
                                 bool widen) {
  bool fl = s == Scalar::F32 || s == Scalar::F64;
  bool f32 = s == Scalar::F32;
  llvm::Type* t = a->getType();
  auto zero = [&] { return llvm::ConstantInt::get(t, 0); };
  switch (op) {
    case BinaryOp::Add:
      return fl ? b_.CreateFAdd(a, b) : b_.CreateAdd(a, b);
    case BinaryOp::Sub:
      return fl ? b_.CreateFSub(a, b) : b_.CreateSub(a, b);
    case BinaryOp::Mul:
      return fl ? b_.CreateFMul(a, b) : b_.CreateMul(a, b);
    case BinaryOp::Div:
      return b_.CreateFDiv(a, b);
    case BinaryOp::FloorDiv:
    case BinaryOp::Mod: {
      bool div = op == BinaryOp::FloorDiv;
      if (fl) {
        Abi fn = div ? (f32 ? Abi::kestrel_rt_floordiv_f32 : Abi::kestrel_rt_floordiv_f64)
                     : (f32 ? Abi::kestrel_rt_mod_f32 : Abi::kestrel_rt_mod_f64);
        return b_.CreateCall(ml_.rt(fn), {a, b});
      }
      raise_message(b_.CreateICmpEQ(b, zero()), ml_.site(span), "integer division by zero");
      // b == -1: a // -1 wraps to -a, a % -1 is 0 (and LLVM's sdiv would overflow on MIN).
      Value* minus1 = b_.CreateICmpEQ(b, llvm::ConstantInt::get(t, -1, true));
      Value* safe_b = b_.CreateSelect(minus1, llvm::ConstantInt::get(t, 1), b);
      Value* q = nullptr;
      Value* r = nullptr;
      auto* constant = llvm::dyn_cast<llvm::ConstantInt>(b);
      if (widen && s == Scalar::I64 && constant != nullptr &&
          int_div_ir::wants_call(constant->getSExtValue())) {
        // Calls the vectoriser can widen (int_div_ir.hpp); elsewhere LLVM's own division, which
        // the optimiser knows.
        q = b_.CreateCall(int_div_ir::division_function(ml_.m_, false), {a, b});
        r = b_.CreateCall(int_div_ir::division_function(ml_.m_, true), {a, b});
      } else {
        q = b_.CreateSDiv(a, safe_b);
        r = b_.CreateSRem(a, safe_b);
      }
      Value* r_nz = b_.CreateICmpNE(r, zero());
      if (div) {
        Value* signs = b_.CreateICmpNE(b_.CreateICmpSLT(a, zero()), b_.CreateICmpSLT(b, zero()));
        Value* adj = b_.CreateSub(q, b_.CreateZExt(b_.CreateAnd(r_nz, signs), t));
        return b_.CreateSelect(minus1, b_.CreateSub(zero(), a), adj);
      }
      Value* signs = b_.CreateICmpNE(b_.CreateICmpSLT(r, zero()), b_.CreateICmpSLT(b, zero()));
      Value* adj = b_.CreateSelect(b_.CreateAnd(r_nz, signs), b_.CreateAdd(r, b), r);
      return b_.CreateSelect(minus1, zero(), adj);
    }
    case BinaryOp::Pow: {
      if (fl) {
        return pow_of(a, b);
      }
      bool i32 = s == Scalar::I32;
      Value* r = b_.CreateCall(ml_.rt(i32 ? Abi::kestrel_rt_ipow_i32 : Abi::kestrel_rt_ipow_i64),
                               {ctx_, i32c(ml_.site(span)), a, b});
      check_failed();
      return r;
    }
    case BinaryOp::Eq:
      return fl ? b_.CreateFCmpOEQ(a, b) : b_.CreateICmpEQ(a, b);
    case BinaryOp::Ne:
      return fl ? b_.CreateFCmpUNE(a, b) : b_.CreateICmpNE(a, b);
    case BinaryOp::Lt:
      return fl ? b_.CreateFCmpOLT(a, b)
                : (s == Scalar::Bool ? b_.CreateICmpULT(a, b) : b_.CreateICmpSLT(a, b));
    case BinaryOp::Le:
      return fl ? b_.CreateFCmpOLE(a, b)
                : (s == Scalar::Bool ? b_.CreateICmpULE(a, b) : b_.CreateICmpSLE(a, b));
    case BinaryOp::Gt:
      return fl ? b_.CreateFCmpOGT(a, b)
                : (s == Scalar::Bool ? b_.CreateICmpUGT(a, b) : b_.CreateICmpSGT(a, b));
    case BinaryOp::Ge:
      return fl ? b_.CreateFCmpOGE(a, b)
                : (s == Scalar::Bool ? b_.CreateICmpUGE(a, b) : b_.CreateICmpSGE(a, b));
    case BinaryOp::BitAnd:
    case BinaryOp::And:
      return b_.CreateAnd(a, b);
    case BinaryOp::BitOr:
    case BinaryOp::Or:
      return b_.CreateOr(a, b);
    case BinaryOp::BitXor:
      return b_.CreateXor(a, b);
    case BinaryOp::Shl:
    case BinaryOp::Shr: {
      std::uint32_t st = ml_.site(span);
      raise_if(b_.CreateICmpSLT(b, zero()), [&] {
        b_.CreateCall(ml_.rt(Abi::kestrel_rt_raise_negative_shift),
                      {ctx_, i32c(st), b_.CreateSExt(b, ml_.i64_)});
      });
      unsigned width = t->getIntegerBitWidth();
      Value* big = b_.CreateICmpSGE(b, llvm::ConstantInt::get(t, width));
      Value* n = b_.CreateAnd(b, llvm::ConstantInt::get(t, width - 1));
      if (op == BinaryOp::Shl) {
        return b_.CreateSelect(big, zero(), b_.CreateShl(a, n));
      }
      Value* sign = b_.CreateAShr(a, llvm::ConstantInt::get(t, width - 1));
      return b_.CreateSelect(big, sign, b_.CreateAShr(a, n));
    }
  }
  return a;
}

Val FnLowering::binary(Type t, const ir::Binary& bin, diag::Span span) {
  if (bin.op == BinaryOp::And || bin.op == BinaryOp::Or) {
    Value* l = eval_scalar(bin.lhs);
    BasicBlock* from = b_.GetInsertBlock();
    BasicBlock* rhs = block("rhs");
    BasicBlock* done = block("sc");
    if (bin.op == BinaryOp::And) {
      b_.CreateCondBr(l, rhs, done);
    } else {
      b_.CreateCondBr(l, done, rhs);
    }
    b_.SetInsertPoint(rhs);
    Value* r = eval_scalar(bin.rhs);
    BasicBlock* rhs_end = b_.GetInsertBlock();
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    llvm::PHINode* phi = b_.CreatePHI(ml_.i1_, 2);
    phi->addIncoming(llvm::ConstantInt::get(ml_.i1_, bin.op == BinaryOp::Or ? 1 : 0), from);
    phi->addIncoming(r, rhs_end);
    return scalar(t, phi);
  }
  Type lt = type(bin.lhs);
  Type rtt = type(bin.rhs);
  if (t.is_array() || lt.is_array() || rtt.is_array()) {
    Val a = eval(bin.lhs);
    Val b = eval(bin.rhs);
    std::vector<Value*> args{ctx_, i32c(ml_.site(span)),
                             i32c(static_cast<int>(codegen::rt_binop(bin.op).value()))};
    operand_words(a, lt, args);
    operand_words(b, rtt, args);
    Value* p = b_.CreateCall(ml_.rt(Abi::kestrel_rt_binary), args);
    Val r = array_result(t, p);
    drop(a);
    drop(b);
    return r;
  }
  Value* a = eval_scalar(bin.lhs);
  Value* b = eval_scalar(bin.rhs);
  if (lt.scalar == Scalar::Str) {
    // The checker allows only == and != on str: the texts compare.
    if (bin.op != BinaryOp::Eq && bin.op != BinaryOp::Ne) {
      throw RunError(span, "only == and != compare str values");
    }
    Value* eq = b_.CreateICmpNE(b_.CreateCall(ml_.rt(Abi::kestrel_rt_str_eq), {a, b}), i32c(0));
    return scalar(t, bin.op == BinaryOp::Eq ? eq : b_.CreateNot(eq));
  }
  const bool widen = (bin.op == BinaryOp::Mod || bin.op == BinaryOp::FloorDiv) &&
                     divisions_ != nullptr && divisions_->allows(p_, bin.lhs);
  return scalar(t, scalar_binary(bin.op, lt.scalar, a, b, span, widen));
}

// ---- elements, slices, literals --------------------------------------------------------------

Value* FnLowering::element_ptr(Value* arr, Scalar s, const std::vector<Value*>& idx, bool checked,
                               std::uint32_t st, std::uint8_t no_wrap, std::uint8_t nonneg) {
  std::vector<Value*> at(idx);
  for (std::size_t d = 0; d < idx.size(); ++d) {
    if (((nonneg >> d) & 1) != 0) {
      // Never negative: as before negative indices, one unsigned comparison.
      if (checked) {
        Value* size = load(ml_.i64_, field(arr, kArrShape + 8 * d), ml_.tbaa_header_);
        Value* i = idx[d];
        raise_if(b_.CreateICmpUGE(i, size), [&] {
          b_.CreateCall(ml_.rt(Abi::kestrel_rt_raise_index),
                        {ctx_, i32c(st), i, i32c(static_cast<int>(d)), size});
        });
      }
      continue;
    }
    Value* i = idx[d];
    if (((no_wrap >> d) & 1) != 0) {
      raise_if(b_.CreateICmpSLT(i, i64c(0)), [&] {
        b_.CreateCall(ml_.rt(Abi::kestrel_rt_raise_negative_store), {ctx_, i32c(st), i});
      });
    }
    Value* size = load(ml_.i64_, field(arr, kArrShape + 8 * d), ml_.tbaa_header_);
    // rt::wrap_index: i + (size & (i >> 63)).
    at[d] = b_.CreateAdd(i, b_.CreateAnd(size, b_.CreateAShr(i, 63)));
    if (checked) {
      raise_if(b_.CreateICmpUGE(at[d], size), [&] {
        b_.CreateCall(ml_.rt(Abi::kestrel_rt_raise_index),
                      {ctx_, i32c(st), i, i32c(static_cast<int>(d)), size});
      });
    }
  }
  Value* data = load(ml_.ptr_, field(arr, kArrData), ml_.tbaa_header_);
  Value* off = nullptr;
  for (std::size_t d = 0; d < idx.size(); ++d) {
    Value* stride = load(ml_.i64_, field(arr, kArrStrides + 8 * d), ml_.tbaa_header_);
    Value* term = b_.CreateMul(at[d], stride);
    off = off == nullptr ? term : b_.CreateAdd(off, term);
  }
  if (s == Scalar::Str) {
    return b_.CreateGEP(llvm::ArrayType::get(ml_.i8_, sizeof(std::string)), data, off);
  }
  return b_.CreateGEP(ml_.mem_type(s), data, off);
}

std::uint8_t FnLowering::nonneg_bits(const std::vector<ExprId>& indices) const {
  if (index_lets_.empty()) {
    index_lets_.assign(fn_.locals.size() + 1, 0);
    std::function<void(const ir::Block&)> walk = [&](const ir::Block& b) {
      for (ir::StmtId id : b.stmts) {
        const ir::StmtKind& s = p_.stmt(id).kind;
        ir::for_each_child(
            s, [](ExprId) {}, walk);
        if (const auto* l = std::get_if<ir::Let>(&s); l && !fn_.locals[l->local.v].is_mutable) {
          const auto* c = std::get_if<ir::BuiltinCall>(&ex(l->init).kind);
          bool by_index = c != nullptr && c->builtin == Builtin::Index;
          char& mark = index_lets_[l->local.v];
          mark = mark == 2 || !by_index ? 2 : 1;  // 1: every binding is index(k)
        }
      }
    };
    walk(fn_.body);
  }
  std::uint8_t bits = 0;
  for (std::size_t d = 0; d < indices.size() && d < 8; ++d) {
    const ir::ExprKind& k = ex(indices[d]).kind;
    bool nn = false;
    if (const auto* c = std::get_if<ir::IntConst>(&k)) {
      nn = c->value >= 0;
    } else if (const auto* b = std::get_if<ir::BuiltinCall>(&k)) {
      nn = b->builtin == Builtin::Index;
    } else if (const auto* r = std::get_if<ir::LocalRef>(&k)) {
      nn = index_lets_[r->local.v] == 1 ||
           std::find(nonneg_vars_.begin(), nonneg_vars_.end(), r->local.v) != nonneg_vars_.end();
    }
    if (nn) {
      bits = static_cast<std::uint8_t>(bits | (1u << d));
    }
  }
  return bits;
}

Val FnLowering::index_get(Type t, const ir::Index& ix, diag::Span span) {
  Val base = eval(ix.base);
  std::vector<Value*> idx;
  for (ExprId i : ix.indices) {
    idx.push_back(eval_scalar(i));
  }
  bool in = proven(ix.base, ix.indices);
  Value* ptr = element_ptr(base.one(), t.scalar, idx, checked_ && !in, ml_.site(span), 0,
                           in ? std::uint8_t{0xff} : nonneg_bits(ix.indices));
  Value* v;
  if (t.scalar == Scalar::Str) {
    // Not a pointer into the array: it may be a temporary released right after this.
    v = b_.CreateCall(ml_.rt(Abi::kestrel_rt_str_intern), {ctx_, ptr});
  } else {
    v = load(ml_.mem_type(t.scalar), ptr, ml_.tbaa_elem_[static_cast<int>(t.scalar)]);
    if (t.scalar == Scalar::Bool) {
      v = b_.CreateICmpNE(v, llvm::ConstantInt::get(ml_.i8_, 0));
    }
  }
  drop(base);
  return scalar(t, v);
}

Val FnLowering::slice(Type t, const ir::SliceView& s, diag::Span span) {
  Val base = eval(s.base);
  // Four i64 per dimension (kestrel_rt_slice): is_range, index or lo, hi, step.
  auto* spec_t = llvm::ArrayType::get(ml_.i64_, 4 * s.dims.size());
  llvm::AllocaInst* specs = entry_alloca(spec_t, nullptr, "slice");
  auto put = [&](std::size_t k, Value* v) {
    b_.CreateStore(v, b_.CreateConstInBoundsGEP1_64(ml_.i64_, specs, k));
  };
  for (std::size_t d = 0; d < s.dims.size(); ++d) {
    const ir::SliceDim& dim = s.dims[d];
    put(4 * d, i64c(dim.is_range ? 1 : 0));
    if (!dim.is_range) {
      put(4 * d + 1, eval_scalar(dim.index));
      put(4 * d + 2, i64c(0));
      put(4 * d + 3, i64c(1));
    } else {
      put(4 * d + 1, dim.lo.valid() ? eval_scalar(dim.lo) : i64c(rt::kOpen));
      put(4 * d + 2, dim.hi.valid() ? eval_scalar(dim.hi) : i64c(rt::kOpen));
      put(4 * d + 3, dim.step.valid() ? eval_scalar(dim.step) : i64c(1));
    }
  }
  Value* p = b_.CreateCall(
      ml_.rt(Abi::kestrel_rt_slice),
      {ctx_, i32c(ml_.site(span)), base.one(), i32c(static_cast<int>(s.dims.size())), specs});
  Val r = array_result(t, p);
  drop(base);
  return r;
}

Val FnLowering::array_literal(Type t, const ir::ArrayLit& a, diag::Span span) {
  // The elements' bits go to the runtime as one constant global: written as one store per
  // element into a stack buffer instead, a literal of 10^4 numbers took seconds to compile
  // (and 10^5 a stack buffer of 800 KB). An element that is not a constant is 0 there and
  // stored into the new array afterwards. (Strings keep the buffer: their pointers are not
  // constants here.)
  std::size_t n = std::max<std::size_t>(a.elems.size(), 1);
  std::vector<Value*> bits;
  for (ExprId e : a.elems) {
    bits.push_back(bits_of(eval_scalar(e), t.scalar));
  }
  auto call_literal = [&](Value* slots) {
    return b_.CreateCall(
        ml_.rt(Abi::kestrel_rt_literal),
        {ctx_, i32c(ml_.site(span)), i32c(static_cast<int>(t.scalar)), i32c(a.rows), i32c(a.cols),
         i32c(static_cast<std::int64_t>(a.elems.size())), slots});
  };
  if (t.scalar == Scalar::Str) {
    llvm::AllocaInst* slots = entry_alloca(llvm::ArrayType::get(ml_.i64_, n), nullptr, "lit");
    for (std::size_t k = 0; k < bits.size(); ++k) {
      b_.CreateStore(bits[k], b_.CreateConstInBoundsGEP1_64(ml_.i64_, slots, k));
    }
    return array_result(t, call_literal(slots));
  }
  std::vector<std::uint64_t> words(n, 0);
  std::vector<std::size_t> variable;
  for (std::size_t k = 0; k < bits.size(); ++k) {
    if (const auto* c = llvm::dyn_cast<llvm::ConstantInt>(bits[k])) {
      words[k] = c->getZExtValue();
    } else {
      variable.push_back(k);
    }
  }
  auto* init = llvm::ConstantDataArray::get(c(), words);
  auto* global = new llvm::GlobalVariable(ml_.m_, init->getType(), true,
                                          llvm::GlobalValue::PrivateLinkage, init, "lit");
  global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  Val r = array_result(t, call_literal(global));
  if (!variable.empty()) {
    Value* data = load(ml_.ptr_, field(r.one(), kArrData), ml_.tbaa_header_);
    llvm::Type* mt = ml_.mem_type(t.scalar);
    for (std::size_t k : variable) {
      Value* ptr = b_.CreateConstInBoundsGEP1_64(mt, data, k);
      store_element(ptr, t.scalar, ir::AssignOp::Set, from_bits(bits[k], t.scalar));
    }
  }
  return r;
}

}  // namespace kestrel::jit::lower
