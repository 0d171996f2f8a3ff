#pragma once
// The checker's shared state, split by concern across check.cpp (files and the driver),
// imports.cpp, functions.cpp, stmt_check.cpp, expr_check.cpp, postfix_check.cpp, builtins.cpp,
// conversions.cpp, literals.cpp and parallel_rules.cpp. Internal to dsl/sema.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dsl/diag/diagnostic.hpp"
#include "dsl/ir/ir.hpp"
#include "dsl/sema/check.hpp"
#include "dsl/sema/scope.hpp"
#include "parser/ast_visit.hpp"

namespace kestrel::sema {

namespace ast = parser::ast;
using ast::ast_if;
using ast::visit_ast;
using ir::ExprId;
using ir::FnId;
using ir::LocalId;
using ir::StmtId;
using ir::Type;

/// Folded expressions deeper than this are TooComplex (backends recurse over the IR).
inline constexpr std::uint32_t kMaxExprDepth = 1000;
/// Inferring return types checks callees first; a chain longer than this needs `-> T`.
inline constexpr int kMaxInferDepth = 100;

/// One source file being checked: the script or an imported module.
struct FileCtx {
  diag::FileId file = diag::kNoFile;
  std::string prefix;  // "" for the script, "montecarlo." for a module
  std::filesystem::path dir;
  const ast::Program* tree = nullptr;
  std::unordered_map<std::string, Symbol> globals;  // functions, kernels, imported modules
  std::unordered_set<std::string> top_level_names;  // variables of the file's top level
  FnId main;
};

/// An imported module, loaded once.
struct ModuleInfo {
  std::string name;
  std::filesystem::path path;
  bool loading = false;  // on the import stack now (an import of it is a cycle)
  std::unique_ptr<ast::Program> tree;
  std::unique_ptr<FileCtx> ctx;
  std::uint32_t ir_index = 0;  // in Program::modules
  bool failed = false;         // could not be read or parsed: uses of it report nothing more
};

/// A user function's definition and how far its checking has come.
struct FnInfo {
  const ast::FnDef* def = nullptr;
  FileCtx* file = nullptr;
  enum class State : std::uint8_t { Declared, InProgress, Done } state = State::Declared;
  bool ret_declared = false;
  std::optional<diag::Span> index1;  // a kernel's first index(1), for the launch rank rule
  /// The first collective (allreduce, broadcast, gather) this function calls itself, and the
  /// user functions it calls (callee, call span): for the rule that no collective is reached
  /// from a `parallel for` or a kernel (collective_rule.cpp).
  std::optional<diag::Span> collective;
  std::string collective_name;
  std::vector<std::pair<FnId, diag::Span>> calls;
};

/// Usage of one outer variable inside a `parallel for` body, for the reduction rule.
struct ParallelWriteUse {
  ir::AssignOp op;  // Set means `= min/max(v, …)` when reduce_minmax, else a plain write
  int minmax = 0;   // 1: `v = min(v, …)`, 2: `v = max(v, …)`
  diag::Span span;
};
/// A write into the elements of an outer array: `a[i + 1] = x` (a disjoint store: an index is
/// the loop variable plus a constant, so no two iterations share an element), a reduction
/// (`h[k] += x`, `h[k] = min(h[k], x)`, `v += row`), or a write that is neither.
struct ArrayWriteUse {
  enum class Kind : std::uint8_t { Disjoint, Reduce, Bad };
  Kind kind = Kind::Bad;
  ir::AssignOp op = ir::AssignOp::Set;
  int minmax = 0;  // as ParallelWriteUse's
  diag::Span span;
};
struct ParallelVarUse {
  std::vector<ParallelWriteUse> writes;
  std::vector<ArrayWriteUse> array_writes;
  std::vector<diag::Span> reads;
};
/// An open `parallel for`: locals with ids below first_local were declared outside it.
struct ParallelFrame {
  std::uint32_t first_local = 0;
  LocalId var;  // the loop variable
  diag::Span loop_span;
  std::vector<std::pair<std::uint32_t, ParallelVarUse>> uses;  // by local id, in first-use order
  std::vector<diag::Span> skip_reads;  // the `v` in `v = min(v, …)`: not a read
  ParallelVarUse& use(std::uint32_t local);
};

/// The function whose body is being checked.
struct FnState {
  FnId id;
  FileCtx* file = nullptr;
  Scopes scopes;
  bool is_kernel = false;
  bool is_main = false;
  bool ret_declared = false;
  bool inferring_ret = false;  // ret is still being inferred from the returns seen so far
  std::vector<StmtId> value_returns;
  bool bare_return = false;
  std::vector<bool> loops;  // the enclosing loops, innermost last: true for `parallel for`
  std::unordered_set<std::uint32_t> loop_vars;
  std::vector<ParallelFrame> parallel;
  /// The open block loops (stream_check.cpp): index in `loops` and the stream's handle.
  std::vector<std::pair<std::size_t, LocalId>> streams;
};

/// What a name or a postfix prefix denotes before it becomes a value.
struct Callee {
  enum class Kind : std::uint8_t { Value, Function, Module, Builtin, TypeName, Error };
  Kind kind = Kind::Error;
  ExprId value;
  FnId fn;
  std::uint32_t module = 0;
  std::string name;  // for messages: the name as written (qualified for module members)
  ir::Scalar scalar = ir::Scalar::F64;
};

class BuiltinArgs;

class Checker {
 public:
  Checker(diag::SourceManager& sources, const CheckOptions& options);

