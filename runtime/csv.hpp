#pragma once
// read_csv: a CSV file as a table of text fields, typed when a column is taken.
// The format: the first record is the header (column names); fields are separated by ',';
// records end with "\n" or "\r\n"; a field in double quotes may contain ',', newlines and "" (one
// '"'); blank lines are skipped. Every record has as many fields as the header. Errors name the
// place: `data.csv:4:7: expected 3 fields, found 2` (line and column, 1-based, of the record or
// field at fault); also an unterminated quote, a missing file, an unknown column, and on typed
// access a field that is not a number or is empty.
// Options (read_csv(path, sep=";", fill=0)): any one-byte delimiter, and missing values (empty
// fields): NaN in a float column by default, or the fill value; in an integer column a missing
// value is an error that names the row and column, unless a fill is given.
// Tables are also built from columns (table(a=x, b=y), with_column) and written back as CSV
// (csv_write.cpp); group_codes / group_labels number a key column's groups in pandas' sorted
// order (table_groups.cpp).
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/array.hpp"

namespace kestrel::rt {

/// How read_csv reads a file: the delimiter, and the value of a missing (empty) field.
struct CsvOptions {
  char sep = ',';
  /// NaN: a float column reads NaN and an integer column's missing value is an error.
  double fill = std::numeric_limits<double>::quiet_NaN();
  /// Every line end ends a record: a quoted field holding one is an error (csv_blocks with
  /// parts, which splits a file at line ends).
  bool line_records = false;
  /// Where the text's lines are in the file, for errors (csv_blocks: a block's text is the
  /// header and some of the file's records): the file's line of the text's line L. Empty: the
  /// text is the file, from its first line.
  std::function<std::int64_t(std::int64_t)> file_line;
};

/// A CSV file read whole. Intrusively counted like Array; hold it with TableRef.
class Table {
 public:
  struct Field {
    std::size_t offset;  // into text_, the first character (after an opening quote)
    std::size_t length : 63;
    std::size_t quoted : 1;  // contains "" pairs to undo
  };
  /// A line start in a block's text, and the newlines before it there (csv_blocks' reader
  /// counts them as it cuts the block, so the parallel split need not count them again).
  struct LineMark {
    std::size_t offset;
    std::size_t newlines;
  };
  /// How far apart the parallel split's pieces are (bytes), and so the reader's line marks.
  static constexpr std::size_t kPieceBytes = std::size_t{1} << 18;
  /// A table's text and fields, handed from a block no one holds any more to the next parse
  /// (csv_blocks: the buffers are reused instead of fresh pages for every block). `marks`, when
  /// not empty, are line starts about kPieceBytes apart in order, the last at the text's end
  /// with every newline counted.
  struct Storage {
    std::string text;
    std::vector<Field> fields;
    std::vector<LineMark> marks;
  };

  /// Parses `text` as CSV; `path` names the file in errors.
  static Table* parse(std::string text, std::string path);
  static Table* parse(std::string text, std::string path, const CsvOptions& options);
  /// The same into `storage` (its text the CSV, its fields' capacity reused); `rows_hint`
  /// records expected (0: unknown). Blocks without quotes are split into records on several
  /// threads (csv_parse.cpp).
  static Table* parse(Storage storage, std::string path, const CsvOptions& options,
                      std::int64_t rows_hint);
  /// This table's text and fields, leaving it empty (for a table about to be released).
  Storage take_storage();
  /// A table with the given column names and cells (columns[c][r]), as built by table(...).
  static Table* from_cells(std::vector<std::string> names,
                           const std::vector<std::vector<std::string>>& columns);

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
  /// t.group_codes("x"): each row's group, the groups numbered in pandas' sorted order: by
  /// value when every present field is an integer, or else every one a float; otherwise by
  /// text, byte by byte. A missing field (empty, or nan in a float column) is -1, as pandas'
  /// groupby drops such rows.
  ArrayRef group_codes(std::string_view name) const;
  /// t.group_labels("x"): the groups' keys in that order as text (integers in decimal, floats
  /// in their shortest form), so that group_labels[group_codes[i]] is row i's key.
  ArrayRef group_labels(std::string_view name) const;
  /// The position of the column named `name`; raises naming the columns there are.
  std::int64_t column(std::string_view name) const { return column_index(name); }
  /// Whether the table was built from columns rather than read from a file.
  bool built() const { return built_; }

