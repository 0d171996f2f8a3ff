#pragma once
// Questions the LLVM lowering asks about the typed IR that need no IRBuilder: which locals a block
// rebinds, reads or declares, whether a kernel indexes only by its grid, the runtime operator of
// an IR operator. Each is unit-tested on its own (tests/llvm/ir_queries_test.cpp).
#include <cstdint>
#include <type_traits>
#include <vector>

#include "dsl/ir/ir.hpp"
#include "dsl/ir/locals.hpp"
#include "runtime/elementwise.hpp"

namespace kestrel::jit {

/// A visitor's arm for the IR node kinds Ts, each handled by `f()`: the kinds a visitor treats
/// alike are named (no catch-all `[&](const auto&)`), so a kind added to the IR fails the build
/// wherever it is not handled. Use inside ir::overloaded{…}: kinds<ir::Break, ir::Continue>(f).
template <class... Ts, class F>
auto kinds(F f) {
  return ir::overloaded{[f](const Ts&) { return f(); }...};
}

/// T is one of Ts: the constraint of a visitor's lambda that handles several IR node kinds alike,
/// [&]<class T>(const T&) requires OneOf<T, ir::Break, ir::Continue> {…}, which names each kind
/// (no catch-all), so a node kind added to the IR fails the build wherever it is not handled.
template <class T, class... Ts>
concept OneOf = (std::is_same_v<T, Ts> || ...);

/// Marks in `out` (indexed by LocalId) every local that an Assign in `b` rebinds, nested blocks
/// included.
void assigned_locals(const ir::Program& p, const ir::Block& b, std::vector<char>& out);
/// Marks in `out` the parameters (locals below `params`) that a `let` in `b` declares again: an
/// on-stack-replacement continuation's enclosing loop declares, in its later iterations, the
/// variable its first one received as a parameter (dsl/ir/osr.hpp), so that parameter is rebound.
void redeclared_params(const ir::Program& p, const ir::Block& b, std::uint32_t params,
                       std::vector<char>& out);

/// Whether every element access in kernel `k` is `P[index(0)]` / `P[index(0), index(1)]` with P
/// an array parameter the kernel never rebinds (index(d) directly or through a `let`), so a
/// launch whose grid fits every array argument can run it without bounds checks.
bool kernel_indexes_by_grid(const ir::Program& p, const ir::Function& k);

/// dsl/ir/locals.hpp's (shared with the CUDA backend).
using ir::locals_of;

/// Whether `id` is a scalar (not str) expression of constants, locals, conversions, negation and
/// + - * (and / for floats): what a fused loop may hoist and evaluate once.
bool pure_scalar(const ir::Program& p, ir::ExprId id);

/// Whether the block holds a for or while loop (nested in ifs included).
bool has_loops(const ir::Program& p, const ir::Block& b);

/// Whether the block draws random(…) numbers (Philox) outside inner loops.
bool draws_random(const ir::Program& p, const ir::Block& b);

/// Which of a loop body's divisions by a constant the JIT lowers to calls the vectoriser can widen
/// (int_div_ir.hpp), as far as the IR tells whether the loop may be vectorised: elsewhere a call
/// the vectoriser leaves scalar only hides the division from the optimiser (a remainder of the
/// loop variable it would make unsigned, a loop it would unroll). None when the body holds a
/// loop, or carries a value from one iteration to the next other than an integer sum (`s += …`,
/// `s -= …`); otherwise those whose dividend reads no local fed by such a sum, by an array the
/// body stores into, or through lets and assignments by either.
struct DivisionPlan {
  bool calls = false;
  std::vector<char> fed;  // by LocalId: carried from an earlier iteration, or fed by one that is
  bool allows(const ir::Program& p, ir::ExprId dividend) const;
};
DivisionPlan division_plan(const ir::Program& p, const ir::Function& fn, const ir::Block& body);

/// The 1-D array locals of `fn` that `body` indexes as a[var] and neither declares nor rebinds
/// (a loop's block bounds check covers them), in order of first appearance.
std::vector<std::uint32_t> indexed_by(const ir::Program& p, const ir::Function& fn,
                                      const ir::Block& body, ir::LocalId var);

/// The serial-loop rule (written out in ir_queries.cpp): whether a `parallel for` body or a
/// kernel, with everything it calls or launches, may run as chunks on worker threads.
class ChunkRule {
 public:
  explicit ChunkRule(const ir::Program& p) : p_(p) {}
  /// Whether the body of parallel loop `f` in function `fn` may run as chunks.
  bool chunk_safe_loop(const ir::Function& fn, const ir::For& f) const;
  /// Whether launching kernel `k` may run as chunks.
  bool chunk_safe_launch(ir::FnId k) const;
  /// Whether a block holds a loop, a call or a launch (its iterations may be costly).
  bool heavy(const ir::Block& b) const;

 private:
  bool chunk_safe_fn(ir::FnId id, std::vector<char>& seen) const;
  bool chunk_safe_block(const ir::Function& fn, const ir::Block& b, const std::vector<char>& own,
                        std::vector<char>& seen) const;
  bool chunk_safe_expr(const ir::Function& fn, ir::ExprId e, const std::vector<char>& own,
                       std::vector<char>& seen) const;
  bool chunk_safe_type(ir::Type t) const;
  /// Whether binding `e` would retain an array that `own` does not mark as created here.
  bool borrows_foreign(ir::ExprId e, const std::vector<char>& own) const;

  const ir::Program& p_;
};

}  // namespace kestrel::jit
