// Builtins: the math functions, exp, random numbers (Philox) and the array builtins
// (FnLowering's members).
#include "codegen/llvm/lower_context.hpp"
#include "codegen/llvm/philox_ir.hpp"

namespace kestrel::jit::lower {

// ---- builtins --------------------------------------------------------------------------------

Value* FnLowering::pow_of(Value* a, Value* b) {
  // rt::fpow: an exponent of exactly 2 squares (inline, so loops vectorise); any other calls it.
  if (const auto* k = llvm::dyn_cast<llvm::ConstantFP>(b); k != nullptr && k->isExactlyValue(2.0)) {
    return b_.CreateFMul(a, a);
  }
  return b_.CreateCall(ml_.math_fn("pow", a->getType()), {a, b});
}

Value* FnLowering::math1(Builtin bi, Scalar, Value* x) {
  llvm::Type* t = x->getType();
  bool f32 = t->isFloatTy();
  auto libm = [&](const char* name) { return b_.CreateCall(ml_.math_fn(name, t), {x}); };
  switch (bi) {
    case Builtin::Exp:
      return exp_of(x);
    case Builtin::Log:
      return libm("log");
    case Builtin::Sqrt:
      return b_.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x);
    case Builtin::Abs:
      return b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
    case Builtin::Sin:
      return libm("sin");
    case Builtin::Cos:
      return libm("cos");
    case Builtin::Tanh:
      return libm("tanh");
    case Builtin::Sigmoid: {
      // kmath::sigmoid_f64 / sigmoid_f32: 1 / (1 + e^-x), or e^x where the result is subnormal.
      Value* one = llvm::ConstantFP::get(t, 1.0);
      Value* lo = b_.CreateFCmpOLT(
          x,
          llvm::ConstantFP::get(t, f32 ? double{rt::kmath::kSigmoidLoF32} : rt::kmath::kSigmoidLo));
      Value* e = exp_of(b_.CreateSelect(lo, x, b_.CreateFNeg(x)));
      return b_.CreateSelect(lo, e, b_.CreateFDiv(one, b_.CreateFAdd(one, e)));
    }
    case Builtin::Floor:
      return b_.CreateUnaryIntrinsic(llvm::Intrinsic::floor, x);
    case Builtin::Tan:
      return libm("tan");
    case Builtin::Log10:
      return libm("log10");
    case Builtin::Log2:
      return libm("log2");
    case Builtin::Ceil:
      return b_.CreateUnaryIntrinsic(llvm::Intrinsic::ceil, x);
    case Builtin::Round:  // half to even, as rint in the default rounding mode
      return b_.CreateUnaryIntrinsic(llvm::Intrinsic::roundeven, x);
    default:
      return x;
  }
}

