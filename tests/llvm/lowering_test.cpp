// Unit tests of the JIT's lowering: scalar semantics, errors and their places, reference counts,
// the public API (call, emit_llvm, native_address).
#include <pthread.h>

#include <unordered_set>

#include "tests/llvm/jit_helpers.hpp"

namespace kestrel::jit::testing {
namespace {

TEST(Lowering, IntegerSemantics) {
  Outcome o = jit_run(
      "print(7 // 2, -7 // 2, 7 // -2, -7 % 3, 7 % -3, 9223372036854775807 + 1)\n"
      "print(2 ** 10, 1 << 70, -8 >> 1, -8 >> 70, 5i32 // 2i32)\n");
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.out, "3 -4 -4 2 -2 -9223372036854775808\n1024 0 -4 -1 2\n");
}

TEST(Lowering, DivisionByZeroIsAnErrorAtTheOperator) {
  Outcome o = jit_run("let a = 3\nlet b = 0\nprint(a // b)\n");
  EXPECT_EQ(o.error, "test.kst:3:7: integer division by zero");
}

TEST(Lowering, BoundsChecksAndLeaks) {
  Outcome o = jit_run(
      "fn f(a: f64[:], i: i64) -> f64 { let t = a * 2.0\n return t[i] }\n"
      "let a = zeros(4)\nprint(f(a, 3))\nprint(f(a, 4))\n");
  EXPECT_EQ(o.out, "0.0\n");
  EXPECT_EQ(o.error, "test.kst:2:9: index 4 is out of bounds for axis 0 with size 4");
  EXPECT_EQ(o.leaked_buffers, 0);
  EXPECT_EQ(o.leaked_arrays, 0);
}

TEST(Lowering, StackOverflow) {
  Outcome o = jit_run("fn r(n: i64) -> i64 { return r(n + 1) }\nprint(r(0))\n", 50);
  EXPECT_EQ(o.error, "test.kst:1:30: stack overflow: recursion deeper than 50");
}

// A recursion deeper than the thread's stack allows is the stack overflow error, never a signal,
// decided by the stack actually left: a host thread of 1 MiB calls a function whose frames hold
// 100 values across its recursive call, far under the depth limit. The same recursion from
// run_main (on the run stack) completes, as it does in the interpreter.
TEST(Lowering, StackExhaustedIsAnErrorNotASignal) {
  std::string text = "fn deep(n: i64, a: f64[:]) -> f64 {\n  if n == 0 { return a[0] }\n";
  std::string sum = "0.0";
  for (int k = 0; k < 100; ++k) {
    text += "  let v" + std::to_string(k) + " = a[" + std::to_string(k) + "]\n";
    sum += " + v" + std::to_string(k);
  }
  text += "  let r = deep(n - 1, a)\n  return r + (" + sum + ") * 0.0\n}\n";
  text += "print(deep(9998, zeros(100) + 0.5))\n";
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  ASSERT_TRUE(program);
  Outcome interp = run_program(sources, *program, Mode::Interp);
  Outcome jit = run_program(sources, *program, Mode::Jit);
  EXPECT_EQ(interp.out, "0.5\n");
  EXPECT_EQ(jit.out, interp.out);
  EXPECT_EQ(jit.error, "");

  auto code = compile(*program);
  ir::FnId deep = program->find_function("deep");
  struct Call {
    CompiledProgram* code;
    ir::FnId fn;
    std::string error;
  } deep_call{code.get(), deep, ""};
  auto body = [](void* p) -> void* {
    auto* c = static_cast<Call*>(p);
    try {
      Value a;
      a.type = ir::Type::array_of(ir::Scalar::F64, 1);
      a.array = ArrayRef(rt::alloc(rt::Shape(100), rt::Elem::F64).detach());
      call(*c->code, c->fn, std::vector<Value>{Value::of_i64(5000), a});
    } catch (const codegen::RunError& e) {
      c->error = e.message();
    }
    return nullptr;
  };
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, std::size_t{1} << 20);
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, &attr, body, &deep_call), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_EQ(
      deep_call.error.rfind("stack overflow: recursion deeper than this thread's stack allows", 0),
      0u)
      << deep_call.error;
}

