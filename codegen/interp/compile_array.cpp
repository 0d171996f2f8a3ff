// Builtin calls and array operations: scalar builtins get their own opcodes, everything that
// touches an array or a table becomes one ARRAY instruction with its descriptor.

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "codegen/common/rt_ops.hpp"
#include "codegen/interp/compiler.hpp"

namespace kestrel::interp {

void FnCompiler::print_items(Type t, std::string before, std::string after,
                             std::vector<PrintItem>& out) {
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

void FnCompiler::builtin(Type t, const ir::BuiltinCall& c, std::uint16_t dst) {
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
    case Builtin::Print:
    case Builtin::PrintWith: {
      // print_with's last two arguments are its sep and end, constants laid out here.
      bool with = c.builtin == Builtin::PrintWith;
      std::size_t count = c.args.size() - (with ? 2 : 0);
      std::string sep = with ? std::get<ir::StrConst>(ex(c.args[count]).kind).value : " ";
      PrintLayout layout;
      layout.end = with ? std::get<ir::StrConst>(ex(c.args[count + 1]).kind).value : "\n";
      std::uint32_t n = 0;
      for (std::size_t k = 0; k < count; ++k) {
        n += slots(type(c.args[k]));
        print_items(type(c.args[k]), k > 0 ? sep : "", "", layout.items);
      }
      std::uint16_t base = alloc(std::max<std::uint32_t>(n, 1));
      std::uint16_t at = base;
      std::vector<Operand> owned;
      for (std::size_t j = 0; j < count; ++j) {
        ExprId a = c.args[j];
        into(a, at);
        std::vector<Type> flat;
        flat_types(type(a), flat);
        for (std::size_t k = 0; k < flat.size(); ++k) {
          if (is_ref(flat[k])) {
            owned.push_back(Operand{static_cast<std::uint16_t>(at + k), true, flat[k].is_table()});
          }
        }
        at = static_cast<std::uint16_t>(at + slots(type(a)));
        free_ = std::max<std::uint32_t>(free_, at);
      }
      out_.prints.push_back(std::move(layout));
      emit(Op::PRINT, base, static_cast<std::uint32_t>(count),
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
      case Builtin::Tan:
        return scalar1(Math1::Tan);
      case Builtin::Log10:
        return scalar1(Math1::Log10);
      case Builtin::Log2:
        return scalar1(Math1::Log2);
      case Builtin::Ceil:
        return scalar1(Math1::Ceil);
      case Builtin::Round:
        return scalar1(Math1::Round);
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

void FnCompiler::array_op(std::uint16_t dst, ArrayInstr ai) {
  ai.checked = !fn_.unchecked;
  out_.array_ops.push_back(std::move(ai));
  emit_bx(Op::ARRAY, dst, static_cast<std::uint32_t>(out_.array_ops.size() - 1));
}

std::vector<Operand> FnCompiler::array_args(const std::vector<ExprId>& ids, ArrayInstr& ai) {
  std::vector<Operand> ops;
  for (ExprId id : ids) {
    Operand o = operand(id);
    ops.push_back(o);
    ai.args.push_back(ArrayArg{o.reg, type(id)});
  }
  return ops;
}

void FnCompiler::array_binary_like(ArrayKind kind, std::uint8_t op, ExprId l, ExprId r, Type t,
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

void FnCompiler::array_builtin(Type t, const ir::BuiltinCall& c, std::uint16_t dst) {
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
    case Builtin::Floor:
    case Builtin::Tan:
    case Builtin::Log10:
    case Builtin::Log2:
    case Builtin::Ceil:
    case Builtin::Round:
      ai.kind = ArrayKind::Unary;
      ai.op = static_cast<std::uint8_t>(codegen::rt_builtin(c.builtin).unop);
      break;
    case Builtin::Minimum:
    case Builtin::Maximum:
      ai.kind = ArrayKind::Binary;
      ai.op = static_cast<std::uint8_t>(codegen::rt_builtin(c.builtin).binop);
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
    case Builtin::All:
      ai.kind = ArrayKind::Reduce;
      ai.op = static_cast<std::uint8_t>(codegen::rt_builtin(c.builtin).reduce);
      break;
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
    case Builtin::WriteCsv:  // table ops 3 to 6 (array_exec.cpp's table())
    case Builtin::TableNew:
    case Builtin::WithColumn:
    case Builtin::SubTable:
      ai.kind = ArrayKind::Table;
      ai.op = c.builtin == Builtin::WriteCsv     ? 3
              : c.builtin == Builtin::TableNew   ? 4
              : c.builtin == Builtin::WithColumn ? 5
                                                 : 6;
      break;
    case Builtin::Assert:
      ai.kind = ArrayKind::Assert;
      break;
    case Builtin::Str:
    case Builtin::StrConcat:
    case Builtin::Format:
    case Builtin::StrEq:
    case Builtin::StrNe:
      ai.kind = ArrayKind::Str;
      break;
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
      // rt::ArrayFn lists these in ir::Builtin's order from Prod.
      ai.kind = ArrayKind::ArrayFn;
      ai.op =
          static_cast<std::uint8_t>(static_cast<int>(c.builtin) - static_cast<int>(Builtin::Prod));
      break;
    case Builtin::NpyBlocks:
    case Builtin::CsvBlocks:
    case Builtin::StreamNext:
    case Builtin::StreamBlock:
    case Builtin::StreamClose:
    case Builtin::NpyAppend:
    case Builtin::NpyFinish:
      ai.kind = ArrayKind::Stream;
      break;
    case Builtin::MpiRank:
    case Builtin::MpiRanks:
    case Builtin::Allreduce:
    case Builtin::Broadcast:
    case Builtin::Gather:
      ai.kind = ArrayKind::Mpi;
      break;
    case Builtin::FancyGet:
      ai.kind = ArrayKind::Fancy;
      ai.op = 0;  // a read (a store's op is 1 + its rt::StoreOp)
      break;
    case Builtin::ReplKeep:
      ai.kind = ArrayKind::Keep;
      break;
    case Builtin::Print:  // builtin() compiles these itself
    case Builtin::Random:
    case Builtin::Randn:
    case Builtin::RandomStream:
    case Builtin::RandnStream:
    case Builtin::Seed:
    case Builtin::Index:
    case Builtin::Clock:
    case Builtin::PrintWith:
      throw std::runtime_error(std::string("internal error: builtin ") +
                               ir::builtin_name(c.builtin) + " reached array_builtin");
  }
  std::vector<Operand> ops = array_args(c.args, ai);
  array_op(dst, std::move(ai));
  for (Operand o : ops) {
    drop(o);
  }
}

void FnCompiler::table_op(Type t, std::uint8_t op, ExprId table, ExprId name, std::uint8_t column,
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

void FnCompiler::index_get(Type t, const ir::Index& ix, std::uint16_t dst) {
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

void FnCompiler::slice(Type t, const ir::SliceView& s, std::uint16_t dst) {
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
      if (d.step.valid()) {
        spec.has_step = true;
        spec.step = operand(d.step).reg;
      }
    }
    ai.dims.push_back(spec);
  }
  array_op(dst, std::move(ai));
  drop(base);
}

void FnCompiler::array_literal(Type t, const ir::ArrayLit& a, std::uint16_t dst) {
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

}  // namespace kestrel::interp
