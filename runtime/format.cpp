#include "runtime/format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <type_traits>
#include <vector>

#include "runtime/csv.hpp"
#include "runtime/elem_dispatch.hpp"
#include "runtime/rules/messages.hpp"

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

// One integer, bool or str array element in print's form.
template <class T>
std::string element_text(const T& v) {
  std::string s;
  if constexpr (std::is_same_v<T, std::string>) {
    s = printable(v);  // a control byte would end the row or reach the terminal as it is
  } else if constexpr (std::is_same_v<T, bool>) {
    append_bool(s, v);
  } else {
    append_int(s, v);
  }
  return s;
}

// The shortest digits of v that read back to the same bits, in notation `fmt`.
template <class F>
std::string shortest(F v, std::chars_format fmt) {
  char buf[400];
  auto res = std::to_chars(buf, buf + sizeof buf, v, fmt);
  return std::string(buf, res.ptr);
}

// The float elements of an array as numpy's default repr writes them (FloatingFormat with
// floatmode 'maxprec'), except that each keeps its shortest round-trip digits rather than at
// most 8: positional unless a finite nonzero magnitude is >= 1e8 or < 1e-4 or they span more
// than 1000x; positional elements align on the decimal point (`1.5`, `2. `), scientific ones
// share one number of fraction digits and exponent digits (`1.0e-05`, `1.5e+10`); nan and inf
// are right-aligned to the same width.
template <class F>
std::vector<std::string> float_words(const std::vector<F>& vals) {
  F max_val = 0;
  F min_val = 0;
  bool any = false;
  bool neginf = false;
  for (F v : vals) {
    if (std::isinf(v) && v < 0) {
      neginf = true;
    }
    if (!std::isfinite(v) || v == 0) {
      continue;
    }
    F m = std::abs(v);
    max_val = any ? std::max(max_val, m) : m;
    min_val = any ? std::min(min_val, m) : m;
    any = true;
  }
  bool exp_format = any && (max_val >= F(1e8) || min_val < F(0.0001) ||
                            static_cast<double>(max_val) / static_cast<double>(min_val) > 1000.);
  struct Parts {
    std::string int_part, frac_part, exp_part;  // exp_part: the exponent's digits, sign apart
    bool exp_negative = false;
  };
  std::vector<Parts> parts(vals.size());
  std::size_t pad_left = 0;
  std::size_t pad_right = 0;
  std::size_t exp_size = 0;
  for (std::size_t k = 0; k < vals.size(); ++k) {
    if (!std::isfinite(vals[k])) {
      continue;
    }
    std::string t =
        shortest(vals[k], exp_format ? std::chars_format::scientific : std::chars_format::fixed);
    Parts& p = parts[k];
    std::size_t e = t.find('e');
    if (e != std::string::npos) {
      p.exp_negative = t[e + 1] == '-';
      p.exp_part = t.substr(e + 2);
      t.resize(e);
      exp_size = std::max(exp_size, p.exp_part.size());
    }
    std::size_t dot = t.find('.');
    p.int_part = t.substr(0, dot);
    p.frac_part = dot == std::string::npos ? "" : t.substr(dot + 1);
    pad_left = std::max(pad_left, p.int_part.size());
    pad_right = std::max(pad_right, p.frac_part.size());
  }
  std::size_t precision = pad_right;
  if (exp_format) {
    pad_right = exp_size + 2 + precision;
  }
  if (std::any_of(vals.begin(), vals.end(), [](F v) { return !std::isfinite(v); })) {
    std::size_t offset = pad_right + 1;
    std::size_t need = 3 + (neginf ? 1 : 0);
    pad_left = std::max(pad_left, need > offset ? need - offset : 0);
  }
  std::size_t width = pad_left + pad_right + 1;
  std::vector<std::string> words;
  for (std::size_t k = 0; k < vals.size(); ++k) {
    std::string w;
    if (!std::isfinite(vals[k])) {
      std::string t = std::isnan(vals[k]) ? "nan" : vals[k] < 0 ? "-inf" : "inf";
      w.append(width - std::min(width, t.size()), ' ');
      w += t;
    } else {
      const Parts& p = parts[k];
      w.append(pad_left - p.int_part.size(), ' ');
      w += p.int_part;
      w += '.';
      w += p.frac_part;
      if (exp_format) {
        w.append(precision - p.frac_part.size(), '0');
        w += p.exp_negative ? "e-" : "e+";
        w.append(exp_size - p.exp_part.size(), '0');
        w += p.exp_part;
      } else {
        w.append(pad_right - p.frac_part.size(), ' ');
      }
    }
    words.push_back(std::move(w));
  }
  return words;
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

// numpy's _extendLine: starts a new line (with `indent`) when `word` would pass `width`.
void extend_line(std::string& s, std::string& line, const std::string& word, std::size_t width,
                 const std::string& indent) {
  if (line.size() + word.size() > width && line.size() > indent.size()) {
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    s += line;
    s += '\n';
    line = indent;
  }
  line += word;
}

// One row in brackets as numpy's _formatArray writes the last axis: words separated by a space,
// wrapped at `width` (numpy's linewidth less the closing brackets) with `indent` on each line.
std::string bracketed_row(const std::vector<std::string>& words, const std::string& indent,
                          std::size_t width) {
  std::string s;
  std::string line = indent;
  for (std::size_t k = 0; k < words.size(); ++k) {
    extend_line(s, line, words[k], width - 1, indent);
    if (k + 1 < words.size()) {
      line += ' ';
    }
  }
  s += line;
  return "[" + s.substr(indent.size()) + "]";
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
  // The words of the shown elements, row by row ("..." where columns are left out, and a row
  // left empty where rows are). Floats are formatted together (their widths depend on each
  // other); a matrix's other elements are right-aligned to the widest one shown.
  std::vector<std::vector<std::string>> cells;
  visit_elem(a.elem, [&](auto* tag) {
    using T = ElemT<decltype(tag)>;
    auto at = [&](std::int64_t i, std::int64_t j) -> const T& {
      return a.rank == 2 ? a.at<T>(i, j) : a.at<T>(j);
    };
    std::vector<std::string> flat;
    if constexpr (std::is_floating_point_v<T>) {
      std::vector<T> vals;
      for (std::int64_t i : rows) {
        for (std::int64_t j : cols) {
          if (i >= 0 && j >= 0) {
            vals.push_back(at(i, j));
          }
        }
      }
      flat = float_words(vals);
    } else {
      std::size_t width = 0;
      for (std::int64_t i : rows) {
        for (std::int64_t j : cols) {
          if (i >= 0 && j >= 0) {
            flat.push_back(element_text<T>(at(i, j)));
            width = std::max(width, flat.back().size());
          }
        }
      }
      if (a.rank == 2) {
        for (std::string& w : flat) {
          w.insert(0, width - w.size(), ' ');
        }
      }
    }
    std::size_t next = 0;
    for (std::int64_t i : rows) {
      cells.emplace_back();
      if (i < 0) {
        continue;
      }
      for (std::int64_t j : cols) {
        cells.back().push_back(j < 0 ? std::string("...") : std::move(flat[next++]));
      }
    }
  });
  // numpy's linewidth 75; a matrix's rows are one bracket further in.
  constexpr std::size_t kLineWidth = 75;
  if (a.rank == 1) {
    return bracketed_row(cells[0], " ", kLineWidth);
  }
  std::string out = "[";
  for (std::size_t r = 0; r < cells.size(); ++r) {
    if (r) {
      out += "\n ";
    }
    out += rows[r] < 0 ? "..." : bracketed_row(cells[r], "  ", kLineWidth - 1);
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
    cells[0].push_back(printable(t.names()[static_cast<std::size_t>(c)]));
  }
  for (std::size_t k = 0; k < rows.size(); ++k) {
    for (std::int64_t c = 0; c < m; ++c) {
      cells[k + 1].push_back(rows[k] < 0 ? "..." : printable(t.cell(rows[k], c)));
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
