// The JIT keeps hand-emitted fast paths for the scalar rules (integer `//` `%` `**`, shifts,
// conversions, min/max/abs, exp/sigmoid, Philox, …) instead of calling runtime/rules/. This
// table holds both backends to the one definition: each operation, for each type, is compiled
// as a Kestrel function (a scalar one, `fn f(a: i64, b: i64) -> i64 { return a // b }`, and a
// loop over arrays, so nothing folds and vectorized forms are covered too), called through the
// public API in the interpreter and in the JIT on edge cases (INT64_MIN, INT32_MIN, -1, 0, 1,
// max, ±0.0, nan, ±inf, subnormals, shifts >= the width and negative, …) and on a seeded random
// sweep, and every result is compared bit for bit with the rule's C++ function. Where the rule
// is an error (division by zero, a negative shift or exponent), both must raise its message.
// It fails if either side changes a rule on its own.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "kestrel/kestrel.hpp"
#include "runtime/rules/arith.hpp"
#include "runtime/rules/bounds.hpp"
#include "runtime/rules/combine.hpp"
#include "runtime/rules/math.hpp"
#include "runtime/rules/messages.hpp"
#include "runtime/rules/philox.hpp"

namespace {

namespace rt = kestrel::rt;
using std::int32_t;
using std::int64_t;

template <class T>
constexpr const char* kName = std::is_same_v<T, bool>      ? "bool"
                              : std::is_same_v<T, int32_t> ? "i32"
                              : std::is_same_v<T, int64_t> ? "i64"
                              : std::is_same_v<T, float>   ? "f32"
                                                           : "f64";

/// The bits of a value (bool and integers widened), so floats compare exactly, nan included.
template <class T>
std::uint64_t bits(T v) {
  if constexpr (std::is_same_v<T, double>) {
    return std::bit_cast<std::uint64_t>(v);
  } else if constexpr (std::is_same_v<T, float>) {
    return std::bit_cast<std::uint32_t>(v);
  } else {
    return static_cast<std::uint64_t>(static_cast<int64_t>(v));
  }
}

template <class T>
bool is_nan(T v) {
  return v != v;
}
/// A signaling nan (quiet bit clear).
template <class T>
bool is_snan(T v) {
  if constexpr (std::is_same_v<T, double>) {
    return is_nan(v) && (bits(v) & (std::uint64_t{1} << 51)) == 0;
  } else if constexpr (std::is_same_v<T, float>) {
    return is_nan(v) && (bits(v) & (std::uint64_t{1} << 22)) == 0;
  } else {
    return false;
  }
}

/// Whether `got` is the rule's `want` for operands a and b: the same bits, except that where
/// IEEE 754 leaves a nan result's sign and payload open (two nan operands: which one propagates;
/// a signaling nan: whether it is quieted) any nan will do. LLVM may commute an fadd of two
/// nans or quiet a signaling one in a vector floor; every result still prints as "nan".
template <class T, class R>
bool same(R got, R want, T a, T b) {
  if (bits(got) == bits(want)) {
    return true;
  }
  if constexpr (std::is_floating_point_v<R> && std::is_floating_point_v<T>) {
    bool open = (is_nan(a) && is_nan(b)) || is_snan(a) || is_snan(b);
    return open && is_nan(got) && is_nan(want);
  }
  return false;
}

template <class T>
std::string show(T v) {
  std::ostringstream s;
  s.precision(17);
  s << +v << " (0x" << std::hex << bits(v) << ")";
  return s.str();
}

/// The edge cases of a type.
template <class T>
std::vector<T> edges() {
  if constexpr (std::is_same_v<T, bool>) {
    return {false, true};
  } else if constexpr (std::is_integral_v<T>) {
    using L = std::numeric_limits<T>;
    std::vector<T> v = {L::min(), static_cast<T>(L::min() + 1),
                        L::max(), static_cast<T>(L::max() - 1),
                        -65,      -64,
                        -63,      -33,
                        -32,      -31,
                        -7,       -3,
                        -2,       -1,
                        0,        1,
                        2,        3,
                        7,        31,
                        32,       33,
                        63,       64,
                        65};
    if constexpr (sizeof(T) == 8) {
      v.push_back(std::numeric_limits<int32_t>::min());
      v.push_back(std::numeric_limits<int32_t>::max());
      v.push_back(int64_t{1} << 32);
    }
    return v;
  } else {
    using L = std::numeric_limits<T>;
    return {T(0),
            -T(0),
            T(1),
            -T(1),
            T(0.5),
            -T(0.5),
            T(1.5),
            -T(2.5),
            T(2),
            T(3),
            T(-7.25),
            T(100.5),
            L::quiet_NaN(),
            -L::quiet_NaN(),
            L::infinity(),
            -L::infinity(),
            L::denorm_min(),
            -L::denorm_min(),
            L::min(),
            L::max(),
            -L::max(),
            T(0x1p31),
            T(-0x1p31),
            T(0x1p63),
            T(-0x1p63),
            T(0x1.fffffep30),
            T(1e-3),
            T(-88.5),
            T(-709.5),
            T(710.0),
            T(0.1)};
  }
}

/// Seeded random values: the whole range, and small ones (shift counts, exponents, divisors).
template <class T>
std::vector<T> sweep(std::mt19937_64& gen, int n) {
  std::vector<T> v;
  for (int k = 0; k < n; ++k) {
    std::uint64_t r = gen();
    if constexpr (std::is_same_v<T, bool>) {
      v.push_back((r & 1) != 0);
    } else if constexpr (std::is_integral_v<T>) {
      v.push_back(k % 2 == 0 ? static_cast<T>(r)
                             : static_cast<T>(static_cast<int64_t>(r % 141) - 70));
    } else if constexpr (std::is_same_v<T, double>) {
      double x = k % 3 == 0 ? std::bit_cast<double>(r)
                            : std::ldexp(static_cast<double>(r >> 11), -50) - 4096.0;
      v.push_back(k % 3 == 2 ? x / 512.0 : x);
    } else {
      auto u = static_cast<std::uint32_t>(r);
      float x = k % 3 == 0
                    ? std::bit_cast<float>(u)
                    : static_cast<float>(std::ldexp(static_cast<double>(r >> 11), -50) - 256.0);
      v.push_back(x);
    }
  }
  return v;
}

/// One operation of the table: a Kestrel expression over `a` and `b`, the rule it must follow
/// (runtime/rules/), and the error the rule raises for some operands (empty when none).
template <class T, class R>
struct Case {
  std::string name;
  std::string expr;
  std::function<R(T, T)> rule;
  std::function<std::optional<std::string>(T, T)> error = [](T, T) { return std::nullopt; };
};

template <class T, class R>
std::string source(const Case<T, R>& c) {
  std::string t = kName<T>;
  std::string r = kName<R>;
  return "fn " + c.name + "_s(a: " + t + ", b: " + t + ") -> " + r + " {\n    return " + c.expr +
         "\n}\nfn " + c.name + "_v(x: " + t + "[:], y: " + t + "[:]) -> " + r +
         "[:] {\n    let o = zeros(len(x), " + r +
         ")\n    for k in 0..len(x) {\n        let a = x[k]\n        let b = y[k]\n        o[k] "
         "= " +
         c.expr + "\n    }\n    return o\n}\n";
}

struct Runner {
  std::vector<std::string> failures;
  int checked = 0;

