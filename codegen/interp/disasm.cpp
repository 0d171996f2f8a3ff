// The bytecode as text: one instruction per line, `pc  OPCODE  A B C  ; effect`, for tests and
// for debugging the compiler.
#include <cstdio>

#include "codegen/interp/program.hpp"

namespace kestrel::interp {
namespace {

struct OpInfo {
  const char* name;
  const char* form;
};

constexpr OpInfo kOps[] = {
#define KESTREL_OP_INFO(name, form, effect) {#name, #form},
    KESTREL_INTERP_OPCODES(KESTREL_OP_INFO)
#undef KESTREL_OP_INFO
};

}  // namespace

std::string CompiledProgram::emit_bytecode(ir::FnId fn) {
  if (fn.valid()) {
    return disassemble(*this, fn);
  }
  std::string out;
  for (std::uint32_t k = 0; k < impl().protos.size(); ++k) {
    out += (k ? "\n" : "") + disassemble(*this, ir::FnId{k});
  }
  return out;
}

std::string disassemble(const CompiledProgram& program, ir::FnId fn) {
  const Proto& p = program.impl().protos.at(fn.v);
  std::string out = "function " + p.name + " (params " + std::to_string(p.nparams) + ", regs " +
                    std::to_string(p.nregs) + ", constants " + std::to_string(p.k.size()) + ")\n";
  char line[128];
  for (std::size_t pc = 0; pc < p.code.size(); ++pc) {
    Instr in = p.code[pc];
    const OpInfo& info = kOps[static_cast<std::size_t>(in.op)];
    std::string form = info.form;
    if (form == "ABx") {
      std::snprintf(line, sizeof line, "%4zu  %-14s %u %u\n", pc, info.name, in.a, arg_bx(in));
    } else if (form == "AsBx") {
      std::snprintf(line, sizeof line, "%4zu  %-14s %u %d  ; to %zd\n", pc, info.name, in.a,
                    arg_sbx(in), static_cast<std::ptrdiff_t>(pc) + 1 + arg_sbx(in));
    } else if (form == "ABsC") {
      std::snprintf(line, sizeof line, "%4zu  %-14s %u %u %d  ; to %zd\n", pc, info.name, in.a,
                    in.b, arg_sc(in), static_cast<std::ptrdiff_t>(pc) + 1 + arg_sc(in));
    } else {
      std::snprintf(line, sizeof line, "%4zu  %-14s %u %u %u\n", pc, info.name, in.a, in.b, in.c);
    }
    out += line;
  }
  return out;
}

}  // namespace kestrel::interp
