#pragma once
// The VM's scalar instructions, each one line: X(opcode, field, value) for every instruction
// whose whole effect is RA.field = value (Lua's lvm.c op_arith is the model). The values call
// the scalar rules every backend shares (runtime/rules/, through runtime/elementwise.hpp's checked
// forms, which raise the rule's error), so the interpreter holds no copy of a rule. vm.cpp expands
// the list into its dispatch loop, where RB, RC and KC name the operand registers and constant
// and `i` the instruction: the same inline code as a hand-written case.
#include <cstdint>
#include <string>

#include "codegen/interp/bytecode.hpp"
#include "runtime/elementwise.hpp"
#include "runtime/rules/combine.hpp"
#include "runtime/rules/math.hpp"
#include "runtime/rules/philox.hpp"

namespace kestrel::interp {

/// An i32 register's value (the register holds it sign-extended to 64 bits).
inline std::int32_t i32(Slot s) { return static_cast<std::int32_t>(s.i); }
/// A str register's string.
inline const std::string& str(Slot s) { return *static_cast<const std::string*>(s.p); }

// PFOR_* pass their ir::ReduceOp to the combine rules as the same numbers (MATH_F64 / MATH_F32
// pass rt::MathFn itself: bytecode.hpp's Math1).
static_assert(static_cast<int>(ir::ReduceOp::Add) == static_cast<int>(rt::CombineOp::Add) &&
              static_cast<int>(ir::ReduceOp::Mul) == static_cast<int>(rt::CombineOp::Mul) &&
              static_cast<int>(ir::ReduceOp::Min) == static_cast<int>(rt::CombineOp::Min) &&
              static_cast<int>(ir::ReduceOp::Max) == static_cast<int>(rt::CombineOp::Max));

}  // namespace kestrel::interp

