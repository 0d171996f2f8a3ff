#pragma once
// Values across the C++ boundary, written once for every backend: a call()'s arguments become
// 8-byte slots and its results come back as Values. Both backends lay a slot out alike (the
// interpreter's Slot union, the JIT's int64_t word): bool/i32/i64 as int64_t, f64 as double,
// f32 as float in the first 4 bytes (the rest zero), str, arrays and tables as pointers.
// SlotT is any trivially copyable 8-byte type; the conversions are std::bit_cast, so this costs
// a call nothing over the hand-written twins it replaces.
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "codegen/common/backend.hpp"
#include "dsl/ir/ir.hpp"
#include "runtime/csv.hpp"

namespace kestrel::codegen {

/// Throws std::invalid_argument unless a call of `name` (with `nparams` parameters) got as many
/// arguments.
inline void check_arity(const std::string& name, std::size_t nparams, std::size_t nargs) {
  if (nargs != nparams) {
    throw std::invalid_argument(name + " takes " + std::to_string(nparams) + " arguments, got " +
                                std::to_string(nargs));
  }
}

/// The slot of argument `v` for a parameter of type `t`. An array is passed as its handle,
/// borrowed (a backend whose callee takes the reference retains it); a str as a pointer to the
/// Value's text, borrowed. Throws
/// std::invalid_argument when `v` does not fit `t`, for tuples and for types call() does not take.
template <class SlotT>
SlotT arg_slot(const ir::Type& t, const Value& v) {
  static_assert(sizeof(SlotT) == 8 && std::is_trivially_copyable_v<SlotT>);
  if (t.is_tuple()) {
    throw std::invalid_argument("tuple arguments are not supported by call()");
  }
  if (!(v.type == t)) {
    throw std::invalid_argument("argument type does not match the parameter");
  }
  std::int64_t s = 0;
  if (t.is_array()) {
    if (v.array.empty()) {
      throw std::invalid_argument("null array argument");
    }
    void* h = v.array.handle();
    std::memcpy(&s, &h, sizeof(h));
  } else if (t.scalar == ir::Scalar::F64) {
    std::memcpy(&s, &v.f, 8);
  } else if (t.scalar == ir::Scalar::F32) {
    float f = static_cast<float>(v.f);
    std::memcpy(&s, &f, 4);
  } else if (t.scalar == ir::Scalar::I32) {
    s = static_cast<std::int32_t>(v.i);
  } else if (t.scalar == ir::Scalar::Bool) {
    s = v.i != 0;
  } else if (t.scalar == ir::Scalar::I64) {
    s = v.i;
  } else if (t.scalar == ir::Scalar::Str) {
    // Borrowed for the call, as the program's own str values are (its str results are copied
    // out by slot_value before `v` goes).
    const std::string* p = &v.str;
    std::memcpy(&s, &p, sizeof(p));
  } else {
    throw std::invalid_argument("unsupported argument type for call()");
  }
  return std::bit_cast<SlotT>(s);
}

/// The Value of one result slot of type `t`. Takes over an array reference; releases a table's
/// (tables do not cross the C++ boundary yet).
template <class SlotT>
Value slot_value(ir::Type t, SlotT slot) {
  static_assert(sizeof(SlotT) == 8 && std::is_trivially_copyable_v<SlotT>);
  auto s = std::bit_cast<std::int64_t>(slot);
  Value v;
  v.type = t;
  void* p = nullptr;
  std::memcpy(&p, &s, sizeof(p));
  if (t.is_array()) {
    v.array = ArrayRef(p);
  } else if (t.is_table()) {
    if (p != nullptr) {
      rt::release(static_cast<rt::Table*>(p));
    }
  } else if (t.scalar == ir::Scalar::F64) {
    std::memcpy(&v.f, &s, 8);
  } else if (t.scalar == ir::Scalar::F32) {
    float f;
    std::memcpy(&f, &s, 4);
    v.f = f;
  } else if (t.scalar == ir::Scalar::Str) {
    v.str = *static_cast<const std::string*>(p);
  } else {
    v.i = s;
  }
  return v;
}

/// The Value a function of return type `ret` returned in `out`: nothing for void, one slot, or a
/// tuple of `flat` (ret's flattened element types), one slot each.
template <class SlotT>
Value result_value(ir::Type ret, std::span<const ir::Type> flat, const SlotT* out) {
  if (ret.is_void()) {
    return Value{};
  }
  if (!ret.is_tuple()) {
    return slot_value(ret, out[0]);
  }
  Value v;
  v.type = ret;
  for (std::size_t k = 0; k < flat.size(); ++k) {
    v.elems.push_back(slot_value(flat[k], out[k]));
  }
  return v;
}

}  // namespace kestrel::codegen
