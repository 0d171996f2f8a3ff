// The generator: issue 17's everyday numpy set -- negative indices, step and reversed slices,
// masks, integer-array indexing, the elementwise and reduction functions, sort and friends, and
// str()/format()/print(sep=). Shapes stay known statically: a mask's or unique()'s result (whose
// length depends on the data) is only ever reduced (to a scalar, or rows along axis 0) or stored
// back through the same mask (`a[mk] = b[mk]`); an index array's length is chosen. None of it is
// written inside a parallel loop or a kernel.
#include <optional>
#include <string>
#include <vector>

#include "tests/difftest/gen_context.hpp"

namespace kestrel::difftest::detail {

namespace {

std::string num(std::int64_t v) { return std::to_string(v); }

}  // namespace

std::string Gen::index_array(int count, int n, int d) {
  // `count` indices into an axis of n: literals (repeats and negatives allowed), or any integer
  // array taken modulo n, moved down by n at times; i32 indices too.
  if (chance(40)) {
    std::string s = "[";
    for (int k = 0; k < count; ++k) {
      s += (k ? ", " : "") + num(range(-n, n - 1));
    }
    return s + "]";
  }
  E e = on("i32") && chance(30) ? E::I32 : E::I64;
  std::string m = e == E::I32 ? num(n) + "i32" : num(n);
  std::string ix = "(" + ax(Ty{e, 1, count, 0}, d) + " % " + m + ")";
  if (chance(40)) {
    ix = "(" + ix + " - " + m + ")";
  }
  return ix;
}

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
    case 2: {  // integer-array indexing: a gathered copy (rows of a matrix)
      if (t.rank == 0 || !on("int_index")) {
        break;
      }
      auto vs = vars([&](const Var& v) {
        return v.ty.rank == t.rank && v.ty.e == t.e && (t.rank == 1 || v.ty.d1 == t.d1);
      });
      if (vs.empty()) {
        break;
      }
      const Var& v = *pick(vs);
      return v.name + "[" + index_array(t.d0, v.ty.d0, d) + "]";
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
      // a vector by a mask, a matrix by a mask over its rows or one of its shape
      int mask_rank = t.rank == 2 && chance(50) ? 2 : 1;
      std::string a = ax(t, d);
      std::string mask = ax(Ty{E::Bool, mask_rank, t.d0, mask_rank == 2 ? t.d1 : 0}, d);
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
  // stores through masks and index arrays are weighted up: the other cases are older
  switch ((on("masks") || on("int_index")) && chance(35) ? 4 : below(6)) {
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
    case 4: {  // stores through an index array or a mask: `=` or `op=`, a scalar or an array
      bool by_mask = on("masks") && (!on("int_index") || chance(50));
      if (!by_mask && !on("int_index")) {
        break;
      }
      auto as = vars([&](const Var& v) { return v.ty.rank > 0 && !outer(v); });
      if (as.empty()) {
        break;
      }
      const Var& a = *pick(as);
      if (cur_fn_ != nullptr && (a.buf < 0 || a.buf >= 1000000)) {
        cur_fn_->effects = true;
      }
      // what one selected item is: an element, or a row of a matrix
      Ty item = a.ty.rank == 2 ? Ty{a.ty.e, 1, a.ty.d1, 0} : Ty{a.ty.e, 0, 0, 0};
      std::string op = is_num(a.ty.e) && chance(40)
                           ? pick(std::vector<std::string>{" += ", " -= ", " *= "})
                           : " = ";
      std::string value = item.rank == 0 ? sx(a.ty.e, 2) : ax(item, 2);
      if (by_mask) {
        int mask_rank = a.ty.rank == 2 && chance(40) ? 2 : 1;
        if (mask_rank == 2) {
          item = Ty{a.ty.e, 0, 0, 0};
          value = sx(a.ty.e, 2);
        }
        std::string mk = fresh("mk");
        line("let " + mk + " = " +
             ax(Ty{E::Bool, mask_rank, a.ty.d0, mask_rank == 2 ? a.ty.d1 : 0}, 2));
        if (chance(35)) {  // one value per true: the same mask over an array of a's shape
          value = "(" + ax(a.ty, 2) + ")[" + mk + "]";
        }
        line(a.name + "[" + mk + "]" + op + value);
        return true;
      }
      int count = range(1, a.ty.d0 + 2);
      std::string ix = index_array(count, a.ty.d0, 2);
      if (chance(35)) {  // one value per index
        value = ax(a.ty.rank == 2 ? Ty{a.ty.e, 2, count, a.ty.d1} : Ty{a.ty.e, 1, count, 0}, 2);
      }
      line(a.name + "[" + ix + "]" + op + value);
      return true;
    }
    case 5: {  // m[rows] of a matrix variable, reduced along an axis (its shape is static)
      if (!on("int_index") && !on("masks")) {
        break;
      }
      auto ms = vars([&](const Var& v) { return v.ty.rank == 2 && is_num(v.ty.e); });
      if (ms.empty()) {
        break;
      }
      const Var& m = *pick(ms);
      std::string sel = on("int_index") && (!on("masks") || chance(50))
                            ? index_array(range(1, 4), m.ty.d0, 2)
                            : ax(Ty{E::Bool, 1, m.ty.d0, 0}, 2);
      line("print(sum(" + m.name + "[" + sel + "], axis=0))");
      wrote = true;
      break;
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
        std::string glue = pick(std::vector<std::string>{"|", "\\t", "\\0", "\\\"", "\\\\"});
        s = "str(" + sx(scalar_elem(), 2) + ") + \"" + glue + "\" + " + s;
      }
      line("print(" + s + ")");
      wrote = true;
      break;
    }
    default: {  // print with a separator
      if (!on("strings")) {
        break;
      }
      // Escapes too: a "\0" in a sep or an end once cut the JIT's line short.
      std::string end =
          chance(30) ? ", end=\"" + pick(std::vector<std::string>{";\\n", "\\0\\n"}) + "\"" : "";
      line("print(" + sx(scalar_elem(), 2) + ", " + sx(scalar_elem(), 2) + ", sep=\"" +
           pick(std::vector<std::string>{",", " | ", "", "\\0", "\\t"}) + "\"" + end + ")");
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
