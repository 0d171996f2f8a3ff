#pragma once
// The typed IR: the one thing every backend reads. Plain structs in std::variant, kept in flat
// arenas of the Program and linked by small strong ids. Every expression carries its result type
// and source span; every implicit conversion is an explicit Convert node; names are resolved
// (locals, functions, builtins). Dispatch with std::visit(overloaded{…}) so that a node a pass
// forgets is a compile error.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "dsl/diag/source.hpp"
#include "dsl/ir/types.hpp"

namespace kestrel::ir {

/// The visitor helper: std::visit(overloaded{[](const A&) {…}, [](const B&) {…}}, node).
template <class... Fs>
struct overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

inline constexpr std::uint32_t kNoId = ~std::uint32_t{0};

/// An expression in Program::exprs.
struct ExprId {
  std::uint32_t v = kNoId;
  bool valid() const { return v != kNoId; }
  friend bool operator==(ExprId, ExprId) = default;
};
/// A statement in Program::stmts.
struct StmtId {
  std::uint32_t v = kNoId;
  friend bool operator==(StmtId, StmtId) = default;
};
/// A local variable (or parameter) in its Function::locals.
struct LocalId {
  std::uint32_t v = kNoId;
  bool valid() const { return v != kNoId; }
  friend bool operator==(LocalId, LocalId) = default;
};
/// A function or kernel in Program::functions.
struct FnId {
  std::uint32_t v = kNoId;
  bool valid() const { return v != kNoId; }
  friend bool operator==(FnId, FnId) = default;
};

// ---- expressions -----------------------------------------------------------------------------

/// An i32 or i64 constant (the node's type says which).
struct IntConst {
  std::int64_t value = 0;
};
/// An f32 or f64 constant (an f32 value is stored exactly as a double).
struct FloatConst {
  double value = 0;
};
struct BoolConst {
  bool value = false;
};
struct StrConst {
  std::string value;
};

/// Reads a local variable of the enclosing function.
struct LocalRef {
  LocalId local;
};

/// Converts its operand to the node's type: scalar to scalar, or elementwise array to array.
struct Convert {
  ExprId operand;
};

enum class UnaryOp : std::uint8_t { Neg, Not, BitNot };

/// `-x`, `not b`, `~n`; elementwise when the type is an array.
struct Unary {
  UnaryOp op;
  ExprId operand;
};

/// Binary operators. The operands already have the element type the operator computes in (a
/// comparison's operands share a type; its result is bool). When the node's type is an array the
/// operator is elementwise, with broadcasting: scalar with array, and a 1-D row across a matrix.
enum class BinaryOp : std::uint8_t {
  Add,
  Sub,
  Mul,
  Div,
  FloorDiv,
  Mod,
  Pow,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  And,
  Or,  // short-circuit, bool scalars only
  BitAnd,
  BitOr,
  BitXor,
  Shl,
  Shr,
};

struct Binary {
  BinaryOp op;
  ExprId lhs;
  ExprId rhs;
};

/// `a @ b`: matrix-matrix, matrix-vector, vector-matrix or vector-vector (a scalar).
struct MatMul {
  ExprId lhs;
  ExprId rhs;
};

/// Calls a user function (never a kernel).
struct Call {
  FnId fn;
  std::vector<ExprId> args;
};

/// Every builtin, as DESIGN.md lists them. One enum value per distinct operation.
enum class Builtin : std::uint8_t {
  Print,
  Len,
  Shape,
  Copy,
  Zeros,
  Ones,
  Full,
  Empty,
  Arange,
  Linspace,
  Exp,
  Log,
  Sqrt,
  Abs,
  Sin,
  Cos,
  Tanh,
  Sigmoid,
  Floor,
  Minimum,
  Maximum,  // elementwise min(a, b) / max(a, b)
  Clip,
  Where,
  Sum,
  Mean,
  Min,
  Max,
  Argmin,
  Argmax,
  Count,
  Any,
  All,
  Dot,  // reductions
  Random,
  Randn,  // random(key, counter), randn(key, counter): pure
  RandomStream,
  RandnStream,  // random(), randn(): the seeded stream
  Seed,
  RandArray,
  RandnArray,  // rand(m, n, key), randn(m, n, key), rand(n, key)
  Index,       // index(k) in a kernel; `axis` holds k
  ReadCsv,
  LoadNpy,
  SaveNpy,
  Clock,  // clock(): seconds on a monotonic clock (runtime/clock.hpp)
  // Tables (runtime/csv.hpp): read_csv's args are (path, sep: str, fill: f64).
  WriteCsv,    // write_csv(path, table)
  TableNew,    // table(): no columns; table(a=x, b=y) is WithColumn(WithColumn(TableNew, …), …)
  WithColumn,  // with_column(t, name, column): a new table with the column added at the end
  SubTable,    // subtable(t, columns: str[:], rows: i64[:]): those columns of t at those rows
  Assert,      // assert(cond, message): a runtime error saying message when cond is false
  // str operations (runtime/strings.hpp):
  Str,        // str(x): print's text of a scalar, array or table
  StrConcat,  // a + b on two str
  Format,     // format(x, spec): x an i64, f64 or str
  StrEq,
  StrNe,      // elementwise == / != with a str array on either side
  PrintWith,  // print(…, sep=, end=): the last two args are the StrConst sep and end
  // numpy's functions (issue 17): elementwise math ...
  Tan,
  Log10,
  Log2,
  Ceil,
  Round,  // half to even
  // ... and array functions (runtime/array_fns.hpp): reductions (axis= or whole array), then
  // functions that build a new array (or a view: reshape of a contiguous array)
  Prod,
  Std,
  Var,  // args: the array, then the ddof (i64)
  Median,
  Cumsum,
  Sort,
  Argsort,
  Unique,
  Concatenate,  // two arrays; axis= for matrices (0 when absent)
  Reshape,      // the array, then 1 or 2 sizes
  // Streams (runtime/stream.hpp): what the checker lowers `for b in npy_blocks(…) {…}` and
  // `for t in csv_blocks(…) {…}` to, on an i64 handle: NpyBlocks(path, rows, elem, rank) and
  // CsvBlocks(path, rows, part, parts) open (part 0 of 1: the whole file; elem an ir::Scalar, rank
  // 1 or 2, as i64 constants); StreamNext(h) -> bool; StreamBlock(h) -> the block (its type: the
  // array or a table); StreamClose(h) before a break or return that leaves the loop.
  NpyBlocks,
  CsvBlocks,
  StreamNext,
  StreamBlock,
  StreamClose,
  NpyAppend,  // npy_append(path, a): a .npy file built block by block (runtime/npy_writer.hpp)
  NpyFinish,  // npy_finish(path)
  // MPI ranks (runtime/mpi.hpp): rank() and ranks() take no arguments; the collectives all take
  // (x, fn, root): fn an rt::MpiFn (an i64 constant: allreduce's sum, min or max, broadcast,
  // gather), root broadcast's root rank (i64; 0 for the others).
  MpiRank,
  MpiRanks,
  Allreduce,
  Broadcast,
  Gather,
  // a[mask], a[idx] (runtime/fancy_index.hpp): args (a, selector), a new array. The stores
  // a[mask] op= v are StoreIndex with the selector as their one index.
  FancyGet,
  // The REPL's kept array (dsl/engine/session_boxes.hpp): args (slot: an i64 constant, a). The
  // run's rt::Limits::kept[slot] now holds a, so that an entry that fails keeps its rebinding of
  // a persisted `var` array. Made only by the engine after checking: no name in the source
  // reaches it.
  ReplKeep,
};
const char* builtin_name(Builtin b);

/// A builtin call. Arguments are already converted to what the builtin computes in; the node's
/// type is the result. `axis` is the `axis=` keyword of a reduction (-1 when absent) or the
/// dimension of `index(k)`.
struct BuiltinCall {
  Builtin builtin;
  std::vector<ExprId> args;
  std::int8_t axis = -1;
};

/// `k[n](args)` or `k[m, n](args)`: one kernel instance per index of the grid.
struct Launch {
  FnId kernel;
  std::vector<ExprId> grid;  // i64 extents, 1 or 2
  std::vector<ExprId> args;
};

/// Reads one element: as many i64 indices as the array's rank.
struct Index {
  ExprId base;
  std::vector<ExprId> indices;
};

/// One dimension of a slice: a single i64 index (drops the dimension) or a range lo:hi:step where
/// a missing bound is the dimension's start or end in the step's direction, and a missing step 1
/// (numpy's rules: rt::slice).
struct SliceDim {
  bool is_range = false;
  ExprId index;  // when !is_range
  ExprId lo;     // when is_range; may be invalid
  ExprId hi;     // when is_range; may be invalid
  ExprId step;   // when is_range; may be invalid
};

/// `a[i:j]`, `m[:, k]`, `m[0, :]`: a view sharing the base's buffer; rank = number of ranges.
struct SliceView {
  ExprId base;
  std::vector<SliceDim> dims;
};

/// `m.T`: a transposed view of a matrix.
struct Transpose {
  ExprId base;
};

enum class ColumnKind : std::uint8_t {
  F64,
  I64,
  Codes,
  Labels,
  GroupCodes,   // t.group_codes("x"): codes in pandas' sorted group order, -1 where missing
  GroupLabels,  // t.group_labels("x"): the sorted distinct keys as text
};

/// `t.f64("x")`, `t.i64("x")`, `t.codes("x")`, `t.labels("x")`.
struct TableColumn {
  ColumnKind column;
  ExprId table;
  ExprId name;  // str
};

/// `t.rows`.
struct TableRows {
  ExprId table;
};

/// `[1.0, 2.0]` (rows = 0: a 1-D literal) or `[[1, 2], [3, 4]]` (elems row-major, rows x cols).
/// Elements are converted to the element type.
struct ArrayLit {
  std::vector<ExprId> elems;
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
};

/// `(a, b, …)`.
struct MakeTuple {
  std::vector<ExprId> elems;
};

/// Placeholder for an expression that failed to check. Never present in a Program that
/// check_program returns.
struct ErrorExpr {};

using ExprKind = std::variant<IntConst, FloatConst, BoolConst, StrConst, LocalRef, Convert, Unary,
                              Binary, MatMul, Call, BuiltinCall, Launch, Index, SliceView,
                              Transpose, TableColumn, TableRows, ArrayLit, MakeTuple, ErrorExpr>;

struct Expr {
  ExprKind kind;
  Type type;
  diag::Span span;
};

// ---- statements ------------------------------------------------------------------------------

/// A sequence of statements (a `{ … }` body).
struct Block {
  std::vector<StmtId> stmts;
};

/// `let x = e` / `var x: T = e`: defines `local` (mutability is on the Local).
struct Let {
  LocalId local;
  ExprId init;  // already of the local's type
};

/// `let (a, b) = e`: e is a tuple with one element per local.
struct LetTuple {
  std::vector<LocalId> locals;
  ExprId init;
};

enum class AssignOp : std::uint8_t { Set, Add, Sub, Mul, Div };

/// `x = e`, `x += e`: rebinds a scalar or array variable. For op != Set the value is computed as
/// `x op e` in x's type (the checker made sure that is exact). Compound assignment to an array
/// variable is in place and is a Store, not an Assign.
struct Assign {
  LocalId local;
  AssignOp op;
  ExprId value;
};

/// `a[i, j] op= e`: writes one element. `value` has the element type. A negative index counts
/// from the end, except in the dimensions whose bit is set in `no_wrap` (a `parallel for`'s
/// disjoint store `a[i + c] = x` to an outer array), where it is an error.
/// With one index that is an array (a bool mask or integer indices: is_fancy_store), it is
/// `a[mask] op= v` / `a[idx] op= v` instead (runtime/fancy_index.hpp): `value` is a scalar of
/// the element type or an array of the selection's shape.
struct StoreIndex {
  ExprId base;
  std::vector<ExprId> indices;
  AssignOp op;
  ExprId value;
  std::uint8_t no_wrap = 0;
};

/// `out[:] op= e`, `m[i:j, :] = 0`, `a += b` (a an array variable): writes every element of
/// `target` (an array-typed view or local); `value` is a scalar or an array that broadcasts to it,
/// with the target's element type.
struct StoreView {
  ExprId target;
  AssignOp op;
  ExprId value;
};

struct ExprStmt {
  ExprId expr;
};

/// `if c {…} else {…}`; an `else if` is an If alone in the else block.
struct If {
  ExprId cond;
  Block then_body;
  Block else_body;
};

struct While {
  ExprId cond;
  Block body;
};

enum class ReduceOp : std::uint8_t { Add, Mul, Min, Max };

/// A variable of the enclosing function that a `parallel for` reduces into. Each iteration's
/// writes to it are `+= / -=` (Add), `*=` (Mul), `= min(v, …)` (Min) or `= max(v, …)` (Max);
/// the loop body never reads it otherwise. For an array (For::array_reductions) the writes are
/// to its elements or slices (`h[k] += 1`, `h[k] = min(h[k], x)`, `v += row`, `v[1:3] *= 2`):
/// each chunk of the loop writes its own copy of the array, filled with the identity, and the
/// copies are combined into the array after the loop (runtime/array_reduction.hpp).
struct Reduction {
  LocalId local;
  ReduceOp op;
};

/// `for var in lo..hi by step {…}`; `parallel for` when `parallel`. lo, hi and step have the
/// loop variable's type; step is invalid when absent (1).
struct For {
  bool parallel = false;
  LocalId var;
  ExprId lo;
  ExprId hi;
  ExprId step;
  Block body;
  std::vector<Reduction> reductions;        // parallel loops only: scalar variables
  std::vector<Reduction> array_reductions;  // parallel loops only: array variables
};

struct Break {};
struct Continue {};

/// `return` / `return e` (value invalid in a void function).
struct Return {
  ExprId value;
};

using StmtKind = std::variant<Let, LetTuple, Assign, StoreIndex, StoreView, ExprStmt, If, While,
                              For, Break, Continue, Return>;

struct Stmt {
  StmtKind kind;
  diag::Span span;
};

// ---- functions and programs ------------------------------------------------------------------

/// A parameter or local variable. Parameters come first in Function::locals.
struct Local {
  std::string name;
  Type type;
  bool is_mutable = false;
  diag::Span span;  // where it was declared
};

/// A function, a kernel, or the synthetic `<main>` holding a file's top-level statements.
struct Function {
  std::string name;  // qualified for imported modules: `montecarlo.pi`
  bool is_kernel = false;
  bool is_main = false;    // a file's top-level statements
  bool unchecked = false;  // `@unchecked`: no bounds checks
  std::uint32_t param_count = 0;
  std::vector<Local> locals;  // params first
  Type ret = Type::void_();
  Block body;
  diag::Span span;
};

/// An imported module: its name, file, and functions (qualified names).
struct Module {
  std::string name;
  diag::FileId file = diag::kNoFile;
  std::vector<FnId> functions;
  FnId main;  // its top-level statements (not run by importing it)
};

/// A whole checked program: the script's functions and those of every module it imports.
struct Program {
  TypeTable types;
  std::vector<Expr> exprs;
  std::vector<Stmt> stmts;
  std::vector<Function> functions;
  std::vector<Module> modules;
  FnId main;  // the script's top-level statements

  const Expr& expr(ExprId id) const { return exprs[id.v]; }
  const Stmt& stmt(StmtId id) const { return stmts[id.v]; }
  const Function& fn(FnId id) const { return functions[id.v]; }
  const Local& local(FnId fn_id, LocalId id) const { return functions[fn_id.v].locals[id.v]; }
  /// The function named `name` (qualified for module members), or an invalid id.
  FnId find_function(std::string_view name) const;
};

/// Whether a StoreIndex is `a[mask] op= v` / `a[idx] op= v`: its one index is an array.
inline bool is_fancy_store(const Program& program, const StoreIndex& s) {
  return s.indices.size() == 1 && program.expr(s.indices[0]).type.is_array();
}

/// A readable text form of the whole program, for tests and `kestrel emit --ir`.
std::string dump(const Program& program);
/// The same for one function.
std::string dump_function(const Program& program, FnId fn);
/// One expression in the dump's notation.
std::string dump_expr(const Program& program, const Function& fn, ExprId id);

}  // namespace kestrel::ir
