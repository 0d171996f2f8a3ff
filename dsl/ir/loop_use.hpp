#pragma once
// Which functions loop (a `for` or `while` statement, or a kernel launch: directly, or through a
// call or a launch): tiered execution compiles a call of such a function before it starts when
// its array arguments are large, since interpreting it would take longer than the compile.
#include <vector>

#include "dsl/ir/ir.hpp"

namespace kestrel::ir {

/// One flag per function (indexed by FnId): whether a call of it may run a loop. A fixpoint over
/// the call graph, so recursion is handled.
std::vector<char> functions_with_loops(const Program& program);

}  // namespace kestrel::ir
