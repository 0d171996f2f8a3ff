// kestrel::Module and Function: calling Kestrel functions from C++. A C++ signature is checked
// against the function's Kestrel types once, when it is bound; each call then moves scalars into
// boundary values and wraps array views around the caller's memory (no copy).
#include <charconv>
#include <cstring>

#include "codegen/common/rt_ops.hpp"
#include "dsl/diag/diagnostic.hpp"
#include "dsl/engine/loaded.hpp"
#include "dsl/engine/tiered.hpp"
#include "dsl/ir/param_writes.hpp"
#include "kestrel/dynamic.hpp"
#include "runtime/array.hpp"
#include "runtime/format.hpp"
#include "runtime/limits.hpp"

namespace kestrel {

namespace detail {

class FunctionImpl {
 public:
  std::shared_ptr<engine::ModuleImpl> module;
  ir::FnId fn;
  std::vector<ir::Type> params;
  std::vector<ir::Type> flat_ret;  // a tuple result's elements, nested tuples flattened
  void* native = nullptr;          // the JIT's entry, for direct calls
};

}  // namespace detail

namespace {

ir::Scalar to_scalar(Elem e) {
  switch (e) {
    case Elem::Bool:
      return ir::Scalar::Bool;
    case Elem::I32:
      return ir::Scalar::I32;
    case Elem::I64:
      return ir::Scalar::I64;
    case Elem::F32:
      return ir::Scalar::F32;
    case Elem::F64:
      break;
  }
  return ir::Scalar::F64;
}

/// The Kestrel type a C++ boundary type stands for; tuple types are interned in `types`.
ir::Type to_type(const detail::TypeCode& code, ir::TypeTable& types) {
  switch (code.kind) {
    case detail::TypeCode::Kind::Void:
      return ir::Type::void_();
    case detail::TypeCode::Kind::Str:
      return ir::Type::str();
    case detail::TypeCode::Kind::Scalar:
      return ir::Type::scalar_of(to_scalar(code.elem));
    case detail::TypeCode::Kind::Tuple: {
      std::vector<ir::Type> elems;
      for (std::uint32_t k = 0; k < code.count; ++k) {
        elems.push_back(to_type(code.elems[k], types));
      }
      return types.tuple(elems);
    }
    case detail::TypeCode::Kind::Array:
      break;
  }
  return ir::Type::array_of(to_scalar(code.elem), code.rank);
}

/// The types of `t`'s values once nested tuples are flattened (`t` itself when not a tuple).
void flatten(const ir::TypeTable& types, ir::Type t, std::vector<ir::Type>& out) {
  if (!t.is_tuple()) {
    out.push_back(t);
    return;
  }
  for (ir::Type e : types.elems(t)) {
    flatten(types, e, out);
  }
}

/// `(n: i64, seed: i64) -> f64`
std::string kestrel_signature(const ir::Program& p, const ir::Function& f) {
  std::string s = "(";
  for (std::uint32_t k = 0; k < f.param_count; ++k) {
    s += (k == 0 ? "" : ", ") + f.locals[k].name + ": " + ir::type_name(p.types, f.locals[k].type);
  }
  return s + ") -> " + ir::type_name(p.types, f.ret);
}

/// `(f64, i64) -> f64`
std::string cpp_signature(const ir::TypeTable& types, ir::Type ret,
                          const std::vector<ir::Type>& params) {
  std::string s = "(";
  for (std::size_t k = 0; k < params.size(); ++k) {
    s += (k == 0 ? "" : ", ") + ir::type_name(types, params[k]);
  }
  return s + ") -> " + ir::type_name(types, ret);
}

[[noreturn]] void throw_at(const engine::ModuleImpl& m, diag::Span span, const std::string& msg) {
  diag::DiagnosticList diags;
  diags.report(diag::Kind::RuntimeError, span, msg);
  throw Error(diag::render(*m.loaded.sources, diags));
}

/// The program behind a Module; a default-constructed Module has none: Error.
engine::ModuleImpl& module_of(const std::shared_ptr<void>& impl) {
  if (impl == nullptr) {
    throw Error(
        "error: this kestrel::Module is empty (default-constructed): assign it a module from "
        "Engine::load_file or Engine::load_source first\n");
  }
  return *static_cast<engine::ModuleImpl*>(impl.get());
}

/// Wraps a caller's elements (shape and strides in elements; a stride may be negative, as
/// numpy's x[::-1] has) as a runtime array of `type`: no copy; kept alive by
/// `on_release(owner)` when given, else by the host for the call.
codegen::Value wrap_argument(ir::Type type, void* data, const std::int64_t* shape,
                             const std::int64_t* strides, void (*on_release)(void*) = nullptr,
                             void* owner = nullptr) {
  if (shape[0] < 0 || shape[1] < 0) {
    throw Error("error: an array argument has a negative size\n");
  }
  rt::Shape dims = type.rank == 2 ? rt::Shape(shape[0], shape[1]) : rt::Shape(shape[0]);
  rt::ArrayRef a = rt::wrap(data, dims, codegen::rt_elem(type.scalar), on_release, owner);
  a->strides[0] = strides[0];
  a->strides[1] = type.rank == 2 ? strides[1] : 1;
  codegen::Value v;
  v.type = type;
  v.array = codegen::ArrayRef(a.detach());
  return v;
}

/// Wraps the caller's elements as a runtime array: no copy, the host keeps them alive.
codegen::Value view_argument(ir::Type type, const detail::Slot& s) {
  return wrap_argument(type, s.data, s.shape, s.strides);
}

/// An Array argument (a result of an earlier call, `s.handle`) is passed as that runtime array,
/// one more reference to it; borrowed memory is wrapped.
codegen::Value array_argument(ir::Type type, const detail::Slot& s) {
  if (s.handle == nullptr) {
    return view_argument(type, s);
  }
  rt::retain(static_cast<rt::Array*>(s.handle));
  codegen::Value v;
  v.type = type;
  v.array = codegen::ArrayRef(s.handle);
  return v;
}

codegen::Value to_value(ir::Type type, const detail::Slot& s) {
  if (type.is_array()) {
    return array_argument(type, s);
  }
  codegen::Value v;
  v.type = type;
  v.i = s.i;
  v.f = s.f;
  return v;
}

/// A result array that views a borrowed argument (the caller's memory, which nothing here can
/// keep alive) becomes a copy, so it may outlive the caller's vector; any other result array
/// holds its own buffer and is shared as it is.
void own_memory(codegen::Value& v) {
  for (codegen::Value& e : v.elems) {
    own_memory(e);
  }
  if (v.type.is_array() && !v.array.empty()) {
    const auto* a = static_cast<const rt::Array*>(v.array.handle());
    if (a->buffer != nullptr && a->buffer->borrowed()) {
      v.array = codegen::ArrayRef(rt::copy(*a).detach());
    }
  }
}

/// The limits of one call of `m`'s code: the engine's, stopped also by Module::interrupt.
rt::Limits call_limits(engine::ModuleImpl& m) {
  return engine::run_limits(m.options, nullptr, &m.epoch);
}

/// Moves a call's result into `out` (arrays: the reference; a tuple: its flattened elements).
void from_value(codegen::Value& v, detail::Slot& out) {
  if (v.type.is_tuple()) {
    out.elems.resize(v.elems.size());
    for (std::size_t k = 0; k < v.elems.size(); ++k) {
      from_value(v.elems[k], out.elems[k]);
    }
  } else if (v.type.is_array()) {
    auto* a = static_cast<rt::Array*>(v.array.release());
    out.handle = a;
    out.data = a->data;
    for (int k = 0; k < 2; ++k) {
      out.shape[k] = a->shape[k];
      out.strides[k] = a->strides[k];
    }
  } else if (v.type.is_scalar() && v.type.scalar == ir::Scalar::Str) {
    out.str = std::move(v.str);
  } else {
    out.i = v.i;
    out.f = v.f;
  }
}

}  // namespace

namespace detail {

void empty_function() {
  throw Error(
      "error: this kestrel::Function is empty (default-constructed): assign it a function from "
      "Module::function<Sig>(name) first\n");
}

void array_retain(void* handle) { rt::retain(static_cast<rt::Array*>(handle)); }
void array_release(void* handle) { rt::release(static_cast<rt::Array*>(handle)); }

/// The function `name` of `p` (`kernels`: a kernel too), or Error listing the functions it has.
ir::FnId function_named(const ir::Program& p, std::string_view name, bool kernels) {
  ir::FnId id = p.find_function(name);
  if (!id.valid() || p.fn(id).is_main || (!kernels && p.fn(id).is_kernel)) {
    std::string known;
    for (const ir::Function& f : p.functions) {
      if (!f.is_main && !f.is_kernel) {
        known += (known.empty() ? "" : ", ") + f.name;
      }
    }
    throw Error("error: no function '" + std::string(name) + "' in the module" +
                (known.empty() ? std::string(" (it defines none)") : "; it defines: " + known) +
                "\n");
  }
  return id;
}

std::shared_ptr<FunctionImpl> bind(const std::shared_ptr<void>& module_ptr, std::string_view name,
                                   TypeCode ret, std::span<const TypeCode> params) {
  module_of(module_ptr);  // throws when empty
  auto m = std::static_pointer_cast<engine::ModuleImpl>(module_ptr);
  const ir::Program& p = m->loaded.program;
  ir::FnId id = function_named(p, name, /*kernels=*/true);
  const ir::Function& f = p.fn(id);
  // The program's tuple types, and the C++ side's interned beside them: equal tuples, equal ids.
  ir::TypeTable types = p.types;
  std::vector<ir::Type> want;
  for (const TypeCode& c : params) {
    want.push_back(to_type(c, types));
  }
  ir::Type want_ret = to_type(ret, types);
  bool same = !f.is_kernel && want.size() == f.param_count && want_ret == f.ret;
  for (std::size_t k = 0; same && k < want.size(); ++k) {
    same = want[k] == f.locals[k].type;
  }
  if (!same) {
    std::string what = f.is_kernel ? "'" + f.name + "' is a kernel; launch it from Kestrel"
                                   : "'" + f.name + "' is " + f.name + kestrel_signature(p, f) +
                                         ", but the C++ signature asks for " +
                                         cpp_signature(types, want_ret, want);
    throw_at(*m, f.span, "function signature mismatch: " + what);
  }
  std::vector<std::uint64_t> writes;  // ir::written_params, when a const view asks
  for (std::size_t k = 0; k < params.size(); ++k) {
    if (params[k].readonly && writes.empty()) {
      writes = ir::written_params(p);
    }
    if (params[k].readonly && ir::writes_param(writes, id, k)) {
      throw_at(*m, f.locals[k].span,
               "'" + f.name + "' may write its parameter '" + f.locals[k].name +
                   "', so it cannot take a view of const memory (ArrayView<const T>): bind a "
                   "mutable view, or pass a copy");
    }
  }
  auto fn = std::make_shared<FunctionImpl>();
  fn->native = m->code->native_address(id);
  fn->module = std::move(m);
  fn->fn = id;
  fn->params = std::move(want);
  if (f.ret.is_tuple()) {
    flatten(p.types, f.ret, fn->flat_ret);
  }
  return fn;
}

void* native_entry(FunctionImpl& fn) { return fn.native; }

void* native_begin(FunctionImpl& fn) {
  rt::Limits limits = call_limits(*fn.module);  // copied by begin_native
  codegen::RunOptions options;
  options.limits = &limits;
  return fn.module->code->begin_native(options);
}

void native_end(FunctionImpl& fn, void* ctx) {
  engine::at_boundary(fn.module->loaded.sources.get(), [&] { fn.module->code->end_native(ctx); });
}

void* native_view(const Slot& view) {
  ir::Type type = ir::Type::array_of(to_scalar(view.type.elem), view.type.rank);
  return array_argument(type, view).array.release();
}

void native_result(void* handle, Slot& out) {
  codegen::Value v;
  auto* a = static_cast<rt::Array*>(handle);
  v.type = ir::Type::array_of(static_cast<ir::Scalar>(a->elem), a->rank);
  v.array = codegen::ArrayRef(handle);
  engine::at_boundary(nullptr, [&] { own_memory(v); });
  from_value(v, out);
}

void native_tuple_end(FunctionImpl& fn, void* ctx, const std::int64_t* out, Slot& result) {
  // Taken before the failure test, so that whatever the call left in `out` is released.
  result.elems.resize(fn.flat_ret.size());
  for (std::size_t k = 0; k < fn.flat_ret.size(); ++k) {
    ir::Type t = fn.flat_ret[k];
    Slot& s = result.elems[k];
    void* p = nullptr;
    std::memcpy(&p, &out[k], sizeof(p));
    if (t.is_array()) {
      if (p != nullptr) {
        native_result(p, s);
      }
    } else if (t.scalar == ir::Scalar::Str) {
      if (p != nullptr) {
        s.str = *static_cast<const std::string*>(p);
      }
    } else if (t.scalar == ir::Scalar::F64) {
      std::memcpy(&s.f, &out[k], sizeof(double));
    } else if (t.scalar == ir::Scalar::F32) {
      float v = 0;
      std::memcpy(&v, &out[k], sizeof(float));
      s.f = v;
    } else {
      s.i = out[k];  // bool, i32 and i64, widened to 8 bytes
    }
  }
  native_end(fn, ctx);
}

void invoke(FunctionImpl& fn, std::span<Slot> args, Slot& result) {
  engine::ModuleImpl& m = *fn.module;
  engine::at_boundary(m.loaded.sources.get(), [&] {
    std::vector<codegen::Value> values;
    values.reserve(args.size());
    for (std::size_t k = 0; k < args.size(); ++k) {
      values.push_back(to_value(fn.params[k], args[k]));
    }
    rt::Limits limits = call_limits(m);
    engine::CloseRunStreams end_streams{limits.run};
    codegen::RunOptions options;
    options.limits = &limits;
    codegen::Value out = m.code->call(fn.fn, values, options);
    own_memory(out);
    from_value(out, result);
  });
}

}  // namespace detail

void Module::run(std::string* out) const {
  engine::ModuleImpl* m = &module_of(impl_);
  engine::at_boundary(m->loaded.sources.get(), [&] {
    rt::Limits limits = call_limits(*m);
    engine::CloseRunStreams end_streams{limits.run};
    codegen::RunOptions options;
    options.out = out;
    options.limits = &limits;
    m->code->run_main(options);
  });
}

void Module::interrupt() const { module_of(impl_).epoch.fetch_add(1, std::memory_order_relaxed); }

Timings Module::load_timings() const { return module_of(impl_).timings; }

Timings Module::tier_timings() const {
  Timings t;
  engine::tier_timings(*module_of(impl_).code, t);
  return t;
}

std::vector<std::string> Module::signatures() const {
  const engine::ModuleImpl* m = &module_of(impl_);
  std::vector<std::string> out;
  for (const ir::Function& f : m->loaded.program.functions) {
    if (!f.is_main && !f.is_kernel) {
      out.push_back(f.name + kestrel_signature(m->loaded.program, f));
    }
  }
  return out;
}

namespace {

/// Reads `text` as a value of scalar type `t`; false when it is not one.
bool parse_scalar(const std::string& text, ir::Type t, codegen::Value& out) {
  out.type = t;
  const char* end = text.data() + text.size();
  if (t.scalar == ir::Scalar::Bool) {
    out.i = text == "true" ? 1 : 0;
    return text == "true" || text == "false";
  }
  if (ir::is_integer(t.scalar)) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), end, v);
    out.i = v;
    bool fits = t.scalar == ir::Scalar::I64 || (v >= INT32_MIN && v <= INT32_MAX);
    return ec == std::errc() && p == end && fits;
  }
  if (ir::is_float(t.scalar)) {
    double v = 0;
    auto [p, ec] = std::from_chars(text.data(), end, v);
    out.f = v;
    return ec == std::errc() && p == end;
  }
  return false;
}

