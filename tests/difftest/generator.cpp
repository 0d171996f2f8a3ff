// The generator keeps a typed scope with every array's shape known statically, so each program
// it writes checks, and runs without an error except where one is put on purpose: integer
// divisors are made odd (`b | 1`), powers and shift counts masked, indices taken modulo a known
// length, loops bounded by literals. Every subexpression is parenthesised, so precedence never
// changes what was meant. Programs never print inside a parallel loop or a kernel (the order of
// iterations there is not defined) and never read, in a parallel loop, an array it writes.
#include "tests/difftest/generator.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

namespace kestrel::difftest {

// ---- features -------------------------------------------------------------------------------

const std::vector<Feature>& all_features() {
  static const std::vector<Feature> features = {
      {"i32", "i32 scalars and arrays (wrap-around at 32 bits)", true},
      {"f32", "f32 scalars and arrays", true},
      {"int_divmod", "// and % on integers, negative operands (divisor made odd)", true},
      {"int_pow", "** on integers (exponent masked to 0..7)", true},
      {"shifts", "<< and >> (count masked to 0..63)", true},
      {"bitwise", "& | ^ ~ on integers", true},
      {"float_divmod", "// and % on floats", true},
      {"float_pow", "** on floats (found: JIT 'Symbols not found: exp2', fixed)", true},
      {"mixed", "mixed-type arithmetic (promotion)", true},
      {"conversions", "i64() i32() f64() f32() on scalars and arrays", true},
      {"math", "exp log sqrt sin cos tanh sigmoid floor abs", true},
      {"f32_math", "math functions on f32 (found: JIT constant folding, fixed)", true},
      {"edge_literals", "extreme literals (i64/i32 min and max, 1e300, 5e-324)", true},
      {"gt_effects", "> and >= between operands with side effects (found: interp order, fixed)",
       true},
      {"if", "if / else if / else", true},
      {"while", "while loops with a counter", true},
      {"for", "for loops, with 'by' steps up and down", true},
      {"break_continue", "break and continue", true},
      {"functions", "functions with scalar and array parameters", true},
      {"fn_print", "functions that print", true},
      {"recursion", "bounded recursion (depth <= 12)", true},
      {"tuples", "functions returning tuples, let (a, b) = f()", true},
      {"arrays", "1-D arrays: constructors, literals, elements", true},
      {"arrays2d", "2-D arrays", true},
      {"array_in_loop",
       "arrays bound inside loop bodies: lets, views, call results, launch outputs (found: JIT "
       "segfault, fixed)",
       true},
      {"slices", "slices a[i:j], m[i:j, :], m[:, k], slice assignment", true},
      {"transpose", ".T views", true},
      {"broadcast", "scalar with array and row across matrix", true},
      {"reductions", "sum mean min max argmin argmax count any all dot", true},
      {"axis", "reductions with axis=0|1", true},
      {"matmul", "@ (matrix-matrix and matrix-vector)", true},
      {"where_clip", "where, clip, 2-argument min and max on arrays", true},
      {"big_arrays", "1-D arrays of 1000..20000 elements (parallel reductions in the runtime)",
       true},
      {"random_pure", "random(key, counter) and randn(key, counter)", true},
      {"random_stream", "seed(), random(), randn() streams", true},
      {"rand_arrays", "rand(n, seed=k), rand(m, n, seed=k) and randn(m, n, seed=k)", true},
      {"parallel", "parallel for with scalar reductions += -= *= min max", true},
      {"parallel_store", "parallel for storing out[i] into an outer array", true},
      {"parallel_random", "random() streams inside parallel for", true},
      {"parallel_array_reduce", "array reductions in parallel for (found: races, fixed)", true},
      {"kernels", "kernel launches k[n](...) and k[m, n](...)", true},
      {"kernel_random", "random() stream inside a kernel (found: no draw consumed, fixed)", true},
      {"errors", "a runtime error on purpose (index, division by zero, shape)", true},
  };
  return features;
}

Features::Features() {
  for (const Feature& f : all_features()) {
    on_.push_back(f.on_by_default);
  }
}

bool Features::has(std::string_view name) const {
  const auto& all = all_features();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (name == all[i].name) {
      return on_[i];
    }
  }
  return false;
}

bool Features::apply(std::string_view spec, std::string* error) {
  const auto& all = all_features();
  while (!spec.empty()) {
    std::size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    if (item.empty()) {
      continue;
    }
    if (item == "all" || item == "none") {
      std::fill(on_.begin(), on_.end(), item == "all");
      continue;
    }
    bool value = true;
    if (item[0] == '+' || item[0] == '-') {
      value = item[0] == '+';
      item.remove_prefix(1);
    }
    bool found = false;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (item == all[i].name) {
        on_[i] = value;
        found = true;
      }
    }
    if (!found) {
      *error = "unknown feature '" + std::string(item) + "' (see --features)";
      return false;
    }
  }
  return true;
}

std::string Features::describe() const {
  std::string s;
  const auto& all = all_features();
  for (std::size_t i = 0; i < all.size(); ++i) {
    s += std::string(all[i].name) + (on_[i] ? "=on" : "=off") + "  " + all[i].what + "\n";
  }
  return s;
}

// ---- the generator --------------------------------------------------------------------------

