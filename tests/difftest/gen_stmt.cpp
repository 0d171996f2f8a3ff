// The generator: serial statements (let, assignment, print, if, for, while, calls).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/difftest/gen_context.hpp"

namespace kestrel::difftest::detail {

void Gen::block(int n) {
  for (int i = 0; i < n && budget_ > 0; ++i) {
    stmt();
  }
}

void Gen::stmt() {
  --budget_;
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (numpy_on() && chance(6) && stmt_numpy()) {
      return;
    }
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

}  // namespace kestrel::difftest::detail
