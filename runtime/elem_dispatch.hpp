#pragma once
// Internal to the runtime: calls a generic lambda with the C++ element type of an Elem.
#include <cstdint>
#include <string>
#include <type_traits>

#include "runtime/array.hpp"

namespace kestrel::rt::detail {

/// f(static_cast<T*>(nullptr)) for T the element type of `e` (std::string for Str).
template <class F>
decltype(auto) visit_elem(Elem e, F&& f) {
  switch (e) {
    case Elem::Bool:
      return f(static_cast<bool*>(nullptr));
    case Elem::I32:
      return f(static_cast<std::int32_t*>(nullptr));
    case Elem::I64:
      return f(static_cast<std::int64_t*>(nullptr));
    case Elem::F32:
      return f(static_cast<float*>(nullptr));
    case Elem::F64:
      return f(static_cast<double*>(nullptr));
    case Elem::Str:
      break;
  }
  return f(static_cast<std::string*>(nullptr));
}

/// The same for numeric and bool types only; Str raises.
template <class F>
decltype(auto) visit_number(Elem e, F&& f) {
  switch (e) {
    case Elem::Bool:
      return f(static_cast<bool*>(nullptr));
    case Elem::I32:
      return f(static_cast<std::int32_t*>(nullptr));
    case Elem::I64:
      return f(static_cast<std::int64_t*>(nullptr));
    case Elem::F32:
      return f(static_cast<float*>(nullptr));
    case Elem::F64:
    case Elem::Str:
      break;
  }
  if (e == Elem::Str) {
    raise("this operation takes numbers, not strings");
  }
  return f(static_cast<double*>(nullptr));
}

template <class P>
using ElemT = std::remove_pointer_t<P>;

}  // namespace kestrel::rt::detail