TEST(Lowering, CallAndEmit) {
  diag::SourceManager sources;
  auto program = check_text(sources,
                            "fn add(a: f64[:], b: f64[:]) -> f64[:] { return a + b }\n"
                            "fn sq(x: i64) -> i64 { return x * x }\n");
  ASSERT_TRUE(program);
  auto code = compile(*program);
  ir::FnId sq = program->find_function("sq");
  Value v = call(*code, sq, std::vector<Value>{Value::of_i64(12)});
  EXPECT_EQ(v.i, 144);
  auto native =
      reinterpret_cast<std::int64_t (*)(KestrelContext*, std::int64_t)>(native_address(*code, sq));
  ASSERT_NE(native, nullptr);
  EXPECT_NE(emit_llvm_function(*code, sq).find("define"), std::string::npos);
  EXPECT_NE(emit_llvm(*code).find("kestrel.add"), std::string::npos);
  EXPECT_GT(last_compile_ms(*code), 0.0);
}

// Every function the optimised module declares (what the JIT must link) is one the runtime
// defines: LLVM rewrites no math call into one of libm's it does not link (pow(2, x) into exp2
// once failed the whole module), because it calls none of libm's by their C names.
TEST(Lowering, DeclaresOnlyRuntimeSymbols) {
  std::string text;
  for (const char* t : {"f64", "f32"}) {
    std::string f = std::string("fn m_") + t + "(x: " + t + ", a: " + t + "[:]) -> " + t +
                    " {\n  let two = 2.0" + (t[1] == '3' ? "f32" : "") +
                    "\n  return sin(x) + cos(x) + tanh(x) + log(x) + exp(x) + sqrt(x) + "
                    "abs(x) + sigmoid(x) + floor(x) + two ** x + x ** two + x ** (two * two) + "
                    "x ** (two / 4.0" +
                    (t[1] == '3' ? "f32" : "") + ") + x % two + x // two + (two * 5.0" +
                    (t[1] == '3' ? "f32" : "") + ") ** x + sum(sin(a) * cos(a) + two ** a)\n}\n";
    text += f;
  }
  text += "print(m_f64(0.7, [1.0, 2.0]), m_f32(0.7f32, [1.0f32]))\n";
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  ASSERT_TRUE(program);
  auto code = compile(*program);
  std::unordered_set<std::string> known;
  for (const rt::AbiSymbol& s : rt::abi_symbols()) {
    known.insert(s.name);
  }
  std::string ir = emit_llvm(*code);
  std::size_t declares = 0;
  for (std::size_t at = ir.find("\ndeclare "); at != std::string::npos;
       at = ir.find("\ndeclare ", at + 1)) {
    std::size_t name = ir.find('@', at);
    std::size_t end = ir.find('(', name);
    std::string symbol = ir.substr(name + 1, end - name - 1);
    if (symbol.rfind("llvm.", 0) != 0) {
      ++declares;
      EXPECT_TRUE(known.count(symbol)) << symbol << " is not a runtime symbol";
    }
  }
  EXPECT_GT(declares, 0u);
  EXPECT_EQ(ir.find("@sin"), std::string::npos);
}

// `x ** 2` squares inline (rt::fpow's rule), so a fused sum((a - b) ** 2) has no call per element
// and vectorises: calling pow there made DESIGN.md's sse 17x slower than C++.
TEST(Lowering, SquareIsAMultiplyNotAPowCall) {
  diag::SourceManager sources;
  auto program = check_text(sources,
                            "fn sse(a: f64[:], b: f64[:]) -> f64 { return sum((a - b) ** 2) }\n"
                            "fn sq(x: f32) -> f32 { return x ** 2 }\n"
                            "fn cube(x: f64) -> f64 { return x ** 3.0 }\n");
  ASSERT_TRUE(program);
  auto code = compile(*program);
  EXPECT_EQ(emit_llvm_function(*code, program->find_function("sse")).find("kestrel_rt_pow"),
            std::string::npos);
  EXPECT_EQ(emit_llvm_function(*code, program->find_function("sq")).find("kestrel_rt_pow"),
            std::string::npos);
  EXPECT_NE(emit_llvm_function(*code, program->find_function("cube")).find("kestrel_rt_pow_f64"),
            std::string::npos);
}

}  // namespace
}  // namespace kestrel::jit::testing

