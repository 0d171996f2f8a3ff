#pragma once
// read_csv: a CSV file as a table of text fields, typed when a column is taken.
// The format: the first record is the header (column names); fields are separated by ',';
// records end with "\n" or "\r\n"; a field in double quotes may contain ',', newlines and "" (one
// '"'); blank lines are skipped. Every record has as many fields as the header. Errors name the
// place: `data.csv:4:7: expected 3 fields, found 2` (line and column, 1-based, of the record or
// field at fault); also an unterminated quote, a missing file, an unknown column, and on typed
// access a field that is not a number or is empty.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/array.hpp"

namespace kestrel::rt {

/// A CSV file read whole. Intrusively counted like Array; hold it with TableRef.
class Table {
 public:
  /// Parses `text` as CSV; `path` names the file in errors.
  static Table* parse(std::string text, std::string path);

  const std::string& path() const { return path_; }
  std::int64_t rows() const { return rows_; }
  std::int64_t columns() const { return static_cast<std::int64_t>(names_.size()); }
  const std::vector<std::string>& names() const { return names_; }
  /// The text of a field (row 0 is the first record after the header), unquoted.
  std::string cell(std::int64_t row, std::int64_t column) const;

  /// t.f64("x"): the column as f64 (surrounding spaces ignored; `nan`, `inf` accepted).
  ArrayRef f64(std::string_view name) const;
  /// t.i64("x"): the column as i64 (decimal, optional sign).
  ArrayRef i64(std::string_view name) const;
  /// t.codes("x"): each field's code, the distinct texts numbered in first-seen order from 0.
  ArrayRef codes(std::string_view name) const;
  /// t.labels("x"): the distinct texts in first-seen order, a str vector, so that
  /// labels[codes[i]] is row i's text.
  ArrayRef labels(std::string_view name) const;

  std::int64_t refs = 1;  // intrusive, non-atomic

 private:
  struct Field {
    std::size_t offset;  // into text_, the first character (after an opening quote)
    std::size_t length;
    bool quoted;  // contains "" pairs to undo
  };
  std::int64_t column_index(std::string_view name) const;
  const Field& field(std::int64_t row, std::int64_t column) const;
  [[noreturn]] void raise_at(std::size_t offset, const std::string& message) const;

  std::string path_;
  std::string text_;
  std::vector<std::string> names_;
  std::vector<Field> fields_;  // row-major, header excluded
  std::int64_t rows_ = 0;
};

void retain(Table* t);
void release(Table* t);
using TableRef = Ref<Table>;

/// read_csv(path). Raises "data.csv: cannot open file" when it cannot be read.
TableRef read_csv(const std::string& path);
/// The same from text in memory (tests, the embedding API).
TableRef parse_csv(std::string text, std::string path = "<text>");

}  // namespace kestrel::rt