Value* FnLowering::exp_of(Value* x) {
  // runtime/rules/kmath.hpp's exp_f64, operation for operation (an f32 goes through f64 and back),
  // so that the JIT's exp is the interpreter's bit for bit: its std::fma as llvm.fma, no fast-math
  // flags, nothing contracted. It has no branch and no call, so loops that take it vectorize.
  namespace km = rt::kmath;
  llvm::Type* f64 = b_.getDoubleTy();
  bool f32 = x->getType()->isFloatTy();
  Value* xd = f32 ? b_.CreateFPExt(x, f64) : x;
  auto k = [&](double v) { return llvm::ConstantFP::get(f64, v); };
  auto fma = [&](Value* a, Value* b, Value* c) {
    return b_.CreateIntrinsic(llvm::Intrinsic::fma, {f64}, {a, b, c});
  };
  Value* xc = b_.CreateSelect(b_.CreateFCmpOGT(xd, k(km::kExpHi)), k(km::kExpHi), xd);
  xc = b_.CreateSelect(b_.CreateFCmpOLT(xc, k(km::kExpLo)), k(km::kExpLo), xc);
  // exp_reduced
  Value* t = fma(xc, k(km::kLog2e), k(km::kShift));
  Value* n = b_.CreateFSub(t, k(km::kShift));
  Value* a = fma(b_.CreateFNeg(n), k(km::kLn2Hi), xc);
  Value* bb = b_.CreateFMul(n, k(km::kLn2Lo));
  Value* r = b_.CreateFSub(a, bb);
  Value* r_lo = b_.CreateFSub(b_.CreateFSub(a, r), bb);
  Value* h = k(km::kExpPoly[0]);
  for (int i = 1; i < km::kExpTerms; ++i) {
    h = fma(h, r, k(km::kExpPoly[i]));
  }
  Value* s = b_.CreateFAdd(k(1.0), r);
  Value* s_lo = b_.CreateFAdd(b_.CreateFSub(k(1.0), s), r);
  Value* p = b_.CreateFAdd(s, b_.CreateFAdd(s_lo, fma(b_.CreateFMul(r, r), h, r_lo)));
  // exp_f64's two-factor scaling and edges
  Value* t1 = fma(n, k(0.5), k(km::kShift));
  Value* n1 = b_.CreateFSub(t1, k(km::kShift));
  Value* t2 = b_.CreateFAdd(b_.CreateFSub(n, n1), k(km::kShift));
  auto pow2 = [&](Value* ts) {
    Value* bits =
        b_.CreateSub(b_.CreateBitCast(ts, ml_.i64_), i64c(std::bit_cast<std::int64_t>(km::kShift)));
    return b_.CreateBitCast(b_.CreateShl(b_.CreateAdd(bits, i64c(1023)), i64c(52)), f64);
  };
  Value* e = b_.CreateFMul(b_.CreateFMul(p, pow2(t1)), pow2(t2));
  e = b_.CreateSelect(b_.CreateFCmpOGT(xd, k(km::kExpHi)),
                      k(std::numeric_limits<double>::infinity()), e);
  e = b_.CreateSelect(b_.CreateFCmpOLT(xd, k(km::kExpLo)), k(0.0), e);
  return f32 ? b_.CreateFPTrunc(e, x->getType()) : e;
}

Value* FnLowering::random(Value* key, Value* counter) {
  if (philox_calls_) {
    return b_.CreateCall(philox_ir::random_function(ml_.m_), {key, counter});
  }
  return philox_ir::random(b_, key, counter);
}

Value* FnLowering::randn(Value* key, Value* counter) {
  return b_.CreateCall(ml_.rt(Abi::kestrel_rt_randn), {key, counter});
}

