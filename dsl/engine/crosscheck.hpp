#pragma once
// --crosscheck (EngineOptions::crosscheck): every call the interpreter makes runs in both tiers,
// the native run on copies of the array arguments, and the first call whose result, array
// arguments, printed output, random stream or runtime error differ stops the run with the
// runtime error "crosscheck: ..." at its call site, naming the function and both values. The
// interpreter's results are the ones the run goes on with. The top level runs in both too.
// Calls nested inside 32 checked calls run in the interpreter only (their callers' checks cover
// them), so a deep recursion costs 32 native runs of its subtree, not one per level.
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "codegen/common/tier.hpp"
#include "dsl/engine/backend.hpp"
#include "dsl/ir/ir.hpp"

namespace kestrel::engine {

using codegen::RunError;
using codegen::RunOptions;
using codegen::StreamState;
using codegen::Value;

/// The two tiers of one program, and the hook the interpreter's runs call back (the one that
/// crosschecks their calls).
struct CrossCall {
  const ir::Program& program;
  Backend& interp;
  Backend& native;
  codegen::TierHook& hook;
};

/// One call of `fn` made by the interpreter (TierHook::call_function under --crosscheck): runs
/// it natively on copies, then interpreted through `c.hook`, compares, and leaves the
/// interpreter's result words in `out`. Throws rt::RuntimeError ("crosscheck: ...", rendered
/// at the call site by the interpreter) at a difference, RunError when both fail alike.
void crosscheck_call(const CrossCall& c, ir::FnId fn, std::span<const std::int64_t> args,
                     std::int64_t* out, codegen::TierState& state);

/// The top level: the interpreter's run (calls checked) and the native run from the same
/// stream must print the same and fail alike; the output is written once both have run.
void crosscheck_top(const CrossCall& c, const RunOptions& options);

namespace testing {
/// For tests of --crosscheck only: a divergence planted in native code. While set, native runs
/// of the function named `name` under --crosscheck go through `wrong` (given the native
/// program, the function, the argument words, the result words and the options) instead.
using NativeOverride =
    std::function<void(Backend& native, ir::FnId fn, std::span<const std::int64_t> args,
                       std::int64_t* out, const RunOptions& options)>;
void plant_divergence(std::string name, NativeOverride wrong);
void clear_divergence();
}  // namespace testing

}  // namespace kestrel::engine
