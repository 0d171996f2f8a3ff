#pragma once
// The VM's small helpers on registers (vm.cpp): references held by a register, print's text of
// one, and a reduction's identity; the program's spare register stack and seeded stream.
#include <mutex>
#include <string>
#include <vector>

#include "codegen/interp/program.hpp"
#include "runtime/csv.hpp"
#include "runtime/format.hpp"
#include "runtime/rules/combine.hpp"

namespace kestrel::interp {

/// The program's spare register stack (empty while another call uses it).
inline std::vector<Slot> take_spare(CompiledProgram::Impl& prog) {
  std::lock_guard<std::mutex> lock(prog.state_mutex);
  return std::move(prog.spare_stack);
}

/// Saves where the seeded stream stands after a run: in the run's own StreamState when its
/// options give one (RunOptions::stream), else in the program.
inline void save_stream(CompiledProgram::Impl& prog, const RunOptions& opt,
                        const rt::Stream& stream) {
  if (opt.stream != nullptr) {
    *opt.stream = StreamState{stream.key, stream.counter};
    return;
  }
  std::lock_guard<std::mutex> lock(prog.state_mutex);
  prog.stream_key = stream.key;
  prog.stream_pos = stream.counter;
}

/// Releases the reference a register holds, if any, and clears it.
inline void release_slot(Slot& s, bool is_table = false) {
  if (s.p != nullptr) {
    if (is_table) {
      rt::release(static_cast<rt::Table*>(s.p));
    } else {
      rt::release(static_cast<rt::Array*>(s.p));
    }
    s.p = nullptr;
  }
}

/// Adds a reference to what a register holds, if anything.
inline void retain_slot(Slot s, bool is_table = false) {
  if (s.p != nullptr) {
    if (is_table) {
      rt::retain(static_cast<rt::Table*>(s.p));
    } else {
      rt::retain(static_cast<rt::Array*>(s.p));
    }
  }
}

/// The elements a call's array arguments hold in all (`args`: the callee's frame, its parameters
/// first): what a tiered run weighs against a compile at the call's start.
inline std::int64_t argument_elements(const Proto& callee, const Slot* args) {
  std::int64_t n = 0;
  for (std::uint16_t r : callee.array_locals) {
    if (r < callee.nparams && args[r].p != nullptr) {
      n += static_cast<const rt::Array*>(args[r].p)->size();
    }
  }
  return n;
}

/// print's text for one argument of type `t` held at `s`.
inline void append_printed(std::string& out, ir::Type t, Slot s) {
  if (t.is_array()) {
    out += rt::format_array(*static_cast<rt::Array*>(s.p));
    return;
  }
  if (t.is_table()) {
    out += rt::format_table(*static_cast<rt::Table*>(s.p));
    return;
  }
  switch (t.scalar) {
    case ir::Scalar::Bool:
      rt::append_bool(out, s.i != 0);
      return;
    case ir::Scalar::I32:
    case ir::Scalar::I64:
      rt::append_int(out, s.i);
      return;
    case ir::Scalar::F32:
      rt::append_float(out, s.f32);
      return;
    case ir::Scalar::F64:
      rt::append_float(out, s.f);
      return;
    case ir::Scalar::Str:
      out += *static_cast<const std::string*>(s.p);
      return;
  }
}

/// The identity of a reduction operator in a scalar type (rules/combine.hpp).
inline Slot identity(ir::Scalar s, ir::ReduceOp op) {
  Slot out{};
  auto c = static_cast<rt::CombineOp>(op);
  if (s == ir::Scalar::F32) {
    out.f32 = rt::combine_identity<float>(c);
  } else {
    out.f = rt::combine_identity<double>(c);
  }
  return out;
}

}  // namespace kestrel::interp