  void fail(const std::string& what) {
    if (failures.size() < 40) {
      failures.push_back(what);
    }
  }

  /// Runs case c in module m (mode `mode`) on every edge pair and the sweep.
  template <class T, class R>
  void run(kestrel::Module& m, const char* mode, const Case<T, R>& c) {
    std::mt19937_64 gen(std::hash<std::string>{}(c.name));
    std::vector<T> xs;
    std::vector<T> ys;
    std::vector<T> e = edges<T>();
    auto scalar = m.function<R(T, T)>(c.name + "_s");
    for (T a : e) {
      for (T b : e) {
        std::optional<std::string> err = c.error(a, b);
        std::string where = std::string(mode) + " " + c.name + "(" + show(a) + ", " + show(b) + ")";
        try {
          R got = scalar(a, b);
          ++checked;
          if (err) {
            fail(where + " gave " + show(got) + ", the rule raises '" + *err + "'");
          } else if (!same(got, c.rule(a, b), a, b)) {
            fail(where + " = " + show(got) + ", the rule gives " + show(c.rule(a, b)));
          }
        } catch (const kestrel::Error& ex) {
          ++checked;
          if (!err) {
            fail(where + " raised '" + ex.what() + "'");
          } else if (std::string(ex.what()).find(*err) == std::string::npos) {
            fail(where + " raised '" + ex.what() + "', not '" + *err + "'");
          }
        }
        if (!err) {
          xs.push_back(a);
          ys.push_back(b);
        }
      }
    }
    std::vector<T> ra = sweep<T>(gen, 3000);
    std::vector<T> rb = sweep<T>(gen, 3000);
    for (std::size_t k = 0; k < ra.size(); ++k) {
      if (!c.error(ra[k], rb[k])) {
        xs.push_back(ra[k]);
        ys.push_back(rb[k]);
      }
    }
    auto vec =
        m.function<kestrel::Array<R>(kestrel::ArrayView<const T>, kestrel::ArrayView<const T>)>(
            c.name + "_v");
    // Contiguous copies (std::vector<bool> has no bool* to view).
    auto xb = std::make_unique<T[]>(xs.size());
    auto yb = std::make_unique<T[]>(ys.size());
    std::copy(xs.begin(), xs.end(), xb.get());
    std::copy(ys.begin(), ys.end(), yb.get());
    auto n = static_cast<int64_t>(xs.size());
    std::vector<R> got =
        vec(kestrel::ArrayView<const T>(xb.get(), n), kestrel::ArrayView<const T>(yb.get(), n))
            .to_vector();
    ASSERT_EQ(got.size(), xs.size());
    for (std::size_t k = 0; k < xs.size(); ++k) {
      ++checked;
      T a = xs[k];
      T b = ys[k];
      R g = got[k];
      R want = c.rule(a, b);
      if (!same(g, want, a, b)) {
        fail(std::string(mode) + " " + c.name + "_v(" + show(a) + ", " + show(b) +
             ") = " + show(g) + ", the rule gives " + show(want));
      }
    }
  }
};

// ---- the table -------------------------------------------------------------------------------

template <class I>
std::optional<std::string> division_error(I, I b) {
  if (rt::divides_by_zero(b)) {
    return rt::division_by_zero_message();
  }
  return std::nullopt;
}
template <class I>
std::optional<std::string> shift_error(I, I n) {
  if (rt::negative_count(n)) {
    return rt::negative_shift_message(n);
  }
  return std::nullopt;
}
template <class I>
std::optional<std::string> exponent_error(I, I n) {
  if (rt::negative_count(n)) {
    return rt::negative_exponent_message(n);
  }
  return std::nullopt;
}

/// The cases every number type has: + - * neg min max clip, and the comparisons (as i64).
template <class T>
void number_cases(std::vector<Case<T, T>>& same, std::vector<Case<T, int64_t>>& tests) {
  std::string t = kName<T>;
  same.push_back({"add_" + t, "a + b", [](T a, T b) { return rt::num_add(a, b); }});
  same.push_back({"sub_" + t, "a - b", [](T a, T b) { return rt::num_sub(a, b); }});
  same.push_back({"mul_" + t, "a * b", [](T a, T b) { return rt::num_mul(a, b); }});
  same.push_back({"neg_" + t, "-a", [](T a, T) { return rt::num_neg(a); }});
  same.push_back({"min_" + t, "min(a, b)", [](T a, T b) { return rt::min_value(a, b); }});
  same.push_back({"max_" + t, "max(a, b)", [](T a, T b) { return rt::max_value(a, b); }});
  same.push_back({"clip_" + t, "clip(a, b, b + b)",
                  [](T a, T b) { return rt::min_value(rt::max_value(a, b), rt::num_add(b, b)); }});
  struct Comparison {
    const char* op;
    const char* name;
    bool (*rule)(T, T);
  };
  const Comparison comparisons[] = {
      {"==", "eq", [](T a, T b) { return a == b; }}, {"!=", "ne", [](T a, T b) { return a != b; }},
      {"<", "lt", [](T a, T b) { return a < b; }},   {"<=", "le", [](T a, T b) { return a <= b; }},
      {">", "gt", [](T a, T b) { return a > b; }},   {">=", "ge", [](T a, T b) { return a >= b; }},
  };
  for (const Comparison& c : comparisons) {
    tests.push_back({std::string(c.name) + "_" + t, std::string("i64(a ") + c.op + " b)",
                     [r = c.rule](T a, T b) { return rt::convert_scalar<int64_t>(r(a, b)); }});
  }
}

/// The cases of an integer type.
template <class I>
void int_cases(std::vector<Case<I, I>>& same, std::vector<Case<I, int64_t>>& tests,
               std::vector<Case<I, double>>& real) {
  std::string t = kName<I>;
  number_cases(same, tests);
  same.push_back({"floordiv_" + t, "a // b", [](I a, I b) { return rt::floordiv_nonzero(a, b); },
                  division_error<I>});
  same.push_back(
      {"mod_" + t, "a % b", [](I a, I b) { return rt::mod_nonzero(a, b); }, division_error<I>});
  same.push_back({"pow_" + t, "a ** b", [](I a, I b) { return rt::ipow_nonnegative(a, b); },
                  exponent_error<I>});
  same.push_back(
      {"shl_" + t, "a << b", [](I a, I b) { return rt::shl_nonnegative(a, b); }, shift_error<I>});
  same.push_back(
      {"shr_" + t, "a >> b", [](I a, I b) { return rt::shr_nonnegative(a, b); }, shift_error<I>});
  same.push_back({"band_" + t, "a & b", [](I a, I b) { return static_cast<I>(a & b); }});
  same.push_back({"bor_" + t, "a | b", [](I a, I b) { return static_cast<I>(a | b); }});
  same.push_back({"bxor_" + t, "a ^ b", [](I a, I b) { return static_cast<I>(a ^ b); }});
  same.push_back({"bnot_" + t, "~a", [](I a, I) { return static_cast<I>(~a); }});
  same.push_back({"abs_" + t, "abs(a)", [](I a, I) { return rt::num_abs(a); }});
  real.push_back({"div_" + t, "a / b", [](I a, I b) {
                    return rt::convert_scalar<double>(a) / rt::convert_scalar<double>(b);
                  }});
}

/// The cases of a float type.
template <class F>
void float_cases(std::vector<Case<F, F>>& same, std::vector<Case<F, int64_t>>& tests) {
  std::string t = kName<F>;
  number_cases(same, tests);
  same.push_back({"div_" + t, "a / b", [](F a, F b) { return static_cast<F>(a / b); }});
  same.push_back({"floordiv_" + t, "a // b", [](F a, F b) { return rt::floordiv_float(a, b); }});
  same.push_back({"mod_" + t, "a % b", [](F a, F b) { return rt::mod_float(a, b); }});
  same.push_back({"pow_" + t, "a ** b", [](F a, F b) { return rt::fpow(a, b); }});
  const char* fns[] = {"exp",     "log",   "sqrt", "abs",   "sin",  "cos",  "tanh",
                       "sigmoid", "floor", "tan",  "log10", "log2", "ceil", "round"};
  for (int f = 0; f < 14; ++f) {
    auto fn = static_cast<rt::MathFn>(f);
    same.push_back({std::string(fns[f]) + "_" + t, std::string(fns[f]) + "(a)",
                    [fn](F a, F) { return rt::math_fn(fn, a); }});
  }
}

/// to(a) for every target type.
template <class From, class To>
Case<From, To> conversion() {
  std::string f = kName<From>;
  std::string t = kName<To>;
  return {"to_" + t + "_from_" + f, t + "(a)",
          [](From a, From) { return rt::convert_scalar<To>(a); }};
}

/// Every case of the table, in one module source, with a runner for each.
struct Table {
  std::string source;
  std::vector<std::function<void(Runner&, kestrel::Module&, const char*)>> runs;

