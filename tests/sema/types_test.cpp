// Types: literals, promotion and explicit conversions, arrays (ranks, broadcasting, views),
// builtin signatures, kernels and launches.
#include "tests/sema/check_helpers.hpp"

namespace kestrel::sema {
namespace {

/// The type of `e` as the value of `let v = e` after `prelude`.
std::string type_of(const std::string& prelude, const std::string& e) {
  KESTREL_CHECK_TEXT(c, prelude + "\nlet v = " + e + "\n");
  if (!c.ok()) {
    return "error: " + c.rendered();
  }
  return c.local_type("<main>", "v");
}

const char* kPrelude =
    "let i = 1\nlet j = 2i32\nlet x = 1.5\nlet y = 2.5f32\nlet b = true\n"
    "let a = zeros(4)\nlet af = zeros(4, f32)\nlet ai = arange(4, i64)\nlet m = ones(2, 3)\n"
    "let mask = a > 0.0\nlet t = read_csv(\"x.csv\")";

TEST(Types, Literals) {
  EXPECT_EQ(type_of("", "42"), "i64");
  EXPECT_EQ(type_of("", "42i32"), "i32");
  EXPECT_EQ(type_of("", "3.5"), "f64");
  EXPECT_EQ(type_of("", "1e-3"), "f64");
  EXPECT_EQ(type_of("", "3.5f32"), "f32");
  EXPECT_EQ(type_of("", "true"), "bool");
  EXPECT_EQ(type_of("", "\"s\""), "str");
  EXPECT_EQ(type_of("", "-9223372036854775808"), "i64");
  KESTREL_CHECK_TEXT(c, "let v = 9223372036854775808\n");
  EXPECT_EQ(c.kinds(), std::vector{diag::Kind::InvalidLiteral});
}

TEST(Types, Promotion) {
  EXPECT_EQ(type_of(kPrelude, "i + x"), "f64");
  EXPECT_EQ(type_of(kPrelude, "j + i"), "i64");
  EXPECT_EQ(type_of(kPrelude, "y + x"), "f64");
  EXPECT_EQ(type_of(kPrelude, "j + y"), "f32");
  EXPECT_EQ(type_of(kPrelude, "i / 2"), "f64");
  EXPECT_EQ(type_of(kPrelude, "i // 2"), "i64");
  EXPECT_EQ(type_of(kPrelude, "j * 3"), "i32");
  EXPECT_EQ(type_of(kPrelude, "y * 0.5"), "f32");
  EXPECT_EQ(type_of(kPrelude, "i ** 2"), "i64");
  EXPECT_EQ(type_of(kPrelude, "i < x"), "bool");
  EXPECT_EQ(type_of(kPrelude, "b and i > 0"), "bool");
  EXPECT_EQ(type_of(kPrelude, "i & 3 | 4 << 1"), "i64");
}

TEST(Types, ImplicitConversionsAreExplicitInTheIr) {
  KESTREL_CHECK_TEXT(c, "let i = 1\nlet x = i + 0.5\nvar s: f64 = 0\nlet k: i64 = 3i32\n");
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_NE(c.dump().find("(+:f64 (convert:f64 i) 0.5)"), std::string::npos) << c.dump();
  EXPECT_NE(c.dump().find("var s: f64 = 0.0"), std::string::npos);
  EXPECT_NE(c.dump().find("let k: i64 = (convert:i64 3i32)"), std::string::npos);
}

TEST(Types, NothingNarrowsImplicitly) {
  KESTREL_CHECK_TEXT(c, "let x = 1.5\nlet n: i64 = x\nlet j: i32 = n\nlet y: f32 = x\n");
  EXPECT_EQ(c.kinds(),
            (std::vector{diag::Kind::Narrowing, diag::Kind::Narrowing, diag::Kind::Narrowing}));
  EXPECT_EQ(c.diags.all()[0].message, "cannot convert f64 to i64 implicitly; use i64(x)");
}

TEST(Types, ExplicitConversions) {
  EXPECT_EQ(type_of(kPrelude, "i64(x)"), "i64");
  EXPECT_EQ(type_of(kPrelude, "f32(a)"), "f32[:]");
  EXPECT_EQ(type_of(kPrelude, "i32(i)"), "i32");
  EXPECT_EQ(type_of(kPrelude, "f64(mask)"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "bool(i)"), "bool");
}

TEST(Types, ElementwiseAndBroadcasting) {
  EXPECT_EQ(type_of(kPrelude, "a * 2"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "af * 0.5"), "f32[:]");
  EXPECT_EQ(type_of(kPrelude, "af + a"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "ai + 1"), "i64[:]");
  EXPECT_EQ(type_of(kPrelude, "m + ones(3)"), "f64[:,:]");
  EXPECT_EQ(type_of(kPrelude, "-m"), "f64[:,:]");
  EXPECT_EQ(type_of(kPrelude, "a > 1.0"), "bool[:]");
  EXPECT_EQ(type_of(kPrelude, "(a > 1.0) & mask"), "bool[:]");
  EXPECT_EQ(type_of(kPrelude, "(a - a) ** 2"), "f64[:]");
}

TEST(Types, MatMulRanks) {
  EXPECT_EQ(type_of(kPrelude, "m @ m.T"), "f64[:,:]");
  EXPECT_EQ(type_of(kPrelude, "m @ ones(3)"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "ones(2) @ m"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "a @ a"), "f64");
}

TEST(Types, IndexingAndSlicing) {
  EXPECT_EQ(type_of(kPrelude, "a[1]"), "f64");
  EXPECT_EQ(type_of(kPrelude, "a[1:3]"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "a[:]"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "m[0, 1]"), "f64");
  EXPECT_EQ(type_of(kPrelude, "m[0, :]"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "m[:, j]"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "m[0:1, :]"), "f64[:,:]");
  EXPECT_EQ(type_of(kPrelude, "m.T"), "f64[:,:]");
  KESTREL_CHECK_TEXT(c, std::string(kPrelude) + "\nlet v = m[0]\nlet w = a[x]\nlet z = i[0]\n");
  EXPECT_EQ(c.kinds(), (std::vector{diag::Kind::RankMismatch, diag::Kind::TypeMismatch,
                                    diag::Kind::NotIndexable}));
}

TEST(Types, ArrayLiterals) {
  EXPECT_EQ(type_of("", "[1.0, 2.0]"), "f64[:]");
  EXPECT_EQ(type_of("", "[1, 2]"), "i64[:]");
  EXPECT_EQ(type_of("", "[1, 2.5]"), "f64[:]");
  EXPECT_EQ(type_of("", "[1i32, 2]"), "i32[:]");
  EXPECT_EQ(type_of("", "[[1.0, 2.0], [3.0, 4.0]]"), "f64[:,:]");
  EXPECT_EQ(type_of("", "[true, false]"), "bool[:]");
}

TEST(Types, Constructors) {
  EXPECT_EQ(type_of(kPrelude, "zeros(3)"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "zeros(3, 4)"), "f64[:,:]");
  EXPECT_EQ(type_of(kPrelude, "zeros(i, f32)"), "f32[:]");
  EXPECT_EQ(type_of(kPrelude, "ones(2, 2, i64)"), "i64[:,:]");
  EXPECT_EQ(type_of(kPrelude, "empty(j, bool)"), "bool[:]");
  EXPECT_EQ(type_of(kPrelude, "full(3, 7)"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "full(3, 4, 7, i32)"), "i32[:,:]");
  EXPECT_EQ(type_of(kPrelude, "arange(10)"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "arange(2, 10, 2, i64)"), "i64[:]");
  EXPECT_EQ(type_of(kPrelude, "linspace(0, 1, 5)"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "linspace(0.0, 1.0, 5, f32)"), "f32[:]");
  EXPECT_EQ(type_of(kPrelude, "copy(m)"), "f64[:,:]");
  EXPECT_EQ(type_of(kPrelude, "len(a)"), "i64");
  EXPECT_EQ(type_of(kPrelude, "shape(m, 1)"), "i64");
  KESTREL_CHECK_TEXT(c, "let n = 3\nlet a = ones(n)\nlet b = zeros(n, a)\n");
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::ArgumentType});
  EXPECT_EQ(c.diags.all()[0].message,
            "argument 2 of 'zeros' must be an element type, found f64[:]");
}