/// One value that is not a tuple, as print() shows it.
std::string format_flat(const codegen::Value& v) {
  if (v.type.is_void()) {
    return "";
  }
  if (v.type.is_array()) {
    return rt::format_array(*static_cast<const rt::Array*>(v.array.handle()));
  }
  if (!v.type.is_scalar()) {
    return "<table>";
  }
  switch (v.type.scalar) {
    case ir::Scalar::Bool:
      return v.i != 0 ? "true" : "false";
    case ir::Scalar::I32:
    case ir::Scalar::I64:
      return rt::format_int(v.i);
    case ir::Scalar::F32:
      return rt::format_float(static_cast<float>(v.f));
    case ir::Scalar::F64:
      return rt::format_float(v.f);
    case ir::Scalar::Str:
      break;
  }
  return v.str;
}

/// A tuple of type `t` from its flattened elements `flat[at…]`, as print() shows it: `(a, b)`,
/// a nested tuple nested.
std::string format_tuple(const ir::TypeTable& types, ir::Type t,
                         const std::vector<codegen::Value>& flat, std::size_t& at) {
  std::string s = "(";
  const std::vector<ir::Type>& elems = types.elems(t);
  for (std::size_t k = 0; k < elems.size(); ++k) {
    s += k == 0 ? "" : ", ";
    if (elems[k].is_tuple()) {
      s += format_tuple(types, elems[k], flat, at);
    } else if (at < flat.size()) {
      s += format_flat(flat[at++]);
    }
  }
  return s + ")";
}

