// Kernel launches as a tiered run's switch points (codegen::TierHook::launch_ready): in every
// golden program that has a kernel, every launch the interpreter reaches runs natively, whole:
// the launch as a function of its own (ir::add_launcher) compiled by the JIT and entered with
// the interpreter's words (grid sizes and arguments, borrowed), the seeded stream and the call
// depth handed over. Every function stays interpreted, so a launch inside a function (at any
// depth) switches too. At 1 and 8 threads; output and errors must equal the plain run's, and
// every launch must have run natively.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "codegen/common/tier.hpp"
#include "codegen/interp/interp.hpp"
#include "codegen/llvm/jit.hpp"
#include "runtime/parallel.hpp"
#include "runtime/run_stack.hpp"
#include "tests/interp/osr_fixture.hpp"

namespace kestrel::interp {
namespace {

using testing::osr::LoadedGolden;

/// The JIT's compile of each launch site's launcher, shared by the runs of one program.
struct Launcher {
  std::unique_ptr<ir::Program> program;
  std::unique_ptr<jit::CompiledProgram> code;
  ir::FnId fn;
};

/// Says yes at every launch and runs it through its launcher; never switches anything else.
class JitLaunches : public codegen::TierHook {
 public:
  JitLaunches(const ir::Program& p, std::map<std::uint32_t, Launcher>& cache)
      : program_(p), cache_(cache) {}

  bool function_ready(ir::FnId) override { return false; }
  void call_function(ir::FnId, std::span<const std::int64_t>, std::int64_t*,
                     codegen::TierState&) override {
    ADD_FAILURE() << "call_function without function_ready";
  }
  bool loop_ready(codegen::LoopRef, std::int64_t) override { return false; }
  void continue_loop(codegen::LoopRef, std::span<const std::int64_t>, std::int64_t*,
                     codegen::TierState&) override {
    ADD_FAILURE() << "continue_loop without loop_ready";
  }
  bool launch_ready(ir::ExprId launch, std::int64_t instances) override {
    EXPECT_TRUE(std::holds_alternative<ir::Launch>(program_.expr(launch).kind));
    EXPECT_GE(instances, 0);
    asked_.fetch_add(1);
    return true;
  }
  void run_launch(ir::ExprId launch, std::span<const std::int64_t> words,
                  codegen::TierState& state) override {
    const Launcher* l = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      Launcher& slot = cache_[launch.v];
      if (!slot.code) {
        slot.program = std::make_unique<ir::Program>(program_);
        slot.fn = ir::add_launcher(*slot.program, launch);
        jit::Options options;
        options.use_cache = false;
        options.roots = {slot.fn};
        slot.code = jit::compile(*slot.program, options);
      }
      l = &slot;
    }
    const ir::Function& f = l->program->fn(l->fn);
    std::uint32_t nwords = 0;
    for (std::uint32_t k = 0; k < f.param_count; ++k) {
      nwords += ir::word_count(l->program->types, f.locals[k].type);
    }
    EXPECT_EQ(nwords, words.size());
    codegen::RunOptions o = *state.options;
    o.tier = nullptr;
    o.depth = state.depth;
    o.stream = state.stream;
    std::int64_t none = 0;
    ran_.fetch_add(1);  // counted before: a launch that fails ran natively too
    l->code->call_words(l->fn, words, &none, o);
  }

  int asked() const { return asked_.load(); }
  int ran() const { return ran_.load(); }

 private:
  const ir::Program& program_;
  std::map<std::uint32_t, Launcher>& cache_;
  std::mutex mutex_;
  std::atomic<int> asked_{0};
  std::atomic<int> ran_{0};
};

testing::osr::Outcome run_interp(const LoadedGolden& g, codegen::TierHook* hook) {
  auto compiled = compile(*g.program);
  testing::osr::Outcome out;
  // On a large stack, as a tiered run's top level is: native recursion inside a kernel then
  // reaches the call-depth limit where the interpreter's does.
  auto body = [&]() noexcept {
    out = testing::osr::run_outcome(g, [&](const RunOptions& base) {
      RunOptions options = base;
      options.tier = hook;
      run_main(*compiled, options);
    });
  };
  rt::on_run_stack(body);
  return out;
}

/// The golden programs that declare a kernel.
std::vector<std::string> WithKernels() {
  std::vector<std::string> out;
  for (const std::string& rel : testing::osr::Goldens()) {
    std::ifstream in(testing::osr::root() / rel);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("kernel ") != std::string::npos) {
      out.push_back(rel);
    }
  }
  return out;
}

