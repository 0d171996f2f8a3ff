// The feature table of the generator and the switches a campaign sets (generator.hpp).
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "tests/difftest/generator.hpp"

namespace kestrel::difftest {

const std::vector<Feature>& all_features() {
  static const std::vector<Feature> features = {
      {"i32", "i32 scalars and arrays (wrap-around at 32 bits)", true},
      {"f32", "f32 scalars and arrays", true},
      {"int_divmod", "// and % on integers, negative operands (divisor made odd)", true},
      {"int_divmod_const",
       "// and % on i64 by constant divisors (in a vectorised loop the JIT divides by magic "
       "numbers)",
       true},
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
      {"neg_index", "negative indices a[-k], m[i, -k], in reads and stores", true},
      {"step_slices", "step, reversed and clipped slices a[s:e:k], a[::-1], a[-k:], m[::-1, :]",
       true},
      {"masks",
       "masks: a[mask] reduced, m[rows] and m[mask2] reduced, stores a[mask] = x / op= x / "
       "= b[mask]",
       true},
      {"int_index",
       "integer-array indexing a[idx] and m[idx] (i64 and i32, negative too), stores a[idx] = x "
       "/ op= x / = v with duplicates",
       true},
      {"numpy_elementwise", "round ceil tan log10 log2 isnan isfinite, pi inf nan", true},
      {"numpy_reductions", "prod std var median", true},
      {"numpy_arrays", "sort argsort cumsum unique concatenate reshape", true},
      {"strings", "str(x) + str, format(x, spec), print(..., sep=)", true},
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

}  // namespace kestrel::difftest
