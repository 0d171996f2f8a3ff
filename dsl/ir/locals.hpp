#pragma once
// Which locals a block reads and declares: what a parallel loop captures, for every backend that
// outlines one (the JIT's chunk functions, the CUDA backend's kernels).
#include <vector>

#include "dsl/ir/ir.hpp"

namespace kestrel::ir {

/// Marks the locals a block reads (LocalRef, Assign targets) in `used` and those it declares
/// (let, loop variables) in `declared`, nested blocks included.
void locals_of(const Program& p, const Block& b, std::vector<char>& used,
               std::vector<char>& declared);

}  // namespace kestrel::ir