TEST(Types, MathAndReductions) {
  EXPECT_EQ(type_of(kPrelude, "exp(a)"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "sqrt(i)"), "f64");
  EXPECT_EQ(type_of(kPrelude, "sin(af)"), "f32[:]");
  EXPECT_EQ(type_of(kPrelude, "abs(ai)"), "i64[:]");
  EXPECT_EQ(type_of(kPrelude, "sigmoid(m)"), "f64[:,:]");
  EXPECT_EQ(type_of(kPrelude, "floor(x)"), "f64");
  EXPECT_EQ(type_of(kPrelude, "min(a, 0.0)"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "max(i, j)"), "i64");
  EXPECT_EQ(type_of(kPrelude, "clip(af, 0.0, 1.0)"), "f32[:]");
  EXPECT_EQ(type_of(kPrelude, "where(mask, a, 0.0)"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "sum(a)"), "f64");
  EXPECT_EQ(type_of(kPrelude, "sum(ai)"), "i64");
  EXPECT_EQ(type_of(kPrelude, "sum(m, axis=0)"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "mean(ai)"), "f64");
  EXPECT_EQ(type_of(kPrelude, "min(m)"), "f64");
  EXPECT_EQ(type_of(kPrelude, "max(m, axis=1)"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "argmax(a)"), "i64");
  EXPECT_EQ(type_of(kPrelude, "argmin(m, axis=1)"), "i64[:]");
  EXPECT_EQ(type_of(kPrelude, "count(mask)"), "i64");
  EXPECT_EQ(type_of(kPrelude, "any(mask)"), "bool");
  EXPECT_EQ(type_of(kPrelude, "all(m > 0.0, axis=0)"), "bool[:]");
  EXPECT_EQ(type_of(kPrelude, "dot(a, a)"), "f64");
  EXPECT_EQ(type_of(kPrelude, "dot(m, m, axis=1)"), "f64[:]");
}

