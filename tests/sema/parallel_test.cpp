// The `parallel for` rule: outer scalars change only as reductions, recorded on the loop.
#include "tests/sema/check_helpers.hpp"

namespace kestrel::sema {
namespace {

std::string in_fn(const std::string& body) {
  return "fn f(n: i64, a: f64[:]) -> f64 {\n  var s = 0.0\n  var p = 1.0\n  var lo = 1e9\n" + body +
         "  return s + p + lo\n}\n";
}

TEST(Parallel, ReductionsAreRecordedOnTheLoop) {
  KESTREL_CHECK_TEXT(c, in_fn("  parallel for i in 0..n {\n    let v = a[i]\n    s += v\n"
                              "    p *= 2.0\n    lo = min(lo, v)\n    a[i] = v * 2.0\n  }\n"));
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_NE(c.dump().find("parallel for i: i64 in 0..n reduce(+ s) reduce(* p) reduce(min lo)"),
            std::string::npos)
      << c.dump();
}

TEST(Parallel, SubtractionAndMaxForms) {
  KESTREL_CHECK_TEXT(c, in_fn("  parallel for i in 0..n {\n    s -= a[i]\n    s += 1.0\n"
                              "    lo = max(a[i], lo)\n  }\n"));
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_NE(c.dump().find("reduce(+ s) reduce(max lo)"), std::string::npos) << c.dump();
}

TEST(Parallel, PlainAssignmentIsAnErrorWithAFix) {
  KESTREL_CHECK_TEXT(c, in_fn("  parallel for i in 0..n {\n    s = a[i]\n  }\n"));
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::ParallelWrite});
  const diag::Diagnostic& d = c.diags.all()[0];
  EXPECT_NE(d.message.find("cannot assign to 's' inside 'parallel for'"), std::string::npos);
  ASSERT_EQ(d.notes.size(), 2u);
  EXPECT_NE(d.notes[1].message.find("'v += …'"), std::string::npos);
}

TEST(Parallel, ReadingAReductionVariableIsAnError) {
  KESTREL_CHECK_TEXT(c, in_fn("  parallel for i in 0..n {\n    s += a[i]\n    a[i] = s\n  }\n"));
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::ParallelWrite});
  EXPECT_NE(c.diags.all()[0].message.find("cannot read 's'"), std::string::npos);
  KESTREL_CHECK_TEXT(self, in_fn("  parallel for i in 0..n {\n    s += s * 2.0\n  }\n"));
  EXPECT_EQ(self.kinds(), std::vector{diag::Kind::ParallelWrite});
}

TEST(Parallel, MixingOperatorsIsAnError) {
  KESTREL_CHECK_TEXT(c, in_fn("  parallel for i in 0..n {\n    s += 1.0\n    s *= 2.0\n  }\n"));
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::ParallelWrite});
  EXPECT_NE(c.diags.all()[0].message.find("both '+=' and '*='"), std::string::npos);
}

TEST(Parallel, DivisionIsNotAReduction) {
  KESTREL_CHECK_TEXT(c, in_fn("  parallel for i in 0..n {\n    s /= 2.0\n  }\n"));
  EXPECT_EQ(c.kinds(), std::vector{diag::Kind::ParallelWrite});
}

TEST(Parallel, LocalsInsideTheLoopAreFree) {
  KESTREL_CHECK_TEXT(c, in_fn("  parallel for i in 0..n {\n    var t = 0.0\n    t = a[i]\n"
                              "    for k in 0..3 {\n      t += 1.0\n    }\n    a[i] = t\n  }\n"));
  EXPECT_TRUE(c.ok()) << c.rendered();
}

TEST(Parallel, NestedSerialLoopStillReduces) {
  KESTREL_CHECK_TEXT(c, in_fn("  parallel for i in 0..n {\n    for k in 0..3 {\n"
                              "      s += 1.0\n    }\n  }\n"));
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_NE(c.dump().find("reduce(+ s)"), std::string::npos);
}

TEST(Parallel, RebindingAnOuterArrayIsAnError) {
  KESTREL_CHECK_TEXT(c, "var b = zeros(3)\nparallel for i in 0..3 {\n  b = ones(3)\n}\n");
  EXPECT_EQ(c.kinds(), std::vector{diag::Kind::ParallelWrite});
}

TEST(Parallel, BreakAndReturnCannotLeave) {
  KESTREL_CHECK_TEXT(c,
                     "fn f() {\n  parallel for i in 0..3 {\n    if i > 1 {\n      break\n"
                     "    }\n    return\n  }\n}\n");
  EXPECT_EQ(c.kinds(),
            (std::vector{diag::Kind::LoopControlOutsideLoop, diag::Kind::LoopControlOutsideLoop}));
}

TEST(Parallel, IntegerRangeTypes) {
  KESTREL_CHECK_TEXT(c, "let n = 10i32\nfor i in 0..n by 2 {\n  print(i)\n}\n");
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_NE(c.dump().find("for i: i32 in 0i32..n by 2i32"), std::string::npos) << c.dump();
}

// Outer arrays: stores at the loop variable plus a constant are disjoint (no reduction), op= at
// any other index, min/max of the same element and whole-array op= are array reductions.
TEST(Parallel, ArrayWritesAreClassified) {
  KESTREL_CHECK_TEXT(c, in_fn("  let h = zeros(4)\n  let low = zeros(4)\n  let v = zeros(2)\n"
                              "  parallel for i in 0..n {\n    a[i] = 1.0\n    a[1 + i] += 2.0\n"
                              "    h[i % 4] += a[i]\n    low[i % 4] = min(low[i % 4], a[i])\n"
                              "    v[0:2] *= 2.0\n    s += f64(len(h))\n  }\n"));
  ASSERT_TRUE(c.ok()) << c.rendered();
  std::string d = c.dump();
  EXPECT_NE(d.find("reduce_array(+ h)"), std::string::npos) << d;
  EXPECT_NE(d.find("reduce_array(min low)"), std::string::npos) << d;
  EXPECT_NE(d.find("reduce_array(* v)"), std::string::npos) << d;
  EXPECT_EQ(d.find("reduce_array(+ a)"), std::string::npos) << d;
}

TEST(Parallel, ArrayWritesThatRaceAreErrors) {
  // A store at another index, and min() of a different element (a read of the reduced array).
  KESTREL_CHECK_TEXT(c, in_fn("  parallel for i in 0..n {\n    a[0] = 1.0\n  }\n"));
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::ParallelWrite});
  EXPECT_NE(c.diags.all()[0].message.find("no index is the loop variable plus a constant"),
            std::string::npos);
  KESTREL_CHECK_TEXT(c2, in_fn("  let m = zeros(3)\n  parallel for i in 0..n {\n"
                               "    m[i % 3] = min(m[0], a[i])\n  }\n"));
  ASSERT_FALSE(c2.ok());
  EXPECT_NE(c2.rendered().find("cannot store into 'm'"), std::string::npos) << c2.rendered();
}

}  // namespace
}  // namespace kestrel::sema
