#include "runtime/strings.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "runtime/format.hpp"
#include "runtime/rules/format_spec.hpp"

namespace kestrel::rt {

namespace {

FormatSpec parsed(std::string_view spec, FormatKind kind) {
  FormatSpec s;
  std::string err = parse_format_spec(spec, kind, s);
  if (!err.empty()) {
    raise(err);
  }
  return s;
}

// std::to_chars of v with `precision` digits in `fmt` (correctly rounded, as Python's).
std::string digits(double v, std::chars_format fmt, int precision) {
  std::vector<char> buf(static_cast<std::size_t>(precision) + 400);
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v, fmt, precision);
  return std::string(buf.data(), res.ptr);
}

// Python's thousands grouping of a run of digits: `sep` every `every` digits from the right;
// with `min_len`, leading zeros (grouped too) until the text is at least that long.
std::string grouped(std::string d, char sep, int every, std::size_t min_len) {
  auto group = [&](const std::string& s) {
    std::string out;
    std::size_t n = s.size();
    for (std::size_t k = 0; k < n; ++k) {
      if (k > 0 && (n - k) % static_cast<std::size_t>(every) == 0) {
        out += sep;
      }
      out += s[k];
    }
    return out;
  };
  std::string out = group(d);
  while (out.size() < min_len) {
    d.insert(d.begin(), '0');
    out = group(d);
  }
  return out;
}

// Lays out sign + prefix + number (integer digits, then the rest) in the spec's width.
std::string layout(const FormatSpec& s, bool negative, std::string prefix, std::string int_digits,
                   std::string rest, int group_every, bool numeric_digits) {
  std::string sign = negative ? "-" : s.sign == '+' ? "+" : s.sign == ' ' ? " " : "";
  std::size_t width = s.width < 0 ? 0 : static_cast<std::size_t>(s.width);
  char align = s.align ? s.align : '>';
  if (s.grouping && numeric_digits) {
    std::size_t fixed = sign.size() + prefix.size() + rest.size();
    std::size_t min_len = align == '=' && s.fill == '0' && width > fixed ? width - fixed : 0;
    int_digits = grouped(int_digits, s.grouping, group_every, min_len);
  }
  std::string body = int_digits + rest;
  std::size_t len = sign.size() + prefix.size() + body.size();
  std::size_t pad = width > len ? width - len : 0;
  std::string fill(pad, s.fill);
  switch (align) {
    case '<':
      return sign + prefix + body + fill;
    case '^': {
      std::size_t left = pad / 2;
      return fill.substr(0, left) + sign + prefix + body + fill.substr(left);
    }
    case '=':
      return sign + prefix + fill + body;
    default:
      return fill + sign + prefix + body;
  }
}

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return s;
}

// Python's 'g' (and, with add_dot_0, the no-type form with a precision) for finite |v|.
std::string general(double v, int precision, bool alt, bool add_dot_0) {
  int p = precision == 0 ? 1 : precision;
  int exp = 0;
  if (v != 0) {
    std::string sci = digits(v, std::chars_format::scientific, p - 1);
    exp = std::atoi(sci.c_str() + sci.find('e') + 1);
  }
  bool use_exp = exp < -4 || exp >= (add_dot_0 ? p - 1 : p);
  std::string t = use_exp ? digits(v, std::chars_format::scientific, p - 1)
                          : digits(v, std::chars_format::fixed, p - 1 - exp);
  std::size_t e = t.find('e');
  std::string mant = e == std::string::npos ? t : t.substr(0, e);
  std::string tail = e == std::string::npos ? "" : t.substr(e);
  if (!alt) {
    if (mant.find('.') != std::string::npos) {
      while (mant.back() == '0') {
        mant.pop_back();
      }
      if (mant.back() == '.') {
        mant.pop_back();
      }
    }
    if (add_dot_0 && !use_exp && mant.find('.') == std::string::npos) {
      mant += ".0";
    }
  } else if (mant.find('.') == std::string::npos) {
    mant += '.';
  }
  return mant + tail;
}

}  // namespace

