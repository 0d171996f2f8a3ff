// The public entry points: compile a program, run its top level, call one function, and read
// its bytecode back as text.
#include "codegen/interp/interp.hpp"

#include <cstdio>
#include <stdexcept>

#include "codegen/interp/program.hpp"
#include "dsl/ir/stream_use.hpp"
#include "runtime/array.hpp"
#include "runtime/csv.hpp"

namespace kestrel::interp {

CompiledProgram::CompiledProgram(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledProgram::~CompiledProgram() = default;

bool CompiledProgram::Impl::block_uses_stream(const ir::Program& program,
                                              const ir::Block& block) const {
  return ir::block_uses_stream(program, block, uses_stream);
}

// ---- compile, run, call ----------------------------------------------------------------------

std::unique_ptr<CompiledProgram> compile(const ir::Program& program) {
  auto impl = std::make_unique<CompiledProgram::Impl>();
  impl->protos.resize(program.functions.size());
  impl->uses_stream = ir::functions_using_stream(program);
  for (std::uint32_t f = 0; f < program.functions.size(); ++f) {
    compile_function(program, ir::FnId{f}, *impl);
  }
  impl->main = program.main.v;
  return std::make_unique<CompiledProgram>(std::move(impl));
}

void run_main(CompiledProgram& program, const RunOptions& options) {
  Slot none{};
  execute(program.impl(), program.impl().main, &none, &none, options);
}

StreamState stream_state(const CompiledProgram& program) {
  return StreamState{program.impl().stream_key, program.impl().stream_pos};
}

void set_stream_state(CompiledProgram& program, StreamState state) {
  program.impl().stream_key = state.key;
  program.impl().stream_pos = state.counter;
}

namespace {

/// Appends a Value's slots (flattened tuples) to `out`, checking it against type `t`.
void value_to_slots(const ir::Type& t, const Value& v, std::vector<Slot>& out) {
  Slot s{};
  if (t.is_tuple()) {
    throw std::invalid_argument("tuple arguments are not supported by call()");
  }
  if (!(v.type == t)) {
    throw std::invalid_argument("argument type does not match the parameter");
  }
  if (t.is_array()) {
    if (v.array.empty()) {
      throw std::invalid_argument("null array argument");
    }
    s.p = v.array.handle();
    rt::retain(static_cast<rt::Array*>(s.p));
  } else if (t.scalar == ir::Scalar::F64) {
    s.f = v.f;
  } else if (t.scalar == ir::Scalar::F32) {
    s.f32 = static_cast<float>(v.f);
  } else if (t.scalar == ir::Scalar::I32) {
    s.i = static_cast<std::int32_t>(v.i);
  } else if (t.scalar == ir::Scalar::Bool) {
    s.i = v.i != 0;
  } else if (t.scalar == ir::Scalar::I64) {
    s.i = v.i;
  } else {
    throw std::invalid_argument("unsupported argument type for call()");
  }
  out.push_back(s);
}

/// The Value of one result slot of type `t` (takes over an array reference).
Value slot_to_value(ir::Type t, Slot s) {
  Value v;
  v.type = t;
  if (t.is_array()) {
    v.array = ArrayRef(s.p);
  } else if (t.is_table()) {
    rt::release(static_cast<rt::Table*>(s.p));  // tables do not cross the C++ boundary yet
  } else if (t.scalar == ir::Scalar::F64) {
    v.f = s.f;
  } else if (t.scalar == ir::Scalar::F32) {
    v.f = s.f32;
  } else if (t.scalar == ir::Scalar::Str) {
    v.str = *static_cast<const std::string*>(s.p);
  } else {
    v.i = s.i;
  }
  return v;
}

}  // namespace

Value call(CompiledProgram& program, ir::FnId fn, std::span<const Value> args,
           const RunOptions& options) {
  CompiledProgram::Impl& impl = program.impl();
  if (fn.v >= impl.protos.size()) {
    throw std::invalid_argument("no such function");
  }
  const Proto& proto = impl.protos[fn.v];
  if (args.size() != proto.param_types.size()) {
    throw std::invalid_argument(proto.name + " takes " + std::to_string(proto.param_types.size()) +
                                " arguments, got " + std::to_string(args.size()));
  }
  std::vector<Slot> in;
  try {
    for (std::size_t k = 0; k < args.size(); ++k) {
      value_to_slots(proto.param_types[k], args[k], in);
    }
  } catch (...) {
    for (std::size_t k = 0; k < in.size(); ++k) {
      if (proto.param_types[k].is_array()) {
        rt::release(static_cast<rt::Array*>(in[k].p));
      }
    }
    throw;
  }
  in.resize(std::max<std::size_t>(in.size(), 1));
  std::vector<Slot> out(std::max<std::uint32_t>(proto.nresults, 1));
  execute(impl, fn.v, in.data(), out.data(), options);
  if (proto.ret.is_void()) {
    return Value{};
  }
  if (!proto.ret.is_tuple()) {
    return slot_to_value(proto.ret, out[0]);
  }
  Value v;
  v.type = proto.ret;
  for (std::size_t k = 0; k < proto.result_types.size(); ++k) {
    v.elems.push_back(slot_to_value(proto.result_types[k], out[k]));
  }
  return v;
}

}  // namespace kestrel::interp
