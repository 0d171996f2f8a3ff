// Tiered execution (Mode::Tiered) and --crosscheck through the public API: host calls from
// several threads while the background compile lands, an interrupt inside native code of a
// tiered run, the seeded stream across a switch, kernel launches run natively whole, and a
// divergence planted in native code that --crosscheck finds at its line.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "dsl/engine/crosscheck.hpp"
#include "kestrel/kestrel.hpp"

namespace {

using kestrel::ArrayView;
using kestrel::Engine;
using kestrel::EngineOptions;
using kestrel::Mode;
using kestrel::TierPolicy;

EngineOptions options_for(Mode mode, TierPolicy policy = TierPolicy::Background) {
  EngineOptions o;
  o.mode = mode;
  o.tier_policy = policy;
  o.tier_hot_calls = 1;
  o.use_cache = false;
  return o;
}

constexpr const char* kWork = R"(
fn work(x: f64[:], k: i64) -> f64 {
    var s = 0.0
    for i in 0..len(x) {
        s += x[i] * f64(k) + sqrt(x[i])
    }
    return s
}
)";

TEST(Tiered, HostCallsFromThreadsWhileTheCompileLands) {
  std::vector<double> x(2000);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = 0.25 * static_cast<double>(i);
  }
  auto interp = Engine(options_for(Mode::Interp)).load_source("work.kst", kWork);
  auto expect = interp.function<double(ArrayView<const double>, std::int64_t)>("work");
  std::vector<double> want;
  for (std::int64_t k = 0; k < 8; ++k) {
    want.push_back(expect(x, k));
  }

  auto tiered = Engine(options_for(Mode::Tiered)).load_source("work.kst", kWork);
  auto work = tiered.function<double(ArrayView<const double>, std::int64_t)>("work");
  std::atomic<int> wrong{0};
  std::atomic<bool> native{false};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      // Until the full pipeline's code has replaced the baseline tier's (both compiles landed:
      // the calls move twice) and a while after.
      for (int after = 0; after < 200 && std::chrono::steady_clock::now() < deadline;) {
        for (std::int64_t k = 0; k < 8; ++k) {
          if (work(x, k) != want[static_cast<std::size_t>(k)]) {
            wrong.fetch_add(1);
          }
        }
        if (native.load()) {
          ++after;
        } else if (tiered.tier_timings().tier_full_functions > 0) {
          native.store(true);
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(wrong.load(), 0);
  kestrel::Timings t = tiered.tier_timings();
  EXPECT_TRUE(t.tiered);
  EXPECT_EQ(t.tier_functions, 1u);
  EXPECT_EQ(t.tier_full_functions, 1u);
  EXPECT_GT(t.tier_native_calls, 0u);
  EXPECT_GE(t.tier_compiles, 2u);  // the baseline tier's, then the full pipeline's
}

constexpr const char* kStream = R"(
fn draw(n: i64) -> f64 {
    var s = 0.0
    for i in 0..n {
        s += random() + randn()
    }
    return s
}
fn pick(a: f64[:]) -> f64 {
    return a[i64(random() * f64(len(a)))] + draw(1)
}
seed(7)
print(random())
print(draw(3))
print(random())
let a = [0.5, 1.5, 2.5, 3.5, 4.5]
print(pick(a), draw(2), pick(a))
seed(11)
for i in 0..4 {
    print(draw(i), random())
}
print(randn())
)";

std::string run(Mode mode, TierPolicy policy, const char* source) {
  std::string out;
  Engine(options_for(mode, policy)).run_source("stream.kst", source, &out);
  return out;
}

TEST(Tiered, TheSeededStreamCarriesAcrossEverySwitch) {
  std::string want = run(Mode::Interp, TierPolicy::Background, kStream);
  EXPECT_EQ(run(Mode::Jit, TierPolicy::Background, kStream), want);
  EXPECT_EQ(run(Mode::Tiered, TierPolicy::Eager, kStream), want);
  EXPECT_EQ(run(Mode::Tiered, TierPolicy::Background, kStream), want);
  EngineOptions cross = options_for(Mode::Interp);
  cross.crosscheck = true;
  std::string out;
  Engine(cross).run_source("stream.kst", kStream, &out);
  EXPECT_EQ(out, want);

  // Host calls continue the module's stream, natively or not.
  auto draws = [](Mode mode, TierPolicy policy) {
    auto m = Engine(options_for(mode, policy)).load_source("stream.kst", kStream);
    auto draw = m.function<double(std::int64_t)>("draw");
    std::vector<double> got;
    for (int k = 0; k < 5; ++k) {
      got.push_back(draw(k + 1));
    }
    return got;
  };
  std::vector<double> host = draws(Mode::Interp, TierPolicy::Background);
  EXPECT_EQ(draws(Mode::Tiered, TierPolicy::Eager), host);
  EXPECT_EQ(draws(Mode::Jit, TierPolicy::Background), host);
}

