#pragma once
// Internal to the generator (generator.hpp is its interface): the element types and shapes it
// tracks, the typed scope, and the class Gen whose members are defined in gen_expr.cpp (scalar
// expressions), gen_array.cpp (array expressions), gen_stmt.cpp (serial statements),
// gen_parallel.cpp (parallel loops, kernels and launches) and gen_program.cpp (functions, the
// error on purpose, the whole program).
//
// The generator keeps a typed scope with every array's shape known statically, so each program
// it writes checks, and runs without an error except where one is put on purpose: integer
// divisors are made odd (`b | 1`), powers and shift counts masked, indices taken modulo a known
// length, loops bounded by literals. Every subexpression is parenthesised, so precedence never
// changes what was meant. Programs never print inside a parallel loop or a kernel (the order of
// iterations there is not defined) and never read, in a parallel loop, an array it writes.
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/difftest/generator.hpp"

namespace kestrel::difftest::detail {

enum class E : std::uint8_t { Bool, I32, I64, F32, F64 };

inline const char* elem_name(E e) {
  switch (e) {
    case E::Bool:
      return "bool";
    case E::I32:
      return "i32";
    case E::I64:
      return "i64";
    case E::F32:
      return "f32";
    case E::F64:
      return "f64";
  }
  return "?";
}
inline bool is_int(E e) { return e == E::I32 || e == E::I64; }
inline bool is_float(E e) { return e == E::F32 || e == E::F64; }
inline bool is_num(E e) { return e != E::Bool; }

inline E promote(E a, E b) {
  if (is_int(a) && is_int(b)) {
    return a == E::I64 || b == E::I64 ? E::I64 : E::I32;
  }
  if (is_float(a) && is_float(b)) {
    return a == E::F64 || b == E::F64 ? E::F64 : E::F32;
  }
  return is_float(a) ? a : b;
}

/// A type with its shape known: rank 0 is a scalar.
struct Ty {
  E e = E::I64;
  int rank = 0;
  int d0 = 0;
  int d1 = 0;
  bool operator==(const Ty&) const = default;
};

inline std::string type_text(const Ty& t) {
  std::string s = elem_name(t.e);
  if (t.rank == 1) {
    s += "[:]";
  } else if (t.rank == 2) {
    s += "[:,:]";
  }
  return s;
}

inline constexpr int kUnknownBuf = -1;

struct Var {
  std::string name;
  Ty ty;
  bool mut = false;
  int buf = 0;        // arrays: which buffer it views (kUnknownBuf: maybe any)
  bool loop = false;  // a loop variable (or index()), with its values in [lo, hi]
  std::int64_t lo = 0;
  std::int64_t hi = 0;
};

struct FnSig {
  std::string name;
  std::vector<Ty> params;
  std::vector<Ty> rets;  // empty: returns nothing; 2: a tuple
  bool prints = false;
  bool effects = false;  // prints, draws from the stream or writes an array parameter
  bool heavy = false;    // loops, recursion or calls of heavy functions: not called in loops
};

struct KernelSig {
  std::string name;
  Ty out;                  // rank 1 (launch [d0]) or 2 (launch [d0, d1])
  std::vector<Ty> inputs;  // arrays of out's shape, then one scalar
};

class Gen {
 public:
  // The seed is mixed first: splitmix64 streams from nearby states are shifted copies.
  Gen(std::uint64_t seed, const Features& f) : state_(mix(seed ^ 0x5DEECE66Dull)), f_(f) {}

  std::string program();

