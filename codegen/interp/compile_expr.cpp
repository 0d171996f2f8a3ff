// Expressions into registers: constants, locals, conversions, operators, conditions (fused
// compare-and-jump where it fits), calls and kernel launches.

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "codegen/common/rt_ops.hpp"
#include "codegen/interp/compiler.hpp"

namespace kestrel::interp {

Operand FnCompiler::operand(ExprId id) {
  if (const auto* r = std::get_if<ir::LocalRef>(&ex(id).kind)) {
    return Operand{local_reg_[r->local.v], false};
  }
  std::uint16_t t = alloc(slots(type(id)));
  into(id, t);
  return Operand{t, is_ref(type(id)), type(id).is_table()};
}

void FnCompiler::drop(Operand o) {
  if (o.owned) {
    emit(Op::RELEASE, o.reg, 0, o.table ? 1 : 0);
  }
}

void FnCompiler::copy_value(Type t, std::uint16_t dst, std::uint16_t src) {
  std::vector<Type> flat;
  flat_types(t, flat);
  for (std::size_t i = 0; i < flat.size(); ++i) {
    emit(is_ref(flat[i]) ? Op::COPYA : Op::MOV, dst + i, src + i, flat[i].is_table() ? 1 : 0);
  }
}

void FnCompiler::into(ExprId id, std::uint16_t dst) {
  const ir::Expr& e = ex(id);
  diag::Span saved = span_;
  span_ = e.span;
  std::uint32_t mark = free_;
  std::visit(ir::overloaded{
                 [&](const ir::IntConst& c) { load_int(dst, c.value); },
                 [&](const ir::BoolConst& c) { load_int(dst, c.value ? 1 : 0); },
                 [&](const ir::FloatConst& c) {
                   emit_bx(Op::LOADK, dst,
                           e.type.scalar == Scalar::F32 ? konst_f32(static_cast<float>(c.value))
                                                        : konst_f(c.value));
                 },
                 [&](const ir::StrConst& c) {
                   out_.strings.push_back(c.value);
                   Slot s{};
                   s.p = &out_.strings.back();
                   emit_bx(Op::LOADK, dst, konst(s));
                 },
                 [&](const ir::LocalRef& r) { copy_value(e.type, dst, local_reg_[r.local.v]); },
                 [&](const ir::Convert& c) { convert(e.type, c.operand, dst); },
                 [&](const ir::Unary& u) { unary(e.type, u, dst); },
                 [&](const ir::Binary& b) { binary(e.type, b, dst); },
                 [&](const ir::MatMul& m) {
                   array_binary_like(ArrayKind::MatMul, 0, m.lhs, m.rhs, e.type, dst);
                 },
                 [&](const ir::Call& c) { call(c, dst); },
                 [&](const ir::BuiltinCall& c) { builtin(e.type, c, dst); },
                 [&](const ir::Launch& l) { launch(id, l); },
                 [&](const ir::Index& ix) { index_get(e.type, ix, dst); },
                 [&](const ir::SliceView& s) { slice(e.type, s, dst); },
                 [&](const ir::Transpose& t) {
                   Operand a = operand(t.base);
                   ArrayInstr ai;
                   ai.kind = ArrayKind::Transpose;
                   ai.result = e.type;
                   ai.args = {{a.reg, type(t.base)}};
                   array_op(dst, std::move(ai));
                   drop(a);
                 },
                 [&](const ir::TableColumn& c) {
                   table_op(e.type, 0, c.table, c.name, static_cast<std::uint8_t>(c.column), dst);
                 },
                 [&](const ir::TableRows& r) { table_op(e.type, 1, r.table, ExprId{}, 0, dst); },
                 [&](const ir::ArrayLit& a) { array_literal(e.type, a, dst); },
                 [&](const ir::MakeTuple& t) {
                   std::uint16_t at = dst;
                   for (ExprId el : t.elems) {
                     into(el, at);
                     at = static_cast<std::uint16_t>(at + slots(type(el)));
                   }
                 },
                 [&](const ir::ErrorExpr&) {
                   throw std::runtime_error(
                       "internal error: an unchecked program reached the interpreter");
                 },
             },
             e.kind);
  free_ = mark;
  span_ = saved;
}

void FnCompiler::convert(Type to, ExprId operand_id, std::uint16_t dst) {
  Type from = type(operand_id);
  if (from.is_array()) {
    Operand a = operand(operand_id);
    ArrayInstr ai;
    ai.kind = ArrayKind::Convert;
    ai.result = to;
    ai.args = {{a.reg, from}};
    array_op(dst, std::move(ai));
    drop(a);
    return;
  }
  Operand a = operand(operand_id);
  Scalar f = from.scalar;
  Scalar t = to.scalar;
  auto is_int = [](Scalar s) { return s == Scalar::I64 || s == Scalar::I32 || s == Scalar::Bool; };
  Op op = Op::MOV;
  if (t == Scalar::Bool) {
    op = f == Scalar::F64 ? Op::NE_F64 : f == Scalar::F32 ? Op::NE_F32 : Op::TO_BOOL;
    if (op != Op::TO_BOOL) {
      std::uint16_t z = alloc(1);
      emit_bx(Op::LOADK, z, f == Scalar::F64 ? konst_f(0) : konst_f32(0));
      emit(op, dst, a.reg, z);
      return;
    }
  } else if (is_int(f) && t == Scalar::I64) {
    op = Op::MOV;
  } else if (is_int(f) && t == Scalar::I32) {
    op = f == Scalar::I64 ? Op::I64_TO_I32 : Op::MOV;
  } else if (is_int(f) && t == Scalar::F64) {
    op = Op::I64_TO_F64;
  } else if (is_int(f) && t == Scalar::F32) {
    op = Op::I64_TO_F32;
  } else if (f == Scalar::F64) {
    op = t == Scalar::F64   ? Op::MOV
         : t == Scalar::F32 ? Op::F64_TO_F32
         : t == Scalar::I64 ? Op::F64_TO_I64
                            : Op::F64_TO_I32;
  } else if (f == Scalar::F32) {
    op = t == Scalar::F32   ? Op::MOV
         : t == Scalar::F64 ? Op::F32_TO_F64
         : t == Scalar::I64 ? Op::F32_TO_I64
                            : Op::F32_TO_I32;
  } else if (f == Scalar::Str && t == Scalar::Str) {
    op = Op::MOV;
  }
  emit(op, dst, a.reg, 0);
}

void FnCompiler::unary(Type t, const ir::Unary& u, std::uint16_t dst) {
  if (t.is_array()) {
    Operand a = operand(u.operand);
    ArrayInstr ai;
    ai.kind = ArrayKind::Unary;
    ai.op = static_cast<std::uint8_t>(codegen::rt_unop(u.op));
    ai.result = t;
    ai.args = {{a.reg, type(u.operand)}};
    array_op(dst, std::move(ai));
    drop(a);
    return;
  }
  Operand a = operand(u.operand);
  switch (u.op) {
    case ir::UnaryOp::Neg:
      emit(t.scalar == Scalar::I64   ? Op::NEG_I64
           : t.scalar == Scalar::I32 ? Op::NEG_I32
           : t.scalar == Scalar::F32 ? Op::NEG_F32
                                     : Op::NEG_F64,
           dst, a.reg, 0);
      break;
    case ir::UnaryOp::Not:
      emit(Op::NOT, dst, a.reg, 0);
      break;
    case ir::UnaryOp::BitNot:
      emit(Op::BNOT_I64, dst, a.reg, 0);
      break;
  }
}

bool FnCompiler::is_compare(BinaryOp op) {
  return op == BinaryOp::Eq || op == BinaryOp::Ne || op == BinaryOp::Lt || op == BinaryOp::Le ||
         op == BinaryOp::Gt || op == BinaryOp::Ge;
}

Op FnCompiler::arith_op(BinaryOp op, Scalar s) {
  bool i64 = s == Scalar::I64 || s == Scalar::Bool;
  bool i32 = s == Scalar::I32;
  bool f32 = s == Scalar::F32;
  switch (op) {
    case BinaryOp::Add:
      return i64 ? Op::ADD_I64 : i32 ? Op::ADD_I32 : f32 ? Op::ADD_F32 : Op::ADD_F64;
    case BinaryOp::Sub:
      return i64 ? Op::SUB_I64 : i32 ? Op::SUB_I32 : f32 ? Op::SUB_F32 : Op::SUB_F64;
    case BinaryOp::Mul:
      return i64 ? Op::MUL_I64 : i32 ? Op::MUL_I32 : f32 ? Op::MUL_F32 : Op::MUL_F64;
    case BinaryOp::Div:
      return f32 ? Op::DIV_F32 : Op::DIV_F64;
    case BinaryOp::FloorDiv:
      return i64 ? Op::FDIV_I64 : i32 ? Op::FDIV_I32 : f32 ? Op::FDIV_F32 : Op::FDIV_F64;
    case BinaryOp::Mod:
      return i64 ? Op::MOD_I64 : i32 ? Op::MOD_I32 : f32 ? Op::MOD_F32 : Op::MOD_F64;
    case BinaryOp::Pow:
      return i64 ? Op::POW_I64 : i32 ? Op::POW_I32 : f32 ? Op::POW_F32 : Op::POW_F64;
    case BinaryOp::BitAnd:
      return Op::BAND_I64;
    case BinaryOp::BitOr:
      return Op::BOR_I64;
    case BinaryOp::BitXor:
      return Op::BXOR_I64;
    case BinaryOp::Shl:
      return i32 ? Op::SHL_I32 : Op::SHL_I64;
    case BinaryOp::Shr:
      return i32 ? Op::SHR_I32 : Op::SHR_I64;
    case BinaryOp::Eq:  // comparisons and and/or have their own instructions
    case BinaryOp::Ne:
    case BinaryOp::Lt:
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge:
    case BinaryOp::And:
    case BinaryOp::Or:
      break;
  }
  return Op::MOV;
}

bool FnCompiler::k_op(Op op, Op& out) {
  switch (op) {
    case Op::ADD_I64:
      out = Op::ADDK_I64;
      return true;
    case Op::SUB_I64:
      out = Op::SUBK_I64;
      return true;
    case Op::MUL_I64:
      out = Op::MULK_I64;
      return true;
    case Op::ADD_F64:
      out = Op::ADDK_F64;
      return true;
    case Op::SUB_F64:
      out = Op::SUBK_F64;
      return true;
    case Op::MUL_F64:
      out = Op::MULK_F64;
      return true;
    case Op::DIV_F64:
      out = Op::DIVK_F64;
      return true;
    default:
      return false;
  }
}

void FnCompiler::binary(Type t, const ir::Binary& b, std::uint16_t dst) {
  if (b.op == BinaryOp::And || b.op == BinaryOp::Or) {
    // Into a fresh temporary: dst may be a local the right operand still reads.
    std::uint16_t tmp = alloc(1);
    into(b.lhs, tmp);
    std::size_t j = emit_bx(b.op == BinaryOp::And ? Op::JMPF : Op::JMPT, tmp, 0);
    into(b.rhs, tmp);
    patch(j, here());
    emit(Op::MOV, dst, tmp, 0);
    return;
  }
  Type lt = type(b.lhs);
  Type rt_ = type(b.rhs);
  if (t.is_array() || lt.is_array() || rt_.is_array()) {
    array_binary_like(ArrayKind::Binary, static_cast<std::uint8_t>(codegen::rt_binop(b.op).value()),
                      b.lhs, b.rhs, t, dst);
    return;
  }
  Scalar s = lt.scalar;
  if (is_compare(b.op)) {
    // Operands left to right (a call or a stream draw in either is seen in source order);
    // a > b is then b < a on the registers.
    Operand x = operand(b.lhs);
    Operand y = operand(b.rhs);
    BinaryOp op = b.op;
    if (op == BinaryOp::Gt || op == BinaryOp::Ge) {
      std::swap(x, y);
      op = op == BinaryOp::Gt ? BinaryOp::Lt : BinaryOp::Le;
    }
    int k = op == BinaryOp::Eq ? 0 : op == BinaryOp::Ne ? 1 : op == BinaryOp::Lt ? 2 : 3;
    static constexpr Op kI[] = {Op::EQ_I, Op::NE_I, Op::LT_I, Op::LE_I};
    static constexpr Op kF64[] = {Op::EQ_F64, Op::NE_F64, Op::LT_F64, Op::LE_F64};
    static constexpr Op kF32[] = {Op::EQ_F32, Op::NE_F32, Op::LT_F32, Op::LE_F32};
    Op o = s == Scalar::F64 ? kF64[k] : s == Scalar::F32 ? kF32[k] : kI[k];
    if (s == Scalar::Str) {
      // The checker allows only == and != on str.
      KESTREL_INTERP_CHECK(k < 2);
      o = k == 0 ? Op::EQ_STR : Op::NE_STR;
    }
    emit(o, dst, x.reg, y.reg);
    return;
  }
  Op op = arith_op(b.op, s);
  Op kop;
  Slot ks{};
  if (k_op(op, kop)) {
    if (const_slot(b.rhs, ks)) {
      Operand x = operand(b.lhs);
      emit(kop, dst, x.reg, konst(ks));
      return;
    }
    bool commutative = b.op == BinaryOp::Add || b.op == BinaryOp::Mul;
    if (commutative && const_slot(b.lhs, ks)) {
      Operand y = operand(b.rhs);
      emit(kop, dst, y.reg, konst(ks));
      return;
    }
  }
  Operand x = operand(b.lhs);
  Operand y = operand(b.rhs);
  emit(op, dst, x.reg, y.reg);
}

void FnCompiler::jump_if_false(ExprId cond, std::vector<std::size_t>& out) {
  const ir::Expr& e = ex(cond);
  diag::Span saved = span_;
  span_ = e.span;
  std::uint32_t mark = free_;
  if (const auto* b = std::get_if<ir::Binary>(&e.kind)) {
    if (b->op == BinaryOp::And) {
      jump_if_false(b->lhs, out);
      jump_if_false(b->rhs, out);
      span_ = saved;
      return;
    }
    Scalar s = type(b->lhs).scalar;
    bool fusable = !long_jumps_ && is_compare(b->op) && type(b->lhs).is_scalar() &&
                   (s == Scalar::I64 || s == Scalar::I32 || s == Scalar::Bool || s == Scalar::F64);
    if (fusable) {
      bool f = s == Scalar::F64;
      Slot ks{};
      if (const_slot(b->rhs, ks)) {
        Operand x = operand(b->lhs);
        static constexpr Op kI[] = {Op::JNEQK_I, Op::JNNEK_I, Op::JNLTK_I,
                                    Op::JNLEK_I, Op::JNGTK_I, Op::JNGEK_I};
        static constexpr Op kF[] = {Op::JNEQK_F64, Op::JNNEK_F64, Op::JNLTK_F64,
                                    Op::JNLEK_F64, Op::JNGTK_F64, Op::JNGEK_F64};
        int k = static_cast<int>(b->op) - static_cast<int>(BinaryOp::Eq);
        out.push_back(emit(f ? kF[k] : kI[k], x.reg, konst(ks), 0));
      } else {
        // Left to right, as in binary(); a > b is b < a on the registers.
        Operand x = operand(b->lhs);
        Operand y = operand(b->rhs);
        BinaryOp op = b->op;
        if (op == BinaryOp::Gt || op == BinaryOp::Ge) {
          std::swap(x, y);
          op = op == BinaryOp::Gt ? BinaryOp::Lt : BinaryOp::Le;
        }
        static constexpr Op kI[] = {Op::JNEQ_I, Op::JNNE_I, Op::JNLT_I, Op::JNLE_I};
        static constexpr Op kF[] = {Op::JNEQ_F64, Op::JNNE_F64, Op::JNLT_F64, Op::JNLE_F64};
        int k = static_cast<int>(op) - static_cast<int>(BinaryOp::Eq);
        out.push_back(emit(f ? kF[k] : kI[k], x.reg, y.reg, 0));
      }
      free_ = mark;
      span_ = saved;
      return;
    }
  }
  Operand c = operand(cond);
  out.push_back(emit_bx(Op::JMPF, c.reg, 0));
  free_ = mark;
  span_ = saved;
}

void FnCompiler::args_into(const std::vector<ExprId>& args, std::uint16_t base) {
  std::uint16_t at = base;
  for (ExprId a : args) {
    into(a, at);
    at = static_cast<std::uint16_t>(at + slots(type(a)));
    free_ = std::max<std::uint32_t>(free_, at);
  }
}

void FnCompiler::call(const ir::Call& c, std::uint16_t dst) {
  const ir::Function& callee = p_.fn(c.fn);
  std::uint32_t nargs = 0;
  for (ExprId a : c.args) {
    nargs += slots(type(a));
  }
  std::uint16_t base = alloc(std::max(nargs, slots(callee.ret)));
  args_into(c.args, base);
  emit_bx(Op::CALL, base, c.fn.v);
  // The callee's frame starts at base and may use registers far above: reserve nothing here,
  // the VM sizes frames from the callee's nregs.
  std::uint32_t n = slots(callee.ret);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (base + i != dst + i) {
      emit(Op::MOV, dst + i, base + i, 0);
    }
  }
}

