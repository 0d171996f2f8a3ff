// Names, scopes, `let` immutability, statements and return types: checked on small programs,
// asserting on the typed IR (its dump) or on the diagnostics.
#include "tests/sema/check_helpers.hpp"

namespace kestrel::sema {
namespace {

using testing::Checked;

TEST(Sema, TopLevelStatementsBecomeMain) {
  KESTREL_CHECK_TEXT(c, "let x = 1\nvar y = x + 2\nprint(y)\n");
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_EQ(c.dump(),
            "fn <main>() {\n"
            "  let x: i64 = 1\n"
            "  var y: i64 = (+:i64 x 2)\n"
            "  (print:void y)\n"
            "}\n");
  EXPECT_TRUE(c.program->fn(c.program->main).is_main);
}

TEST(Sema, ShadowingInInnerBlock) {
  KESTREL_CHECK_TEXT(c, "let x = 1\nif true {\n  let x = 2.5\n  print(x)\n}\nprint(x)\n");
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_NE(c.dump().find("let x: f64 = 2.5"), std::string::npos) << c.dump();
}

TEST(Sema, RedefinitionInSameScopeHasNote) {
  KESTREL_CHECK_TEXT(c, "let x = 1\nlet x = 2\n");
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::Redefinition});
  ASSERT_EQ(c.diags.all()[0].notes.size(), 1u);
  EXPECT_EQ(c.diags.all()[0].notes[0].message, "first defined here");
  EXPECT_EQ(c.diags.all()[0].notes[0].span.begin, 4u);
}

TEST(Sema, AssignToLetExplainsAndSuggestsVar) {
  KESTREL_CHECK_TEXT(c, "let x = 1\nx = 2\n");
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::AssignToLet});
  const diag::Diagnostic& d = c.diags.all()[0];
  EXPECT_EQ(d.message, "cannot assign to 'x': it was declared with 'let'");
  ASSERT_EQ(d.notes.size(), 2u);
  EXPECT_EQ(d.notes[0].message, "declared here");
  EXPECT_EQ(d.notes[1].message, "use 'var' to make it mutable");
}

TEST(Sema, LetArrayElementsAreWritable) {
  KESTREL_CHECK_TEXT(c, "let a = zeros(3)\na[0] = 1\na[1:3] = 2.0\na += 1.0\n");
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_NE(c.dump().find("store a[0] = 1.0"), std::string::npos) << c.dump();
  EXPECT_NE(c.dump().find("store (slice:f64[:] a 1:3)[…] = 2.0"), std::string::npos);
  EXPECT_NE(c.dump().find("store a[…] += 1.0"), std::string::npos);
}

TEST(Sema, ReturnTypeIsInferredAndJoined) {
  KESTREL_CHECK_TEXT(c,
                     "fn f(c: bool) {\n  if c {\n    return 1\n  }\n  return 2.5\n}\n"
                     "let y = f(true)\n");
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_EQ(c.program->fn(c.program->find_function("f")).ret, ir::Type::f64());
  EXPECT_NE(c.dump().find("return 1.0"), std::string::npos) << c.dump();
  EXPECT_EQ(c.local_type("<main>", "y"), "f64");
}

TEST(Sema, InferenceFollowsCallsToLaterFunctions) {
  KESTREL_CHECK_TEXT(c, "fn a() {\n  return b() * 2\n}\nfn b() {\n  return 21i32\n}\n");
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_EQ(c.program->fn(c.program->find_function("a")).ret, ir::Type::i32());
}

TEST(Sema, RecursionNeedsDeclaredReturnType) {
  KESTREL_CHECK_TEXT(c, "fn f(n: i64) {\n  return f(n - 1)\n}\n");
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::CannotInfer});
  KESTREL_CHECK_TEXT(ok, "fn f(n: i64) -> i64 {\n  if n < 1 { return 0 }\n  return f(n - 1)\n}\n");
  EXPECT_TRUE(ok.ok()) << ok.rendered();
}

TEST(Sema, MissingReturnOnSomePath) {
  KESTREL_CHECK_TEXT(c, "fn f(x: i64) -> i64 {\n  if x > 0 {\n    return 1\n  }\n}\n");
  EXPECT_EQ(c.kinds(), std::vector{diag::Kind::MissingReturn});
  KESTREL_CHECK_TEXT(ok,
                     "fn f(x: i64) -> i64 {\n  if x > 0 {\n    return 1\n  } else {\n"
                     "    return 2\n  }\n}\nfn g() -> i64 {\n  while true {\n  }\n}\n");
  EXPECT_TRUE(ok.ok()) << ok.rendered();
}