 private:
  // -- randomness
  static std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int below(int n) { return n <= 1 ? 0 : static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  int range(int lo, int hi) { return lo + below(hi - lo + 1); }
  bool chance(int percent) { return below(100) < percent; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[below(static_cast<int>(v.size()))];
  }
  bool on(const char* name) const { return f_.has(name); }

  // -- types
  E scalar_elem(bool allow_bool = true);
  E num_elem() { return scalar_elem(false); }
  Ty array_ty(E e);

  // -- scope
  std::string fresh(const char* prefix) { return prefix + std::to_string(names_++); }
  void push() { scopes_.emplace_back(); }
  void pop() { scopes_.pop_back(); }
  Var& declare(Var v) {
    scopes_.back().push_back(std::move(v));
    return scopes_.back().back();
  }
  std::vector<const Var*> vars(const std::function<bool(const Var&)>& ok) const;
  bool readable(const Var& v) const;
  bool outer(const Var& v) const;

  // -- expressions
  std::string lit(E e);
  std::string sx(E e, int depth);
  std::string sx_leaf(E e);
  std::string ax(const Ty& t, int depth);
  std::string idx(int n);
  // gen_numpy.cpp: issue 17's numpy set (nothing when no feature of it applies here)
  std::string neg_idx(int n);
  std::string index_array(int count, int n, int depth);  // `count` indices into an axis of n
  std::optional<std::string> ax_numpy(const Ty& t, int depth);
  std::optional<std::string> sx_numpy(E e, int depth);
  bool stmt_numpy();
  bool numpy_on() const {
    return on("neg_index") || on("step_slices") || on("masks") || on("int_index") ||
           on("numpy_elementwise") || on("numpy_reductions") || on("numpy_arrays") || on("strings");
  }
  std::string typed(const std::string& text, E e);  // a bare literal converted to e
  bool callable(const FnSig& fn) const;
  std::string call_args(const FnSig& fn, int depth);
  /// A call of a generated function that returns `t` (noting its cost and effects in the
  /// function being written), or nothing when none fits here.
  std::optional<std::string> call_returning(const Ty& t, int d) {
    std::vector<const FnSig*> ok;
    for (const FnSig& fn : fns_) {
      if (fn.rets.size() == 1 && fn.rets[0] == t && (!in_parallel_ || !fn.effects) &&
          callable(fn)) {
        ok.push_back(&fn);
      }
    }
    if (ok.empty() || work_ > 2000) {
      return std::nullopt;
    }
    const FnSig& fn = *pick(ok);
    if (fn.heavy && cur_fn_ != nullptr) {
      cur_fn_->heavy = true;
    }
    if (fn.effects) {
      ++effects_;
      if (cur_fn_ != nullptr) {
        cur_fn_->effects = true;
        cur_fn_->prints = cur_fn_->prints || fn.prints;
      }
    }
    return fn.name + "(" + call_args(fn, d) + ")";
  }
  std::string launch_arg(const Ty& t, std::set<int>* used);
  std::string cmp_op(bool effects_both);

  // -- statements
  void line(const std::string& s) { out_ += std::string(indent_ * 4, ' ') + s + "\n"; }
  void block(int n);
  void stmt();
  void stmt_let();
  void stmt_assign();
  void stmt_print();
  void stmt_if();
  void stmt_for();
  void stmt_while();
  void stmt_parallel();
  void stmt_call();
  void stmt_launch();
  void stmt_error();
  void loop_body(int n);

  void gen_function(bool recursive);
  void gen_kernel();

  std::uint64_t state_;
  const Features& f_;
  std::string out_;
  int indent_ = 0;
  int names_ = 0;
  int bufs_ = 1;
  std::vector<std::vector<Var>> scopes_;
  std::vector<FnSig> fns_;
  std::vector<KernelSig> kernels_;

  // what the code being written may do here
  int loop_depth_ = 0;        // serial loops enclosing (break/continue allowed when > 0)
  int work_ = 1;              // iterations of the enclosing loops, multiplied
  int budget_ = 0;            // statements left
  bool in_parallel_ = false;  // in a parallel for or a kernel body
  bool in_kernel_ = false;
  std::size_t outer_scopes_ = 0;       // in a parallel body: scopes below this are outside it
  std::set<int> noread_bufs_;          // arrays written in the parallel body
  std::set<std::string> reduce_vars_;  // reduction targets of the parallel body
  FnSig* cur_fn_ = nullptr;            // the function being written (its return types), else null
  int effects_ = 0;  // side effects written so far (calls that print, stream draws)
  bool error_done_ = false;
};

}  // namespace kestrel::difftest::detail
