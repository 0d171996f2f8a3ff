// t.group_codes("x") and t.group_labels("x"): a key column's groups numbered in the order pandas'
// groupby sorts them. This is a builtin, not Kestrel in stdlib/groupby.kst, because it works on
// the text of the cells (deciding whether the column is numeric, and comparing strings byte by
// byte), which Kestrel code cannot reach: a table gives it only typed columns. The multi-key
// groupby itself (stdlib/groupby.kst) is Kestrel over these codes.
#include <charconv>
#include <cmath>
#include <map>

#include "runtime/csv.hpp"
#include "runtime/format.hpp"

namespace kestrel::rt {

namespace {

bool parse_i64(std::string_view v, std::int64_t& out) {
  if (!v.empty() && v.front() == '+') {
    v.remove_prefix(1);
  }
  auto res = std::from_chars(v.data(), v.data() + v.size(), out);
  return res.ec == std::errc{} && res.ptr == v.data() + v.size();
}

/// As Table::f64 reads a field (csv_detail::read_f64), after an optional '+'.
bool parse_f64(std::string_view v, double& out) {
  if (!v.empty() && v.front() == '+') {
    v.remove_prefix(1);
  }
  return csv_detail::read_f64(v, out);
}

/// A column's groups: each row's code (-1 when missing) and the groups' keys as text.
struct Groups {
  std::vector<std::int64_t> codes;
  std::vector<std::string> labels;
};

/// Numbers the distinct keys of `keys` ((present, key) per row) in ascending order.
template <class K, class Label>
Groups number(const std::vector<std::pair<bool, K>>& keys, Label label) {
  std::map<K, std::int64_t> order;
  for (const auto& [present, k] : keys) {
    if (present) {
      order.emplace(k, 0);
    }
  }
  Groups g;
  for (auto& [k, code] : order) {
    code = static_cast<std::int64_t>(g.labels.size());
    g.labels.push_back(label(k));
  }
  g.codes.reserve(keys.size());
  for (const auto& [present, k] : keys) {
    g.codes.push_back(present ? order.find(k)->second : -1);
  }
  return g;
}

Groups groups_of(const Table& t, std::int64_t c) {
  std::int64_t n = t.rows();
  std::vector<std::string> cells;
  cells.reserve(static_cast<std::size_t>(n));
  for (std::int64_t r = 0; r < n; ++r) {
    cells.push_back(t.cell(r, c));
  }
  // Integers, when every present field is one.
  std::vector<std::pair<bool, std::int64_t>> ints;
  bool all_int = true;
  for (const std::string& s : cells) {
    std::string_view v = csv_detail::trim(s);
    std::int64_t i = 0;
    if (v.empty()) {
      ints.emplace_back(false, 0);
    } else if (parse_i64(v, i)) {
      ints.emplace_back(true, i);
    } else {
      all_int = false;
      break;
    }
  }
  if (all_int) {
    return number(ints, [](std::int64_t k) { return format_int(k); });
  }
  // Floats, when every present field is a number; nan is missing, as pandas' groupby drops it.
  std::vector<std::pair<bool, double>> floats;
  bool all_float = true;
  for (const std::string& s : cells) {
    std::string_view v = csv_detail::trim(s);
    double d = 0;
    if (v.empty()) {
      floats.emplace_back(false, 0.0);
    } else if (parse_f64(v, d)) {
      floats.emplace_back(!std::isnan(d), d == 0.0 ? 0.0 : d);  // -0.0 and 0.0: one group
    } else {
      all_float = false;
      break;
    }
  }
  if (all_float) {
    return number(floats, [](double k) { return format_float(k); });
  }
  // Text, in byte order (std::string compares as unsigned bytes); an empty field is missing.
  std::vector<std::pair<bool, std::string>> texts;
  texts.reserve(cells.size());
  for (std::string& s : cells) {
    bool present = !s.empty();
    texts.emplace_back(present, std::move(s));
  }
  return number(texts, [](const std::string& k) { return k; });
}

}  // namespace

ArrayRef Table::group_codes(std::string_view name) const {
  Groups g = groups_of(*this, column_index(name));
  return from_values<std::int64_t>(std::span<const std::int64_t>(g.codes.data(), g.codes.size()),
                                   Shape(rows_));
}

ArrayRef Table::group_labels(std::string_view name) const {
  Groups g = groups_of(*this, column_index(name));
  return from_values<std::string>(std::span<const std::string>(g.labels.data(), g.labels.size()),
                                  Shape(static_cast<std::int64_t>(g.labels.size())));
}

}  // namespace kestrel::rt
