// Lexical rules: identifiers, keywords, and number and string literals.
#include <algorithm>
#include <array>
#include <string_view>

#include "parser/grammar_config.hpp"

namespace kestrel::parser::grammar {

namespace {

constexpr std::array<std::string_view, 20> kKeywords = {
    "and", "break",  "by",  "continue", "else", "false",    "fn",     "for",  "if",  "import",
    "in",  "kernel", "let", "not",      "or",   "parallel", "return", "true", "var", "while"};

const auto letter = x3::char_('a', 'z') | x3::char_('A', 'Z') | x3::char_('_');
const auto digit = x3::char_('0', '9');

/// The exponent of a float literal: e-3, E+10.
const auto exponent = (x3::lit('e') | x3::lit('E')) >> -(x3::lit('+') | x3::lit('-')) >> +digit;

template <typename Ctx, typename Node, typename Range>
void set_span(Ctx const& ctx, Node& node, Range const& range) {
  node.begin = offset(ctx, range.begin());
  node.end = offset(ctx, range.end());
}

const auto on_ident = [](auto& ctx) {
  auto range = x3::_attr(ctx);
  std::string_view word(range.begin(), static_cast<std::size_t>(range.end() - range.begin()));
  if (is_keyword(word)) {
    x3::_pass(ctx) = false;
    return;
  }
  auto& node = x3::_val(ctx);
  node.name.assign(word);
  set_span(ctx, node, range);
};

const auto on_number = [](auto& ctx) {
  auto range = x3::_attr(ctx);
  auto& node = x3::_val(ctx);
  node.text.assign(range.begin(), range.end());
  set_span(ctx, node, range);
};

const auto on_string = [](auto& ctx) {
  auto range = x3::_attr(ctx);
  auto& node = x3::_val(ctx);
  set_span(ctx, node, range);
  // Resolve escapes; the grammar has already validated them.
  std::string value;
  for (auto it = range.begin() + 1; it + 1 < range.end(); ++it) {
    char c = *it;
    if (c == '\\') {
      ++it;
      switch (*it) {
        case 'n':
          c = '\n';
          break;
        case 't':
          c = '\t';
          break;
        case 'r':
          c = '\r';
          break;
        case '0':
          c = '\0';
          break;
        default:
          c = *it;  // \\ and \"
          break;
      }
    }
    value += c;
  }
  node.value = std::move(value);
};

const x3::rule<struct escape_class> escape_char = "escape sequence (\\n \\t \\r \\0 \\\\ \\\")";
const auto escape_char_def = x3::char_("ntr0\\\"");
const x3::rule<struct closing_quote_class> closing_quote = "closing quote";
const auto closing_quote_def = x3::lit('"');
BOOST_SPIRIT_DEFINE(escape_char, closing_quote)

const auto ident_def = build[x3::raw[x3::lexeme[letter >> *word_char]][on_ident]];

/// int ::= digit+ ('i32' | 'i64')?   (not followed by '.digit', an exponent or a letter)
const auto int_lit_def =
    build[x3::raw[x3::lexeme[+digit >> -(x3::lit("i32") | x3::lit("i64")) >> !word_char >>
                             !(x3::lit('.') >> digit)]][on_number]];

/// float ::= digit+ ('.' digit+ exponent? | exponent) ('f32' | 'f64')?
const auto float_lit_def =
    build[x3::raw[x3::lexeme[+digit >> ((x3::lit('.') >> +digit >> -exponent) | exponent) >>
                             -(x3::lit("f32") | x3::lit("f64")) >> !word_char]][on_number]];

/// string ::= '"' (char | '\' escape)* '"'   on one line
const auto string_lit_def =
    build[x3::raw[x3::lexeme[('"' >> *(('\\' > escape_char) | (x3::char_ - '"' - '\\' - '\n'))) >
                             closing_quote]][on_string]];

}  // namespace

BOOST_SPIRIT_DEFINE(ident, int_lit, float_lit, string_lit)

bool is_keyword(std::string_view word) {
  return std::find(kKeywords.begin(), kKeywords.end(), word) != kKeywords.end();
}

BOOST_SPIRIT_INSTANTIATE(ident_type, Iterator, Context)
BOOST_SPIRIT_INSTANTIATE(int_lit_type, Iterator, Context)
BOOST_SPIRIT_INSTANTIATE(float_lit_type, Iterator, Context)
BOOST_SPIRIT_INSTANTIATE(string_lit_type, Iterator, Context)

}  // namespace kestrel::parser::grammar
