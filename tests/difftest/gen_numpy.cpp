// The generator: issue 17's everyday numpy set -- negative indices, step and reversed slices,
// masks, integer-array indexing, the elementwise and reduction functions, sort and friends, and
// str()/format()/print(sep=). Shapes stay known statically: a mask's or unique()'s result (whose
// length depends on the data) is only ever reduced to a scalar. None of it is written inside a
// parallel loop or a kernel.
#include <optional>
#include <string>
#include <vector>

#include "tests/difftest/gen_context.hpp"

namespace kestrel::difftest::detail {

namespace {

std::string num(std::int64_t v) { return std::to_string(v); }

}  // namespace

std::string Gen::neg_idx(int n) {
  // An index in [-n, 0): a literal, or any integer taken modulo n and moved down by n.
  if (chance(50)) {
    return "(-" + num(range(1, n)) + ")";
  }
  return "((" + sx(E::I64, 1) + " % " + num(n) + ") - " + num(n) + ")";
}

std::optional<std::string> Gen::ax_numpy(const Ty& t, int d) {
  if (in_parallel_) {
    return std::nullopt;
  }
  switch (below(9)) {
    case 0: {  // a step or reversed view of a longer (or equal) 1-D variable
      if (t.rank != 1 || !on("step_slices")) {
        break;
      }
      // a variable, else a fresh array expression (parenthesised) of a length that fits
      auto vs =
          vars([&](const Var& v) { return v.ty.rank == 1 && v.ty.e == t.e && v.ty.d0 >= t.d0; });
      Var fresh_source;
      if (vs.empty() || chance(50)) {
        fresh_source.ty = Ty{t.e, 1, t.d0 * range(1, 3) + below(3), 0};
        fresh_source.name = "(" + ax(fresh_source.ty, d) + ")";
      }
      const Var& v = fresh_source.name.empty() ? *pick(vs) : fresh_source;
      const int len = v.ty.d0;
      const int n = t.d0;
      switch (below(5)) {
        case 0:
          if (len == n) {
            return v.name + "[::-1]";
          }
          break;
        case 1:  // a negative start, to the end
          return v.name + "[-" + num(n) + ":]";
        case 2:  // a stop past the end, clipped as numpy clips it
          return v.name + "[" + num(len - n) + ":" + num(len + range(0, 50)) + "]";
        case 3: {  // a positive step
          int step = range(1, 3);
          int span = (n - 1) * step;
          if (span >= len) {
            break;
          }
          int s = below(len - span);
          return v.name + "[" + num(s) + ":" + num(s + span + 1) + ":" + num(step) + "]";
        }
        default: {  // a negative step: from s down to s - span
          int step = range(1, 3);
          int span = (n - 1) * step;
          if (span >= len) {
            break;
          }
          int s = span + below(len - span);
          if (s - span - 1 < 0) {
            if (s != span) {
              break;
            }
            return v.name + "[" + num(s) + "::-" + num(step) + "]";
          }
          return v.name + "[" + num(s) + ":" + num(s - span - 1) + ":-" + num(step) + "]";
        }
      }
      break;
    }
    case 1: {  // a 2-D view reversed along an axis
      if (t.rank != 2 || !on("step_slices")) {
        break;
      }
      auto vs = vars([&](const Var& v) { return v.ty == t; });
      if (vs.empty()) {
        break;
      }
      const Var& v = *pick(vs);
      return v.name + (chance(50) ? "[::-1, :]" : "[:, ::-1]");
    }
    case 2: {  // integer-array indexing: a gathered copy
      if (t.rank != 1 || !on("int_index")) {
        break;
      }
      auto vs = vars([&](const Var& v) { return v.ty.rank == 1 && v.ty.e == t.e; });
      if (vs.empty()) {
        break;
      }
      const Var& v = *pick(vs);
      std::string ix = "(" + ax(Ty{E::I64, 1, t.d0, 0}, d) + " % " + num(v.ty.d0) + ")";
      if (chance(40)) {
        ix = "(" + ix + " - " + num(v.ty.d0) + ")";
      }
      return v.name + "[" + ix + "]";
    }
    case 3: {  // elementwise functions of floats
      if (!is_float(t.e) || !on("numpy_elementwise")) {
        break;
      }
      static const std::vector<std::string> fns = {"round", "ceil", "tan", "log10", "log2"};
      return pick(fns) + "(" + ax(t, d) + ")";
    }
    case 4: {  // isnan / isfinite
      if (t.e != E::Bool || !on("numpy_elementwise")) {
        break;
      }
      E f = chance(50) ? E::F64 : (on("f32") ? E::F32 : E::F64);
      return std::string(chance(50) ? "isnan(" : "isfinite(") + "log(" +
             ax(Ty{f, t.rank, t.d0, t.d1}, d) + "))";
    }
    case 5: {  // sort, cumsum
      if (t.rank != 1 || !on("numpy_arrays") || !is_num(t.e)) {
        break;
      }
      if ((t.e == E::I64 || t.e == E::F64) && chance(50)) {
        return "cumsum(" + ax(t, d) + ")";
      }
      return "sort(" + ax(t, d) + ")";
    }
    case 6: {  // argsort of any numeric array of that length
      if (t.rank != 1 || t.e != E::I64 || !on("numpy_arrays")) {
        break;
      }
      return "argsort(" + ax(Ty{num_elem(), 1, t.d0, 0}, d) + ")";
    }
    case 7: {  // concatenate two pieces
      if (t.rank != 1 || t.d0 < 2 || !on("numpy_arrays")) {
        break;
      }
      int k = range(1, t.d0 - 1);
      return "concatenate(" + ax(Ty{t.e, 1, k, 0}, d) + ", " + ax(Ty{t.e, 1, t.d0 - k, 0}, d) + ")";
    }
    default: {  // reshape a 1-D array into a matrix
      if (t.rank != 2 || !on("numpy_arrays") || t.d0 * t.d1 > 64) {
        break;
      }
      return "reshape(" + ax(Ty{t.e, 1, t.d0 * t.d1, 0}, d) + ", " + num(t.d0) + ", " + num(t.d1) +
             ")";
    }
  }
  return std::nullopt;
}

std::optional<std::string> Gen::sx_numpy(E e, int d) {
  if (in_parallel_) {
    return std::nullopt;
  }
  switch (below(6)) {
    case 0: {  // an element at a negative index
      if (!on("neg_index")) {
        break;
      }
      auto as = vars([&](const Var& v) { return v.ty.rank > 0 && v.ty.e == e; });
      if (as.empty()) {
        break;
      }
      const Var& a = *pick(as);
      if (a.ty.rank == 1) {
        return a.name + "[" + neg_idx(a.ty.d0) + "]";
      }
      return a.name + "[" + (chance(50) ? neg_idx(a.ty.d0) : idx(a.ty.d0)) + ", " +
             neg_idx(a.ty.d1) + "]";
    }
    case 1: {  // the sum or count of a mask selection
      if (!on("masks")) {
        break;
      }
      Ty t = array_ty(num_elem());
      t.rank = 1;
      std::string a = ax(t, d);
      std::string mask = ax(Ty{E::Bool, 1, t.d0, 0}, d);
      if (e == E::I64 && chance(40)) {
        return "len(" + a + "[" + mask + "])";
      }
      if (promote(t.e, e) != e || t.e == E::Bool) {
        break;
      }
      // converted: a sum's type need not be its elements' (i32 sums may widen)
      return std::string(elem_name(e)) + "(sum(" + a + "[" + mask + "]))";
    }
    case 2: {  // elementwise functions of a float scalar
      if (!is_float(e) || !on("numpy_elementwise")) {
        break;
      }
      static const std::vector<std::string> fns = {"round", "ceil", "tan", "log10", "log2"};
      return pick(fns) + "(" + sx(e, d) + ")";
    }
    case 3: {  // f64 reductions
      if (e != E::F64 || !on("numpy_reductions")) {
        break;
      }
      Ty t = array_ty(E::F64);
      static const std::vector<std::string> fns = {"prod", "std", "var", "median"};
      return pick(fns) + "(" + ax(t, d) + ")";
    }
    case 4: {  // unique values, reduced
      if (!on("numpy_arrays") || !is_num(e)) {
        break;
      }
      Ty t{e, 1, range(1, 8), 0};
      if (chance(50) && e == E::I64) {
        return "len(unique(" + ax(t, d) + "))";
      }
      return std::string(elem_name(e)) + "(sum(unique(" + ax(t, d) + ")))";
    }
    default: {  // constants
      if (e != E::F64 || !on("numpy_elementwise")) {
        break;
      }
      static const std::vector<std::string> cs = {"pi", "inf", "nan", "(-inf)"};
      return pick(cs);
    }
  }
  return std::nullopt;
}

bool Gen::stmt_numpy() {
  if (in_parallel_) {
    return false;
  }
  bool wrote = false;  // a print
  switch (below(4)) {
    case 0: {  // a store at a negative index
      if (!on("neg_index")) {
        break;
      }
      auto as = vars([&](const Var& v) { return v.ty.rank == 1 && !outer(v); });
      if (as.empty()) {
        break;
      }
      const Var& a = *pick(as);
      if (cur_fn_ != nullptr && (a.buf < 0 || a.buf >= 1000000)) {
        cur_fn_->effects = true;
      }
      line(a.name + "[" + neg_idx(a.ty.d0) + "]" + (is_num(a.ty.e) && chance(40) ? " += " : " = ") +
           sx(a.ty.e, 2));
      return true;
    }
    case 1: {  // a store through a mask
      if (!on("masks")) {
        break;
      }
      auto as = vars([&](const Var& v) { return v.ty.rank == 1 && !outer(v); });
      if (as.empty()) {
        break;
      }
      const Var& a = *pick(as);
      if (cur_fn_ != nullptr && (a.buf < 0 || a.buf >= 1000000)) {
        cur_fn_->effects = true;
      }
      line(a.name + "[" + ax(Ty{E::Bool, 1, a.ty.d0, 0}, 2) + "] = " + sx(a.ty.e, 2));
      return true;
    }
    case 2: {  // print str() and format()
      if (!on("strings")) {
        break;
      }
      static const std::vector<std::string> specs = {".3f", ".0f",  "10.4f", "<8d",   ">8d", "+.2e",
                                                     "g",   ".10g", ",d",    "08.3f", "x",   "%"};
      std::string spec = pick(specs);
      bool integral = spec.back() == 'd' || spec.back() == 'x';
      E e = integral ? E::I64 : E::F64;
      std::string s = "format(" + sx(e, 2) + ", \"" + spec + "\")";
      if (chance(40)) {
        s = "str(" + sx(scalar_elem(), 2) + ") + \"|\" + " + s;
      }
      line("print(" + s + ")");
      wrote = true;
      break;
    }
    default: {  // print with a separator
      if (!on("strings")) {
        break;
      }
      line("print(" + sx(scalar_elem(), 2) + ", " + sx(scalar_elem(), 2) + ", sep=\"" +
           pick(std::vector<std::string>{",", " | ", ""}) + "\")");
      wrote = true;
      break;
    }
  }
  if (!wrote) {
    return false;
  }
  if (cur_fn_ != nullptr) {
    cur_fn_->prints = true;
    cur_fn_->effects = true;
  }
  return true;
}

}  // namespace kestrel::difftest::detail
