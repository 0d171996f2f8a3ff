// Expression and type rules, loosest binding first (Python's precedence).
#include <algorithm>
#include <boost/fusion/include/at_c.hpp>

#include "parser/ast_visit.hpp"
#include "parser/grammar_config.hpp"

namespace kestrel::parser::grammar {

namespace {

using ast::BinOp;
using ast::UnOp;
using boost::fusion::at_c;

/// An operator token and where it was written.
struct BinOpTok : ast::Node {
  BinOp op = BinOp::Add;
};
struct UnOpTok : ast::Node {
  UnOp op = UnOp::Neg;
};

// ---- helpers that build the tree --------------------------------------------------------------

/// Appends `op rhs` to the chain held in `val`, or starts a chain when `val` is not a Binary of
/// the same precedence class (a tighter operand, or a parenthesised one, which is a Paren).
void append_chain(ast::Expr& val, const BinOpTok& op, ast::Expr&& rhs) {
  ast::Binary* chain = ast::ast_if<ast::Binary>(val);
  if (chain == nullptr || ast::precedence(chain->rest.front().op) != ast::precedence(op.op)) {
    ast::Binary fresh;
    fresh.begin = ast::span_of(val).begin;
    fresh.first = std::move(val);
    val = std::move(fresh);
    chain = ast::ast_if<ast::Binary>(val);
  }
  ast::BinaryRest rest;
  rest.op = op.op;
  rest.begin = op.begin;
  rest.end = ast::span_of(rhs).end;
  rest.rhs = std::move(rhs);
  chain->end = rest.end;
  chain->rest.push_back(std::move(rest));
}

ast::Expr make_unary(std::vector<UnOpTok>&& toks, ast::Expr&& operand) {
  ast::Unary node;
  node.begin = toks.front().begin;
  node.end = ast::span_of(operand).end;
  for (const UnOpTok& tok : toks) {
    node.ops.push_back(tok.op);
  }
  node.operand = std::move(operand);
  ast::Expr result;
  result = std::move(node);
  return result;
}

template <typename Suffix>
void append_suffix(ast::Expr& val, Suffix&& suffix, std::uint32_t end) {
  ast::Postfix* post = ast::ast_if<ast::Postfix>(val);
  if (post == nullptr) {
    ast::Postfix fresh;
    fresh.begin = ast::span_of(val).begin;
    fresh.primary = std::move(val);
    val = std::move(fresh);
    post = ast::ast_if<ast::Postfix>(val);
  }
  post->end = end;
  post->suffixes.emplace_back(std::forward<Suffix>(suffix));
}

/// The span of a suffix (set by its rule's annotate).
ast::Node span_of_suffix(const ast::Suffix& suffix) {
  return boost::apply_visitor([](const auto& s) { return static_cast<ast::Node>(s); }, suffix);
}

// ---- semantic actions -------------------------------------------------------------------------

const auto set_val = [](auto& ctx) { x3::_val(ctx) = std::move(x3::_attr(ctx)); };

const auto on_chain = [](auto& ctx) {
  auto& attr = x3::_attr(ctx);
  append_chain(x3::_val(ctx), at_c<0>(attr), std::move(at_c<1>(attr)));
};

const auto on_unary = [](auto& ctx) {
  auto& attr = x3::_attr(ctx);
  x3::_val(ctx) = make_unary(std::move(at_c<0>(attr)), std::move(at_c<1>(attr)));
};

const auto on_suffix = [](auto& ctx) {
  std::uint32_t end = span_of_suffix(x3::_attr(ctx)).end;
  append_suffix(x3::_val(ctx), std::move(x3::_attr(ctx)), end);
};

const auto on_op = [](auto& ctx) { x3::_val(ctx).op = x3::_attr(ctx); };

const auto on_name = [](auto& ctx) {
  ast::Ident& id = x3::_attr(ctx);
  ast::Name name;
  name.begin = id.begin;
  name.end = id.end;
  name.name = std::move(id.name);
  x3::_val(ctx) = std::move(name);
};

// `var(` in an expression is numpy's var, the builtin call, not a declaration (`var x = 1`).
const auto on_var_call = [](auto& ctx) {
  auto range = x3::_attr(ctx);
  ast::Name name;
  name.begin = offset(ctx, range.begin());
  name.end = offset(ctx, range.end());
  name.name = "var";
  x3::_val(ctx) = std::move(name);
};

const auto on_bool = [](bool value) {
  return [value](auto& ctx) {
    ast::BoolLit lit;
    lit.value = value;
    x3::_val(ctx) = lit;
  };
};

/// `( e )` is a Paren; `( e, f, … )` a TupleLit.
const auto on_paren = [](auto& ctx) {
  std::vector<ast::Expr>& elems = x3::_attr(ctx);
  if (elems.size() == 1) {
    ast::Paren paren;
    paren.inner = std::move(elems.front());
    x3::_val(ctx) = std::move(paren);
    return;
  }
  ast::TupleLit tuple;
  tuple.elems = std::move(elems);
  x3::_val(ctx) = std::move(tuple);
};

const auto on_array = [](auto& ctx) {
  ast::ArrayLit array;
  if (auto& elems = x3::_attr(ctx)) {
    array.elems = std::move(*elems);
  }
  x3::_val(ctx) = std::move(array);
};

const auto on_keyword_arg = [](auto& ctx) {
  x3::_val(ctx).keyword = std::move(x3::_attr(ctx).name);
};
const auto on_arg_value = [](auto& ctx) { x3::_val(ctx).value = std::move(x3::_attr(ctx)); };

const auto on_call = [](auto& ctx) {
  if (auto& args = x3::_attr(ctx)) {
    x3::_val(ctx).args = std::move(*args);
  }
};
const auto on_index = [](auto& ctx) { x3::_val(ctx).items = std::move(x3::_attr(ctx)); };
const auto on_attr_name = [](auto& ctx) { x3::_val(ctx).name = std::move(x3::_attr(ctx).name); };

/// `: hi?`
const auto on_open_slice = [](auto& ctx) {
  ast::Slice slice;
  slice.hi = std::move(x3::_attr(ctx));
  x3::_val(ctx) = std::move(slice);
};

/// `e`, then possibly `: hi?` turning it into the slice `e : hi?`.
const auto on_subscript_expr = [](auto& ctx) { x3::_val(ctx) = std::move(x3::_attr(ctx)); };
const auto on_subscript_colon = [](auto& ctx) {
  ast::Expr lo = std::move(boost::get<ast::Expr>(x3::_val(ctx).get()));
  ast::Slice slice;
  slice.begin = ast::span_of(lo).begin;
  slice.lo = std::move(lo);
  slice.hi = std::move(x3::_attr(ctx));
  x3::_val(ctx) = std::move(slice);
};

/// `: step?` after a slice's bounds.
const auto on_slice_step = [](auto& ctx) {
  boost::get<ast::Slice>(x3::_val(ctx).get()).step = std::move(x3::_attr(ctx));
};

const auto on_type_name = [](auto& ctx) {
  ast::Ident& id = x3::_attr(ctx);
  ast::NamedType named;
  named.begin = id.begin;
  named.end = id.end;
  named.name = std::move(id.name);
  x3::_val(ctx) = std::move(named);
};
/// `[:, :]` after a type name: the rank is the number of colons.
const auto on_type_rank = [](auto& ctx) {
  auto range = x3::_attr(ctx);
  auto& named = boost::get<ast::NamedType>(x3::_val(ctx).get());
  named.rank = static_cast<int>(std::count(range.begin(), range.end(), ':'));
};

const auto on_tuple_type = [](auto& ctx) {
  ast::TupleType tuple;
  tuple.elems = std::move(x3::_attr(ctx));
  x3::_val(ctx) = std::move(tuple);
};

// ---- operator tables --------------------------------------------------------------------------

struct CompareOps : x3::symbols<BinOp> {
  CompareOps() {
    add("==", BinOp::Eq)("!=", BinOp::Ne)("<", BinOp::Lt)("<=", BinOp::Le)(">", BinOp::Gt)(
        ">=", BinOp::Ge);
  }
};
struct ShiftOps : x3::symbols<BinOp> {
  ShiftOps() { add("<<", BinOp::Shl)(">>", BinOp::Shr); }
};
struct AddOps : x3::symbols<BinOp> {
  AddOps() { add("+", BinOp::Add)("-", BinOp::Sub); }
};
struct MulOps : x3::symbols<BinOp> {
  MulOps() {
    add("*", BinOp::Mul)("/", BinOp::Div)("//", BinOp::FloorDiv)("%", BinOp::Mod)("@",
                                                                                  BinOp::MatMul);
  }
};
struct PrefixOps : x3::symbols<UnOp> {
  PrefixOps() { add("-", UnOp::Neg)("+", UnOp::Pos)("~", UnOp::BitNot); }
};

const CompareOps compare_ops;
const ShiftOps shift_ops;
const AddOps add_ops;
const MulOps mul_ops;
const PrefixOps prefix_ops;

const auto no_assign = !x3::lit('=');  // `+=` is an assignment, not `+` then `=`

// ---- rules ------------------------------------------------------------------------------------

/// Rule ids must be distinct types; these number the anonymous ones.
template <int N>
struct op_id : annotate {};
template <int N>
struct expr_id : annotate {};
struct arg_class : annotate {};
struct call_class : annotate {};
struct index_class : annotate {};
struct attr_class : annotate {};

template <int N>
using binop_rule = x3::rule<op_id<N>, BinOpTok>;
template <int N>
using unop_rule = x3::rule<op_id<N>, UnOpTok>;
template <int N>
using expr_rule = x3::rule<expr_id<N>, ast::Expr>;

const binop_rule<1> or_op = "'or'";
const binop_rule<2> and_op = "'and'";
const binop_rule<3> compare_op = "comparison";
const binop_rule<4> bitor_op = "'|'";
const binop_rule<5> bitxor_op = "'^'";
const binop_rule<6> bitand_op = "'&'";
const binop_rule<7> shift_op = "shift";
const binop_rule<8> add_op = "'+' or '-'";
const binop_rule<9> mul_op = "'*'";
const binop_rule<10> pow_op = "'**'";
const unop_rule<11> not_op = "'not'";
const unop_rule<12> prefix_op = "prefix operator";

const auto or_op_def = build[kw("or")[([](auto& ctx) { x3::_val(ctx).op = BinOp::Or; })]];
const auto and_op_def = build[kw("and")[([](auto& ctx) { x3::_val(ctx).op = BinOp::And; })]];
const auto compare_op_def = build[!x3::lit("<<") >> !x3::lit(">>") >> compare_ops[on_op]];
const auto bitor_op_def =
    build[x3::lit('|')[([](auto& ctx) { x3::_val(ctx).op = BinOp::BitOr; })] >> no_assign];
const auto bitxor_op_def =
    build[x3::lit('^')[([](auto& ctx) { x3::_val(ctx).op = BinOp::BitXor; })] >> no_assign];
const auto bitand_op_def =
    build[x3::lit('&')[([](auto& ctx) { x3::_val(ctx).op = BinOp::BitAnd; })] >> no_assign];
const auto shift_op_def = build[shift_ops[on_op] >> no_assign];
const auto add_op_def = build[add_ops[on_op] >> no_assign];
const auto mul_op_def = build[!x3::lit("**") >> mul_ops[on_op] >> no_assign];
const auto pow_op_def =
    build[x3::lit("**")[([](auto& ctx) { x3::_val(ctx).op = BinOp::Pow; })] >> no_assign];
const auto not_op_def = build[kw("not")[([](auto& ctx) { x3::_val(ctx).op = UnOp::Not; })]];
const auto prefix_op_def = build[prefix_ops[on_op] >> no_assign];

BOOST_SPIRIT_DEFINE(or_op, and_op, compare_op, bitor_op, bitxor_op, bitand_op, shift_op, add_op,
                    mul_op, pow_op, not_op, prefix_op)

const expr_rule<1> or_expr = "expression";
const expr_rule<2> and_expr = "expression";
const expr_rule<3> not_expr = "expression";
const expr_rule<4> comparison = "expression";
const expr_rule<5> bitor_expr = "expression";
const expr_rule<6> bitxor_expr = "expression";
const expr_rule<7> bitand_expr = "expression";
const expr_rule<8> shift_expr = "expression";
const expr_rule<9> add_expr = "expression";
const expr_rule<10> mul_expr = "expression";
const expr_rule<11> unary_expr = "expression";
const expr_rule<12> power = "expression";
const expr_rule<13> pow_rhs = "expression";
const expr_rule<14> postfix = "expression";
const expr_rule<15> primary = "expression";
const x3::rule<arg_class, ast::Arg> arg = "argument";
const x3::rule<call_class, ast::CallSuffix> call = "call";
const x3::rule<index_class, ast::IndexSuffix> index = "index";
const x3::rule<attr_class, ast::AttrSuffix> attribute = "attribute";
struct subscript_class : annotate {};
struct named_type_class : annotate {};
struct tuple_type_class : annotate {};
const x3::rule<subscript_class, ast::Subscript> subscript = "subscript";
const x3::rule<struct suffix_class, ast::Suffix> suffix = "suffix";
const x3::rule<named_type_class, ast::Type> named_type = "type";
const x3::rule<tuple_type_class, ast::Type> tuple_type = "type";

/// expression ::= or_expr   (one nesting level: brackets recurse through here)
const auto expression_def = build[guarded[or_expr[set_val]]];

/// or_expr ::= and_expr ('or' and_expr)*   and likewise for each binary precedence class
const auto or_expr_def = build[and_expr[set_val] >> *((or_op > and_expr)[on_chain])];
const auto and_expr_def = build[not_expr[set_val] >> *((and_op > not_expr)[on_chain])];
/// not_expr ::= 'not'* comparison
const auto not_expr_def = build[(+not_op > comparison)[on_unary] | comparison[set_val]];
const auto comparison_def = build[bitor_expr[set_val] >> *((compare_op > bitor_expr)[on_chain])];
const auto bitor_expr_def = build[bitxor_expr[set_val] >> *((bitor_op > bitxor_expr)[on_chain])];
const auto bitxor_expr_def = build[bitand_expr[set_val] >> *((bitxor_op > bitand_expr)[on_chain])];
const auto bitand_expr_def = build[shift_expr[set_val] >> *((bitand_op > shift_expr)[on_chain])];
const auto shift_expr_def = build[add_expr[set_val] >> *((shift_op > add_expr)[on_chain])];
const auto add_expr_def = build[mul_expr[set_val] >> *((add_op > mul_expr)[on_chain])];
const auto mul_expr_def = build[unary_expr[set_val] >> *((mul_op > unary_expr)[on_chain])];
/// unary_expr ::= ('-' | '+' | '~')* power      (so -x ** 2 is -(x ** 2))
const auto unary_expr_def = build[(+prefix_op > power)[on_unary] | power[set_val]];
/// power ::= postfix ('**' pow_rhs)*            (right-associative, folded by sema)
const auto power_def = build[postfix[set_val] >> *((pow_op > pow_rhs)[on_chain])];
/// pow_rhs ::= prefix_op+ power | postfix        (2 ** -1)
const auto pow_rhs_def = build[guarded[(+prefix_op > power)[on_unary]] | postfix[set_val]];
/// postfix ::= primary (call | index | attribute)*
const auto postfix_def = build[primary[set_val] >> *(suffix[on_suffix])];
const auto suffix_def = build[call[set_val] | index[set_val] | attribute[set_val]];
const auto call_def = build['(' > (-(arg % ',') >> -x3::lit(','))[on_call] > ')'];
/// arg ::= (name '=')? expression
const auto arg_def =
    build[-(ident >> '=' >> !x3::lit('='))[on_keyword_arg] >> expression[on_arg_value]];
const auto index_def = build['[' > named("an index or a slice")[subscript % ','][on_index] > ']'];
/// subscript ::= ':' expression? (':' expression?)?
///              | expression (':' expression? (':' expression?)?)?
const auto subscript_def =
    build[((':' >> -expression)[on_open_slice] >> -(':' >> -expression)[on_slice_step]) |
          (expression[on_subscript_expr] >>
           -((':' >> -expression)[on_subscript_colon] >> -(':' >> -expression)[on_slice_step]))];
const auto attribute_def = build[(!x3::lit("..") >> '.') > ident[on_attr_name]];

/// primary ::= literal | name | '(' expression (',' expression)* ')' | '[' expressions? ']'
const auto primary_def =
    build[float_lit[set_val] | int_lit[set_val] | string_lit[set_val] | kw("true")[on_bool(true)] |
          kw("false")[on_bool(false)] | ident[on_name] |
          (x3::raw[kw("var")] >> &x3::lit('('))[on_var_call] |
          (x3::lit('(') > named("expression")[expression % ','] > ')')[on_paren] |
          (x3::lit('[') > -(expression % ',') >> -x3::lit(',') > ']')[on_array]];

/// type ::= name ('[' ':' (',' ':')* ']')? | '(' type (',' type)* ')'
const auto named_type_def =
    build[ident[on_type_name] >>
          -x3::raw['[' > named("':' (one per axis)")[x3::lit(':') % ','] > ']'][on_type_rank]];
const auto tuple_type_def = build[('(' > named("type")[type % ','] > ')')[on_tuple_type]];
const auto type_def = build[named_type[set_val] | tuple_type[set_val]];

BOOST_SPIRIT_DEFINE(or_expr, and_expr, not_expr, comparison, bitor_expr, bitxor_expr, bitand_expr,
                    shift_expr, add_expr, mul_expr, unary_expr, power, pow_rhs, postfix, primary,
                    arg, call, index, attribute, subscript, suffix, named_type, tuple_type)

}  // namespace

BOOST_SPIRIT_DEFINE(expression, type)
BOOST_SPIRIT_INSTANTIATE(expression_type, Iterator, Context)
BOOST_SPIRIT_INSTANTIATE(type_type, Iterator, Context)

}  // namespace kestrel::parser::grammar
