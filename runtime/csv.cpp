#include "runtime/csv.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>
#include <unordered_map>

#include "runtime/format.hpp"
#include "runtime/limits.hpp"

namespace kestrel::rt {

void retain(Table* t) { ++t->refs; }
void release(Table* t) {
  if (--t->refs == 0) {
    delete t;
  }
}

namespace csv_detail {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

/// `text` for an error message: its first 40 bytes and "…" when longer (a 50 MB field once
/// gave a 50 MB message), never cutting a UTF-8 character in two.
std::string clipped(std::string_view text) {
  constexpr std::size_t kMax = 40;
  if (text.size() <= kMax) {
    return std::string(text);
  }
  std::size_t end = kMax;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(text.substr(0, end)) + "\u2026";
}

}  // namespace csv_detail

using csv_detail::clipped;
using csv_detail::trim;

void Table::raise_at(std::size_t offset, const std::string& message) const {
  if (built_) {
    raise(message);  // a built table has no file to point into
  }
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t k = 0; k < offset && k < text_.size(); ++k) {
    if (text_[k] == '\n') {
      ++line;
      line_start = k + 1;
    }
  }
  raise(path_ + ":" + std::to_string(line) + ":" + std::to_string(offset - line_start + 1) + ": " +
        message);
}

Table* Table::parse(std::string text, std::string path) {
  return parse(std::move(text), std::move(path), CsvOptions{});
}

Table* Table::parse(std::string text, std::string path, const CsvOptions& options) {
  auto t = std::make_unique<Table>();
  t->path_ = std::move(path);
  t->fill_ = options.fill;
  const char sep = options.sep;
  t->text_ = std::move(text);
  // A UTF-8 byte-order mark is not part of the first column's name.
  if (t->text_.starts_with("\xEF\xBB\xBF")) {
    t->text_.erase(0, 3);
  }
  const std::string& s = t->text_;
  std::size_t pos = 0;
  std::size_t n = s.size();
  bool header = true;
  std::vector<Field> record;
  while (pos < n) {
    // A blank line ("\n" or "\r\n") is skipped.
    if (s[pos] == '\n') {
      ++pos;
      continue;
    }
    if (s[pos] == '\r' && pos + 1 < n && s[pos + 1] == '\n') {
      pos += 2;
      continue;
    }
    std::size_t record_start = pos;
    record.clear();
    while (true) {
      Field f{pos, 0, false};
      if (pos < n && s[pos] == '"') {
        std::size_t open = pos;
        ++pos;
        f.offset = pos;
        while (true) {
          if (pos >= n) {
            t->raise_at(open, "unterminated quoted field");
          }
          if (s[pos] == '"') {
            if (pos + 1 < n && s[pos + 1] == '"') {
              f.quoted = true;
              pos += 2;
              continue;
            }
            break;
          }
          if (s[pos] == '\n' && options.line_records) {
            t->raise_at(open,
                        "a quoted field holds a line end: csv_blocks(path, rows, part, parts) "
                        "splits the file at line ends (read it with csv_blocks(path, rows))");
          }
          ++pos;
        }
        f.length = pos - f.offset;
        ++pos;  // the closing quote
        if (pos < n && s[pos] != sep && s[pos] != '\n' &&
            !(s[pos] == '\r' && pos + 1 < n && s[pos + 1] == '\n') && s[pos] != '\r') {
          t->raise_at(pos, std::string("expected '") + (sep == '\t' ? "\\t" : std::string(1, sep)) +
                               "' or the end of the line after a closing quote");
        }
      } else {
        while (pos < n && s[pos] != sep && s[pos] != '\n') {
          ++pos;
        }
        f.length = pos - f.offset;
        if (f.length > 0 && pos <= n && s[f.offset + f.length - 1] == '\r' &&
            (pos == n || s[pos] == '\n')) {
          --f.length;
        }
      }
      record.push_back(f);
      if (pos < n && s[pos] == sep) {
        ++pos;
        continue;
      }
      if (pos < n && s[pos] == '\r') {
        ++pos;
      }
      if (pos < n && s[pos] == '\n') {
        ++pos;
      }
      break;
    }
    if (header) {
      for (const Field& f : record) {
        std::string name = s.substr(f.offset, f.length);
        if (f.quoted) {
          std::string u;
          for (std::size_t k = 0; k < name.size(); ++k) {
            u += name[k];
            if (name[k] == '"') {
              ++k;
            }
          }
          name = u;
        }
        for (const std::string& other : t->names_) {
          if (other == name) {
            t->raise_at(f.offset, "duplicate column name '" + clipped(name) + "'");
          }
        }
        t->names_.push_back(std::move(name));
      }
      header = false;
      continue;
    }
    if (record.size() != t->names_.size()) {
      t->raise_at(record_start, "expected " + std::to_string(t->names_.size()) + " fields, found " +
                                    std::to_string(record.size()));
    }
    t->fields_.insert(t->fields_.end(), record.begin(), record.end());
    ++t->rows_;
  }
  if (header) {
    raise(t->path_ + ": empty file (a CSV file needs a header line)");
  }
  return t.release();
}

std::string Table::cell(std::int64_t row, std::int64_t column) const {
  const Field& f = field(row, column);
  std::string_view raw(text_.data() + f.offset, f.length);
  if (!f.quoted) {
    return std::string(raw);
  }
  std::string u;
  for (std::size_t k = 0; k < raw.size(); ++k) {
    u += raw[k];
    if (raw[k] == '"') {
      ++k;
    }
  }
  return u;
}

