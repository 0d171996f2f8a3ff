// Typed IR to register bytecode, one function at a time (Lua's lcode.c is the model): locals get
// fixed registers (parameters first), temporaries are allocated above them in stack order, and
// every expression is compiled into a destination register. Array references are owned by the
// register that holds them: a temporary is released after its last use or moved into a local,
// a local is released when it is reassigned and when the function returns.
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>

#include "codegen/interp/program.hpp"
#include "dsl/ir/walk.hpp"
#include "runtime/elementwise.hpp"
#include "runtime/reduce.hpp"

namespace kestrel::interp {
namespace {

using ir::BinaryOp;
using ir::Builtin;
using ir::ExprId;
using ir::Scalar;
using ir::Type;

/// Thrown when a 16-bit jump offset does not reach: the function is compiled again with long jumps.
struct JumpTooFar {};

/// A register and whether it owns the reference it holds (array and table temporaries).
struct Operand {
  std::uint16_t reg = 0;
  bool owned = false;
  bool table = false;
};

bool is_ref(Type t) { return t.is_array() || t.is_table(); }

class FnCompiler {
 public:
  /// `long_jumps`: no jump with a 16-bit offset may span user code (conditions compare into a
  /// register and JMPF; loops reach their body and exit through 32-bit JMPs).
  FnCompiler(const ir::Program& p, ir::FnId id, CompiledProgram::Impl& out, bool long_jumps)
      : p_(p), fn_(p.fn(id)), out_(out), proto_(out.protos[id.v]), long_jumps_(long_jumps) {}

  void run() {
    proto_.name = fn_.name;
    proto_.ret = fn_.ret;
    proto_.nresults = slots(fn_.ret);
    flat_types(fn_.ret, proto_.result_types);
    std::uint32_t next = 0;
    for (std::uint32_t i = 0; i < fn_.locals.size(); ++i) {
      const ir::Local& l = fn_.locals[i];
      local_reg_.push_back(static_cast<std::uint16_t>(next));
      if (i < fn_.param_count) {
        proto_.param_types.push_back(l.type);
      }
      add_ref_slots(l.type, next, i >= fn_.param_count);
      next += slots(l.type);
      if (i + 1 == fn_.param_count) {
        proto_.nparams = next;
      }
    }
    if (next > 60000) {
      throw RunError(fn_.span, "function '" + fn_.name +
                                   "' has more locals than the interpreter supports (60000 slots)");
    }
    free_ = next;
    proto_.nregs = std::max<std::uint32_t>(next, 1);
    span_ = fn_.span;
    block(fn_.body);
    span_ = fn_.span;
    emit(Op::RET, 0, 0, 0);
    find_owned_temps(next);
  }

 private:
  // ---- types and registers ----

  std::uint32_t slots(Type t) const {
    if (t.is_void()) {
      return 0;
    }
    if (t.is_tuple()) {
      std::uint32_t n = 0;
      for (Type e : p_.types.elems(t)) {
        n += slots(e);
      }
      return n;
    }
    return 1;
  }

  void add_ref_slots(Type t, std::uint32_t at, bool init) {
    if (t.is_tuple()) {
      for (Type e : p_.types.elems(t)) {
        add_ref_slots(e, at, init);
        at += slots(e);
      }
    } else if (is_ref(t)) {
      (t.is_table() ? proto_.table_locals : proto_.array_locals)
          .push_back(static_cast<std::uint16_t>(at));
      if (init) {
        proto_.array_inits.push_back(static_cast<std::uint16_t>(at));
      }
    }
  }

  /// The flattened scalar types of a (possibly tuple) type, one per slot.
  void flat_types(Type t, std::vector<Type>& out) const {
    if (t.is_tuple()) {
      for (Type e : p_.types.elems(t)) {
        flat_types(e, out);
      }
    } else if (!t.is_void()) {
      out.push_back(t);
    }
  }

  std::uint16_t alloc(std::uint32_t n) {
    std::uint32_t r = free_;
    free_ += n;
    if (free_ > 65000) {
      throw RunError(span_, "function '" + fn_.name +
                                "' needs more registers than the interpreter supports (65000)");
    }
    proto_.nregs = std::max(proto_.nregs, free_);
    return static_cast<std::uint16_t>(r);
  }

  const ir::Expr& ex(ExprId id) const { return p_.expr(id); }
  Type type(ExprId id) const { return p_.expr(id).type; }

  // ---- emission ----

  std::size_t emit(Op op, std::uint32_t a, std::uint32_t b, std::uint32_t c) {
    proto_.code.push_back(Instr{op, static_cast<std::uint16_t>(a), static_cast<std::uint16_t>(b),
                                static_cast<std::uint16_t>(c)});
    proto_.spans.push_back(span_);
    return proto_.code.size() - 1;
  }
  std::size_t emit_bx(Op op, std::uint32_t a, std::uint32_t bx) {
    return emit(op, a, bx & 0xffff, bx >> 16);
  }
  std::size_t here() const { return proto_.code.size(); }

  /// Points the jump at `at` to `target` (offsets count from the instruction after the jump).
  void patch(std::size_t at, std::size_t target) {
    auto off = static_cast<std::int64_t>(target) - static_cast<std::int64_t>(at) - 1;
    Instr& in = proto_.code[at];
    switch (in.op) {
      case Op::JMP:
      case Op::JMPF:
      case Op::JMPT: {
        auto u = static_cast<std::uint32_t>(static_cast<std::int32_t>(off));
        in.b = static_cast<std::uint16_t>(u & 0xffff);
        in.c = static_cast<std::uint16_t>(u >> 16);
        return;
      }
      default:
        if (off < std::numeric_limits<std::int16_t>::min() ||
            off > std::numeric_limits<std::int16_t>::max()) {
          if (!long_jumps_) {
            throw JumpTooFar{};
          }
          throw RunError(span_, "function '" + fn_.name +
                                    "' has a block too long for the interpreter to jump over");
        }
        in.c = static_cast<std::uint16_t>(static_cast<std::int16_t>(off));
    }
  }

