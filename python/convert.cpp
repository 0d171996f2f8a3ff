// Python values to Kestrel boundary values and back (python/convert.hpp).
#include "python/convert.hpp"

#include <bit>
#include <climits>
#include <cstdint>

namespace kestrel::python {

namespace {

const char* elem_name(Elem e) {
  switch (e) {
    case Elem::Bool:
      return "bool";
    case Elem::I32:
      return "i32";
    case Elem::I64:
      return "i64";
    case Elem::F32:
      return "f32";
    case Elem::F64:
      break;
  }
  return "f64";
}

/// numpy's spelling of an element type.
const char* numpy_name(Elem e) {
  switch (e) {
    case Elem::Bool:
      return "bool";
    case Elem::I32:
      return "int32";
    case Elem::I64:
      return "int64";
    case Elem::F32:
      return "float32";
    case Elem::F64:
      break;
  }
  return "float64";
}

py::dtype dtype_of(Elem e) {
  switch (e) {
    case Elem::Bool:
      return py::dtype::of<bool>();
    case Elem::I32:
      return py::dtype::of<std::int32_t>();
    case Elem::I64:
      return py::dtype::of<std::int64_t>();
    case Elem::F32:
      return py::dtype::of<float>();
    case Elem::F64:
      break;
  }
  return py::dtype::of<double>();
}

bool dtype_is(const py::dtype& dt, Elem e) {
  char order = dt.byteorder();
  bool native = order == '=' || order == '|' ||
                (order == (std::endian::native == std::endian::little ? '<' : '>'));
  if (!native || dt.has_fields()) {
    return false;
  }
  switch (e) {
    case Elem::Bool:
      return dt.kind() == 'b' && dt.itemsize() == 1;
    case Elem::I32:
      return dt.kind() == 'i' && dt.itemsize() == 4;
    case Elem::I64:
      return dt.kind() == 'i' && dt.itemsize() == 8;
    case Elem::F32:
      return dt.kind() == 'f' && dt.itemsize() == 4;
    case Elem::F64:
      break;
  }
  return dt.kind() == 'f' && dt.itemsize() == 8;
}

/// numpy's scalar types, looked up once (with the GIL).
struct NumpyTypes {
  py::object bool_, integer, floating;
  static const NumpyTypes& get() {
    static const NumpyTypes* types = [] {
      py::module_ np = py::module_::import("numpy");
      // Leaked on purpose: Python objects must not be destroyed after the interpreter ends.
      return new NumpyTypes{np.attr("bool_"), np.attr("integer"), np.attr("floating")};
    }();
    return *types;
  }
};

bool is_instance(py::handle o, const py::object& type) {
  int r = PyObject_IsInstance(o.ptr(), type.ptr());
  if (r < 0) {
    throw py::error_already_set();
  }
  return r == 1;
}

std::string python_type(py::handle o) { return py::str(py::type::handle_of(o).attr("__name__")); }

[[noreturn]] void mismatch(const FunctionInfo& info, std::size_t k, const std::string& why) {
  throw py::type_error(info.signature + ": argument " + std::to_string(k + 1) + " ('" +
                       info.param_names[k] + ": " + type_name(info.params[k]) + "') " + why);
}

void convert_scalar(const FunctionInfo& info, std::size_t k, py::handle o, DynValue& out) {
  const TypeInfo& t = info.params[k];
  // The common cases first, without asking numpy: an exact int for an integer, a float for a
  // float.
  if ((t.elem == Elem::I64 && PyLong_CheckExact(o.ptr())) ||
      ((t.elem == Elem::F64 || t.elem == Elem::F32) && PyFloat_CheckExact(o.ptr()))) {
    int overflow = 0;
    if (t.elem == Elem::I64) {
      long long v = PyLong_AsLongLongAndOverflow(o.ptr(), &overflow);
      if (overflow == 0) {
        out.i = v;
        return;
      }
    } else {
      double v = PyFloat_AS_DOUBLE(o.ptr());
      out.f = t.elem == Elem::F32 ? static_cast<float>(v) : v;
      return;
    }
  }
  const NumpyTypes& np = NumpyTypes::get();
  bool is_bool = PyBool_Check(o.ptr()) || is_instance(o, np.bool_);
  bool is_int = !is_bool && (PyLong_Check(o.ptr()) || is_instance(o, np.integer));
  bool is_float = PyFloat_Check(o.ptr()) || is_instance(o, np.floating);
  switch (t.elem) {
    case Elem::Bool:
      if (!is_bool) {
        mismatch(info, k, "must be a bool, not " + python_type(o));
      }
      out.i = PyObject_IsTrue(o.ptr()) == 1 ? 1 : 0;
      return;
    case Elem::I32:
    case Elem::I64: {
      if (!is_int) {
        mismatch(info, k, "must be an int, not " + python_type(o));
      }
      py::int_ value = py::reinterpret_steal<py::int_>(PyNumber_Index(o.ptr()));
      if (!value) {
        throw py::error_already_set();
      }
      int overflow = 0;
      long long v = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
      std::int64_t lo = t.elem == Elem::I32 ? INT32_MIN : INT64_MIN;
      std::int64_t hi = t.elem == Elem::I32 ? INT32_MAX : INT64_MAX;
      if (overflow != 0 || v < lo || v > hi) {
        PyErr_SetString(PyExc_OverflowError,
                        (info.signature + ": argument " + std::to_string(k + 1) + " ('" +
                         info.param_names[k] + "') does not fit in " + elem_name(t.elem))
                            .c_str());
        throw py::error_already_set();
      }
      out.i = v;
      return;
    }
    case Elem::F32:
    case Elem::F64:
      if (!is_int && !is_float) {
        mismatch(info, k, "must be a float or an int, not " + python_type(o));
      }
      out.f = PyFloat_AsDouble(o.ptr());
      if (out.f == -1.0 && PyErr_Occurred() != nullptr) {
        throw py::error_already_set();
      }
      if (t.elem == Elem::F32) {
        out.f = static_cast<float>(out.f);
      }
      return;
  }
}

void convert_array(const FunctionInfo& info, std::size_t k, py::handle o, DynValue& out,
                   CallArgs& call) {
  const TypeInfo& t = info.params[k];
  std::string want = std::string("a numpy array of ") + numpy_name(t.elem) + " with " +
                     (t.rank == 1 ? "1 dimension" : "2 dimensions");
  if (!py::isinstance<py::array>(o)) {
    mismatch(info, k, "must be " + want + ", not " + python_type(o));
  }
  auto a = py::reinterpret_borrow<py::array>(o);
  if (!dtype_is(a.dtype(), t.elem) || a.ndim() != t.rank) {
    mismatch(info, k,
             "must be " + want + ", not one of " + std::string(py::str(a.dtype())) + " with " +
                 std::to_string(a.ndim()) + (a.ndim() == 1 ? " dimension" : " dimensions") +
                 " (no conversion is made: convert with .astype(np." + numpy_name(t.elem) + "))");
  }
  if ((a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_) == 0) {
    mismatch(info, k, "is not aligned to its element size (pass a copy: np.array(x))");
  }
  py::ssize_t item = a.itemsize();
  DynArray& x = out.array;
  x.data = const_cast<void*>(a.data());  // written only when writeable (checked below)
  // The bytes the array spans: from its lowest element (below data when a stride is negative,
  // as numpy's x[::-1] has) to the end of its highest.
  py::ssize_t below = 0;
  py::ssize_t above = item;
  for (py::ssize_t d = 0; d < t.rank; ++d) {
    x.shape[d] = a.shape(d);
    py::ssize_t stride = a.strides(d);
    if (a.shape(d) <= 1) {  // numpy's stride of such a dimension is arbitrary
      x.strides[d] = d + 1 < t.rank ? a.shape(d + 1) : 1;
      continue;
    }
    if (stride % item != 0) {
      mismatch(info, k,
               "has a stride that Kestrel cannot view (" + std::to_string(stride) +
                   " bytes, not a multiple of the element size): pass a copy, "
                   "np.ascontiguousarray(x)");
    }
    x.strides[d] = stride / item;
    (stride < 0 ? below : above) += (a.shape(d) - 1) * stride;
  }
  if (!a.writeable()) {
    if (info.writes[k]) {
      mismatch(info, k,
               "is a read-only array, and '" + info.name + "' may write its parameter '" +
                   info.param_names[k] + "': pass a writeable copy, x.copy()");
    }
    const char* at = static_cast<const char*>(a.data());
    call.readonly.emplace_back(at + below, at + above);
  }
  x.owner = a.ptr();  // the reference is taken by CallArgs::arm
}

void release_owner(void* owner) {
  py::gil_scoped_acquire gil;
  Py_DECREF(static_cast<PyObject*>(owner));
}

void release_handle(void* handle) { release_array(handle); }

py::object array_to_python(const TypeInfo& t, DynArray& x, const CallArgs& args) {
  py::dtype dt = dtype_of(t.elem);
  py::ssize_t item = dt.itemsize();
  std::vector<py::ssize_t> shape{x.shape[0]};
  std::vector<py::ssize_t> strides{x.strides[0] * item};
  if (t.rank == 2) {
    shape.push_back(x.shape[1]);
    strides.push_back(x.strides[1] * item);
  }
  void* handle = x.take();
  py::capsule base(handle, release_handle);  // the engine's reference, released with the array
  py::array out(dt, shape, strides, x.data, base);
  const char* at = static_cast<const char*>(x.data);
  for (const auto& [lo, hi] : args.readonly) {
    if (at >= lo && at < hi) {
      out.attr("flags").attr("writeable") = false;  // a view of a read-only argument
    }
  }
  return out;
}

}  // namespace

std::string type_name(const TypeInfo& t) { return t.name; }

void CallArgs::arm() {
  for (DynValue& v : values) {
    if (v.array.owner != nullptr) {
      Py_INCREF(static_cast<PyObject*>(v.array.owner));
      v.array.on_release = release_owner;
    }
  }
}

CallArgs convert_args(const FunctionInfo& info, const py::args& args) {
  if (args.size() != info.params.size()) {
    throw py::type_error(info.signature + ": takes " + std::to_string(info.params.size()) +
                         (info.params.size() == 1 ? " argument" : " arguments") + ", got " +
                         std::to_string(args.size()));
  }
  CallArgs call;
  call.values.resize(args.size());
  for (std::size_t k = 0; k < args.size(); ++k) {
    py::handle o = args[k];
    switch (info.params[k].kind) {
      case TypeInfo::Kind::Scalar:
        convert_scalar(info, k, o, call.values[k]);
        break;
      case TypeInfo::Kind::Array:
        convert_array(info, k, o, call.values[k], call);
        break;
      case TypeInfo::Kind::Str:
        if (!py::isinstance<py::str>(o)) {
          mismatch(info, k, "must be a str, not " + python_type(o));
        }
        call.values[k].str = o.cast<std::string>();
        break;
      default:
        mismatch(info, k,
                 "cannot be passed from Python (tables, tuples and str arrays do not cross; "
                 "str, tuple and array results do)");
    }
  }
  return call;
}

py::object to_python(const TypeInfo& t, DynValue& v, const CallArgs& args) {
  switch (t.kind) {
    case TypeInfo::Kind::Void:
      return py::none();
    case TypeInfo::Kind::Str:
      return py::str(v.str);
    case TypeInfo::Kind::Scalar:
      if (t.elem == Elem::Bool) {
        return py::bool_(v.i != 0);
      }
      if (t.elem == Elem::F32 || t.elem == Elem::F64) {
        return py::float_(v.f);
      }
      return py::int_(v.i);
    case TypeInfo::Kind::Array:
      return array_to_python(t, v.array, args);
    case TypeInfo::Kind::Tuple: {
      py::tuple out(t.elems.size());
      for (std::size_t k = 0; k < t.elems.size(); ++k) {
        out[k] = to_python(t.elems[k], v.elems[k], args);
      }
      return out;
    }
    case TypeInfo::Kind::Other:
      break;
  }
  throw py::type_error("a " + t.name + " result does not cross to Python");
}

}  // namespace kestrel::python