// A script's one call over large arrays (the shape of groupby over 10^7 rows) is compiled at its
// start: it would never be called again to become hot, and its loop is long. A call of a function
// without a loop, or with small arrays, stays interpreted. Same output as the interpreter.
constexpr const char* kBigCall = R"(
fn total(x: f64[:], w: f64[:]) -> f64 {
    var s = 0.0
    for i in 0..len(x) {
        s += x[i] * w[i % 7]
    }
    return s
}
fn whole(x: f64[:]) -> f64 {
    return sum(x * 2.0)
}
let small = ones(1000) * 0.25
print(total(small, small))
let big = ones(4194304) * 0.5
print(whole(big))
print(total(big, small))
seed(3)
print(random())
)";

TEST(Tiered, ACallOverLargeArraysIsCompiledAtItsStart) {
  EngineOptions o = options_for(Mode::Tiered);
  o.tier_hot_calls = 1000;  // no function gets hot by its calls here
  std::string out;
  kestrel::Timings t = Engine(o).run_source("big.kst", kBigCall, &out);
  EXPECT_EQ(out, run(Mode::Interp, TierPolicy::Background, kBigCall));
  EXPECT_EQ(t.tier_functions, 1u);  // total, at its call over 4194304 elements; whole has no loop
  EXPECT_EQ(t.tier_native_calls, 1u);  // the call over 4194304 + 1000 elements
  EXPECT_GE(t.tier_compiles, 1u);
}

// A hot function runs the baseline tier's code until its full compile lands, except a call over
// 2^22 array elements or more: that one gets the full code, compiled at its start (the baseline
// code could not leave for it while the call runs). KESTREL_TIER_BASELINE=only keeps the
// baseline code (no full compile in the background), so that the big call's own compile shows.
TEST(Tiered, ACallOverLargeArraysNeverRunsAsBaselineCode) {
  ::setenv("KESTREL_TIER_BASELINE", "only", 1);
  auto tiered = Engine(options_for(Mode::Tiered)).load_source("work.kst", kWork);
  ::unsetenv("KESTREL_TIER_BASELINE");
  auto work = tiered.function<double(ArrayView<const double>, std::int64_t)>("work");
  auto interp = Engine(options_for(Mode::Interp)).load_source("work.kst", kWork);
  auto expect = interp.function<double(ArrayView<const double>, std::int64_t)>("work");
  std::vector<double> small(100, 0.75);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (tiered.tier_timings().tier_functions == 0 && std::chrono::steady_clock::now() < deadline) {
    EXPECT_EQ(work(small, 3), expect(small, 3));
  }
  EXPECT_EQ(work(small, 3), expect(small, 3));  // the baseline tier's code
  kestrel::Timings t = tiered.tier_timings();
  ASSERT_EQ(t.tier_functions, 1u);
  EXPECT_EQ(t.tier_full_functions, 0u);
  EXPECT_EQ(t.tier_compiles, 1u);

  std::vector<double> big(std::size_t{1} << 22, 0.5);
  EXPECT_EQ(work(big, 2), expect(big, 2));
  t = tiered.tier_timings();
  EXPECT_EQ(t.tier_functions, 1u);
  EXPECT_EQ(t.tier_full_functions, 1u);  // compiled at the big call's start
  EXPECT_EQ(t.tier_compiles, 2u);
  EXPECT_EQ(work(small, 5), expect(small, 5));  // later calls: the full code
}

