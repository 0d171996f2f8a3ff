#pragma once
// The Python module's conversions (python/convert.cpp): Python arguments to Kestrel boundary
// values, checked against the function's signature, and results back to Python objects. numpy
// arrays cross without a copy in both directions.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "kestrel/dynamic.hpp"

namespace kestrel::python {

namespace py = pybind11;

/// `f64`, `i64[:]`, `f32[:, :]`, `(f64, i64[:])`, `str`, `void`.
std::string type_name(const TypeInfo& t);

/// The arguments of one call, converted: each numpy array holds a reference to its Python object
/// (taken by arm() just before the call, released by the engine through on_release).
struct CallArgs {
  std::vector<DynValue> values;
  /// Byte ranges of the read-only arrays passed: a result inside one is returned read-only.
  std::vector<std::pair<const char*, const char*>> readonly;

  /// Gives each array argument a reference to its numpy object, for the engine to release.
  void arm();
};

/// Converts `args` for `info`; throws py::type_error naming the parameter and the Kestrel
/// signature when an argument does not fit (or OverflowError for an integer out of range).
CallArgs convert_args(const FunctionInfo& info, const py::args& args);

/// The Python object for a result of type `t`; arrays become numpy arrays over the engine's
/// memory (no copy) whose base is a capsule that holds the engine's reference.
py::object to_python(const TypeInfo& t, DynValue& v, const CallArgs& args);

}  // namespace kestrel::python
