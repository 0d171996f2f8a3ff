// runtime/strings: format(x, spec) against a table of Python's own answers
// (gen_format_cases.py), and the elementwise str comparisons.
#include "runtime/strings.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "runtime/error.hpp"
#include "runtime/rules/format_spec.hpp"
#include "runtime/rules/messages.hpp"

namespace kestrel::rt {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class Kind { Int, Float, Str };
struct Input {
  double f;
  long long i;
  const char* s;
};
struct Case {
  Kind kind;
  Input value;
  const char* spec;
  bool ok;
  const char* want;
};

const Case kCases[] = {
#include "format_cases.inc"
};

std::string run(const Case& c) {
  switch (c.kind) {
    case Kind::Int:
      return format_int_spec(c.value.i, c.spec);
    case Kind::Float:
      return format_float_spec(c.value.f, c.spec);
    case Kind::Str:
      return format_str_spec(c.value.s, c.spec);
  }
  return "";
}

TEST(Strings, FormatMatchesPythonBitForBit) {
  int checked = 0;
  for (const Case& c : kCases) {
    SCOPED_TRACE(std::string("spec '") + c.spec + "' int " + std::to_string(c.value.i) + " float " +
                 std::to_string(c.value.f) + " str '" + c.value.s + "'");
    if (c.ok) {
      EXPECT_EQ(run(c), c.want);
    } else {
      EXPECT_THROW(run(c), RuntimeError);
    }
    ++checked;
  }
  EXPECT_GT(checked, 2000);
}

TEST(Strings, SpecErrorsSayWhy) {
  FormatSpec s;
  EXPECT_EQ(parse_format_spec(".3f", FormatKind::Float, s), "");
  EXPECT_EQ(s.precision, 3);
  EXPECT_EQ(s.type, 'f');
  EXPECT_EQ(parse_format_spec(".", FormatKind::Float, s),
            "format spec is missing its precision after '.'");
  EXPECT_EQ(parse_format_spec(".3d", FormatKind::Int, s),
            "precision is not allowed in an integer format spec");
  EXPECT_EQ(parse_format_spec("999999999", FormatKind::Int, s),
            "format width and precision are at most 100000");
  EXPECT_NE(parse_format_spec("d", FormatKind::Float, s).find("does not apply to a float"),
            std::string::npos);
}

TEST(Strings, ElementwiseCompare) {
  ArrayRef a = alloc(Shape(3), Elem::Str);
  a->ptr<std::string>()[0] = "East";
  a->ptr<std::string>()[1] = "West";
  a->ptr<std::string>()[2] = "East";
  std::string east = "East";
  ArrayRef eq = str_compare(a.get(), nullptr, nullptr, &east, false);
  ArrayRef ne = str_compare(nullptr, &east, a.get(), nullptr, true);
  ASSERT_EQ(eq->elem, Elem::Bool);
  EXPECT_EQ(eq->at<bool>(0), true);
  EXPECT_EQ(eq->at<bool>(1), false);
  EXPECT_EQ(ne->at<bool>(1), true);
  EXPECT_EQ(ne->at<bool>(2), false);
  ArrayRef b = alloc(Shape(2), Elem::Str);
  EXPECT_THROW(str_compare(a.get(), nullptr, b.get(), nullptr, false), RuntimeError);
}

// A message quotes what a program or a file holds; its control bytes come out as escapes, so a
// NUL cannot cut what() short nor an escape sequence reach a terminal.
TEST(Printable, EscapesControlBytes) {
  using namespace std::string_literals;
  EXPECT_EQ(printable("plain text, 'quoted' \u2026"), "plain text, 'quoted' \u2026");
  EXPECT_EQ(printable("a\0b\tc\rd\ne"s), "a\\0b\\tc\\rd\\ne");
  EXPECT_EQ(printable("a\nb", true), "a\nb");
  EXPECT_EQ(printable("\x1b[31m\x7f\x01"), "\\x1b[31m\\x7f\\x01");
  std::string once = printable("x\0\x1b"s);
  EXPECT_EQ(printable(once), once);  // applying it twice changes nothing
}

TEST(Printable, RuntimeErrorKeepsTheWholeMessage) {
  using namespace std::string_literals;
  RuntimeError e("cannot read '2\0!' as f64"s);
  EXPECT_EQ(std::string(e.what()), "cannot read '2\\0!' as f64");
}

}  // namespace
}  // namespace kestrel::rt
