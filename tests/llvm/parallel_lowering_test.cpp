// Unit tests of the JIT's parallel loops and launches: which loops are outlined into chunk
// functions (the serial-loop rule in lower_parallel.cpp), that their results, errors and leak
// counts equal the interpreter's at 1, 2 and 8 threads, and that a chunk still vectorises.
#include <algorithm>

#include "runtime/parallel.hpp"
#include "tests/llvm/jit_helpers.hpp"

namespace kestrel::jit::testing {
namespace {

/// The optimised module of `text`.
std::string module_text(const std::string& text) {
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  if (!program) {
    return {};
  }
  return emit_llvm(*jit::compile(*program));
}

/// How many chunk functions (outlined loop bodies and launches) the module of `text` defines.
int outlined(const std::string& text) {
  std::string m = module_text(text);
  int n = 0;
  for (std::size_t at = 0; (at = m.find("define internal void @", at)) != std::string::npos;) {
    std::size_t end = m.find('(', at);
    std::string name = m.substr(at, end - at);
    n += name.find(".chunk.") != std::string::npos || name.find(".launch.") != std::string::npos;
    at = end;
  }
  return n;
}

/// Restores the default thread count when a test ends.
struct Threads {
  explicit Threads(int n) { rt::set_threads(n); }
  ~Threads() { rt::set_threads(0); }
};

/// Runs `text` in the interpreter and in the JIT at 1, 2 and 8 threads: the same output and
/// error each time, and no array left alive. Returns the interpreter's outcome.
Outcome expect_same_at_any_thread_count(const std::string& text) {
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  if (!program) {
    return {};
  }
  Outcome want = run_program(sources, *program, Mode::Interp);
  for (int n : {1, 2, 8}) {
    Threads threads(n);
    Outcome got = run_program(sources, *program, Mode::Jit);
    EXPECT_EQ(want.out, got.out) << n << " threads";
    EXPECT_EQ(want.error, got.error) << n << " threads";
    EXPECT_EQ(got.leaked_buffers, 0) << n << " threads";
    EXPECT_EQ(got.leaked_arrays, 0) << n << " threads";
  }
  return want;
}

const char* const kSum =
    "fn f(a: f64[:]) -> f64 {\n var s = 0.0\n parallel for i in 0..len(a) {\n"
    "  s += a[i] * a[i]\n }\n return s\n}\n";

TEST(ParallelRule, ChunkSafeLoopsAndLaunchesAreOutlined) {
  EXPECT_EQ(outlined(kSum), 1);
  EXPECT_EQ(outlined("kernel k(a: f64[:]) { a[index()] = 1.0 }\n"
                     "let a = zeros(10)\nk[10](a)\n"),
            1);
  // Temporaries the body makes and frees, views of them, calls of functions that only compute.
  EXPECT_EQ(
      outlined("fn g(x: f64[:], i: i64) -> f64 { let t = x * 2.0\n return t[i] }\n"
               "fn f(a: f64[:]) -> f64 {\n var s = 0.0\n parallel for i in 0..len(a) {\n"
               "  let t = ones(4)\n let v = t[1:3]\n s += g(a, i) + sum(v)\n }\n return s\n}\n"),
      1);
}

TEST(ParallelRule, LoopsTouchingSharedStateStaySerial) {
  const char* const kSerial[] = {
      // print writes one stream, in order
      "fn f(n: i64) { parallel for i in 0..n { print(i) } }\n",
      // ... also from a callee
      "fn p(i: i64) { print(i) }\nfn f(n: i64) { parallel for i in 0..n { p(i) } }\n",
      // str values use the program's pool
      "fn f(s: str[:]) -> i64 {\n var c = 0\n parallel for i in 0..len(s) {\n"
      "  if s[i] == \"x\" { c += 1 }\n }\n return c\n}\n",
      // a view of an outer array retains its buffer
      "fn f(a: f64[:]) -> f64 {\n var s = 0.0\n parallel for i in 0..len(a) {\n"
      "  s += sum(a[i:len(a)])\n }\n return s\n}\n",
      // binding an outer array retains it
      "fn f(a: f64[:]) -> f64 {\n var s = 0.0\n parallel for i in 0..len(a) {\n"
      "  let b = a\n s += b[i]\n }\n return s\n}\n",
      // a callee returning its parameter retains it
      "fn id(x: f64[:]) -> f64[:] { return x }\n"
      "fn f(a: f64[:]) -> f64 {\n var s = 0.0\n parallel for i in 0..len(a) {\n"
      "  s += id(a)[i]\n }\n return s\n}\n",
      // seed() changes the run's stream
      "fn f(n: i64) -> f64 {\n var s = 0.0\n parallel for i in 0..n {\n  seed(i)\n"
      "  s += random()\n }\n return s\n}\n",
  };
  for (const char* text : kSerial) {
    EXPECT_EQ(outlined(text), 0) << text;
  }
}

TEST(ParallelLoops, SameResultsAtAnyThreadCount) {
  Outcome o = expect_same_at_any_thread_count(
      std::string(kSum) +
      "let a = linspace(0.0, 1.0, 100003)\nprint(f(a))\n"
      "fn g(n: i64) -> (i64, i64, f32, f64) {\n var c = 0\n var m = 0\n var x = 0.0f32\n"
      " var y = 1.0\n parallel for i in 3..n by 7 {\n  c += i * i\n  m = max(m, i % 1001)\n"
      "  x += f32(i) * 0.5f32\n  y = min(y, 1.0 / f64(i))\n }\n return (c, m, x, y)\n}\n"
      "print(g(300001))\nprint(g(3))\nprint(g(-5))\n");
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 4);
}

TEST(ParallelLoops, SerialLoopsKeepTheirOutput) {
  Outcome o = expect_same_at_any_thread_count(
      "var t = 0\nparallel for i in 0..5 {\n print(i, \"x\")\n t += i\n}\nprint(t)\n");
  EXPECT_EQ(o.out, "0 x\n1 x\n2 x\n3 x\n4 x\n10\n");
}

TEST(ParallelLoops, ErrorInALateIterationIsReportedOnceAndFreesTemporaries) {
  // Every iteration makes temporaries (t, the slice of t); iteration 99999 fails.
  Outcome o = expect_same_at_any_thread_count(
      "fn f(a: f64[:]) -> f64 {\n var s = 0.0\n parallel for i in 0..len(a) {\n"
      "  let t = a[0:3] * 0.0 + ones(3)\n  let u = t[0:2]\n"
      "  s += u[0] + a[i + i // 99999]\n }\n return s\n}\n"
      "print(f(zeros(99999)))\nprint(f(zeros(100000)))\n");
  EXPECT_EQ(o.out, "99999.0\n");
  EXPECT_EQ(o.error, "test.kst:6:15: index 100000 is out of bounds for axis 0 with size 100000");
  // The same without views, so the loop is outlined and runs on the threads.
  const char* const kOutlined =
      "fn f(a: f64[:]) -> f64 {\n var s = 0.0\n parallel for i in 0..len(a) {\n"
      "  let t = ones(3)\n  s += t[0] + a[i + i // 99999]\n }\n return s\n}\n"
      "print(f(zeros(99999)))\nprint(f(zeros(100000)))\n";
  EXPECT_EQ(outlined(kOutlined), 1);
  o = expect_same_at_any_thread_count(kOutlined);
  EXPECT_EQ(o.out, "99999.0\n");
  EXPECT_EQ(o.error, "test.kst:5:15: index 100000 is out of bounds for axis 0 with size 100000");
}

TEST(ParallelLoops, KernelLaunchesMatchTheInterpreter) {
  Outcome o = expect_same_at_any_thread_count(
      "kernel k(out: i64[:,:], a: i64[:,:]) {\n"
      "  out[index(0), index(1)] = a[index(0), index(1)] * 3 + index(1)\n}\n"
      "kernel bad(out: f64[:]) { out[index() * 2] = 1.0 }\n"
      "let a = ones(513, 1031, i64)\nlet out = zeros(513, 1031, i64)\n"
      "k[513, 1031](out, a)\nprint(sum(out), out[512, 1030])\n"
      "let v = zeros(50000)\nbad[25000](v)\nprint(sum(v))\nbad[25001](v)\nprint(1)\n");
  EXPECT_EQ(o.out, "273971754 1033\n25000.0\n");
  EXPECT_EQ(o.error, "test.kst:4:27: index 50000 is out of bounds for axis 0 with size 50000");
}

TEST(ParallelLoops, ChunkBodyStillVectorises) {
  // montecarlo.pi's loop, outlined: its chunk function keeps the vector loop of Philox draws.
  std::string m = module_text("import montecarlo\nprint(montecarlo.pi(1000, 7))\n");
  std::size_t chunk = m.find("define internal void @kestrel.montecarlo.pi");
  ASSERT_NE(chunk, std::string::npos);
  std::size_t end = m.find("\n}\n", chunk);
  std::string body = m.substr(chunk, end - chunk);
  EXPECT_NE(body.find("vector.body"), std::string::npos);
  EXPECT_NE(body.find("x i64>"), std::string::npos);
}

// Array reductions (h[k] += …, v += row, v[1:3] *= …): the arrays' private copies are the
// chunk's own, so such loops are outlined.
TEST(ParallelRule, ArrayReductionLoopsAreOutlined) {
  EXPECT_EQ(outlined("fn f(x: i64[:]) -> i64[:] {\n let h = zeros(7, i64)\n"
                     " parallel for i in 0..len(x) {\n  h[x[i] % len(h)] += 1\n }\n return h\n}\n"),
            1);
  EXPECT_EQ(outlined("fn f(n: i64, v: f64[:]) {\n parallel for i in 0..n {\n"
                     "  v[1:3] *= 1.5\n  v *= 0.5\n }\n}\n"),
            1);
}

// Results, errors and leaks of array reductions in every lowering: outlined on the threads,
// serial (a body that prints; unit and non-unit steps), nested in an outlined chunk, outlined
// inside a serial loop that reduces the same array, into a borrowed parameter, into two names
// for one buffer, and failing in a late iteration.
TEST(ParallelLoops, ArrayReductionsSameAtAnyThreadCount) {
  const char* const kPrograms[] = {
      "fn f(n: i64, h: f64[:]) {\n parallel for i in 0..n {\n"
      "  h[i % 3] += 1.0 / f64(i + 1)\n }\n}\n"
      "let h = full(3, -0.0)\nf(100000, h)\nprint(h)\nf(0, h)\nprint(h)\n",
      "let h = zeros(3)\nparallel for i in 0..30001 by 3 {\n if i == 0 { print(\"first\") }\n"
      " h[i % 2] += 1.0 / f64(i + 1)\n}\nparallel for i in 0..20000 {\n if i == 0 { print(0) }\n"
      " h[2] -= 1.0 / f64(i + 1)\n}\nprint(h)\n",
      "let m = zeros(2, 3, i32)\nlet lo = full(2, 1e9)\nparallel for i in 0..5000 {\n"
      " parallel for j in 0..3 {\n  m[i % 2, j] += 1i32\n  lo[j % 2] = min(lo[j % 2], f64(i * j))\n"
      " }\n}\nprint(m, lo)\n",
      "let h = zeros(3)\nparallel for i in 0..3 {\n print(i)\n parallel for j in 0..10000 {\n"
      "  h[j % 3] += 0.1 * f64(i + 1)\n }\n}\nprint(h)\n",
      "let a = zeros(4)\nlet b = a\nparallel for i in 0..9000 {\n a[i % 4] += 0.25\n"
      " b[(i + 1) % 4] += 0.5\n}\nprint(a, b)\n",
      "fn f(x: i64[:]) -> f64[:] {\n let h = zeros(5)\n parallel for i in 0..len(x) {\n"
      "  let t = ones(2)\n  h[x[i] % 6] += t[0]\n }\n return h\n}\n"
      "let x = arange(0, 100000, 1, i64)\nprint(f(x % 5))\n"
      "print(f(x % 5 + 5 * i64(x == 99990)))\n",
  };
  for (const char* text : kPrograms) {
    diag::SourceManager sources;
    auto program = check_text(sources, text);
    ASSERT_TRUE(program) << text;
    Outcome interp = run_program(sources, *program, Mode::Interp);
    EXPECT_EQ(interp.leaked_arrays, 0) << text;
    EXPECT_EQ(interp.leaked_buffers, 0) << text;
    Outcome o = expect_same_at_any_thread_count(text);
    EXPECT_NE(o.out, "") << text;
  }
  // The last program fails in iteration 99990, after its first call printed.
  diag::SourceManager sources;
  auto program = check_text(sources, kPrograms[5]);
  ASSERT_TRUE(program);
  Outcome o = run_program(sources, *program, Mode::Interp);
  EXPECT_EQ(o.out, "[20000. 20000. 20000. 20000. 20000.]\n");
  EXPECT_EQ(o.error, "test.kst:5:3: index 5 is out of bounds for axis 0 with size 5");
}

}  // namespace
}  // namespace kestrel::jit::testing