// A hot `for` loop that is all the looping left in its call is compiled only when its iterations
// left would take the interpreter longer than a compile does (kLoopPayoff in tiered.cpp; here an
// hour, so no loop is long enough): otherwise its native code would land after the loop has
// ended. Its function, called again with its work in such loops, gets hot by its loops' polls
// (at its second call, however high tier_hot_calls is), so the calls move instead. A `while`
// loop, whose iterations left are unknown, is compiled once hot, as before.
constexpr const char* kLoops = R"(
fn count_for(n: i64) -> i64 {
    var s = 0
    for i in 0..n {
        s += i % 7
    }
    return s
}
fn count_while(n: i64) -> i64 {
    var s = 0
    var i = 0
    while i < n {
        s += i % 7
        i += 1
    }
    return s
}
)";

/// Calls `fn` with `n` until `done(timings)` holds (at most a minute); each result must be right.
template <typename Fn, typename Done>
void call_until(kestrel::Module& m, Fn& fn, std::int64_t n, Done done) {
  const std::int64_t expect = (n / 7) * 21 + (n % 7) * (n % 7 - 1) / 2;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done(m.tier_timings()) && std::chrono::steady_clock::now() < deadline) {
    ASSERT_EQ(fn(n), expect);
  }
  ASSERT_TRUE(done(m.tier_timings())) << "not within a minute";
  ASSERT_EQ(fn(n), expect);
}

