#pragma once
// Tiered execution (issue 16): the contract between the interpreter, which starts every tiered
// run, and the native code a background compile makes ready. The interpreter asks its TierHook
// (RunOptions::tier) at each call whether native code for the callee is ready, at a loop's
// back-edges whether native code continuing that loop is ready (on-stack replacement), and at
// each kernel launch whether native code for the whole launch is ready; when it is, the rest of
// that call (or the launch) runs natively through the hook, its values in 8-byte words laid out
// as marshal.hpp says (bool/i32/i64 as int64_t, f64 as double, f32 in the low 4 bytes, arrays,
// tables and strings as pointers). Neither backend includes the other: the engine implements the
// hook (dsl/engine), the interpreter only calls it.
#include <atomic>
#include <cstdint>
#include <span>
#include <stdexcept>

#include "codegen/common/backend.hpp"
#include "dsl/ir/ir.hpp"

namespace kestrel::codegen {

/// One loop of one function: `index` numbers the function's `for` and `while` statements in
/// pre-order (source order, an outer loop before the loops in its body), from 0. The IR's
/// continuation functions (dsl/ir/osr.hpp) use the same numbering.
struct LoopRef {
  ir::FnId fn;
  std::uint32_t index = 0;
};

/// What native code takes over from the interpreter at a switch: the run's options (print's
/// output, the limits, the call-depth limit), the seeded stream's position (read before the
/// native code runs, written back after, so the stream continues exactly), and the interpreter's
/// call depth at the switch (native calls count on from it).
struct TierState {
  const RunOptions* options = nullptr;
  StreamState* stream = nullptr;
  std::uint32_t depth = 0;
};

/// The engine's side of a tiered run. Every member may be called from several run threads at
/// once; the *_ready queries are cheap (atomic loads) and never block on a compile.
class TierHook {
 public:
  TierHook() = default;
  TierHook(const TierHook&) = delete;
  TierHook& operator=(const TierHook&) = delete;
  virtual ~TierHook() = default;

  /// Whether a call of `fn` is to run natively now. Called at each interpreted call of `fn`
  /// that watching(fn) lets through (the hook may count calls to learn what is hot).
  virtual bool function_ready(ir::FnId fn) = 0;
  /// Whether the interpreter is to ask function_ready(fn) at this call: an inline load, so that a
  /// function whose calls the hook no longer counts and whose native code is not there yet
  /// (fib_rec's 1.6 million calls while it compiles) pays no virtual call at each of them.
  bool watching(ir::FnId fn) const {
    return watch_ == nullptr || watch_[fn.v].load(std::memory_order_acquire) != 0;
  }
  /// Whether the interpreter is to weigh a call of `fn` by its arguments' array elements for
  /// call_start_ready: an inline load, so that calls that never start natively (a kernel's
  /// instances, a function without loops) do not count their arguments' elements each time.
  bool weighing(ir::FnId fn) const { return weigh_ == nullptr || weigh_[fn.v] != 0; }
  /// Runs one call of `fn` natively. `args`: one word per parameter, borrowed (as the JIT's
  /// entry takes them); `out`: the flattened result words (a new reference for an array),
  /// room for max(1, flattened result count). Throws RunError at the failing site as a run
  /// would.
  virtual void call_function(ir::FnId fn, std::span<const std::int64_t> args, std::int64_t* out,
                             TierState& state) = 0;
  /// Whether a call of `fn` is to run natively from its start (then through call_function)
  /// because its array arguments hold `elements` elements in all (at least 1), so that
  /// interpreting it may take longer than compiling it, or running it as the baseline tier's code
  /// longer than compiling it in full. Asked before function_ready; false leaves the call to
  /// function_ready. The hook may compile here, on the run's thread. Default: no.
  virtual bool call_start_ready(ir::FnId fn, std::int64_t elements) {
    (void)fn;
    (void)elements;
    return false;
  }

  /// Whether `loop` is to continue natively now. Called at the loop's back-edges, every so many
  /// iterations (the interpreter decides how often; the hook may count to learn what is hot).
  /// `left`: the iterations still to run when they are all the looping left in the call (a
  /// `for` loop in no other loop of its function), else -1.
  virtual bool loop_ready(LoopRef loop, std::int64_t left) = 0;
  /// Whether an outermost `parallel for` is to run natively from its start (no iteration run
  /// yet, `trips` of them to come), with the rest of its function. Its iterations run as one
  /// unit, so this is its only switch point: the hook may compile here, on the run's thread,
  /// when the loop is long enough to pay for it. Default: loop_ready.
  virtual bool loop_start_ready(LoopRef loop, std::int64_t trips) {
    (void)trips;
    return loop_ready(loop, -1);
  }
  /// Runs the rest of loop.fn natively from the loop's header: `live` are the words of the
  /// continuation's parameters (in the order dsl/ir/osr.hpp gives them: the variables in scope
  /// and the state of the loops around the header), borrowed; `out` as in call_function: the
  /// function's result. After it returns the interpreter returns from that call with `out`.
  virtual void continue_loop(LoopRef loop, std::span<const std::int64_t> live, std::int64_t* out,
                             TierState& state) = 0;

  /// Whether the kernel launch `launch` (the IR's Launch expression, in the program the
  /// interpreter runs) is to run natively now, whole: its grid sizes and arguments evaluated and
  /// the sizes found non-negative, `instances` of the kernel to come (the product of the sizes,
  /// saturated). A launch is one unit, so this is its only switch point: the hook may compile
  /// here, on the run's thread, when the launch is long enough to pay for it. Default: never.
  virtual bool launch_ready(ir::ExprId launch, std::int64_t instances) {
    (void)launch;
    (void)instances;
    return false;
  }
  /// Runs the whole launch natively: `words` are the grid sizes (one i64 each) and then the
  /// launch's arguments (each word_count(type) words; arrays borrowed), in order. `state.depth`
  /// is the depth of the function that launches (its instances run one deeper, as the
  /// interpreter's do); the seeded stream advances as the interpreted launch advances it (one
  /// draw, instance i drawing from substream i when the kernel draws). Throws RunError at the
  /// failing site as a run would. Default: std::logic_error (launch_ready never said yes).
  virtual void run_launch(ir::ExprId launch, std::span<const std::int64_t> words,
                          TierState& state) {
    (void)launch;
    (void)words;
    (void)state;
    throw std::logic_error("this tier hook runs no launch natively");
  }

 protected:
  /// Per function, set by the hook: 0 while function_ready(fn) would say no without needing to
  /// see the call, else 1 (watching). Null: every call is asked.
  const std::atomic<std::uint8_t>* watch_ = nullptr;
  /// Per function, set by the hook once: 0 where call_start_ready(fn, ...) always says no, else
  /// 1. Null: every call with array arguments is weighed.
  const std::uint8_t* weigh_ = nullptr;
};

}  // namespace kestrel::codegen
