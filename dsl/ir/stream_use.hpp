#pragma once
// Which code draws from the seeded random stream (random(), randn(): directly, or through a call
// or a launch): a parallel loop whose body does gives each iteration its own substream, so every
// backend asks the same question and must get the same answer.
#include <vector>

#include "dsl/ir/ir.hpp"

namespace kestrel::ir {

/// One flag per function (indexed by FnId): whether calling it draws from the stream. A fixpoint
/// over the call graph, so recursion is handled.
std::vector<char> functions_using_stream(const Program& program);

/// Whether `block` draws from the stream, given functions_using_stream's answer.
bool block_uses_stream(const Program& program, const Block& block, const std::vector<char>& fns);

}  // namespace kestrel::ir