std::int64_t Table::column_index(std::string_view name) const {
  for (std::size_t k = 0; k < names_.size(); ++k) {
    if (names_[k] == name) {
      return static_cast<std::int64_t>(k);
    }
  }
  std::string known;
  for (std::size_t k = 0; k < names_.size(); ++k) {
    if (k == 20) {
      known += ", \u2026 (" + std::to_string(names_.size()) + " in all)";
      break;
    }
    known += (known.empty() ? "" : ", ") + clipped(names_[k]);
  }
  raise(path_ + ": no column named '" + clipped(name) + "' (columns: " + known + ")");
}

const Table::Field& Table::field(std::int64_t row, std::int64_t column) const {
  if (row < 0 || row >= rows_ || column < 0 || column >= columns()) {
    raise("table cell (" + std::to_string(row) + ", " + std::to_string(column) +
          ") is out of bounds");
  }
  return fields_[static_cast<std::size_t>(row * columns() + column)];
}

ArrayRef Table::f64(std::string_view name) const {
  std::int64_t c = column_index(name);
  ArrayRef out = alloc(Shape(rows_), Elem::F64);
  for (std::int64_t r = 0; r < rows_; ++r) {
    const Field& f = field(r, c);
    std::string text = cell(r, c);
    std::string_view v = trim(text);
    if (v.empty()) {
      out->at<double>(r) = fill_;  // NaN unless read_csv was given fill=
      continue;
    }
    if (v.front() == '+') {
      v.remove_prefix(1);
    }
    double d = 0;
    auto res = std::from_chars(v.data(), v.data() + v.size(), d);
    if (res.ec == std::errc::result_out_of_range) {
      res.ec = {};
      d = std::strtod(std::string(v).c_str(), nullptr);  // overflow to inf, underflow to 0
    }
    if (res.ec != std::errc{} || res.ptr != v.data() + v.size()) {
      raise_at(f.offset,
               "cannot read '" + clipped(text) + "' as f64 in column '" + clipped(name) + "'");
    }
    out->at<double>(r) = d;
  }
  return out;
}

std::int64_t Table::missing_i64(std::int64_t row, std::size_t offset, std::string_view name) const {
  if (std::isnan(fill_)) {
    raise_at(offset, "missing value in row " + std::to_string(row + 1) + " of the i64 column '" +
                         clipped(name) +
                         "' (an integer has no NaN: read_csv(path, fill=0) reads missing "
                         "values as 0, or read the column with .f64)");
  }
  // The fill is an integer when it fills an i64 column (fill=0.5 there is an error, not a cut).
  if (!(fill_ >= -9223372036854775808.0 && fill_ < 9223372036854775808.0) ||
      std::trunc(fill_) != fill_) {
    raise_at(offset, "missing value in row " + std::to_string(row + 1) + " of the i64 column '" +
                         clipped(name) + "': the fill " + format_float(fill_) +
                         " is not an i64 value");
  }
  return static_cast<std::int64_t>(fill_);
}

ArrayRef Table::i64(std::string_view name) const {
  std::int64_t c = column_index(name);
  ArrayRef out = alloc(Shape(rows_), Elem::I64);
  for (std::int64_t r = 0; r < rows_; ++r) {
    const Field& f = field(r, c);
    std::string text = cell(r, c);
    std::string_view v = trim(text);
    if (v.empty()) {
      out->at<std::int64_t>(r) = missing_i64(r, f.offset, name);
      continue;
    }
    if (v.front() == '+') {
      v.remove_prefix(1);
    }
    std::int64_t i = 0;
    auto res = std::from_chars(v.data(), v.data() + v.size(), i);
    if (res.ec == std::errc::result_out_of_range) {
      raise_at(f.offset,
               "'" + clipped(text) + "' in column '" + clipped(name) + "' is out of range for i64");
    }
    if (res.ec != std::errc{} || res.ptr != v.data() + v.size()) {
      raise_at(f.offset,
               "cannot read '" + clipped(text) + "' as i64 in column '" + clipped(name) + "'");
    }
    out->at<std::int64_t>(r) = i;
  }
  return out;
}

ArrayRef Table::codes(std::string_view name) const {
  std::int64_t c = column_index(name);
  ArrayRef out = alloc(Shape(rows_), Elem::I64);
  std::unordered_map<std::string, std::int64_t> seen;
  for (std::int64_t r = 0; r < rows_; ++r) {
    auto [it, inserted] = seen.emplace(cell(r, c), static_cast<std::int64_t>(seen.size()));
    out->at<std::int64_t>(r) = it->second;
  }
  return out;
}

ArrayRef Table::labels(std::string_view name) const {
  std::int64_t c = column_index(name);
  std::unordered_map<std::string, std::int64_t> seen;
  std::vector<std::string> order;
  for (std::int64_t r = 0; r < rows_; ++r) {
    std::string text = cell(r, c);
    if (seen.emplace(text, static_cast<std::int64_t>(order.size())).second) {
      order.push_back(std::move(text));
    }
  }
  return from_values<std::string>(std::span<const std::string>(order.data(), order.size()),
                                  Shape(static_cast<std::int64_t>(order.size())));
}

TableRef parse_csv(std::string text, std::string path) {
  return TableRef::adopt(Table::parse(std::move(text), std::move(path)));
}

TableRef read_csv(const std::string& path) { return read_csv(path, ",", CsvOptions{}.fill); }

TableRef read_csv(const std::string& path, const std::string& sep, double fill) {
  check_io("read_csv");
  if (sep.size() != 1 || sep[0] == '"' || sep[0] == '\n' || sep[0] == '\r') {
    raise("read_csv: sep must be one byte, not a quote or a line end, found \"" + clipped(sep) +
          "\"");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    raise(path + ": cannot open file");
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    raise(path + ": cannot read file");
  }
  return TableRef::adopt(Table::parse(buf.str(), path, CsvOptions{sep[0], fill}));
}

}  // namespace kestrel::rt