namespace kestrel::jit::testing {
namespace {

/// Runs `text` in both modes and expects the same output, error and no leaks.
void expect_same(const std::string& text) {
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  ASSERT_TRUE(program);
  Outcome a = run_program(sources, *program, Mode::Interp);
  Outcome b = run_program(sources, *program, Mode::Jit);
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(b.leaked_buffers, 0);
  EXPECT_EQ(b.leaked_arrays, 0);
}

TEST(Fusion, SumOfAChainKeepsTheChunkOrder) {
  expect_same(
      "fn sse(a: f64[:], b: f64[:]) -> f64 { return sum((a - b) ** 2) }\n"
      "let a = linspace(0.1, 7.3, 10001)\nlet b = arange(10001) * 0.37\n"
      "print(sse(a, b), sum(exp(-a) * 3.0 + max(a, b) / 2.0), sum(a[0:0]))\n"
      "let f = f32(a)\nprint(sum(f * f - 1.5f32))\n");
}

TEST(Fusion, ShapeMismatchFallsBackToTheRuntimeError) {
  expect_same("let a = zeros(3)\nlet b = ones(4)\nprint(sum(a * 2.0 + b))\n");
  expect_same("let a = zeros(3)\nlet b = ones(4)\nlet o = zeros(3)\no[:] = a + b\n");
}

TEST(Fusion, LoopsIndexedByTheirVariableStillRaise) {
  const char* scale =
      "fn scale(a: f64[:], out: f64[:]) {\n    for i in 0..len(out) {\n        out[i] = a[i] * "
      "2.0\n"
      "    }\n}\n";
  expect_same(std::string(scale) +
              "let a = arange(10000) * 1.0\nlet o = zeros(10000)\nscale(a, o)\nprint(sum(o))\n");
  expect_same(std::string(scale) + "let a = arange(5) * 1.0\nlet o = zeros(7)\nscale(a, o)\n");
  expect_same("let a = zeros(3)\nfor i in -2..3 {\n    a[i] = 1.0\n}\nprint(a)\n");
}

TEST(Fusion, StoresRespectOverlap) {
  expect_same(
      "let a = arange(8) * 1.0\nlet b = a[0:7]\nlet c = a[1:8]\nb[:] = c * 2.0 + 1.0\nprint(a)\n"
      "var d = arange(5) * 1.0\nd[:] = d * d\nd += d * 0.5\nprint(d)\n"
      "let m = [[1.0, 2.0], [3.0, 4.0]]\nlet col = m[:, 1]\ncol[:] = col * 10.0\nprint(m)\n");
}

TEST(Fusion, MatrixStoresAgreeWithTheInterpreterFusedOrNot) {
  // Contiguous and of one shape: fused. A transposed or sliced view, a broadcast column, a shape
  // mismatch, the target's own transpose: the unfused path, with the runtime's results and errors.
  expect_same(
      "let h = randn(3, 4, seed=1)\nlet d = randn(3, 4, seed=2)\n"
      "d[:, :] = d * h * (1.0 - h)\nprint(d)\n"
      "d[:, :] += sigmoid(h) / 3.0\nprint(d)\n"
      "let t = randn(4, 3, seed=3)\nd[:, :] = d + t.T\n"
      "print(d)\nlet c = [[1.0], [2.0], [3.0]]\n"
      "d[:, :] = d * c\nprint(d)\n"
      "let s = d[0:2, 1:3]\ns[:, :] = s * 2.0 - s\n"
      "print(d)\nlet q = randn(3, 3, seed=4)\n"
      "q[:, :] = q.T * 2.0\nprint(q)\n"
      "let f = f32(randn(2, 3, seed=5))\nf[:, :] *= f + 0.5f32\n"
      "print(f)\nlet e = zeros(0, 4)\n"
      "e[:, :] = e * 2.0\nprint(e)\n");
  expect_same("let a = zeros(2, 3)\nlet b = ones(3, 2)\na[:, :] = a + b\n");
  expect_same("let a = zeros(2, 3)\nlet b = ones(2, 4)\na[:, :] = b * 2.0\n");
}

TEST(Fusion, AContiguousMatrixStoreIsOneVectorLoop) {
  diag::SourceManager sources;
  auto program = check_text(
      sources, "fn step(d: f64[:,:], h: f64[:,:]) {\n    d[:, :] = d * h * (1.0 - h)\n}\n");
  ASSERT_TRUE(program);
  jit::Options jo;
  jo.use_cache = false;
  auto code = jit::compile(*program, jo);
  // The fused loop, outlined as step's chunk function for the runtime's threads, vectorized
  // (stride 1 is known); the unfused path only calls the runtime.
  std::string module = emit_llvm(*code);
  std::size_t at = module.find("define internal void @kestrel.step.");
  ASSERT_NE(at, std::string::npos) << module;
  std::string chunk = module.substr(at, module.find("\ndefine", at + 1) - at);
  EXPECT_NE(chunk.find(".fused."), std::string::npos) << chunk;
  EXPECT_NE(chunk.find("fmul <"), std::string::npos) << chunk;
}

}  // namespace
}  // namespace kestrel::jit::testing

