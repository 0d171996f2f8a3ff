#pragma once
// The one map from the IR's operators and builtins to the runtime's operator codes
// (runtime/elementwise.hpp, runtime/reduce.hpp), for every backend that hands an array
// operation to the runtime. Exhaustive switches: a new IR operator fails the build here
// (-Wswitch) until it is mapped. Everything is constexpr and checked below at compile time.
#include <optional>

#include "dsl/ir/ir.hpp"
#include "runtime/elementwise.hpp"
#include "runtime/reduce.hpp"
#include "runtime/rules/combine.hpp"

namespace kestrel::codegen {

/// The runtime's elementwise operator for a binary IR operator. `and` / `or` short-circuit and
/// never reach the runtime: they have none (nullopt).
constexpr std::optional<rt::BinOp> rt_binop(ir::BinaryOp op) {
  using B = ir::BinaryOp;
  switch (op) {
    case B::Add:
      return rt::BinOp::Add;
    case B::Sub:
      return rt::BinOp::Sub;
    case B::Mul:
      return rt::BinOp::Mul;
    case B::Div:
      return rt::BinOp::Div;
    case B::FloorDiv:
      return rt::BinOp::FloorDiv;
    case B::Mod:
      return rt::BinOp::Mod;
    case B::Pow:
      return rt::BinOp::Pow;
    case B::Eq:
      return rt::BinOp::Eq;
    case B::Ne:
      return rt::BinOp::Ne;
    case B::Lt:
      return rt::BinOp::Lt;
    case B::Le:
      return rt::BinOp::Le;
    case B::Gt:
      return rt::BinOp::Gt;
    case B::Ge:
      return rt::BinOp::Ge;
    case B::BitAnd:
      return rt::BinOp::BitAnd;
    case B::BitOr:
      return rt::BinOp::BitOr;
    case B::BitXor:
      return rt::BinOp::BitXor;
    case B::Shl:
      return rt::BinOp::Shl;
    case B::Shr:
      return rt::BinOp::Shr;
    case B::And:
    case B::Or:
      break;
  }
  return std::nullopt;
}

/// The runtime's elementwise operator for a unary IR operator.
constexpr rt::UnOp rt_unop(ir::UnaryOp op) {
  switch (op) {
    case ir::UnaryOp::Neg:
      return rt::UnOp::Neg;
    case ir::UnaryOp::Not:
      return rt::UnOp::Not;
    case ir::UnaryOp::BitNot:
      return rt::UnOp::BitNot;
  }
  return rt::UnOp::Neg;
}

/// An element type as the runtime names it.
constexpr rt::Elem rt_elem(ir::Scalar s) {
  switch (s) {
    case ir::Scalar::Bool:
      return rt::Elem::Bool;
    case ir::Scalar::I32:
      return rt::Elem::I32;
    case ir::Scalar::I64:
      return rt::Elem::I64;
    case ir::Scalar::F32:
      return rt::Elem::F32;
    case ir::Scalar::F64:
      return rt::Elem::F64;
    case ir::Scalar::Str:
      return rt::Elem::Str;
  }
  return rt::Elem::F64;
}

/// The runtime's combine operator for a `parallel for` reduction (runtime/rules/combine.hpp).
constexpr rt::CombineOp rt_combine(ir::ReduceOp op) {
  switch (op) {
    case ir::ReduceOp::Add:
      return rt::CombineOp::Add;
    case ir::ReduceOp::Mul:
      return rt::CombineOp::Mul;
    case ir::ReduceOp::Min:
      return rt::CombineOp::Min;
    case ir::ReduceOp::Max:
      return rt::CombineOp::Max;
  }
  return rt::CombineOp::Add;
}

// The backends pass a reduction's operator to the runtime as its ir::ReduceOp number.
static_assert(
    static_cast<int>(rt_combine(ir::ReduceOp::Add)) == static_cast<int>(ir::ReduceOp::Add) &&
    static_cast<int>(rt_combine(ir::ReduceOp::Mul)) == static_cast<int>(ir::ReduceOp::Mul) &&
    static_cast<int>(rt_combine(ir::ReduceOp::Min)) == static_cast<int>(ir::ReduceOp::Min) &&
    static_cast<int>(rt_combine(ir::ReduceOp::Max)) == static_cast<int>(ir::ReduceOp::Max));

/// The operator `x op= e` applies: `x = x op e` (nullopt for plain `=`).
constexpr std::optional<ir::BinaryOp> assign_binop(ir::AssignOp op) {
  switch (op) {
    case ir::AssignOp::Set:
      return std::nullopt;
    case ir::AssignOp::Add:
      return ir::BinaryOp::Add;
    case ir::AssignOp::Sub:
      return ir::BinaryOp::Sub;
    case ir::AssignOp::Mul:
      return ir::BinaryOp::Mul;
    case ir::AssignOp::Div:
      return ir::BinaryOp::Div;
  }
  return std::nullopt;
}

/// The runtime's store operator for `view op= value`.
constexpr rt::StoreOp rt_store_op(ir::AssignOp op) {
  switch (op) {
    case ir::AssignOp::Set:
      return rt::StoreOp::Set;
    case ir::AssignOp::Add:
      return rt::StoreOp::Add;
    case ir::AssignOp::Sub:
      return rt::StoreOp::Sub;
    case ir::AssignOp::Mul:
      return rt::StoreOp::Mul;
    case ir::AssignOp::Div:
      return rt::StoreOp::Div;
  }
  return rt::StoreOp::Set;
}

/// What a builtin is to the runtime's elementwise and reduction operators: a unary math
/// function (exp … floor), an elementwise binary one (minimum, maximum), a reduction
/// (sum … all), or none of these (kind None).
struct RtBuiltin {
  enum class Kind { None, Unary, Binary, Reduce };
  Kind kind = Kind::None;
  rt::UnOp unop = rt::UnOp::Neg;
  rt::BinOp binop = rt::BinOp::Add;
  rt::ReduceOp reduce = rt::ReduceOp::Sum;
};

constexpr RtBuiltin rt_builtin(ir::Builtin b) {
  using K = RtBuiltin::Kind;
  auto un = [](rt::UnOp op) { return RtBuiltin{K::Unary, op, rt::BinOp::Add, rt::ReduceOp::Sum}; };
  auto bin = [](rt::BinOp op) {
    return RtBuiltin{K::Binary, rt::UnOp::Neg, op, rt::ReduceOp::Sum};
  };
  auto red = [](rt::ReduceOp op) {
    return RtBuiltin{K::Reduce, rt::UnOp::Neg, rt::BinOp::Add, op};
  };
  using ir::Builtin;
  switch (b) {
    case Builtin::Exp:
      return un(rt::UnOp::Exp);
    case Builtin::Log:
      return un(rt::UnOp::Log);
    case Builtin::Sqrt:
      return un(rt::UnOp::Sqrt);
    case Builtin::Abs:
      return un(rt::UnOp::Abs);
    case Builtin::Sin:
      return un(rt::UnOp::Sin);
    case Builtin::Cos:
      return un(rt::UnOp::Cos);
    case Builtin::Tanh:
      return un(rt::UnOp::Tanh);
    case Builtin::Sigmoid:
      return un(rt::UnOp::Sigmoid);
    case Builtin::Floor:
      return un(rt::UnOp::Floor);
    case Builtin::Minimum:
      return bin(rt::BinOp::Min);
    case Builtin::Maximum:
      return bin(rt::BinOp::Max);
    case Builtin::Sum:
      return red(rt::ReduceOp::Sum);
    case Builtin::Mean:
      return red(rt::ReduceOp::Mean);
    case Builtin::Min:
      return red(rt::ReduceOp::Min);
    case Builtin::Max:
      return red(rt::ReduceOp::Max);
    case Builtin::Argmin:
      return red(rt::ReduceOp::Argmin);
    case Builtin::Argmax:
      return red(rt::ReduceOp::Argmax);
    case Builtin::Count:
      return red(rt::ReduceOp::Count);
    case Builtin::Any:
      return red(rt::ReduceOp::Any);
    case Builtin::All:
      return red(rt::ReduceOp::All);
    case Builtin::Print:
    case Builtin::Len:
    case Builtin::Shape:
    case Builtin::Copy:
    case Builtin::Zeros:
    case Builtin::Ones:
    case Builtin::Full:
    case Builtin::Empty:
    case Builtin::Arange:
    case Builtin::Linspace:
    case Builtin::Clip:
    case Builtin::Where:
    case Builtin::Dot:
    case Builtin::Random:
    case Builtin::Randn:
    case Builtin::RandomStream:
    case Builtin::RandnStream:
    case Builtin::Seed:
    case Builtin::RandArray:
    case Builtin::RandnArray:
    case Builtin::Index:
    case Builtin::ReadCsv:
    case Builtin::LoadNpy:
    case Builtin::SaveNpy:
    case Builtin::Clock:
    case Builtin::WriteCsv:
    case Builtin::TableNew:
    case Builtin::WithColumn:
    case Builtin::SubTable:
    case Builtin::Assert:
    case Builtin::Str:
    case Builtin::StrConcat:
    case Builtin::Format:
    case Builtin::StrEq:
    case Builtin::StrNe:
    case Builtin::PrintWith:
      break;
    case Builtin::Tan:
      return un(rt::UnOp::Tan);
    case Builtin::Log10:
      return un(rt::UnOp::Log10);
    case Builtin::Log2:
      return un(rt::UnOp::Log2);
    case Builtin::Ceil:
      return un(rt::UnOp::Ceil);
    case Builtin::Round:
      return un(rt::UnOp::Round);
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
    case Builtin::NpyBlocks:
    case Builtin::CsvBlocks:
    case Builtin::StreamNext:
    case Builtin::StreamBlock:
    case Builtin::StreamClose:
    case Builtin::NpyAppend:
    case Builtin::NpyFinish:
    case Builtin::MpiRank:
    case Builtin::MpiRanks:
    case Builtin::Allreduce:
    case Builtin::Broadcast:
    case Builtin::Gather:
    case Builtin::FancyGet:
    case Builtin::ReplKeep:
      break;
  }
  return RtBuiltin{};
}

// and/or have no runtime operator; array_exec.cpp reads a StoreView's op as rt::StoreOp and a
// StoreIndex's as ir::AssignOp, so the two enums must agree.
static_assert(!rt_binop(ir::BinaryOp::And) && !rt_binop(ir::BinaryOp::Or));
static_assert(static_cast<int>(rt_store_op(ir::AssignOp::Add)) ==
                  static_cast<int>(ir::AssignOp::Add) &&
              static_cast<int>(rt_store_op(ir::AssignOp::Div)) ==
                  static_cast<int>(ir::AssignOp::Div));

}  // namespace kestrel::codegen
