// The generator: parallel for loops with reductions and stores, kernels and their launches.
#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/difftest/gen_context.hpp"

namespace kestrel::difftest::detail {

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

}  // namespace kestrel::difftest::detail