/// A call's result as print() shows it ("" for void).
std::string format_result(const ir::TypeTable& types, const codegen::Value& v) {
  if (!v.type.is_tuple()) {
    return format_flat(v);
  }
  std::size_t at = 0;
  return format_tuple(types, v.type, v.elems, at);
}

}  // namespace

namespace {

/// The function `name` that a tool may call: not the script's top level, not a kernel.
ir::FnId callable(const ir::Program& p, std::string_view name) {
  ir::FnId id = p.find_function(name);
  if (!id.valid() || p.fn(id).is_main || p.fn(id).is_kernel) {
    throw Error("error: no function '" + std::string(name) + "' to call\n");
  }
  return id;
}

/// Arguments written as text, each read as f's parameter type (scalars only).
std::vector<codegen::Value> text_args(const ir::Program& p, const ir::Function& f,
                                      const std::vector<std::string>& args) {
  if (args.size() != f.param_count) {
    throw Error("error: " + f.name + kestrel_signature(p, f) + " takes " +
                std::to_string(f.param_count) + " arguments, got " + std::to_string(args.size()) +
                "\n");
  }
  std::vector<codegen::Value> values(args.size());
  for (std::size_t k = 0; k < args.size(); ++k) {
    ir::Type t = f.locals[k].type;
    if (!t.is_scalar() || !parse_scalar(args[k], t, values[k])) {
      throw Error("error: argument " + std::to_string(k + 1) + " of " + f.name + " ('" +
                  f.locals[k].name + ": " + ir::type_name(p.types, t) + "'): cannot read '" +
                  args[k] + "' as " + ir::type_name(p.types, t) + "\n");
    }
  }
  return values;
}

codegen::Value call_in(engine::ModuleImpl& m, ir::FnId fn,
                       const std::vector<codegen::Value>& args) {
  return engine::at_boundary(m.loaded.sources.get(), [&] {
    rt::Limits limits = call_limits(m);
    engine::CloseRunStreams end_streams{limits.run};
    codegen::RunOptions options;
    options.limits = &limits;
    return m.code->call(fn, args, options);
  });
}

}  // namespace

