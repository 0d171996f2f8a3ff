#pragma once
// Which array parameters a function may write, directly or through an alias (a slice, a
// transpose, a local bound to it, the result of a call that may return a view of it) or through
// a call or a launch that writes them. The embedding API refuses to bind a view of const memory to
// such a parameter. Conservative: a "may write" is never missed, and an array computed afresh
// (arithmetic, a builtin) is never taken for an alias.
#include <cstdint>
#include <vector>

#include "dsl/ir/ir.hpp"

namespace kestrel::ir {

/// One mask per function (indexed by FnId): bit k set when parameter k may be written
/// (parameters from 63 on share bit 63). A fixpoint over the call graph, so recursion is handled.
std::vector<std::uint64_t> written_params(const Program& program);

/// Whether parameter `k` of `fn` may be written, given written_params's answer.
inline bool writes_param(const std::vector<std::uint64_t>& masks, FnId fn, std::size_t k) {
  return (masks[fn.v] >> (k < 63 ? k : 63)) & 1U;
}

}  // namespace kestrel::ir
