// The interpreter against Lua 5.4 in the same binary and the same run (issue 3's speed bar):
// a 1,000,000-step Fibonacci loop and a 10,000,000-sample Monte Carlo pi loop. Kestrel runs the
// standard library's functions through the public API in interpreter mode; Lua runs the same
// loops as Lua source through its C API (math.random for pi: Lua's own generator, as a Lua user
// would write it; Kestrel draws two Philox numbers per sample). Each workload's answer is checked
// once before timing: Fibonacci must agree exactly (both wrap on 64-bit overflow), pi within 0.01.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kestrel/kestrel.hpp"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

namespace {

constexpr std::int64_t kFibSteps = 1'000'000;
constexpr std::int64_t kPiSamples = 10'000'000;

constexpr const char* kLuaSource = R"(
function fib(n)
  local a, b = 0, 1
  for i = 1, n do
    a, b = b, a + b
  end
  return a
end
function pi(n)
  local hits = 0
  local random = math.random  -- a local: the fast way to write it in Lua
  for i = 1, n do
    local x = random()
    local y = random()
    if x * x + y * y < 1.0 then hits = hits + 1 end
  end
  return 4.0 * hits / n
end
)";

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "lua_bench: %s\n", what.c_str());
  std::exit(1);
}

/// A Lua state with the two functions defined.
class Lua {
 public:
  Lua() : L_(luaL_newstate()) {
    luaL_openlibs(L_);
    if (luaL_dostring(L_, kLuaSource) != LUA_OK) {
      fail(lua_tostring(L_, -1));
    }
    luaL_dostring(L_, "math.randomseed(42)");
  }
  ~Lua() { lua_close(L_); }
  Lua(const Lua&) = delete;
  Lua& operator=(const Lua&) = delete;

  /// Calls global `fn` with one integer; leaves nothing on the stack.
  lua_Integer call_int(const char* fn, lua_Integer n) {
    call(fn, n);
    lua_Integer r = lua_tointeger(L_, -1);
    lua_pop(L_, 1);
    return r;
  }
  double call_num(const char* fn, lua_Integer n) {
    call(fn, n);
    double r = lua_tonumber(L_, -1);
    lua_pop(L_, 1);
    return r;
  }

 private:
  void call(const char* fn, lua_Integer n) {
    lua_getglobal(L_, fn);
    lua_pushinteger(L_, n);
    if (lua_pcall(L_, 1, 1, 0) != LUA_OK) {
      fail(lua_tostring(L_, -1));
    }
  }
  lua_State* L_;
};

kestrel::Module load(const char* file) {
  kestrel::EngineOptions options;
  options.mode = kestrel::Mode::Interp;
  return kestrel::Engine(options).load_file(std::string(KESTREL_SOURCE_DIR) + "/stdlib/" + file);
}

void BM_FibLoop_Interp(benchmark::State& state) {
  kestrel::Module m = load("fibonacci.kst");
  auto fib = m.function<std::int64_t(std::int64_t)>("fib");
  Lua lua;
  if (fib(kFibSteps) != lua.call_int("fib", kFibSteps)) {
    fail("Kestrel and Lua disagree on fib(1000000)");
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(fib(kFibSteps));
  }
}
BENCHMARK(BM_FibLoop_Interp)->Unit(benchmark::kMillisecond);

void BM_FibLoop_Lua(benchmark::State& state) {
  Lua lua;
  for (auto _ : state) {
    benchmark::DoNotOptimize(lua.call_int("fib", kFibSteps));
  }
}
BENCHMARK(BM_FibLoop_Lua)->Unit(benchmark::kMillisecond);

void BM_MonteCarloPi_Interp(benchmark::State& state) {
  kestrel::Module m = load("montecarlo.kst");
  auto pi = m.function<double(std::int64_t, std::int64_t)>("pi");
  if (std::abs(pi(kPiSamples, 42) - M_PI) > 0.01) {
    fail("Kestrel's pi is off");
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(pi(kPiSamples, 42));
  }
}
BENCHMARK(BM_MonteCarloPi_Interp)->Unit(benchmark::kMillisecond);

void BM_MonteCarloPi_Lua(benchmark::State& state) {
  Lua lua;
  if (std::abs(lua.call_num("pi", kPiSamples) - M_PI) > 0.01) {
    fail("Lua's pi is off");
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(lua.call_num("pi", kPiSamples));
  }
}
BENCHMARK(BM_MonteCarloPi_Lua)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
