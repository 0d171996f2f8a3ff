#pragma once
// Tiered execution (issue 16): a program that starts in the interpreter at once while the JIT
// compiles, on a thread of the engine's, the functions that get hot (in the order they do), and
// moves each to native code at its next call once compiled. The Backend compile_tiered makes is
// also the TierHook (codegen/common/tier.hpp) its interpreted runs consult at every call.
// Under EngineOptions::crosscheck the same hook runs every call in both tiers and stops at the
// first that differs (crosscheck.cpp).
#include <memory>
#include <vector>

#include "dsl/engine/backend.hpp"
#include "dsl/ir/ir.hpp"
#include "kestrel/kestrel.hpp"

namespace kestrel::engine {

/// The tiered program of `program` (Mode::Tiered: EngineOptions::tier_policy, tier_hot_calls;
/// KESTREL_TIER=eager forces TierPolicy::Eager). `program` must outlive the result's runs; the
/// background compile works on a copy of its own. `roots` (compile()'s) are not needed: what is
/// compiled is what gets hot (eager: everything). Throws as compile() does (an eager compile).
std::unique_ptr<Backend> compile_tiered(const ir::Program& program, const EngineOptions& options,
                                        std::vector<ir::FnId> roots);

/// Adds what a tiered (or crosscheck) program did so far to `timings` (the tier_* fields); any
/// other Backend adds nothing.
void tier_timings(const Backend& code, Timings& timings);

/// The end of a script's run (Engine::run_file, a Session entry): frees `code`. A background
/// compile still working is waited for, or, under EngineOptions::detach_compiles (a process that
/// ends with _Exit), left to finish on its own thread, which then frees what it made (the
/// script's answer is already out). Other Backends are freed here.
void end_run(std::unique_ptr<Backend> code);

/// How a tiered program's policy comes out of `options` and the environment (KESTREL_TIER).
TierPolicy tier_policy(const EngineOptions& options);

}  // namespace kestrel::engine
