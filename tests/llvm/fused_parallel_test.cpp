// The JIT's fused whole-array loops run by the runtime's chunks (codegen/llvm/lower_fuse.cpp,
// kestrel_rt_fused_sum / kestrel_rt_fused_for): the run's limits stop them between chunks, at the
// fused statement, also when they sit in a loop whose back-edges poll once per 2^16 iterations.
// (Their values at 1, 2 and 8 threads: tests/lang/arrays/fused_parallel.kst through Golden.)
#include <atomic>
#include <string>
#include <string_view>

#include "runtime/limits.hpp"
#include "runtime/parallel.hpp"
#include "tests/llvm/jit_helpers.hpp"

namespace kestrel::jit::testing {
namespace {

/// Runs `text` in the JIT under `limits`, its deadline `limits.time_limit_ms` from the end of the
/// compile (so a slow compile on a loaded machine does not spend the run's time).
Outcome jit_run_limited(const std::string& text, rt::Limits limits) {
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  Outcome o;
  if (!program) {
    return o;
  }
  codegen::RunOptions options;
  options.out = &o.out;
  options.limits = &limits;
  try {
    jit::Options jo;
    jo.use_cache = false;
    auto code = jit::compile(*program, jo);
    limits.deadline_ns = rt::monotonic_ns() + limits.time_limit_ms * 1'000'000;
    jit::run_main(*code, options);
  } catch (const codegen::RunError& e) {
    o.error = diag::location(sources, e.span()) + ": " + e.message();
  }
  return o;
}

// Each program makes its arrays in well under a millisecond, then runs fused loops for minutes
// (100,000 iterations of 200,000 elements: the runtime's chunks; or 10^8 of 1,000: called
// directly, charged to the back-edge budget by length): the time limit of 300 ms stops the run in
// the fused loop of line 4 (or, for the small stores, possibly at the loop's own poll between its
// blocks, line 3), at one thread and at two. Before the fused loops polled, a store ran on to the
// loop's next poll, 2^16 iterations later.
TEST(FusedParallel, TimeLimitStopsAFusedLoopAtItsStatement) {
  const char* programs[] = {
      "let a = ones(200000)\nlet o = zeros(200000)\nfor k in 0..100000 {\n"
      "    o[:] = a * 2.0 + o\n}\nprint(o[0])\n",
      "let a = ones(1000)\nlet o = zeros(1000)\nfor k in 0..100000000 {\n"
      "    o[:] = a * 2.0 + o\n}\nprint(o[0])\n",
      "let a = ones(200000)\nvar t = 0.0\nfor k in 0..100000 {\n"
      "    t += sum(a * 2.0 - 1.0)\n}\nprint(t)\n",
      "let a = ones(1000)\nvar t = 0.0\nfor k in 0..100000000 {\n"
      "    t += sum(a * 2.0 - 1.0)\n}\nprint(t)\n",
  };
  for (int threads : {1, 2}) {
    rt::set_threads(threads);
    for (const char* text : programs) {
      rt::Limits limits;
      limits.time_limit_ms = 300;
      Outcome o = jit_run_limited(text, limits);
      EXPECT_EQ(o.out, "") << text;
      // The runtime's chunks (200,000 elements) poll inside the statement, so the stop is
      // there. A small store called directly charges the loop's poll budget and polls when it
      // runs out, but the strip-mined loop also reads the clock between its blocks (line 3):
      // whichever poll first sees the coarse clock pass the deadline reports it, so the run
      // stops within the budget's 2^16 / 64 iterations either way (before the fix: 2^16).
      bool small = std::string_view(text).starts_with("let a = ones(1000)");
      bool at_store = o.error.rfind("test.kst:4:", 0) == 0;
      bool at_loop = o.error.rfind("test.kst:3:", 0) == 0;
      EXPECT_TRUE(at_store || (small && at_loop)) << threads << " threads: " << o.error << "\n"
                                                  << text;
      EXPECT_NE(o.error.find("time limit of 300 ms exceeded"), std::string::npos) << o.error;
    }
  }
  rt::set_threads(0);
}

}  // namespace
}  // namespace kestrel::jit::testing
