#pragma once
// The statement and expression compilers of one function (Lua's lparser.c is the model, over
// the emitter of emitter.hpp): locals get fixed registers (parameters first), temporaries are
// allocated above them in stack order, and every expression is compiled into a destination
// register. Array references are owned by the register that holds them: a temporary is released
// after its last use or moved into a local, a local is released when it is reassigned and when
// the function returns.
//   compile_expr.cpp   expressions, conditions, calls and launches
//   compile_array.cpp  builtins and array operations
//   compile_stmt.cpp   statements, loops, and the function as a whole (run)
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codegen/interp/emitter.hpp"

namespace kestrel::interp {

class FnCompiler : public Emitter {
 public:
  using Emitter::Emitter;

  /// Compiles the whole function into its Proto.
  void run();

 private:
  // ---- expressions (compile_expr.cpp) ----

  /// Evaluates `id` into some register: a local's own register (borrowed) or a new temporary.
  Operand operand(ExprId id);
  void drop(Operand o);
  /// Copies a value of type `t` from registers `src` to `dst` (which holds no reference).
  void copy_value(Type t, std::uint16_t dst, std::uint16_t src);
  /// Evaluates `id` into `dst` (slots(type) registers holding no references): afterwards
  /// dst owns whatever references the value holds.
  void into(ExprId id, std::uint16_t dst);
  void convert(Type to, ExprId operand_id, std::uint16_t dst);
  void unary(Type t, const ir::Unary& u, std::uint16_t dst);
  static bool is_compare(BinaryOp op);
  /// The typed opcode of a scalar arithmetic operator, computing in `s`.
  static Op arith_op(BinaryOp op, Scalar s);
  /// The register-immediate form of an operator, where there is one.
  static bool k_op(Op op, Op& out);
  void binary(Type t, const ir::Binary& b, std::uint16_t dst);
  /// Compiles `cond` as a test that jumps when it is false; the jumps to patch go to `out`.
  void jump_if_false(ExprId cond, std::vector<std::size_t>& out);
  /// Evaluates arguments into consecutive registers from `base` (each holding no reference).
  void args_into(const std::vector<ExprId>& args, std::uint16_t base);
  void call(const ir::Call& c, std::uint16_t dst);
  /// A kernel launch (`id` its expression): a LAUNCH switch point, then the loop over the grid.
  void launch(ExprId id, const ir::Launch& l);
  /// The loop over axis d of a launch (`vars` holds the outer axes' index registers); with
  /// `sbase` the registers of the stream's base, each instance first enters its substream.
  void launch_dim(const ir::Launch& l, const std::vector<Operand>& grid,
                  const std::vector<Operand>& args, std::size_t d,
                  std::optional<std::uint16_t> sbase, std::vector<std::uint16_t>& vars);

  // ---- builtins and arrays (compile_array.cpp) ----

  /// The PRINT items of a value of type `t`: a tuple as `(a, b)` (its elements flattened).
  void print_items(Type t, std::string before, std::string after, std::vector<PrintItem>& out);
  void builtin(Type t, const ir::BuiltinCall& c, std::uint16_t dst);
  void array_op(std::uint16_t dst, ArrayInstr ai);
  /// Evaluates each expression to an operand and records it as an argument.
  std::vector<Operand> array_args(const std::vector<ExprId>& ids, ArrayInstr& ai);
  void array_binary_like(ArrayKind kind, std::uint8_t op, ExprId l, ExprId r, Type t,
                         std::uint16_t dst);
  void array_builtin(Type t, const ir::BuiltinCall& c, std::uint16_t dst);
  void table_op(Type t, std::uint8_t op, ExprId table, ExprId name, std::uint8_t column,
                std::uint16_t dst);
  void index_get(Type t, const ir::Index& ix, std::uint16_t dst);
  void slice(Type t, const ir::SliceView& s, std::uint16_t dst);
  void array_literal(Type t, const ir::ArrayLit& a, std::uint16_t dst);

  // ---- statements (compile_stmt.cpp) ----

  void block(const ir::Block& b);
  /// Whether evaluating `id` has no effect besides its value (and reads no local in `avoid`).
  bool simple(ExprId id, ir::LocalId avoid) const;
  /// `let x = random(k, c1)` then `let y = random(k, c2)` with k a local and c1, c2 simple:
  /// one RANDOM2 computing both draws (the pi loop's shape). Returns false when it does not fit.
  bool random_pair(ir::StmtId s1, ir::StmtId s2);
  /// Assigns a value of type `t` from temporaries `src` (owned) into the registers at `dst`.
  void move_into(Type t, std::uint16_t dst, std::uint16_t src);
  /// `local = value` for any type: scalars straight into the local's register; references
  /// through a temporary so the old value is released.
  void assign_local(ir::LocalId local, ExprId value);
  void stmt(ir::StmtId id);
  void assign(const ir::Assign& a);
  void store_index(const ir::StoreIndex& st);
  static bool float_sensitive(Type t, ir::ReduceOp op);
  void for_loop(const ir::For& f, diag::Span span);

  /// Fills proto_.loops from the IR's loop entries (dsl/ir/osr.hpp) and sorts the back-edges.
  void osr_tables();

  struct Loop {
    std::vector<std::size_t> breaks;
    std::vector<std::size_t> continues;
  };
  std::vector<Loop> loops_;  // the enclosing loops, innermost last
  int parallel_depth_ = 0;   // parallel loops around the statement being compiled
  /// Per loop number (pre-order, as codegen::LoopRef): a `for` loop's variable and bound
  /// registers (its step is the register after the bound), unused for a `while`.
  struct LoopRegs {
    std::uint16_t var = 0;
    std::uint16_t hi = 0;
  };
  std::vector<LoopRegs> loop_regs_;
};

}  // namespace kestrel::interp
