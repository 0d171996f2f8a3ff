// The bytecode emitter (see emitter.hpp): registers, constants, jump patching and the
// owned-temporaries pass.
#include "codegen/interp/emitter.hpp"

#include <algorithm>
#include <limits>
#include <optional>

namespace kestrel::interp {

std::uint32_t Emitter::slots(Type t) const {
  if (t.is_void()) {
    return 0;
  }
  if (t.is_tuple()) {
    std::uint32_t n = 0;
    for (Type e : p_.types.elems(t)) {
      n += slots(e);
    }
    return n;
  }
  return 1;
}

void Emitter::add_ref_slots(Type t, std::uint32_t at, bool init) {
  if (t.is_tuple()) {
    for (Type e : p_.types.elems(t)) {
      add_ref_slots(e, at, init);
      at += slots(e);
    }
  } else if (is_ref(t)) {
    (t.is_table() ? proto_.table_locals : proto_.array_locals)
        .push_back(static_cast<std::uint16_t>(at));
    if (init) {
      proto_.array_inits.push_back(static_cast<std::uint16_t>(at));
    }
  }
}

void Emitter::flat_types(Type t, std::vector<Type>& out) const {
  if (t.is_tuple()) {
    for (Type e : p_.types.elems(t)) {
      flat_types(e, out);
    }
  } else if (!t.is_void()) {
    out.push_back(t);
  }
}

std::uint16_t Emitter::alloc(std::uint32_t n) {
  std::uint32_t r = free_;
  free_ += n;
  if (free_ > 65000) {
    throw RunError(span_, "function '" + fn_.name +
                              "' needs more registers than the interpreter supports (65000)");
  }
  proto_.nregs = std::max(proto_.nregs, free_);
  return static_cast<std::uint16_t>(r);
}

void Emitter::patch(std::size_t at, std::size_t target) {
  auto off = static_cast<std::int64_t>(target) - static_cast<std::int64_t>(at) - 1;
  Instr& in = proto_.code[at];
  switch (in.op) {
    case Op::JMP:
    case Op::JMPF:
    case Op::JMPT: {
      auto u = static_cast<std::uint32_t>(static_cast<std::int32_t>(off));
      in.b = static_cast<std::uint16_t>(u & 0xffff);
      in.c = static_cast<std::uint16_t>(u >> 16);
      return;
    }
    default:
      if (off < std::numeric_limits<std::int16_t>::min() ||
          off > std::numeric_limits<std::int16_t>::max()) {
        if (!long_jumps_) {
          throw JumpTooFar{};
        }
        throw RunError(span_, "function '" + fn_.name +
                                  "' has a block too long for the interpreter to jump over");
      }
      in.c = static_cast<std::uint16_t>(static_cast<std::int16_t>(off));
  }
}

std::uint32_t Emitter::konst(Slot s) {
  for (std::uint32_t i = 0; i < proto_.k.size(); ++i) {
    if (proto_.k[i].i == s.i) {
      return i;
    }
  }
  proto_.k.push_back(s);
  return static_cast<std::uint32_t>(proto_.k.size() - 1);
}

std::uint32_t Emitter::konst_i(std::int64_t v) {
  Slot s{};
  s.i = v;
  return konst(s);
}

std::uint32_t Emitter::konst_f(double v) {
  Slot s{};
  s.f = v;
  return konst(s);
}

std::uint32_t Emitter::konst_f32(float v) {
  Slot s{};
  s.f32 = v;
  return konst(s);
}

void Emitter::load_int(std::uint16_t dst, std::int64_t v) {
  if (v >= std::numeric_limits<std::int32_t>::min() &&
      v <= std::numeric_limits<std::int32_t>::max()) {
    emit_bx(Op::LOADI, dst, static_cast<std::uint32_t>(static_cast<std::int32_t>(v)));
  } else {
    emit_bx(Op::LOADK, dst, konst_i(v));
  }
}

bool Emitter::const_slot(ExprId id, Slot& s) const {
  const ir::Expr& e = ex(id);
  if (const auto* c = std::get_if<ir::IntConst>(&e.kind)) {
    s.i = c->value;
    return true;
  }
  if (const auto* c = std::get_if<ir::BoolConst>(&e.kind)) {
    s.i = c->value ? 1 : 0;
    return true;
  }
  if (const auto* c = std::get_if<ir::FloatConst>(&e.kind)) {
    s = Slot{};
    if (e.type.scalar == Scalar::F32) {
      s.f32 = static_cast<float>(c->value);
    } else {
      s.f = c->value;
    }
    return true;
  }
  return false;
}

void Emitter::find_owned_temps(std::uint32_t first_temp) {
  struct Open {
    std::uint32_t begin;
    bool table;
  };
  std::vector<std::optional<Open>> open(proto_.nregs + 1);
  auto end = [&](std::uint32_t reg, std::uint32_t at) {
    if (reg < open.size() && open[reg]) {
      if (open[reg]->begin < at) {
        proto_.owned_temps.push_back(
            OwnedTemp{open[reg]->begin, at, static_cast<std::uint16_t>(reg), open[reg]->table});
      }
      open[reg].reset();
    }
  };
  auto begin = [&](std::uint32_t reg, std::uint32_t at, bool table) {
    if (reg >= first_temp && reg < open.size()) {
      end(reg, at);
      open[reg] = Open{at, table};
    }
  };
  const std::vector<Instr>& code = proto_.code;
  for (std::uint32_t q = 0; q < code.size(); ++q) {
    Instr in = code[q];
    switch (in.op) {
      case Op::ARRAY: {
        const ArrayInstr& ai = out_.array_ops[arg_bx(in)];
        if (is_ref(ai.result) && ai.kind != ArrayKind::Set && ai.kind != ArrayKind::StoreView) {
          begin(in.a, q + 1, ai.result.is_table());
        }
        break;
      }
      case Op::COPYA:
        begin(in.a, q + 1, in.c != 0);
        break;
      case Op::MOV:
        if (in.b < open.size() && open[in.b]) {
          bool table = open[in.b]->table;
          end(in.b, q);
          begin(in.a, q + 1, table);
        }
        break;
      case Op::MOVEA:
        end(in.b, q);
        break;
      case Op::RELEASE:
        end(in.a, q);
        break;
      case Op::RET:
        for (std::uint32_t r = in.a; r < static_cast<std::uint32_t>(in.a) + in.b; ++r) {
          end(r, q);
        }
        break;
      case Op::CALL: {
        const ir::Function& callee = p_.fn(ir::FnId{arg_bx(in)});
        std::uint32_t nparams = 0;
        for (std::uint32_t k = 0; k < callee.param_count; ++k) {
          nparams += slots(callee.locals[k].type);
        }
        for (std::uint32_t r = in.a; r < in.a + nparams; ++r) {
          end(r, q + 1);
        }
        std::vector<Type> results;
        flat_types(callee.ret, results);
        for (std::size_t k = 0; k < results.size(); ++k) {
          if (is_ref(results[k])) {
            begin(in.a + static_cast<std::uint32_t>(k), q + 1, results[k].is_table());
          }
        }
        break;
      }
      default:
        break;
    }
  }
  for (std::uint32_t r = 0; r < open.size(); ++r) {
    end(r, static_cast<std::uint32_t>(code.size()));
  }
}

}  // namespace kestrel::interp
