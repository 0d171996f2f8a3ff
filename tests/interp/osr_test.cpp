// On-stack replacement without a JIT: every golden program of tests/lang, with each loop of each
// function switching to its continuation (dsl/ir/osr.hpp) at its N-th back-edge (N = 1, 2, 7),
// the continuation itself run by the interpreter (a second program: the first plus the
// continuation), must print what the plain run prints and fail, if it fails, with the same
// error at the same place.
#include "dsl/ir/osr.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "codegen/common/tier.hpp"
#include "codegen/interp/interp.hpp"
#include "codegen/interp/program.hpp"
#include "dsl/diag/diagnostic.hpp"
#include "dsl/sema/check.hpp"
#include "runtime/array.hpp"
#include "runtime/csv.hpp"
#include "tests/interp/osr_fixture.hpp"

namespace kestrel::interp {
namespace {

namespace fs = std::filesystem;
using testing::osr::Goldens;
using testing::osr::LoadedGolden;

/// Runs the continuation in a second interpreter program.
class InterpContinuations : public testing::osr::SwitchHook {
 public:
  using SwitchHook::SwitchHook;

 protected:
  void run_continuation(const ir::Program& program, const ir::Continuation& c,
                        std::span<const std::int64_t> live, std::int64_t* out,
                        codegen::TierState& state) override {
    auto compiled = compile(program);
    const Proto& proto = compiled->impl().protos[c.fn.v];
    // The continuation's frame owns its array and table parameters: a reference each.
    std::vector<Slot> args(std::max<std::size_t>(live.size(), 1));
    std::vector<ir::Type> words;
    for (ir::Type t : proto.param_types) {
      testing::osr::flatten(program.types, t, words);
    }
    EXPECT_EQ(words.size(), live.size());
    for (std::size_t w = 0; w < live.size(); ++w) {
      std::memcpy(&args[w], &live[w], 8);
      if (words[w].is_array()) {
        rt::retain(static_cast<rt::Array*>(args[w].p));
      } else if (words[w].is_table()) {
        rt::retain(static_cast<rt::Table*>(args[w].p));
      }
    }
    set_stream_state(*compiled, *state.stream);
    std::vector<Slot> res(std::max<std::uint32_t>(proto.nresults, 1));
    CompiledProgram& kept = *compiled;
    keep(std::move(compiled));  // str results and printed strs point into it
    try {
      RunOptions at = *state.options;
      at.depth = state.depth;
      at.stream = nullptr;
      execute(kept.impl(), c.fn.v, args.data(), res.data(), at);
    } catch (...) {
      *state.stream = stream_state(kept);
      throw;
    }
    *state.stream = stream_state(kept);
    std::memcpy(out, res.data(), 8 * res.size());
  }

