// kestrel::Session (the REPL's engine, dsl/engine/session.cpp): state that persists between
// entries, driven through the public API.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "kestrel/kestrel.hpp"

namespace kestrel {
namespace {

/// Runs `entry` in `s` and returns what it printed.
std::string run(Session& s, const std::string& entry) {
  std::string out;
  s.run(entry, &out);
  return out;
}

TEST(Session, RedeclaringAVariableShadowsItAndReadsTheOldValue) {
  Engine engine;
  Session s(engine);
  run(s, "let x = 1");
  EXPECT_EQ(run(s, "let x = x + 1\nx"), "2\n");
  EXPECT_EQ(run(s, "var x = [f64(x), 3.0]\nx[0] += 1.0\nx"), "[3. 3.]\n");
  EXPECT_EQ(run(s, "x"), "[3. 3.]\n");
  // `_` holds the last value shown.
  EXPECT_EQ(s.variables(), (std::vector<std::string>{"x: f64[:]", "_: f64[:]"}));
}

TEST(Session, MembersListAnImportedModulesFunctionsForCompletion) {
  Engine engine;
  Session s(engine);
  run(s, "import montecarlo\nfn f() -> i64 {\n    return 1\n}");
  std::vector<std::string> m = s.members("montecarlo");
  EXPECT_NE(std::find(m.begin(), m.end(), "montecarlo.pi"), m.end()) << ::testing::PrintToString(m);
  for (const std::string& name : m) {
    EXPECT_EQ(name.rfind("montecarlo.", 0), 0u) << name;
  }
  EXPECT_TRUE(s.members("f").empty());        // a function, not an import
  EXPECT_TRUE(s.members("groupby").empty());  // not imported in this session
}

TEST(Session, TuplesPersist) {
  Engine engine;
  Session s(engine);
  run(s, "var t = (2, \"s\", [1.0, 2.0])");
  EXPECT_EQ(run(s, "t"), "(2, s, [1. 2.])\n");
  run(s, "let (a, b, c) = t\nt = (a + 1, \"u\", c * 2.0)");
  EXPECT_EQ(run(s, "print(t)\nlet (p, q, r) = t\nprint(p, q, sum(r))"),
            "(3, u, [2. 4.])\n3 u 6.0\n");
}

TEST(Session, TheSeededStreamContinuesAcrossEntries) {
  Engine engine;
  Session once(engine);
  std::string all = run(once, "seed(1)\nprint(random(), random(), randn())");
  Session s(engine);
  run(s, "seed(1)");
  std::string a = run(s, "random()");
  std::string b = run(s, "random()");
  std::string c = run(s, "randn()");
  EXPECT_EQ(a.substr(0, a.size() - 1) + " " + b.substr(0, b.size() - 1) + " " + c, all);
  // A failed entry leaves the stream where it was.
  EXPECT_THROW(run(s, "let u = random()\nlet v = [1.0][3]"), Error);
  Session t(engine);
  run(t, "seed(1)\nrandom()\nrandom()\nrandn()");
  EXPECT_EQ(run(s, "random()"), run(t, "random()"));
}

}  // namespace
}  // namespace kestrel
