#pragma once
// Calling Kestrel functions whose signatures a caller learns at run time (the Python module,
// python/): the types as data, arguments and results as tagged values. Arrays cross without a
// copy, in both directions. kestrel.hpp's Function<Sig> is the typed, compile-time checked way.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kestrel/kestrel.hpp"

namespace kestrel {

/// A parameter or result type: void, a scalar (bool, i32, i64, f32, f64), an array of rank 1 or
/// 2, a str (results only), or a tuple of these (nested tuples nested); Other: what does not
/// cross the boundary (a table, an array of str, a str parameter).
struct TypeInfo {
  enum class Kind : std::uint8_t { Void, Scalar, Array, Str, Tuple, Other } kind = Kind::Void;
  std::string name;             // as Kestrel writes it: `f64[:, :]`, `(i64, str)`
  Elem elem = Elem::F64;        // Scalar, Array
  int rank = 0;                 // Array: 1 or 2
  std::vector<TypeInfo> elems;  // Tuple
};

/// One function a caller can bind (Module::signatures(), as data).
struct FunctionInfo {
  std::string name;       // `fib`, or `montecarlo.pi` for a function of an import
  std::string signature;  // `fib(n: i64) -> i64`
  std::vector<std::string> param_names;
  std::vector<TypeInfo> params;
  TypeInfo result;
  std::vector<bool> writes;  // per parameter: the function may write it (directly or through
                             // a slice, a local or a call); only array parameters can be written
};

/// An array crossing the boundary: element (i, j) at data + (i * strides[0] + j * strides[1]) *
/// element size (strides in elements, not negative; rank 1: shape[1] == 1).
///  - As an argument: the caller's memory, not copied. With `on_release`, the engine keeps it as
///    host memory that `on_release(owner)` frees: it runs once, when the engine's last reference
///    goes (at the end of the call, or later when a result that views it goes), and also when the
///    call fails. Without, the memory is borrowed for the call only and a result that views it is
///    a copy (as Function<Sig> does with an ArrayView).
///  - As a result: the engine's array; `handle` holds one reference to it (release_array), and the
///    memory lives as long as that reference.
struct DynArray {
  void* data = nullptr;
  std::int64_t shape[2] = {0, 1};
  std::int64_t strides[2] = {1, 1};
  void (*on_release)(void*) = nullptr;
  void* owner = nullptr;
  void* handle = nullptr;

  DynArray() = default;
  DynArray(DynArray&& o) noexcept;
  DynArray& operator=(DynArray&& o) noexcept;
  DynArray(const DynArray&) = delete;
  DynArray& operator=(const DynArray&) = delete;
  ~DynArray();
  /// Takes the reference out (the caller releases it with release_array).
  void* take() { return std::exchange(handle, nullptr); }
};
void release_array(void* handle);

/// A value of a TypeInfo: a scalar in `i` (bool, i32, i64) or `f` (f32, f64), a str, an array,
/// or a tuple's elements (nested as the type nests them).
struct DynValue {
  std::int64_t i = 0;
  double f = 0;
  std::string str;
  DynArray array;
  std::vector<DynValue> elems;
};

/// A function of a Module bound with its own signature.
class DynamicFunction {
 public:
  /// Throws Error when the module has no such function (the message lists those it has).
  DynamicFunction(const Module& module, std::string_view name);
  const FunctionInfo& info() const;
  /// Calls it with one value per parameter, each of its parameter's type (not checked here: the
  /// caller converts). Runs in the module's mode; safe from several threads at once, as
  /// Function<Sig> is. Throws Error (the runtime error at its file:line:col).
  DynValue operator()(std::span<DynValue> args) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

/// The functions of `module` a caller can bind, in declaration order (imports' too).
std::vector<FunctionInfo> functions(const Module& module);

}  // namespace kestrel
