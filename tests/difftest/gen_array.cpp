// The generator: array expressions of a given type and shape, and the arguments of calls.
#include <optional>
#include <string>
#include <vector>

#include "tests/difftest/gen_context.hpp"

namespace kestrel::difftest::detail {

std::string Gen::ax(const Ty& t, int depth) {
  int d = depth - 1;
  if (depth > 0 && numpy_on() && chance(12)) {
    if (auto s = ax_numpy(t, d)) {
      return *s;
    }
  }
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

}  // namespace kestrel::difftest::detail
