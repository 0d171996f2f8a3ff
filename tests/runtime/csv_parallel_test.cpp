// Table::parse splits a large body without quotes in pieces on several threads (csv_parse.cpp)
// and typed columns convert on several threads (csv.cpp): the same rows, fields, values and
// errors as the serial split (small slices of the same records) at any thread count, with blank
// lines, CRLF line ends, padded and empty fields and a last record without a line end.
#include <gtest/gtest.h>

#include <algorithm>
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

// The reference: the same records parsed in slices of under 256 KB (the serial split), each
// with the header.
Parsed serial_reference(const std::string& text) {
  std::size_t header_end = text.find('\n') + 1;
  std::string header = text.substr(0, header_end);
  Parsed ref;
  std::size_t at = header_end;
  while (at < text.size()) {
    std::size_t cut = text.find('\n', std::min(text.size() - 1, at + 100000));
    cut = cut == std::string::npos ? text.size() : cut + 1;
    Parsed slice = parse_at(1, header + text.substr(at, cut - at));
    EXPECT_EQ(slice.error, "");
    ref.rows += slice.rows;
    ref.cells.insert(ref.cells.end(), slice.cells.begin(), slice.cells.end());
    ref.ids.insert(ref.ids.end(), slice.ids.begin(), slice.ids.end());
    ref.xs.insert(ref.xs.end(), slice.xs.begin(), slice.xs.end());
    at = cut;
  }
  return ref;
}

// "big.csv:L:C: " for the byte at `offset` of `text`.
std::string place(const std::string& text, std::size_t offset) {
  std::size_t line = 1 + static_cast<std::size_t>(std::count(
                             text.begin(), text.begin() + static_cast<long>(offset), '\n'));
  std::size_t start = text.rfind('\n', offset - 1) + 1;
  return "big.csv:" + std::to_string(line) + ":" + std::to_string(offset - start + 1) + ": ";
}

TEST(CsvParallel, SameTableAsTheSerialSplitAtAnyThreadCount) {
  std::string text = body(60000);
  ASSERT_GT(text.size(), std::size_t{1} << 20);
  Parsed ref = serial_reference(text);
  EXPECT_EQ(ref.rows, 60001);
  EXPECT_EQ(ref.cells[3 * 5 + 2], " padded 5");
  EXPECT_EQ(ref.cells.back(), "");
  for (int threads : {1, 2, 3, 8}) {
    Parsed many = parse_at(threads, text);
    EXPECT_EQ(many.error, "");
    EXPECT_EQ(many.rows, ref.rows);
    EXPECT_EQ(many.cells, ref.cells);
    EXPECT_EQ(many.ids, ref.ids);
    EXPECT_EQ(many.xs, ref.xs);
  }
}

TEST(CsvParallel, FirstBadRecordAtAnyThreadCount) {
  std::string text = body(60000);
  // Two ragged records; the first is the one reported, at its line.
  std::size_t late = text.find("\n", text.size() * 9 / 10);
  text.insert(late + 1, "1,2\n");
  std::size_t early = text.find("\n", text.size() * 2 / 3) + 1;
  text.insert(early, "1\n");
  std::string want = place(text, early) + "expected 3 fields, found 1";
  for (int threads : {1, 2, 8}) {
    EXPECT_EQ(parse_at(threads, text).error, want);
  }
}

TEST(CsvParallel, FirstBadValueAtAnyThreadCount) {
  std::string text = body(60000);
  // Two fields that are not numbers; the first row's error is the one reported.
  std::size_t late = text.find("\n", text.size() * 9 / 10);
  text.insert(late + 1, "5,late,x\n");
  std::size_t early = text.find("\n", text.size() / 3) + 1;
  text.insert(early, "5,early,x\n");
  std::string want = place(text, early + 2) + "cannot read 'early' as f64 in column 'x'";
  for (int threads : {1, 2, 8}) {
    EXPECT_EQ(parse_at(threads, text).error, want);
  }
  // An i64 column: the same.
  std::string ints = body(60000);
  std::size_t at = ints.find("\n", ints.size() / 2) + 1;
  ints.insert(at, "x7,1,a\n");
  std::string want_i = place(ints, at) + "cannot read 'x7' as i64 in column 'id'";
  for (int threads : {1, 4}) {
    EXPECT_EQ(parse_at(threads, ints).error, want_i);
  }
}

// A block parsed into a reused buffer (csv_blocks hands each table's storage to the next block)
// keeps the last block's fields past its own until the end: the same table as a fresh parse,
// whether the last block had more fields or fewer, with blank lines closed up in either.
TEST(CsvParallel, ReusedStorageGivesTheSameTableAsAFreshOne) {
  std::string big = body(60000);
  std::string small = body(25000);
  std::string longer =
      "id,x,name\n" + big.substr(big.find('\n') + 1) + "\n" + big.substr(big.find('\n') + 1);
  Table::Storage storage;
  for (const std::string* text : {&big, &small, &longer, &small}) {
    storage.text = *text;
    std::int64_t rows_hint = std::count(text->begin(), text->end(), '\n');
    TableRef t =
        TableRef::adopt(Table::parse(std::move(storage), "big.csv", CsvOptions{}, rows_hint));
    TableRef fresh = parse_csv(*text, "big.csv");
    ASSERT_EQ(t->rows(), fresh->rows());
    for (std::int64_t r = 0; r < t->rows(); ++r) {
      for (std::int64_t c = 0; c < t->columns(); ++c) {
        ASSERT_EQ(t->cell(r, c), fresh->cell(r, c)) << "row " << r << ", column " << c;
      }
    }
    storage = t->take_storage();
    EXPECT_GT(storage.fields.capacity(), std::size_t{0});
  }
}

}  // namespace
}  // namespace kestrel::rt