TEST(Types, RandomAndData) {
  EXPECT_EQ(type_of(kPrelude, "random(7, i)"), "f64");
  EXPECT_EQ(type_of(kPrelude, "randn(7, j)"), "f64");
  EXPECT_EQ(type_of(kPrelude, "random()"), "f64");
  EXPECT_EQ(type_of(kPrelude, "randn()"), "f64");
  EXPECT_EQ(type_of(kPrelude, "rand(2, 3, seed=7)"), "f64[:,:]");
  EXPECT_EQ(type_of(kPrelude, "randn(2, 3, seed=7)"), "f64[:,:]");
  EXPECT_EQ(type_of(kPrelude, "t"), "table");
  EXPECT_EQ(type_of(kPrelude, "t.f64(\"value\")"), "f64[:]");
  EXPECT_EQ(type_of(kPrelude, "t.i64(\"id\")"), "i64[:]");
  EXPECT_EQ(type_of(kPrelude, "t.codes(\"cat\")"), "i64[:]");
  EXPECT_EQ(type_of(kPrelude, "t.labels(\"cat\")"), "str[:]");
  EXPECT_EQ(type_of(kPrelude, "t.rows"), "i64");
  EXPECT_EQ(type_of(kPrelude, "load_npy(\"x.npy\", f64, 2)"), "f64[:,:]");
  KESTREL_CHECK_TEXT(c, "seed(3)\nsave_npy(\"x.npy\", zeros(3))\nprint(1, 2.5, \"s\", zeros(2))\n");
  EXPECT_TRUE(c.ok()) << c.rendered();
}

TEST(Types, KeywordsOnlyWhereAllowed) {
  KESTREL_CHECK_TEXT(c,
                     "let m = ones(2, 2)\nlet a = sum(m, axis=2)\nlet b = zeros(3, axis=0)\n"
                     "let d = sum(m, dim=0)\nlet e = sum(ones(3), axis=0)\n");
  EXPECT_EQ(c.kinds(), (std::vector{diag::Kind::ArgumentType, diag::Kind::UnknownKeyword,
                                    diag::Kind::UnknownKeyword, diag::Kind::ArgumentType}))
      << c.rendered();
}

TEST(Types, Arity) {
  KESTREL_CHECK_TEXT(c, "fn f(a: i64, b: i64) -> i64 {\n  return a + b\n}\nprint(f(1, 2, 3))\n");
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::ArityMismatch});
  EXPECT_EQ(c.diags.all()[0].message, "'f' takes 2 arguments but 3 were given");
}

TEST(Types, RankMismatchMessage) {
  KESTREL_CHECK_TEXT(c, "fn f(m: f64[:,:]) -> f64 {\n  return sum(m)\n}\nprint(f(ones(3)))\n");
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::RankMismatch});
  EXPECT_EQ(c.diags.all()[0].message,
            "argument 1 of 'f': expected f64[:,:] (rank 2) but found f64[:] (rank 1)");
}

TEST(Types, KernelsAndLaunches) {
  KESTREL_CHECK_TEXT(c,
                     "kernel k(a: f64[:, :], s: f64) {\n  a[index(0), index(1)] = s\n}\n"
                     "let a = zeros(2, 3)\nk[2, 3](a, 1)\n");
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_NE(c.dump().find("(launch k [2, 3] a 1.0)"), std::string::npos) << c.dump();
  EXPECT_NE(c.dump().find("(index:i64 dim=1)"), std::string::npos);
  KESTREL_CHECK_TEXT(bad,
                     "kernel k(a: f64[:]) {\n  a[index()] = 1.0\n}\nfn f(a: f64[:]) {\n"
                     "  a[index()] = 0.0\n}\nlet a = zeros(2)\nk(a)\nf[2](a)\nlet g = k\n");
  EXPECT_EQ(bad.kinds(), (std::vector{diag::Kind::IndexOutsideKernel, diag::Kind::KernelMisuse,
                                      diag::Kind::KernelMisuse, diag::Kind::KernelMisuse}))
      << bad.rendered();
}

TEST(Types, NamesThatAreNotValues) {
  KESTREL_CHECK_TEXT(c, "fn f() {\n}\nlet a = f\nlet b = sum\nlet c = f64\nlet x = 1\nx(2)\n");
  EXPECT_EQ(c.kinds(), (std::vector{diag::Kind::NotAValue, diag::Kind::NotAValue,
                                    diag::Kind::NotAValue, diag::Kind::NotCallable}))
      << c.rendered();
}

}  // namespace
}  // namespace kestrel::sema