  std::uint32_t konst(Slot s) {
    for (std::uint32_t i = 0; i < proto_.k.size(); ++i) {
      if (proto_.k[i].i == s.i) {
        return i;
      }
    }
    proto_.k.push_back(s);
    return static_cast<std::uint32_t>(proto_.k.size() - 1);
  }
  std::uint32_t konst_i(std::int64_t v) {
    Slot s{};
    s.i = v;
    return konst(s);
  }
  std::uint32_t konst_f(double v) {
    Slot s{};
    s.f = v;
    return konst(s);
  }
  std::uint32_t konst_f32(float v) {
    Slot s{};
    s.f32 = v;
    return konst(s);
  }

  void load_int(std::uint16_t dst, std::int64_t v) {
    if (v >= std::numeric_limits<std::int32_t>::min() &&
        v <= std::numeric_limits<std::int32_t>::max()) {
      emit_bx(Op::LOADI, dst, static_cast<std::uint32_t>(static_cast<std::int32_t>(v)));
    } else {
      emit_bx(Op::LOADK, dst, konst_i(v));
    }
  }

  /// The constant slot of a scalar constant expression, if it is one.
  bool const_slot(ExprId id, Slot& s) const {
    const ir::Expr& e = ex(id);
    if (const auto* c = std::get_if<ir::IntConst>(&e.kind)) {
      s.i = c->value;
      return true;
    }
    if (const auto* c = std::get_if<ir::BoolConst>(&e.kind)) {
      s.i = c->value ? 1 : 0;
      return true;
    }
    if (const auto* c = std::get_if<ir::FloatConst>(&e.kind)) {
      s = Slot{};
      if (e.type.scalar == Scalar::F32) {
        s.f32 = static_cast<float>(c->value);
      } else {
        s.f = c->value;
      }
      return true;
    }
    return false;
  }

  // ---- expressions ----

  /// Evaluates `id` into some register: a local's own register (borrowed) or a new temporary.
  Operand operand(ExprId id) {
    if (const auto* r = std::get_if<ir::LocalRef>(&ex(id).kind)) {
      return Operand{local_reg_[r->local.v], false};
    }
    std::uint16_t t = alloc(slots(type(id)));
    into(id, t);
    return Operand{t, is_ref(type(id)), type(id).is_table()};
  }

  void drop(Operand o) {
    if (o.owned) {
      emit(Op::RELEASE, o.reg, 0, o.table ? 1 : 0);
    }
  }

  /// Copies a value of type `t` from registers `src` to `dst` (which holds no reference).
  void copy_value(Type t, std::uint16_t dst, std::uint16_t src) {
    std::vector<Type> flat;
    flat_types(t, flat);
    for (std::size_t i = 0; i < flat.size(); ++i) {
      emit(is_ref(flat[i]) ? Op::COPYA : Op::MOV, dst + i, src + i, flat[i].is_table() ? 1 : 0);
    }
  }

