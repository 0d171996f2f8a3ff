// Statement, block, definition and program rules.
#include "parser/grammar_config.hpp"

namespace kestrel::parser::grammar {

namespace {

// ---- semantic actions -------------------------------------------------------------------------

/// Wraps a statement node (built in `_val` of its own rule) into the Stmt variant.
const auto set_val = [](auto& ctx) { x3::_val(ctx) = std::move(x3::_attr(ctx)); };

const auto on_let_kind = [](bool is_var) {
  return [is_var](auto& ctx) { x3::_val(ctx).is_var = is_var; };
};
const auto on_let_names = [](auto& ctx) {
  x3::_val(ctx).destructure = true;
  x3::_val(ctx).names = std::move(x3::_attr(ctx));
};
const auto on_let_name = [](auto& ctx) {
  x3::_val(ctx).names.push_back(std::move(x3::_attr(ctx)));
};
const auto on_type = [](auto& ctx) { x3::_val(ctx).type = std::move(x3::_attr(ctx)); };
const auto on_value = [](auto& ctx) { x3::_val(ctx).value = std::move(x3::_attr(ctx)); };

/// A bare expression, then possibly `op value` turning it into an assignment.
const auto on_expr_stmt = [](auto& ctx) {
  ast::ExprStmt stmt;
  ast::Node span = ast::span_of(x3::_attr(ctx));
  stmt.begin = span.begin;
  stmt.end = span.end;
  stmt.expr = std::move(x3::_attr(ctx));
  x3::_val(ctx) = std::move(stmt);
};
const auto on_assign_op = [](auto& ctx) {
  ast::ExprStmt& lhs = boost::get<ast::ExprStmt>(x3::_val(ctx).get());
  ast::AssignStmt stmt;
  stmt.begin = lhs.begin;
  stmt.target = std::move(lhs.expr);
  stmt.op = x3::_attr(ctx);
  x3::_val(ctx) = std::move(stmt);
};
const auto on_assign_value = [](auto& ctx) {
  ast::AssignStmt& stmt = boost::get<ast::AssignStmt>(x3::_val(ctx).get());
  stmt.value = std::move(x3::_attr(ctx));
  stmt.end = ast::span_of(stmt.value).end;
};

const auto on_if_cond = [](auto& ctx) { x3::_val(ctx).cond = std::move(x3::_attr(ctx)); };
const auto on_then = [](auto& ctx) { x3::_val(ctx).then_body = std::move(x3::_attr(ctx)); };
const auto on_else_if = [](auto& ctx) {
  x3::_val(ctx).else_ifs.push_back(std::move(x3::_attr(ctx)));
};
const auto on_else = [](auto& ctx) { x3::_val(ctx).else_body = std::move(x3::_attr(ctx)); };
const auto on_cond = [](auto& ctx) { x3::_val(ctx).cond = std::move(x3::_attr(ctx)); };
const auto on_body = [](auto& ctx) { x3::_val(ctx).body = std::move(x3::_attr(ctx)); };

const auto on_parallel = [](bool parallel) {
  return [parallel](auto& ctx) { x3::_val(ctx).parallel = parallel; };
};
const auto on_for_var = [](auto& ctx) { x3::_val(ctx).var = std::move(x3::_attr(ctx)); };
const auto on_lo = [](auto& ctx) { x3::_val(ctx).lo = std::move(x3::_attr(ctx)); };
const auto on_hi = [](auto& ctx) { x3::_val(ctx).hi = std::move(x3::_attr(ctx)); };
const auto on_step = [](auto& ctx) { x3::_val(ctx).step = std::move(x3::_attr(ctx)); };
const auto on_each = [](auto& ctx) { x3::_val(ctx).each = true; };

const auto on_return_value = [](auto& ctx) { x3::_val(ctx).value = std::move(x3::_attr(ctx)); };
const auto on_module = [](auto& ctx) { x3::_val(ctx).module = std::move(x3::_attr(ctx)); };

const auto on_decorator = [](auto& ctx) { x3::_val(ctx).name = std::move(x3::_attr(ctx).name); };
const auto on_decorators = [](auto& ctx) { x3::_val(ctx).decorators = std::move(x3::_attr(ctx)); };
const auto on_fn_kind = [](auto& ctx) { x3::_val(ctx).is_kernel = x3::_attr(ctx); };
const auto on_fn_name = [](auto& ctx) { x3::_val(ctx).name = std::move(x3::_attr(ctx)); };
const auto on_params = [](auto& ctx) {
  if (auto& params = x3::_attr(ctx)) {
    x3::_val(ctx).params = std::move(*params);
  }
};
const auto on_ret = [](auto& ctx) { x3::_val(ctx).ret = std::move(x3::_attr(ctx)); };
const auto on_param_name = [](auto& ctx) { x3::_val(ctx).name = std::move(x3::_attr(ctx)); };
const auto on_param_type = [](auto& ctx) { x3::_val(ctx).type = std::move(x3::_attr(ctx)); };

const auto on_stmt = [](auto& ctx) { x3::_val(ctx).stmts.push_back(std::move(x3::_attr(ctx))); };

struct AssignOps : x3::symbols<ast::AssignOp> {
  AssignOps() {
    add("=", ast::AssignOp::Set)("+=", ast::AssignOp::Add)("-=", ast::AssignOp::Sub)(
        "*=", ast::AssignOp::Mul)("/=", ast::AssignOp::Div);
  }
};
const AssignOps assign_ops;

// ---- rules ------------------------------------------------------------------------------------

struct let_class : annotate {};
struct if_class : annotate {};
struct else_if_class : annotate {};
struct while_class : annotate {};
struct for_class : annotate {};
struct return_class : annotate {};
struct break_class : annotate {};
struct continue_class : annotate {};
struct import_class : annotate {};
struct fn_class : annotate {};
struct param_class : annotate {};
struct decorator_class : annotate {};
struct block_class : annotate {};
struct program_body_class : annotate {};

const x3::rule<struct statement_class, ast::Stmt> statement = "statement";
const x3::rule<let_class, ast::LetStmt> let_stmt = "let";
const x3::rule<struct expr_stmt_class, ast::Stmt> expr_stmt = "statement";
const x3::rule<if_class, ast::IfStmt> if_stmt = "if";
const x3::rule<else_if_class, ast::ElseIf> else_if = "else if";
const x3::rule<while_class, ast::WhileStmt> while_stmt = "while";
const x3::rule<for_class, ast::ForStmt> for_stmt = "for";
const x3::rule<return_class, ast::ReturnStmt> return_stmt = "return";
const x3::rule<break_class, ast::BreakStmt> break_stmt = "break";
const x3::rule<continue_class, ast::ContinueStmt> continue_stmt = "continue";
const x3::rule<import_class, ast::ImportStmt> import_stmt = "import";
const x3::rule<fn_class, ast::FnDef> fn_def = "definition";
const x3::rule<param_class, ast::Param> param = "parameter";
const x3::rule<decorator_class, ast::Decorator> decorator = "decorator";
const x3::rule<block_class, ast::Block> block = "'{'";
const x3::rule<struct block_close_class> block_close = "'}'";
const x3::rule<struct stmt_end_class> stmt_end = "end of statement (newline or ';')";
const x3::rule<struct block_stmt_end_class> block_stmt_end =
    "end of statement (newline, ';' or '}')";
const x3::rule<struct assign_op_class, ast::AssignOp> assign_op = "assignment";
const x3::rule<struct dotdot_class> dotdot = "'..'";
const x3::rule<struct for_keyword_class> for_keyword = "'for'";
const x3::rule<struct in_keyword_class> in_keyword = "'in'";
const x3::rule<struct fn_keyword_class, bool> fn_keyword = "'fn' or 'kernel'";

const auto sep = x3::lit('\n') | x3::lit(';');

/// assign_op ::= '=' | '+=' | '-=' | '*=' | '/='
const auto assign_op_def = !x3::lit("==") >> assign_ops;

/// statement ::= definition | import | let | if | while | for | break | continue | return
///             | expression (assign_op expression)?
const auto statement_def =
    build[fn_def[set_val] | import_stmt[set_val] | let_stmt[set_val] | if_stmt[set_val] |
          while_stmt[set_val] | for_stmt[set_val] | break_stmt[set_val] | continue_stmt[set_val] |
          return_stmt[set_val] | expr_stmt[set_val]];

const auto expr_stmt_def =
    build[expression[on_expr_stmt] >> -(assign_op[on_assign_op] > expression[on_assign_value])];

/// let ::= ('let' | 'var') (name | '(' name (',' name)* ')') (':' type)? '=' expression
const auto let_stmt_def =
    build[(kw("let")[on_let_kind(false)] | kw("var")[on_let_kind(true)]) >
          named("name")[('(' > named("name")[ident % ','] > ')')[on_let_names] |
                        ident[on_let_name]] > -(':' > type[on_type]) > '=' > expression[on_value]];

/// if ::= 'if' expression block ('else' 'if' expression block)* ('else' block)?
const auto if_stmt_def =
    build[(kw("if") > expression[on_if_cond] > block[on_then]) >> *else_if[on_else_if] >>
          -((*x3::lit('\n') >> kw("else")) > block[on_else])];
const auto else_if_def =
    build[(*x3::lit('\n') >> kw("else") >> kw("if")) > expression[on_cond] > block[on_body]];

/// while ::= 'while' expression block
const auto while_stmt_def = build[kw("while") > expression[on_cond] > block[on_body]];

/// for ::= 'parallel'? 'for' name 'in' expression ('..' expression ('by' expression)?)? block
/// (without '..' the expression is a block source: `for b in npy_blocks(…) { … }`)
const auto for_stmt_def =
    build[((kw("parallel") > for_keyword)[on_parallel(true)] | for_keyword[on_parallel(false)]) >
          ident[on_for_var] > in_keyword > expression[on_lo] >
          ((dotdot > expression[on_hi] > -(kw("by") > expression[on_step])) | x3::eps[on_each]) >
          block[on_body]];
const auto dotdot_def = x3::lit("..");
const auto for_keyword_def = kw("for");
const auto in_keyword_def = kw("in");

/// return ::= 'return' expression?
const auto return_stmt_def = build[kw("return") >> -expression[on_return_value]];

const auto break_stmt_def = build[kw("break")];
const auto continue_stmt_def = build[kw("continue")];

/// import ::= 'import' name
const auto import_stmt_def = build[kw("import") > ident[on_module]];

/// definition ::= decorator* ('fn' | 'kernel') name '(' params? ')' ('->' type)? block
const auto fn_def_def =
    build[(((+(decorator >> *x3::lit('\n')))[on_decorators] > fn_keyword[on_fn_kind]) |
           fn_keyword[on_fn_kind]) > ident[on_fn_name] > '(' >
          (-(param % ',') >> -x3::lit(','))[on_params] > ')' > -(x3::lit("->") > type[on_ret]) >
          block[on_body]];
const auto fn_keyword_def = (kw("fn") >> x3::attr(false)) | (kw("kernel") >> x3::attr(true));
const auto decorator_def = build['@' > ident[on_decorator]];
const auto param_def = build[ident[on_param_name] > ':' > type[on_param_type]];

/// block ::= '{' (statement (sep | &'}'))* '}'
const auto block_def =
    build[guarded['{' > *sep > *((!(x3::lit('}') | x3::eoi)) > statement[on_stmt] >
                                 block_stmt_end) > block_close]];
const auto block_close_def = x3::lit('}');
const auto stmt_end_def = (+sep) | x3::eoi;
/// Named, so that a failure says what it expected (unnamed, X3 printed its C++ type name).
const auto block_stmt_end_def = (+sep) | &x3::lit('}');

BOOST_SPIRIT_DEFINE(statement, let_stmt, expr_stmt, if_stmt, else_if, while_stmt, for_stmt,
                    return_stmt, break_stmt, continue_stmt, import_stmt, fn_def, param, decorator,
                    block, block_close, stmt_end, block_stmt_end, assign_op, dotdot, for_keyword,
                    in_keyword, fn_keyword)

}  // namespace

/// program ::= sep* (statement stmt_end)* end-of-file
const auto program_def = build[*sep > *((!x3::eoi) > statement[on_stmt] > stmt_end) > x3::eoi];

BOOST_SPIRIT_DEFINE(program)
BOOST_SPIRIT_INSTANTIATE(program_type, Iterator, Context)

}  // namespace kestrel::parser::grammar
