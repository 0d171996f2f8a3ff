#include "parser/parse.hpp"

#include <cstdio>

#include "parser/continuation.hpp"
#include "parser/grammar_config.hpp"

namespace kestrel::parser {

namespace {

using grammar::Iterator;
namespace x3 = boost::spirit::x3;

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/// What stands at `where`, for "found …": a word, a symbol, end of line or end of file.
std::string describe_token(Iterator where, Iterator last) {
  while (where != last && (*where == ' ' || *where == '\t' || *where == '\r')) {
    ++where;
  }
  if (where == last) {
    return "end of file";
  }
  if (*where == '\n') {
    return "end of line";
  }
  if (*where == '#') {
    return "comment";
  }
  auto byte = static_cast<unsigned char>(*where);
  if (byte < 0x20 || byte >= 0x7f) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", byte);
    std::string token = "byte '";
    token += buf;
    token += '\'';
    return token;
  }
  Iterator end = where + 1;
  if (is_word_char(*where)) {
    while (end != last && is_word_char(*end) && end - where < 32) {
      ++end;
    }
  } else {
    static constexpr const char* kTwoChar[] = {"**", "//", "==", "!=", "<=", ">=", "<<",
                                               ">>", "+=", "-=", "*=", "/=", "->", ".."};
    for (const char* op : kTwoChar) {
      if (last - where >= 2 && where[0] == op[0] && where[1] == op[1]) {
        end = where + 2;
        break;
      }
    }
  }
  std::string token = "'";  // built by appending: GCC 12 misreports `"'" + string` (-Wrestrict)
  token.append(where, end);
  token += '\'';
  return token;
}

/// X3 names literal strings "\"..\""; we quote everything the same way: '..'.
std::string describe_expected(std::string which) {
  // An expectation point without a rule name would print X3's C++ type name: say something a
  // user can read (fuzz/run_fuzz aborts on this text, so such a point gets its name; with
  // KESTREL_DEBUG_GRAMMAR set the type name is shown, to find which point it is).
  if (which.find("boost") != std::string::npos || which.find("spirit") != std::string::npos) {
    return std::getenv("KESTREL_DEBUG_GRAMMAR") != nullptr ? which : "valid syntax here";
  }
  if (which.size() >= 2 && which.front() == '"' && which.back() == '"') {
    which = "'" + which.substr(1, which.size() - 2) + "'";
  }
  return which;
}

// Skips what the grammar's skipper skips, so a diagnostic points at the offending token.
Iterator skip_blanks(Iterator where, Iterator last, const grammar::ParseState& state) {
  while (where != last) {
    char c = *where;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      ++where;
    } else if (c == '#') {
      while (where != last && *where != '\n') {
        ++where;
      }
    } else if (c == '\n' && (*state.continuation)[where - state.base] != 0) {
      ++where;
    } else {
      break;
    }
  }
  return where;
}

void report_expectation(const diag::SourceFile& file, const grammar::ParseState& state,
                        const x3::expectation_failure<Iterator>& failure,
                        diag::DiagnosticList& diags) {
  Iterator last = file.text().data() + file.text().size();
  Iterator where = skip_blanks(failure.where(), last, state);
  auto at = static_cast<std::uint32_t>(where - state.base);
  std::string expected = describe_expected(failure.which());
  if (expected == "closing quote") {
    // Point at the opening quote: the last unescaped '"' on this line before `where`.
    Iterator open = where;
    while (open != state.base && open[-1] != '\n') {
      --open;
      if (*open == '"' && (open == state.base || open[-1] != '\\')) {
        break;
      }
    }
    auto begin = static_cast<std::uint32_t>(open - state.base);
    diags.report(diag::Kind::UnterminatedString, diag::Span{file.id(), begin, at},
                 "unterminated string literal: expected '\"' before the end of the line");
    return;
  }
  std::string found = describe_token(where, last);
  std::uint32_t end = at;
  if (found.size() > 2 && found.front() == '\'') {
    end = at + static_cast<std::uint32_t>(found.size() - 2);
  }
  diags.report(diag::Kind::SyntaxError, diag::Span{file.id(), at, end},
               "expected " + expected + ", found " + found);
}

/// The character at `at`, or an empty span at the end of the file.
diag::Span one_char_span(const diag::SourceFile& file, std::uint32_t at) {
  auto size = static_cast<std::uint32_t>(file.text().size());
  return diag::Span{file.id(), at, at < size ? at + 1 : at};
}

template <typename Rule, typename Attr>
bool run_parser(const diag::SourceFile& file, const Rule& rule, Attr& attr,
                diag::DiagnosticList& diags) {
  const std::string& text = file.text();
  std::vector<std::uint8_t> continuation = continuation_map(text);
  grammar::ParseState state;
  state.base = text.data();
  state.continuation = &continuation;
  grammar::Skipper skipper;
  skipper.state = &state;
  Iterator first = text.data();
  Iterator last = first + text.size();
  try {
    bool ok = x3::phrase_parse(first, last, x3::with<grammar::state_tag>(std::ref(state))[rule],
                               skipper, attr);
    first = skip_blanks(first, last, state);
    if (ok && first == last) {
      return true;
    }
    auto at = static_cast<std::uint32_t>(first - state.base);
    diags.report(diag::Kind::SyntaxError, one_char_span(file, at),
                 "unexpected " + describe_token(first, last));
  } catch (const x3::expectation_failure<Iterator>& failure) {
    report_expectation(file, state, failure, diags);
  } catch (const grammar::NestingTooDeep& deep) {
    auto at = static_cast<std::uint32_t>(deep.where - state.base);
    diags.report(diag::Kind::NestingTooDeep, one_char_span(file, at),
                 "nested too deeply (the limit is " + std::to_string(kMaxNesting) +
                     " levels of brackets, blocks and prefix operators)");
  }
  return false;
}

}  // namespace

std::optional<ast::Program> parse_program(const diag::SourceFile& file,
                                          diag::DiagnosticList& diags) {
  ast::Program program;
  if (!run_parser(file, grammar::program, program, diags)) {
    return std::nullopt;
  }
  program.begin = 0;
  program.end = static_cast<std::uint32_t>(file.text().size());
  return program;
}

std::optional<ast::Expr> parse_expression(const diag::SourceFile& file,
                                          diag::DiagnosticList& diags) {
  ast::Expr expr;
  if (!run_parser(file, grammar::expression, expr, diags)) {
    return std::nullopt;
  }
  return expr;
}

}  // namespace kestrel::parser
