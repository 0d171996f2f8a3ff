#pragma once
// What every grammar translation unit agrees on: the iterator, the skipper, the parse state in
// the context, span annotation and the nesting guard. Internal to parser/.
#include <boost/spirit/home/x3.hpp>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <vector>

#include "parser/ast.hpp"
#include "parser/parse.hpp"

namespace kestrel::parser::grammar {

namespace x3 = boost::spirit::x3;

using Iterator = const char*;

/// Mutable state shared by the rules of one parse.
struct ParseState {
  const char* base = nullptr;                               // start of the file: spans are offsets
  const std::vector<std::uint8_t>* continuation = nullptr;  // see continuation.hpp
  int depth = 0;  // current nesting, bounded by kMaxNesting
};

/// Thrown (and caught in parse.cpp) when brackets or prefix operators nest past kMaxNesting.
struct NestingTooDeep {
  Iterator where;
};

/// Skips spaces, tabs, comments and the newlines that continue a statement.
struct Skipper : x3::parser<Skipper> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  const ParseState* state = nullptr;

  template <typename It, typename Context, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Context const&, RContext&, Attribute&) const {
    It start = first;
    while (first != last) {
      char c = *first;
      if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++first;
      } else if (c == '#') {
        while (first != last && *first != '\n') {
          ++first;
        }
      } else if (c == '\n' && (*state->continuation)[first - state->base] != 0) {
        ++first;
      } else {
        break;
      }
    }
    return first != start;
  }
};

struct state_tag;

using PhraseContext = x3::phrase_parse_context<Skipper>::type;
using Context = x3::context<state_tag, std::reference_wrapper<ParseState>, PhraseContext>;

template <typename Ctx>
ParseState& state_of(Ctx const& ctx) {
  return x3::get<state_tag>(ctx).get();
}

template <typename Ctx>
std::uint32_t offset(Ctx const& ctx, Iterator it) {
  return static_cast<std::uint32_t>(it - state_of(ctx).base);
}

/// Sets the span of whatever node a variant holds (used by `annotate` for Expr, Type, …).
struct SetSpan {
  using result_type = void;
  std::uint32_t begin, end;
  template <typename T>
  void operator()(x3::forward_ast<T>& node) const {
    (*this)(node.get());
  }
  template <typename T>
  void operator()(T& node) const {
    if constexpr (std::is_base_of_v<ast::Node, T>) {
      node.begin = begin;
      node.end = end;
    } else if constexpr (requires { node.get().which(); }) {
      boost::apply_visitor(*this, node.get());  // a nested variant (Subscript holds an Expr)
    }
  }
};

/// Rule ids deriving from this get their node's span filled in on success: [first token, last).
/// (Actions can't do it: in Boost 1.74 x3::_where does not give the matched range.)
struct annotate {
  template <typename It, typename T, typename Ctx>
  void on_success(It first, It const& last, T& node, Ctx const& ctx) {
    x3::skip_over(first, last, ctx);
    SetSpan{offset(ctx, first), offset(ctx, last)}(node);
  }
};

/// guarded[p]: parses p one nesting level deeper, throwing NestingTooDeep past the limit.
template <typename Subject>
struct depth_guard : x3::unary_parser<Subject, depth_guard<Subject>> {
  using base_type = x3::unary_parser<Subject, depth_guard<Subject>>;
  static bool const is_pass_through_unary = true;
  constexpr depth_guard(Subject const& guarded_subject) : base_type(guarded_subject) {}

  template <typename It, typename Ctx, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Ctx const& ctx, RContext& rctx, Attribute& attr) const {
    ParseState& state = state_of(ctx);
    if (state.depth >= kMaxNesting) {
      throw NestingTooDeep{first};
    }
    struct Leave {
      int& depth;
      ~Leave() { --depth; }
    } leave{++state.depth};
    return this->subject.parse(first, last, ctx, rctx, attr);
  }
};

struct depth_guard_gen {
  template <typename Subject>
  constexpr depth_guard<typename x3::extension::as_parser<Subject>::value_type> operator[](
      Subject const& subject) const {
    return {x3::as_parser(subject)};
  }
};
inline constexpr depth_guard_gen guarded{};