Val FnLowering::builtin(Type t, const ir::BuiltinCall& c, diag::Span span) {
  switch (c.builtin) {
    case Builtin::Print:
    case Builtin::PrintWith: {
      // print_with's last two arguments are its sep and end, constants laid out here.
      bool with = c.builtin == Builtin::PrintWith;
      std::size_t count = c.args.size() - (with ? 2 : 0);
      std::string sep = with ? std::get<ir::StrConst>(ex(c.args[count]).kind).value : " ";
      std::vector<Val> args;
      for (std::size_t k = 0; k < count; ++k) {
        args.push_back(eval(c.args[k]));
      }
      // A tuple prints as (a, b, …), nested tuples nested (the interpreter's print items).
      struct Item {
        Type type;
        std::string before;
        std::string after;
      };
      std::vector<Item> items;
      std::function<void(Type, std::string, std::string)> add = [&](Type it, std::string before,
                                                                    std::string after) {
        if (!it.is_tuple()) {
          items.push_back(Item{it, std::move(before), std::move(after)});
          return;
        }
        const auto& elems = p_.types.elems(it);
        for (std::size_t k = 0; k < elems.size(); ++k) {
          add(elems[k], k == 0 ? before + "(" : ", ", k + 1 == elems.size() ? ")" + after : "");
        }
      };
      std::vector<Value*> values;
      for (std::size_t k = 0; k < args.size(); ++k) {
        add(type(c.args[k]), k > 0 ? sep : "", "");
        values.insert(values.end(), args[k].v.begin(), args[k].v.end());
      }
      auto text = [&](const std::string& s) {
        if (!s.empty()) {
          // With its size: a "\0" in a sep or end is text too.
          b_.CreateCall(
              ml_.rt(Abi::kestrel_rt_print_text),
              {ctx_, b_.CreateGlobalStringPtr(s), i64c(static_cast<std::int64_t>(s.size()))});
        }
      };
      for (std::size_t k = 0; k < items.size(); ++k) {
        text(items[k].before);
        Type at = items[k].type;
        Value* v = values[k];
        if (at.is_array()) {
          b_.CreateCall(ml_.rt(Abi::kestrel_rt_print_array), {ctx_, v});
        } else if (at.is_table()) {
          b_.CreateCall(ml_.rt(Abi::kestrel_rt_print_table), {ctx_, v});
        } else {
          switch (at.scalar) {
            case Scalar::Bool:
              b_.CreateCall(ml_.rt(Abi::kestrel_rt_print_bool), {ctx_, b_.CreateZExt(v, ml_.i32_)});
              break;
            case Scalar::I32:
            case Scalar::I64:
              b_.CreateCall(ml_.rt(Abi::kestrel_rt_print_i64), {ctx_, b_.CreateSExt(v, ml_.i64_)});
              break;
            case Scalar::F32:
              b_.CreateCall(ml_.rt(Abi::kestrel_rt_print_f32), {ctx_, v});
              break;
            case Scalar::F64:
              b_.CreateCall(ml_.rt(Abi::kestrel_rt_print_f64), {ctx_, v});
              break;
            case Scalar::Str:
              b_.CreateCall(ml_.rt(Abi::kestrel_rt_print_str), {ctx_, v});
              break;
          }
        }
        text(items[k].after);
      }
      if (with) {
        text(std::get<ir::StrConst>(ex(c.args[count + 1]).kind).value);
        b_.CreateCall(ml_.rt(Abi::kestrel_rt_print_flush), {ctx_});
      } else {
        b_.CreateCall(ml_.rt(Abi::kestrel_rt_print_end), {ctx_});
      }
      for (Val& a : args) {
        drop(a);
      }
      return Val{};
    }
    case Builtin::Random:
    case Builtin::Randn: {
      Value* key = eval_scalar(c.args[0]);
      Value* n = eval_scalar(c.args[1]);
      return scalar(t, c.builtin == Builtin::Random ? random(key, n) : randn(key, n));
    }
    case Builtin::RandomStream:
    case Builtin::RandnStream: {
      Value* key = ctx_field(ml_.i64_, kCtxKey);
      Value* n = ctx_field(ml_.i64_, kCtxCounter);
      set_ctx_field(b_.CreateAdd(n, i64c(1)), kCtxCounter);
      return scalar(t, c.builtin == Builtin::RandomStream ? random(key, n) : randn(key, n));
    }
    case Builtin::Clock:
      return scalar(t, b_.CreateCall(ml_.rt(Abi::kestrel_rt_clock), {}));
    case Builtin::Seed: {
      Value* s = eval_scalar(c.args[0]);
      set_ctx_field(s, kCtxKey);
      set_ctx_field(i64c(0), kCtxCounter);
      return Val{};
    }
    case Builtin::Index:
      return scalar(t, ctx_field(ml_.i64_, kCtxIndex + 8 * static_cast<std::uint64_t>(
                                                               std::max<int>(c.axis, 0))));
    default:
      break;
  }
  bool any_array = t.is_array();
  for (ExprId a : c.args) {
    any_array = any_array || type(a).is_array() || type(a).is_table();
  }
  if (!any_array) {
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
      case Builtin::Round: {
        Value* x = eval_scalar(c.args[0]);
        if (t.scalar == Scalar::I64 || t.scalar == Scalar::I32) {
          // abs is the only integer math function (wrapping).
          Value* neg = b_.CreateSub(llvm::ConstantInt::get(x->getType(), 0), x);
          return scalar(
              t, b_.CreateSelect(b_.CreateICmpSLT(x, llvm::ConstantInt::get(x->getType(), 0)), neg,
                                 x));
        }
        return scalar(t, math1(c.builtin, t.scalar, x));
      }
      case Builtin::Minimum:
      case Builtin::Maximum: {
        Value* a = eval_scalar(c.args[0]);
        Value* b = eval_scalar(c.args[1]);
        return scalar(t, minmax(c.builtin == Builtin::Minimum, t.scalar, a, b));
      }
      case Builtin::Clip: {
        Value* x = eval_scalar(c.args[0]);
        Value* lo = eval_scalar(c.args[1]);
        Value* hi = eval_scalar(c.args[2]);
        return scalar(t, minmax(true, t.scalar, minmax(false, t.scalar, x, lo), hi));
      }
      case Builtin::Where: {
        Value* cnd = eval_scalar(c.args[0]);
        Value* a = eval_scalar(c.args[1]);
        Value* b = eval_scalar(c.args[2]);
        return scalar(t, b_.CreateSelect(cnd, a, b));
      }
      default:
        break;
    }
  }
  return array_builtin(t, c, span);
}