void FnCompiler::launch(ExprId id, const ir::Launch& l) {
  // for i in 0..grid[0] { index(0) = i; [for j in 0..grid[1] { index(1) = j; ] kernel(args) }
  std::vector<Operand> grid;
  for (ExprId g : l.grid) {
    grid.push_back(operand(g));
  }
  std::vector<Operand> args;
  for (ExprId a : l.args) {
    args.push_back(operand(a));
  }
  // A negative size is an error, as in zeros(-1), after every operand is evaluated (the JIT's
  // order).
  for (const Operand& g : grid) {
    emit_bx(Op::CHECKGRID, g.reg, l.kernel.v);
  }
  // A tiered run may run the whole launch natively here and jump past its loop (LAUNCH; not
  // emitted past the 16-bit operand's reach: such a launch stays interpreted).
  std::optional<std::size_t> skip;
  if (out_.launches.size() <= 0xffff) {
    LaunchSite site{id, static_cast<std::uint32_t>(grid.size()), {}};
    for (const Operand& g : grid) {
      site.words.push_back(g.reg);
    }
    for (std::size_t k = 0; k < args.size(); ++k) {
      for (std::uint32_t w = 0; w < slots(type(l.args[k])); ++w) {
        site.words.push_back(static_cast<std::uint16_t>(args[k].reg + w));
      }
    }
    skip = emit(Op::LAUNCH, static_cast<std::uint32_t>(out_.launches.size()), 0, 0);
    out_.launches.push_back(std::move(site));
  }
  // A kernel that draws from the seeded stream: instance i (row-major over the grid) draws from
  // its own substream and the launch advances the stream by one draw, as a parallel for does.
  std::optional<std::uint16_t> sbase;
  if (out_.uses_stream[l.kernel.v]) {
    sbase = alloc(2);
    emit(Op::PSTREAM_BEGIN, *sbase, 0, 0);
  }
  std::vector<std::uint16_t> vars;
  launch_dim(l, grid, args, 0, sbase, vars);
  if (sbase) {
    emit(Op::PSTREAM_END, *sbase, 0, 0);
  }
  if (skip) {
    patch(*skip, here());
  }
  for (const Operand& a : args) {
    drop(a);
  }
}