namespace kestrel::jit::testing {
namespace {

/// Runs `text` in one mode with the interrupt flag already set.
Outcome run_interrupted(const std::string& text, Mode mode) {
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  Outcome o;
  if (!program) {
    return o;
  }
  std::atomic<bool> stop{true};
  rt::Limits limits;
  limits.interrupt = &stop;
  codegen::RunOptions options;
  options.out = &o.out;
  options.limits = &limits;
  try {
    if (mode == Mode::Interp) {
      auto code = interp::compile(*program);
      interp::run_main(*code, options);
    } else {
      jit::Options jo;
      jo.use_cache = false;
      auto code = jit::compile(*program, jo);
      jit::run_main(*code, options);
    }
  } catch (const codegen::RunError& e) {
    o.error = diag::location(sources, e.span()) + ": " + e.message();
  }
  return o;
}

TEST(Lowering, InterruptStopsLoopsWhereTheInterpreterDoes) {
  for (const char* text : {"var n = 0\nwhile true {\n    n += 1\n}\n",
                           "var n = 0\nfor i in 0..100000000 {\n    n += i\n}\nprint(n)\n"}) {
    Outcome a = run_interrupted(text, Mode::Interp);
    Outcome b = run_interrupted(text, Mode::Jit);
    EXPECT_NE(b.error.find("interrupted"), std::string::npos) << b.error;
    EXPECT_EQ(a.error, b.error);
  }
}

}  // namespace
}  // namespace kestrel::jit::testing

namespace kestrel::jit::testing {
namespace {

TEST(Lowering, ScalarEdgesMatchTheInterpreter) {
  expect_same(
      "let m = -2147483647i32 - 1i32\nprint(abs(-5i32), -m, m // -1i32, m % -1i32)\n"
      "let big = -9223372036854775807 - 1\nprint(abs(big), big // -1, 7.5 // -2.0, -7.5 % 2.0)\n"
      "print(i64(1e300), i32(-1e300), i64(0.0 / 0.0), f32(1e40), 1 << 63, -1 >> 64)\n"
      "print(min(0.0 / 0.0, 1.0), max(1.0, 0.0 / 0.0), 2 ** 62, 3i32 ** 21i32)\n");
}

// DESIGN.md: integer arithmetic wraps, so abs of the smallest i32 is itself (the interpreter
// agrees: ABS_I32; tests/lang/basics/abs_wraps.kst runs it in both modes).
TEST(Lowering, AbsOfTheSmallestI32Wraps) {
  Outcome o = jit_run("let m = -2147483647i32 - 1i32\nprint(abs(m))\n");
  EXPECT_EQ(o.out, "-2147483648\n");
}

}  // namespace
}  // namespace kestrel::jit::testing