// The compile delay holds a hot function's compile back for the first milliseconds of a run
// (an hour here), unless its interpreted calls reach 2^16 meanwhile (kUrgentCalls): that
// function's work is what the run does.
TEST(Tiered, AFunctionCalledOftenEnoughEndsTheCompileDelay) {
  constexpr const char* kInc = "fn inc(x: i64) -> i64 { return x + 1 }\n";
  ::setenv("KESTREL_TIER_COMPILE_DELAY_MS", "3600000", 1);
  auto urgent = Engine(options_for(Mode::Tiered)).load_source("inc.kst", kInc);
  ::setenv("KESTREL_TIER_URGENT_CALLS", "0", 1);
  auto held = Engine(options_for(Mode::Tiered)).load_source("inc.kst", kInc);
  ::unsetenv("KESTREL_TIER_URGENT_CALLS");
  ::unsetenv("KESTREL_TIER_COMPILE_DELAY_MS");

  auto inc = urgent.function<std::int64_t(std::int64_t)>("inc");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::int64_t calls = 0;
  while (urgent.tier_timings().tier_native_calls == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    for (int k = 0; k < 1000; ++k, ++calls) {
      ASSERT_EQ(inc(calls), calls + 1);
    }
  }
  EXPECT_GE(calls, 1 << 16);  // not before: the delay held until then
  EXPECT_EQ(urgent.tier_timings().tier_functions, 1u);
  EXPECT_GT(urgent.tier_timings().tier_native_calls, 0u);

  // Without the rule (KESTREL_TIER_URGENT_CALLS=0), the same calls wait for the delay.
  auto inc_held = held.function<std::int64_t(std::int64_t)>("inc");
  for (std::int64_t k = 0; k < calls + (1 << 16); ++k) {
    ASSERT_EQ(inc_held(k), k + 1);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(held.tier_timings().tier_functions, 0u);
  EXPECT_EQ(held.tier_timings().tier_native_calls, 0u);
}

TEST(Tiered, AHotLoopAboutToEndStaysInterpreted) {
  ::setenv("KESTREL_TIER_LOOP_PAYOFF_MS", "3600000", 1);
  EngineOptions o = options_for(Mode::Tiered);
  o.tier_hot_calls = 1000000;  // no function gets hot by its calls alone here
  auto tiered = Engine(o).load_source("loops.kst", kLoops);
  auto again = Engine(o).load_source("loops.kst", kLoops);
  ::unsetenv("KESTREL_TIER_LOOP_PAYOFF_MS");
  const std::int64_t n = 200000;  // about 200 polls of the loop's back-edge per call

  auto count_for = tiered.function<std::int64_t(std::int64_t)>("count_for");
  call_until(tiered, count_for, n, [](const kestrel::Timings& s) { return s.tier_functions > 0; });
  kestrel::Timings t = tiered.tier_timings();
  EXPECT_EQ(t.tier_loops, 0u);      // never asked for: the for loop's end was always near
  EXPECT_EQ(t.tier_functions, 1u);  // count_for, hot by its loop's polls
  EXPECT_GE(t.tier_native_calls, 1u);

  auto count_while = again.function<std::int64_t(std::int64_t)>("count_while");
  call_until(again, count_while, n, [](const kestrel::Timings& s) { return s.tier_loops > 0; });
  EXPECT_GE(again.tier_timings().tier_loops, 1u);  // runs of the while loop's continuation
}

// A function is hot at tier_hot_calls calls (1000 by default), or at its second call once its
// loops have run long: one called a few times, its time in runtime operations (which native
// code does not speed up), is never compiled, so a short script spends nothing on LLVM for it.
TEST(Tiered, AFunctionCalledAFewTimesForRuntimeWorkStaysInterpreted) {
  EngineOptions o;
  o.mode = Mode::Tiered;
  o.use_cache = false;
  ASSERT_EQ(o.tier_hot_calls, 1000u);
  auto m = Engine(o).load_source("calls.kst", R"(
fn norm2(x: f64[:]) -> f64 {
    return sum(x * x) + sum(sqrt(x))
}
fn twice(k: i64) -> i64 {
    return 2 * k
}
)");
  auto norm2 = m.function<double(ArrayView<const double>)>("norm2");
  auto twice = m.function<std::int64_t(std::int64_t)>("twice");
  std::vector<double> x(100000, 4.0);
  for (int k = 0; k < 50; ++k) {
    ASSERT_EQ(norm2(x), 100000.0 * 18.0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kestrel::Timings t = m.tier_timings();
  EXPECT_EQ(t.tier_compiles, 0u);
  EXPECT_EQ(t.tier_functions, 0u);

  // A function called a thousand times is hot, whatever its calls do.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::int64_t k = 0;
  while (m.tier_timings().tier_functions == 0 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_EQ(twice(k), 2 * k);
    ++k;
  }
  EXPECT_GE(k, 1000);
  EXPECT_EQ(m.tier_timings().tier_functions, 1u);
  EXPECT_EQ(twice(7), 14);
}

// A REPL entry runs tiered (the REPL's default): it moves to native code (eager: the whole entry;
// in the background, its loop once compiled), and the variables it writes carry on to later
// entries exactly as in the interpreter.
TEST(Tiered, AReplEntryMovesToNativeCodeAndItsVariablesCarryOn) {
  auto entries = [](Mode mode, TierPolicy policy, kestrel::Timings* loop) {
    Engine engine(options_for(mode, policy));
    kestrel::Session s(engine);
    std::string out;
    s.run("var total = 0\nvar x = 0.5", &out);
    kestrel::Timings t =
        s.run("for i in 0..3000000 { total += i % 7\n x = x * 0.999 + 0.001 }", &out);
    if (loop != nullptr) {
      *loop = t;
    }
    s.run("print(total, x)", &out);
    return out;
  };
  kestrel::Timings t;
  std::string want = entries(Mode::Interp, TierPolicy::Background, nullptr);
  EXPECT_EQ(entries(Mode::Tiered, TierPolicy::Eager, &t), want);
  EXPECT_TRUE(t.tiered);
  EXPECT_EQ(t.tier_native_calls, 1u);
  EXPECT_EQ(entries(Mode::Tiered, TierPolicy::Background, &t), want);
  EXPECT_TRUE(t.tiered);
}

constexpr const char* kSpin = R"(fn spin(n: i64) -> i64 {
    var s = 0
    var i = 0
    while i < n {
        s = (s + i * 7) % 1000003
        i += 1
    }
    return s
}
print(spin(10))
print(spin(4000000000000))
)";

TEST(Tiered, AnInterruptStopsNativeCodeOfATieredRun) {
  for (Mode mode : {Mode::Interp, Mode::Tiered}) {
    std::atomic<bool> stop{false};
    std::thread stopper([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      stop.store(true);
    });
    std::string out;
    std::string error;
    try {
      Engine(options_for(mode, TierPolicy::Eager)).run_source("spin.kst", kSpin, &out, &stop);
    } catch (const kestrel::Error& e) {
      error = e.what();
    }
    stopper.join();
    EXPECT_EQ(out, "315\n");
    EXPECT_NE(error.find("spin.kst:6:9: error: interrupted"), std::string::npos) << error;
  }
}

constexpr const char* kLaunches = R"(kernel noise(out: f64[:]) {
    out[index()] = random()
}
kernel grid_of(out: i64[:,:], k: i64) {
    out[index(0), index(1)] = k * index(0) + index(1)
}
seed(3)
let small = zeros(1000)
noise[len(small)](small)
let big = zeros(1048576)
noise[len(big)](big)
print(random(), small[999], big[0], big[1048575], sum(big))
let t = zeros(2, 3, i64)
grid_of[2, 3](t, 7)
print(t, randn())
)";

