#include "runtime/format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "runtime/csv.hpp"
#include "runtime/elem_dispatch.hpp"

namespace kestrel::rt {

using detail::ElemT;
using detail::visit_elem;

namespace {

// Python's repr from the shortest scientific digits: fixed notation for exponents in [-4, 16).
template <class F>
void append_repr(std::string& out, F v) {
  if (std::isnan(v)) {
    out += "nan";
    return;
  }
  if (std::isinf(v)) {
    out += v < 0 ? "-inf" : "inf";
    return;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  bool negative = sci.front() == '-';
  if (negative) {
    sci.remove_prefix(1);
  }
  std::size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') {
      digits += c;
    }
  }
  int exp = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  if (negative) {
    out += '-';
  }
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-exp - 1), '0');
      out += digits;
      return;
    }
    auto int_len = static_cast<std::size_t>(exp + 1);
    if (digits.size() <= int_len) {
      out += digits;
      out.append(int_len - digits.size(), '0');
      out += ".0";
    } else {
      out.append(digits, 0, int_len);
      out += '.';
      out.append(digits, int_len);
    }
    return;
  }
  out += digits[0];
  if (digits.size() > 1) {
    out += '.';
    out.append(digits, 1);
  }
  out += exp < 0 ? "e-" : "e+";
  int mag = std::abs(exp);
  if (mag < 10) {
    out += '0';
  }
  out += std::to_string(mag);
}

// One array element in print's form (floats without a trailing ".0").
template <class T>
std::string element_text(const T& v) {
  std::string s;
  if constexpr (std::is_same_v<T, std::string>) {
    s = v;
  } else if constexpr (std::is_same_v<T, bool>) {
    append_bool(s, v);
  } else if constexpr (std::is_floating_point_v<T>) {
    append_float(s, v);
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) {
      s.resize(s.size() - 2);
    }
  } else {
    append_int(s, v);
  }
  return s;
}

// The indices shown along a dimension of `size`: all, or the first and last kPrintEdge with
// -1 marking the `...`.
std::vector<std::int64_t> shown(std::int64_t size, bool abbreviate) {
  std::vector<std::int64_t> idx;
  if (abbreviate && size > 2 * kPrintEdge) {
    for (std::int64_t k = 0; k < kPrintEdge; ++k) {
      idx.push_back(k);
    }
    idx.push_back(-1);
    for (std::int64_t k = size - kPrintEdge; k < size; ++k) {
      idx.push_back(k);
    }
  } else {
    for (std::int64_t k = 0; k < size; ++k) {
      idx.push_back(k);
    }
  }
  return idx;
}

}  // namespace

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}
void append_float(std::string& out, double v) { append_repr(out, v); }
void append_float(std::string& out, float v) { append_repr(out, v); }
void append_bool(std::string& out, bool v) { out += v ? "true" : "false"; }

void append_value(std::string& out, const Value& v) {
  switch (v.elem) {
    case Elem::Bool:
      append_bool(out, v.b);
      return;
    case Elem::I32:
      append_int(out, v.i32);
      return;
    case Elem::I64:
      append_int(out, v.i64);
      return;
    case Elem::F32:
      append_float(out, v.f32);
      return;
    case Elem::F64:
    case Elem::Str:
      break;
  }
  append_float(out, v.f64);
}

std::string format_int(std::int64_t v) {
  std::string s;
  append_int(s, v);
  return s;
}
std::string format_float(double v) {
  std::string s;
  append_float(s, v);
  return s;
}
std::string format_float(float v) {
  std::string s;
  append_float(s, v);
  return s;
}
std::string format_value(const Value& v) {
  std::string s;
  append_value(s, v);
  return s;
}

std::string format_array(const Array& a) {
  if (a.size() == 0) {
    return "[]";
  }
  bool abbreviate = a.size() > kPrintThreshold;
  std::vector<std::int64_t> rows =
      a.rank == 2 ? shown(a.shape[0], abbreviate) : std::vector<std::int64_t>{0};
  std::vector<std::int64_t> cols = shown(a.rank == 2 ? a.shape[1] : a.shape[0], abbreviate);
  // The texts of the shown elements, row by row; "..." where columns are left out.
  std::vector<std::vector<std::string>> cells;
  std::size_t width = 0;
  visit_elem(a.elem, [&](auto* tag) {
    using T = ElemT<decltype(tag)>;
    for (std::int64_t i : rows) {
      cells.emplace_back();
      if (i < 0) {
        continue;
      }
      for (std::int64_t j : cols) {
        if (j < 0) {
          cells.back().push_back("...");
          continue;
        }
        std::string s = a.rank == 2 ? element_text<T>(a.at<T>(i, j)) : element_text<T>(a.at<T>(j));
        width = std::max(width, s.size());
        cells.back().push_back(std::move(s));
      }
    }
  });
  std::string out;
  if (a.rank == 1) {
    out += '[';
    for (std::size_t k = 0; k < cells[0].size(); ++k) {
      if (k) {
        out += ' ';
      }
      out += cells[0][k];
    }
    out += ']';
    return out;
  }
  out += '[';
  for (std::size_t r = 0; r < cells.size(); ++r) {
    if (r) {
      out += "\n ";
    }
    if (rows[r] < 0) {
      out += "...";
      continue;
    }
    out += '[';
    for (std::size_t k = 0; k < cells[r].size(); ++k) {
      if (k) {
        out += ' ';
      }
      const std::string& s = cells[r][k];
      if (s != "...") {
        out.append(width - std::min(width, s.size()), ' ');
      }
      out += s;
    }
    out += ']';
  }
  out += ']';
  return out;
}

std::string format_table(const Table& t) {
  std::int64_t n = t.rows();
  std::int64_t m = t.columns();
  bool abbreviate = n > kTableRowThreshold;
  std::vector<std::int64_t> rows;
  for (std::int64_t r = 0; r < n; ++r) {
    if (!abbreviate || r < kTableEdge || r >= n - kTableEdge) {
      rows.push_back(r);
    } else if (r == kTableEdge) {
      rows.push_back(-1);
    }
  }
  std::vector<std::vector<std::string>> cells(rows.size() + 1);
  std::vector<std::size_t> widths(static_cast<std::size_t>(m), 0);
  for (std::int64_t c = 0; c < m; ++c) {
    cells[0].push_back(t.names()[static_cast<std::size_t>(c)]);
  }
  for (std::size_t k = 0; k < rows.size(); ++k) {
    for (std::int64_t c = 0; c < m; ++c) {
      cells[k + 1].push_back(rows[k] < 0 ? "..." : t.cell(rows[k], c));
    }
  }
  // The "..." row counts like any other: a column narrower than it widens to keep it aligned.
  for (const std::vector<std::string>& row : cells) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  std::string out;
  for (std::size_t k = 0; k < cells.size(); ++k) {
    for (std::size_t c = 0; c < cells[k].size(); ++c) {
      if (c) {
        out += "  ";
      }
      out.append(widths[c] - std::min(widths[c], cells[k][c].size()), ' ');
      out += cells[k][c];
    }
    if (k + 1 < cells.size() || abbreviate) {
      out += '\n';
    }
  }
  if (abbreviate) {
    out += "[" + std::to_string(n) + " rows x " + std::to_string(m) + " columns]";
  }
  return out;
}

std::string print_line(std::span<const std::string> pieces) {
  std::string out;
  for (std::size_t k = 0; k < pieces.size(); ++k) {
    if (k) {
      out += ' ';
    }
    out += pieces[k];
  }
  out += '\n';
  return out;
}

}  // namespace kestrel::rt
