// The generator: one runtime error on purpose, functions, and the whole program.
#include <cstdint>
#include <string>
#include <vector>

#include "tests/difftest/gen_context.hpp"

namespace kestrel::difftest {

namespace detail {

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

}  // namespace detail

std::string generate_program(std::uint64_t seed, const Features& features) {
  detail::Gen gen(seed, features);
  return gen.program();
}

}  // namespace kestrel::difftest