std::string Module::call_text(std::string_view name, const std::vector<std::string>& args) const {
  engine::ModuleImpl* m = &module_of(impl_);
  ir::FnId fn = callable(m->loaded.program, name);
  return format_result(
      m->loaded.program.types,
      call_in(*m, fn, text_args(m->loaded.program, m->loaded.program.fn(fn), args)));
}

std::function<std::string()> Module::prepare_call(
    std::string_view name, std::string_view setup,
    const std::vector<std::string>& setup_args) const {
  module_of(impl_);  // throws when empty
  auto m = std::static_pointer_cast<engine::ModuleImpl>(impl_);
  const ir::Program& p = m->loaded.program;
  ir::FnId fn = callable(p, name);
  ir::FnId setup_fn = callable(p, setup);
  const ir::Function& f = p.fn(fn);
  const ir::Function& s = p.fn(setup_fn);
  codegen::Value made = call_in(*m, setup_fn, text_args(p, s, setup_args));
  std::vector<codegen::Value> args;
  if (made.type.is_tuple()) {
    args = std::move(made.elems);
  } else if (!made.type.is_void()) {
    args.push_back(std::move(made));
  }
  bool fits = args.size() == f.param_count;
  for (std::size_t k = 0; fits && k < args.size(); ++k) {
    fits = args[k].type == f.locals[k].type;
  }
  if (!fits) {
    throw Error("error: " + s.name + kestrel_signature(p, s) + " does not make the arguments of " +
                f.name + kestrel_signature(p, f) + "\n");
  }
  return [m, fn, args = std::move(args)] {
    return format_result(m->loaded.program.types, call_in(*m, fn, args));
  };
}