  template <class T, class R>
  void add(std::vector<Case<T, R>> cases) {
    for (Case<T, R>& c : cases) {
      source += ::source(c);
      runs.push_back([c](Runner& r, kestrel::Module& m, const char* mode) { r.run(m, mode, c); });
    }
  }
  template <class T>
  void add_ints() {
    std::vector<Case<T, T>> same;
    std::vector<Case<T, int64_t>> tests;
    std::vector<Case<T, double>> real;
    int_cases<T>(same, tests, real);
    add(same);
    add(tests);
    add(real);
  }
  template <class T>
  void add_floats() {
    std::vector<Case<T, T>> same;
    std::vector<Case<T, int64_t>> tests;
    float_cases<T>(same, tests);
    add(same);
    add(tests);
  }
  template <class From>
  void add_conversions() {
    add(std::vector{conversion<From, bool>()});
    add(std::vector{conversion<From, int32_t>()});
    add(std::vector{conversion<From, int64_t>()});
    add(std::vector{conversion<From, float>()});
    add(std::vector{conversion<From, double>()});
  }
};

Table table() {
  Table t;
  t.add_ints<int32_t>();
  t.add_ints<int64_t>();
  t.add_floats<float>();
  t.add_floats<double>();
  t.add_conversions<bool>();
  t.add_conversions<int32_t>();
  t.add_conversions<int64_t>();
  t.add_conversions<float>();
  t.add_conversions<double>();
  t.add(std::vector<Case<bool, bool>>{
      {"and_bool", "a and b", [](bool a, bool b) { return a && b; }},
      {"or_bool", "a or b", [](bool a, bool b) { return a || b; }},
      {"not_bool", "not a", [](bool a, bool) { return !a; }},
      {"band_bool", "a & b", [](bool a, bool b) { return a && b; }},
      {"bor_bool", "a | b", [](bool a, bool b) { return a || b; }},
      {"bxor_bool", "a ^ b", [](bool a, bool b) { return a != b; }},
      {"eq_bool", "a == b", [](bool a, bool b) { return a == b; }},
  });
  // Philox: random(key, counter) and randn(key, counter), and the seeded stream's draws.
  t.add(std::vector<Case<int64_t, double>>{
      {"random_i64", "random(a, b)", [](int64_t a, int64_t b) { return rt::random(a, b); }},
      {"randn_i64", "randn(a, b)", [](int64_t a, int64_t b) { return rt::randn(a, b); }},
  });
  return t;
}

class RulesTable : public ::testing::TestWithParam<kestrel::Mode> {};

TEST_P(RulesTable, EveryOperationFollowsTheRuntimeRule) {
  Table t = table();
  kestrel::EngineOptions options;
  options.mode = GetParam();
  kestrel::Engine engine(options);
  kestrel::Module m = engine.load_source("rules_table.kst", t.source);
  const char* mode = GetParam() == kestrel::Mode::Jit ? "jit" : "interp";
  Runner r;
  for (auto& run : t.runs) {
    run(r, m, mode);
  }
  for (const std::string& f : r.failures) {
    ADD_FAILURE() << f;
  }
  EXPECT_TRUE(r.failures.empty());
  EXPECT_GT(r.checked, 100000);
}

// ---- reductions and streams -------------------------------------------------------------------

/// A `parallel for` reduction of x into `before` by the rules (rules/combine.hpp): chunks of
/// kReduceChunk from the identity, combined in the fixed tree, then with `before`.
template <class T>
T reduce_rule(rt::CombineOp op, const std::vector<T>& x, T before) {
  std::vector<T> parts;
  for (std::size_t lo = 0; lo < x.size(); lo += rt::kReduceChunk) {
    T acc = rt::combine_identity<T>(op);
    for (std::size_t k = lo; k < std::min(x.size(), lo + rt::kReduceChunk); ++k) {
      acc = rt::combine_values(op, acc, x[k]);
    }
    parts.push_back(acc);
  }
  if (parts.empty()) {
    return before;
  }
  auto combine = [op](T a, T b) { return rt::combine_values(op, a, b); };
  return rt::combine_values(op, before,
                            rt::combine_tree(parts.data(), parts.size(), T{0}, combine));
}

template <class T>
std::string reduction_source(const std::string& name, const std::string& update) {
  std::string t = kName<T>;
  return "fn " + name + "(x: " + t + "[:], s: " + t + ") -> " + t + " {\n    var acc: " + t +
         " = s\n    parallel for k in 0..len(x) {\n        " + update +
         "\n    }\n    return acc\n}\n";
}

constexpr const char* kOps[] = {"add", "mul", "min", "max"};
constexpr const char* kUpdates[] = {"acc += x[k]", "acc *= x[k]", "acc = min(acc, x[k])",
                                    "acc = max(acc, x[k])"};

template <class T>
std::string reductions_source() {
  std::string src;
  for (int op = 0; op < 4; ++op) {
    src += reduction_source<T>(std::string("reduce_") + kOps[op] + "_" + kName<T>, kUpdates[op]);
  }
  return src;
}

template <class T>
void check_reductions(kestrel::Module& m, const char* mode) {
  std::mt19937_64 gen(5);
  for (std::size_t n : {0, 1, 7, 4096, 4097, 3 * 4096 + 17, 40000}) {
    for (int op = 0; op < 4; ++op) {
      std::vector<T> x;
      for (std::size_t k = 0; k < n; ++k) {
        std::uint64_t r = gen();
        if constexpr (std::is_integral_v<T>) {
          x.push_back(op == 1 ? static_cast<T>(r % 5) - 2 : static_cast<T>(r));
        } else {
          // Products near 1, sums of mixed magnitudes, and now and then -0.0, nan or inf.
          double u = std::ldexp(static_cast<double>(r >> 11), -53);
          T v = op == 1 ? static_cast<T>(0.5 + u)
                        : static_cast<T>((u - 0.5) * std::ldexp(1.0, static_cast<int>(r % 40)));
          std::uint64_t pick = (r >> 3) % 5000;
          v = pick == 0   ? std::numeric_limits<T>::quiet_NaN()
              : pick == 1 ? -T(0)
              : pick == 2 ? std::numeric_limits<T>::infinity()
                          : v;
          x.push_back(v);
        }
      }
      auto op_code = static_cast<rt::CombineOp>(op);
      std::string name = std::string("reduce_") + kOps[op] + "_" + kName<T>;
      auto f = m.function<T(kestrel::ArrayView<const T>, T)>(name);
      for (T before : {T(0), -T(0), T(3), T(-1)}) {
        T got = f(x, before);
        T want = reduce_rule(op_code, x, before);
        EXPECT_EQ(bits(got), bits(want))
            << mode << " " << name << " of " << n << " elements from " << show(before) << " = "
            << show(got) << ", the rules give " << show(want);
      }
    }
  }
}

class RulesPrograms : public ::testing::TestWithParam<kestrel::Mode> {};

TEST_P(RulesPrograms, ParallelReductionsFollowTheCombineRules) {
  kestrel::EngineOptions options;
  options.mode = GetParam();
  kestrel::Engine engine(options);
  std::string src = reductions_source<double>() + reductions_source<float>() +
                    reductions_source<int64_t>() + reductions_source<int32_t>() + R"(
fn stream(s: i64, n: i64) -> f64[:] {
    seed(s)
    let o = zeros(2 * n)
    for k in 0..n {
        o[2 * k] = random()
        o[2 * k + 1] = randn()
    }
    return o
}
)";
  kestrel::Module m = engine.load_source("rules_reductions.kst", src);
  const char* mode = GetParam() == kestrel::Mode::Jit ? "jit" : "interp";
  check_reductions<double>(m, mode);
  check_reductions<float>(m, mode);
  check_reductions<int64_t>(m, mode);
  check_reductions<int32_t>(m, mode);
  // The seeded stream: the k-th draw of seed(s) is random(s, k) or randn(s, k), in turn.
  auto stream = m.function<kestrel::Array<double>(int64_t, int64_t)>("stream");
  for (int64_t s : {int64_t{0}, int64_t{-1}, int64_t{42}, std::numeric_limits<int64_t>::min()}) {
    std::vector<double> got = stream(s, 500).to_vector();
    rt::Stream want{};
    rt::seed(want, s);
    for (std::size_t k = 0; k < got.size(); ++k) {
      double w = k % 2 == 0 ? rt::next_random(want) : rt::next_randn(want);
      ASSERT_EQ(bits(got[k]), bits(w)) << mode << " stream(" << s << ") draw " << k;
    }
  }
}

