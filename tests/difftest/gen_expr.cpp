// The generator: element types, the scope, and scalar expressions of a given element type.
#include <cctype>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tests/difftest/gen_context.hpp"

namespace kestrel::difftest::detail {

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
        // Typed: an untyped literal takes the type of an i32 it meets, where these do not fit
        // (a checker rejection, not a program: difftest seed 6000029).
        return pick(std::vector<std::string>{"9223372036854775807i64",
                                             "(-9223372036854775807i64 - 1i64)", "4294967296i64",
                                             "3037000500i64", "2147483648i64"});
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
  if (numpy_on() && chance(10)) {
    if (auto s = sx_numpy(e, d)) {
      return *s;
    }
  }
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
        if (e == E::I64 && on("int_divmod_const") && chance(40)) {
          // Constants that are not 0, 1, -1 or a power of two, of every magnitude and sign.
          static const std::vector<std::string> divisors = {"3",
                                                            "5",
                                                            "7",
                                                            "10",
                                                            "100",
                                                            "641",
                                                            "6700417",
                                                            "1000000007",
                                                            "4294967297",
                                                            "12345678901",
                                                            "9223372036854775807",
                                                            "(-3)",
                                                            "(-7)",
                                                            "(-100)",
                                                            "(-4294967295)",
                                                            "(-9223372036854775807)"};
          return "(" + sx(e, d) + (chance(50) ? " // " : " % ") + pick(divisors) + ")";
        }
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

}  // namespace kestrel::difftest::detail
