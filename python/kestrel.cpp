// The Python module `kestrel` (pybind11): kestrel.load(path) and kestrel.compile(source) give a
// Module whose Kestrel functions are attributes callable from Python, checked against their
// signatures. numpy arrays cross without a copy (python/convert.cpp); Kestrel errors raise
// kestrel.Error with file, line and col; the GIL is released while Kestrel runs.
#include <dlfcn.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "python/convert.hpp"

namespace kestrel::python {

namespace {

PyObject* error_type = nullptr;  // kestrel.Error, created at import, never freed

/// Raises kestrel.Error for `e`: str(e) is the rendered diagnostics; .file, .line, .col and
/// .message come from its first `file:line:col: error: message` line (None when it has no
/// location, as "error: no function 'f' in the module").
[[noreturn]] void raise_error(const Error& e) {
  std::string text = e.what();
  while (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  std::string first = text.substr(0, text.find('\n'));
  py::object file = py::none(), line = py::none(), col = py::none();
  std::string message = first;
  std::size_t mark = first.find(": error: ");
  std::size_t msg_at = mark == std::string::npos ? std::string::npos : mark + 9;
  if (first.rfind("error: ", 0) == 0) {
    msg_at = 7;
  } else if (mark != std::string::npos) {
    std::string where = first.substr(0, mark);  // file:line:col, the file may hold ':'
    std::size_t c2 = where.rfind(':');
    std::size_t c1 =
        c2 == std::string::npos || c2 == 0 ? std::string::npos : where.rfind(':', c2 - 1);
    if (c1 != std::string::npos) {
      try {
        line = py::int_(std::stol(where.substr(c1 + 1, c2 - c1 - 1)));
        col = py::int_(std::stol(where.substr(c2 + 1)));
        file = py::str(where.substr(0, c1));
      } catch (const std::exception&) {
        line = col = py::none();
      }
    }
  }
  if (msg_at != std::string::npos) {
    message = first.substr(msg_at);
  }
  py::object exc = py::reinterpret_borrow<py::object>(error_type)(text);
  exc.attr("file") = file;
  exc.attr("line") = line;
  exc.attr("col") = col;
  exc.attr("message") = message;
  exc.attr("error_count") = e.error_count();
  PyErr_SetObject(error_type, exc.ptr());
  throw py::error_already_set();
}

/// A Kestrel function as a Python callable.
struct Function {
  DynamicFunction fn;

  py::object call(const py::args& args) const {
    const FunctionInfo& info = fn.info();
    CallArgs call = convert_args(info, args);
    call.arm();  // from here on the engine releases each array's reference, even on failure
    DynValue result;
    std::optional<Error> failed;
    {
      py::gil_scoped_release nogil;
      try {
        result = fn(call.values);
      } catch (const Error& e) {
        failed = e;
      }
    }
    if (failed) {
      raise_error(*failed);
    }
    return to_python(info.result, result, call);
  }
};

/// A loaded program: its functions are attributes; those of an import `name` are under
/// m.name (a Namespace), as `m.montecarlo.pi`.
struct Module {
  kestrel::Module module;
  std::string name;
  std::vector<FunctionInfo> functions;
  std::map<std::string, py::object> bound;  // Function objects made so far

  Module(kestrel::Module m, std::string n)
      : module(std::move(m)), name(std::move(n)), functions(kestrel::functions(module)) {}

  /// The Function `full`, or a Namespace when `full` is the prefix of dotted names; nullopt when
  /// neither.
  std::optional<py::object> lookup(const std::string& full, py::handle self);
  /// The names one level below `prefix` ("" for the top).
  std::vector<std::string> names_under(const std::string& prefix) const {
    std::vector<std::string> out;
    for (const FunctionInfo& f : functions) {
      if (f.name.rfind(prefix, 0) != 0) {
        continue;
      }
      std::string rest = f.name.substr(prefix.size());
      rest = rest.substr(0, rest.find('.'));
      if (std::find(out.begin(), out.end(), rest) == out.end()) {
        out.push_back(rest);
      }
    }
    return out;
  }
};

/// The functions of an import, `m.groupby`: attributes as a Module's.
struct Namespace {
  py::object module;   // the Module
  std::string prefix;  // "groupby."
};

std::optional<py::object> Module::lookup(const std::string& full, py::handle self) {
  if (auto it = bound.find(full); it != bound.end()) {
    return it->second;
  }
  for (const FunctionInfo& f : functions) {
    if (f.name == full) {
      py::object fn = py::cast(Function{DynamicFunction(module, full)});
      bound.emplace(full, fn);
      return fn;
    }
  }
  for (const FunctionInfo& f : functions) {
    if (f.name.rfind(full + ".", 0) == 0) {
      return py::cast(Namespace{py::reinterpret_borrow<py::object>(self), full + "."});
    }
  }
  return std::nullopt;
}

py::object attribute(Module& m, py::handle self, const std::string& prefix,
                     const std::string& attr) {
  if (std::optional<py::object> found = m.lookup(prefix + attr, self)) {
    return *found;
  }
  std::string known;
  for (const std::string& n : m.names_under(prefix)) {
    known += (known.empty() ? "" : ", ") + n;
  }
  throw py::attribute_error("Kestrel module '" + m.name + "' has no function '" + prefix + attr +
                            "'" + (known.empty() ? "" : "; it has: " + known));
}

EngineOptions engine_options(const py::object& mode, int threads, const py::object& target) {
  EngineOptions options;
  if (!mode.is_none()) {
    auto m = py::cast<std::string>(mode);
    if (m == "interp") {
      options.mode = Mode::Interp;
    } else if (m == "jit") {
      options.mode = Mode::Jit;
    } else if (m == "tiered") {
      options.mode = Mode::Tiered;
    } else {
      throw py::value_error("mode must be \"interp\", \"jit\" or \"tiered\", not \"" + m + "\"");
    }
  }
  if (threads < 0) {
    throw py::value_error("threads must be 0 (every core) or more, not " + std::to_string(threads));
  }
  options.threads = threads;
  if (!target.is_none()) {
    auto t = py::cast<std::string>(target);
    if (t == "gpu") {
      options.target = Target::Gpu;
    } else if (t != "cpu") {
      throw py::value_error("target must be \"cpu\" or \"gpu\", not \"" + t + "\"");
    }
  }
  return options;
}

/// Loads with the GIL released (parsing, checking and compiling may take a while).
template <class F>
Module load_with(const EngineOptions& options, const std::string& name, F&& load) {
  std::optional<kestrel::Module> m;
  std::optional<Error> failed;
  {
    py::gil_scoped_release nogil;
    try {
      Engine engine(options);
      m.emplace(load(engine));
    } catch (const Error& e) {
      failed = e;
    }
  }
  if (failed) {
    raise_error(*failed);
  }
  return Module(std::move(*m), name);
}

/// The JIT module (libkestrel_jit.so) binds its references to the runtime of the process that
/// loads it. Python loads extensions RTLD_LOCAL, so libkestrel.so's symbols would not be seen:
/// make them global (the library is loaded already; this only changes its scope).
void make_engine_global() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&kestrel::version), &info) != 0 && info.dli_fname != nullptr) {
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);  // kept open: never unloaded
  }
}

}  // namespace

}  // namespace kestrel::python