// clang-format off
#define KESTREL_VM_SCALAR_OPS(X) \
  X(ADD_I64, i, rt::wrap_add(RB.i, RC.i)) \
  X(SUB_I64, i, rt::wrap_sub(RB.i, RC.i)) \
  X(MUL_I64, i, rt::wrap_mul(RB.i, RC.i)) \
  X(ADDK_I64, i, rt::wrap_add(RB.i, KC.i)) \
  X(SUBK_I64, i, rt::wrap_sub(RB.i, KC.i)) \
  X(MULK_I64, i, rt::wrap_mul(RB.i, KC.i)) \
  X(FDIV_I64, i, rt::floordiv(RB.i, RC.i)) \
  X(MOD_I64, i, rt::mod(RB.i, RC.i)) \
  X(POW_I64, i, rt::ipow(RB.i, RC.i)) \
  X(NEG_I64, i, rt::wrap_neg(RB.i)) \
  X(BAND_I64, i, RB.i & RC.i) \
  X(BOR_I64, i, RB.i | RC.i) \
  X(BXOR_I64, i, RB.i ^ RC.i) \
  X(SHL_I64, i, rt::shl(RB.i, RC.i)) \
  X(SHR_I64, i, rt::shr(RB.i, RC.i)) \
  X(BNOT_I64, i, ~RB.i) \
  X(ADD_I32, i, rt::wrap_add(i32(RB), i32(RC))) \
  X(SUB_I32, i, rt::wrap_sub(i32(RB), i32(RC))) \
  X(MUL_I32, i, rt::wrap_mul(i32(RB), i32(RC))) \
  X(FDIV_I32, i, rt::floordiv(i32(RB), i32(RC))) \
  X(MOD_I32, i, rt::mod(i32(RB), i32(RC))) \
  X(POW_I32, i, rt::ipow(i32(RB), i32(RC))) \
  X(NEG_I32, i, rt::wrap_neg(i32(RB))) \
  X(SHL_I32, i, rt::shl(i32(RB), i32(RC))) \
  X(SHR_I32, i, rt::shr(i32(RB), i32(RC))) \
  X(ADD_F64, f, RB.f + RC.f) \
  X(SUB_F64, f, RB.f - RC.f) \
  X(MUL_F64, f, RB.f * RC.f) \
  X(DIV_F64, f, RB.f / RC.f) \
  X(ADDK_F64, f, RB.f + KC.f) \
  X(SUBK_F64, f, RB.f - KC.f) \
  X(MULK_F64, f, RB.f * KC.f) \
  X(DIVK_F64, f, RB.f / KC.f) \
  X(FDIV_F64, f, rt::floordiv_float(RB.f, RC.f)) \
  X(MOD_F64, f, rt::mod_float(RB.f, RC.f)) \
  X(POW_F64, f, rt::fpow(RB.f, RC.f)) \
  X(NEG_F64, f, -RB.f) \
  X(ADD_F32, f32, RB.f32 + RC.f32) \
  X(SUB_F32, f32, RB.f32 - RC.f32) \
  X(MUL_F32, f32, RB.f32 * RC.f32) \
  X(DIV_F32, f32, RB.f32 / RC.f32) \
  X(FDIV_F32, f32, rt::floordiv_float(RB.f32, RC.f32)) \
  X(MOD_F32, f32, rt::mod_float(RB.f32, RC.f32)) \
  X(POW_F32, f32, rt::fpow(RB.f32, RC.f32)) \
  X(NEG_F32, f32, -RB.f32) \
  X(NOT, i, RB.i == 0) \
  X(EQ_I, i, RB.i == RC.i) \
  X(NE_I, i, RB.i != RC.i) \
  X(LT_I, i, RB.i < RC.i) \
  X(LE_I, i, RB.i <= RC.i) \
  X(EQ_F64, i, RB.f == RC.f) \
  X(NE_F64, i, RB.f != RC.f) \
  X(LT_F64, i, RB.f < RC.f) \
  X(LE_F64, i, RB.f <= RC.f) \
  X(EQ_F32, i, RB.f32 == RC.f32) \
  X(NE_F32, i, RB.f32 != RC.f32) \
  X(LT_F32, i, RB.f32 < RC.f32) \
  X(LE_F32, i, RB.f32 <= RC.f32) \
  X(EQ_STR, i, str(RB) == str(RC)) \
  X(NE_STR, i, str(RB) != str(RC)) \
  X(I64_TO_F64, f, rt::convert_scalar<double>(RB.i)) \
  X(I64_TO_F32, f32, rt::convert_scalar<float>(RB.i)) \
  X(I64_TO_I32, i, rt::convert_scalar<std::int32_t>(RB.i)) \
  X(F64_TO_I64, i, rt::convert_scalar<std::int64_t>(RB.f)) \
  X(F64_TO_I32, i, rt::convert_scalar<std::int32_t>(RB.f)) \
  X(F32_TO_I64, i, rt::convert_scalar<std::int64_t>(RB.f32)) \
  X(F32_TO_I32, i, rt::convert_scalar<std::int32_t>(RB.f32)) \
  X(F64_TO_F32, f32, rt::convert_scalar<float>(RB.f)) \
  X(F32_TO_F64, f, rt::convert_scalar<double>(RB.f32)) \
  X(TO_BOOL, i, rt::convert_scalar<bool>(RB.i)) \
  X(MATH_F64, f, rt::math_fn(static_cast<rt::MathFn>(i.c), RB.f)) \
  X(MATH_F32, f32, rt::math_fn(static_cast<rt::MathFn>(i.c), RB.f32)) \
  X(MIN_I, i, rt::min_value(RB.i, RC.i)) \
  X(MAX_I, i, rt::max_value(RB.i, RC.i)) \
  X(MIN_F64, f, rt::min_value(RB.f, RC.f)) \
  X(MAX_F64, f, rt::max_value(RB.f, RC.f)) \
  X(MIN_F32, f32, rt::min_value(RB.f32, RC.f32)) \
  X(MAX_F32, f32, rt::max_value(RB.f32, RC.f32)) \
  X(ABS_I64, i, rt::wrap_abs(RB.i)) \
  X(ABS_I32, i, rt::wrap_abs(i32(RB))) \
  X(CLIP_I64, i, rt::min_value(rt::max_value(RB.i, RC.i), R[i.c + 1].i)) \
  X(CLIP_F64, f, rt::min_value(rt::max_value(RB.f, RC.f), R[i.c + 1].f)) \
  X(CLIP_F32, f32, rt::min_value(rt::max_value(RB.f32, RC.f32), R[i.c + 1].f32)) \
  X(RANDOM, f, rt::random(RB.i, RC.i)) \
  X(RANDN, f, rt::randn(RB.i, RC.i)) \
  /* end */
// clang-format on
