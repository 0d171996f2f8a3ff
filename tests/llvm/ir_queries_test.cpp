// Unit tests of the LLVM lowering's pure IR queries (codegen/llvm/ir_queries.hpp), each on small
// checked programs, with no LLVM module or IRBuilder involved.
#include "codegen/llvm/ir_queries.hpp"

#include <string>
#include <vector>

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

TEST(IrQueries, RuntimeOperatorOfEachBinaryOperator) {
  using B = ir::BinaryOp;
  using R = rt::BinOp;
  const std::pair<B, R> table[] = {
      {B::Add, R::Add},
      {B::Sub, R::Sub},
      {B::Mul, R::Mul},
      {B::Div, R::Div},
      {B::FloorDiv, R::FloorDiv},
      {B::Mod, R::Mod},
      {B::Pow, R::Pow},
      {B::Eq, R::Eq},
      {B::Ne, R::Ne},
      {B::Lt, R::Lt},
      {B::Le, R::Le},
      {B::Gt, R::Gt},
      {B::Ge, R::Ge},
      {B::BitAnd, R::BitAnd},
      {B::BitOr, R::BitOr},
      {B::BitXor, R::BitXor},
      {B::Shl, R::Shl},
      {B::Shr, R::Shr},
      {B::And, R::Add},
      {B::Or, R::Add},  // no elementwise form: the fallback
  };
  for (const auto& [ir_op, rt_op] : table) {
    EXPECT_EQ(rt_binop(ir_op), rt_op) << static_cast<int>(ir_op);
  }
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