 private:
  void keep(std::unique_ptr<CompiledProgram> p) {
    std::lock_guard<std::mutex> lock(mutex_);
    kept_.push_back(std::move(p));
  }
  std::mutex mutex_;
  std::vector<std::unique_ptr<CompiledProgram>> kept_;
};

/// One run of the program's top level in the interpreter, with `hook` (or none).
testing::osr::Outcome run_interp(const LoadedGolden& g, codegen::TierHook* hook) {
  auto compiled = compile(*g.program);
  set_loop_poll_period(*compiled, 1);
  return testing::osr::run_outcome(g, [&](const RunOptions& base) {
    RunOptions options = base;
    options.tier = hook;
    run_main(*compiled, options);
  });
}

/// A program checked from source (as test.kst).
ir::Program checked(const std::string& text) {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  auto p = sema::check_source(sources, "test.kst", text, sema::CheckOptions{}, diags);
  EXPECT_TRUE(p && !diags.has_errors()) << diag::render(sources, diags);
  return p ? std::move(*p) : ir::Program{};
}

std::string describe(const ir::Program& p, ir::FnId fn, const ir::LoopEntry& e) {
  if (!e.entry()) {
    return "no: " + e.not_entry;
  }
  static const char* const kKind[] = {"", "index ", "hi ", "step "};
  std::string s;
  for (const ir::LiveSlot& l : e.live) {
    s += std::string(kKind[static_cast<int>(l.kind)]) + p.local(fn, l.local).name;
    if (l.kind != ir::LiveSlot::Kind::Local) {
      s += "@" + std::to_string(l.loop);
    }
    s += ":" + std::to_string(ir::word_count(p.types, l.type)) + " ";
  }
  return s;
}

TEST(OsrEntries, PreOrderNumbersAndLiveValuesInParameterOrder) {
  ir::Program p = checked(R"(
fn f(n: i64, pair: (i64, f64)) -> i64 {
    var s = 0
    for i in 0..n by n - 1 {
        let x = i
        while s < x {
            s += 1
        }
        parallel for k in 0..n {
            for q in 0..k {
                s += q
            }
        }
    }
    let late = 1
    for j in 0..n by 2 {
        s += j + late
    }
    return s
}
print(f(3, (1, 2.0)))
)");
  ir::FnId f = p.find_function("f");
  std::vector<ir::LoopEntry> e = ir::loop_entries(p, f);
  ASSERT_EQ(e.size(), 5U);
  EXPECT_EQ(describe(p, f, e[0]), "n:1 pair:2 s:1 index i@0:1 hi i@0:1 step i@0:1 ");
  EXPECT_EQ(describe(p, f, e[1]), "n:1 pair:2 s:1 index i@0:1 hi i@0:1 step i@0:1 x:1 ");
  // The outermost parallel loop: an entry point at its start, its own index and bound last.
  EXPECT_EQ(describe(p, f, e[2]),
            "n:1 pair:2 s:1 index i@0:1 hi i@0:1 step i@0:1 x:1 index k@2:1 hi k@2:1 ");
  EXPECT_EQ(describe(p, f, e[3]),
            "no: a parallel for, and every loop inside one, runs as one unit: it is not an "
            "entry point");
  EXPECT_EQ(describe(p, f, e[4]), "n:1 pair:2 s:1 late:1 index j@4:1 hi j@4:1 ");
  EXPECT_THROW(ir::add_continuation(p, f, 3), std::invalid_argument);
  EXPECT_THROW(ir::add_continuation(p, f, 5), std::invalid_argument);
  std::size_t before = p.functions.size();
  ir::Continuation c = ir::add_continuation(p, f, 1);
  EXPECT_EQ(c.fn.v, before);
  EXPECT_EQ(p.fn(c.fn).name, "f#loop1");
  EXPECT_EQ(p.fn(c.fn).param_count, c.live.size());
  EXPECT_EQ(p.fn(c.fn).ret, p.fn(f).ret);
}

/// What the top level of `compiled` prints, run with `hook` as its tier.
template <typename Compiled>
std::string run_with_hook(Compiled& compiled, codegen::TierHook& hook) {
  std::string out;
  RunOptions options;
  options.out = &out;
  options.tier = &hook;
  run_main(compiled, options);
  return out;
}

/// Says "not ready" to every call it is asked about, counting them per function; its watch
/// flags (TierHook::watch_) say which functions' calls it is asked about at all.
class WatchingHook : public testing::osr::CountingHook {
 public:
  explicit WatchingHook(std::size_t functions) : watch(new std::atomic<std::uint8_t>[functions]) {
    for (std::size_t f = 0; f < functions; ++f) {
      watch[f].store(1);
    }
    watch_ = watch.get();
  }
  bool function_ready(ir::FnId fn) override {
    ++asked[fn.v];
    return false;
  }
  std::unique_ptr<std::atomic<std::uint8_t>[]> watch;
  std::map<std::uint32_t, int> asked;
};

// The interpreter asks the hook about a call only while the hook watches its function (the
// tier stops watching a function once it is hot, until its code is there): 30 calls of `leaf`,
// asked about each while watched and about none while not.
TEST(TierWatch, OnlyWatchedCallsAreAsked) {
  ir::Program p = checked(R"(
fn leaf(x: i64) -> i64 {
    return x * 2 + 1
}
fn rec(n: i64) -> i64 {
    if n == 0 {
        return 0
    }
    return leaf(n) + rec(n - 1)
}
print(rec(30))
)");
  auto compiled = compile(p);
  ir::FnId leaf = p.find_function("leaf");
  ir::FnId rec = p.find_function("rec");
  for (bool watched : {true, false}) {
    WatchingHook hook(p.functions.size());
    hook.watch[leaf.v].store(watched ? 1 : 0);
    EXPECT_EQ(run_with_hook(*compiled, hook), "960\n");
    EXPECT_EQ(hook.asked[leaf.v], watched ? 30 : 0);
    EXPECT_EQ(hook.asked[rec.v], 31);
  }
}

/// Counts the calls it is asked to weigh by their arguments' array elements (call_start_ready);
/// its weigh flags (TierHook::weigh_) say which functions' calls are weighed at all.
class WeighingHook : public testing::osr::CountingHook {
 public:
  explicit WeighingHook(std::size_t functions) : weigh(functions, 1) { weigh_ = weigh.data(); }
  bool call_start_ready(ir::FnId fn, std::int64_t elements) override {
    ++weighed[fn.v];
    last_elements = elements;
    return false;
  }
  std::vector<std::uint8_t> weigh;
  std::map<std::uint32_t, int> weighed;
  std::int64_t last_elements = 0;
};

// A call with array arguments is weighed (its elements counted for call_start_ready) only where
// the hook's flag says it may start natively: a kernel's instances and a function without loops,
// never (before, each of a launch's instances counted its arguments and made a virtual call,
// 12% of an interpreted 10^6-instance launch in a tiered run).
TEST(TierWatch, OnlyWeighedCallsCountTheirElements) {
  ir::Program p = checked(R"(
fn total(x: f64[:]) -> f64 {
    return sum(x)
}
kernel twice(x: f64[:], out: f64[:]) {
    let i = index()
    out[i] = 2.0 * x[i]
}
let x = ones(5)
let out = zeros(5)
twice[5](x, out)
print(total(x), total(out))
)");
  auto compiled = compile(p);
  ir::FnId total = p.find_function("total");
  ir::FnId twice = p.find_function("twice");
  for (bool weighed : {true, false}) {
    WeighingHook hook(p.functions.size());
    hook.weigh[total.v] = weighed ? 1 : 0;
    hook.weigh[twice.v] = weighed ? 1 : 0;
    EXPECT_EQ(run_with_hook(*compiled, hook), "5.0 10.0\n");
    EXPECT_EQ(hook.weighed[total.v], weighed ? 2 : 0);
    EXPECT_EQ(hook.weighed[twice.v], weighed ? 5 : 0);
    EXPECT_EQ(hook.last_elements, weighed ? 5 : 0);  // total(out)'s
  }
}

class OsrInterp : public ::testing::TestWithParam<std::string> {};

TEST_P(OsrInterp, EveryLoopSwitchesAndPrintsTheSame) {
  LoadedGolden g = testing::osr::load(GetParam());
  if (!g.program) {
    GTEST_SKIP() << "does not check: " << g.check;
  }
  testing::osr::Outcome plain = run_interp(g, nullptr);
  if (testing::osr::Outcome want = testing::osr::expected(GetParam()); !want.out.empty()) {
    ASSERT_EQ(plain.out, want.out);
    ASSERT_EQ(plain.error, want.error);
  }
  // Which loops run, and how often: a hook that never switches counts their back-edges.
  testing::osr::CountingHook counter;
  testing::osr::Outcome counted = run_interp(g, &counter);
  ASSERT_EQ(counted.out, plain.out);
  ASSERT_EQ(counted.error, plain.error);
  int switched = 0;
  for (const auto& [loop, count] : testing::osr::loops_to_switch(*g.program, counter)) {
    for (std::uint64_t n : {1, 2, 7}) {
      if (count < n) {
        continue;
      }
      InterpContinuations hook(*g.program, loop, n);
      testing::osr::Outcome o = run_interp(g, &hook);
      SCOPED_TRACE(g.program->fn(loop.fn).name + " loop " + std::to_string(loop.index) +
                   " at back-edge " + std::to_string(n));
      EXPECT_TRUE(hook.switched());
      EXPECT_EQ(o.out, plain.out);
      EXPECT_EQ(o.error, plain.error);
      ++switched;
    }
  }
  RecordProperty("switches", switched);
}

INSTANTIATE_TEST_SUITE_P(Golden, OsrInterp, ::testing::ValuesIn(Goldens()),
                         testing::osr::test_name);

}  // namespace
}  // namespace kestrel::interp