void FnCompiler::launch_dim(const ir::Launch& l, const std::vector<Operand>& grid,
                            const std::vector<Operand>& args, std::size_t d,
                            std::optional<std::uint16_t> sbase, std::vector<std::uint16_t>& vars) {
  if (d == grid.size()) {
    std::uint32_t mark = free_;
    if (sbase) {
      std::uint16_t linear = vars[0];
      if (vars.size() > 1) {
        linear = alloc(1);
        emit(Op::MUL_I64, linear, vars[0], grid[1].reg);
        emit(Op::ADD_I64, linear, linear, vars[1]);
      }
      emit(Op::PSTREAM_ITER, *sbase, linear, 0);
    }
    std::uint32_t nargs = 0;
    for (ExprId a : l.args) {
      nargs += slots(type(a));
    }
    std::uint16_t base = alloc(std::max<std::uint32_t>(nargs, 1));
    std::uint16_t at = base;
    for (std::size_t i = 0; i < args.size(); ++i) {
      copy_value(type(l.args[i]), at, args[i].reg);
      at = static_cast<std::uint16_t>(at + slots(type(l.args[i])));
    }
    emit_bx(Op::CALL, base, l.kernel.v);
    free_ = mark;
    return;
  }
  std::uint16_t v = alloc(2);
  load_int(v, 0);
  emit(Op::MOV, v + 1, grid[d].reg, 0);
  std::size_t prep = emit(Op::FORPREP1, v, v + 1, 0);
  std::size_t body = here();
  emit(Op::SETINDEX, v, static_cast<std::uint32_t>(d), 0);
  vars.push_back(v);
  launch_dim(l, grid, args, d + 1, sbase, vars);
  vars.pop_back();
  std::size_t back = emit(Op::FORLOOP1, v, v + 1, 0);
  patch(back, body);
  patch(prep, here());
}

}  // namespace kestrel::interp
