// The public entry points: compile a program, run its top level, call one function, and read
// its bytecode back as text.
#include "codegen/interp/interp.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "codegen/common/marshal.hpp"
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

// Under state_mutex, as the runs' save_stream writes it: calls from several host threads (a tiered
// module's calls read and write it around each native call) may run at once.
StreamState stream_state(const CompiledProgram& program) {
  std::lock_guard<std::mutex> lock(program.impl().state_mutex);
  return StreamState{program.impl().stream_key, program.impl().stream_pos};
}

void set_stream_state(CompiledProgram& program, StreamState state) {
  std::lock_guard<std::mutex> lock(program.impl().state_mutex);
  program.impl().stream_key = state.key;
  program.impl().stream_pos = state.counter;
}

Value call(CompiledProgram& program, ir::FnId fn, std::span<const Value> args,
           const RunOptions& options) {
  CompiledProgram::Impl& impl = program.impl();
  if (fn.v >= impl.protos.size()) {
    throw std::invalid_argument("no such function");
  }
  const Proto& proto = impl.protos[fn.v];
  codegen::check_arity(proto.name, proto.param_types.size(), args.size());
  // The callee's frame takes over its array arguments: each gets a reference of its own.
  std::vector<Slot> in;
  try {
    for (std::size_t k = 0; k < args.size(); ++k) {
      in.push_back(codegen::arg_slot<Slot>(proto.param_types[k], args[k]));
      if (proto.param_types[k].is_array()) {
        rt::retain(static_cast<rt::Array*>(in.back().p));
      }
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
  return codegen::result_value(proto.ret, proto.result_types, out.data());
}

void call_words(CompiledProgram& program, ir::FnId fn, std::span<const std::int64_t> args,
                std::int64_t* out, const RunOptions& options) {
  CompiledProgram::Impl& impl = program.impl();
  const Proto& proto = impl.protos.at(fn.v);
  codegen::check_arity(proto.name, proto.nparams, args.size());
  // The callee's frame takes over its array and table arguments: each gets a reference of its
  // own.
  std::vector<Slot> in(std::max<std::uint32_t>(proto.nparams, 1));
  std::memcpy(in.data(), args.data(), sizeof(Slot) * args.size());
  for (std::uint16_t r : proto.array_locals) {
    if (r < proto.nparams && in[r].p != nullptr) {
      rt::retain(static_cast<rt::Array*>(in[r].p));
    }
  }
  for (std::uint16_t r : proto.table_locals) {
    if (r < proto.nparams && in[r].p != nullptr) {
      rt::retain(static_cast<rt::Table*>(in[r].p));
    }
  }
  std::vector<Slot> results(std::max<std::uint32_t>(proto.nresults, 1));
  execute(impl, fn.v, in.data(), results.data(), options);
  std::memcpy(out, results.data(), sizeof(Slot) * proto.nresults);
}

void set_loop_poll_period(CompiledProgram& program, std::uint32_t period) {
  program.impl().loop_poll_period = period == 0 ? 1 : period;
}

// ---- codegen::Backend -------------------------------------------------------------------------

void CompiledProgram::run_main(const RunOptions& options) { interp::run_main(*this, options); }
Value CompiledProgram::call(ir::FnId fn, std::span<const Value> args, const RunOptions& options) {
  return interp::call(*this, fn, args, options);
}
void CompiledProgram::call_words(ir::FnId fn, std::span<const std::int64_t> args, std::int64_t* out,
                                 const RunOptions& options) {
  interp::call_words(*this, fn, args, out, options);
}
StreamState CompiledProgram::stream_state() const { return interp::stream_state(*this); }
void CompiledProgram::set_stream_state(StreamState state) {
  interp::set_stream_state(*this, state);
}

}  // namespace kestrel::interp