// ---- dynamic calls (kestrel/dynamic.hpp) ----------------------------------------------------

struct DynamicAccess {
  static std::shared_ptr<engine::ModuleImpl> of(const Module& m) {
    return std::static_pointer_cast<engine::ModuleImpl>(m.impl_);
  }
};

DynArray::DynArray(DynArray&& o) noexcept
    : data(o.data),
      on_release(o.on_release),
      owner(o.owner),
      handle(std::exchange(o.handle, nullptr)) {
  std::copy(o.shape, o.shape + 2, shape);
  std::copy(o.strides, o.strides + 2, strides);
}

DynArray& DynArray::operator=(DynArray&& o) noexcept {
  if (this != &o) {
    if (handle != nullptr) {
      release_array(handle);
    }
    data = o.data;
    on_release = o.on_release;
    owner = o.owner;
    handle = std::exchange(o.handle, nullptr);
    std::copy(o.shape, o.shape + 2, shape);
    std::copy(o.strides, o.strides + 2, strides);
  }
  return *this;
}

DynArray::~DynArray() {
  if (handle != nullptr) {
    release_array(handle);
  }
}

void release_array(void* handle) { rt::release(static_cast<rt::Array*>(handle)); }

namespace {

Elem to_elem(ir::Scalar s) {
  switch (s) {
    case ir::Scalar::Bool:
      return Elem::Bool;
    case ir::Scalar::I32:
      return Elem::I32;
    case ir::Scalar::I64:
      return Elem::I64;
    case ir::Scalar::F32:
      return Elem::F32;
    default:
      return Elem::F64;
  }
}

TypeInfo type_info(const ir::TypeTable& types, ir::Type t) {
  TypeInfo out;
  out.name = ir::type_name(types, t);
  if (t.is_void()) {
    return out;
  }
  if (t.is_tuple()) {
    out.kind = TypeInfo::Kind::Tuple;
    for (ir::Type e : types.elems(t)) {
      out.elems.push_back(type_info(types, e));
    }
  } else if (t.is_table() || (t.is_array() && t.scalar == ir::Scalar::Str)) {
    out.kind = TypeInfo::Kind::Other;
  } else if (t.is_scalar() && t.scalar == ir::Scalar::Str) {
    out.kind = TypeInfo::Kind::Str;
  } else {
    out.kind = t.is_array() ? TypeInfo::Kind::Array : TypeInfo::Kind::Scalar;
    out.elem = to_elem(t.scalar);
    out.rank = t.is_array() ? t.rank : 0;
  }
  return out;
}

FunctionInfo function_info(const ir::Program& p, ir::FnId id,
                           const std::vector<std::uint64_t>& writes) {
  const ir::Function& f = p.fn(id);
  FunctionInfo info;
  info.name = f.name;
  info.signature = f.name + kestrel_signature(p, f);
  for (std::uint32_t k = 0; k < f.param_count; ++k) {
    info.param_names.push_back(f.locals[k].name);
    info.params.push_back(type_info(p.types, f.locals[k].type));
    info.writes.push_back(f.locals[k].type.is_array() && ir::writes_param(writes, id, k));
  }
  info.result = type_info(p.types, f.ret);
  return info;
}

/// An argument as a boundary value; an array wraps the caller's memory (no copy), kept by
/// `on_release(owner)` when given (so a result may view it), borrowed otherwise.
codegen::Value dyn_argument(ir::Type type, const DynValue& a) {
  if (!type.is_array()) {
    codegen::Value v;
    v.type = type;
    v.i = a.i;
    v.f = a.f;
    v.str = a.str;
    return v;
  }
  const DynArray& x = a.array;
  return wrap_argument(type, x.data, x.shape, x.strides, x.on_release, x.owner);
}

void leaves_of(codegen::Value& v, std::vector<codegen::Value*>& out) {
  if (!v.type.is_tuple()) {
    out.push_back(&v);
    return;
  }
  for (codegen::Value& e : v.elems) {
    leaves_of(e, out);
  }
}

/// Moves the result's leaves (a tuple's come flattened or nested) into `out`, nested as `t`.
void take_result(const TypeInfo& t, std::span<codegen::Value* const> leaves, std::size_t& at,
                 DynValue& out) {
  if (t.kind == TypeInfo::Kind::Tuple) {
    out.elems.resize(t.elems.size());
    for (std::size_t k = 0; k < t.elems.size(); ++k) {
      take_result(t.elems[k], leaves, at, out.elems[k]);
    }
    return;
  }
  if (t.kind == TypeInfo::Kind::Void) {
    return;
  }
  codegen::Value& v = *leaves[at++];
  if (v.type.is_array()) {
    auto* a = static_cast<rt::Array*>(v.array.release());
    out.array.handle = a;
    out.array.data = a->data;
    for (int k = 0; k < 2; ++k) {
      out.array.shape[k] = a->shape[k];
      out.array.strides[k] = a->strides[k];
    }
  } else {
    out.i = v.i;
    out.f = v.f;
    out.str = std::move(v.str);
  }
}

}  // namespace

