// codegen/common: the IR-to-runtime operator map (rt_ops.hpp) and the value<->slot marshalling
// both backends share (marshal.hpp), on the interpreter's Slot and the JIT's int64_t word.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>
#include <vector>

#include "codegen/common/marshal.hpp"
#include "codegen/common/rt_ops.hpp"
#include "codegen/interp/bytecode.hpp"
#include "runtime/array.hpp"

namespace kestrel::codegen {
namespace {

using ir::Type;

TEST(RtOps, EveryBinaryOperatorButShortCircuitMapsToItsOwnRuntimeOperator) {
  std::set<rt::BinOp> seen;
  for (int k = 0; k <= static_cast<int>(ir::BinaryOp::Shr); ++k) {
    auto op = static_cast<ir::BinaryOp>(k);
    std::optional<rt::BinOp> r = rt_binop(op);
    if (op == ir::BinaryOp::And || op == ir::BinaryOp::Or) {
      EXPECT_FALSE(r) << k;
      continue;
    }
    ASSERT_TRUE(r) << k;
    EXPECT_TRUE(seen.insert(*r).second) << "two IR operators share runtime operator " << k;
    EXPECT_NE(*r, rt::BinOp::Min);  // min/max come from builtins, not operators
    EXPECT_NE(*r, rt::BinOp::Max);
  }
  EXPECT_EQ(seen.size(), 18u);
  EXPECT_EQ(*rt_binop(ir::BinaryOp::FloorDiv), rt::BinOp::FloorDiv);
  EXPECT_EQ(*rt_binop(ir::BinaryOp::Mod), rt::BinOp::Mod);
  EXPECT_EQ(*rt_binop(ir::BinaryOp::Ge), rt::BinOp::Ge);
  EXPECT_EQ(*rt_binop(ir::BinaryOp::BitAnd), rt::BinOp::BitAnd);
  EXPECT_EQ(*rt_binop(ir::BinaryOp::Shr), rt::BinOp::Shr);
}

TEST(RtOps, UnaryAndAssignmentOperators) {
  EXPECT_EQ(rt_unop(ir::UnaryOp::Neg), rt::UnOp::Neg);
  EXPECT_EQ(rt_unop(ir::UnaryOp::Not), rt::UnOp::Not);
  EXPECT_EQ(rt_unop(ir::UnaryOp::BitNot), rt::UnOp::BitNot);
  EXPECT_FALSE(assign_binop(ir::AssignOp::Set));
  EXPECT_EQ(assign_binop(ir::AssignOp::Add), ir::BinaryOp::Add);
  EXPECT_EQ(assign_binop(ir::AssignOp::Sub), ir::BinaryOp::Sub);
  EXPECT_EQ(assign_binop(ir::AssignOp::Mul), ir::BinaryOp::Mul);
  EXPECT_EQ(assign_binop(ir::AssignOp::Div), ir::BinaryOp::Div);
  EXPECT_EQ(rt_store_op(ir::AssignOp::Set), rt::StoreOp::Set);
  EXPECT_EQ(rt_store_op(ir::AssignOp::Mul), rt::StoreOp::Mul);
}

TEST(RtOps, BuiltinsCoverEachRuntimeMathFunctionAndReductionOnce) {
  std::set<rt::UnOp> unary;
  std::set<rt::BinOp> binary;
  std::set<rt::ReduceOp> reduce;
  for (int k = 0; k <= static_cast<int>(ir::Builtin::Clock); ++k) {
    RtBuiltin r = rt_builtin(static_cast<ir::Builtin>(k));
    switch (r.kind) {
      case RtBuiltin::Kind::Unary:
        EXPECT_TRUE(unary.insert(r.unop).second) << k;
        break;
      case RtBuiltin::Kind::Binary:
        EXPECT_TRUE(binary.insert(r.binop).second) << k;
        break;
      case RtBuiltin::Kind::Reduce:
        EXPECT_TRUE(reduce.insert(r.reduce).second) << k;
        break;
      case RtBuiltin::Kind::None:
        break;
    }
  }
  // Every runtime math function (UnOp after the three operators) and every reduction.
  EXPECT_EQ(unary.size(), static_cast<std::size_t>(rt::UnOp::Floor) - 2);
  EXPECT_EQ(unary.count(rt::UnOp::Neg) + unary.count(rt::UnOp::Not), 0u);
  EXPECT_EQ(binary, (std::set<rt::BinOp>{rt::BinOp::Min, rt::BinOp::Max}));
  EXPECT_EQ(reduce.size(), static_cast<std::size_t>(rt::ReduceOp::All) + 1);
  EXPECT_EQ(rt_builtin(ir::Builtin::Sigmoid).unop, rt::UnOp::Sigmoid);
  EXPECT_EQ(rt_builtin(ir::Builtin::Minimum).binop, rt::BinOp::Min);
  EXPECT_EQ(rt_builtin(ir::Builtin::Argmax).reduce, rt::ReduceOp::Argmax);
  EXPECT_EQ(rt_builtin(ir::Builtin::Dot).kind, RtBuiltin::Kind::None);
}

/// Both slot types get the same bits for `v`, and the value reads back as `v`.
Value round_trip(Type t, const Value& v) {
  auto word = arg_slot<std::int64_t>(t, v);
  auto slot = arg_slot<interp::Slot>(t, v);
  EXPECT_EQ(std::bit_cast<std::int64_t>(slot), word);
  Value a = slot_value(t, slot);
  Value b = slot_value(t, word);
  EXPECT_EQ(a.i, b.i);
  EXPECT_EQ(std::bit_cast<std::uint64_t>(a.f), std::bit_cast<std::uint64_t>(b.f));
  return a;
}

TEST(Marshal, ScalarsKeepTheirBitsOnBothSlotKinds) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(round_trip(Type::i64(), Value::of_i64(kMin)).i, kMin);
  EXPECT_EQ(round_trip(Type::i64(), Value::of_i64(-1)).i, -1);
  EXPECT_EQ(round_trip(Type::i32(), Value::of_i32(-7)).i, -7);
  EXPECT_EQ(round_trip(Type::boolean(), Value::of_bool(true)).i, 1);
  Value wide = Value::of_bool(true);
  wide.i = 42;  // any nonzero is true
  EXPECT_EQ(arg_slot<std::int64_t>(Type::boolean(), wide), 1);
  Value neg_zero = round_trip(Type::f64(), Value::of_f64(-0.0));
  EXPECT_TRUE(std::signbit(neg_zero.f));
  EXPECT_TRUE(std::isnan(round_trip(Type::f64(), Value::of_f64(std::nan(""))).f));
  EXPECT_EQ(round_trip(Type::f64(), Value::of_f64(5e-324)).f, 5e-324);
  EXPECT_EQ(round_trip(Type::f32(), Value::of_f32(1.5f)).f, 1.5);
  // f32 lies in the slot's first 4 bytes, the rest zero.
  EXPECT_EQ(arg_slot<std::int64_t>(Type::f32(), Value::of_f32(1.0f)),
            std::int64_t{std::bit_cast<std::uint32_t>(1.0f)});
  EXPECT_EQ(round_trip(Type::f32(), Value::of_f32(-INFINITY)).f, -INFINITY);
}

TEST(Marshal, ArraysPassBorrowedAndReturnOwned) {
  rt::ArrayRef a = rt::zeros(rt::Shape(3));
  Value v;
  v.type = Type::array_of(ir::Scalar::F64, 1);
  v.array = ArrayRef(a.get());
  rt::retain(a.get());  // v's reference
  ASSERT_EQ(a->refs, 2);
  auto word = arg_slot<std::int64_t>(v.type, v);
  EXPECT_EQ(std::bit_cast<rt::Array*>(word), a.get());
  EXPECT_EQ(a->refs, 2);  // borrowed
  rt::retain(a.get());    // the result slot's reference, which slot_value takes over
  {
    Value r = slot_value(v.type, word);
    EXPECT_EQ(r.array.handle(), a.get());
    EXPECT_EQ(a->refs, 3);
  }
  EXPECT_EQ(a->refs, 2);
}

TEST(Marshal, ArgumentsThatDoNotFitAreRejected) {
  EXPECT_THROW(arg_slot<std::int64_t>(Type::i64(), Value::of_f64(1)), std::invalid_argument);
  Value null_array;
  null_array.type = Type::array_of(ir::Scalar::I64, 1);
  EXPECT_THROW(arg_slot<std::int64_t>(null_array.type, null_array), std::invalid_argument);
  // A str is passed as a pointer to the Value's own text (borrowed for the call).
  Value s;
  s.type = Type::str();
  s.str = "text";
  auto word = arg_slot<std::int64_t>(Type::str(), s);
  const std::string* text = nullptr;
  std::memcpy(&text, &word, sizeof(text));
  EXPECT_EQ(text, &s.str);
  EXPECT_THROW(arg_slot<std::int64_t>(Type::str(), Value::of_f64(1)), std::invalid_argument);
  ir::TypeTable types;
  Type pair = types.tuple({Type::i64(), Type::f64()});
  Value t;
  t.type = pair;
  EXPECT_THROW(arg_slot<std::int64_t>(pair, t), std::invalid_argument);
  EXPECT_NO_THROW(check_arity("f", 2, 2));
  try {
    check_arity("f", 2, 3);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "f takes 2 arguments, got 3");
  }
}

TEST(Marshal, ResultsVoidScalarAndTuple) {
  std::int64_t none = 0;
  EXPECT_TRUE(result_value(Type::void_(), {}, &none).type.is_void());
  std::vector<std::int64_t> out{-3, std::bit_cast<std::int64_t>(2.5)};
  Value one = result_value(Type::i64(), {}, out.data());
  EXPECT_EQ(one.i, -3);
  ir::TypeTable types;
  Type pair = types.tuple({Type::i64(), Type::f64()});
  std::vector<Type> flat{Type::i64(), Type::f64()};
  Value tuple = result_value(pair, flat, out.data());
  ASSERT_EQ(tuple.elems.size(), 2u);
  EXPECT_EQ(tuple.type, pair);
  EXPECT_EQ(tuple.elems[0].i, -3);
  EXPECT_EQ(tuple.elems[1].f, 2.5);
  std::string text = "hi";
  Value str = slot_value(Type::str(), std::bit_cast<std::int64_t>(&text));
  EXPECT_EQ(str.str, "hi");
}

}  // namespace
}  // namespace kestrel::codegen
