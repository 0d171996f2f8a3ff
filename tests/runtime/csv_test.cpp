// read_csv: quoting, CRLF, typed columns, codes and labels, and errors naming file:line:col.
#include "runtime/csv.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tests/runtime/expect_error.hpp"

namespace kestrel::rt {
namespace {

using I64 = std::int64_t;

CsvOptions options(char sep, double fill) {
  CsvOptions o;
  o.sep = sep;
  o.fill = fill;
  return o;
}

TEST(Csv, TypedColumns) {
  TableRef t = parse_csv("id,value,category\n1,2.5,a\n2,-1e3,b\n3, 4 ,a\n", "d.csv");
  EXPECT_EQ(t->rows(), 3);
  EXPECT_EQ(t->columns(), 3);
  EXPECT_EQ(t->names(), (std::vector<std::string>{"id", "value", "category"}));
  EXPECT_EQ(to_vector<I64>(*t->i64("id")), (std::vector<I64>{1, 2, 3}));
  EXPECT_EQ(to_vector<double>(*t->f64("value")), (std::vector<double>{2.5, -1000, 4}));
  EXPECT_EQ(to_vector<double>(*t->f64("id")), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(to_vector<I64>(*t->codes("category")), (std::vector<I64>{0, 1, 0}));
  ArrayRef labels = t->labels("category");
  EXPECT_EQ(labels->elem, Elem::Str);
  EXPECT_EQ(to_vector<std::string>(*labels), (std::vector<std::string>{"a", "b"}));
}

TEST(Csv, QuotedFieldsAndCrlf) {
  TableRef t = parse_csv(
      "name,\"note, with comma\"\r\n"
      "\"Smith, J\",\"said \"\"hi\"\"\"\r\n"
      "plain,\"two\nlines\"\r\n"
      "\r\n"
      "\"\",x\r\n",
      "q.csv");
  EXPECT_EQ(t->names(), (std::vector<std::string>{"name", "note, with comma"}));
  ASSERT_EQ(t->rows(), 3);
  EXPECT_EQ(t->cell(0, 0), "Smith, J");
  EXPECT_EQ(t->cell(0, 1), "said \"hi\"");
  EXPECT_EQ(t->cell(1, 1), "two\nlines");
  EXPECT_EQ(t->cell(2, 0), "");
  EXPECT_EQ(t->cell(2, 1), "x");
  EXPECT_EQ(to_vector<std::string>(*t->labels("name")),
            (std::vector<std::string>{"Smith, J", "plain", ""}));
}

TEST(Csv, NoTrailingNewline) {
  TableRef t = parse_csv("a,b\n1,2", "n.csv");
  EXPECT_EQ(to_vector<I64>(*t->i64("b")), (std::vector<I64>{2}));
  EXPECT_EQ(parse_csv("a,b\n")->rows(), 0);
}

TEST(Csv, ErrorsNameFileLineAndColumn) {
  expect_error([] { parse_csv("a,b,c\n1,2,3\n4,5\n", "d.csv"); },
               "d.csv:3:1: expected 3 fields, found 2");
  expect_error([] { parse_csv("a,b\n1,2,3\n", "d.csv"); }, "d.csv:2:1: expected 2 fields, found 3");
  expect_error([] { parse_csv("a,b\n1,\"open\n", "d.csv"); },
               "d.csv:2:3: unterminated quoted field");
  expect_error([] { parse_csv("a,b\n1,\"x\"y\n", "d.csv"); }, "d.csv:2:6: expected ',' or the end");
  TableRef t = parse_csv("id,value\n1,2.5\n2,abc\n3,\n", "d.csv");
  expect_error([&] { t->f64("value"); }, "d.csv:3:3: cannot read 'abc' as f64 in column 'value'");
  TableRef m = parse_csv("id,value\n1,2\n2,\n", "d.csv");
  expect_error([&] { m->i64("value"); },
               "d.csv:3:3: missing value in row 2 of the i64 column 'value' (an integer has no "
               "NaN: read_csv(path, fill=0)");
  expect_error([&] { t->i64("value"); }, "d.csv:2:3: cannot read '2.5' as i64 in column 'value'");
  expect_error([&] { t->f64("price"); }, "d.csv: no column named 'price' (columns: id, value)");
  expect_error([] { parse_csv("", "e.csv"); }, "e.csv: empty file");
  expect_error([] { parse_csv("a,a\n", "d.csv"); }, "duplicate column name 'a'");
  expect_error([] { parse_csv("n\n99999999999999999999\n", "d.csv")->i64("n"); },
               "out of range for i64");
}

// An offending field is quoted clipped to 40 bytes and "…" (a 50 MB field once gave a 50 MB
// message), never cutting a UTF-8 character in two.
TEST(Csv, ErrorsClipLongFields) {
  std::string big(5'000'000, 'x');
  TableRef t = parse_csv("id,value\n1," + big + "\n", "d.csv");
  try {
    t->f64("value");
    ADD_FAILURE() << "no error";
  } catch (const RuntimeError& e) {
    std::string want =
        "d.csv:2:3: cannot read '" + std::string(40, 'x') + "\u2026' as f64 in column 'value'";
    EXPECT_EQ(std::string(e.what()), want);
  }
  // 39 ASCII bytes, then 'é' (2 bytes) straddling byte 40: the clip keeps whole characters.
  std::string accents = std::string(39, 'a') + "\u00e9\u00e9";
  TableRef u = parse_csv("n\n" + accents + "\n", "u.csv");
  expect_error([&] { u->i64("n"); }, "cannot read '" + std::string(39, 'a') + "\u2026' as i64");
  expect_error([&] { parse_csv(big + "," + big + "\n", "d.csv"); },
               "duplicate column name '" + std::string(40, 'x') + "\u2026'");
}

// A UTF-8 byte-order mark is skipped: the first column is named right, positions are unchanged.
TEST(Csv, ByteOrderMarkIsSkipped) {
  TableRef t = parse_csv("\xEF\xBB\xBFid,value\n1,2.5\n2,x\n", "b.csv");
  EXPECT_EQ(t->names(), (std::vector<std::string>{"id", "value"}));
  EXPECT_EQ(to_vector<I64>(*t->i64("id")), (std::vector<I64>{1, 2}));
  expect_error([&] { t->f64("value"); }, "b.csv:3:3: cannot read 'x' as f64");
}

// Typed columns under CRLF and quoting: a quoted number is a number, the '\r' before '\n' is not
// part of the last field, and a missing value (empty, quoted empty, or a trailing ',') is nan as
// f64 and as i64 an error at the field's line and column in the file, past any quoted field
// spanning two lines.
TEST(Csv, TypedColumnsUnderCrlfAndQuotes) {
  TableRef t = parse_csv("id,price,qty\r\n1,\"3.5\",\"7\"\r\n2, 4 ,8\r\n", "c.csv");
  EXPECT_EQ(to_vector<double>(*t->f64("price")), (std::vector<double>{3.5, 4}));
  EXPECT_EQ(to_vector<I64>(*t->i64("qty")), (std::vector<I64>{7, 8}));
  TableRef m = parse_csv("id,note,qty\r\n1,\"two\r\nlines\",2\r\n2,\"x\",\r\n", "m.csv");
  EXPECT_EQ(to_vector<std::string>(*m->labels("note")),
            (std::vector<std::string>{"two\r\nlines", "x"}));
  expect_error([&] { m->i64("qty"); }, "m.csv:4:7: missing value in row 2 of the i64 column 'qty'");
  TableRef q = parse_csv("a,b\r\n1,\"\"\r\n", "q.csv");
  EXPECT_TRUE(std::isnan(q->f64("b")->at<double>(0)));
  expect_error([&] { q->i64("b"); }, "q.csv:2:4: missing value in row 1 of the i64 column 'b'");
  TableRef c = parse_csv("a,b\r\n1,\r\n", "e.csv");
  expect_error([&] { c->i64("b"); }, "e.csv:2:3: missing value in row 1 of the i64 column 'b'");
}

// Options: another delimiter (quotes still protect it), and a fill for missing values, which an
// i64 column takes only when it is an integer.
TEST(Csv, SeparatorAndFill) {
  CsvOptions semi = options(';', 0.0);
  TableRef t = TableRef::adopt(Table::parse("a;b\n1;\"x;y\"\n;2.5\n", "s.csv", semi));
  EXPECT_EQ(t->names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(to_vector<I64>(*t->i64("a")), (std::vector<I64>{1, 0}));
  EXPECT_EQ(t->cell(0, 1), "x;y");
  TableRef h = TableRef::adopt(Table::parse("a\tb\n1\t\n", "t.tsv", options('\t', 0.5)));
  EXPECT_EQ(to_vector<double>(*h->f64("b")), (std::vector<double>{0.5}));
  expect_error([&] { h->i64("b"); },
               "t.tsv:2:3: missing value in row 1 of the i64 column 'b': "
               "the fill 0.5 is not an i64 value");
  expect_error([] { read_csv("x.csv", ";;", 0.0); }, "read_csv: sep must be one byte");
  expect_error([] { read_csv("x.csv", "\"", 0.0); }, "read_csv: sep must be one byte");
}

// Built tables: columns in order, floats as shortest round-trip text (the same bits back), text
// quoted in the CSV as RFC 4180 needs, and the errors of a bad column.
TEST(Csv, BuiltTablesRoundTrip) {
  std::vector<double> v = {0.1 + 0.2, 1.0 / 3.0, -2.5e-300, 1e300};
  ArrayRef col = from_values<double>(std::span<const double>(v.data(), v.size()), Shape(4));
  std::vector<std::string> s = {"a,b", "say \"hi\"", "", " pad"};
  ArrayRef text =
      from_values<std::string>(std::span<const std::string>(s.data(), s.size()), Shape(4));
  TableRef t = with_column(*with_column(*table_new(), "v", *col), "s", *text);
  EXPECT_TRUE(t->built());
  EXPECT_EQ(to_vector<double>(*t->f64("v")), v);
  std::string csv = csv_text(*t);
  EXPECT_EQ(csv,
            "v,s\n0.30000000000000004,\"a,b\"\n0.3333333333333333,\"say \"\"hi\"\"\"\n"
            "-2.5e-300,\n1e+300,\" pad\"\n");
  TableRef back = parse_csv(csv, "back.csv");
  EXPECT_EQ(to_vector<double>(*back->f64("v")), v);
  EXPECT_EQ(to_vector<std::string>(*back->labels("s")), s);
  // A one-column table quotes an empty field, which would otherwise read as a blank line.
  std::vector<std::string> e = {"", "x"};
  TableRef one = with_column(
      *table_new(), "e",
      *from_values<std::string>(std::span<const std::string>(e.data(), e.size()), Shape(2)));
  EXPECT_EQ(csv_text(*one), "e\n\"\"\nx\n");
  EXPECT_EQ(parse_csv(csv_text(*one))->rows(), 2);
  expect_error(
      [&] {
        with_column(*t, "w", *from_values<double>(std::span<const double>(v.data(), 2), Shape(2)));
      },
      "column 'w' has 2 rows but the table's other columns have 4");
  expect_error([&] { with_column(*t, "v", *col); }, "the table already has a column named 'v'");
  expect_error([&] { t->i64("v"); }, "cannot read '0.30000000000000004' as i64 in column 'v'");
}

// t.f64 / t.i64 read a plain unquoted field in place and send every other one (quoted, padded,
// empty, with a '+', out of range, not a number) through the careful path: each field gives the
// bits that the same field quoted (always the careful path) gives, or fails as it does.
TEST(Csv, PlainFieldsReadAsQuotedOnes) {
  std::vector<std::string> fields = {"0",
                                     "-0",
                                     "7",
                                     "-7",
                                     "007",
                                     "123456789012345678",
                                     "-123456789012345678",
                                     "1234567890123456789",
                                     "-9223372036854775808",
                                     "9223372036854775807",
                                     "9223372036854775808",
                                     "+5",
                                     " 5",
                                     "5 ",
                                     "\t5",
                                     "2.5",
                                     "-1e3",
                                     "1E3",
                                     "1e+3",
                                     ".5",
                                     "5.",
                                     "-.5",
                                     "0.30000000000000004",
                                     "17.5447390763387",
                                     "-17.620005290234243",
                                     "1e400",
                                     "-1e400",
                                     "1e-400",
                                     "4.9406564584124654e-324",
                                     "2.2250738585072014e-308",
                                     "nan",
                                     "-nan",
                                     "inf",
                                     "-inf",
                                     "Infinity",
                                     "NaN",
                                     "0x10",
                                     "1e",
                                     "e5",
                                     ".",
                                     "-",
                                     "--1",
                                     "1,5",
                                     "12a",
                                     "",
                                     "  ",
                                     "1e5000000000"};
  auto row = [](const std::string& f, bool quote) {
    return quote ? "\"" + f + "\",0\n" : f + ",0\n";
  };
  for (const std::string& f : fields) {
    if (f.find(',') != std::string::npos) {
      continue;  // a separator: a field of its own when unquoted
    }
    TableRef plain = parse_csv("v,w\n" + row(f, false), "p.csv");
    TableRef quoted = parse_csv("v,w\n" + row(f, true), "q.csv");
    auto f64_bits = [](const TableRef& t) -> std::string {
      try {
        double d = t->f64("v")->at<double>(0);
        std::uint64_t bits = 0;
        std::memcpy(&bits, &d, sizeof bits);
        return std::to_string(bits);
      } catch (const RuntimeError& e) {
        std::string m = e.what();
        return "error" + m.substr(m.find(": "));  // the place differs by the quote
      }
    };
    auto i64_text = [](const TableRef& t) -> std::string {
      try {
        return std::to_string(t->i64("v")->at<I64>(0));
      } catch (const RuntimeError& e) {
        std::string m = e.what();
        return "error" + m.substr(m.find(": "));
      }
    };
    EXPECT_EQ(f64_bits(plain), f64_bits(quoted)) << "field '" << f << "'";
    EXPECT_EQ(i64_text(plain), i64_text(quoted)) << "field '" << f << "'";
  }
  // And the values themselves, where the two paths share code.
  TableRef t = parse_csv(
      "v\n-9223372036854775808\n9223372036854775807\n-123456789012345678\n007\n-0\n", "t.csv");
  EXPECT_EQ(to_vector<I64>(*t->i64("v")),
            (std::vector<I64>{INT64_MIN, INT64_MAX, -123456789012345678, 7, 0}));
  expect_error([] { parse_csv("v\n9223372036854775808\n", "o.csv")->i64("v"); },
               "o.csv:2:1: '9223372036854775808' in column 'v' is out of range for i64");
  TableRef d = parse_csv("v\n17.5447390763387\n-0\n1e400\n1e-400\n.5\n", "d.csv");
  std::vector<double> dv = to_vector<double>(*d->f64("v"));
  EXPECT_EQ(dv, (std::vector<double>{17.5447390763387, -0.0, HUGE_VAL, 0.0, 0.5}));
  EXPECT_TRUE(std::signbit(dv[1]));
}

// group_codes: numbers by value when every present field is one, text byte by byte otherwise;
// a missing key is -1.
TEST(Csv, GroupCodesSortAsPandas) {
  TableRef t = parse_csv("n,f,s\n10,1.5,b\n2,,B\n10,nan,\n-3,-0.0,a\n,0,b\n");
  EXPECT_EQ(to_vector<I64>(*t->group_codes("n")), (std::vector<I64>{2, 1, 2, 0, -1}));
  EXPECT_EQ(to_vector<std::string>(*t->group_labels("n")),
            (std::vector<std::string>{"-3", "2", "10"}));
  EXPECT_EQ(to_vector<I64>(*t->group_codes("f")), (std::vector<I64>{1, -1, -1, 0, 0}));
  EXPECT_EQ(to_vector<std::string>(*t->group_labels("f")),
            (std::vector<std::string>{"0.0", "1.5"}));
  EXPECT_EQ(to_vector<I64>(*t->group_codes("s")), (std::vector<I64>{2, 0, -1, 1, 2}));
  EXPECT_EQ(to_vector<std::string>(*t->group_labels("s")),
            (std::vector<std::string>{"B", "a", "b"}));
  // A key out of f64's range is inf (or 0) as in an f64 column, but only when the whole field
  // is the number: "1e999x" makes the column text (it was merged into the group of inf).
  TableRef big = parse_csv("k\n1e999\n1e999x\n2\n");
  EXPECT_EQ(to_vector<std::string>(*big->group_labels("k")),
            (std::vector<std::string>{"1e999", "1e999x", "2"}));
  EXPECT_EQ(to_vector<I64>(*big->group_codes("k")), (std::vector<I64>{0, 1, 2}));
  TableRef inf = parse_csv("k\n1e999\n-1e999\n1e-999\n");
  EXPECT_EQ(to_vector<std::string>(*inf->group_labels("k")),
            (std::vector<std::string>{"-inf", "0.0", "inf"}));
  expect_error([&] { big->f64("k"); }, "cannot read '1e999x' as f64");
  // subtable: columns and rows in the order asked for.
  std::vector<std::string> names = {"s", "n"};
  std::vector<I64> rows = {3, 0, 3};
  TableRef sub = subtable(
      *t, *from_values<std::string>(std::span<const std::string>(names.data(), 2), Shape(2)),
      *from_values<I64>(std::span<const I64>(rows.data(), 3), Shape(3)));
  EXPECT_EQ(csv_text(*sub), "s,n\na,-3\nb,10\na,-3\n");
  rows[1] = 5;
  expect_error(
      [&] {
        subtable(*t,
                 *from_values<std::string>(std::span<const std::string>(names.data(), 2), Shape(2)),
                 *from_values<I64>(std::span<const I64>(rows.data(), 3), Shape(3)));
      },
      "subtable: row 5 is out of bounds for a table of 5 rows");
}

TEST(Csv, ReadsFiles) {
  auto path = std::filesystem::temp_directory_path() / "kestrel_runtime_csv_test.csv";
  {
    std::ofstream out(path);
    out << "x,y\n1,2\n3,4\n";
  }
  TableRef t = read_csv(path.string());
  EXPECT_EQ(to_vector<double>(*t->f64("y")), (std::vector<double>{2, 4}));
  std::filesystem::remove(path);
  expect_error([&] { read_csv(path.string()); }, path.string() + ": cannot open file");
}

TEST(Csv, TablesAreReferenceCounted) {
  TableRef a = parse_csv("x\n1\n");
  TableRef b = a;
  EXPECT_EQ(a->refs, 2);
  b = nullptr;
  EXPECT_EQ(a->refs, 1);
}

}  // namespace
}  // namespace kestrel::rt