TEST(Tiered, KernelLaunchesRunNativelyWhole) {
  std::string want = run(Mode::Interp, TierPolicy::Background, kLaunches);
  EXPECT_EQ(run(Mode::Jit, TierPolicy::Background, kLaunches), want);
  // Eager: every launch switches, its launcher compiled at its first launch.
  std::string out;
  kestrel::Timings t =
      Engine(options_for(Mode::Tiered, TierPolicy::Eager)).run_source("k.kst", kLaunches, &out);
  EXPECT_EQ(out, want);
  EXPECT_EQ(t.tier_launches, 3u);
  // Background: only the launch of 2^20 instances is worth a compile on the run's thread.
  out.clear();
  t = Engine(options_for(Mode::Tiered)).run_source("k.kst", kLaunches, &out);
  EXPECT_EQ(out, want);
  EXPECT_EQ(t.tier_launches, 1u);
  // --crosscheck compares calls: its launches stay interpreted.
  EngineOptions cross = options_for(Mode::Interp);
  cross.crosscheck = true;
  out.clear();
  t = Engine(cross).run_source("k.kst", kLaunches, &out);
  EXPECT_EQ(out, want);
  EXPECT_EQ(t.tier_launches, 0u);
}

constexpr const char* kLongLaunch = R"(kernel mark(out: f64[:]) {
    out[index() % 4] = 1.0
}
let out = zeros(4)
mark[1048576](out)
print(sum(out))
mark[4000000000000000](out)
)";

TEST(Tiered, AnInterruptInANativeLaunchPointsAtThatLaunch) {
  // Both launches run natively in a tiered run (the first has 2^20 instances), on one launcher
  // made from the first: the interrupt polled between the second's blocks of instances points
  // at the second, as in the JIT. (One thread: the JIT's chunked launch does not poll reliably
  // when its chunks are smaller than the poll budget, a limitation of its own. A second before
  // the interrupt: the first launch, compile included, is long over on a loaded machine.)
  for (TierPolicy policy : {TierPolicy::Background, TierPolicy::Eager}) {
    for (Mode mode : {Mode::Jit, Mode::Tiered}) {
      EngineOptions o = options_for(mode, policy);
      o.threads = 1;
      std::atomic<bool> stop{false};
      std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));
        stop.store(true);
      });
      std::string out;
      std::string error;
      try {
        Engine(o).run_source("long.kst", kLongLaunch, &out, &stop);
      } catch (const kestrel::Error& e) {
        error = e.what();
      }
      stopper.join();
      EXPECT_EQ(out, "4.0\n");
      EXPECT_NE(error.find("long.kst:7:1: error: interrupted"), std::string::npos) << error;
    }
  }
}

constexpr const char* kPlanted = R"(fn scale(x: i64) -> i64 {
    return x * 3
}
fn twice(x: i64) -> i64 {
    return scale(x) + scale(x + 1)
}
print(twice(1))
let y = scale(2)
print(y)
)";

TEST(Crosscheck, FindsADivergencePlantedInNativeCodeAtItsLine) {
  EngineOptions o = options_for(Mode::Jit);
  o.crosscheck = true;
  std::string out;
  Engine(o).run_source("planted.kst", kPlanted, &out);
  EXPECT_EQ(out, "9\n6\n");

  // Native code of `scale` now answers one too many.
  kestrel::engine::testing::plant_divergence(
      "scale",
      [](kestrel::engine::Backend& native, kestrel::ir::FnId fn, std::span<const std::int64_t> args,
         std::int64_t* result, const kestrel::codegen::RunOptions& options) {
        native.call_words(fn, args, result, options);
        result[0] += 1;
      });
  std::string error;
  out.clear();
  try {
    Engine(o).run_source("planted.kst", kPlanted, &out);
  } catch (const kestrel::Error& e) {
    error = e.what();
  }
  kestrel::engine::testing::clear_divergence();
  // The first call that differs is scale(1) inside twice, at line 5.
  EXPECT_NE(error.find("planted.kst:5:12: error: crosscheck: the call of 'scale' differs between "
                       "the interpreter and native code: result: the interpreter gives 3, native "
                       "code 4"),
            std::string::npos)
      << error;
  EXPECT_EQ(out, "");
}

}  // namespace