PYBIND11_MODULE(kestrel, m) {
  using namespace kestrel::python;
  make_engine_global();
  m.doc() =
      "Kestrel from Python: kestrel.load(path) / kestrel.compile(source) give a module whose "
      "functions are callables; numpy arrays are passed and returned without copies.";
  m.attr("__version__") = std::string(kestrel::version());

  error_type = PyErr_NewExceptionWithDoc(
      "kestrel.Error",
      "A Kestrel compile or runtime error. str(e) is the rendered diagnostics; e.file, e.line, "
      "e.col and e.message locate the first (None when it has no location).",
      PyExc_Exception, nullptr);
  if (error_type == nullptr) {
    throw py::error_already_set();
  }
  m.add_object("Error", py::handle(error_type));

  py::class_<Function>(m, "Function")
      .def("__call__", &Function::call)
      .def_property_readonly("signature", [](const Function& f) { return f.fn.info().signature; })
      .def_property_readonly("name", [](const Function& f) { return f.fn.info().name; })
      .def("__repr__",
           [](const Function& f) { return "<kestrel function " + f.fn.info().signature + ">"; });

  // dynamic_attr: a function found once is kept in the instance's __dict__, so later lookups
  // (m.fib in a loop) are plain attribute reads.
  py::class_<Module>(m, "Module", py::dynamic_attr())
      .def("__getattr__",
           [](py::object self, const std::string& attr) {
             py::object found = attribute(self.cast<Module&>(), self, "", attr);
             py::setattr(self, attr.c_str(), found);
             return found;
           })
      .def("__dir__", [](const Module& mod) { return mod.names_under(""); })
      .def(
          "interrupt", [](const Module& mod) { mod.module.interrupt(); },
          "Stops every call of this module's functions running now (from any thread): each "
          "raises kestrel.Error 'interrupted' within about 100 ms.")
      .def("signatures",
           [](const Module& mod) {
             std::vector<std::string> out;
             for (const kestrel::FunctionInfo& f : mod.functions) {
               out.push_back(f.signature);
             }
             return out;
           })
      .def("__repr__", [](const Module& mod) { return "<kestrel module '" + mod.name + "'>"; });

  py::class_<Namespace>(m, "Namespace", py::dynamic_attr())
      .def("__getattr__",
           [](py::object self, const std::string& attr) {
             const Namespace& ns = self.cast<const Namespace&>();
             py::object found = attribute(ns.module.cast<Module&>(), ns.module, ns.prefix, attr);
             py::setattr(self, attr.c_str(), found);
             return found;
           })
      .def("__dir__",
           [](const Namespace& ns) {
             return ns.module.cast<const Module&>().names_under(ns.prefix);
           })
      .def("__repr__", [](const Namespace& ns) {
        return "<kestrel functions '" + ns.prefix.substr(0, ns.prefix.size() - 1) + ".*'>";
      });

  m.def(
      "load",
      [](const std::string& path, const py::object& mode, int threads, const py::object& target) {
        return load_with(engine_options(mode, threads, target), path,
                         [&](const kestrel::Engine& e) { return e.load_file(path); });
      },
      py::arg("path"), py::kw_only(), py::arg("mode") = py::none(), py::arg("threads") = 0,
      py::arg("target") = py::none(),
      "Loads a Kestrel file (and its imports) without running its top-level statements.\n"
      "mode: \"interp\", \"jit\" or \"tiered\" (default: the engine's); threads: for parallel "
      "work, 0 = every core (this module's calls only); target: \"cpu\" or \"gpu\".");
  m.def(
      "compile",
      [](const std::string& source, const py::object& mode, int threads, const py::object& target,
         const std::string& name) {
        return load_with(engine_options(mode, threads, target), name,
                         [&](const kestrel::Engine& e) { return e.load_source(name, source); });
      },
      py::arg("source"), py::kw_only(), py::arg("mode") = py::none(), py::arg("threads") = 0,
      py::arg("target") = py::none(), py::arg("name") = "<string>",
      "Compiles Kestrel source text; `name` appears in error locations (imports are found in "
      "the standard library). Options as load().");
}
