#include "output_diff.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <vector>

namespace kestrel::cli {

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

/// One line of an edit script: ' ' kept, '-' only in a, '+' only in b.
struct Edit {
  char op;
  std::size_t line;  // in a for ' ' and '-', in b for '+'
};

/// The edit script from a to b: common head and tail, and a longest common subsequence of the
/// middle when it is small enough (else the middle as removed, then added).
std::vector<Edit> edits(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) {
    ++head;
  }
  std::size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head &&
         a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) {
    ++tail;
  }
  std::size_t n = a.size() - head - tail;
  std::size_t m = b.size() - head - tail;
  std::vector<Edit> out;
  for (std::size_t i = 0; i < head; ++i) {
    out.push_back({' ', i});
  }
  constexpr std::size_t kMaxCells = 4'000'000;
  if (n * m <= kMaxCells) {
    // lcs[i][j]: the LCS length of a[head+i..] and b[head+j..].
    std::vector<std::vector<std::uint32_t>> lcs(n + 1, std::vector<std::uint32_t>(m + 1, 0));
    for (std::size_t i = n; i-- > 0;) {
      for (std::size_t j = m; j-- > 0;) {
        lcs[i][j] = a[head + i] == b[head + j] ? lcs[i + 1][j + 1] + 1
                                               : std::max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[head + i] == b[head + j]) {
        out.push_back({' ', head + i});
        ++i;
        ++j;
      } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
        out.push_back({'-', head + i});  // removals first, as diff -u shows them
        ++i;
      } else {
        out.push_back({'+', head + j});
        ++j;
      }
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back({'-', head + i});
    }
    for (std::size_t j = 0; j < m; ++j) {
      out.push_back({'+', head + j});
    }
  }
  for (std::size_t i = 0; i < tail; ++i) {
    out.push_back({' ', a.size() - tail + i});
  }
  return out;
}

}  // namespace

std::string mask_timings(const std::string& out) {
  std::string kept;
  for (const std::string& line : lines_of(out)) {
    std::size_t at = line.find("took");
    while (at != std::string::npos && ((at > 0 && word_char(line[at - 1])) ||
                                       (at + 4 < line.size() && word_char(line[at + 4])))) {
      at = line.find("took", at + 1);
    }
    kept += at == std::string::npos ? line : line.substr(0, at + 4) + " \u2026";
    kept += '\n';
  }
  return kept;
}

std::string unified_diff(const std::string& a, const std::string& b, const std::string& a_name,
                         const std::string& b_name, std::size_t max_lines) {
  if (a == b) {
    return "";
  }
  std::vector<std::string> la = lines_of(a);
  std::vector<std::string> lb = lines_of(b);
  std::vector<Edit> script = edits(la, lb);
  std::string out = "--- " + a_name + "\n+++ " + b_name + "\n";
  std::size_t shown = 0;
  constexpr std::size_t kContext = 2;
  std::size_t k = 0;
  std::size_t printed = 0;  // the end of the last hunk
  while (k < script.size()) {
    if (script[k].op == ' ') {
      ++k;
      continue;
    }
    // A hunk: from kContext lines before this change to kContext after the last change that is
    // at most 2 * kContext kept lines from the one before it.
    std::size_t begin = std::max(printed, k >= kContext ? k - kContext : 0);
    std::size_t end = k;
    std::size_t kept_run = 0;
    for (std::size_t j = k; j < script.size(); ++j) {
      if (script[j].op == ' ') {
        if (++kept_run > 2 * kContext) {
          break;
        }
      } else {
        kept_run = 0;
        end = j + 1;
      }
    }
    end = std::min(script.size(), end + kContext);
    // Line numbers (1-based) and counts on each side.
    std::size_t a_start = 0;
    std::size_t b_start = 0;
    std::size_t a_count = 0;
    std::size_t b_count = 0;
    for (std::size_t j = 0; j < begin; ++j) {
      a_start += script[j].op != '+' ? 1 : 0;
      b_start += script[j].op != '-' ? 1 : 0;
    }
    for (std::size_t j = begin; j < end; ++j) {
      a_count += script[j].op != '+' ? 1 : 0;
      b_count += script[j].op != '-' ? 1 : 0;
    }
    out += "@@ -" + std::to_string(a_start + (a_count > 0 ? 1 : 0)) + "," +
           std::to_string(a_count) + " +" + std::to_string(b_start + (b_count > 0 ? 1 : 0)) + "," +
           std::to_string(b_count) + " @@\n";
    for (std::size_t j = begin; j < end; ++j) {
      if (shown++ == max_lines) {
        return out + "(the diff goes on)\n";
      }
      const std::string& text = script[j].op == '+' ? lb[script[j].line] : la[script[j].line];
      out += script[j].op;
      out += text;
      out += '\n';
    }
    k = end;
    printed = end;
  }
  return out;
}

}  // namespace kestrel::cli