TEST(Sema, ElseIfChainsNest) {
  KESTREL_CHECK_TEXT(c,
                     "let x = 1\nif x < 0 {\n  print(1)\n} else if x > 0 {\n  print(2)\n} "
                     "else {\n  print(3)\n}\n");
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_NE(c.dump().find("} else {\n    if (>:bool x 0) {"), std::string::npos) << c.dump();
}

TEST(Sema, ControlFlowPlacement) {
  KESTREL_CHECK_TEXT(c, "break\ncontinue\nreturn\nif true {\n  fn g() {\n  }\n}\n");
  EXPECT_EQ(c.kinds(),
            (std::vector{diag::Kind::LoopControlOutsideLoop, diag::Kind::LoopControlOutsideLoop,
                         diag::Kind::ReturnOutsideFunction, diag::Kind::DefinitionNotTopLevel}));
}

TEST(Sema, ReportsSeveralErrorsWithoutCascades) {
  KESTREL_CHECK_TEXT(c, "let a = foo + 1\nlet b = a * 2\nlet c = bar(b)\nlet d: i64 = 1.5\n");
  EXPECT_EQ(c.kinds(), (std::vector{diag::Kind::UndefinedName, diag::Kind::UndefinedName,
                                    diag::Kind::Narrowing}))
      << c.rendered();
}

TEST(Sema, TopLevelVariablesAreNotVisibleInFunctions) {
  KESTREL_CHECK_TEXT(c, "let k = 2\nfn f() -> i64 {\n  return k\n}\n");
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::UndefinedName});
  ASSERT_EQ(c.diags.all()[0].notes.size(), 1u);
}

TEST(Sema, FunctionsAreHoisted) {
  KESTREL_CHECK_TEXT(c, "print(later(2))\nfn later(x: i64) -> i64 {\n  return x\n}\n");
  EXPECT_TRUE(c.ok()) << c.rendered();
}

TEST(Sema, UncheckedDecoratorIsRecorded) {
  KESTREL_CHECK_TEXT(c, "@unchecked fn f(a: f64[:]) -> f64 {\n  return a[0]\n}\n");
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_TRUE(c.program->fn(c.program->find_function("f")).unchecked);
}

TEST(Sema, ConditionsMustBeBool) {
  KESTREL_CHECK_TEXT(c, "let n = 1\nif n {\n}\nwhile 1.5 {\n}\n");
  EXPECT_EQ(c.kinds(), (std::vector{diag::Kind::ConditionNotBool, diag::Kind::ConditionNotBool}));
}

TEST(Sema, TupleDestructuring) {
  KESTREL_CHECK_TEXT(c,
                     "fn f() -> (i64, f64[:]) {\n  return (1, zeros(2))\n}\n"
                     "let (k, v) = f()\nlet (p, q, r) = f()\n");
  EXPECT_EQ(c.kinds(), std::vector{diag::Kind::TupleMismatch});
  EXPECT_NE(c.rendered().find("cannot unpack a tuple of 2 values into 3 names"), std::string::npos);
}

TEST(Sema, DeepChainsAreTooComplexNotACrash) {
  std::string text = "let x = 1";
  for (int i = 0; i < 5000; ++i) {
    text += " + 1";
  }
  KESTREL_CHECK_TEXT(c, text + "\n");
  EXPECT_EQ(c.kinds(), std::vector{diag::Kind::TooComplex});
  std::string ok = "let y = 1";
  for (int i = 0; i < 900; ++i) {
    ok += " + 1";
  }
  KESTREL_CHECK_TEXT(fine, ok + "\n");
  EXPECT_TRUE(fine.ok()) << fine.rendered();
}

TEST(Sema, LongRightAssociativePowerChain) {
  std::string text = "let x = 2.0";
  for (int i = 0; i < 3000; ++i) {
    text += " ** 1.0";
  }
  KESTREL_CHECK_TEXT(c, text + "\n");
  EXPECT_EQ(c.kinds(), std::vector{diag::Kind::TooComplex});
}

TEST(Sema, AssignToUndeclaredNameHintsAtLet) {
  KESTREL_CHECK_TEXT(c, "z = 5\n");
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::UndefinedName});
  const diag::Diagnostic& d = c.diags.all()[0];
  EXPECT_EQ(d.message, "undefined name 'z'");
  ASSERT_EQ(d.notes.size(), 1u);
  EXPECT_EQ(d.notes[0].message,
            "to declare it, write `let z = 5` (or `var z = 5` to reassign it later)");
}

TEST(Sema, ThreeSizesSayThreeDArraysAreNotSupported) {
  KESTREL_CHECK_TEXT(c, "let a = zeros(2, 3, 4)\n");
  EXPECT_EQ(c.messages(), std::vector<std::string>{
                              "1:21: 3-D arrays are not supported; Kestrel arrays are 1-D or 2-D"});
}

}  // namespace
}  // namespace kestrel::sema