  /// Checks the root script; returns the Program when no error was found.
  std::optional<ir::Program> run(diag::FileId file, const ast::Program& tree,
                                 diag::DiagnosticList& out);

  // ---- files, modules, functions (check.cpp, imports.cpp, functions.cpp) ----
  void check_file(FileCtx& file);
  void declare_functions(FileCtx& file);
  void import_module(FileCtx& file, const ast::ImportStmt& stmt);
  std::optional<std::filesystem::path> find_module(const FileCtx& from, const std::string& name);
  void ensure_checked(FnId fn, diag::Span use);
  void check_function(FnId fn);
  Type resolve_type(const ast::Type& type, diag::FileId file);
  void finish_returns(FnState& st, ir::Function& fn, diag::Span span);
  bool always_returns(const ir::Block& block) const;

  // ---- statements (stmt_check.cpp) ----
  ir::Block check_block(const ast::Block& block, bool new_scope = true);
  void check_stmt(const ast::Stmt& stmt, std::vector<StmtId>& out);
  void check_let(const ast::LetStmt& s, std::vector<StmtId>& out);
  void check_assign(const ast::AssignStmt& s, std::vector<StmtId>& out);
  void check_if(const ast::IfStmt& s, std::vector<StmtId>& out);
  void check_for(const ast::ForStmt& s, std::vector<StmtId>& out);
  void check_return(const ast::ReturnStmt& s, std::vector<StmtId>& out);
  ExprId check_condition(const ast::Expr& cond);
  LocalId declare_local(const std::string& name, Type type, bool is_mutable, diag::Span span);

  // ---- expressions (expr_check.cpp, postfix_check.cpp) ----
  ExprId check_expr(const ast::Expr& e);
  ExprId check_value(const ast::Expr& e);  // check_expr, then require a value (not void)
  ExprId check_name(const ast::Name& n);
  ExprId check_int_lit(const ast::IntLit& lit);
  ExprId check_float_lit(const ast::FloatLit& lit);
  ExprId check_array_lit(const ast::ArrayLit& lit);
  ExprId check_unary(const ast::Unary& u);
  ExprId check_binary(const ast::Binary& b);
  ExprId fold_binary(ast::BinOp op, ExprId lhs, ExprId rhs, diag::Span span);
  /// A postfix expression using only its first `n` suffixes (all when n is npos).
  ExprId check_postfix(const ast::Postfix& p, std::size_t n = std::string::npos);
  Callee resolve_callee(const ast::Expr& primary);
  Callee resolve_name(const ast::Name& name);
  ExprId check_index(ExprId base, const ast::IndexSuffix& idx, diag::Span span);
  ExprId check_user_call(FnId fn, const std::string& name, const ast::CallSuffix& call,
                         diag::Span span);
  ExprId check_launch(FnId fn, const std::string& name, const ast::IndexSuffix& grid,
                      const ast::CallSuffix& call, diag::Span span);
  std::optional<std::vector<ExprId>> check_args_against(const std::vector<ir::Local>& params,
                                                        std::size_t count, const std::string& name,
                                                        const ast::CallSuffix& call,
                                                        diag::Span span);
  ExprId value_of(Callee c, diag::Span span);
  // ---- masks and index arrays (fancy_check.cpp) ----
  /// base[dims] where dims[fancy] is an array (a mask or integer indices) at `sel_at`.
  ExprId check_fancy_index(ExprId base, std::vector<ir::SliceDim> dims, std::size_t fancy,
                           diag::Span sel_at, diag::Span at);
  /// Whether `sel` may select from an array of type `base` (alone: the only index); reports.
  bool check_selector(ExprId sel, Type base, bool alone, diag::Span at);
  ExprId fancy_get(ExprId base, ExprId sel, diag::Span at);
  /// `target op= value` when the checked target `got` is a mask or index-array selection:
  /// appends the store (or reports) and returns true; false when it is not one.
  bool check_fancy_store(const ast::AssignStmt& s, const ast::Postfix& target, ExprId got,
                         ir::AssignOp op, ExprId value, std::vector<StmtId>& out);

