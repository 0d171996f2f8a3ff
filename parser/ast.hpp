#pragma once
// The parse tree: what the X3 grammar produces, one struct per construct, each with its source
// span. Operator chains are kept flat (`a + b - c` is one Binary with two rest items), so the
// tree's depth is bounded by bracket nesting, which the parser limits; sema folds chains into
// the typed IR. Parentheses are kept (Paren) so `kestrel fmt` reproduces the source's grouping.
#include <boost/optional.hpp>
#include <boost/spirit/home/x3/support/ast/variant.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace kestrel::parser::ast {

namespace x3 = boost::spirit::x3;

/// Every node's byte span in its file: [begin, end).
struct Node {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

// ---- expressions -----------------------------------------------------------------------------

enum class BinOp : std::uint8_t {
  Or,
  And,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  BitOr,
  BitXor,
  BitAnd,
  Shl,
  Shr,
  Add,
  Sub,
  Mul,
  Div,
  FloorDiv,
  Mod,
  MatMul,
  Pow,
};

enum class UnOp : std::uint8_t { Neg, Pos, Not, BitNot };

/// Precedence classes, loosest first (Python's order). Operators of one class share a chain.
enum class Prec : std::uint8_t { Or, And, Compare, BitOr, BitXor, BitAnd, Shift, Add, Mul, Pow };

Prec precedence(BinOp op);
const char* spelling(BinOp op);
const char* spelling(UnOp op);

struct Name : Node {
  std::string name;
};

/// `42`, `42i32`, `7i64`: the digits and the suffix, as written.
struct IntLit : Node {
  std::string text;
};

/// `3.5`, `1e-3`, `2.5f32`: as written.
struct FloatLit : Node {
  std::string text;
};

struct BoolLit : Node {
  bool value = false;
};

/// A string literal; `value` holds the text with escapes already resolved.
struct StrLit : Node {
  std::string value;
};

struct Paren;
struct TupleLit;
struct ArrayLit;
struct Unary;
struct Binary;
struct Postfix;

/// expr ::= any of the alternatives below
struct Expr
    : x3::variant<Name, IntLit, FloatLit, BoolLit, StrLit, x3::forward_ast<Paren>,
                  x3::forward_ast<TupleLit>, x3::forward_ast<ArrayLit>, x3::forward_ast<Unary>,
                  x3::forward_ast<Binary>, x3::forward_ast<Postfix>> {
  using base_type::base_type;
  using base_type::operator=;
};

/// `(e)`
struct Paren : Node {
  Expr inner;
};

/// `(a, b, …)`: at least two elements.
struct TupleLit : Node {
  std::vector<Expr> elems;
};

/// `[a, b, …]` (possibly nested for matrices; possibly empty).
struct ArrayLit : Node {
  std::vector<Expr> elems;
};

/// `- - x`: prefix operators applied right to left (ops[0] is outermost).
struct Unary : Node {
  std::vector<UnOp> ops;
  Expr operand;
};

struct BinaryRest : Node {
  BinOp op = BinOp::Add;
  Expr rhs;
};

/// `first op rest[0].rhs op rest[1].rhs …`, all ops of one precedence class.
/// Left-associative, except the Pow class, which is right-associative.
struct Binary : Node {
  Expr first;
  std::vector<BinaryRest> rest;
};

/// A call argument: positional, or keyword (`axis=0`).
struct Arg : Node {
  boost::optional<std::string> keyword;
  Expr value;
};

struct CallSuffix : Node {
  std::vector<Arg> args;
};

/// One subscript: an expression, or a slice `lo? : hi?` or `lo? : hi? : step?`.
struct Slice : Node {
  boost::optional<Expr> lo;
  boost::optional<Expr> hi;
  boost::optional<Expr> step;
};

struct Subscript : x3::variant<Expr, Slice> {
  using base_type::base_type;
  using base_type::operator=;
};

struct IndexSuffix : Node {
  std::vector<Subscript> items;
};

/// `.name`: a field (`m.T`, `t.rows`), a method (`t.f64("x")`) or a module member.
struct AttrSuffix : Node {
  std::string name;
};

struct Suffix : x3::variant<CallSuffix, IndexSuffix, AttrSuffix> {
  using base_type::base_type;
  using base_type::operator=;
};

/// `primary suffix*`, e.g. `vadd[n](a, b)` or `t.f64("x")[0]`.
struct Postfix : Node {
  Expr primary;
  std::vector<Suffix> suffixes;
};

// ---- types -----------------------------------------------------------------------------------

struct TupleType;

/// `i64`, `f64[:]`, `f32[:,:]`: a name and a rank (0 for scalars).
struct NamedType : Node {
  std::string name;
  int rank = 0;
};

struct Type : x3::variant<NamedType, x3::forward_ast<TupleType>> {
  using base_type::base_type;
  using base_type::operator=;
};

/// `(i64[:], f64[:])`
struct TupleType : Node {
  std::vector<Type> elems;
};

// ---- statements ------------------------------------------------------------------------------

struct Stmt;
struct Block : Node {
  std::vector<Stmt> stmts;
};

struct Ident : Node {
  std::string name;
};

/// `let x = e`, `var s: f64 = 0`, `let (k, s) = f(x)`.
struct LetStmt : Node {
  bool is_var = false;
  bool destructure = false;  // the names were written in parentheses
  std::vector<Ident> names;
  boost::optional<Type> type;
  Expr value;
};

enum class AssignOp : std::uint8_t { Set, Add, Sub, Mul, Div };
const char* spelling(AssignOp op);

/// `target op value`; the target is a name, an element or a slice.
struct AssignStmt : Node {
  Expr target;
  AssignOp op = AssignOp::Set;
  Expr value;
};

struct ExprStmt : Node {
  Expr expr;
};

struct ElseIf : Node {
  Expr cond;
  Block body;
};

/// `if c { … } else if d { … } else { … }`
struct IfStmt : Node {
  Expr cond;
  Block then_body;
  std::vector<ElseIf> else_ifs;
  boost::optional<Block> else_body;
};

struct WhileStmt : Node {
  Expr cond;
  Block body;
};

/// `parallel? for i in lo..hi (by step)? { … }`, or `for b in source { … }` (each: `lo` holds
/// the source, a call of npy_blocks or csv_blocks; hi and step are unused).
struct ForStmt : Node {
  bool parallel = false;
  Ident var;
  Expr lo;
  Expr hi;
  boost::optional<Expr> step;
  Block body;
  bool each = false;
};

struct BreakStmt : Node {};
struct ContinueStmt : Node {};

struct ReturnStmt : Node {
  boost::optional<Expr> value;
};

struct ImportStmt : Node {
  Ident module;
};

struct Param : Node {
  Ident name;
  Type type;
};

/// `@unchecked`
struct Decorator : Node {
  std::string name;
};

/// `fn name(params) -> T { … }` or `kernel name(params) { … }`, with decorators.
struct FnDef : Node {
  std::vector<Decorator> decorators;
  bool is_kernel = false;
  Ident name;
  std::vector<Param> params;
  boost::optional<Type> ret;
  Block body;
};

struct Stmt : x3::variant<LetStmt, AssignStmt, ExprStmt, x3::forward_ast<IfStmt>,
                          x3::forward_ast<WhileStmt>, x3::forward_ast<ForStmt>, BreakStmt,
                          ContinueStmt, ReturnStmt, ImportStmt, x3::forward_ast<FnDef>> {
  using base_type::base_type;
  using base_type::operator=;
};

/// A whole file: its top-level statements in order.
struct Program : Node {
  std::vector<Stmt> stmts;
};

/// The span of any expression (the span of its active alternative).
Node span_of(const Expr& e);
Node span_of(const Stmt& s);
Node span_of(const Type& t);

}  // namespace kestrel::parser::ast
