// Unit tests of the LLVM lowering's pure IR queries (codegen/llvm/ir_queries.hpp), each on small
// checked programs, with no LLVM module or IRBuilder involved. (The serial-loop rule is also
// tested end to end, through what the lowering outlines, in parallel_lowering_test.cpp.)
#include "codegen/llvm/ir_queries.hpp"

#include <functional>
#include <string>
#include <vector>

#include "dsl/ir/walk.hpp"
#include "tests/llvm/jit_helpers.hpp"

namespace kestrel::jit::testing {
namespace {

/// A checked program and one of its functions.
struct Checked {
  diag::SourceManager sources;
  std::optional<ir::Program> program;

  explicit Checked(const std::string& text) { program = check_text(sources, text); }
  const ir::Function& fn(const char* name) const {
    return program->fn(program->find_function(name));
  }
};

/// The names of the locals of `f` marked in `marks`, in order.
std::vector<std::string> marked(const ir::Function& f, const std::vector<char>& marks) {
  std::vector<std::string> names;
  for (std::size_t k = 0; k < marks.size(); ++k) {
    if (marks[k]) {
      names.push_back(f.locals[k].name);
    }
  }
  return names;
}

/// The bodies of the `for` statements at the top of `f`'s body, in order.
std::vector<const ir::Block*> loop_bodies(const ir::Program& p, const ir::Function& f) {
  std::vector<const ir::Block*> bodies;
  for (ir::StmtId id : f.body.stmts) {
    if (const auto* loop = std::get_if<ir::For>(&p.stmt(id).kind)) {
      bodies.push_back(&loop->body);
    }
  }
  return bodies;
}

TEST(IrQueries, AssignedLocalsAreTheRebindingsInNestedBlocks) {
  Checked c(
      "fn f(a: i64, b: i64) -> i64 {\n"
      "  var x = a\n  var w = 0\n  let k = 1\n"
      "  if b > 0 { x = 2 } else { w = 3 }\n"
      "  for i in 0..3 { var y = 0\n y = i }\n"
      "  while w < 0 { var z = 0\n z += 1 }\n"
      "  return x + w + k\n}\nprint(f(1, 2))\n");
  ASSERT_TRUE(c.program);
  const ir::Function& f = c.fn("f");
  std::vector<char> out(f.locals.size(), 0);
  assigned_locals(*c.program, f.body, out);
  EXPECT_EQ(marked(f, out), (std::vector<std::string>{"x", "w", "y", "z"}));
}

TEST(IrQueries, LocalsOfSplitsReadsFromDeclarations) {
  Checked c(
      "fn f(a: i64, b: i64) -> i64 {\n"
      "  var s = 0\n"
      "  for i in 0..a { let t = i * 2\n s += t }\n"
      "  return s\n}\nprint(f(1, 2))\n");
  ASSERT_TRUE(c.program);
  const ir::Function& f = c.fn("f");
  std::vector<char> used(f.locals.size(), 0);
  std::vector<char> declared(f.locals.size(), 0);
  locals_of(*c.program, f.body, used, declared);
  EXPECT_EQ(marked(f, used), (std::vector<std::string>{"a", "s", "i", "t"}));  // b is unread
  EXPECT_EQ(marked(f, declared), (std::vector<std::string>{"s", "i", "t"}));
}

TEST(IrQueries, KernelIndexesByGrid) {
  Checked c(
      "kernel direct(a: f64[:], out: f64[:]) { out[index()] = a[index()] * 2.0 }\n"
      "kernel through_let(a: f64[:], out: f64[:]) { let i = index()\n out[i] = a[i] }\n"
      "kernel shifted(a: f64[:], out: f64[:]) { let i = index()\n out[i] = a[i + 1] }\n"
      "kernel constant(a: f64[:], out: f64[:]) { out[index()] = a[0] }\n"
      "kernel grid2(out: i64[:,:]) { let i = index(0)\n let j = index(1)\n out[i, j] = i + j }\n"
      "kernel swapped(out: i64[:,:]) { out[index(1), index(0)] = 1 }\n"
      "kernel mutable(out: f64[:]) { var i = index()\n out[i] = 1.0 }\n"
      "let a = zeros(4)\nlet o = zeros(4)\nlet m = zeros(2, 2, i64)\n"
      "direct[4](a, o)\nthrough_let[4](a, o)\nshifted[3](a, o)\nconstant[4](a, o)\n"
      "grid2[2, 2](m)\nswapped[2, 2](m)\nmutable[4](o)\n");
  ASSERT_TRUE(c.program);
  const ir::Program& p = *c.program;
  EXPECT_TRUE(kernel_indexes_by_grid(p, c.fn("direct")));
  EXPECT_TRUE(kernel_indexes_by_grid(p, c.fn("through_let")));
  EXPECT_FALSE(kernel_indexes_by_grid(p, c.fn("shifted")));
  EXPECT_FALSE(kernel_indexes_by_grid(p, c.fn("constant")));
  EXPECT_TRUE(kernel_indexes_by_grid(p, c.fn("grid2")));
  EXPECT_FALSE(kernel_indexes_by_grid(p, c.fn("swapped")));
  EXPECT_FALSE(kernel_indexes_by_grid(p, c.fn("mutable")));  // a var may be rebound
}

/// The first top-level `for` statement of `f`.
const ir::For* first_for(const ir::Program& p, const ir::Function& f) {
  for (ir::StmtId id : f.body.stmts) {
    if (const auto* loop = std::get_if<ir::For>(&p.stmt(id).kind)) {
      return loop;
    }
  }
  return nullptr;
}

/// ChunkRule's answer for the first parallel loop of function f in `text`.
bool loop_is_chunk_safe(const std::string& text) {
  Checked c(text);
  if (!c.program) {
    return false;
  }
  const ir::Function& f = c.fn("f");
  const ir::For* loop = first_for(*c.program, f);
  EXPECT_NE(loop, nullptr) << text;
  return loop != nullptr && ChunkRule(*c.program).chunk_safe_loop(f, *loop);
}

TEST(IrQueries, ChunkRuleKeepsLoopsTouchingSharedStateSerial) {
  // Safe: arithmetic on the loop's own values, reductions, a store at the loop variable, a
  // pure callee, a temporary array the iteration creates.
  EXPECT_TRUE(
      loop_is_chunk_safe("fn f(a: f64[:]) -> f64 {\n var s = 0.0\n parallel for i in 0..len(a) {\n"
                         "  s += a[i] * 2.0\n }\n return s\n}\n"));
  EXPECT_TRUE(
      loop_is_chunk_safe("fn g(x: f64) -> f64 { return x * x }\n"
                         "fn f(a: f64[:]) { parallel for i in 0..len(a) { a[i] = g(a[i]) } }\n"));
  EXPECT_TRUE(
      loop_is_chunk_safe("fn f(n: i64) -> f64 {\n var s = 0.0\n parallel for i in 0..n {\n"
                         "  let t = zeros(4) + 1.0\n s += sum(t)\n }\n return s\n}\n"));
  // Serial: print (also from a callee), str values, a view or a binding of an outer array,
  // seed().
  EXPECT_FALSE(loop_is_chunk_safe("fn f(n: i64) { parallel for i in 0..n { print(i) } }\n"));
  EXPECT_FALSE(loop_is_chunk_safe(
      "fn p(i: i64) { print(i) }\nfn f(n: i64) { parallel for i in 0..n { p(i) } }\n"));
  EXPECT_FALSE(
      loop_is_chunk_safe("fn f(s: str[:]) -> i64 {\n var c = 0\n parallel for i in 0..len(s) {\n"
                         "  if s[i] == \"x\" { c += 1 }\n }\n return c\n}\n"));
  EXPECT_FALSE(
      loop_is_chunk_safe("fn f(a: f64[:]) -> f64 {\n var s = 0.0\n parallel for i in 0..len(a) {\n"
                         "  s += sum(a[i:len(a)])\n }\n return s\n}\n"));
  EXPECT_FALSE(
      loop_is_chunk_safe("fn f(a: f64[:]) -> f64 {\n var s = 0.0\n parallel for i in 0..len(a) {\n"
                         "  let b = a\n s += b[i]\n }\n return s\n}\n"));
  EXPECT_FALSE(loop_is_chunk_safe(
      "fn f(n: i64) -> f64 {\n var s = 0.0\n parallel for i in 0..n {\n  seed(i)\n"
      "  s += random()\n }\n return s\n}\n"));
}

TEST(IrQueries, ChunkRuleOfLaunchesAndHeavyBodies) {
  Checked c(
      "kernel pure(a: f64[:], out: f64[:]) { out[index()] = a[index()] + 1.0 }\n"
      "kernel noisy(out: f64[:]) { print(index())\n out[index()] = 1.0 }\n"
      "fn g(x: i64) -> i64 { return x + 1 }\n"
      "fn f(n: i64) -> i64 {\n var s = 0\n"
      "  for i in 0..n { s += i }\n"
      "  for i in 0..n { s += g(i) }\n"
      "  for i in 0..n { for j in 0..i { s += j } }\n"
      "  return s\n}\n"
      "let a = zeros(4)\nlet o = zeros(4)\npure[4](a, o)\nnoisy[4](o)\nprint(f(3))\n");
  ASSERT_TRUE(c.program);
  const ir::Program& p = *c.program;
  ChunkRule rule(p);
  EXPECT_TRUE(rule.chunk_safe_launch(p.find_function("pure")));
  EXPECT_FALSE(rule.chunk_safe_launch(p.find_function("noisy")));
  std::vector<const ir::For*> loops;
  for (ir::StmtId id : c.fn("f").body.stmts) {
    if (const auto* loop = std::get_if<ir::For>(&p.stmt(id).kind)) {
      loops.push_back(loop);
    }
  }
  ASSERT_EQ(loops.size(), 3u);
  EXPECT_FALSE(rule.heavy(loops[0]->body));  // arithmetic only
  EXPECT_TRUE(rule.heavy(loops[1]->body));   // a call
  EXPECT_TRUE(rule.heavy(loops[2]->body));   // a loop
}

/// The value of the first `let` named `name` in `f`'s top-level statements.
ir::ExprId let_init(const ir::Program& p, const ir::Function& f, const std::string& name) {
  for (ir::StmtId id : f.body.stmts) {
    if (const auto* l = std::get_if<ir::Let>(&p.stmt(id).kind);
        l != nullptr && f.locals[l->local.v].name == name) {
      return l->init;
    }
  }
  return ir::ExprId{};
}

TEST(IrQueries, PureScalarIsWhatAFusedLoopMayHoist) {
  Checked c(
      "fn f(x: f64, n: i64, a: f64[:], s: str) -> f64 {\n"
      "  let k1 = -x * 2.0 + 1.0\n  let k2 = x / 3.0\n  let k3 = f64(n) - 1.0\n"
      "  let k4 = n // 2\n  let k5 = a[0]\n  let k6 = sqrt(x)\n  let k7 = s\n"
      "  if k7 == \"x\" { return 0.0 }\n"
      "  return k1 + k2 + k3 + f64(k4) + k5 + k6\n}\n"
      "print(f(1.0, 2, zeros(1), \"s\"))\n");
  ASSERT_TRUE(c.program);
  const ir::Program& p = *c.program;
  const ir::Function& f = c.fn("f");
  EXPECT_TRUE(pure_scalar(p, let_init(p, f, "k1")));   // negation, *, +, constants, locals
  EXPECT_TRUE(pure_scalar(p, let_init(p, f, "k2")));   // float division
  EXPECT_TRUE(pure_scalar(p, let_init(p, f, "k3")));   // a conversion
  EXPECT_FALSE(pure_scalar(p, let_init(p, f, "k4")));  // // can raise (division by zero)
  EXPECT_FALSE(pure_scalar(p, let_init(p, f, "k5")));  // an element read (bounds check)
  EXPECT_FALSE(pure_scalar(p, let_init(p, f, "k6")));  // a builtin call
  EXPECT_FALSE(pure_scalar(p, let_init(p, f, "k7")));  // str
}

TEST(IrQueries, LoopsAndRandomDrawsOfABlock) {
  Checked c(
      "fn f(n: i64) -> f64 {\n  var s = 0.0\n"
      "  for i in 0..n { s += random() }\n"
      "  for i in 0..n { if i > 2 { s += random() } }\n"
      "  for i in 0..n { for j in 0..2 { s += random() } }\n"
      "  for i in 0..n { s += 1.0 }\n"
      "  for i in 0..n { if i > 2 { while s < 0.0 { s += 1.0 } } }\n"
      "  return s\n}\nprint(f(3))\n");
  ASSERT_TRUE(c.program);
  const ir::Program& p = *c.program;
  const std::vector<const ir::Block*> bodies = loop_bodies(p, c.fn("f"));
  ASSERT_EQ(bodies.size(), 5u);
  EXPECT_TRUE(draws_random(p, *bodies[0]));
  EXPECT_TRUE(draws_random(p, *bodies[1]));   // inside an if
  EXPECT_FALSE(draws_random(p, *bodies[2]));  // only inside an inner loop
  EXPECT_FALSE(draws_random(p, *bodies[3]));
  EXPECT_FALSE(has_loops(p, *bodies[0]));
  EXPECT_TRUE(has_loops(p, *bodies[2]));
  EXPECT_TRUE(has_loops(p, *bodies[4]));  // a while inside an if
}

TEST(IrQueries, IndexedByIsTheArraysABlockCheckCovers) {
  Checked c(
      "fn f(a: f64[:], b: f64[:], m: f64[:,:], n: i64) -> f64 {\n  var s = 0.0\n  var c = a\n"
      "  for i in 0..n {\n"
      "    s += b[i] + a[i] + a[i] + m[i, 0] + a[0]\n"
      "    let d = zeros(n)\n    s += d[i]\n"
      "    c[i] = 1.0\n    c = b\n"
      "  }\n  return s\n}\nprint(f(zeros(3), zeros(3), zeros(3, 1), 3))\n");
  ASSERT_TRUE(c.program);
  const ir::Program& p = *c.program;
  const ir::Function& f = c.fn("f");
  const ir::For* loop = first_for(p, f);
  ASSERT_NE(loop, nullptr);
  // b and a (in order of appearance, once each); not m (2-D), d (declared in the body) or c
  // (rebound in the body).
  std::vector<std::string> names;
  for (std::uint32_t l : indexed_by(p, f, loop->body, loop->var)) {
    names.push_back(f.locals[l].name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"b", "a"}));
}

// division_plan: the divisions by a constant of a loop body that may be vectorised. A body that
// carries only integer sums allows a dividend that reads none of them (nor what they feed); one
// that carries a float, or a value set anew each iteration (a recurrence), or holds a loop,
// allows none; an array the body stores into feeds what reads it.
TEST(IrQueries, DivisionPlanAllowsDividendsThatNoIterationFeeds) {
  Checked c(
      "fn f(n: i64, v: i64[:]) -> i64 {\n  var s = 0\n  var x = 1\n  var t = 0.0\n"
      "  for i in 0..n { let y = i * 3\n s += (y + 1) % 7 - s % 5 }\n"
      "  for i in 0..n { x = (x * 31 + 7) % 100 }\n"
      "  for i in 0..n { t += f64(i % 13) }\n"
      "  for i in 0..n { for j in 0..2 { s += j % 3 } }\n"
      "  for i in 1..n { v[i] = v[i - 1] % 9\n s += i % 9 }\n"
      "  return s + x + i64(t)\n}\nprint(f(3, zeros(3, i64)))\n");
  ASSERT_TRUE(c.program);
  const ir::Program& p = *c.program;
  const ir::Function& f = c.fn("f");
  const std::vector<const ir::Block*> bodies = loop_bodies(p, f);
  ASSERT_EQ(bodies.size(), 5u);
  // The dividends of the `%`s in a block, in order.
  auto dividends = [&](const ir::Block& b) {
    std::vector<ir::ExprId> out;
    std::function<void(ir::ExprId)> expr = [&](ir::ExprId e) {
      if (const auto* bin = std::get_if<ir::Binary>(&p.expr(e).kind);
          bin != nullptr && bin->op == ir::BinaryOp::Mod) {
        out.push_back(bin->lhs);
      }
      ir::for_each_child(p.expr(e).kind, expr);
    };
    std::function<void(const ir::Block&)> block = [&](const ir::Block& inner) {
      for (ir::StmtId id : inner.stmts) {
        ir::for_each_child(p.stmt(id).kind, expr, block);
      }
    };
    block(b);
    return out;
  };
  const DivisionPlan sums = division_plan(p, f, *bodies[0]);
  ASSERT_EQ(dividends(*bodies[0]).size(), 2u);
  EXPECT_TRUE(sums.calls);
  EXPECT_TRUE(sums.allows(p, dividends(*bodies[0])[0]));   // (y + 1): y = i * 3
  EXPECT_FALSE(sums.allows(p, dividends(*bodies[0])[1]));  // s, the sum itself
  EXPECT_FALSE(division_plan(p, f, *bodies[1]).calls);     // x = ...: a recurrence
  EXPECT_FALSE(division_plan(p, f, *bodies[2]).calls);     // t += ...: a float
  EXPECT_FALSE(division_plan(p, f, *bodies[3]).calls);     // an inner loop
  const DivisionPlan stores = division_plan(p, f, *bodies[4]);
  ASSERT_EQ(dividends(*bodies[4]).size(), 2u);
  EXPECT_TRUE(stores.calls);
  EXPECT_FALSE(stores.allows(p, dividends(*bodies[4])[0]));  // v[i - 1], v stored into
  EXPECT_TRUE(stores.allows(p, dividends(*bodies[4])[1]));   // i
}

TEST(IrQueries, KindsNamesTheNodeKindsItHandles) {
  Checked c("for i in 0..3 { if i == 1 { continue }\n if i == 2 { break }\n print(i) }\n");
  ASSERT_TRUE(c.program);
  const ir::Program& p = *c.program;
  int jumps = 0;
  int others = 0;
  for (const ir::Stmt& s : p.stmts) {
    std::visit(
        ir::overloaded{
            kinds<ir::Break, ir::Continue>([&] { ++jumps; }),
            kinds<ir::Let, ir::LetTuple, ir::Assign, ir::StoreIndex, ir::StoreView, ir::ExprStmt,
                  ir::If, ir::While, ir::For, ir::Return>([&] { ++others; }),
        },
        s.kind);
  }
  EXPECT_EQ(jumps, 2);
  EXPECT_EQ(others, static_cast<int>(p.stmts.size()) - 2);
}

}  // namespace
}  // namespace kestrel::jit::testing