  // ---- builtins (builtins.cpp) ----
  static bool is_builtin_name(const std::string& name);
  ExprId check_builtin(const std::string& name, const ast::CallSuffix& call, diag::Span span);
  /// When `a` is a keyword argument, reports that `name` takes none and returns true.
  bool reject_keyword(const std::string& name, const ast::Arg& a);
  /// numpy's functions (numpy_builtins.cpp): isnan … reshape, normal; arity already checked.
  static bool is_numpy_builtin(const std::string& name);
  ExprId check_numpy_builtin(BuiltinArgs& args, const ast::Arg* axis_arg, const ast::Arg* ddof_arg);
  ExprId check_conversion(ir::Scalar to, const std::string& name, const ast::CallSuffix& call,
                          diag::Span span);
  // ---- table builtins (data_builtins.cpp) ----
  static bool is_data_builtin(const std::string& name);
  ExprId check_data_builtin(const std::string& name, const ast::CallSuffix& call, diag::Span span);
  // ---- MPI ranks and collectives (mpi_builtins.cpp) ----
  static bool is_mpi_builtin(const std::string& name);
  ExprId check_mpi_builtin(const std::string& name, const ast::CallSuffix& call, diag::Span span);
  /// Whether `name` is a table's column method (.f64, .group_codes, …), and which.
  static bool column_method(const std::string& name, ir::ColumnKind& kind);

  // ---- str operations (str_check.cpp) ----
  /// str(x) and format(x, spec).
  ExprId check_str_builtin(const std::string& name, const std::vector<const ast::Expr*>& pos,
                           diag::Span span);
  /// print(…, sep=, end=) with `args` already checked.
  ExprId print_with(const ast::Arg* sep, const ast::Arg* end, std::vector<ExprId> args, bool ok,
                    diag::Span span);
  /// `a + b`, `a == b`, `a != b` where a str is involved; invalid() when it is not allowed.
  /// Returns an invalid id when the operation is not a str operation.
  ExprId fold_str_binary(ast::BinOp op, ExprId lhs, ExprId rhs, diag::Span span);

  // ---- block loops: `for b in npy_blocks(…)`, `for t in csv_blocks(…)` (stream_check.cpp) ----
  void check_for_blocks(const ast::ForStmt& s, std::vector<StmtId>& out);
  /// npy_blocks(path, elem, rank, rows) / csv_blocks(path, rows): the stream's opening, an i64
  /// handle; sets stream_block_type_. An error anywhere but a for loop's source.
  ExprId check_block_source(const std::string& name, const std::vector<const ast::Expr*>& pos,
                            diag::Span at);
  /// Closes the streams a `break` (innermost loop only) or `return` (all) leaves.
  void close_streams(bool all, diag::Span at, std::vector<StmtId>& out);

  // ---- conversions (conversions.cpp) ----
  /// `e` as type `to`, adding a Convert where the rules allow it; reports otherwise. `what`
  /// names the value in messages ("argument 1 of 'f'"), or is empty.
  ExprId coerce(ExprId e, Type to, const std::string& what,
                diag::Kind mismatch = diag::Kind::TypeMismatch);
  /// A stored value's elements as `to` (scalar or array value; it broadcasts into the target).
  ExprId coerce_elements(ExprId value, ir::Scalar to, const std::string& what);
  /// Converts `e` to element type `s` keeping its shape (for operands; literals adapt).
  ExprId convert_elements(ExprId e, ir::Scalar s);
  /// The element type two numeric operands compute in (literals adapt to the other side).
  ir::Scalar common_scalar(ExprId a, ExprId b) const;
  /// The numeric type that two numeric types compute in.
  static ir::Scalar promote(ir::Scalar a, ir::Scalar b);
  static bool implicitly_converts(ir::Scalar from, ir::Scalar to);
  /// The rank of an elementwise result (0 for scalars): scalars and rows broadcast.
  static int broadcast_rank(Type a, Type b);

