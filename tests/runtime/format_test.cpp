// Printing: exact text for scalars, arrays, matrices, abbreviation and tables.
#include "runtime/format.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "runtime/csv.hpp"

namespace kestrel::rt {
namespace {

TEST(Format, FloatsAsPythonRepr) {
  EXPECT_EQ(format_float(0.1), "0.1");
  EXPECT_EQ(format_float(3.5), "3.5");
  EXPECT_EQ(format_float(1e-07), "1e-07");
  EXPECT_EQ(format_float(1e16), "1e+16");
  EXPECT_EQ(format_float(1e15), "1000000000000000.0");
  EXPECT_EQ(format_float(100.0), "100.0");
  EXPECT_EQ(format_float(0.0), "0.0");
  EXPECT_EQ(format_float(-0.0), "-0.0");
  EXPECT_EQ(format_float(0.0001), "0.0001");
  EXPECT_EQ(format_float(0.00001), "1e-05");
  EXPECT_EQ(format_float(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(format_float(1.5e300), "1.5e+300");
  EXPECT_EQ(format_float(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(format_float(-2.5), "-2.5");
  EXPECT_EQ(format_float(5e-324), "5e-324");
  EXPECT_EQ(format_float(std::nan("")), "nan");
  EXPECT_EQ(format_float(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(format_float(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(format_float(3.141592653589793), "3.141592653589793");
}

TEST(Format, F32UsesItsOwnShortestForm) {
  EXPECT_EQ(format_float(0.1f), "0.1");
  EXPECT_EQ(format_float(1.0f / 3.0f), "0.33333334");
  EXPECT_EQ(format_float(16777216.0f), "16777216.0");
  EXPECT_EQ(format_float(1e20f), "1e+20");
}

TEST(Format, OtherScalars) {
  EXPECT_EQ(format_int(-42), "-42");
  EXPECT_EQ(format_int(INT64_MIN), "-9223372036854775808");
  EXPECT_EQ(format_value(Value(true)), "true");
  EXPECT_EQ(format_value(Value(false)), "false");
  EXPECT_EQ(format_value(Value(std::int32_t{7})), "7");
  EXPECT_EQ(format_value(Value(2.0)), "2.0");
  std::vector<std::string> pieces{"fib(90) =", format_int(2880067194370816120), "pi ~",
                                  format_float(3.14)};
  EXPECT_EQ(print_line(pieces), "fib(90) = 2880067194370816120 pi ~ 3.14\n");
  EXPECT_EQ(print_line({}), "\n");
}

TEST(Format, Vectors) {
  EXPECT_EQ(format_array(*make_array<double>({1.5, 2, 3})), "[1.5 2.  3. ]");  // numpy's repr
  EXPECT_EQ(format_array(*make_array<std::int64_t>({1, -20, 300})), "[1 -20 300]");
  EXPECT_EQ(format_array(*make_array<bool>({true, false})), "[true false]");
  EXPECT_EQ(format_array(*make_array<double>({0.1, 1e-07, 1e16, -0.0})),
            "[ 1.e-01  1.e-07  1.e+16 -0.e+00]");
  EXPECT_EQ(format_array(*make_array<float>({0.1f, 2.0f})), "[0.1 2. ]");
  EXPECT_EQ(format_array(*zeros(0)), "[]");
  std::vector<std::string> labels{"red", "green"};
  EXPECT_EQ(format_array(*from_values<std::string>(labels, Shape(2))), "[red green]");
}

TEST(Format, MatricesAlignColumns) {
  EXPECT_EQ(format_array(*make_matrix<double>({{1, 2}, {3, 4}})), "[[1. 2.]\n [3. 4.]]");
  EXPECT_EQ(format_array(*make_matrix<double>({{7, 10}, {15, 22}})), "[[ 7. 10.]\n [15. 22.]]");
  EXPECT_EQ(format_array(*make_matrix<double>({{1.5, -2}, {3, 40}})),
            "[[ 1.5 -2. ]\n [ 3.  40. ]]");
  EXPECT_EQ(format_array(*transpose(*make_matrix<std::int64_t>({{1, 2, 3}}))), "[[1]\n [2]\n [3]]");
}

TEST(Format, LongArraysAreAbbreviated) {
  // 1000: printed whole, wrapped at 75 as numpy.array2string(np.arange(1000), formatter={"int":
  // str}) wraps it (3944 characters).
  EXPECT_EQ(format_array(*arange(0, 1000, 1, Elem::I64)).size(), 3944u);
  EXPECT_EQ(format_array(*arange(0, 1001, 1, Elem::I64)), "[0 1 2 ... 998 999 1000]");
  std::string m = format_array(*arange(0, 2000, 1, Elem::I64));
  EXPECT_EQ(m, "[0 1 2 ... 1997 1998 1999]");
  ArrayRef big = zeros(Shape(100, 50), Elem::I64);
  for (std::int64_t i = 0; i < 100; ++i) {
    for (std::int64_t j = 0; j < 50; ++j) {
      big->at<std::int64_t>(i, j) = i * 50 + j;
    }
  }
  EXPECT_EQ(format_array(*big),
            "[[   0    1    2 ...   47   48   49]\n"
            " [  50   51   52 ...   97   98   99]\n"
            " [ 100  101  102 ...  147  148  149]\n"
            " ...\n"
            " [4850 4851 4852 ... 4897 4898 4899]\n"
            " [4900 4901 4902 ... 4947 4948 4949]\n"
            " [4950 4951 4952 ... 4997 4998 4999]]");
}

TEST(Format, Tables) {
  TableRef t = parse_csv("id,name,value\n1,apple,2.5\n22,\"kiwi, green\",10\n");
  EXPECT_EQ(format_table(*t),
            "id         name  value\n"
            " 1        apple    2.5\n"
            "22  kiwi, green     10");
  std::string text = "k\n";
  for (int r = 0; r < 25; ++r) {
    text += std::to_string(r) + "\n";
  }
  EXPECT_EQ(format_table(*parse_csv(text)),
            "  k\n  0\n  1\n  2\n  3\n  4\n...\n 20\n 21\n 22\n 23\n 24\n[25 rows x 1 columns]");
}

}  // namespace
}  // namespace kestrel::rt