/// build[p]: p's semantic actions build the rule's attribute (through _val); nothing is
/// propagated automatically. Unlike x3::omit it reports no actions to the enclosing rule, so the
/// rule hands its real attribute to on_success (annotate) instead of x3::unused.
template <typename Subject>
struct build_directive : x3::unary_parser<Subject, build_directive<Subject>> {
  using base_type = x3::unary_parser<Subject, build_directive<Subject>>;
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  static bool const has_action = false;
  constexpr build_directive(Subject const& built_subject) : base_type(built_subject) {}

  template <typename It, typename Ctx, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Ctx const& ctx, RContext& rctx, Attribute&) const {
    return this->subject.parse(first, last, ctx, rctx, x3::unused);
  }
};

struct build_gen {
  template <typename Subject>
  constexpr build_directive<typename x3::extension::as_parser<Subject>::value_type> operator[](
      Subject const& subject) const {
    return {x3::as_parser(subject)};
  }
};
inline constexpr build_gen build{};

/// named("what")[p]: p, described as "what" when an expectation of it fails.
template <typename Subject>
struct named_directive : x3::unary_parser<Subject, named_directive<Subject>> {
  using base_type = x3::unary_parser<Subject, named_directive<Subject>>;
  static bool const is_pass_through_unary = true;
  constexpr named_directive(Subject const& named_subject, const char* what)
      : base_type(named_subject), name(what) {}

  template <typename It, typename Ctx, typename RContext, typename Attribute>
  bool parse(It& first, It const& last, Ctx const& ctx, RContext& rctx, Attribute& attr) const {
    return this->subject.parse(first, last, ctx, rctx, attr);
  }

  const char* name;
};

struct named_gen {
  const char* name;
  template <typename Subject>
  constexpr named_directive<typename x3::extension::as_parser<Subject>::value_type> operator[](
      Subject const& subject) const {
    return {x3::as_parser(subject), name};
  }
};
constexpr named_gen named(const char* what) { return {what}; }

// ---- rules shared across translation units --------------------------------------------------

struct ident_class;
struct int_lit_class;
struct float_lit_class;
struct string_lit_class;
struct expression_class;
struct type_class;
struct program_class;

using ident_type = x3::rule<ident_class, ast::Ident>;
using int_lit_type = x3::rule<int_lit_class, ast::IntLit>;
using float_lit_type = x3::rule<float_lit_class, ast::FloatLit>;
using string_lit_type = x3::rule<string_lit_class, ast::StrLit>;
using expression_type = x3::rule<expression_class, ast::Expr>;
using type_type = x3::rule<type_class, ast::Type>;
using program_type = x3::rule<program_class, ast::Program>;

BOOST_SPIRIT_DECLARE(ident_type, int_lit_type, float_lit_type, string_lit_type, expression_type,
                     type_type, program_type)

// The rule objects are just an id and a name; each translation unit may use them, and the one
// that defines a rule (BOOST_SPIRIT_DEFINE) instantiates it for Iterator and Context.
inline const ident_type ident = "name";
inline const int_lit_type int_lit = "integer";
inline const float_lit_type float_lit = "number";
inline const string_lit_type string_lit = "string";
inline const expression_type expression = "expression";
inline const type_type type = "type";
inline const program_type program = "program";

/// Reserved words: never identifiers.
bool is_keyword(std::string_view word);

/// A letter, digit or '_'. Explicit ranges, not x3::alnum: that calls isalnum, which is undefined
/// for bytes above 0x7f (and asserts in Boost's debug build).
inline const auto word_char =
    x3::char_('a', 'z') | x3::char_('A', 'Z') | x3::char_('0', '9') | x3::char_('_');

/// kw("if"): the whole word, not a prefix of a longer identifier.
inline auto kw(const char* word) { return x3::lexeme[x3::lit(word) >> !word_char]; }

}  // namespace kestrel::parser::grammar

namespace boost::spirit::x3 {

// An action is described by what it acts on, so `> block[on_body]` fails as "expected '{'".
template <typename Subject, typename Action>
struct get_info<action<Subject, Action>> {
  using result_type = std::string;
  std::string operator()(action<Subject, Action> const& p) const { return what(p.subject); }
};

template <typename Subject>
struct get_info<kestrel::parser::grammar::named_directive<Subject>> {
  using result_type = std::string;
  std::string operator()(kestrel::parser::grammar::named_directive<Subject> const& p) const {
    return p.name;
  }
};

}  // namespace boost::spirit::x3
