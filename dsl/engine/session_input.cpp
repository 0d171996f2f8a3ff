// Session::needs_more: whether a REPL line leaves its entry unfinished (an open bracket, a
// trailing operator or decorator), read from the text alone, before any parsing.
#include <cctype>
#include <string>
#include <string_view>

#include "kestrel/kestrel.hpp"

namespace kestrel {

namespace {

/// Whether the last line with code is a decorator alone (`@unchecked`, maybe with a comment):
/// the `fn` it decorates is still to come, as it may be on the next line of a file.
bool ends_in_decorator(const std::string& text) {
  std::size_t end = text.size();
  while (end > 0) {
    std::size_t start = text.rfind('\n', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    std::string_view line(text.data() + start, end - start);
    std::size_t hash = line.find('#');
    line = line.substr(0, hash);
    std::size_t b = line.find_first_not_of(" \t\r");
    if (b != std::string_view::npos) {
      std::size_t e = line.find_last_not_of(" \t\r");
      line = line.substr(b, e - b + 1);
      if (line.size() < 2 || line[0] != '@') {
        return false;
      }
      for (char c : line.substr(1)) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
          return false;
        }
      }
      return true;
    }
    end = start == 0 ? 0 : start - 1;
  }
  return false;
}

}  // namespace

bool Session::needs_more(const std::string& text) {
  int depth = 0;
  char last = 0;          // the last significant character outside strings and comments
  std::string last_word;  // the last identifier-like word, for `and` / `or` / `not`
  bool last_is_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') {
        ++i;
      }
      continue;
    }
    if (c == '"') {
      ++i;
      while (i < text.size() && text[i] != '"' && text[i] != '\n') {
        if (text[i] == '\\') {
          ++i;
        }
        ++i;
      }
      last = '"';
      last_is_word = false;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      --depth;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      continue;
    }
    bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (word) {
      if (!last_is_word) {
        last_word.clear();
      }
      last_word += c;
    }
    last_is_word = word;
    last = c;
  }
  if (depth > 0) {
    return true;
  }
  if (ends_in_decorator(text)) {
    return true;
  }
  if (last_is_word) {
    return last_word == "and" || last_word == "or" || last_word == "not";
  }
  static const std::string kOps = "+-*/%@<>=&|^~,.!";
  return last != 0 && kOps.find(last) != std::string::npos;
}

}  // namespace kestrel
