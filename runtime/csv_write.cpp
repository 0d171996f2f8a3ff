// Tables built from columns (table(a=x, b=y), with_column) and written as CSV (write_csv).
// A built table is the same Table that read_csv gives: each cell is kept as its text, floats in
// the shortest form that reads back to the same bits, so t.f64("x") of a built or a written and
// re-read table gives the column's values exactly.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "runtime/csv.hpp"
#include "runtime/format.hpp"
#include "runtime/limits.hpp"
#include "runtime/replace_file.hpp"

namespace kestrel::rt {

namespace {

/// Element k of a 1-D array as a cell's text.
std::string cell_text(const Array& a, std::int64_t k) {
  switch (a.elem) {
    case Elem::F64:
      return format_float(a.at<double>(k));
    case Elem::F32:
      // As the f64 the value is (f32 widens exactly): reading it back with .f64 and converting
      // to f32 gives the same bits.
      return format_float(static_cast<double>(a.at<float>(k)));
    case Elem::I64:
      return format_int(a.at<std::int64_t>(k));
    case Elem::I32:
      return format_int(a.at<std::int32_t>(k));
    case Elem::Bool:
      return a.at<bool>(k) ? "true" : "false";
    case Elem::Str:
      return a.at<std::string>(k);
  }
  return {};
}

/// Whether a field must be quoted to read back as itself.
bool needs_quotes(const std::string& s, bool lone_column) {
  if (s.empty()) {
    return lone_column;  // a one-column row with an empty field would be a blank line
  }
  if (s.front() == ' ' || s.front() == '\t' || s.back() == ' ' || s.back() == '\t') {
    return true;
  }
  return s.find_first_of(",\"\n\r") != std::string::npos;
}

void append_field(std::string& out, const std::string& s, bool lone_column) {
  if (!needs_quotes(s, lone_column)) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  out += '"';
}

}  // namespace

Table* Table::from_cells(std::vector<std::string> names,
                         const std::vector<std::vector<std::string>>& columns) {
  auto t = std::make_unique<Table>();
  t->path_ = "table";
  t->built_ = true;
  t->names_ = std::move(names);
  t->rows_ = columns.empty() ? 0 : static_cast<std::int64_t>(columns[0].size());
  // The cells' texts one after another; each Field points at its own (none is quoted).
  for (std::int64_t r = 0; r < t->rows_; ++r) {
    for (const std::vector<std::string>& col : columns) {
      const std::string& s = col[static_cast<std::size_t>(r)];
      t->fields_.push_back(Field{t->text_.size(), s.size(), 0});
      t->text_ += s;
    }
  }
  return t.release();
}

TableRef table_new() { return TableRef::adopt(Table::from_cells({}, {})); }

TableRef with_column(const Table& t, const std::string& name, const Array& column) {
  if (column.rank != 1) {
    raise("with_column: a column is a 1-D array, found " + std::to_string(column.rank) +
          " dimensions");
  }
  std::int64_t n = column.shape[0];
  if (t.columns() > 0 && n != t.rows()) {
    raise("column '" + csv_detail::clipped(name) + "' has " + std::to_string(n) +
          (n == 1 ? " row" : " rows") + " but the table's other columns have " +
          std::to_string(t.rows()));
  }
  for (const std::string& other : t.names()) {
    if (other == name) {
      raise("the table already has a column named '" + csv_detail::clipped(name) + "'");
    }
  }
  std::vector<std::string> names = t.names();
  names.push_back(name);
  std::vector<std::vector<std::string>> columns(names.size());
  for (std::int64_t c = 0; c < t.columns(); ++c) {
    columns[static_cast<std::size_t>(c)].reserve(static_cast<std::size_t>(n));
    for (std::int64_t r = 0; r < n; ++r) {
      columns[static_cast<std::size_t>(c)].push_back(t.cell(r, c));
    }
  }
  std::vector<std::string>& added = columns.back();
  added.reserve(static_cast<std::size_t>(n));
  for (std::int64_t r = 0; r < n; ++r) {
    added.push_back(cell_text(column, r));
  }
  return TableRef::adopt(Table::from_cells(std::move(names), columns));
}

TableRef subtable(const Table& t, const Array& columns, const Array& rows) {
  std::vector<std::string> names;
  std::vector<std::int64_t> index;
  for (std::int64_t k = 0; k < columns.shape[0]; ++k) {
    const std::string& name = columns.at<std::string>(k);
    index.push_back(t.column(name));
    for (const std::string& other : names) {
      if (other == name) {
        raise("subtable: column '" + csv_detail::clipped(name) + "' is named twice");
      }
    }
    names.push_back(name);
  }
  std::int64_t n = rows.shape[0];
  for (std::int64_t r = 0; r < n; ++r) {
    std::int64_t row = rows.at<std::int64_t>(r);
    if (row < 0 || row >= t.rows()) {
      raise("subtable: row " + std::to_string(row) + " is out of bounds for a table of " +
            std::to_string(t.rows()) + " rows");
    }
  }
  std::vector<std::vector<std::string>> cells(names.size());
  for (std::size_t c = 0; c < names.size(); ++c) {
    cells[c].reserve(static_cast<std::size_t>(n));
    for (std::int64_t r = 0; r < n; ++r) {
      cells[c].push_back(t.cell(rows.at<std::int64_t>(r), index[c]));
    }
  }
  return TableRef::adopt(Table::from_cells(std::move(names), cells));
}

std::string csv_text(const Table& t) {
  std::string out;
  bool lone = t.columns() == 1;
  for (std::int64_t c = 0; c < t.columns(); ++c) {
    if (c > 0) {
      out += ',';
    }
    append_field(out, t.names()[static_cast<std::size_t>(c)], lone);
  }
  out += '\n';
  for (std::int64_t r = 0; r < t.rows(); ++r) {
    for (std::int64_t c = 0; c < t.columns(); ++c) {
      if (c > 0) {
        out += ',';
      }
      append_field(out, t.cell(r, c), lone);
    }
    out += '\n';
  }
  return out;
}

void write_csv(const std::string& path, const Table& t) {
  check_io("write_csv", path);
  if (t.columns() == 0) {
    raise(path + ": write_csv needs a table with at least one column");
  }
  std::string text = csv_text(t);
  replace_file(path, [&](std::FILE* f) {
    return text.empty() || std::fwrite(text.data(), 1, text.size(), f) == text.size();
  });
}

}  // namespace kestrel::rt