Val FnLowering::array_builtin(Type t, const ir::BuiltinCall& c, diag::Span span) {
  Val fused;
  if (try_fused(t, c, span, fused)) {
    return fused;
  }
  std::vector<Val> args;
  for (ExprId a : c.args) {
    args.push_back(eval(a));
  }
  auto arg = [&](std::size_t k) { return args[k].one(); };
  std::uint32_t st = ml_.site(span);
  auto finish = [&](Val r) {
    for (Val& a : args) {
      drop(a);
    }
    return r;
  };
  auto call_array = [&](Abi fn, std::vector<Value*> values) {
    Value* p = b_.CreateCall(ml_.rt(fn), values);
    return array_result(t, p);
  };
  auto elem = [&](Scalar s) { return i32c(static_cast<int>(s)); };
  auto i64 = ml_.i64_;
  switch (c.builtin) {
    case Builtin::Len:
    case Builtin::Shape: {
      Value* a = arg(0);
      Value* n;
      if (args.size() < 2) {
        n = load(i64, field(a, kArrShape), ml_.tbaa_header_);
      } else {
        n = b_.CreateCall(ml_.rt(Abi::kestrel_rt_shape), {ctx_, i32c(st), a, arg(1)});
        check_failed();
      }
      return finish(scalar(t, n));
    }
    case Builtin::Copy:
      return finish(call_array(Abi::kestrel_rt_copy, {ctx_, i32c(st), arg(0)}));
    case Builtin::Zeros:
    case Builtin::Ones:
    case Builtin::Empty:
    case Builtin::Full: {
      Value* d0 = arg(0);
      Value* d1 = t.rank >= 2 ? arg(1) : i64c(1);
      if (c.builtin == Builtin::Full) {
        Type vt = type(c.args[t.rank]);
        return finish(
            call_array(Abi::kestrel_rt_full, {ctx_, i32c(st), elem(t.scalar), i32c(t.rank), d0, d1,
                                              elem(vt.scalar), bits_of(arg(t.rank), vt.scalar)}));
      }
      int kind = c.builtin == Builtin::Zeros ? 0 : c.builtin == Builtin::Ones ? 1 : 2;
      return finish(call_array(Abi::kestrel_rt_fill,
                               {ctx_, i32c(st), i32c(kind), elem(t.scalar), i32c(t.rank), d0, d1}));
    }
    case Builtin::Arange: {
      // Integer bounds, or f64 ones (the checker converted all three when any was a float).
      bool floats = ir::is_float(type(c.args[0]).scalar);
      auto constant = [&](int v) -> Value* {
        return floats ? llvm::ConstantFP::get(ml_.f64_, v) : i64c(v);
      };
      Value* start = constant(0);
      Value* stop;
      Value* step = constant(1);
      if (args.size() == 1) {
        stop = arg(0);
      } else {
        start = arg(0);
        stop = arg(1);
        if (args.size() >= 3) {
          step = arg(2);
        }
      }
      return finish(call_array(floats ? Abi::kestrel_rt_arange_f : Abi::kestrel_rt_arange,
                               {ctx_, i32c(st), start, stop, step, elem(t.scalar)}));
    }
    case Builtin::Linspace:
      return finish(call_array(Abi::kestrel_rt_linspace,
                               {ctx_, i32c(st), arg(0), arg(1), arg(2), elem(t.scalar)}));
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
    case Builtin::Round: {
      rt::UnOp op = codegen::rt_builtin(c.builtin).unop;
      return finish(
          call_array(Abi::kestrel_rt_unary, {ctx_, i32c(st), i32c(static_cast<int>(op)), arg(0)}));
    }
    case Builtin::Minimum:
    case Builtin::Maximum: {
      rt::BinOp op = codegen::rt_builtin(c.builtin).binop;
      std::vector<Value*> w{ctx_, i32c(st), i32c(static_cast<int>(op))};
      operand_words(args[0], type(c.args[0]), w);
      operand_words(args[1], type(c.args[1]), w);
      return finish(call_array(Abi::kestrel_rt_binary, w));
    }
    case Builtin::Clip:
    case Builtin::Where: {
      std::vector<Value*> w{ctx_, i32c(st), i32c(c.builtin == Builtin::Where ? 0 : 1)};
      for (std::size_t k = 0; k < 3; ++k) {
        operand_words(args[k], type(c.args[k]), w);
      }
      return finish(call_array(Abi::kestrel_rt_ternary, w));
    }
    case Builtin::Sum:
    case Builtin::Mean:
    case Builtin::Min:
    case Builtin::Max:
    case Builtin::Argmin:
    case Builtin::Argmax:
    case Builtin::Count:
    case Builtin::Any:
    case Builtin::All: {
      rt::ReduceOp op = codegen::rt_builtin(c.builtin).reduce;
      if (c.axis >= 0) {
        return finish(
            call_array(Abi::kestrel_rt_reduce_axis,
                       {ctx_, i32c(st), i32c(static_cast<int>(op)), arg(0), i32c(c.axis)}));
      }
      Value* bits =
          b_.CreateCall(ml_.rt(Abi::kestrel_rt_reduce),
                        {ctx_, i32c(st), i32c(static_cast<int>(op)), arg(0), elem(t.scalar)});
      check_failed();
      return finish(scalar(t, from_bits(bits, t.scalar)));
    }
    case Builtin::Dot: {
      if (c.axis >= 0) {
        return finish(
            call_array(Abi::kestrel_rt_dot_axis, {ctx_, i32c(st), arg(0), arg(1), i32c(c.axis)}));
      }
      Value* bits = b_.CreateCall(ml_.rt(Abi::kestrel_rt_dot),
                                  {ctx_, i32c(st), arg(0), arg(1), elem(t.scalar)});
      check_failed();
      return finish(scalar(t, from_bits(bits, t.scalar)));
    }
    case Builtin::RandArray:
    case Builtin::RandnArray: {
      std::size_t n = args.size();
      Value* d0 = arg(0);
      Value* d1 = n >= 3 ? arg(1) : i64c(1);
      return finish(call_array(Abi::kestrel_rt_rand,
                               {ctx_, i32c(st), i32c(c.builtin == Builtin::RandnArray ? 1 : 0),
                                i32c(n >= 3 ? 2 : 1), d0, d1, arg(n - 1)}));
    }
    case Builtin::ReadCsv: {
      Value* tp = b_.CreateCall(ml_.rt(Abi::kestrel_rt_read_csv_with),
                                {ctx_, i32c(st), arg(0), arg(1), arg(2)});
      return finish(array_result(t, tp));
    }
    case Builtin::LoadNpy:
      return finish(call_array(Abi::kestrel_rt_load_npy,
                               {ctx_, i32c(st), arg(0), elem(t.scalar), i32c(t.rank)}));
    case Builtin::SaveNpy:
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_save_npy), {ctx_, i32c(st), arg(0), arg(1)});
      check_failed();
      return finish(Val{});
    case Builtin::WriteCsv:
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_write_csv), {ctx_, i32c(st), arg(0), arg(1)});
      check_failed();
      return finish(Val{});
    case Builtin::TableNew:
      return finish(
          array_result(t, b_.CreateCall(ml_.rt(Abi::kestrel_rt_table_new), {ctx_, i32c(st)})));
    case Builtin::WithColumn:
      return finish(array_result(t, b_.CreateCall(ml_.rt(Abi::kestrel_rt_with_column),
                                                  {ctx_, i32c(st), arg(0), arg(1), arg(2)})));
    case Builtin::Assert:
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_assert),
                    {ctx_, i32c(st), b_.CreateZExt(arg(0), ml_.i32_), arg(1)});
      check_failed();
      return finish(Val{});
    case Builtin::SubTable:
      return finish(array_result(t, b_.CreateCall(ml_.rt(Abi::kestrel_rt_subtable),
                                                  {ctx_, i32c(st), arg(0), arg(1), arg(2)})));
    case Builtin::Str: {
      Type at = type(c.args[0]);
      Value* p = at.is_array() ? b_.CreateCall(ml_.rt(Abi::kestrel_rt_str_of_array), {ctx_, arg(0)})
                 : at.is_table()
                     ? b_.CreateCall(ml_.rt(Abi::kestrel_rt_str_of_table), {ctx_, arg(0)})
                     : b_.CreateCall(ml_.rt(Abi::kestrel_rt_str_of),
                                     {ctx_, elem(at.scalar), bits_of(arg(0), at.scalar)});
      return finish(scalar(t, p));
    }
    case Builtin::StrConcat:
      return finish(
          scalar(t, b_.CreateCall(ml_.rt(Abi::kestrel_rt_str_concat), {ctx_, arg(0), arg(1)})));
    case Builtin::Format: {
      Scalar xs = type(c.args[0]).scalar;
      bool text = xs == Scalar::Str;
      Value* null = llvm::ConstantPointerNull::get(ml_.ptr_);
      Value* p = b_.CreateCall(ml_.rt(Abi::kestrel_rt_format),
                               {ctx_, i32c(st), elem(xs), text ? i64c(0) : bits_of(arg(0), xs),
                                text ? arg(0) : null, arg(1)});
      check_failed();
      return finish(scalar(t, p));
    }
    case Builtin::StrEq:
    case Builtin::StrNe: {
      Value* null = llvm::ConstantPointerNull::get(ml_.ptr_);
      bool a = type(c.args[0]).is_array();
      bool b = type(c.args[1]).is_array();
      return finish(
          call_array(Abi::kestrel_rt_str_compare,
                     {ctx_, i32c(st), i32c(c.builtin == Builtin::StrNe ? 1 : 0), a ? arg(0) : null,
                      a ? null : arg(0), b ? arg(1) : null, b ? null : arg(1)}));
    }
    case Builtin::Prod:
    case Builtin::Std:
    case Builtin::Var:
    case Builtin::Median:
    case Builtin::Cumsum:
    case Builtin::Sort:
    case Builtin::Argsort:
    case Builtin::Unique:
    case Builtin::Concatenate:
    case Builtin::Reshape:
      return finish(array_fn(t, c, args, st));
    case Builtin::NpyBlocks: {  // args: path, rows, elem, rank (runtime/stream.hpp)
      Value* h = b_.CreateCall(ml_.rt(Abi::kestrel_rt_npy_stream_open),
                               {ctx_, i32c(st), arg(0), arg(1), arg(2), arg(3)});
      check_failed();
      return finish(scalar(t, h));
    }
    case Builtin::CsvBlocks: {  // args: path, rows, part, parts
      Value* h = b_.CreateCall(ml_.rt(Abi::kestrel_rt_csv_stream_open),
                               {ctx_, i32c(st), arg(0), arg(1), arg(2), arg(3)});
      check_failed();
      return finish(scalar(t, h));
    }
    case Builtin::StreamNext: {
      Value* more = b_.CreateCall(ml_.rt(Abi::kestrel_rt_stream_next), {ctx_, i32c(st), arg(0)});
      check_failed();
      return finish(scalar(t, b_.CreateICmpNE(more, i32c(0))));
    }
    case Builtin::StreamBlock:
      if (t.is_table()) {
        Value* tp = b_.CreateCall(ml_.rt(Abi::kestrel_rt_stream_table), {ctx_, i32c(st), arg(0)});
        return finish(array_result(t, tp));
      }
      return finish(call_array(Abi::kestrel_rt_stream_array, {ctx_, i32c(st), arg(0)}));
    case Builtin::StreamClose:
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_stream_close), {ctx_, i32c(st), arg(0)});
      check_failed();
      return finish(Val{});
    case Builtin::NpyAppend:
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_npy_append), {ctx_, i32c(st), arg(0), arg(1)});
      check_failed();
      return finish(Val{});
    case Builtin::NpyFinish:
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_npy_finish), {ctx_, i32c(st), arg(0)});
      check_failed();
      return finish(Val{});
    case Builtin::MpiRank:
    case Builtin::MpiRanks: {  // runtime/mpi.hpp
      Value* r = b_.CreateCall(ml_.rt(Abi::kestrel_rt_mpi_rank),
                               {ctx_, i32c(st), i32c(c.builtin == Builtin::MpiRank ? 0 : 1)});
      check_failed();
      return finish(scalar(t, r));
    }
    case Builtin::Allreduce:
    case Builtin::Broadcast:
    case Builtin::Gather: {  // args: x, fn (rt::MpiFn), root
      Type xt = type(c.args[0]);
      if (t.is_scalar()) {
        Value* bits = b_.CreateCall(
            ml_.rt(Abi::kestrel_rt_mpi_scalar),
            {ctx_, i32c(st), arg(1), bits_of(arg(0), xt.scalar), elem(xt.scalar), arg(2)});
        check_failed();
        return finish(scalar(t, from_bits(bits, t.scalar)));
      }
      Value* none = llvm::ConstantPointerNull::get(ml_.ptr_);
      Value* a = xt.is_array() ? arg(0) : none;
      Value* bits = xt.is_array() ? i64c(0) : bits_of(arg(0), xt.scalar);
      return finish(call_array(Abi::kestrel_rt_mpi_array,
                               {ctx_, i32c(st), arg(1), a, bits, elem(xt.scalar), arg(2)}));
    }
    case Builtin::FancyGet:
      return finish(call_array(Abi::kestrel_rt_fancy_get, {ctx_, i32c(st), arg(0), arg(1)}));
    case Builtin::ReplKeep:
      b_.CreateCall(ml_.rt(Abi::kestrel_rt_repl_keep), {arg(0), arg(1)});
      return finish(Val{});
    default:
      throw std::runtime_error(std::string("internal error: builtin ") +
                               ir::builtin_name(c.builtin) + " reached array_builtin");
  }
}