class LaunchJit : public ::testing::TestWithParam<std::string> {};

TEST_P(LaunchJit, EveryLaunchRunsNativelyAndPrintsTheSame) {
  LoadedGolden g = testing::osr::load(GetParam());
  if (!g.program) {
    GTEST_SKIP() << "does not check: " << g.check;
  }
  testing::osr::Outcome plain = run_interp(g, nullptr);
  std::map<std::uint32_t, Launcher> cache;
  struct Threads {
    ~Threads() { rt::set_threads(0); }
  } restore;
  for (int threads : {1, 8}) {
    rt::set_threads(threads);
    JitLaunches hook(*g.program, cache);
    testing::osr::Outcome o = run_interp(g, &hook);
    SCOPED_TRACE(std::to_string(threads) + " threads");
    EXPECT_EQ(o.out, plain.out);
    EXPECT_EQ(o.error, plain.error);
    EXPECT_GT(hook.asked(), 0);
    EXPECT_EQ(hook.ran(), hook.asked());
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, LaunchJit, ::testing::ValuesIn(WithKernels()),
                         testing::osr::test_name);

/// Launches near the call-depth limit (10000): the depth a kernel's instances see across the
/// switch is the interpreter's (an instance runs one deeper than its launcher), and a launch at
/// the limit fails at the launch, as its first instance's call would.
constexpr const char* kDepth = R"(kernel deep(x: f64[:]) {
    x[index()] = twice(x[index()])
}
fn twice(v: f64) -> f64 {
    return 2.0 * v
}
fn down(n: i64, x: f64[:]) -> f64 {
    if n == 0 {
        deep[len(x)](x)
        return sum(x)
    }
    return down(n - 1, x)
}
let x = ones(3)
print(down(9997, x))
print(down(N, x))
)";

TEST(LaunchJitDepth, InstancesRunOneDeeperThanTheLauncherOnBothSides) {
  // down(9998): the instances at depth 10000 cannot call twice; down(9999): the launch itself
  // is at depth 10000, its instances cannot run.
  for (const auto& [n, where] : {std::pair<std::string, std::string>{"9998", ":2:18: "},
                                 std::pair<std::string, std::string>{"9999", ":9:9: "}}) {
    SCOPED_TRACE("down(" + n + ")");
    auto path = std::filesystem::temp_directory_path() / ("kestrel_launch_depth_" + n + ".kst");
    {
      std::string text = kDepth;
      text.replace(text.find('N', text.find("print(down(9997")), 1, n);
      std::ofstream(path) << text;
    }
    LoadedGolden g = testing::osr::load(path.string());
    ASSERT_TRUE(g.program) << g.check;
    testing::osr::Outcome plain = run_interp(g, nullptr);
    EXPECT_EQ(plain.out, "6.0\n");
    EXPECT_NE(plain.error.find(where + "stack overflow: recursion deeper than 10000"),
              std::string::npos)
        << plain.error;
    std::map<std::uint32_t, Launcher> cache;
    JitLaunches hook(*g.program, cache);
    testing::osr::Outcome o = run_interp(g, &hook);
    EXPECT_EQ(o.out, plain.out);
    EXPECT_EQ(o.error, plain.error);
    EXPECT_EQ(hook.asked(), 2);
    // At the limit the interpreter raises the error before the switch, as its first call would.
    EXPECT_EQ(hook.ran(), n == "9998" ? 2 : 1);
    std::filesystem::remove(path);
  }
}

}  // namespace
}  // namespace kestrel::interp