struct DynamicFunction::Impl {
  std::shared_ptr<engine::ModuleImpl> module;
  ir::FnId fn;
  std::vector<ir::Type> params;
  FunctionInfo info;
};

DynamicFunction::DynamicFunction(const Module& module, std::string_view name) {
  std::shared_ptr<engine::ModuleImpl> m = DynamicAccess::of(module);
  const ir::Program& p = m->loaded.program;
  ir::FnId id = detail::function_named(p, name, /*kernels=*/false);
  auto impl = std::make_shared<Impl>();
  impl->fn = id;
  for (std::uint32_t k = 0; k < p.fn(id).param_count; ++k) {
    impl->params.push_back(p.fn(id).locals[k].type);
  }
  impl->info = function_info(p, id, ir::written_params(p));
  impl->module = std::move(m);
  impl_ = std::move(impl);
}

const FunctionInfo& DynamicFunction::info() const { return impl_->info; }

DynValue DynamicFunction::operator()(std::span<DynValue> args) const {
  const Impl& d = *impl_;
  engine::ModuleImpl& m = *d.module;
  std::vector<codegen::Value> values;
  values.reserve(args.size());
  std::size_t k = 0;
  try {
    if (args.size() != d.params.size()) {
      throw Error("error: " + d.info.signature + " takes " + std::to_string(d.params.size()) +
                  " arguments, not " + std::to_string(args.size()) + "\n");
    }
    for (; k < args.size(); ++k) {
      values.push_back(dyn_argument(d.params[k], args[k]));
    }
  } catch (...) {
    // Each on_release runs once: those wrapped so far with their arrays, the rest here.
    for (; k < args.size(); ++k) {
      if (k < d.params.size() && d.params[k].is_array() && args[k].array.on_release != nullptr) {
        args[k].array.on_release(args[k].array.owner);
      }
    }
    throw;
  }
  DynValue result;
  engine::at_boundary(m.loaded.sources.get(), [&] {
    rt::Limits limits = call_limits(m);
    engine::CloseRunStreams end_streams{limits.run};
    codegen::RunOptions options;
    options.limits = &limits;
    codegen::Value out = m.code->call(d.fn, values, options);
    values.clear();
    own_memory(out);
    std::vector<codegen::Value*> leaves;
    leaves_of(out, leaves);
    std::size_t at = 0;
    take_result(d.info.result, leaves, at, result);
  });
  return result;
}

std::vector<FunctionInfo> functions(const Module& module) {
  std::shared_ptr<engine::ModuleImpl> m = DynamicAccess::of(module);
  const ir::Program& p = m->loaded.program;
  std::vector<std::uint64_t> writes = ir::written_params(p);
  std::vector<FunctionInfo> out;
  for (std::size_t k = 0; k < p.functions.size(); ++k) {
    const ir::Function& f = p.functions[k];
    if (!f.is_main && !f.is_kernel) {
      out.push_back(function_info(p, p.find_function(f.name), writes));
    }
  }
  return out;
}

}  // namespace kestrel