namespace {

enum class E : std::uint8_t { Bool, I32, I64, F32, F64 };

const char* elem_name(E e) {
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
bool is_int(E e) { return e == E::I32 || e == E::I64; }
bool is_float(E e) { return e == E::F32 || e == E::F64; }
bool is_num(E e) { return e != E::Bool; }

E promote(E a, E b) {
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

std::string type_text(const Ty& t) {
  std::string s = elem_name(t.e);
  if (t.rank == 1) {
    s += "[:]";
  } else if (t.rank == 2) {
    s += "[:,:]";
  }
  return s;
}

constexpr int kUnknownBuf = -1;

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

E Gen::scalar_elem(bool allow_bool) {
  for (;;) {
    int r = below(allow_bool ? 10 : 9);
    E e = r < 3    ? E::I64
          : r < 6  ? E::F64
          : r == 6 ? E::I32
          : r == 7 ? E::F32
          : r == 8 ? E::I64
                   : E::Bool;
    if (e == E::I32 && !on("i32")) {
      continue;
    }
    if (e == E::F32 && !on("f32")) {
      continue;
    }
    return e;
  }
}

Ty Gen::array_ty(E e) {
  Ty t{e, 1, range(1, 6), 0};
  if (on("arrays2d") && chance(40)) {
    t.rank = 2;
    t.d1 = range(1, 5);
  } else if (on("big_arrays") && work_ <= 1 && chance(8)) {
    t.d0 = pick(std::vector<int>{1000, 1024, 4097, 20000});
  }
  return t;
}

std::vector<const Var*> Gen::vars(const std::function<bool(const Var&)>& ok) const {
  std::vector<const Var*> out;
  for (const auto& scope : scopes_) {
    for (const Var& v : scope) {
      if (readable(v) && ok(v)) {
        out.push_back(&v);
      }
    }
  }
  return out;
}

bool Gen::outer(const Var& v) const {
  if (!in_parallel_) {
    return false;
  }
  for (std::size_t s = 0; s < outer_scopes_ && s < scopes_.size(); ++s) {
    for (const Var& w : scopes_[s]) {
      if (&w == &v) {
        return true;
      }
    }
  }
  return false;
}

bool Gen::readable(const Var& v) const {
  if (!in_parallel_) {
    return true;
  }
  if (reduce_vars_.count(v.name) != 0) {
    return false;
  }
  if (v.ty.rank > 0 && outer(v) &&
      (noread_bufs_.count(v.buf) != 0 || (v.buf == kUnknownBuf && !noread_bufs_.empty()))) {
    return false;
  }
  return true;
}

std::string Gen::lit(E e) {
  bool edge = on("edge_literals") && chance(8);
  switch (e) {
    case E::Bool:
      return chance(50) ? "true" : "false";
    case E::I32: {
      if (edge) {
        return pick(std::vector<std::string>{"2147483647i32", "(-2147483647i32 - 1i32)", "65536i32",
                                             "46341i32"});
      }
      int v = range(-12, 20);
      return v < 0 ? "(" + std::to_string(v) + "i32)" : std::to_string(v) + "i32";
    }
    case E::I64: {
      if (edge) {
        return pick(std::vector<std::string>{"9223372036854775807", "(-9223372036854775807 - 1)",
                                             "4294967296", "3037000500", "2147483648"});
      }
      int v = range(-12, 20);
      return v < 0 ? "(" + std::to_string(v) + ")" : std::to_string(v);
    }
    case E::F32:
    case E::F64: {
      std::string v;
      if (edge) {
        v = e == E::F64 ? pick(std::vector<std::string>{"1e300", "5e-324", "1.7976931348623157e308",
                                                        "-0.0", "1e-310"})
                        : pick(std::vector<std::string>{"3e38", "1e-40", "-0.0", "16777217.0"});
      } else {
        v = pick(std::vector<std::string>{"0.0", "1.0", "0.5", "2.5", "0.1", "3.0", "1e-3", "7.25",
                                          "100.0", "0.3", "1e10", "2.0"});
        if (chance(35)) {
          // an arbitrary decimal: most are not exact in binary, so rounding shows
          v = std::to_string(below(20)) + "." + std::to_string(below(1000));
        }
        if (chance(30)) {
          v = "-" + v;
        }
      }
      if (e == E::F32) {
        v += "f32";
      }
      return v[0] == '-' ? "(" + v + ")" : v;
    }
  }
  return "0";
}

std::string Gen::typed(const std::string& text, E e) {
  bool literal = !text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) != 0 ||
                                   text.rfind("(-", 0) == 0);
  return literal ? std::string(elem_name(e)) + "(" + text + ")" : text;
}

std::string Gen::idx(int n) {
  // A loop variable whose values all lie in [0, n), else any integer modulo n, else a literal.
  if (chance(35)) {
    auto loops = vars([&](const Var& v) { return v.loop && v.lo >= 0 && v.hi < n; });
    if (!loops.empty()) {
      return pick(loops)->name;
    }
  }
  if (chance(50)) {
    return "(" + sx(E::I64, 1) + " % " + std::to_string(n) + ")";
  }
  return std::to_string(below(n));
}

std::string Gen::sx_leaf(E e) {
  if (chance(60)) {
    auto vs = vars([&](const Var& v) { return v.ty.rank == 0 && v.ty.e == e; });
    if (!vs.empty()) {
      return pick(vs)->name;
    }
  }
  if (chance(30) && on("arrays")) {
    auto as = vars([&](const Var& v) { return v.ty.rank > 0 && v.ty.e == e; });
    if (!as.empty()) {
      const Var& a = *pick(as);
      if (a.ty.rank == 1) {
        return a.name + "[" + idx(a.ty.d0) + "]";
      }
      return a.name + "[" + idx(a.ty.d0) + ", " + idx(a.ty.d1) + "]";
    }
  }
  return lit(e);
}

std::string Gen::cmp_op(bool effects_both) {
  static const std::vector<std::string> all = {"<", "<=", ">", ">=", "==", "!="};
  static const std::vector<std::string> safe = {"<", "<=", "==", "!="};
  return pick(effects_both && !on("gt_effects") ? safe : all);
}

std::string Gen::sx(E e, int depth) {
  if (depth <= 0 || chance(25)) {
    return sx_leaf(e);
  }
  int d = depth - 1;
  // Candidates, tried in random order until one applies.
  for (int attempt = 0; attempt < 40; ++attempt) {
    switch (below(20)) {
      case 0:
      case 1: {  // arithmetic, same type
        if (!is_num(e)) {
          break;
        }
        static const std::vector<std::string> ops = {"+", "-", "*"};
        return "(" + sx(e, d) + " " + pick(ops) + " " + sx(e, d) + ")";
      }
      case 2: {  // mixed types promoted to e
        if (!is_num(e) || !on("mixed")) {
          break;
        }
        E other = num_elem();
        if (promote(e, other) != e) {
          break;
        }
        static const std::vector<std::string> ops = {"+", "-", "*"};
        // an untyped literal takes its partner's type: convert it to keep e
        std::string mine = sx(e, d);
        if (!mine.empty() &&
            (std::isdigit(static_cast<unsigned char>(mine[0])) != 0 || mine.rfind("(-", 0) == 0)) {
          mine = std::string(elem_name(e)) + "(" + mine + ")";
        }
        return chance(50) ? "(" + mine + " " + pick(ops) + " " + sx(other, d) + ")"
                          : "(" + sx(other, d) + " " + pick(ops) + " " + mine + ")";
      }
      case 3: {  // true division
        if (e == E::F64 && chance(50)) {
          E i = on("i32") && chance(30) ? E::I32 : E::I64;
          return "(" + sx(i, d) + " / " + sx(i, d) + ")";
        }
        if (!is_float(e)) {
          break;
        }
        return "(" + sx(e, d) + " / " + sx(e, d) + ")";
      }
      case 4: {  // floor division and modulo
        if (is_int(e) && on("int_divmod")) {
          std::string one = e == E::I32 ? "1i32" : "1";
          return "(" + sx(e, d) + (chance(50) ? " // (" : " % (") + sx(e, d) + " | " + one + "))";
        }
        if (is_float(e) && on("float_divmod")) {
          return "(" + sx(e, d) + (chance(50) ? " // " : " % ") + sx(e, d) + ")";
        }
        break;
      }
      case 5: {  // power
        if (is_int(e) && on("int_pow")) {
          std::string seven = e == E::I32 ? "7i32" : "7";
          return "(" + sx(e, d) + " ** (" + sx(e, d) + " & " + seven + "))";
        }
        if (is_float(e) && on("float_pow")) {
          return "(" + sx(e, d) + " ** " + sx(e, d) + ")";
        }
        break;
      }
      case 6: {  // shifts
        if (!is_int(e) || !on("shifts")) {
          break;
        }
        std::string mask = e == E::I32 ? "63i32" : "63";
        return "(" + sx(e, d) + (chance(50) ? " << (" : " >> (") + sx(e, d) + " & " + mask + "))";
      }
      case 7: {  // bitwise
        if (!is_int(e) || !on("bitwise")) {
          break;
        }
        if (chance(20)) {
          return "(~" + sx(e, d) + ")";
        }
        static const std::vector<std::string> ops = {"&", "|", "^"};
        return "(" + sx(e, d) + " " + pick(ops) + " " + sx(e, d) + ")";
      }
      case 8: {  // unary
        if (e == E::Bool) {
          return "(not " + sx(e, d) + ")";
        }
        return chance(50) ? "(-" + sx(e, d) + ")" : "abs(" + sx(e, d) + ")";
      }
      case 9: {  // comparisons and logic
        if (e != E::Bool) {
          break;
        }
        if (chance(30)) {
          return "(" + sx(E::Bool, d) + (chance(50) ? " and " : " or ") + sx(E::Bool, d) + ")";
        }
        E a = num_elem();
        E b = on("mixed") && chance(30) ? num_elem() : a;
        int before = effects_;
        std::string l = sx(a, d);
        int mid = effects_;
        std::string r = sx(b, d);
        bool both = mid > before && effects_ > mid;
        if (a != b) {
          // an untyped literal takes its partner's type (2147483648 > 1i32 does not check)
          l = typed(l, a);
          r = typed(r, b);
        }
        return "(" + l + " " + cmp_op(both) + " " + r + ")";
      }
      case 10: {  // conversions
        if (!on("conversions") || e == E::Bool) {
          break;
        }
        E from = num_elem();
        std::string arg = sx(from, d);
        if (std::isdigit(static_cast<unsigned char>(arg[0])) != 0 || arg.rfind("(-", 0) == 0) {
          // i32(2147483648) is a check error: an untyped literal takes the conversion's type
          arg = "(" + arg + " + " + lit(from) + ")";
        }
        return std::string(elem_name(e)) + "(" + arg + ")";
      }
      case 11: {  // math functions
        if (!on("math") || !is_float(e) || (e == E::F32 && !on("f32_math"))) {
          break;
        }
        static const std::vector<std::string> fns = {"exp", "log",  "sqrt",    "sin",
                                                     "cos", "tanh", "sigmoid", "floor"};
        return pick(fns) + "(" + sx(e, d) + ")";
      }
      case 12: {  // two-argument min and max
        if (!is_num(e)) {
          break;
        }
        return std::string(chance(50) ? "min(" : "max(") + sx(e, d) + ", " + sx(e, d) + ")";
      }
      case 13:
      case 14: {  // reductions
        if (!on("reductions") || !on("arrays")) {
          break;
        }
        E ae = num_elem();
        std::string fn;
        if (e == E::Bool) {
          ae = E::Bool;
          fn = chance(50) ? "any" : "all";
        } else if (e == E::I64) {
          int r = below(4);
          fn = r == 0 ? "argmin" : r == 1 ? "argmax" : r == 2 ? "sum" : "count";
          if (fn == "sum") {
            ae = chance(50) ? E::I64 : on("i32") && chance(50) ? E::I32 : E::Bool;
          } else if (fn == "count") {
            ae = E::Bool;
          }
        } else {
          int r = below(4);
          fn = r == 0 ? "sum" : r == 1 ? "min" : r == 2 ? "max" : "dot";
          ae = e;
          if (e == E::I32 && fn == "sum") {
            fn = "min";
          }
          if (e == E::F64 && chance(25)) {
            fn = "mean";
            ae = chance(50) ? E::F64 : E::I64;
          }
          if (e == E::F32 && chance(20)) {
            fn = "mean";
          }
        }
        Ty t = array_ty(ae);
        if (fn == "dot") {
          t.rank = 1;
          t.d1 = 0;
          return "dot(" + ax(t, d) + ", " + ax(t, d) + ")";
        }
        return fn + "(" + ax(t, d) + ")";
      }
      case 15: {  // len and shape
        if (e != E::I64 || !on("arrays")) {
          break;
        }
        auto as = vars([](const Var& v) { return v.ty.rank > 0; });
        if (as.empty()) {
          break;
        }
        const Var& a = *pick(as);
        if (a.ty.rank == 2 && chance(60)) {
          return "shape(" + a.name + ", " + std::to_string(below(2)) + ")";
        }
        return "len(" + a.name + ")";
      }
      case 16: {  // random numbers
        if (e != E::F64) {
          break;
        }
        bool stream_ok = on("random_stream") && (!in_parallel_ || on("parallel_random")) &&
                         (!in_kernel_ || on("kernel_random"));
        if (stream_ok && chance(40)) {
          ++effects_;
          if (cur_fn_ != nullptr) {
            cur_fn_->effects = true;
          }
          return chance(50) ? "random()" : "randn()";
        }
        if (!on("random_pure")) {
          break;
        }
        return std::string(chance(70) ? "random(" : "randn(") + sx(E::I64, d) + ", " +
               sx(E::I64, d) + ")";
      }
      case 17:
      case 18: {  // calls
        if (fns_.empty()) {
          break;
        }
        if (std::optional<std::string> c = call_returning(Ty{e, 0, 0, 0}, d)) {
          return *c;
        }
        break;
      }
      case 19: {  // a 2-D element through a transposed view
        if (!on("transpose") || !on("arrays2d")) {
          break;
        }
        auto ms = vars([&](const Var& v) { return v.ty.rank == 2 && v.ty.e == e; });
        if (ms.empty()) {
          break;
        }
        const Var& m = *pick(ms);
        return m.name + ".T[" + idx(m.ty.d1) + ", " + idx(m.ty.d0) + "]";
      }
    }
  }
  return sx_leaf(e);
}

std::string Gen::ax(const Ty& t, int depth) {
  int d = depth - 1;
  for (int attempt = 0; attempt < 40; ++attempt) {
    int r = depth <= 0 ? below(4) : below(16);
    switch (r) {
      case 0: {  // a variable of this shape, or a view of one
        auto vs = vars([&](const Var& v) { return v.ty == t; });
        if (!vs.empty()) {
          return pick(vs)->name;
        }
        if (!on("slices")) {
          break;
        }
        if (t.rank == 1) {
          auto big = vars([&](const Var& v) {
            return v.ty.e == t.e && ((v.ty.rank == 1 && v.ty.d0 > t.d0) ||
                                     (v.ty.rank == 2 && (v.ty.d0 == t.d0 || v.ty.d1 == t.d0)));
          });
          if (big.empty()) {
            break;
          }
          const Var& v = *pick(big);
          if (v.ty.rank == 1) {
            int s = below(v.ty.d0 - t.d0 + 1);
            return v.name + "[" + std::to_string(s) + ":" + std::to_string(s + t.d0) + "]";
          }
          if (v.ty.d1 == t.d0 && (v.ty.d0 != t.d0 || chance(50))) {
            return v.name + "[" + idx(v.ty.d0) + ", :]";
          }
          return v.name + "[:, " + idx(v.ty.d1) + "]";
        }
        auto big = vars([&](const Var& v) {
          return v.ty.e == t.e && v.ty.rank == 2 &&
                 ((v.ty.d0 >= t.d0 && v.ty.d1 == t.d1) || (v.ty.d0 == t.d1 && v.ty.d1 == t.d0));
        });
        if (big.empty()) {
          break;
        }
        const Var& v = *pick(big);
        if (v.ty.d0 == t.d1 && v.ty.d1 == t.d0 && on("transpose")) {
          return v.name + ".T";
        }
        if (v.ty.d0 >= t.d0 && v.ty.d1 == t.d1) {
          int s = below(v.ty.d0 - t.d0 + 1);
          return v.name + "[" + std::to_string(s) + ":" + std::to_string(s + t.d0) + ", :]";
        }
        break;
      }
      case 1: {  // constructors
        std::string dims =
            t.rank == 1 ? std::to_string(t.d0) : std::to_string(t.d0) + ", " + std::to_string(t.d1);
        if (t.e == E::Bool) {
          break;
        }
        std::string ty = elem_name(t.e);
        switch (below(5)) {
          case 0:
            return "zeros(" + dims + ", " + ty + ")";
          case 1:
            return "ones(" + dims + ", " + ty + ")";
          case 2:
            return "full(" + dims + ", " + lit(t.e) + ", " + ty + ")";
          case 3:
            if (t.rank == 1) {
              return "arange(" + dims + ", " + ty + ")";
            }
            return "full(" + dims + ", " + sx(t.e, 1) + ", " + ty + ")";
          default:
            if (t.e == E::F64 && on("rand_arrays")) {
              bool normal = chance(50);
              return std::string(normal ? "randn(" : "rand(") + dims +
                     ", seed=" + std::to_string(range(0, 99)) + ")";
            }
            if (t.rank == 1 && is_float(t.e)) {
              return "linspace(" + lit(E::F64) + ", " + lit(E::F64) + ", " + dims +
                     (t.e == E::F32 ? ", f32)" : ")");
            }
            return "zeros(" + dims + ", " + ty + ")";
        }
      }
      case 2: {  // literals
        if (t.d0 > 6 || (t.rank == 2 && t.d1 > 6)) {
          break;
        }
        auto row = [&](int n) {
          std::string s = "[";
          for (int i = 0; i < n; ++i) {
            s += (i ? ", " : "") + (chance(80) || depth <= 0 ? lit(t.e) : sx(t.e, 1));
          }
          return s + "]";
        };
        if (t.rank == 1) {
          return row(t.d0);
        }
        std::string s = "[";
        for (int i = 0; i < t.d0; ++i) {
          s += (i ? ", " : "") + row(t.d1);
        }
        return s + "]";
      }
      case 3: {  // copy of an array expression
        if (depth <= 0) {
          break;
        }
        return "copy(" + ax(t, d) + ")";
      }
      case 4:
      case 5:
      case 6: {  // elementwise arithmetic, broadcasting a scalar or a row
        if (!is_num(t.e)) {
          break;
        }
        static const std::vector<std::string> ops = {"+", "-", "*"};
        std::string op = pick(ops);
        if (is_float(t.e) && chance(20)) {
          op = chance(50) ? "/" : on("float_pow") ? "**" : "-";
        }
        if (is_int(t.e) && chance(15) && on("int_divmod")) {
          std::string one = t.e == E::I32 ? "1i32" : "1";
          return "(" + ax(t, d) + (chance(50) ? " // (" : " % (") + ax(t, d) + " | " + one + "))";
        }
        if (on("broadcast") && chance(40)) {
          std::string s = sx(t.e, d);
          return chance(50) ? "(" + ax(t, d) + " " + op + " " + s + ")"
                            : "(" + s + " " + op + " " + ax(t, d) + ")";
        }
        if (on("broadcast") && t.rank == 2 && chance(30)) {
          Ty row{t.e, 1, t.d1, 0};
          return "(" + ax(t, d) + " " + op + " " + ax(row, d) + ")";
        }
        return "(" + ax(t, d) + " " + op + " " + ax(t, d) + ")";
      }
      case 7: {  // unary and math
        if (t.e == E::Bool) {
          break;
        }
        if (is_float(t.e) && on("math") && (t.e == E::F64 || on("f32_math")) && chance(60)) {
          static const std::vector<std::string> fns = {"exp",  "log",     "sqrt",  "sin", "cos",
                                                       "tanh", "sigmoid", "floor", "abs"};
          return pick(fns) + "(" + ax(t, d) + ")";
        }
        return chance(50) ? "(-" + ax(t, d) + ")" : "abs(" + ax(t, d) + ")";
      }
      case 8: {  // comparisons
        if (t.e != E::Bool) {
          break;
        }
        Ty n = t;
        n.e = num_elem();
        static const std::vector<std::string> ops = {"<", "<=", ">", ">=", "==", "!="};
        if (chance(40)) {
          return "(" + ax(n, d) + " " + pick(ops) + " " + sx(n.e, d) + ")";
        }
        return "(" + ax(n, d) + " " + pick(ops) + " " + ax(n, d) + ")";
      }
      case 9: {  // conversions
        if (!on("conversions") || t.e == E::Bool) {
          break;
        }
        Ty from = t;
        from.e = num_elem();
        return std::string(elem_name(t.e)) + "(" + ax(from, d) + ")";
      }
      case 10: {  // where, clip, min, max
        if (!on("where_clip") || t.e == E::Bool) {
          break;
        }
        Ty b = t;
        b.e = E::Bool;
        switch (below(3)) {
          case 0:
            return "where(" + ax(b, d) + ", " + ax(t, d) + ", " +
                   (chance(50) ? ax(t, d) : sx(t.e, d)) + ")";
          case 1:
            return "clip(" + ax(t, d) + ", " + sx(t.e, d) + ", " + sx(t.e, d) + ")";
          default:
            return std::string(chance(50) ? "min(" : "max(") + ax(t, d) + ", " +
                   (chance(50) ? ax(t, d) : sx(t.e, d)) + ")";
        }
      }
      case 11: {  // reductions along an axis
        if (!on("axis") || !on("arrays2d") || t.rank != 1 || t.d0 > 8) {
          break;
        }
        int other = range(1, 5);
        int axis = below(2);
        E me = t.e;
        std::string fn;
        if (t.e == E::Bool) {
          fn = chance(50) ? "any" : "all";
        } else if (t.e == E::I64 && chance(40)) {
          fn = pick(std::vector<std::string>{"argmin", "argmax", "count", "sum"});
          me = fn == "count" ? E::Bool : fn == "sum" ? (chance(50) ? E::Bool : E::I64) : num_elem();
        } else if (t.e == E::F64 && chance(25)) {
          fn = "mean";
          me = chance(50) ? E::F64 : E::I64;
        } else {
          fn = pick(std::vector<std::string>{"sum", "min", "max", "dot"});
          if (fn == "sum" && t.e == E::I32) {
            fn = "max";
          }
          if (fn == "sum" && t.e == E::F32 && chance(30)) {
            fn = "mean";
          }
        }
        Ty m{me, 2, axis == 0 ? other : t.d0, axis == 0 ? t.d0 : other};
        std::string a = ", axis=" + std::to_string(axis) + ")";
        if (fn == "dot") {
          return "dot(" + ax(m, d) + ", " + ax(m, d) + a;
        }
        return fn + "(" + ax(m, d) + a;
      }
      case 12: {  // matrix products
        if (!on("matmul") || !is_float(t.e) || t.d0 > 8 || (t.rank == 2 && t.d1 > 8)) {
          break;
        }
        int k = range(1, 5);
        Ty a{t.e, 2, t.d0, k};
        if (t.rank == 1) {
          return "(" + ax(a, d) + " @ " + ax(Ty{t.e, 1, k, 0}, d) + ")";
        }
        return "(" + ax(a, d) + " @ " + ax(Ty{t.e, 2, k, t.d1}, d) + ")";
      }
      case 13: {  // calls
        if (std::optional<std::string> c = call_returning(t, d)) {
          return *c;
        }
        break;
      }
      case 14: {  // bitwise on integer arrays
        if (!is_int(t.e) || !on("bitwise")) {
          break;
        }
        static const std::vector<std::string> ops = {"&", "|", "^"};
        return "(" + ax(t, d) + " " + pick(ops) + " " + ax(t, d) + ")";
      }
      case 15: {  // transposed expressions
        if (t.rank != 2 || !on("transpose")) {
          break;
        }
        return "(" + ax(Ty{t.e, 2, t.d1, t.d0}, d) + ").T";
      }
    }
  }
  // Always possible: a constructor.
  std::string dims =
      t.rank == 1 ? std::to_string(t.d0) : std::to_string(t.d0) + ", " + std::to_string(t.d1);
  if (t.e == E::Bool) {
    return "(zeros(" + dims + ") < " + lit(E::F64) + ")";
  }
  return "full(" + dims + ", " + lit(t.e) + ", " + elem_name(t.e) + ")";
}

std::string Gen::call_args(const FnSig& fn, int depth) {
  std::string s;
  for (std::size_t i = 0; i < fn.params.size(); ++i) {
    const Ty& p = fn.params[i];
    s += i ? ", " : "";
    if (p.rank == 0) {
      // the first parameter of a recursive function is its depth
      s += fn.name[0] == 'r' && i == 0 ? std::to_string(range(0, 12)) : sx(p.e, depth);
    } else {
      auto vs = vars([&](const Var& v) { return v.ty == p && (!in_parallel_ || !outer(v)); });
      s += !vs.empty() && chance(70) ? pick(vs)->name : ax(p, depth);
    }
  }
  return s;
}

// ---- statements -----------------------------------------------------------------------------

void Gen::block(int n) {
  for (int i = 0; i < n && budget_ > 0; ++i) {
    stmt();
  }
}

void Gen::stmt() {
  --budget_;
  for (int attempt = 0; attempt < 20; ++attempt) {
    int r = below(100);
    if (r < 22) {
      stmt_let();
    } else if (r < 40) {
      stmt_assign();
    } else if (r < 58) {
      if (in_parallel_) {
        continue;
      }
      stmt_print();
    } else if (r < 66) {
      if (!on("if")) {
        continue;
      }
      stmt_if();
    } else if (r < 74) {
      if (!on("for") || loop_depth_ >= 2 || work_ > 200) {
        continue;
      }
      stmt_for();
    } else if (r < 78) {
      if (!on("while") || loop_depth_ >= 2 || work_ > 200 || in_parallel_) {
        continue;
      }
      stmt_while();
    } else if (r < 84) {
      if (!on("parallel") || in_parallel_ || loop_depth_ >= 1) {
        continue;
      }
      stmt_parallel();
    } else if (r < 89) {
      if (fns_.empty() || in_parallel_) {
        continue;
      }
      stmt_call();
    } else if (r < 93) {
      // a launch makes its output array here: inside a loop only with array_in_loop
      if (kernels_.empty() || in_parallel_ || cur_fn_ != nullptr ||
          (loop_depth_ > 0 && !on("array_in_loop"))) {
        continue;
      }
      stmt_launch();
    } else if (r < 96) {
      if (loop_depth_ == 0 || in_parallel_ || !on("break_continue")) {
        continue;
      }
      if (cur_fn_ != nullptr && !in_kernel_ && cur_fn_->rets.size() == 1 && chance(30)) {
        // an early return from inside a loop
        const Ty& t = cur_fn_->rets[0];
        line("if " + sx(E::Bool, 2) + " { return " + (t.rank == 0 ? sx(t.e, 2) : ax(t, 1)) + " }");
        return;
      }
      line("if " + sx(E::Bool, 2) + " { " + (chance(50) ? "break" : "continue") + " }");
    } else {
      if (!on("random_stream") || in_parallel_) {
        continue;
      }
      line("seed(" + sx(E::I64, 1) + ")");
      if (cur_fn_ != nullptr) {
        cur_fn_->effects = true;
      }
    }
    return;
  }
  stmt_let();
}

void Gen::stmt_let() {
  bool in_loop = loop_depth_ > 0 || in_parallel_;
  bool array = on("arrays") && chance(in_loop ? 55 : 40) && (on("array_in_loop") || !in_loop);
  E e = scalar_elem();
  Ty t = array ? array_ty(e) : Ty{e, 0, 0, 0};
  bool mut = chance(50);
  std::string name = fresh("v");
  std::string init = t.rank == 0 ? sx(e, 3) : ax(t, 3);
  int buf = bufs_++;
  if (t.rank > 0) {
    // A bare variable or a view of one shares its buffer; conservatively, anything that starts
    // with a name (a call may return a view of its argument) may share some buffer.
    if (init.size() > 3 && init.compare(init.size() - 3, 3, ").T") == 0) {
      buf = kUnknownBuf;
    } else if (!init.empty() && (std::isalpha(static_cast<unsigned char>(init[0])) != 0)) {
      bool constructor = init.rfind("zeros(", 0) == 0 || init.rfind("ones(", 0) == 0 ||
                         init.rfind("full(", 0) == 0 || init.rfind("arange(", 0) == 0 ||
                         init.rfind("linspace(", 0) == 0 || init.rfind("rand", 0) == 0 ||
                         init.rfind("copy(", 0) == 0;
      if (!constructor) {
        buf = kUnknownBuf;
        for (const auto& scope : scopes_) {
          for (const Var& v : scope) {
            if (init.rfind(v.name, 0) == 0 &&
                (init.size() == v.name.size() || init[v.name.size()] == '[' ||
                 init[v.name.size()] == '.')) {
              buf = v.buf;
            }
          }
        }
      }
    }
  }
  line(std::string(mut ? "var " : "let ") + name + " = " + init);
  declare(Var{name, t, mut, buf});
  if (!in_parallel_ && chance(50)) {
    // the intermediate value, or one element of it (an index into a fresh array)
    if (t.rank == 1 && chance(50)) {
      line("print(" + name + "[" + idx(t.d0) + "])");
    } else if (t.rank == 2 && chance(50)) {
      line("print(" + name + "[" + idx(t.d0) + ", " + idx(t.d1) + "])");
    } else {
      line("print(" + name + ")");
    }
    if (cur_fn_ != nullptr) {
      cur_fn_->prints = true;
      cur_fn_->effects = true;
    }
  }
}

void Gen::stmt_assign() {
  // a mutable scalar, an element, or a slice
  if (chance(50)) {
    auto vs = vars([&](const Var& v) { return v.ty.rank == 0 && v.mut && !v.loop && !outer(v); });
    if (!vs.empty()) {
      const Var& v = *pick(vs);
      std::string op = " = ";
      if (is_num(v.ty.e) && chance(50)) {
        op = pick(std::vector<std::string>{" += ", " -= ", " *= "});
        if (is_float(v.ty.e) && chance(25)) {
          op = " /= ";
        }
      }
      line(v.name + op + sx(v.ty.e, 3));
      return;
    }
  }
  if (!on("arrays")) {
    stmt_let();
    return;
  }
  auto as = vars([&](const Var& v) { return v.ty.rank > 0 && !outer(v); });
  if (as.empty()) {
    stmt_let();
    return;
  }
  Var& a = const_cast<Var&>(*pick(as));
  if (a.mut && chance(20)) {
    // rebinding a var array: it may now share any buffer
    line(a.name + " = " + ax(a.ty, 2));
    a.buf = kUnknownBuf;
    return;
  }
  if (cur_fn_ != nullptr && (a.buf < 0 || a.buf >= 1000000)) {
    cur_fn_->effects = true;  // may write the caller's array
  }
  if (a.ty.rank == 2 && chance(25)) {
    // writes through a column view or a transposed view
    if (chance(50) && on("slices")) {
      line(a.name + "[:, " + idx(a.ty.d1) +
           "] = " + (chance(50) ? sx(a.ty.e, 2) : ax(Ty{a.ty.e, 1, a.ty.d0, 0}, 2)));
    } else if (on("transpose")) {
      line(a.name + ".T[" + idx(a.ty.d1) + ", " + idx(a.ty.d0) + "] = " + sx(a.ty.e, 2));
    }
    return;
  }
  std::string op = is_num(a.ty.e) && chance(40) ? " += " : " = ";
  if (on("slices") && chance(35)) {
    if (a.ty.rank == 1) {
      int s = below(a.ty.d0);
      int n = range(1, a.ty.d0 - s);
      std::string rhs = chance(50) ? sx(a.ty.e, 2) : ax(Ty{a.ty.e, 1, n, 0}, 2);
      line(a.name + "[" + std::to_string(s) + ":" + std::to_string(s + n) + "]" + op + rhs);
    } else {
      if (chance(50)) {
        line(a.name + "[" + idx(a.ty.d0) + ", :]" + op + ax(Ty{a.ty.e, 1, a.ty.d1, 0}, 2));
      } else {
        line(a.name + "[:, :]" + op + (chance(50) ? sx(a.ty.e, 2) : ax(a.ty, 2)));
      }
    }
    return;
  }
  std::string target = a.ty.rank == 1 ? a.name + "[" + idx(a.ty.d0) + "]"
                                      : a.name + "[" + idx(a.ty.d0) + ", " + idx(a.ty.d1) + "]";
  line(target + op + sx(a.ty.e, 3));
}

void Gen::stmt_print() {
  std::string s = "print(";
  int n = range(1, 3);
  for (int i = 0; i < n; ++i) {
    s += i ? ", " : "";
    int r = below(10);
    if (r < 2) {
      s += "\"p" + std::to_string(names_++) + "\"";
    } else if (r < 6 || !on("arrays")) {
      s += sx(scalar_elem(), 3);
    } else {
      auto as = vars([](const Var& v) { return v.ty.rank > 0; });
      if (!as.empty() && chance(60)) {
        s += pick(as)->name;
      } else {
        s += ax(array_ty(scalar_elem()), 2);
      }
    }
  }
  line(s + ")");
  if (cur_fn_ != nullptr) {
    cur_fn_->prints = true;
    cur_fn_->effects = true;
  }
}

void Gen::stmt_if() {
  line("if " + sx(E::Bool, 3) + " {");
  ++indent_;
  push();
  block(range(1, 3));
  pop();
  --indent_;
  while (chance(40)) {
    if (chance(50)) {
      line("} else if " + sx(E::Bool, 2) + " {");
    } else {
      line("} else {");
      ++indent_;
      push();
      block(range(1, 2));
      pop();
      --indent_;
      break;
    }
    ++indent_;
    push();
    block(range(1, 2));
    pop();
    --indent_;
  }
  line("}");
}

void Gen::loop_body(int n) {
  ++indent_;
  block(n);
  --indent_;
  line("}");
}

void Gen::stmt_for() {
  if (cur_fn_ != nullptr) {
    cur_fn_->heavy = true;
  }
  int a = chance(80) ? range(0, 3) : range(-3, 6);
  int b = chance(80) ? range(a, a + 6) : range(-3, 8);
  int step = 1;
  bool by = chance(40);
  if (by) {
    step = range(1, 3) * (chance(30) ? -1 : 1);
  }
  std::vector<std::int64_t> values;
  for (std::int64_t i = a; step > 0 ? i < b : i > b; i += step) {
    values.push_back(i);
  }
  std::string name = fresh("ix");
  std::string head = "for " + name + " in " + std::to_string(a) + ".." + std::to_string(b);
  if (by) {
    head += " by " + std::to_string(step);
  }
  line(head + " {");
  push();
  Var v{name, Ty{E::I64, 0, 0, 0}, false, 0, true, 0, -1};
  if (!values.empty()) {
    v.lo = *std::min_element(values.begin(), values.end());
    v.hi = *std::max_element(values.begin(), values.end());
  }
  declare(v);
  ++loop_depth_;
  int saved = work_;
  work_ *= std::max<int>(1, static_cast<int>(values.size()));
  loop_body(range(1, 4));
  work_ = saved;
  --loop_depth_;
  pop();
}

void Gen::stmt_while() {
  if (cur_fn_ != nullptr) {
    cur_fn_->heavy = true;
  }
  std::string w = fresh("w");
  int n = range(0, 6);
  line("var " + w + " = 0");
  declare(Var{w, Ty{E::I64, 0, 0, 0}, false, 0, true, 1, n});
  line("while " + w + " < " + std::to_string(n) + " {");
  push();
  ++indent_;
  line(w + " += 1");
  --indent_;
  ++loop_depth_;
  int saved = work_;
  work_ *= std::max(1, n);
  loop_body(range(1, 4));
  work_ = saved;
  --loop_depth_;
  pop();
}

void Gen::stmt_parallel() {
  if (cur_fn_ != nullptr) {
    cur_fn_->heavy = true;
  }
  // Reduction targets declared just before the loop; stores into a fresh outer array.
  int n = chance(20) ? pick(std::vector<int>{100, 1000, 5000}) : range(0, 10);
  std::vector<std::pair<Var, std::string>> reds;
  int nred = range(0, 3);
  for (int k = 0; k < nred; ++k) {
    E e = num_elem();
    std::string name = fresh("s");
    std::string form = pick(std::vector<std::string>{"+=", "-=", "*=", "min", "max"});
    if (form == "*=" && is_float(e) && n > 10) {
      form = "+=";
    }
    line("var " + name + " = " + lit(e));
    reds.push_back({declare(Var{name, Ty{e, 0, 0, 0}, true, 0}), form});
  }
  std::string out;
  E oe = num_elem();
  if (on("parallel_store") && chance(60)) {
    out = fresh("o");
    line("let " + out + " = zeros(" + std::to_string(std::max(n, 1)) + ", " + elem_name(oe) + ")");
    declare(Var{out, Ty{oe, 1, std::max(n, 1), 0}, false, bufs_++});
  }
  // an array reduction: a histogram by element, or a whole-array +=
  std::string hist;
  Ty hty{num_elem(), 1, range(1, 6), 0};
  if (on("parallel_array_reduce") && chance(40)) {
    hist = fresh("h");
    line("var " + hist + " = zeros(" + std::to_string(hty.d0) + ", " + elem_name(hty.e) + ")");
    declare(Var{hist, hty, true, bufs_++});
    reduce_vars_.insert(hist);
  }
  std::string name = fresh("ix");
  int step = chance(20) ? 2 : 1;
  line("parallel for " + name + " in 0.." + std::to_string(n) +
       (step != 1 ? " by " + std::to_string(step) : "") + " {");
  bool saved_par = in_parallel_;
  std::size_t saved_outer = outer_scopes_;
  int saved_work = work_;
  in_parallel_ = true;
  outer_scopes_ = scopes_.size();
  for (const auto& r : reds) {
    reduce_vars_.insert(r.first.name);
  }
  int out_buf = 0;
  if (!out.empty()) {
    for (const Var* v : vars([&](const Var& v) { return v.name == out; })) {
      out_buf = v->buf;
    }
    noread_bufs_.insert(out_buf);
  }
  push();
  declare(Var{name, Ty{E::I64, 0, 0, 0}, false, 0, true, 0, std::max(0, n - 1)});
  work_ *= std::max(1, n);
  ++indent_;
  block(range(0, 2));
  if (!out.empty()) {
    line(out + "[" + name + "] = " + sx(oe, 3));
  }
  if (!hist.empty()) {
    if (chance(50)) {
      line(hist + "[(" + sx(E::I64, 2) + " % " + std::to_string(hty.d0) + ")] += " + sx(hty.e, 2));
    } else {
      line(hist + " += " + ax(hty, 2));
    }
  }
  for (const auto& [v, form] : reds) {
    if (form == "min" || form == "max") {
      line(v.name + " = " + form + "(" + v.name + ", " + sx(v.ty.e, 3) + ")");
    } else {
      line(v.name + " " + form + " " + sx(v.ty.e, 3));
    }
  }
  --indent_;
  pop();
  line("}");
  for (const auto& r : reds) {
    reduce_vars_.erase(r.first.name);
  }
  noread_bufs_.erase(out_buf);
  reduce_vars_.erase(hist);
  if (!hist.empty() && !in_parallel_) {
    line("print(" + hist + ")");
  }
  in_parallel_ = saved_par;
  outer_scopes_ = saved_outer;
  work_ = saved_work;
  // In a function the results often stay unprinted (the function may return them), so the
  // function stays free of effects and callable from another parallel loop.
  if (!in_parallel_ && (!reds.empty() || !out.empty()) && (cur_fn_ == nullptr || chance(50))) {
    std::string p = "print(";
    for (std::size_t k = 0; k < reds.size(); ++k) {
      p += (k ? ", " : "") + reds[k].first.name;
    }
    if (!out.empty()) {
      p += std::string(reds.empty() ? "" : ", ") + (n > 20 ? "sum(" + out + ")" : out);
    }
    line(p + ")");
    if (cur_fn_ != nullptr) {
      cur_fn_->prints = true;
      cur_fn_->effects = true;
    }
  }
}

bool Gen::callable(const FnSig& fn) const {
  // a heavy function (its own loops, recursion) runs at most a few times per program point
  return !fn.heavy || work_ <= 8;
}

void Gen::stmt_call() {
  const FnSig& fn = pick(fns_);
  if (!callable(fn)) {
    stmt_let();
    return;
  }
  if (fn.heavy && cur_fn_ != nullptr) {
    cur_fn_->heavy = true;
  }
  if (fn.rets.size() == 2 && on("tuples")) {
    std::string a = fresh("t");
    std::string b = fresh("t");
    std::string call = fn.name + "(" + call_args(fn, 2) + ")";
    bool arrays = fn.rets[0].rank > 0 || fn.rets[1].rank > 0;
    bool in_loop = loop_depth_ > 0 || in_parallel_;
    if (chance(30) || (arrays && in_loop && !on("array_in_loop"))) {
      line("print(" + call + ")");
    } else {
      line("let (" + a + ", " + b + ") = " + call);
      declare(Var{a, fn.rets[0], false, kUnknownBuf});
      declare(Var{b, fn.rets[1], false, kUnknownBuf});
    }
  } else if (fn.rets.empty()) {
    line(fn.name + "(" + call_args(fn, 2) + ")");
  } else {
    line("print(" + fn.name + "(" + call_args(fn, 2) + "))");
  }
  if (cur_fn_ != nullptr && fn.effects) {
    cur_fn_->effects = true;
    cur_fn_->prints = cur_fn_->prints || fn.prints;
  }
}

std::string Gen::launch_arg(const Ty& t, std::set<int>* used) {
  auto vs = vars([&](const Var& v) { return v.ty == t && v.buf > 0 && used->count(v.buf) == 0; });
  if (!vs.empty() && chance(60)) {
    const Var& v = *pick(vs);
    used->insert(v.buf);
    return v.name;
  }
  return ax(t, 1);
}

void Gen::stmt_launch() {
  const KernelSig& k = pick(kernels_);
  std::string out = fresh("k");
  line("let " + out + " = zeros(" + std::to_string(k.out.d0) +
       (k.out.rank == 2 ? ", " + std::to_string(k.out.d1) : "") + ", " + elem_name(k.out.e) + ")");
  std::set<int> used;
  std::string args = out;
  for (const Ty& t : k.inputs) {
    args += ", " + (t.rank == 0 ? sx(t.e, 2) : launch_arg(t, &used));
  }
  std::string grid =
      std::to_string(k.out.d0) + (k.out.rank == 2 ? ", " + std::to_string(k.out.d1) : "");
  line(k.name + "[" + grid + "](" + args + ")");
  line("print(" + (k.out.d0 > 20 ? "sum(" + out + ")" : out) + ")");
  declare(Var{out, k.out, false, bufs_++});
}

void Gen::stmt_error() {
  // One runtime error on purpose, reached unconditionally at the top level. The operands that
  // make it an error come from a variable (z = ... * 0), so the checker cannot see it coming.
  std::string z = fresh("z");
  line("let " + z + " = " + sx(E::I64, 1) + " * 0");
  auto vecs = vars([](const Var& v) { return v.ty.rank == 1 && v.ty.d0 < 1000; });
  auto mats = vars([](const Var& v) { return v.ty.rank == 2; });
  for (;;) {
    switch (below(12)) {
      case 0:  // index past the end
        if (vecs.empty()) {
          continue;
        }
        line("print(" + pick(vecs)->name + "[" + z + " + " +
             std::to_string(pick(vecs)->ty.d0 + below(3)) + "])");
        return;
      case 1:
        if (mats.empty()) {
          continue;
        }
        {
          const Var& m = *pick(mats);
          line("print(" + m.name + "[" + idx(m.ty.d0) + ", " + z + " + " + std::to_string(m.ty.d1) +
               "])");
        }
        return;
      case 2:  // integer division by zero
        line("print(" + sx(chance(70) ? E::I64 : E::I32, 2) + (chance(50) ? " // " : " % ") +
             (chance(30) ? "i32(" + z + ")" : z) + ")");
        return;
      case 3: {  // elementwise shapes that do not broadcast
        Ty a{num_elem(), 1, range(2, 5), 0};
        Ty b = a;
        b.d0 = a.d0 + 1;
        line("print(" + ax(a, 1) + " + " + ax(b, 1) + ")");
        return;
      }
      case 4: {  // a row of the wrong length across a matrix
        Ty m{E::F64, 2, range(1, 4), range(2, 4)};
        line("print(" + ax(m, 1) + " * " + ax(Ty{E::F64, 1, m.d1 + 1, 0}, 1) + ")");
        return;
      }
      case 5: {  // matrix product shapes
        if (!on("matmul")) {
          continue;
        }
        int k = range(1, 4);
        line("print(" +
             ax(
                 Ty{
                     E::F64,
                     2,
                     range(1, 4),
                     k,
                 },
                 1) +
             " @ " + ax(Ty{E::F64, 2, k + 1, range(1, 4)}, 1) + ")");
        return;
      }
      case 6: {  // past the end inside a parallel loop (the same iteration reported everywhere)
        if (!on("parallel") || vecs.empty()) {
          continue;
        }
        const Var& a = *pick(vecs);
        std::string s = fresh("s");
        std::string i = fresh("ix");
        int n = a.ty.d0 + range(1, 50);
        line("var " + s + " = 0.0");
        line("parallel for " + i + " in 0.." + std::to_string(n) + " {");
        line("    " + s + " += f64(" + a.name + "[" + i + " + " + z + "])");
        line("}");
        line("print(" + s + ")");
        return;
      }
      case 7: {  // past the end in a serial loop that writes
        if (vecs.empty()) {
          continue;
        }
        const Var& a = *pick(vecs);
        std::string i = fresh("ix");
        line("for " + i + " in 0.." + std::to_string(a.ty.d0 + 2) + " {");
        line("    " + a.name + "[" + i + "] = " + sx(a.ty.e, 1));
        line("}");
        return;
      }
      case 8:  // negative sizes
        line("print(zeros(" + z + " - " + std::to_string(range(1, 3)) + "))");
        return;
      case 9:  // a slice past the end
        if (vecs.empty()) {
          continue;
        }
        {
          const Var& a = *pick(vecs);
          line("print(" + a.name + "[0:" + z + " + " + std::to_string(a.ty.d0 + 1) + "])");
        }
        return;
      case 10:  // negative shift count, negative integer power
        line("print(" + sx(E::I64, 1) + (chance(50) ? " << (" : " ** (") + z + " - 1))");
        return;
      default: {  // a kernel launched past the end of its output
        if (kernels_.empty()) {
          continue;
        }
        const KernelSig& k = pick(kernels_);
        std::string args = "zeros(" + std::to_string(k.out.d0) +
                           (k.out.rank == 2 ? ", " + std::to_string(k.out.d1) : "") + ", " +
                           elem_name(k.out.e) + ")";
        for (const Ty& t : k.inputs) {
          args += ", " + (t.rank == 0 ? sx(t.e, 1) : ax(t, 1));
        }
        line(k.name + "[" + std::to_string(k.out.d0) + " + " + z + " + 1" +
             (k.out.rank == 2 ? ", " + std::to_string(k.out.d1) : "") + "](" + args + ")");
        return;
      }
    }
  }
}

// ---- functions and kernels ------------------------------------------------------------------

void Gen::gen_function(bool recursive) {
  FnSig sig;
  sig.name = fresh(recursive ? "rec" : "fn");
  if (recursive) {
    sig.params.push_back(Ty{E::I64, 0, 0, 0});
  }
  int np = range(recursive ? 1 : 0, 3);
  for (int i = 0; i < np; ++i) {
    E e = scalar_elem();
    sig.params.push_back(on("arrays") && chance(35) ? array_ty(e) : Ty{e, 0, 0, 0});
  }
  if (on("tuples") && chance(20) && !recursive) {
    sig.rets = {Ty{scalar_elem(), 0, 0, 0},
                on("arrays") && chance(40) ? array_ty(num_elem()) : Ty{num_elem(), 0, 0, 0}};
  } else if (chance(15) && !recursive) {
    sig.rets = {};
  } else {
    E e = scalar_elem();
    sig.rets = {on("arrays") && chance(30) ? array_ty(e) : Ty{e, 0, 0, 0}};
  }
  std::string head = "fn " + sig.name + "(";
  std::vector<std::string> names;
  for (std::size_t i = 0; i < sig.params.size(); ++i) {
    names.push_back(recursive && i == 0 ? "depth" : fresh("a"));
    head += (i ? ", " : "") + names.back() + ": " + type_text(sig.params[i]);
  }
  head += ")";
  if (sig.rets.size() == 1) {
    head += " -> " + type_text(sig.rets[0]);
  } else if (sig.rets.size() == 2) {
    head += " -> (" + type_text(sig.rets[0]) + ", " + type_text(sig.rets[1]) + ")";
  }
  line(head + " {");
  ++indent_;
  push();
  for (std::size_t i = 0; i < sig.params.size(); ++i) {
    Var v{names[i], sig.params[i], false, 1000000 + static_cast<int>(i)};
    if (recursive && i == 0) {
      v.loop = true;  // 0..12, usable as an index into short arrays only if in range
      v.lo = -1;
      v.hi = 12;
    }
    declare(v);
  }
  // A function calls only those written before it (never itself but through the one
  // recursive call below), so every call tree is finite.
  FnSig local = sig;
  local.heavy = recursive;
  cur_fn_ = &local;
  auto ret_expr = [&](const Ty& t) { return t.rank == 0 ? sx(t.e, 3) : ax(t, 2); };
  auto ret_stmt = [&]() {
    if (sig.rets.size() == 1) {
      line("return " + ret_expr(sig.rets[0]));
    } else if (sig.rets.size() == 2) {
      line("return (" + ret_expr(sig.rets[0]) + ", " + ret_expr(sig.rets[1]) + ")");
    } else {
      line("return");
    }
  };
  if (recursive) {
    line("if depth <= 0 {");
    ++indent_;
    ret_stmt();
    --indent_;
    line("}");
  }
  budget_ = range(1, 5);
  work_ = recursive ? 12 : 4;
  block(budget_);
  if (chance(20) && on("if")) {
    line("if " + sx(E::Bool, 2) + " {");
    ++indent_;
    ret_stmt();
    --indent_;
    line("}");
  }
  if (recursive) {
    // the recursive call: depth - 1, other arguments from this frame
    std::string args = "depth - 1";
    for (std::size_t i = 1; i < sig.params.size(); ++i) {
      const Ty& p = sig.params[i];
      args += ", " + (p.rank == 0 ? sx(p.e, 2) : names[i]);
    }
    const Ty& r = sig.rets[0];
    std::string call = sig.name + "(" + args + ")";
    if (r.rank == 0 && is_num(r.e) && chance(70)) {
      line("return (" + call + " + " + sx(r.e, 1) + ")");
    } else {
      line("return " + call);
    }
  } else {
    ret_stmt();
  }
  FnSig done = *cur_fn_;
  cur_fn_ = nullptr;
  pop();
  --indent_;
  line("}");
  fns_.push_back(done);
  work_ = 1;
}

void Gen::gen_kernel() {
  KernelSig k;
  k.name = fresh("kern");
  E e = num_elem();
  bool two = on("arrays2d") && chance(30);
  k.out = two ? Ty{e, 2, range(1, 5), range(1, 5)} : Ty{e, 1, chance(20) ? 1000 : range(1, 8), 0};
  int ni = range(0, 2);
  for (int i = 0; i < ni; ++i) {
    Ty t = k.out;
    t.e = num_elem();
    k.inputs.push_back(t);
  }
  k.inputs.push_back(Ty{num_elem(), 0, 0, 0});
  std::vector<std::string> names = {fresh("out")};
  std::string head = "kernel " + k.name + "(" + names[0] + ": " + type_text(k.out);
  for (const Ty& t : k.inputs) {
    names.push_back(fresh("a"));
    head += ", " + names.back() + ": " + type_text(t);
  }
  line(head + ") {");
  ++indent_;
  push();
  in_parallel_ = true;
  outer_scopes_ = scopes_.size();  // the kernel's own scope is inside
  for (std::size_t i = 1; i < names.size(); ++i) {
    declare(Var{names[i], k.inputs[i - 1], false, 2000000 + static_cast<int>(i)});
  }
  std::string i0 = fresh("x");
  line("let " + i0 + " = index(0)");
  declare(Var{i0, Ty{E::I64, 0, 0, 0}, false, 0, true, 0, k.out.d0 - 1});
  std::string target = names[0] + "[" + i0;
  if (two) {
    std::string i1 = fresh("y");
    line("let " + i1 + " = index(1)");
    declare(Var{i1, Ty{E::I64, 0, 0, 0}, false, 0, true, 0, k.out.d1 - 1});
    target += ", " + i1;
  }
  target += "]";
  FnSig dummy;
  cur_fn_ = &dummy;
  in_kernel_ = true;
  budget_ = range(0, 2);
  work_ = 8;
  block(budget_);
  line(target + " = " + sx(e, 3));
  in_kernel_ = false;
  cur_fn_ = nullptr;
  in_parallel_ = false;
  outer_scopes_ = 0;
  pop();
  --indent_;
  line("}");
  kernels_.push_back(k);
  work_ = 1;
}

std::string Gen::program() {
  push();  // globals: none before the functions (functions see only their own parameters)
  line("# difftest program");
  int nf = on("functions") ? range(0, 4) : 0;
  for (int i = 0; i < nf; ++i) {
    gen_function(on("recursion") && chance(25));
  }
  if (on("kernels")) {
    int nk = range(0, 2);
    for (int i = 0; i < nk; ++i) {
      gen_kernel();
    }
  }
  budget_ = range(8, 25);
  int error_at = on("errors") && chance(12) ? range(2, budget_) : -1;
  int total = budget_;
  while (budget_ > 0) {
    if (total - budget_ == error_at && !error_done_) {
      stmt_error();
      error_done_ = true;
    }
    stmt();
  }
  // the final values of the top-level variables
  std::vector<std::string> finals;
  for (const Var& v : scopes_.back()) {
    if (v.ty.rank == 0 || (v.ty.d0 <= 6 && v.ty.d1 <= 6)) {
      finals.push_back(v.name);
    }
  }
  for (std::size_t i = 0; i < finals.size(); i += 4) {
    std::string p = "print(\"final\"";
    for (std::size_t k = i; k < finals.size() && k < i + 4; ++k) {
      p += ", " + finals[k];
    }
    line(p + ")");
  }
  pop();
  return out_;
}

}  // namespace

std::string generate_program(std::uint64_t seed, const Features& features) {
  Gen gen(seed, features);
  return gen.program();
}

}  // namespace kestrel::difftest