std::string format_int_spec(std::int64_t v, std::string_view spec) {
  FormatSpec s = parsed(spec, FormatKind::Int);
  if (s.type != 0 && std::string_view("eEfFgG%").find(s.type) != std::string_view::npos) {
    return format_float_spec(static_cast<double>(v), spec);
  }
  bool negative = v < 0;
  std::uint64_t mag = negative ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  int base = s.type == 'x' || s.type == 'X' ? 16 : s.type == 'o' ? 8 : s.type == 'b' ? 2 : 10;
  char buf[72];
  auto res = std::to_chars(buf, buf + sizeof buf, mag, base);
  std::string d(buf, res.ptr);
  const char* prefix = "";
  if (s.alt && base != 10) {
    prefix = s.type == 'X' ? "0X" : base == 16 ? "0x" : base == 8 ? "0o" : "0b";
  }
  if (s.type == 'X') {
    d = upper(d);
  }
  return layout(s, negative, prefix, d, "", base == 10 ? 3 : 4, true);
}

std::string format_float_spec(double v, std::string_view spec) {
  FormatSpec s = parsed(spec, FormatKind::Float);
  bool negative = std::signbit(v) && !std::isnan(v);
  double m = std::abs(v);
  char type = s.type;
  bool pct = type == '%';
  if (pct) {
    m = std::abs(v * 100);
    type = 'f';
  }
  int precision = s.precision < 0 ? 6 : static_cast<int>(s.precision);
  std::string t;
  if (!std::isfinite(m)) {
    t = std::isnan(m) ? "nan" : "inf";
  } else if (type == 'f' || type == 'F') {
    t = digits(m, std::chars_format::fixed, precision);
    if (s.alt && precision == 0) {
      t += '.';
    }
  } else if (type == 'e' || type == 'E') {
    t = digits(m, std::chars_format::scientific, precision);
    if (s.alt && precision == 0) {
      t.insert(t.find('e'), ".");
    }
  } else if (type == 'g' || type == 'G') {
    t = general(m, precision, s.alt, false);
  } else if (s.precision >= 0) {
    t = general(m, precision, s.alt, true);
  } else {
    append_float(t, m);  // repr; '#' keeps a point in its scientific form too (`1.e+16`)
    if (s.alt && t.find('.') == std::string::npos && t.find('e') != std::string::npos) {
      t.insert(t.find('e'), ".");
    }
  }
  if (type == 'F' || type == 'E' || type == 'G') {
    t = upper(t);
  }
  if (pct) {
    t += '%';
  }
  std::size_t split = std::min(t.find_first_of(".eE%"), t.size());
  bool numeric = std::isfinite(m);
  return layout(s, negative, "", t.substr(0, split), t.substr(split), 3, numeric);
}

std::string format_str_spec(const std::string& v, std::string_view spec) {
  FormatSpec s = parsed(spec, FormatKind::Str);
  std::string body = v;
  if (s.precision >= 0 && body.size() > static_cast<std::size_t>(s.precision)) {
    body.resize(static_cast<std::size_t>(s.precision));
  }
  if (s.align == 0) {
    s.align = '<';
  }
  return layout(s, false, "", body, "", 3, false);
}

ArrayRef str_compare(const Array* a, const std::string* as, const Array* b, const std::string* bs,
                     bool negate) {
  const Array* shape_of = a != nullptr ? a : b;
  auto text = [](const Array& x) {
    return x.rank == 1 ? "(" + std::to_string(x.shape[0]) + ",)"
                       : "(" + std::to_string(x.shape[0]) + ", " + std::to_string(x.shape[1]) + ")";
  };
  if (a != nullptr && b != nullptr &&
      (a->rank != b->rank || a->shape[0] != b->shape[0] || a->shape[1] != b->shape[1])) {
    raise("shape mismatch: " + text(*a) + " and " + text(*b));
  }
  Shape shape = shape_of->rank == 2 ? Shape(shape_of->shape[0], shape_of->shape[1])
                                    : Shape(shape_of->shape[0]);
  ArrayRef out = alloc(shape, Elem::Bool);
  bool* o = out->ptr<bool>();
  std::int64_t cols = shape_of->shape[1];
  for (std::int64_t i = 0; i < shape_of->shape[0]; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) {
      const std::string& x = a != nullptr ? a->at<std::string>(i, j) : *as;
      const std::string& y = b != nullptr ? b->at<std::string>(i, j) : *bs;
      o[i * cols + j] = (x == y) != negate;
    }
  }
  return out;
}

}  // namespace kestrel::rt
