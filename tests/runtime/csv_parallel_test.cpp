// Table::parse splits a large body without quotes on several threads (csv_parse.cpp) and typed
// columns convert on several threads (csv.cpp): the same rows, fields, values and errors as the
// serial split at one thread, with blank lines, CRLF line ends, padded and empty fields and a
// last record without a line end.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "runtime/csv.hpp"
#include "runtime/error.hpp"
#include "runtime/parallel.hpp"

namespace kestrel::rt {
namespace {

// About 1.5 MB of records, far past the size that is split in parallel.
std::string body(std::int64_t rows) {
  std::string s = "id,x,name\n";
  for (std::int64_t r = 0; r < rows; ++r) {
    s += std::to_string(r * 7 - 1000) + ",";
    s += r % 11 == 0 ? "" : std::to_string(static_cast<double>(r) / 7.0 - 3.0);
    s += "," + std::string(r % 5 == 0 ? " padded " : "n") + std::to_string(r % 13);
    s += r % 3 == 0 ? "\r\n" : "\n";
    if (r % 17 == 0) {
      s += r % 2 == 0 ? "\n" : "\r\n";  // blank lines
    }
  }
  s += "-1,2.5,\r";  // the last record, without a line end (its "\r" is no part of the field)
  return s;
}

struct Parsed {
  std::int64_t rows = 0;
  std::vector<std::string> cells;
  std::vector<std::int64_t> ids;
  std::vector<std::uint64_t> xs;  // the bits
  std::string error;
};

Parsed parse_at(int threads, const std::string& text, const char* column = "x") {
  set_threads(threads);
  Parsed p;
  try {
    TableRef t = parse_csv(text, "big.csv");
    p.rows = t->rows();
    for (std::int64_t r = 0; r < t->rows(); ++r) {
      for (std::int64_t c = 0; c < t->columns(); ++c) {
        p.cells.push_back(t->cell(r, c));
      }
    }
    ArrayRef ids = t->i64("id");
    ArrayRef xs = t->f64(column);
    for (std::int64_t r = 0; r < t->rows(); ++r) {
      p.ids.push_back(ids->at<std::int64_t>(r));
      std::uint64_t bits = 0;
      std::memcpy(&bits, &xs->at<double>(r), 8);
      p.xs.push_back(bits);
    }
  } catch (const RuntimeError& e) {
    p.error = e.what();
  }
  set_threads(0);
  return p;
}

TEST(CsvParallel, SameTableAtAnyThreadCount) {
  std::string text = body(60000);
  ASSERT_GT(text.size(), std::size_t{1} << 20);
  Parsed one = parse_at(1, text);
  ASSERT_EQ(one.error, "");
  EXPECT_EQ(one.rows, 60001);
  EXPECT_EQ(one.cells[3 * 5 + 2], " padded 5");
  EXPECT_EQ(one.cells.back(), "");
  for (int threads : {2, 3, 8}) {
    Parsed many = parse_at(threads, text);
    EXPECT_EQ(many.error, "");
    EXPECT_EQ(many.rows, one.rows);
    EXPECT_EQ(many.cells, one.cells);
    EXPECT_EQ(many.ids, one.ids);
    EXPECT_EQ(many.xs, one.xs);
  }
}

TEST(CsvParallel, FirstBadRecordAtAnyThreadCount) {
  std::string text = body(60000);
  // Two ragged records; the first (line 40000 or so) is the one reported.
  std::size_t late = text.find("\n", text.size() * 9 / 10);
  text.insert(late + 1, "1,2\n");
  std::size_t early = text.find("\n", text.size() * 2 / 3);
  text.insert(early + 1, "1\n");
  Parsed one = parse_at(1, text);
  EXPECT_NE(one.error.find("expected 3 fields, found 1"), std::string::npos) << one.error;
  for (int threads : {2, 8}) {
    EXPECT_EQ(parse_at(threads, text).error, one.error);
  }
}

TEST(CsvParallel, FirstBadValueAtAnyThreadCount) {
  std::string text = body(60000);
  // Two fields that are not numbers; the first row's error is the one reported.
  std::size_t late = text.find("\n", text.size() * 9 / 10);
  text.insert(late + 1, "5,late,x\n");
  std::size_t early = text.find("\n", text.size() / 3);
  text.insert(early + 1, "5,early,x\n");
  Parsed one = parse_at(1, text);
  EXPECT_NE(one.error.find("cannot read 'early' as f64 in column 'x'"), std::string::npos)
      << one.error;
  for (int threads : {2, 8}) {
    EXPECT_EQ(parse_at(threads, text).error, one.error);
  }
  // An i64 column: the same.
  std::string ints = body(60000);
  std::size_t at = ints.find("\n", ints.size() / 2);
  ints.insert(at + 1, "x7,1,a\n");
  Parsed i1 = parse_at(1, ints);
  EXPECT_NE(i1.error.find("cannot read 'x7' as i64 in column 'id'"), std::string::npos) << i1.error;
  EXPECT_EQ(parse_at(4, ints).error, i1.error);
}

}  // namespace
}  // namespace kestrel::rt