  /// Evaluates `id` into `dst` (slots(type) registers holding no references): afterwards
  /// dst owns whatever references the value holds.
  void into(ExprId id, std::uint16_t dst) {
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
                   [&](const ir::Launch& l) { launch(l); },
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

  void convert(Type to, ExprId operand_id, std::uint16_t dst) {
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
    auto is_int = [](Scalar s) {
      return s == Scalar::I64 || s == Scalar::I32 || s == Scalar::Bool;
    };
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

  void unary(Type t, const ir::Unary& u, std::uint16_t dst) {
    if (t.is_array()) {
      Operand a = operand(u.operand);
      ArrayInstr ai;
      ai.kind = ArrayKind::Unary;
      ai.op = static_cast<std::uint8_t>(u.op == ir::UnaryOp::Neg   ? rt::UnOp::Neg
                                        : u.op == ir::UnaryOp::Not ? rt::UnOp::Not
                                                                   : rt::UnOp::BitNot);
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

  static bool is_compare(BinaryOp op) {
    return op == BinaryOp::Eq || op == BinaryOp::Ne || op == BinaryOp::Lt || op == BinaryOp::Le ||
           op == BinaryOp::Gt || op == BinaryOp::Ge;
  }

  /// The typed opcode of a scalar arithmetic operator, computing in `s`.
  static Op arith_op(BinaryOp op, Scalar s) {
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
      default:
        return Op::MOV;
    }
  }

  /// The register-immediate form of an operator, where there is one.
  static bool k_op(Op op, Op& out) {
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

  void binary(Type t, const ir::Binary& b, std::uint16_t dst) {
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
      array_binary_like(ArrayKind::Binary, static_cast<std::uint8_t>(rt_binop(b.op)), b.lhs, b.rhs,
                        t, dst);
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

  static rt::BinOp rt_binop(BinaryOp op) {
    switch (op) {
      case BinaryOp::Add:
        return rt::BinOp::Add;
      case BinaryOp::Sub:
        return rt::BinOp::Sub;
      case BinaryOp::Mul:
        return rt::BinOp::Mul;
      case BinaryOp::Div:
        return rt::BinOp::Div;
      case BinaryOp::FloorDiv:
        return rt::BinOp::FloorDiv;
      case BinaryOp::Mod:
        return rt::BinOp::Mod;
      case BinaryOp::Pow:
        return rt::BinOp::Pow;
      case BinaryOp::Eq:
        return rt::BinOp::Eq;
      case BinaryOp::Ne:
        return rt::BinOp::Ne;
      case BinaryOp::Lt:
        return rt::BinOp::Lt;
      case BinaryOp::Le:
        return rt::BinOp::Le;
      case BinaryOp::Gt:
        return rt::BinOp::Gt;
      case BinaryOp::Ge:
        return rt::BinOp::Ge;
      case BinaryOp::BitAnd:
        return rt::BinOp::BitAnd;
      case BinaryOp::BitOr:
        return rt::BinOp::BitOr;
      case BinaryOp::BitXor:
        return rt::BinOp::BitXor;
      case BinaryOp::Shl:
        return rt::BinOp::Shl;
      case BinaryOp::Shr:
        return rt::BinOp::Shr;
      case BinaryOp::And:
      case BinaryOp::Or:
        break;
    }
    return rt::BinOp::Add;
  }

  // ---- conditions ----

  /// Compiles `cond` as a test that jumps when it is false; the jumps to patch go to `out`.
  void jump_if_false(ExprId cond, std::vector<std::size_t>& out) {
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
      bool fusable =
          !long_jumps_ && is_compare(b->op) && type(b->lhs).is_scalar() &&
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

  // ---- calls ----

  /// Evaluates arguments into consecutive registers from `base` (each holding no reference).
  void args_into(const std::vector<ExprId>& args, std::uint16_t base) {
    std::uint16_t at = base;
    for (ExprId a : args) {
      into(a, at);
      at = static_cast<std::uint16_t>(at + slots(type(a)));
      free_ = std::max<std::uint32_t>(free_, at);
    }
  }

  void call(const ir::Call& c, std::uint16_t dst) {
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

  void launch(const ir::Launch& l) {
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
    for (const Operand& a : args) {
      drop(a);
    }
  }

  /// The loop over axis d of a launch (`vars` holds the outer axes' index registers); with
  /// `sbase` the registers of the stream's base, each instance first enters its substream.
  void launch_dim(const ir::Launch& l, const std::vector<Operand>& grid,
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

  // ---- builtins ----

  /// The PRINT items of a value of type `t`: a tuple as `(a, b)` (its elements flattened).
  void print_items(Type t, std::string before, std::string after, std::vector<PrintItem>& out) {
    if (!t.is_tuple()) {
      out.push_back(PrintItem{t, std::move(before), std::move(after)});
      return;
    }
    const auto& elems = p_.types.elems(t);
    for (std::size_t k = 0; k < elems.size(); ++k) {
      print_items(elems[k], k == 0 ? before + "(" : ", ", k + 1 == elems.size() ? ")" + after : "",
                  out);
    }
  }

  void builtin(Type t, const ir::BuiltinCall& c, std::uint16_t dst) {
    auto scalar1 = [&](Math1 m) {
      Operand a = operand(c.args[0]);
      if (t.scalar == Scalar::I64 || t.scalar == Scalar::I32) {
        // abs is the only integer math function; it wraps in the operand's width.
        emit(t.scalar == Scalar::I32 ? Op::ABS_I32 : Op::ABS_I64, dst, a.reg, 0);
      } else {
        emit(t.scalar == Scalar::F32 ? Op::MATH_F32 : Op::MATH_F64, dst, a.reg,
             static_cast<std::uint32_t>(m));
      }
    };
    bool any_array = t.is_array();
    for (ExprId a : c.args) {
      any_array = any_array || type(a).is_array() || type(a).is_table();
    }
    switch (c.builtin) {
      case Builtin::Print: {
        PrintLayout layout;
        std::uint32_t n = 0;
        for (std::size_t k = 0; k < c.args.size(); ++k) {
          n += slots(type(c.args[k]));
          print_items(type(c.args[k]), k > 0 ? " " : "", "", layout.items);
        }
        std::uint16_t base = alloc(std::max<std::uint32_t>(n, 1));
        std::uint16_t at = base;
        std::vector<Operand> owned;
        for (ExprId a : c.args) {
          into(a, at);
          std::vector<Type> flat;
          flat_types(type(a), flat);
          for (std::size_t k = 0; k < flat.size(); ++k) {
            if (is_ref(flat[k])) {
              owned.push_back(
                  Operand{static_cast<std::uint16_t>(at + k), true, flat[k].is_table()});
            }
          }
          at = static_cast<std::uint16_t>(at + slots(type(a)));
          free_ = std::max<std::uint32_t>(free_, at);
        }
        out_.prints.push_back(std::move(layout));
        emit(Op::PRINT, base, static_cast<std::uint32_t>(c.args.size()),
             static_cast<std::uint32_t>(out_.prints.size() - 1));
        for (Operand o : owned) {
          drop(o);
        }
        return;
      }
      case Builtin::Random:
      case Builtin::Randn: {
        Operand k = operand(c.args[0]);
        Operand n = operand(c.args[1]);
        emit(c.builtin == Builtin::Random ? Op::RANDOM : Op::RANDN, dst, k.reg, n.reg);
        return;
      }
      case Builtin::RandomStream:
        emit(Op::RANDOM_STREAM, dst, 0, 0);
        return;
      case Builtin::RandnStream:
        emit(Op::RANDN_STREAM, dst, 0, 0);
        return;
      case Builtin::Clock:
        emit(Op::CLOCK, dst, 0, 0);
        return;
      case Builtin::Seed: {
        Operand s = operand(c.args[0]);
        emit(Op::SEED, s.reg, 0, 0);
        return;
      }
      case Builtin::Index:
        emit(Op::GETINDEX, dst, static_cast<std::uint32_t>(std::max<int>(c.axis, 0)), 0);
        return;
      default:
        break;
    }
    if (!any_array) {
      switch (c.builtin) {
        case Builtin::Exp:
          return scalar1(Math1::Exp);
        case Builtin::Log:
          return scalar1(Math1::Log);
        case Builtin::Sqrt:
          return scalar1(Math1::Sqrt);
        case Builtin::Abs:
          return scalar1(Math1::Abs);
        case Builtin::Sin:
          return scalar1(Math1::Sin);
        case Builtin::Cos:
          return scalar1(Math1::Cos);
        case Builtin::Tanh:
          return scalar1(Math1::Tanh);
        case Builtin::Sigmoid:
          return scalar1(Math1::Sigmoid);
        case Builtin::Floor:
          return scalar1(Math1::Floor);
        case Builtin::Minimum:
        case Builtin::Maximum: {
          Operand a = operand(c.args[0]);
          Operand b = operand(c.args[1]);
          bool mn = c.builtin == Builtin::Minimum;
          Op op = t.scalar == Scalar::F64   ? (mn ? Op::MIN_F64 : Op::MAX_F64)
                  : t.scalar == Scalar::F32 ? (mn ? Op::MIN_F32 : Op::MAX_F32)
                                            : (mn ? Op::MIN_I : Op::MAX_I);
          emit(op, dst, a.reg, b.reg);
          return;
        }
        case Builtin::Clip: {
          Operand x = operand(c.args[0]);
          std::uint16_t lohi = alloc(2);
          into(c.args[1], lohi);
          into(c.args[2], lohi + 1);
          Op op = t.scalar == Scalar::F64   ? Op::CLIP_F64
                  : t.scalar == Scalar::F32 ? Op::CLIP_F32
                                            : Op::CLIP_I64;
          emit(op, dst, x.reg, lohi);
          return;
        }
        case Builtin::Where: {
          Operand cnd = operand(c.args[0]);
          std::uint16_t ab = alloc(2);
          into(c.args[1], ab);
          into(c.args[2], ab + 1);
          emit(Op::SELECT, dst, cnd.reg, ab);
          return;
        }
        default:
          break;
      }
    }
    array_builtin(t, c, dst);
  }

  // ---- arrays ----

  void array_op(std::uint16_t dst, ArrayInstr ai) {
    ai.checked = !fn_.unchecked;
    out_.array_ops.push_back(std::move(ai));
    emit_bx(Op::ARRAY, dst, static_cast<std::uint32_t>(out_.array_ops.size() - 1));
  }

  /// Evaluates each expression to an operand and records it as an argument.
  std::vector<Operand> array_args(const std::vector<ExprId>& ids, ArrayInstr& ai) {
    std::vector<Operand> ops;
    for (ExprId id : ids) {
      Operand o = operand(id);
      ops.push_back(o);
      ai.args.push_back(ArrayArg{o.reg, type(id)});
    }
    return ops;
  }

  void array_binary_like(ArrayKind kind, std::uint8_t op, ExprId l, ExprId r, Type t,
                         std::uint16_t dst) {
    ArrayInstr ai;
    ai.kind = kind;
    ai.op = op;
    ai.result = t;
    std::vector<Operand> ops = array_args({l, r}, ai);
    array_op(dst, std::move(ai));
    for (Operand o : ops) {
      drop(o);
    }
  }

  void array_builtin(Type t, const ir::BuiltinCall& c, std::uint16_t dst) {
    ArrayInstr ai;
    ai.result = t;
    ai.axis = c.axis;
    ai.op = static_cast<std::uint8_t>(c.builtin);
    switch (c.builtin) {
      case Builtin::Len:
      case Builtin::Shape:
        ai.kind = ArrayKind::Len;
        break;
      case Builtin::Copy:
        ai.kind = ArrayKind::Copy;
        break;
      case Builtin::Zeros:
      case Builtin::Ones:
      case Builtin::Full:
      case Builtin::Empty:
      case Builtin::Arange:
      case Builtin::Linspace:
        ai.kind = ArrayKind::Build;
        break;
      case Builtin::Exp:
      case Builtin::Log:
      case Builtin::Sqrt:
      case Builtin::Abs:
      case Builtin::Sin:
      case Builtin::Cos:
      case Builtin::Tanh:
      case Builtin::Sigmoid:
      case Builtin::Floor: {
        static constexpr rt::UnOp kMap[] = {rt::UnOp::Exp,  rt::UnOp::Log,     rt::UnOp::Sqrt,
                                            rt::UnOp::Abs,  rt::UnOp::Sin,     rt::UnOp::Cos,
                                            rt::UnOp::Tanh, rt::UnOp::Sigmoid, rt::UnOp::Floor};
        ai.kind = ArrayKind::Unary;
        ai.op = static_cast<std::uint8_t>(
            kMap[static_cast<int>(c.builtin) - static_cast<int>(Builtin::Exp)]);
        break;
      }
      case Builtin::Minimum:
      case Builtin::Maximum:
        ai.kind = ArrayKind::Binary;
        ai.op = static_cast<std::uint8_t>(c.builtin == Builtin::Minimum ? rt::BinOp::Min
                                                                        : rt::BinOp::Max);
        break;
      case Builtin::Clip:
        ai.kind = ArrayKind::Clip;
        break;
      case Builtin::Where:
        ai.kind = ArrayKind::Where;
        break;
      case Builtin::Sum:
      case Builtin::Mean:
      case Builtin::Min:
      case Builtin::Max:
      case Builtin::Argmin:
      case Builtin::Argmax:
      case Builtin::Count:
      case Builtin::Any:
      case Builtin::All: {
        static constexpr rt::ReduceOp kMap[] = {
            rt::ReduceOp::Sum,   rt::ReduceOp::Mean,   rt::ReduceOp::Min,
            rt::ReduceOp::Max,   rt::ReduceOp::Argmin, rt::ReduceOp::Argmax,
            rt::ReduceOp::Count, rt::ReduceOp::Any,    rt::ReduceOp::All};
        ai.kind = ArrayKind::Reduce;
        ai.op = static_cast<std::uint8_t>(
            kMap[static_cast<int>(c.builtin) - static_cast<int>(Builtin::Sum)]);
        break;
      }
      case Builtin::Dot:
        ai.kind = ArrayKind::Dot;
        break;
      case Builtin::RandArray:
      case Builtin::RandnArray:
        ai.kind = ArrayKind::Rand;
        break;
      case Builtin::ReadCsv:
        ai.kind = ArrayKind::Table;
        ai.op = 2;
        break;
      case Builtin::LoadNpy:
      case Builtin::SaveNpy:
        ai.kind = ArrayKind::Npy;
        break;
      default:
        throw std::runtime_error(std::string("internal error: builtin ") +
                                 ir::builtin_name(c.builtin) + " reached array_builtin");
    }
    std::vector<Operand> ops = array_args(c.args, ai);
    array_op(dst, std::move(ai));
    for (Operand o : ops) {
      drop(o);
    }
  }

  void table_op(Type t, std::uint8_t op, ExprId table, ExprId name, std::uint8_t column,
                std::uint16_t dst) {
    ArrayInstr ai;
    ai.kind = ArrayKind::Table;
    ai.op = op;
    ai.axis = static_cast<std::int8_t>(column);
    ai.result = t;
    std::vector<ExprId> ids{table};
    if (name.valid()) {
      ids.push_back(name);
    }
    std::vector<Operand> ops = array_args(ids, ai);
    array_op(dst, std::move(ai));
    for (Operand o : ops) {
      drop(o);
    }
  }

  void index_get(Type t, const ir::Index& ix, std::uint16_t dst) {
    ArrayInstr ai;
    ai.kind = ArrayKind::Get;
    ai.result = t;
    std::vector<ExprId> ids{ix.base};
    ids.insert(ids.end(), ix.indices.begin(), ix.indices.end());
    std::vector<Operand> ops = array_args(ids, ai);
    array_op(dst, std::move(ai));
    for (Operand o : ops) {
      drop(o);
    }
  }

  void slice(Type t, const ir::SliceView& s, std::uint16_t dst) {
    ArrayInstr ai;
    ai.kind = ArrayKind::Slice;
    ai.result = t;
    Operand base = operand(s.base);
    ai.args.push_back(ArrayArg{base.reg, type(s.base)});
    for (const ir::SliceDim& d : s.dims) {
      SliceSpec spec;
      spec.is_range = d.is_range;
      if (!d.is_range) {
        spec.index = operand(d.index).reg;
      } else {
        if (d.lo.valid()) {
          spec.has_lo = true;
          spec.lo = operand(d.lo).reg;
        }
        if (d.hi.valid()) {
          spec.has_hi = true;
          spec.hi = operand(d.hi).reg;
        }
      }
      ai.dims.push_back(spec);
    }
    array_op(dst, std::move(ai));
    drop(base);
  }

  void array_literal(Type t, const ir::ArrayLit& a, std::uint16_t dst) {
    ArrayInstr ai;
    ai.kind = ArrayKind::Literal;
    ai.result = t;
    ai.rows = a.rows;
    ai.cols = a.cols;
    // Constants go into the instruction; only the other elements are evaluated (in order, so
    // their effects keep the source's order) into registers.
    ai.literal.assign(a.elems.size(), 0);
    for (std::size_t k = 0; k < a.elems.size(); ++k) {
      Slot s{};
      if (type(a.elems[k]).scalar == t.scalar && const_slot(a.elems[k], s)) {
        std::memcpy(&ai.literal[k], &s, sizeof s);
      } else {
        ai.dynamic.push_back(static_cast<std::uint32_t>(k));
      }
    }
    std::uint16_t base =
        alloc(static_cast<std::uint32_t>(std::max<std::size_t>(ai.dynamic.size(), 1)));
    for (std::size_t j = 0; j < ai.dynamic.size(); ++j) {
      into(a.elems[ai.dynamic[j]], static_cast<std::uint16_t>(base + j));
      free_ = std::max<std::uint32_t>(free_, static_cast<std::uint32_t>(base + j + 1));
    }
    ai.args.push_back(ArrayArg{base, t.element()});
    array_op(dst, std::move(ai));
  }

  // ---- statements ----

  void block(const ir::Block& b) {
    for (std::size_t k = 0; k < b.stmts.size(); ++k) {
      if (k + 1 < b.stmts.size() && random_pair(b.stmts[k], b.stmts[k + 1])) {
        ++k;
        continue;
      }
      stmt(b.stmts[k]);
    }
  }

  /// Whether evaluating `id` has no effect besides its value (and reads no local in `avoid`).
  bool simple(ExprId id, ir::LocalId avoid) const {
    const ir::Expr& e = ex(id);
    if (!e.type.is_scalar()) {
      return false;
    }
    bool ok = std::visit(ir::overloaded{
                             [&](const ir::IntConst&) { return true; },
                             [&](const ir::FloatConst&) { return true; },
                             [&](const ir::BoolConst&) { return true; },
                             [&](const ir::LocalRef& r) { return !(r.local == avoid); },
                             [&](const ir::Convert&) { return true; },
                             [&](const ir::Unary&) { return true; },
                             [&](const ir::Binary& b) {
                               return b.op == BinaryOp::Add || b.op == BinaryOp::Sub ||
                                      b.op == BinaryOp::Mul;
                             },
                             [&](const auto&) { return false; },
                         },
                         e.kind);
    if (!ok) {
      return false;
    }
    bool children = true;
    ir::for_each_child(e.kind, [&](ExprId c) { children = children && simple(c, avoid); });
    return children;
  }

  /// `let x = random(k, c1)` then `let y = random(k, c2)` with k a local and c1, c2 simple:
  /// one RANDOM2 computing both draws (the pi loop's shape). Returns false when it does not fit.
  bool random_pair(ir::StmtId s1, ir::StmtId s2) {
    const auto* l1 = std::get_if<ir::Let>(&p_.stmt(s1).kind);
    const auto* l2 = std::get_if<ir::Let>(&p_.stmt(s2).kind);
    if (l1 == nullptr || l2 == nullptr) {
      return false;
    }
    const auto* r1 = std::get_if<ir::BuiltinCall>(&ex(l1->init).kind);
    const auto* r2 = std::get_if<ir::BuiltinCall>(&ex(l2->init).kind);
    if (r1 == nullptr || r2 == nullptr || r1->builtin != Builtin::Random ||
        r2->builtin != Builtin::Random) {
      return false;
    }
    const auto* k1 = std::get_if<ir::LocalRef>(&ex(r1->args[0]).kind);
    const auto* k2 = std::get_if<ir::LocalRef>(&ex(r2->args[0]).kind);
    if (k1 == nullptr || k2 == nullptr || !(k1->local == k2->local) || k1->local == l1->local ||
        local_reg_[l2->local.v] != local_reg_[l1->local.v] + 1 ||
        !simple(r1->args[1], ir::LocalId{}) || !simple(r2->args[1], l1->local)) {
      return false;
    }
    span_ = p_.stmt(s1).span;
    std::uint32_t mark = free_;
    std::uint16_t t = alloc(2);
    into(r1->args[1], t);
    into(r2->args[1], t + 1);
    span_ = ex(l1->init).span;
    emit(Op::RANDOM2, local_reg_[l1->local.v], local_reg_[k1->local.v], t);
    free_ = mark;
    return true;
  }

  /// Assigns a value of type `t` from temporaries `src` (owned) into the registers at `dst`.
  void move_into(Type t, std::uint16_t dst, std::uint16_t src) {
    std::vector<Type> flat;
    flat_types(t, flat);
    for (std::size_t i = 0; i < flat.size(); ++i) {
      emit(is_ref(flat[i]) ? Op::MOVEA : Op::MOV, dst + i, src + i, flat[i].is_table() ? 1 : 0);
    }
  }

  /// `local = value` for any type: scalars straight into the local's register; references
  /// through a temporary so the old value is released.
  void assign_local(ir::LocalId local, ExprId value) {
    Type t = fn_.locals[local.v].type;
    std::uint16_t reg = local_reg_[local.v];
    std::vector<Type> flat;
    flat_types(t, flat);
    bool any_ref = false;
    for (Type f : flat) {
      any_ref = any_ref || is_ref(f);
    }
    if (!any_ref && !t.is_tuple()) {
      into(value, reg);
      return;
    }
    if (const auto* r = std::get_if<ir::LocalRef>(&ex(value).kind); r && !t.is_tuple()) {
      emit(Op::SETA, reg, local_reg_[r->local.v], t.is_table() ? 1 : 0);
      return;
    }
    std::uint16_t tmp = alloc(slots(t));
    into(value, tmp);
    move_into(t, reg, tmp);
  }

  void stmt(ir::StmtId id) {
    const ir::Stmt& s = p_.stmt(id);
    span_ = s.span;
    std::uint32_t mark = free_;
    std::visit(ir::overloaded{
                   [&](const ir::Let& l) { assign_local(l.local, l.init); },
                   [&](const ir::LetTuple& l) {
                     Type t = type(l.init);
                     std::uint16_t tmp = alloc(slots(t));
                     into(l.init, tmp);
                     std::uint16_t at = tmp;
                     const auto& elems = p_.types.elems(t);
                     for (std::size_t i = 0; i < l.locals.size(); ++i) {
                       move_into(elems[i], local_reg_[l.locals[i].v], at);
                       at = static_cast<std::uint16_t>(at + slots(elems[i]));
                     }
                   },
                   [&](const ir::Assign& a) { assign(a); },
                   [&](const ir::StoreIndex& st) { store_index(st); },
                   [&](const ir::StoreView& st) {
                     ArrayInstr ai;
                     ai.kind = ArrayKind::StoreView;
                     ai.op = static_cast<std::uint8_t>(st.op);
                     std::vector<Operand> ops = array_args({st.target, st.value}, ai);
                     array_op(0, std::move(ai));
                     for (Operand o : ops) {
                       drop(o);
                     }
                   },
                   [&](const ir::ExprStmt& e) {
                     Type t = type(e.expr);
                     std::uint16_t tmp = alloc(std::max<std::uint32_t>(slots(t), 1));
                     into(e.expr, tmp);
                     std::vector<Type> flat;
                     flat_types(t, flat);
                     for (std::size_t i = 0; i < flat.size(); ++i) {
                       if (is_ref(flat[i])) {
                         emit(Op::RELEASE, tmp + i, 0, flat[i].is_table() ? 1 : 0);
                       }
                     }
                   },
                   [&](const ir::If& i) {
                     std::vector<std::size_t> to_else;
                     jump_if_false(i.cond, to_else);
                     block(i.then_body);
                     if (i.else_body.stmts.empty()) {
                       for (std::size_t j : to_else) {
                         patch(j, here());
                       }
                     } else {
                       std::size_t to_end = emit_bx(Op::JMP, 0, 0);
                       for (std::size_t j : to_else) {
                         patch(j, here());
                       }
                       block(i.else_body);
                       patch(to_end, here());
                     }
                   },
                   [&](const ir::While& w) {
                     std::size_t top = here();
                     std::vector<std::size_t> to_exit;
                     jump_if_false(w.cond, to_exit);
                     loops_.push_back(Loop{});
                     block(w.body);
                     std::size_t back = emit_bx(Op::JMP, 0, 0);
                     patch(back, top);
                     Loop loop = std::move(loops_.back());
                     loops_.pop_back();
                     for (std::size_t j : to_exit) {
                       patch(j, here());
                     }
                     for (std::size_t j : loop.breaks) {
                       patch(j, here());
                     }
                     for (std::size_t j : loop.continues) {
                       patch(j, top);
                     }
                   },
                   [&](const ir::For& f) { for_loop(f, s.span); },
                   [&](const ir::Break&) {
                     KESTREL_INTERP_CHECK(!loops_.empty());
                     loops_.back().breaks.push_back(emit_bx(Op::JMP, 0, 0));
                   },
                   [&](const ir::Continue&) {
                     KESTREL_INTERP_CHECK(!loops_.empty());
                     loops_.back().continues.push_back(emit_bx(Op::JMP, 0, 0));
                   },
                   [&](const ir::Return& r) {
                     if (!r.value.valid()) {
                       emit(Op::RET, 0, 0, 0);
                       return;
                     }
                     Type t = type(r.value);
                     std::uint16_t tmp = alloc(slots(t));
                     into(r.value, tmp);
                     span_ = s.span;
                     emit(Op::RET, tmp, slots(t), 0);
                   },
               },
               s.kind);
    free_ = mark;
  }

  void assign(const ir::Assign& a) {
    if (a.op == ir::AssignOp::Set) {
      assign_local(a.local, a.value);
      return;
    }
    Type t = fn_.locals[a.local.v].type;
    std::uint16_t reg = local_reg_[a.local.v];
    BinaryOp bop = a.op == ir::AssignOp::Add   ? BinaryOp::Add
                   : a.op == ir::AssignOp::Sub ? BinaryOp::Sub
                   : a.op == ir::AssignOp::Mul ? BinaryOp::Mul
                                               : BinaryOp::Div;
    if (t.is_array()) {
      // Sema turns in-place array updates into StoreView; this is a rebinding `x = x op e`.
      std::uint16_t tmp = alloc(1);
      ArrayInstr ai;
      ai.kind = ArrayKind::Binary;
      ai.op = static_cast<std::uint8_t>(rt_binop(bop));
      ai.result = t;
      Operand v = operand(a.value);
      ai.args = {{reg, t}, {v.reg, type(a.value)}};
      array_op(tmp, std::move(ai));
      drop(v);
      emit(Op::MOVEA, reg, tmp, 0);
      return;
    }
    Op op = arith_op(bop, t.scalar);
    Op kop;
    Slot ks{};
    if (k_op(op, kop) && const_slot(a.value, ks)) {
      emit(kop, reg, reg, konst(ks));
      return;
    }
    Operand v = operand(a.value);
    emit(op, reg, reg, v.reg);
  }

  void store_index(const ir::StoreIndex& st) {
    ArrayInstr ai;
    ai.kind = ArrayKind::Set;
    ai.op = static_cast<std::uint8_t>(st.op);
    std::vector<ExprId> ids{st.base};
    ids.insert(ids.end(), st.indices.begin(), st.indices.end());
    ids.push_back(st.value);
    std::vector<Operand> ops = array_args(ids, ai);
    array_op(0, std::move(ai));
    for (Operand o : ops) {
      drop(o);
    }
  }

  static bool float_sensitive(Type t, ir::ReduceOp op) {
    (void)op;
    return t.scalar == Scalar::F64 || t.scalar == Scalar::F32;
  }

  void for_loop(const ir::For& f, diag::Span span) {
    std::uint16_t v = local_reg_[f.var.v];
    std::uint16_t h = alloc(2);  // hi, step
    into(f.lo, v);
    into(f.hi, h);
    bool unit = !f.step.valid();
    if (!unit) {
      Slot ks{};
      if (const_slot(f.step, ks) && ks.i == 1) {
        unit = true;
      } else {
        into(f.step, h + 1);
      }
    }
    // A parallel loop's float reductions combine per-chunk partials in the runtime's fixed
    // order (rt::kReduceChunk iterations per chunk, then rt::combine_tree), so the JIT's
    // threaded loop gives the same bits. Integer reductions wrap and are order-free.
    std::vector<ReductionSlot> reds;
    if (f.parallel) {
      for (const ir::Reduction& r : f.reductions) {
        Type t = fn_.locals[r.local.v].type;
        if (float_sensitive(t, r.op)) {
          reds.push_back(ReductionSlot{local_reg_[r.local.v], alloc(1), t.scalar, r.op});
        }
      }
    }
    std::uint32_t red_desc = 0;
    std::uint16_t counter = 0;
    if (!reds.empty()) {
      out_.reductions.push_back(reds);
      red_desc = static_cast<std::uint32_t>(out_.reductions.size() - 1);
      counter = alloc(1);
      emit(Op::PFOR_BEGIN, counter, red_desc, 0);
    }
    // Array reductions: each chunk writes private copies (runtime/array_reduction.hpp).
    std::uint32_t ared_desc = 0;
    std::uint16_t ared_counter = 0;
    bool ared = f.parallel && !f.array_reductions.empty();
    if (ared) {
      ArrayReductionDesc d;
      for (const ir::Reduction& r : f.array_reductions) {
        Type t = fn_.locals[r.local.v].type;
        d.regs.push_back(local_reg_[r.local.v]);
        d.ops.push_back(r.op);
        d.chunked = d.chunked || t.scalar == Scalar::F64 || t.scalar == Scalar::F32;
      }
      out_.array_reductions.push_back(std::move(d));
      ared_desc = static_cast<std::uint32_t>(out_.array_reductions.size() - 1);
      ared_counter = alloc(1);
      emit(Op::ARED_BEGIN, ared_counter, ared_desc, 0);
    }
    // random() in a parallel loop draws from the iteration's own substream (rt::substream).
    bool streams = f.parallel && out_.block_uses_stream(p_, f.body);
    std::uint16_t sbase = 0;
    span_ = span;
    if (streams) {
      sbase = alloc(2);
      emit(Op::PSTREAM_BEGIN, sbase, 0, 0);
    }
    std::size_t prep = emit(unit ? Op::FORPREP1 : Op::FORPREP, v, h, 0);
    // Long jumps: FORPREP skips to `JMP exit` when the range is empty, else falls into
    // `JMP body`; FORLOOP likewise below.
    std::size_t exit_jump = 0;
    if (long_jumps_) {
      std::size_t to_body = emit_bx(Op::JMP, 0, 0);
      exit_jump = emit_bx(Op::JMP, 0, 0);
      patch(prep, exit_jump);
      patch(to_body, here());
    }
    std::size_t body = here();
    if (streams) {
      emit(Op::PSTREAM_ITER, sbase, v, 0);
    }
    loops_.push_back(Loop{});
    block(f.body);
    span_ = span;
    Loop loop = std::move(loops_.back());
    loops_.pop_back();
    std::size_t cont = here();
    if (!reds.empty()) {
      emit(Op::PFOR_STEP, counter, red_desc, 0);
    }
    if (ared) {
      emit(Op::ARED_STEP, ared_counter, ared_desc, 0);
    }
    std::size_t back = emit(unit ? Op::FORLOOP1 : Op::FORLOOP, v, h, 0);
    if (long_jumps_) {
      std::size_t done = emit_bx(Op::JMP, 0, 0);
      std::size_t again = emit_bx(Op::JMP, 0, 0);
      patch(back, again);
      patch(again, body);
      patch(done, here());
      patch(exit_jump, here());
    } else {
      patch(back, body);
      patch(prep, here());
    }
    for (std::size_t j : loop.breaks) {
      patch(j, here());
    }
    for (std::size_t j : loop.continues) {
      patch(j, cont);
    }
    if (!reds.empty()) {
      emit(Op::PFOR_END, counter, red_desc, 0);
    }
    if (ared) {
      emit(Op::ARED_END, ared_counter, ared_desc, 0);
    }
    if (streams) {
      emit(Op::PSTREAM_END, sbase, 0, 0);
    }
  }

  /// Records in proto_.owned_temps where each temporary (a register from `first_temp` up) owns a
  /// reference, by one pass over the code in order. Temporaries never live across a statement's
  /// control flow (a loop or branch starts and ends with the same ones live), so the order of
  /// the code is the order of execution as far as they are concerned. A reference starts in the
  /// register an ARRAY, COPYA or CALL result writes, moves with MOV (a call's result), and ends
  /// at RELEASE, MOVEA, RET, or the CALL that takes it as an argument: the CALL itself still
  /// counts, since its own errors (stack overflow, interrupt) come before the callee owns it;
  /// once the callee runs, its frame releases the argument first and leaves the register null.
  void find_owned_temps(std::uint32_t first_temp) {
    struct Open {
      std::uint32_t begin;
      bool table;
    };
    std::vector<std::optional<Open>> open(proto_.nregs + 1);
    auto end = [&](std::uint32_t reg, std::uint32_t at) {
      if (reg < open.size() && open[reg]) {
        if (open[reg]->begin < at) {
          proto_.owned_temps.push_back(
              OwnedTemp{open[reg]->begin, at, static_cast<std::uint16_t>(reg), open[reg]->table});
        }
        open[reg].reset();
      }
    };
    auto begin = [&](std::uint32_t reg, std::uint32_t at, bool table) {
      if (reg >= first_temp && reg < open.size()) {
        end(reg, at);
        open[reg] = Open{at, table};
      }
    };
    const std::vector<Instr>& code = proto_.code;
    for (std::uint32_t q = 0; q < code.size(); ++q) {
      Instr in = code[q];
      switch (in.op) {
        case Op::ARRAY: {
          const ArrayInstr& ai = out_.array_ops[arg_bx(in)];
          if (is_ref(ai.result) && ai.kind != ArrayKind::Set && ai.kind != ArrayKind::StoreView) {
            begin(in.a, q + 1, ai.result.is_table());
          }
          break;
        }
        case Op::COPYA:
          begin(in.a, q + 1, in.c != 0);
          break;
        case Op::MOV:
          if (in.b < open.size() && open[in.b]) {
            bool table = open[in.b]->table;
            end(in.b, q);
            begin(in.a, q + 1, table);
          }
          break;
        case Op::MOVEA:
          end(in.b, q);
          break;
        case Op::RELEASE:
          end(in.a, q);
          break;
        case Op::RET:
          for (std::uint32_t r = in.a; r < static_cast<std::uint32_t>(in.a) + in.b; ++r) {
            end(r, q);
          }
          break;
        case Op::CALL: {
          const ir::Function& callee = p_.fn(ir::FnId{arg_bx(in)});
          std::uint32_t nparams = 0;
          for (std::uint32_t k = 0; k < callee.param_count; ++k) {
            nparams += slots(callee.locals[k].type);
          }
          for (std::uint32_t r = in.a; r < in.a + nparams; ++r) {
            end(r, q + 1);
          }
          std::vector<Type> results;
          flat_types(callee.ret, results);
          for (std::size_t k = 0; k < results.size(); ++k) {
            if (is_ref(results[k])) {
              begin(in.a + static_cast<std::uint32_t>(k), q + 1, results[k].is_table());
            }
          }
          break;
        }
        default:
          break;
      }
    }
    for (std::uint32_t r = 0; r < open.size(); ++r) {
      end(r, static_cast<std::uint32_t>(code.size()));
    }
  }

  struct Loop {
    std::vector<std::size_t> breaks;
    std::vector<std::size_t> continues;
  };

  const ir::Program& p_;
  const ir::Function& fn_;
  CompiledProgram::Impl& out_;
  Proto& proto_;
  std::vector<std::uint16_t> local_reg_;
  std::uint32_t free_ = 0;
  diag::Span span_;
  std::vector<Loop> loops_;
  bool long_jumps_ = false;
};

}  // namespace

void compile_function(const ir::Program& program, ir::FnId id, CompiledProgram::Impl& out) {
  try {
    FnCompiler(program, id, out, false).run();
  } catch (const JumpTooFar&) {
    // Rare (a block of more than 32K instructions): start over with long jumps. The descriptors
    // the first attempt added to `out` stay, unused.
    out.protos[id.v] = Proto{};
    FnCompiler(program, id, out, true).run();
  }
}

}  // namespace kestrel::interp