// The bounds rule: x[i] reads element wrap_index(i, len(x)) (a negative index counts from the
// end) when that is in bounds and otherwise raises index_message's text quoting i, for a read, a
// write and a 2-D read.
TEST_P(RulesPrograms, IndexingFollowsTheBoundsRule) {
  kestrel::EngineOptions options;
  options.mode = GetParam();
  kestrel::Engine engine(options);
  kestrel::Module m = engine.load_source("rules_bounds.kst", R"(
fn get(x: i64[:], i: i64) -> i64 {
    return x[i]
}
fn put(x: i64[:], i: i64) -> i64 {
    x[i] = 7
    return x[0]
}
fn get2(x: i64[:,:], i: i64, j: i64) -> i64 {
    return x[i, j]
}
)");
  const char* mode = GetParam() == kestrel::Mode::Jit ? "jit" : "interp";
  std::vector<int64_t> v = {10, 11, 12, 13, 14};
  std::vector<int64_t> grid(12);
  auto get = m.function<int64_t(kestrel::ArrayView<int64_t>, int64_t)>("get");
  auto put = m.function<int64_t(kestrel::ArrayView<int64_t>, int64_t)>("put");
  auto get2 = m.function<int64_t(kestrel::MatrixView<int64_t>, int64_t, int64_t)>("get2");
  const int64_t indices[] = {std::numeric_limits<int64_t>::min(), -1, 0, 1, 2, 3, 4, 5, 6,
                             std::numeric_limits<int64_t>::max()};
  for (int64_t i : indices) {
    for (int form = 0; form < 3; ++form) {
      int64_t size = form == 2 ? 3 : 5;
      int64_t j = rt::wrap_add(i, int64_t{2});  // the column of the 2-D read
      std::optional<std::string> want;
      if (!rt::index_in_bounds(rt::wrap_index(i, size), size)) {
        want = rt::index_message(i, 0, size);
      } else if (form == 2 && !rt::index_in_bounds(rt::wrap_index(j, 4), 4)) {
        want = rt::index_message(j, 1, 4);
      }
      try {
        int64_t got = form == 0   ? get(v, i)
                      : form == 1 ? put(v, i)
                                  : get2(kestrel::MatrixView<int64_t>(grid.data(), 3, 4), i, j);
        EXPECT_FALSE(want) << mode << " form " << form << " index " << i << " gave " << got
                           << ", the rule raises '" << *want << "'";
        if (!want && form == 0) {
          EXPECT_EQ(got, v[static_cast<std::size_t>(rt::wrap_index(i, size))]) << mode << " " << i;
        }
      } catch (const kestrel::Error& e) {
        ASSERT_TRUE(want) << mode << " form " << form << " index " << i << " raised " << e.what();
        EXPECT_NE(std::string(e.what()).find(*want), std::string::npos)
            << mode << " raised '" << e.what() << "', not '" << *want << "'";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, RulesPrograms,
                         ::testing::Values(kestrel::Mode::Interp, kestrel::Mode::Jit));

INSTANTIATE_TEST_SUITE_P(Modes, RulesTable,
                         ::testing::Values(kestrel::Mode::Interp, kestrel::Mode::Jit));

}  // namespace