  // ---- literals (literals.cpp) ----
  bool is_untyped_literal(ExprId e) const { return untyped_[e.v] != 0; }

  // ---- parallel for (parallel_rules.cpp) ----
  void note_read(LocalId local, diag::Span span);
  void note_write(LocalId local, ir::AssignOp op, int minmax, diag::Span span);
  int minmax_reduction_pattern(const ast::AssignStmt& s, LocalId target, diag::Span& self_span);
  /// Records a store into an element or slice of an array (`target`, a postfix ending in an
  /// index) for each open parallel loop the array is outer to; returns 1 or 2 when the store is
  /// `h[e] = min(h[e], …)` / max (the read of h[e] there is not a read), else 0.
  int note_array_store(const ast::AssignStmt& s, const ast::Postfix& target, ir::AssignOp op,
                       std::uint8_t* no_wrap = nullptr);
  /// Whether `e` is the loop variable `var` plus or minus an integer literal.
  bool loop_var_plus_const(const ast::Expr& e, LocalId var);
  /// Records `v op= e` on a whole array variable.
  void note_array_update(LocalId local, ir::AssignOp op, diag::Span span);
  /// Reports the loop's rule violations; fills its scalar and array reductions.
  void close_parallel(ParallelFrame& frame, std::vector<ir::Reduction>& reductions,
                      std::vector<ir::Reduction>& array_reductions);

  // ---- building IR ----
  ExprId add_expr(ir::ExprKind kind, Type type, diag::Span span);
  ExprId error_expr(diag::Span span) { return add_expr(ir::ErrorExpr{}, Type::error(), span); }
  StmtId add_stmt(ir::StmtKind kind, diag::Span span);
  Type type_of(ExprId e) const { return program_.exprs[e.v].type; }
  const ir::Expr& expr(ExprId e) const { return program_.exprs[e.v]; }
  ir::Function& fn() { return program_.functions[fn_->id.v]; }
  const ir::Local& local(LocalId id) { return fn().locals[id.v]; }
  std::string tname(Type t) const { return ir::type_name(program_.types, t); }

  // ---- diagnostics ----
  diag::Span span(const ast::Node& n) const {
    return diag::Span{fn_file(), n.begin, std::max(n.begin, n.end)};
  }
  diag::Span span_of(const ast::Expr& e) const { return span(ast::span_of(e)); }
  diag::FileId fn_file() const { return cur_file_; }
  diag::Diagnostic& error(diag::Kind kind, diag::Span span, std::string message);
  /// The source text of a span when it is short and on one line, else "…".
  std::string snippet(diag::Span span) const;

  diag::SourceManager& sources_;
  const CheckOptions& options_;
  diag::DiagnosticList diags_;
  ir::Program program_;
  std::vector<std::uint32_t> depth_;   // per expression: height of its tree
  std::vector<std::uint8_t> untyped_;  // per expression: an unsuffixed literal (adapts)
  std::vector<FnInfo> fn_info_;        // per function
  std::unordered_map<const ast::FnDef*, FnId> fn_by_def_;
  std::vector<std::unique_ptr<ModuleInfo>> modules_;
  std::unordered_map<std::string, std::uint32_t> module_by_path_;
  std::vector<std::string> import_stack_;  // module names being loaded, root script first
  std::unique_ptr<FileCtx> root_;
  FnState* fn_ = nullptr;
  diag::FileId cur_file_ = diag::kNoFile;
  int infer_depth_ = 0;
  bool reported_too_complex_ = false;                    // in the current statement
  std::unordered_set<std::uint64_t> parallel_reported_;  // spans already given a ParallelWrite

  /// Checking a for loop's source, where npy_blocks and csv_blocks may appear.
  bool stream_source_ = false;
  /// The block type of the last npy_blocks / csv_blocks checked.
  Type stream_block_type_ = Type::error();

  /// 1-D launches (kernel, launch span): checked against the kernel's index(1) once every
  /// function is checked (a kernel may be checked after the launch that names it).
  std::vector<std::pair<FnId, diag::Span>> launches_1d_;

  /// Calls of user functions made inside a `parallel for` or a kernel (callee, call span): each
  /// is an error when the callee reaches a collective (collective_rule.cpp), found once every
  /// function is checked.
  struct ParallelCall {
    FnId callee;
    diag::Span at;
    bool in_kernel = false;
  };
  std::vector<ParallelCall> parallel_calls_;
  void check_collectives_reached();
};

/// "1 argument" / "3 arguments".
std::string plural(std::size_t n, const char* word);

}  // namespace kestrel::sema
