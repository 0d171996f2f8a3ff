#include "parser/continuation.hpp"

namespace kestrel::parser {

namespace {

// True when the text ending at `end` (exclusive) ends with the whole word `word`.
bool ends_with_word(std::string_view text, std::size_t end, std::string_view word) {
  if (end < word.size() || text.substr(end - word.size(), word.size()) != word) {
    return false;
  }
  std::size_t start = end - word.size();
  return start == 0 || !is_ident_char(text[start - 1]);
}

// Does a line whose last significant byte is text[last] leave an expression unfinished?
bool ends_in_operator(std::string_view text, std::size_t last) {
  switch (text[last]) {
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
    case '@':
    case '=':
    case '<':
    case '>':
    case '&':
    case '|':
    case '^':
    case '~':
    case ',':
    case '.':
    case '(':
    case '[':
      return true;
    default:
      break;
  }
  std::size_t end = last + 1;
  return ends_with_word(text, end, "and") || ends_with_word(text, end, "or") ||
         ends_with_word(text, end, "not");
}

}  // namespace

bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::size_t comment_or_string_end(std::string_view text, std::size_t i) {
  if (text[i] == '#') {
    while (i + 1 < text.size() && text[i + 1] != '\n') {
      ++i;
    }
  } else if (text[i] == '"') {
    while (i + 1 < text.size() && text[i + 1] != '\n') {
      ++i;
      if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
        ++i;
      } else if (text[i] == '"') {
        break;
      }
    }
  }
  return i;
}

std::vector<std::uint8_t> continuation_map(std::string_view text) {
  std::vector<std::uint8_t> map(text.size(), 0);
  std::vector<char> brackets;  // open ( [ { not yet closed; newlines matter only under '{'
  std::size_t last_significant = std::string_view::npos;  // on the current line
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (c) {
      case '#':
        i = comment_or_string_end(text, i);
        break;
      case '"':
        last_significant = i;
        i = comment_or_string_end(text, i);
        break;
      case '(':
      case '[':
      case '{':
        brackets.push_back(c);
        last_significant = i;
        break;
      case ')':
      case ']':
      case '}': {
        char open = c == ')' ? '(' : c == ']' ? '[' : '{';
        // Pop to the matching bracket; an unmatched closer is left for the parser to report.
        for (std::size_t k = brackets.size(); k > 0; --k) {
          if (brackets[k - 1] == open) {
            brackets.resize(k - 1);
            break;
          }
        }
        last_significant = i;
        break;
      }
      case '\n': {
        bool in_parens = !brackets.empty() && brackets.back() != '{';
        bool dangling =
            last_significant != std::string_view::npos && ends_in_operator(text, last_significant);
        map[i] = (in_parens || dangling) ? 1 : 0;
        last_significant = std::string_view::npos;
        break;
      }
      case ' ':
      case '\t':
      case '\r':
        break;
      default:
        last_significant = i;
        break;
    }
  }
  return map;
}

}  // namespace kestrel::parser