  std::int64_t refs = 1;  // intrusive, non-atomic

 private:
  std::int64_t column_index(std::string_view name) const;
  const Field& field(std::int64_t row, std::int64_t column) const;
  /// An i64 column's missing value in `row`: the fill, or an error naming the row and column.
  std::int64_t missing_i64(std::int64_t row, std::size_t offset, std::string_view name) const;
  [[noreturn]] void raise_at(std::size_t offset, const std::string& message) const;
  /// Splits text_[body, end) (no quotes in it) into records on several threads (csv_parse.cpp),
  /// cut at marks_ where there are (else the lines of each piece are counted first).
  void split_lines(std::size_t body);
  /// A numeric field as t.f64 / t.i64 read it: `text` as written (unquoted into `unquoted`
  /// when it was quoted; for messages), `value` without surrounding blanks or a leading '+',
  /// `missing` when the field is empty but for blanks, `offset` its place in the file.
  struct NumberText {
    std::string_view text;
    std::string_view value;
    bool missing;
    std::size_t offset;
  };
  NumberText number_text(std::int64_t row, std::int64_t column, std::string& unquoted) const;
  /// f64 or i64 of row `row`'s field in column `column` (named `name` for errors).
  double f64_at(std::int64_t row, std::int64_t column, std::string_view name) const;
  std::int64_t i64_at(std::int64_t row, std::int64_t column, std::string_view name) const;

  std::string path_;
  std::string text_;
  std::vector<std::string> names_;
  std::vector<Field> fields_;    // row-major, header excluded
  std::vector<LineMark> marks_;  // the reader's, for split_lines (Storage::marks)
  std::int64_t rows_ = 0;
  double fill_ = std::numeric_limits<double>::quiet_NaN();
  bool built_ = false;  // from columns: errors have no line and column to name
  std::function<std::int64_t(std::int64_t)> file_line_;  // CsvOptions::file_line
  char sep_ = ',';
};

void retain(Table* t);
void release(Table* t);
using TableRef = Ref<Table>;

/// read_csv(path). Raises "data.csv: cannot open file" when it cannot be read.
TableRef read_csv(const std::string& path);
/// The same from text in memory (tests, the embedding API).
TableRef parse_csv(std::string text, std::string path = "<text>");
/// read_csv(path, sep=…, fill=…): `sep` must be one byte, not a quote or a line end.
TableRef read_csv(const std::string& path, const std::string& sep, double fill);

/// table(): a table with no columns (and no rows).
TableRef table_new();
/// with_column(t, name, column): t with a 1-D column added after its others; its length must be
/// t's rows (any length when t has no columns). Floats are kept as their shortest round-trip
/// text, so t.f64(name) gives back the same bits.
TableRef with_column(const Table& t, const std::string& name, const Array& column);
/// subtable(t, columns, rows): the named columns of t (a str vector, in that order) at the given
/// rows (an i64 vector of row positions, in that order, repeats allowed): pandas'
/// t.iloc[rows][columns]. A row out of range or an unknown column is an error.
TableRef subtable(const Table& t, const Array& columns, const Array& rows);
/// The table as CSV text: a header line, then one line per row, ',' between fields, "\n" line
/// ends; a field is quoted (RFC 4180) when it holds ',', '"', a line end or surrounding spaces,
/// or is empty in a one-column table (where it would read as a blank line).
std::string csv_text(const Table& t);
/// write_csv(path, t): csv_text(t) into a new file beside `path`, renamed over it when complete.
void write_csv(const std::string& path, const Table& t);

namespace csv_detail {
/// `s` without surrounding spaces and tabs.
std::string_view trim(std::string_view s);
/// `text` for an error message: its first 40 bytes and "…" when longer.
std::string clipped(std::string_view text);
/// The number `v` holds as f64, the one rule for a field (f64 columns, groupby keys): from_chars
/// (nan and inf included), a value out of range as strtod gives it (inf or 0). False unless the
/// whole of `v` is the number.
bool read_f64(std::string_view v, double& out);
}  // namespace csv_detail

}  // namespace kestrel::rt
