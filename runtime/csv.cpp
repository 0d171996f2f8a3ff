#include "runtime/csv.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>
#include <unordered_map>

#include "runtime/decimal_to_double.hpp"
#include "runtime/format.hpp"
#include "runtime/limits.hpp"
#include "runtime/parallel.hpp"

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

bool read_f64(std::string_view v, double& out) {
  auto res = std::from_chars(v.data(), v.data() + v.size(), out);
  if (res.ptr != v.data() + v.size()) {
    return false;  // not a number, or more after one ("1e999x" is text, not inf)
  }
  if (res.ec == std::errc::result_out_of_range) {
    out = std::strtod(std::string(v).c_str(), nullptr);  // overflow to inf, underflow to 0
    return true;
  }
  return res.ec == std::errc{};
}

}  // namespace csv_detail

using csv_detail::clipped;
using csv_detail::trim;

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

// A typed column is converted on several threads, in chunks of kConvertChunk rows; a bad field
// raises in its chunk and the lowest failing chunk's error is the one reported, so the error is
// the first bad row's at any thread count. Unquoted fields are read in place (no copy).
namespace {
constexpr std::int64_t kConvertChunk = 1 << 15;
/// Whether `s` starts or ends with a space or tab (only then is trim needed).
inline bool is_blank(std::string_view s) {
  return !s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.back() == ' ' || s.back() == '\t');
}
/// The value of an unquoted numeric field already without blanks, sign '+' or emptiness, read
/// as f64_at reads it; false when it is anything else (f64_at then reads it, or raises). The
/// usual decimal text takes decimal_to_double's exact paths (the same bits as from_chars).
inline bool plain_f64(const char* p, std::size_t n, double& out) {
  if (decimal_to_double(p, p + n, out)) {
    return true;
  }
  auto res = std::from_chars(p, p + n, out);
  return res.ec == std::errc{} && res.ptr == p + n;
}

/// The same for i64_at: an optional '-' and 1 to 18 digits (no overflow possible).
inline bool plain_i64(const char* p, std::size_t n, std::int64_t& out) {
  std::size_t k = *p == '-' ? 1 : 0;
  if (n <= k || n - k > 18) {
    return false;
  }
  std::uint64_t u = 0;
  bool digits = true;
  for (std::size_t i = k; i < n; ++i) {
    auto d = static_cast<unsigned>(static_cast<unsigned char>(p[i]) - '0');
    digits = digits && d <= 9;
    u = u * 10 + d;
  }
  auto v = static_cast<std::int64_t>(u);
  out = k == 1 ? -v : v;
  return digits;
}

/// Whether a field needs number_text's care: quoted, empty, with surrounding blanks or a '+'.
inline bool needs_care(const char* p, std::size_t n, bool quoted) {
  return quoted || n == 0 || *p == '+' || *p == ' ' || *p == '\t' || p[n - 1] == ' ' ||
         p[n - 1] == '\t';
}

}  // namespace

Table::NumberText Table::number_text(std::int64_t r, std::int64_t c, std::string& unquoted) const {
  const Field& f = fields_[static_cast<std::size_t>(r * columns() + c)];
  NumberText n{std::string_view(text_.data() + f.offset, f.length), {}, false, f.offset};
  if (f.quoted) {
    unquoted = cell(r, c);
    n.text = unquoted;
  }
  n.value = is_blank(n.text) ? trim(n.text) : n.text;
  n.missing = n.value.empty();
  if (!n.missing && n.value.front() == '+') {
    n.value.remove_prefix(1);
  }
  return n;
}

double Table::f64_at(std::int64_t r, std::int64_t c, std::string_view name) const {
  std::string unquoted;
  NumberText n = number_text(r, c, unquoted);
  if (n.missing) {
    return fill_;  // NaN unless read_csv was given fill=
  }
  std::string_view v = n.value;
  std::string_view text = n.text;
  double d = 0;
  if (!csv_detail::read_f64(v, d)) {
    raise_at(n.offset,
             "cannot read '" + clipped(text) + "' as f64 in column '" + clipped(name) + "'");
  }
  return d;
}

ArrayRef Table::f64(std::string_view name) const {
  std::int64_t c = column_index(name);
  ArrayRef out = alloc(Shape(rows_), Elem::F64);
  auto* o = static_cast<double*>(out->data);
  const Field* fields = fields_.data();
  const char* text = text_.data();
  const auto cols = static_cast<std::size_t>(columns());
  parallel_for_chunks(0, rows_, kConvertChunk, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t r = lo; r < hi; ++r) {
      // The common field, a plain number, read here; any other goes through f64_at.
      const Field& f = fields[static_cast<std::size_t>(r) * cols + static_cast<std::size_t>(c)];
      const char* p = text + f.offset;
      if (needs_care(p, f.length, f.quoted != 0) || !plain_f64(p, f.length, o[r])) {
        o[r] = f64_at(r, c, name);
      }
    }
  });
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

std::int64_t Table::i64_at(std::int64_t r, std::int64_t c, std::string_view name) const {
  std::string unquoted;
  NumberText n = number_text(r, c, unquoted);
  if (n.missing) {
    return missing_i64(r, n.offset, name);
  }
  std::string_view v = n.value;
  std::string_view text = n.text;
  // The common case, up to 18 digits with an optional '-' (no overflow possible), read here;
  // anything else goes to from_chars.
  std::int64_t plain = 0;
  if (!v.empty() && plain_i64(v.data(), v.size(), plain)) {
    return plain;
  }
  std::int64_t i = 0;
  auto res = std::from_chars(v.data(), v.data() + v.size(), i);
  if (res.ec == std::errc::result_out_of_range) {
    raise_at(n.offset,
             "'" + clipped(text) + "' in column '" + clipped(name) + "' is out of range for i64");
  }
  if (res.ec != std::errc{} || res.ptr != v.data() + v.size()) {
    raise_at(n.offset,
             "cannot read '" + clipped(text) + "' as i64 in column '" + clipped(name) + "'");
  }
  return i;
}

ArrayRef Table::i64(std::string_view name) const {
  std::int64_t c = column_index(name);
  ArrayRef out = alloc(Shape(rows_), Elem::I64);
  auto* o = static_cast<std::int64_t*>(out->data);
  const Field* fields = fields_.data();
  const char* text = text_.data();
  const auto cols = static_cast<std::size_t>(columns());
  parallel_for_chunks(0, rows_, kConvertChunk, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t r = lo; r < hi; ++r) {
      const Field& f = fields[static_cast<std::size_t>(r) * cols + static_cast<std::size_t>(c)];
      const char* p = text + f.offset;
      if (needs_care(p, f.length, f.quoted != 0) || !plain_i64(p, f.length, o[r])) {
        o[r] = i64_at(r, c, name);
      }
    }
  });
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
  check_io("read_csv", path);
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
  CsvOptions options;
  options.sep = sep[0];
  options.fill = fill;
  return TableRef::adopt(Table::parse(buf.str(), path, options));
}

}  // namespace kestrel::rt
