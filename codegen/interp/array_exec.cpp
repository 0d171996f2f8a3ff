// The ARRAY instruction: one runtime call per array operation, with its operands read from the
// registers its descriptor names. Results are new references owned by the destination register.
#include <cstring>
#include <stdexcept>

#include "codegen/common/rt_ops.hpp"
#include "codegen/interp/program.hpp"
#include "runtime/array_fns.hpp"
#include "runtime/csv.hpp"
#include "runtime/elementwise.hpp"
#include "runtime/fancy_index.hpp"
#include "runtime/format.hpp"
#include "runtime/limits.hpp"
#include "runtime/linalg.hpp"
#include "runtime/mpi.hpp"
#include "runtime/npy.hpp"
#include "runtime/npy_writer.hpp"
#include "runtime/random.hpp"
#include "runtime/reduce.hpp"
#include "runtime/rules/messages.hpp"
#include "runtime/stream.hpp"
#include "runtime/strings.hpp"

namespace kestrel::interp {
namespace {

const rt::Array& arr(const Slot* R, const ArrayArg& a) {
  return *static_cast<const rt::Array*>(R[a.reg].p);
}

/// A scalar register as a runtime Value of its type.
rt::Value scalar_value(Slot s, ir::Scalar t) {
  switch (t) {
    case ir::Scalar::Bool:
      return rt::Value(s.i != 0);
    case ir::Scalar::I32:
      return rt::Value(static_cast<std::int32_t>(s.i));
    case ir::Scalar::I64:
      return rt::Value(static_cast<std::int64_t>(s.i));
    case ir::Scalar::F32:
      return rt::Value(s.f32);
    case ir::Scalar::F64:
    case ir::Scalar::Str:
      break;
  }
  return rt::Value(s.f);
}

/// Stores a runtime Value into a register of scalar type `t`.
void set_scalar(Slot& out, const rt::Value& v, ir::Scalar t) {
  rt::Value c = v.elem == codegen::rt_elem(t) ? v : v.to(codegen::rt_elem(t));
  switch (t) {
    case ir::Scalar::Bool:
      out.i = c.b ? 1 : 0;
      return;
    case ir::Scalar::I32:
      out.i = c.i32;
      return;
    case ir::Scalar::I64:
      out.i = c.i64;
      return;
    case ir::Scalar::F32:
      out.f32 = c.f32;
      return;
    case ir::Scalar::F64:
    case ir::Scalar::Str:
      out.f = c.f64;
      return;
  }
}

rt::Operand operand(const Slot* R, const ArrayArg& a) {
  if (a.type.is_array()) {
    return rt::Operand(arr(R, a));
  }
  return rt::Operand(scalar_value(R[a.reg], a.type.scalar));
}

void put(Slot& out, rt::ArrayRef r) { out.p = r.detach(); }

/// Index `i` of axis `axis` as written, wrapped when negative (rules/bounds.hpp) and checked
/// when the instruction says so; negative raises in a `parallel for`'s disjoint store.
std::int64_t axis_index(const rt::Array& a, int axis, std::int64_t i, const ArrayInstr& ai) {
  if (i < 0 && ((ai.no_wrap >> axis) & 1) != 0) {
    rt::raise(rt::negative_parallel_store_message(i));
  }
  std::int64_t w = rt::wrap_index(i, a.shape[axis]);
  if (ai.checked && !rt::index_in_bounds(w, a.shape[axis])) {
    rt::raise_index(i, axis, a.shape[axis]);
  }
  return w;
}

/// Element (i[, j]) of `a`, the indexes in the instruction's registers.
template <class T>
T& element_ref(const rt::Array& a, const Slot* R, const ArrayInstr& ai) {
  std::int64_t i = axis_index(a, 0, R[ai.args[1].reg].i, ai);
  if (a.rank == 2) {
    return a.at<T>(i, axis_index(a, 1, R[ai.args[2].reg].i, ai));
  }
  return a.at<T>(i);
}

template <class T>
T element(const rt::Array& a, const Slot* R, const ArrayInstr& ai) {
  return element_ref<T>(a, R, ai);
}

template <class T>
T apply(ir::AssignOp op, T old, T v) {
  switch (op) {
    case ir::AssignOp::Set:
      return v;
    case ir::AssignOp::Add:
      return rt::num_add(old, v);
    case ir::AssignOp::Sub:
      return rt::num_sub(old, v);
    case ir::AssignOp::Mul:
      return rt::num_mul(old, v);
    case ir::AssignOp::Div:
      return static_cast<T>(old / v);
  }
  return v;
}

void get(const ArrayInstr& ai, Slot* R, Slot& out, CompiledProgram::Impl& program) {
  const rt::Array& a = arr(R, ai.args[0]);
  switch (ai.result.scalar) {
    case ir::Scalar::Bool:
      out.i = element<bool>(a, R, ai) ? 1 : 0;
      return;
    case ir::Scalar::I32:
      out.i = element<std::int32_t>(a, R, ai);
      return;
    case ir::Scalar::I64:
      out.i = element<std::int64_t>(a, R, ai);
      return;
    case ir::Scalar::F32:
      out.f32 = element<float>(a, R, ai);
      return;
    case ir::Scalar::F64:
      out.f = element<double>(a, R, ai);
      return;
    case ir::Scalar::Str: {
      // Not a pointer into the array: it may be a temporary released right after this.
      std::lock_guard<std::mutex> lock(program.state_mutex);
      out.p = const_cast<std::string*>(
          &*program.str_pool.insert(element_ref<std::string>(a, R, ai)).first);
      return;
    }
  }
}

void set(const ArrayInstr& ai, Slot* R) {
  const rt::Array& a = arr(R, ai.args[0]);
  Slot v = R[ai.args.back().reg];
  auto op = static_cast<ir::AssignOp>(ai.op);
  switch (a.elem) {
    case rt::Elem::Bool: {
      bool& e = element_ref<bool>(a, R, ai);
      e = v.i != 0;
      return;
    }
    case rt::Elem::I32: {
      std::int32_t& e = element_ref<std::int32_t>(a, R, ai);
      e = apply<std::int32_t>(op, e, static_cast<std::int32_t>(v.i));
      return;
    }
    case rt::Elem::I64: {
      std::int64_t& e = element_ref<std::int64_t>(a, R, ai);
      e = apply<std::int64_t>(op, e, v.i);
      return;
    }
    case rt::Elem::F32: {
      float& e = element_ref<float>(a, R, ai);
      e = apply<float>(op, e, v.f32);
      return;
    }
    case rt::Elem::F64: {
      double& e = element_ref<double>(a, R, ai);
      e = apply<double>(op, e, v.f);
      return;
    }
    case rt::Elem::Str: {
      std::string& e = element_ref<std::string>(a, R, ai);
      e = *static_cast<const std::string*>(v.p);
      return;
    }
  }
}

/// The size arguments of a constructor, then its element type from the result.
rt::Shape shape_args(const ArrayInstr& ai, const Slot* R, std::size_t count) {
  if (count >= 2) {
    return rt::Shape(R[ai.args[0].reg].i, R[ai.args[1].reg].i);
  }
  return rt::Shape(R[ai.args[0].reg].i);
}

void build(const ArrayInstr& ai, Slot* R, Slot& out) {
  rt::Elem elem = codegen::rt_elem(ai.result.scalar);
  int rank = ai.result.rank;
  auto b = static_cast<ir::Builtin>(ai.op);
  switch (b) {
    case ir::Builtin::Zeros:
      put(out, rt::zeros(shape_args(ai, R, static_cast<std::size_t>(rank)), elem));
      return;
    case ir::Builtin::Ones:
      put(out, rt::ones(shape_args(ai, R, static_cast<std::size_t>(rank)), elem));
      return;
    case ir::Builtin::Empty:
      put(out, rt::empty(shape_args(ai, R, static_cast<std::size_t>(rank)), elem));
      return;
    case ir::Builtin::Full: {
      const ArrayArg& v = ai.args[static_cast<std::size_t>(rank)];
      put(out, rt::full(shape_args(ai, R, static_cast<std::size_t>(rank)),
                        scalar_value(R[v.reg], v.type.scalar), elem));
      return;
    }
    case ir::Builtin::Arange: {
      // Integer bounds, or f64 ones (the checker converted all three when any was a float).
      bool floats = ir::is_float(ai.args[0].type.scalar);
      std::size_t n = ai.args.size();
      const Slot* start = n == 1 ? nullptr : &R[ai.args[0].reg];
      const Slot& stop = R[ai.args[n == 1 ? 0 : 1].reg];
      const Slot* step = n >= 3 ? &R[ai.args[2].reg] : nullptr;
      if (floats) {
        put(out, rt::arange_f(start ? start->f : 0.0, stop.f, step ? step->f : 1.0, elem));
      } else {
        put(out, rt::arange(start ? start->i : 0, stop.i, step ? step->i : 1, elem));
      }
      return;
    }
    case ir::Builtin::Linspace:
      put(out, rt::linspace(R[ai.args[0].reg].f, R[ai.args[1].reg].f, R[ai.args[2].reg].i, elem));
      return;
    default:
      throw std::logic_error("internal error: not a constructor");
  }
}

void literal(const ArrayInstr& ai, Slot* R, Slot& out) {
  std::uint16_t base = ai.args[0].reg;
  std::size_t n = ai.literal.size();
  rt::Shape shape =
      ai.rows != 0 ? rt::Shape(ai.rows, ai.cols) : rt::Shape(static_cast<std::int64_t>(n));
  rt::Elem elem = codegen::rt_elem(ai.result.scalar);
  rt::ArrayRef a = rt::alloc(shape, elem);
  std::size_t next = 0;  // the next element of ai.dynamic
  for (std::size_t k = 0; k < n; ++k) {
    Slot s;
    if (next < ai.dynamic.size() && ai.dynamic[next] == k) {
      s = R[base + next++];
    } else {
      std::memcpy(&s, &ai.literal[k], sizeof s);
    }
    switch (elem) {
      case rt::Elem::Bool:
        a->ptr<bool>()[k] = s.i != 0;
        break;
      case rt::Elem::I32:
        a->ptr<std::int32_t>()[k] = static_cast<std::int32_t>(s.i);
        break;
      case rt::Elem::I64:
        a->ptr<std::int64_t>()[k] = s.i;
        break;
      case rt::Elem::F32:
        a->ptr<float>()[k] = s.f32;
        break;
      case rt::Elem::F64:
        a->ptr<double>()[k] = s.f;
        break;
      case rt::Elem::Str:
        a->ptr<std::string>()[k] = *static_cast<const std::string*>(s.p);
        break;
    }
  }
  put(out, std::move(a));
}

void slice(const ArrayInstr& ai, Slot* R, Slot& out) {
  const rt::Array& a = arr(R, ai.args[0]);
  std::vector<rt::SliceArg> dims;
  for (const SliceSpec& d : ai.dims) {
    if (!d.is_range) {
      dims.push_back(rt::SliceArg::at(R[d.index].i));
    } else {
      dims.push_back(rt::SliceArg::range(d.has_lo ? R[d.lo].i : rt::kOpen,
                                         d.has_hi ? R[d.hi].i : rt::kOpen,
                                         d.has_step ? R[d.step].i : 1));
    }
  }
  put(out, rt::slice(a, dims));
}

void table(const ArrayInstr& ai, Slot* R, Slot& out) {
  auto str = [&](std::size_t k) -> const std::string& {
    return *static_cast<const std::string*>(R[ai.args[k].reg].p);
  };
  switch (ai.op) {
    case 2:  // read_csv(path, sep, fill)
      out.p = rt::read_csv(str(0), str(1), R[ai.args[2].reg].f).detach();
      return;
    case 3:  // write_csv(path, t)
      rt::write_csv(str(0), *static_cast<const rt::Table*>(R[ai.args[1].reg].p));
      return;
    case 4:  // table()
      out.p = rt::table_new().detach();
      return;
    case 5:  // with_column(t, name, column)
      out.p = rt::with_column(*static_cast<const rt::Table*>(R[ai.args[0].reg].p), str(1),
                              arr(R, ai.args[2]))
                  .detach();
      return;
    case 6:  // subtable(t, columns, rows)
      out.p = rt::subtable(*static_cast<const rt::Table*>(R[ai.args[0].reg].p), arr(R, ai.args[1]),
                           arr(R, ai.args[2]))
                  .detach();
      return;
    default:
      break;
  }
  const auto& t = *static_cast<const rt::Table*>(R[ai.args[0].reg].p);
  if (ai.op == 1) {
    out.i = t.rows();
    return;
  }
  const std::string& name = *static_cast<const std::string*>(R[ai.args[1].reg].p);
  switch (static_cast<ir::ColumnKind>(ai.axis)) {
    case ir::ColumnKind::F64:
      put(out, t.f64(name));
      return;
    case ir::ColumnKind::I64:
      put(out, t.i64(name));
      return;
    case ir::ColumnKind::Codes:
      put(out, t.codes(name));
      return;
    case ir::ColumnKind::Labels:
      put(out, t.labels(name));
      return;
    case ir::ColumnKind::GroupCodes:
      put(out, t.group_codes(name));
      return;
    case ir::ColumnKind::GroupLabels:
      put(out, t.group_labels(name));
      return;
  }
}

// The str operations (runtime/strings.hpp); a str result is interned in the program's pool.
void str_op(const ArrayInstr& ai, Slot* R, Slot& out, CompiledProgram::Impl& program) {
  auto text = [&](std::size_t k) -> const std::string& {
    return *static_cast<const std::string*>(R[ai.args[k].reg].p);
  };
  std::string s;
  switch (static_cast<ir::Builtin>(ai.op)) {
    case ir::Builtin::Str: {
      const ArrayArg& a = ai.args[0];
      if (a.type.is_array()) {
        s = rt::format_array(arr(R, a));
      } else if (a.type.is_table()) {
        s = rt::format_table(*static_cast<const rt::Table*>(R[a.reg].p));
      } else {
        s = rt::format_value(scalar_value(R[a.reg], a.type.scalar));
      }
      break;
    }
    case ir::Builtin::StrConcat:
      s = text(0) + text(1);
      break;
    case ir::Builtin::Format: {
      const std::string& spec = text(1);
      Slot v = R[ai.args[0].reg];
      switch (ai.args[0].type.scalar) {
        case ir::Scalar::I64:
          s = rt::format_int_spec(v.i, spec);
          break;
        case ir::Scalar::F64:
          s = rt::format_float_spec(v.f, spec);
          break;
        default:
          s = rt::format_str_spec(text(0), spec);
          break;
      }
      break;
    }
    default: {  // StrEq, StrNe
      const ArrayArg& a = ai.args[0];
      const ArrayArg& b = ai.args[1];
      put(out, rt::str_compare(
                   a.type.is_array() ? &arr(R, a) : nullptr, a.type.is_array() ? nullptr : &text(0),
                   b.type.is_array() ? &arr(R, b) : nullptr, b.type.is_array() ? nullptr : &text(1),
                   static_cast<ir::Builtin>(ai.op) == ir::Builtin::StrNe));
      return;
    }
  }
  std::lock_guard<std::mutex> lock(program.state_mutex);
  out.p = const_cast<std::string*>(&*program.str_pool.insert(std::move(s)).first);
}

// prod … reshape (runtime/array_fns.hpp).
void array_fn(const ArrayInstr& ai, Slot* R, Slot& out) {
  auto fn = static_cast<rt::ArrayFn>(ai.op);
  const rt::Array& a = arr(R, ai.args[0]);
  bool var = fn == rt::ArrayFn::Std || fn == rt::ArrayFn::Var;
  std::int64_t d0 = var ? R[ai.args[1].reg].i : 0;
  if (ai.result.is_scalar()) {
    set_scalar(out, rt::array_fn_value(fn, a, d0), ai.result.scalar);
    return;
  }
  const rt::Array* b = fn == rt::ArrayFn::Concatenate ? &arr(R, ai.args[1]) : nullptr;
  std::int64_t d1 = 0;
  int rank = 0;
  if (fn == rt::ArrayFn::Reshape) {
    rank = static_cast<int>(ai.args.size()) - 1;
    d0 = R[ai.args[1].reg].i;
    d1 = rank == 2 ? R[ai.args[2].reg].i : 1;
  }
  put(out, rt::array_fn_array(fn, a, b, ai.axis, d0, d1, rank));
}

// npy_blocks, csv_blocks and the block loop's steps (runtime/stream.hpp).
void stream(const ArrayInstr& ai, Slot* R, Slot& out) {
  auto str = [&](std::size_t k) -> const std::string& {
    return *static_cast<const std::string*>(R[ai.args[k].reg].p);
  };
  std::int64_t h = R[ai.args[0].reg].i;
  switch (static_cast<ir::Builtin>(ai.op)) {
    case ir::Builtin::NpyBlocks:
      out.i = rt::npy_stream_open(str(0), static_cast<rt::Elem>(R[ai.args[2].reg].i),
                                  static_cast<int>(R[ai.args[3].reg].i), R[ai.args[1].reg].i);
      return;
    case ir::Builtin::CsvBlocks:
      out.i = rt::csv_stream_open(str(0), R[ai.args[1].reg].i, R[ai.args[2].reg].i,
                                  R[ai.args[3].reg].i);
      return;
    case ir::Builtin::StreamNext:
      out.i = rt::stream_next(h) ? 1 : 0;
      return;
    case ir::Builtin::StreamBlock:
      if (ai.result.is_table()) {
        out.p = rt::stream_table(h).detach();
      } else {
        put(out, rt::stream_array(h));
      }
      return;
    case ir::Builtin::NpyAppend:
      rt::npy_append(str(0), arr(R, ai.args[1]));
      return;
    case ir::Builtin::NpyFinish:
      rt::npy_finish(str(0));
      return;
    default:
      rt::stream_close(h);
      return;
  }
}

// rank, ranks and the collectives (runtime/mpi.hpp): args x, fn (rt::MpiFn), root.
void mpi(const ArrayInstr& ai, Slot* R, Slot& out) {
  auto b = static_cast<ir::Builtin>(ai.op);
  if (b == ir::Builtin::MpiRank || b == ir::Builtin::MpiRanks) {
    out.i = b == ir::Builtin::MpiRank ? rt::mpi_rank() : rt::mpi_ranks();
    return;
  }
  auto fn = static_cast<rt::MpiFn>(R[ai.args[1].reg].i);
  std::int64_t root = R[ai.args[2].reg].i;
  const ArrayArg& x = ai.args[0];
  if (x.type.is_array()) {
    put(out, rt::mpi_array(fn, arr(R, x), root));
  } else if (ai.result.is_array()) {
    put(out, rt::mpi_gather_scalar(scalar_value(R[x.reg], x.type.scalar)));
  } else {
    set_scalar(out, rt::mpi_scalar(fn, scalar_value(R[x.reg], x.type.scalar), root),
               ai.result.scalar);
  }
}

}  // namespace

void exec_array(const ArrayInstr& ai, Slot* R, std::uint16_t dst, CompiledProgram::Impl& program) {
  rt::poll();  // array operations stop a loop whose back-edges are too few to poll often
  Slot& out = R[dst];
  switch (ai.kind) {
    case ArrayKind::Binary: {
      rt::Operand a = operand(R, ai.args[0]);
      rt::Operand b = operand(R, ai.args[1]);
      put(out, rt::binary(static_cast<rt::BinOp>(ai.op), a, b));
      return;
    }
    case ArrayKind::Unary:
      put(out, rt::unary(static_cast<rt::UnOp>(ai.op), arr(R, ai.args[0])));
      return;
    case ArrayKind::Convert:
      put(out, rt::convert(arr(R, ai.args[0]), codegen::rt_elem(ai.result.scalar)));
      return;
    case ArrayKind::Get:
      get(ai, R, out, program);
      return;
    case ArrayKind::Set:
      set(ai, R);
      return;
    case ArrayKind::Slice:
      slice(ai, R, out);
      return;
    case ArrayKind::Transpose:
      put(out, rt::transpose(arr(R, ai.args[0])));
      return;
    case ArrayKind::StoreView:
      rt::store(arr(R, ai.args[0]), static_cast<rt::StoreOp>(ai.op), operand(R, ai.args[1]));
      return;
    case ArrayKind::Build:
      build(ai, R, out);
      return;
    case ArrayKind::Literal:
      literal(ai, R, out);
      return;
    case ArrayKind::Reduce: {
      const rt::Array& a = arr(R, ai.args[0]);
      auto op = static_cast<rt::ReduceOp>(ai.op);
      if (ai.axis >= 0) {
        put(out, rt::reduce_axis(op, a, ai.axis));
      } else {
        set_scalar(out, rt::reduce(op, a), ai.result.scalar);
      }
      return;
    }
    case ArrayKind::Dot:
      if (ai.axis >= 0) {
        put(out, rt::dot(arr(R, ai.args[0]), arr(R, ai.args[1]), ai.axis));
      } else {
        set_scalar(out, rt::dot(arr(R, ai.args[0]), arr(R, ai.args[1])), ai.result.scalar);
      }
      return;
    case ArrayKind::MatMul:
      if (ai.result.is_array()) {
        put(out, rt::matmul(arr(R, ai.args[0]), arr(R, ai.args[1])));
      } else {
        set_scalar(out, rt::matmul_vv(arr(R, ai.args[0]), arr(R, ai.args[1])), ai.result.scalar);
      }
      return;
    case ArrayKind::Len: {
      const rt::Array& a = arr(R, ai.args[0]);
      int axis = ai.args.size() > 1 ? static_cast<int>(R[ai.args[1].reg].i) : 0;
      if (!rt::axis_in_bounds(axis, a.rank)) {
        throw rt::RuntimeError(rt::axis_message(axis, a.rank));
      }
      out.i = a.shape[axis];
      return;
    }
    case ArrayKind::Copy:
      put(out, rt::copy(arr(R, ai.args[0])));
      return;
    case ArrayKind::Where:
      put(out, rt::where(operand(R, ai.args[0]), operand(R, ai.args[1]), operand(R, ai.args[2])));
      return;
    case ArrayKind::Clip:
      put(out, rt::clip(operand(R, ai.args[0]), operand(R, ai.args[1]), operand(R, ai.args[2])));
      return;
    case ArrayKind::Rand: {
      bool normal = static_cast<ir::Builtin>(ai.op) == ir::Builtin::RandnArray;
      std::size_t n = ai.args.size();
      rt::Shape shape = n >= 3 ? rt::Shape(R[ai.args[0].reg].i, R[ai.args[1].reg].i)
                               : rt::Shape(R[ai.args[0].reg].i);
      std::int64_t key = R[ai.args[n - 1].reg].i;
      put(out, normal ? rt::randn_array(shape, key) : rt::rand_array(shape, key));
      return;
    }
    case ArrayKind::Table:
      table(ai, R, out);
      return;
    case ArrayKind::Assert:
      if (R[ai.args[0].reg].i == 0) {
        rt::raise(*static_cast<const std::string*>(R[ai.args[1].reg].p));
      }
      return;
    case ArrayKind::Str:
      str_op(ai, R, out, program);
      return;
    case ArrayKind::Npy: {
      const std::string& path = *static_cast<const std::string*>(R[ai.args[0].reg].p);
      if (static_cast<ir::Builtin>(ai.op) == ir::Builtin::SaveNpy) {
        rt::save_npy(path, arr(R, ai.args[1]));
      } else {
        put(out, rt::load_npy(path, codegen::rt_elem(ai.result.scalar), ai.result.rank));
      }
      return;
    }
    case ArrayKind::ArrayFn:
      array_fn(ai, R, out);
      return;
    case ArrayKind::Stream:
      stream(ai, R, out);
      return;
    case ArrayKind::Mpi:
      mpi(ai, R, out);
      return;
    case ArrayKind::Fancy:
      if (ai.op == 0) {
        put(out, rt::fancy_get(arr(R, ai.args[0]), arr(R, ai.args[1])));
      } else {
        rt::fancy_set(arr(R, ai.args[0]), arr(R, ai.args[1]), static_cast<rt::StoreOp>(ai.op - 1),
                      operand(R, ai.args[2]));
      }
      return;
    case ArrayKind::Keep:
      rt::keep_array(R[ai.args[0].reg].i, static_cast<rt::Array*>(R[ai.args[1].reg].p));
      return;
  }
}

}  // namespace kestrel::interp
