// The seeded-stream analysis every backend shares (see stream_use.hpp).
#include "dsl/ir/stream_use.hpp"

#include "dsl/ir/walk.hpp"

namespace kestrel::ir {

namespace {

bool draws(const Expr& e) {
  const auto* b = std::get_if<BuiltinCall>(&e.kind);
  return b != nullptr &&
         (b->builtin == Builtin::RandomStream || b->builtin == Builtin::RandnStream);
}

bool never(const Stmt&) { return false; }

}  // namespace

bool block_uses_stream(const Program& p, const Block& b, const std::vector<char>& fns) {
  return block_reaches(p, b, fns, draws, never);
}

std::vector<char> functions_using_stream(const Program& program) {
  return functions_reaching(program, draws, never);
}

}  // namespace kestrel::ir