Val FnLowering::array_fn(Type t, const ir::BuiltinCall& c, const std::vector<Val>& args,
                         std::uint32_t st) {
  // runtime/array_fns.hpp, through kestrel_rt_array_fn_value / _array: rt::ArrayFn lists these
  // builtins in ir::Builtin's order from Prod.
  auto fn = i32c(static_cast<int>(c.builtin) - static_cast<int>(Builtin::Prod));
  Value* a = args[0].one();
  bool var = c.builtin == Builtin::Var || c.builtin == Builtin::Std;
  Value* ddof = var ? args[1].one() : i64c(0);
  if (t.is_scalar()) {
    Value* bits = b_.CreateCall(ml_.rt(Abi::kestrel_rt_array_fn_value),
                                {ctx_, i32c(st), fn, a, ddof, i32c(static_cast<int>(t.scalar))});
    check_failed();
    return scalar(t, from_bits(bits, t.scalar));
  }
  Value* none = llvm::ConstantPointerNull::get(ml_.ptr_);
  Value* b = c.builtin == Builtin::Concatenate ? args[1].one() : none;
  Value* d0 = var ? ddof : i64c(0);
  Value* d1 = i64c(0);
  int rank = 0;
  if (c.builtin == Builtin::Reshape) {
    rank = static_cast<int>(args.size()) - 1;
    d0 = args[1].one();
    d1 = rank == 2 ? args[2].one() : i64c(1);
  }
  Value* p = b_.CreateCall(ml_.rt(Abi::kestrel_rt_array_fn_array),
                           {ctx_, i32c(st), fn, a, b, i32c(c.axis), d0, d1, i32c(rank)});
  return array_result(t, p);
}

}  // namespace kestrel::jit::lower
