// Operator precedence and associativity, checked on the tree's dump (Python's order:
// or < and < not < comparisons < | < ^ < & < shifts < + - < * / // % @ < unary < ** < postfix).
#include <gtest/gtest.h>

#include "tests/parser/parse_helpers.hpp"

namespace kestrel::parser::testing {
namespace {

TEST(Precedence, OrBindsLooserThanAnd) {
  EXPECT_EQ(dump_e("a or b and c"), "(binary (name a) (or (binary (name b) (and (name c)))))");
  EXPECT_EQ(dump_e("a and b or c"), "(binary (binary (name a) (and (name b))) (or (name c)))");
}

TEST(Precedence, NotBetweenAndAndComparisons) {
  EXPECT_EQ(dump_e("not a == b"), "(unary not (binary (name a) (== (name b))))");
  EXPECT_EQ(dump_e("not a and b"), "(binary (unary not (name a)) (and (name b)))");
  EXPECT_EQ(dump_e("not not a"), "(unary not not (name a))");
}

TEST(Precedence, ComparisonsFormOneChain) {
  EXPECT_EQ(dump_e("a < b <= c"), "(binary (name a) (< (name b)) (<= (name c)))");
  EXPECT_EQ(dump_e("a == b != c > d >= e"),
            "(binary (name a) (== (name b)) (!= (name c)) (> (name d)) (>= (name e)))");
}

TEST(Precedence, BitwiseOrder) {
  EXPECT_EQ(dump_e("a | b ^ c & d"),
            "(binary (name a) (| (binary (name b) (^ (binary (name c) (& (name d)))))))");
  EXPECT_EQ(dump_e("a & b << 1"), "(binary (name a) (& (binary (name b) (<< (int 1)))))");
  EXPECT_EQ(dump_e("a << 1 + 2 >> b"),
            "(binary (name a) (<< (binary (int 1) (+ (int 2)))) (>> (name b)))");
  EXPECT_EQ(dump_e("a < b | c"), "(binary (name a) (< (binary (name b) (| (name c)))))");
}

TEST(Precedence, AdditiveAndMultiplicative) {
  EXPECT_EQ(dump_e("a + b * c - d"),
            "(binary (name a) (+ (binary (name b) (* (name c)))) (- (name d)))");
  EXPECT_EQ(dump_e("a * b / c // d % e @ f"),
            "(binary (name a) (* (name b)) (/ (name c)) (// (name d)) (% (name e)) (@ (name f)))");
}

TEST(Precedence, UnaryBindsTighterThanMul) {
  EXPECT_EQ(dump_e("-a * b"), "(binary (unary - (name a)) (* (name b)))");
  EXPECT_EQ(dump_e("a * -b"), "(binary (name a) (* (unary - (name b))))");
  EXPECT_EQ(dump_e("~-+x"), "(unary ~ - + (name x))");
  EXPECT_EQ(dump_e("- - x"), "(unary - - (name x))");
  EXPECT_EQ(dump_e("a - -b"), "(binary (name a) (- (unary - (name b))))");
}

TEST(Precedence, PowerBindsTighterThanUnaryOnItsLeft) {
  EXPECT_EQ(dump_e("-x ** 2"), "(unary - (binary (name x) (** (int 2))))");
  EXPECT_EQ(dump_e("2 ** -1"), "(binary (int 2) (** (unary - (int 1))))");
  EXPECT_EQ(dump_e("a ** -b ** c"),
            "(binary (name a) (** (unary - (binary (name b) (** (name c))))))");
}

TEST(Precedence, PowerIsOneRightAssociativeChain) {
  // The chain is kept flat; sema reads a Pow chain right to left.
  EXPECT_EQ(dump_e("a ** b ** c"), "(binary (name a) (** (name b)) (** (name c)))");
  EXPECT_EQ(dump_e("2 * a ** b"), "(binary (int 2) (* (binary (name a) (** (name b)))))");
}

TEST(Precedence, PostfixBindsTightest) {
  EXPECT_EQ(dump_e("-a[0]"), "(unary - (postfix (name a) (index (int 0))))");
  EXPECT_EQ(dump_e("x ** f(2)"), "(binary (name x) (** (postfix (name f) (call (arg (int 2))))))");
  EXPECT_EQ(dump_e("m.T ** 2"), "(binary (postfix (name m) (attr T)) (** (int 2)))");
  EXPECT_EQ(dump_e("f(x)[0].T"),
            "(postfix (name f) (call (arg (name x))) (index (int 0)) (attr T))");
}

TEST(Precedence, ParenthesesAreKept) {
  EXPECT_EQ(dump_e("(a + b) * c"), "(binary (paren (binary (name a) (+ (name b)))) (* (name c)))");
  EXPECT_EQ(dump_e("(-x) ** 2"), "(binary (paren (unary - (name x))) (** (int 2)))");
  EXPECT_EQ(dump_e("((a))"), "(paren (paren (name a)))");
  EXPECT_EQ(dump_e("(a + b).T"), "(postfix (paren (binary (name a) (+ (name b)))) (attr T))");
}

TEST(Precedence, MatMulSharesTheMulClass) {
  EXPECT_EQ(dump_e("m @ m.T + 1"),
            "(binary (binary (name m) (@ (postfix (name m) (attr T)))) (+ (int 1)))");
}

}  // namespace
}  // namespace kestrel::parser::testing
