#pragma once
// The parser's public entry points: source text in, parse tree (or diagnostics) out.
#include <optional>
#include <string>
#include <string_view>

#include "dsl/diag/diagnostic.hpp"
#include "parser/ast.hpp"

namespace kestrel::parser {

/// Brackets and prefix operators may nest this deep; deeper input is a diagnostic, not a crash.
inline constexpr int kMaxNesting = 100;

/// Parses a whole file. On a syntax error, reports it to `diags` and returns nullopt.
/// Never throws on bad input and never hangs: every byte sequence gives a tree or a diagnostic.
std::optional<ast::Program> parse_program(const diag::SourceFile& file,
                                          diag::DiagnosticList& diags);

/// Parses a single expression (the whole text), for the REPL's `:type e`.
std::optional<ast::Expr> parse_expression(const diag::SourceFile& file,
                                          diag::DiagnosticList& diags);

/// The canonical text of a program (`kestrel fmt`): parsing it gives the same tree. With the
/// program's source text, its comments and blank lines are kept (see format.cpp).
std::string format_program(const ast::Program& program, std::string_view source = {});
std::string format_expr(const ast::Expr& expr);
std::string format_type(const ast::Type& type);

/// A span-free S-expression of the tree, for tests: equal dumps mean equal trees.
std::string dump_program(const ast::Program& program);
std::string dump_expr(const ast::Expr& expr);

}  // namespace kestrel::parser
