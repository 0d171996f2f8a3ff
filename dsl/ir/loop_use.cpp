// The loop analysis tiered execution uses (see loop_use.hpp).
#include "dsl/ir/loop_use.hpp"

#include "dsl/ir/walk.hpp"

namespace kestrel::ir {

std::vector<char> functions_with_loops(const Program& program) {
  return functions_reaching(
      program, [](const Expr& e) { return std::holds_alternative<Launch>(e.kind); },
      [](const Stmt& s) {
        return std::holds_alternative<For>(s.kind) || std::holds_alternative<While>(s.kind);
      });
}

}  // namespace kestrel::ir
