// On-stack replacement into native code: as osr_test.cpp, but the continuation (dsl/ir/osr.hpp)
// that the interpreter switches to at a loop's 1st, 2nd and 7th back-edge is compiled by the JIT
// and run through its entry with words (the live values exactly as the interpreter hands them
// over), on a large stack as the JIT's runs are, at 1 and at 8 threads. Output and errors must
// equal the plain run's.
#include <gtest/gtest.h>
#include <pthread.h>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "codegen/common/tier.hpp"
#include "codegen/interp/interp.hpp"
#include "codegen/llvm/jit.hpp"
#include "codegen/llvm/program.hpp"
#include "runtime/abi.hpp"
#include "runtime/parallel.hpp"
#include "tests/interp/osr_fixture.hpp"

namespace kestrel::interp {
namespace {

using testing::osr::LoadedGolden;

/// Runs `f` on a thread with a 512 MiB stack (as the JIT's run_main does: deep recursion in
/// native code needs it to reach the call-depth limit before the stack check).
template <class F>
void on_big_stack(F& f) {
  pthread_attr_t attr;
  pthread_t thread;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, std::size_t{512} << 20), 0);
  ASSERT_EQ(pthread_create(
                &thread, &attr,
                [](void* p) -> void* {
                  (*static_cast<F*>(p))();
                  return nullptr;
                },
                &f),
            0);
  pthread_attr_destroy(&attr);
  pthread_join(thread, nullptr);
}

/// The JIT's compiles of each loop's continuation, shared by the runs that switch that loop.
struct JitCache {
  std::map<std::string, std::unique_ptr<jit::CompiledProgram>> by_loop;
};

class JitContinuations : public testing::osr::SwitchHook {
 public:
  JitContinuations(const ir::Program& p, codegen::LoopRef target, std::uint64_t n, JitCache& cache)
      : SwitchHook(p, target, n), cache_(cache) {}

 protected:
  void run_continuation(const ir::Program& program, const ir::Continuation& c,
                        std::span<const std::int64_t> live, std::int64_t* out,
                        codegen::TierState& state) override {
    // The continuation's name (F's, with the loop's number) says which loop it continues.
    const std::string& k = program.fn(c.fn).name;
    auto& slot = cache_.by_loop[k];
    if (!slot) {
      jit::Options options;
      options.use_cache = false;
      options.roots = {c.fn};
      slot = jit::compile(program, options);
    }
    jit::CompiledProgram& jp = *slot;
    jit::set_stream_state(jp, *state.stream);
    auto* ctx = static_cast<KestrelContext*>(jit::begin_direct(jp, *state.options));
    ctx->depth = state.depth;
    std::vector<std::int64_t> in(live.begin(), live.end());
    in.resize(std::max<std::size_t>(in.size(), 1));
    std::size_t nout = std::max<std::size_t>(jp.impl().tables.sigs.at(c.fn.v).flat_ret.size(), 1);
    std::vector<std::int64_t> res(nout, 0);
    using EntryFn = void (*)(KestrelContext*, std::int64_t*, std::int64_t*);
    auto entry = reinterpret_cast<EntryFn>(jp.impl().entries.at(c.fn.v));
    auto body = [&]() {
      ctx->stack_limit = rt::stack_limit();
      entry(ctx, in.data(), res.data());
    };
    on_big_stack(body);
    *state.stream = StreamState{ctx->stream_key, ctx->stream_counter};
    jit::end_direct(jp, ctx);  // throws the recorded error
    std::memcpy(out, res.data(), 8 * res.size());
  }

 private:
  JitCache& cache_;
};

testing::osr::Outcome run_interp(const LoadedGolden& g, codegen::TierHook* hook) {
  auto compiled = compile(*g.program);
  set_loop_poll_period(*compiled, 1);
  return testing::osr::run_outcome(g, [&](const RunOptions& base) {
    RunOptions options = base;
    options.tier = hook;
    run_main(*compiled, options);
  });
}

class OsrJit : public ::testing::TestWithParam<std::string> {};

TEST_P(OsrJit, EveryLoopSwitchesToNativeCodeAndPrintsTheSame) {
  LoadedGolden g = testing::osr::load(GetParam());
  if (!g.program) {
    GTEST_SKIP() << "does not check: " << g.check;
  }
  testing::osr::Outcome plain = run_interp(g, nullptr);
  if (testing::osr::Outcome want = testing::osr::expected(GetParam()); !want.out.empty()) {
    ASSERT_EQ(plain.out, want.out);
    ASSERT_EQ(plain.error, want.error);
  }
  testing::osr::CountingHook counter;
  testing::osr::Outcome counted = run_interp(g, &counter);
  ASSERT_EQ(counted.out, plain.out);
  JitCache cache;
  struct Threads {
    ~Threads() { rt::set_threads(0); }
  } restore;
  for (const auto& [loop, count] : testing::osr::loops_to_switch(*g.program, counter)) {
    for (int threads : {1, 8}) {
      rt::set_threads(threads);
      for (std::uint64_t n : {1, 2, 7}) {
        if (count < n) {
          continue;
        }
        JitContinuations hook(*g.program, loop, n, cache);
        testing::osr::Outcome o = run_interp(g, &hook);
        SCOPED_TRACE(g.program->fn(loop.fn).name + " loop " + std::to_string(loop.index) +
                     " at back-edge " + std::to_string(n) + ", " + std::to_string(threads) +
                     " threads");
        EXPECT_TRUE(hook.switched());
        EXPECT_EQ(o.out, plain.out);
        EXPECT_EQ(o.error, plain.error);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, OsrJit, ::testing::ValuesIn(testing::osr::Goldens()),
                         testing::osr::test_name);

}  // namespace
}  // namespace kestrel::interp
