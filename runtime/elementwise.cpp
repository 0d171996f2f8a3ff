#include "runtime/elementwise.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "runtime/elem_dispatch.hpp"
#include "runtime/parallel.hpp"
#include "runtime/rules/messages.hpp"
#include "runtime/vmath.hpp"

namespace kestrel::rt {

using detail::ElemT;
using detail::visit_elem;
using detail::visit_number;

void raise_division_by_zero() { raise(division_by_zero_message()); }
void raise_negative_exponent(std::int64_t exponent) { raise(negative_exponent_message(exponent)); }
void raise_negative_shift(std::int64_t count) { raise(negative_shift_message(count)); }

namespace {

template <class T>
inline constexpr bool kInt = std::is_integral_v<T> && !std::is_same_v<T, bool>;
template <class T>
inline constexpr bool kFloat = std::is_floating_point_v<T>;
template <class T>
inline constexpr bool kNumber = kInt<T> || kFloat<T>;

const char* binop_name(BinOp op) {
  static constexpr const char* kNames[] = {"+",  "-",  "*",  "/",  "//",  "%",  "**",
                                           "==", "!=", "<",  "<=", ">",   ">=", "&",
                                           "|",  "^",  "<<", ">>", "min", "max"};
  return kNames[static_cast<int>(op)];
}
const char* unop_name(UnOp op) {
  static constexpr const char* kNames[] = {"-",   "not",   "~",    "exp",  "log",     "sqrt",
                                           "abs", "sin",   "cos",  "tanh", "sigmoid", "floor",
                                           "tan", "log10", "log2", "ceil", "round"};
  return kNames[static_cast<int>(op)];
}

// ---- the operators, one definition per (operator, element type) -------------------------------

template <BinOp Op, class T>
constexpr bool binary_defined() {
  switch (Op) {
    case BinOp::Add:
    case BinOp::Sub:
    case BinOp::Mul:
    case BinOp::FloorDiv:
    case BinOp::Mod:
    case BinOp::Pow:
      return kNumber<T>;
    case BinOp::Div:
      return kFloat<T>;
    case BinOp::BitAnd:
    case BinOp::BitOr:
    case BinOp::BitXor:
      return std::is_integral_v<T>;
    case BinOp::Shl:
    case BinOp::Shr:
      return kInt<T>;
    default:
      return true;
  }
}

template <BinOp Op, class T>
inline auto apply_binary(T a, T b) {
  if constexpr (Op == BinOp::Add) {
    return num_add(a, b);
  } else if constexpr (Op == BinOp::Sub) {
    return num_sub(a, b);
  } else if constexpr (Op == BinOp::Mul) {
    return num_mul(a, b);
  } else if constexpr (Op == BinOp::Div) {
    return static_cast<T>(a / b);
  } else if constexpr (Op == BinOp::FloorDiv) {
    if constexpr (kInt<T>) {
      return floordiv(a, b);
    } else {
      return floordiv_float(a, b);
    }
  } else if constexpr (Op == BinOp::Mod) {
    if constexpr (kInt<T>) {
      return mod(a, b);
    } else {
      return mod_float(a, b);
    }
  } else if constexpr (Op == BinOp::Pow) {
    if constexpr (kInt<T>) {
      return ipow(a, b);
    } else {
      return fpow(a, b);
    }
  } else if constexpr (Op == BinOp::Eq) {
    return a == b;
  } else if constexpr (Op == BinOp::Ne) {
    return a != b;
  } else if constexpr (Op == BinOp::Lt) {
    return a < b;
  } else if constexpr (Op == BinOp::Le) {
    return a <= b;
  } else if constexpr (Op == BinOp::Gt) {
    return a > b;
  } else if constexpr (Op == BinOp::Ge) {
    return a >= b;
  } else if constexpr (Op == BinOp::BitAnd) {
    return static_cast<T>(a & b);
  } else if constexpr (Op == BinOp::BitOr) {
    return static_cast<T>(a | b);
  } else if constexpr (Op == BinOp::BitXor) {
    return static_cast<T>(a ^ b);
  } else if constexpr (Op == BinOp::Shl) {
    return shl(a, b);
  } else if constexpr (Op == BinOp::Shr) {
    return shr(a, b);
  } else if constexpr (Op == BinOp::Min) {
    return min_value(a, b);
  } else {
    return max_value(a, b);
  }
}

template <UnOp Op, class T>
constexpr bool unary_defined() {
  switch (Op) {
    case UnOp::Neg:
    case UnOp::Abs:
      return kNumber<T>;
    case UnOp::Not:
      return std::is_same_v<T, bool>;
    case UnOp::BitNot:
      return kInt<T>;
    default:
      return kFloat<T>;
  }
}

template <UnOp Op, class T>
inline T apply_unary(T a) {
  if constexpr (Op == UnOp::Neg) {
    return num_neg(a);
  } else if constexpr (Op == UnOp::Not) {
    return !a;
  } else if constexpr (Op == UnOp::BitNot) {
    return static_cast<T>(~a);
  } else if constexpr (Op == UnOp::Abs) {
    return num_abs(a);
  } else {
    // Exp .. Floor list the math builtins in MathFn's order.
    constexpr auto kFn = static_cast<MathFn>(static_cast<int>(Op) - static_cast<int>(UnOp::Exp));
    return math_fn<kFn>(a);
  }
}

static_assert(static_cast<int>(UnOp::Floor) - static_cast<int>(UnOp::Exp) ==
                  static_cast<int>(MathFn::Floor) &&
              static_cast<int>(UnOp::Sigmoid) - static_cast<int>(UnOp::Exp) ==
                  static_cast<int>(MathFn::Sigmoid) &&
              static_cast<int>(UnOp::Abs) - static_cast<int>(UnOp::Exp) ==
                  static_cast<int>(MathFn::Abs) &&
              static_cast<int>(UnOp::Round) - static_cast<int>(UnOp::Exp) ==
                  static_cast<int>(MathFn::Round));

template <class F>
decltype(auto) with_binop(BinOp op, F&& f) {
#define KESTREL_CASE(name) \
  case BinOp::name:        \
    return f(std::integral_constant<BinOp, BinOp::name>{});
  switch (op) {
    KESTREL_CASE(Add)
    KESTREL_CASE(Sub)
    KESTREL_CASE(Mul)
    KESTREL_CASE(Div)
    KESTREL_CASE(FloorDiv)
    KESTREL_CASE(Mod)
    KESTREL_CASE(Pow)
    KESTREL_CASE(Eq)
    KESTREL_CASE(Ne)
    KESTREL_CASE(Lt)
    KESTREL_CASE(Le)
    KESTREL_CASE(Gt)
    KESTREL_CASE(Ge)
    KESTREL_CASE(BitAnd)
    KESTREL_CASE(BitOr)
    KESTREL_CASE(BitXor)
    KESTREL_CASE(Shl)
    KESTREL_CASE(Shr)
    KESTREL_CASE(Min)
    KESTREL_CASE(Max)
  }
#undef KESTREL_CASE
  return f(std::integral_constant<BinOp, BinOp::Max>{});
}

template <class F>
decltype(auto) with_unop(UnOp op, F&& f) {
#define KESTREL_CASE(name) \
  case UnOp::name:         \
    return f(std::integral_constant<UnOp, UnOp::name>{});
  switch (op) {
    KESTREL_CASE(Neg)
    KESTREL_CASE(Not)
    KESTREL_CASE(BitNot)
    KESTREL_CASE(Exp)
    KESTREL_CASE(Log)
    KESTREL_CASE(Sqrt)
    KESTREL_CASE(Abs)
    KESTREL_CASE(Sin)
    KESTREL_CASE(Cos)
    KESTREL_CASE(Tanh)
    KESTREL_CASE(Sigmoid)
    KESTREL_CASE(Floor)
    KESTREL_CASE(Tan)
    KESTREL_CASE(Log10)
    KESTREL_CASE(Log2)
    KESTREL_CASE(Ceil)
    KESTREL_CASE(Round)
  }
#undef KESTREL_CASE
  return f(std::integral_constant<UnOp, UnOp::Floor>{});
}

// ---- broadcasting geometry -------------------------------------------------------------------

// An operand seen as a logical rows x cols grid (a vector is one row; a scalar 0 x 0 with rank
// 0), and the grid the operation runs over.
struct Grid {
  int rank = 0;
  std::int64_t rows = 1;
  std::int64_t cols = 1;
};

Grid grid_of(const Operand& o) {
  if (!o.array) {
    return Grid{};
  }
  const Array& a = *o.array;
  if (a.rank == 1) {
    return Grid{1, 1, a.shape[0]};
  }
  return Grid{2, a.shape[0], a.shape[1]};
}

std::string grid_text(const Grid& g) {
  if (g.rank == 0) {
    return "()";
  }
  if (g.rank == 1) {
    return "(" + std::to_string(g.cols) + ",)";
  }
  return "(" + std::to_string(g.rows) + ", " + std::to_string(g.cols) + ")";
}

Grid broadcast(const Grid& a, const Grid& b) {
  if (a.rank == 0) {
    return b;
  }
  if (b.rank == 0) {
    return a;
  }
  auto dim = [&](std::int64_t x, std::int64_t y) {
    if (x == y || y == 1) {
      return x;
    }
    if (x == 1) {
      return y;
    }
    raise("shape mismatch: " + grid_text(a) + " and " + grid_text(b));
  };
  Grid g;
  g.rank = std::max(a.rank, b.rank);
  g.cols = dim(a.cols, b.cols);
  g.rows = dim(a.rows, b.rows);
  return g;
}

// A typed operand walked over a grid: element (i, j) is p[i * s0 + j * s1].
template <class T>
struct Src {
  const T* p;
  std::int64_t s0;
  std::int64_t s1;
};
template <class T>
struct Dst {
  T* p;
  std::int64_t s0;
  std::int64_t s1;
};

template <class T>
Src<T> source(const Operand& o, const Grid& g, T& slot) {
  if (!o.array) {
    slot = o.scalar.get<T>();
    return Src<T>{&slot, 0, 0};
  }
  const Array& a = *o.array;
  if (a.rank == 1) {
    return Src<T>{a.ptr<T>(), 0, a.shape[0] == 1 && g.cols != 1 ? 0 : a.strides[0]};
  }
  return Src<T>{a.ptr<T>(), a.shape[0] == 1 && g.rows != 1 ? 0 : a.strides[0],
                a.shape[1] == 1 && g.cols != 1 ? 0 : a.strides[1]};
}

ArrayRef alloc_grid(const Grid& g, Elem elem) {
  return g.rank == 2 ? alloc(Shape(g.rows, g.cols), elem) : alloc(Shape(g.cols), elem);
}

template <class R>
Dst<R> dest(const Array& out) {
  if (out.rank == 1) {
    return Dst<R>{out.ptr<R>(), 0, out.strides[0]};
  }
  return Dst<R>{out.ptr<R>(), out.strides[0], out.strides[1]};
}

// Runs body(i0, i1, j0, j1) over blocks of the grid's rows [i0, i1) and columns [j0, j1) that
// cover it once. From kParallelElementwiseThreshold elements the blocks (kElementwiseChunk
// elements of a vector, or whole rows of a matrix adding up to about as many) run on every core
// (runtime/parallel.hpp); below it, or inside a parallel loop's chunk, one block inline. Every
// element is computed by the same scalar code either way, so results do not depend on the split;
// an error raised in a block (integer division by zero) is rethrown on the caller's thread.
template <class Body>
void over_grid(const Grid& g, Body body) {
  if (g.rows * g.cols < kParallelElementwiseThreshold || threads() == 1 || in_parallel_loop()) {
    body(std::int64_t{0}, g.rows, std::int64_t{0}, g.cols);
  } else if (g.rows == 1) {
    parallel_for_chunks(0, g.cols, kElementwiseChunk,
                        [&](std::int64_t lo, std::int64_t hi) { body(0, 1, lo, hi); });
  } else {
    std::int64_t rows = std::max<std::int64_t>(1, kElementwiseChunk / g.cols);
    parallel_for_chunks(0, g.rows, rows,
                        [&](std::int64_t lo, std::int64_t hi) { body(lo, hi, 0, g.cols); });
  }
}

// out(i, j) = f(a(i, j)) over the grid; the dense inner loop is the one the compiler vectorizes,
// or `row(pa, o, n)` when given (a loop built elsewhere, vmath.cpp, computing the same f).
template <class R, class A, class F, class Row>
void map1(const Grid& g, Dst<R> out, Src<A> a, F f, Row row) {
  over_grid(g, [&](std::int64_t i0, std::int64_t i1, std::int64_t j0, std::int64_t j1) {
    std::int64_t n = j1 - j0;
    for (std::int64_t i = i0; i < i1; ++i) {
      R* o = out.p + i * out.s0 + j0 * out.s1;
      const A* pa = a.p + i * a.s0 + j0 * a.s1;
      if (out.s1 == 1 && a.s1 == 1) {
        if constexpr (std::is_same_v<Row, std::nullptr_t>) {
          for (std::int64_t j = 0; j < n; ++j) {
            o[j] = f(pa[j]);
          }
        } else {
          row(pa, o, n);
        }
      } else {
        for (std::int64_t j = 0; j < n; ++j) {
          o[j * out.s1] = f(pa[j * a.s1]);
        }
      }
    }
  });
}

template <class R, class A, class F>
void map1(const Grid& g, Dst<R> out, Src<A> a, F f) {
  map1(g, out, a, f, nullptr);
}

template <class R, class A, class B, class F>
void map2(const Grid& g, Dst<R> out, Src<A> a, Src<B> b, F f) {
  over_grid(g, [&](std::int64_t i0, std::int64_t i1, std::int64_t j0, std::int64_t j1) {
    std::int64_t n = j1 - j0;
    for (std::int64_t i = i0; i < i1; ++i) {
      R* o = out.p + i * out.s0 + j0 * out.s1;
      const A* pa = a.p + i * a.s0 + j0 * a.s1;
      const B* pb = b.p + i * b.s0 + j0 * b.s1;
      if (out.s1 == 1 && a.s1 == 1 && b.s1 == 1) {
        for (std::int64_t j = 0; j < n; ++j) {
          o[j] = f(pa[j], pb[j]);
        }
      } else if (out.s1 == 1 && a.s1 == 1 && b.s1 == 0) {
        const B y = *pb;
        for (std::int64_t j = 0; j < n; ++j) {
          o[j] = f(pa[j], y);
        }
      } else if (out.s1 == 1 && a.s1 == 0 && b.s1 == 1) {
        const A x = *pa;
        for (std::int64_t j = 0; j < n; ++j) {
          o[j] = f(x, pb[j]);
        }
      } else {
        for (std::int64_t j = 0; j < n; ++j) {
          o[j * out.s1] = f(pa[j * a.s1], pb[j * b.s1]);
        }
      }
    }
  });
}

template <class R, class A, class B, class C, class F>
void map3(const Grid& g, Dst<R> out, Src<A> a, Src<B> b, Src<C> c, F f) {
  over_grid(g, [&](std::int64_t i0, std::int64_t i1, std::int64_t j0, std::int64_t j1) {
    for (std::int64_t i = i0; i < i1; ++i) {
      R* o = out.p + i * out.s0;
      const A* pa = a.p + i * a.s0;
      const B* pb = b.p + i * b.s0;
      const C* pc = c.p + i * c.s0;
      for (std::int64_t j = j0; j < j1; ++j) {
        o[j * out.s1] = f(pa[j * a.s1], pb[j * b.s1], pc[j * c.s1]);
      }
    }
  });
}

void require_same_elem(const char* what, Elem a, Elem b) {
  if (a != b) {
    raise(std::string(what) + ": operands have different element types (" + elem_name(a) + " and " +
          elem_name(b) + ")");
  }
}

Operand to_f64(const Operand& o, ArrayRef& keep) {
  if (!o.array) {
    return Operand(o.scalar.to(Elem::F64));
  }
  keep = convert(*o.array, Elem::F64);
  return Operand(keep);
}

}  // namespace

Shape broadcast_shape(const Operand& a, const Operand& b) {
  Grid g = broadcast(grid_of(a), grid_of(b));
  if (g.rank == 0) {
    return Shape(1);
  }
  return g.rank == 2 ? Shape(g.rows, g.cols) : Shape(g.cols);
}

ArrayRef binary(BinOp op, const Operand& a, const Operand& b) {
  require_same_elem(binop_name(op), a.elem(), b.elem());
  if (op == BinOp::Div && !is_float(a.elem())) {
    ArrayRef ka;
    ArrayRef kb;
    return binary(op, to_f64(a, ka), to_f64(b, kb));
  }
  Grid g = broadcast(grid_of(a), grid_of(b));
  if (g.rank == 0) {
    raise("binary: an array operation needs an array operand");
  }
  return with_binop(op, [&](auto opc) -> ArrayRef {
    using OpC = decltype(opc);
    constexpr BinOp kOp = OpC::value;
    return visit_number(a.elem(), [&](auto* tag) -> ArrayRef {
      using T = ElemT<decltype(tag)>;
      if constexpr (!binary_defined<kOp, T>()) {
        raise(std::string("operator ") + binop_name(op) + " is not defined for " +
              elem_name(elem_of<T>));
      } else {
        using R = decltype(apply_binary<kOp, T>(T{}, T{}));
        ArrayRef out = alloc_grid(g, elem_of<R>);
        T sa{};
        T sb{};
        map2(g, dest<R>(*out), source<T>(a, g, sa), source<T>(b, g, sb),
             [](T x, T y) { return apply_binary<OpC::value, T>(x, y); });
        return out;
      }
    });
  });
}

Value binary(BinOp op, Value a, Value b) {
  require_same_elem(binop_name(op), a.elem, b.elem);
  if (op == BinOp::Div && !is_float(a.elem)) {
    return binary(op, a.to(Elem::F64), b.to(Elem::F64));
  }
  return with_binop(op, [&](auto opc) -> Value {
    using OpC = decltype(opc);
    constexpr BinOp kOp = OpC::value;
    return visit_number(a.elem, [&](auto* tag) -> Value {
      using T = ElemT<decltype(tag)>;
      if constexpr (!binary_defined<kOp, T>()) {
        raise(std::string("operator ") + binop_name(op) + " is not defined for " +
              elem_name(elem_of<T>));
      } else {
        return Value(apply_binary<kOp, T>(a.get<T>(), b.get<T>()));
      }
    });
  });
}

ArrayRef unary(UnOp op, const Array& a) {
  Grid g = grid_of(Operand(a));
  return with_unop(op, [&](auto opc) -> ArrayRef {
    using OpC = decltype(opc);
    constexpr UnOp kOp = OpC::value;
    return visit_number(a.elem, [&](auto* tag) -> ArrayRef {
      using T = ElemT<decltype(tag)>;
      if constexpr (!unary_defined<kOp, T>()) {
        raise(std::string(unop_name(op)) + " is not defined for " + elem_name(elem_of<T>));
      } else {
        ArrayRef out = alloc_grid(g, elem_of<T>);
        T slot{};
        auto f = [](T x) { return apply_unary<OpC::value, T>(x); };
        if constexpr (kFloat<T> && kOp == UnOp::Exp) {
          map1(g, dest<T>(*out), source<T>(Operand(a), g, slot), f,
               [](const T* pa, T* o, std::int64_t n) { exp_row(pa, o, n); });
        } else if constexpr (kFloat<T> && kOp == UnOp::Sigmoid) {
          map1(g, dest<T>(*out), source<T>(Operand(a), g, slot), f,
               [](const T* pa, T* o, std::int64_t n) { sigmoid_row(pa, o, n); });
        } else {
          map1(g, dest<T>(*out), source<T>(Operand(a), g, slot), f);
        }
        return out;
      }
    });
  });
}

Value unary(UnOp op, Value a) {
  return with_unop(op, [&](auto opc) -> Value {
    using OpC = decltype(opc);
    constexpr UnOp kOp = OpC::value;
    return visit_number(a.elem, [&](auto* tag) -> Value {
      using T = ElemT<decltype(tag)>;
      if constexpr (!unary_defined<kOp, T>()) {
        raise(std::string(unop_name(op)) + " is not defined for " + elem_name(elem_of<T>));
      } else {
        return Value(apply_unary<kOp, T>(a.get<T>()));
      }
    });
  });
}

ArrayRef convert(const Array& a, Elem to) {
  Grid g = grid_of(Operand(a));
  return visit_number(a.elem, [&](auto* from_tag) -> ArrayRef {
    using From = ElemT<decltype(from_tag)>;
    return visit_number(to, [&](auto* to_tag) -> ArrayRef {
      using To = ElemT<decltype(to_tag)>;
      ArrayRef out = alloc_grid(g, to);
      From slot{};
      map1(g, dest<To>(*out), source<From>(Operand(a), g, slot),
           [](From x) { return convert_scalar<To>(x); });
      return out;
    });
  });
}

ArrayRef where(const Operand& c, const Operand& a, const Operand& b) {
  if (c.elem() != Elem::Bool) {
    raise("where: the condition must be bool");
  }
  require_same_elem("where", a.elem(), b.elem());
  Grid g = broadcast(broadcast(grid_of(c), grid_of(a)), grid_of(b));
  if (g.rank == 0) {
    raise("where: an array operation needs an array operand");
  }
  return visit_number(a.elem(), [&](auto* tag) -> ArrayRef {
    using T = ElemT<decltype(tag)>;
    ArrayRef out = alloc_grid(g, elem_of<T>);
    bool sc = false;
    T sa{};
    T sb{};
    map3(g, dest<T>(*out), source<bool>(c, g, sc), source<T>(a, g, sa), source<T>(b, g, sb),
         [](bool k, T x, T y) { return k ? x : y; });
    return out;
  });
}

ArrayRef clip(const Operand& x, const Operand& lo, const Operand& hi) {
  require_same_elem("clip", x.elem(), lo.elem());
  require_same_elem("clip", x.elem(), hi.elem());
  Grid g = broadcast(broadcast(grid_of(x), grid_of(lo)), grid_of(hi));
  if (g.rank == 0) {
    raise("clip: an array operation needs an array operand");
  }
  return visit_number(x.elem(), [&](auto* tag) -> ArrayRef {
    using T = ElemT<decltype(tag)>;
    ArrayRef out = alloc_grid(g, elem_of<T>);
    T sx{};
    T sl{};
    T sh{};
    map3(g, dest<T>(*out), source<T>(x, g, sx), source<T>(lo, g, sl), source<T>(hi, g, sh),
         [](T v, T l, T h) { return min_value(max_value(v, l), h); });
    return out;
  });
}

void store(const Array& target, StoreOp op, const Operand& value) {
  require_same_elem("assignment", target.elem, value.elem());
  Grid tg = grid_of(Operand(target));
  Grid g = broadcast(tg, grid_of(value));
  if (g.rows != tg.rows || g.cols != tg.cols) {
    raise("shape mismatch: " + grid_text(grid_of(value)) + " and " + grid_text(tg));
  }
  // A value that shares the target's buffer but is not the very same view is copied first, so
  // the result is as if the right-hand side were computed before any element is written.
  ArrayRef keep;
  Operand v = value;
  if (value.array && value.array->buffer == target.buffer &&
      !(value.array->data == target.data && value.array->strides[0] == target.strides[0] &&
        value.array->strides[1] == target.strides[1] && value.array->rank == target.rank)) {
    keep = copy(*value.array);
    v = Operand(keep);
  }
  if (target.elem == Elem::Str) {
    if (op != StoreOp::Set || !v.array) {
      raise("a string array can only be assigned a string array");
    }
    const Array& src = *v.array;
    for (std::int64_t i = 0; i < target.shape[0]; ++i) {
      for (std::int64_t j = 0; j < target.shape[1]; ++j) {
        std::int64_t si = src.shape[0] == 1 ? 0 : i;
        std::int64_t sj = src.shape[1] == 1 ? 0 : j;
        if (src.rank == 1 && target.rank == 2) {
          si = src.shape[0] == 1 ? 0 : j;
          sj = 0;
        }
        target.at<std::string>(i, j) = src.at<std::string>(si, sj);
      }
    }
    return;
  }
  visit_number(target.elem, [&](auto* tag) {
    using T = ElemT<decltype(tag)>;
    T slot{};
    Src<T> s = source<T>(v, tg, slot);
    Dst<T> d = dest<T>(target);
    Src<T> cur{d.p, d.s0, d.s1};
    switch (op) {
      case StoreOp::Set:
        map1(tg, d, s, [](T x) { return x; });
        return;
      case StoreOp::Add:
        if constexpr (binary_defined<BinOp::Add, T>()) {
          map2(tg, d, cur, s, [](T x, T y) { return apply_binary<BinOp::Add, T>(x, y); });
          return;
        }
        break;
      case StoreOp::Sub:
        if constexpr (binary_defined<BinOp::Sub, T>()) {
          map2(tg, d, cur, s, [](T x, T y) { return apply_binary<BinOp::Sub, T>(x, y); });
          return;
        }
        break;
      case StoreOp::Mul:
        if constexpr (binary_defined<BinOp::Mul, T>()) {
          map2(tg, d, cur, s, [](T x, T y) { return apply_binary<BinOp::Mul, T>(x, y); });
          return;
        }
        break;
      case StoreOp::Div:
        if constexpr (binary_defined<BinOp::Div, T>()) {
          map2(tg, d, cur, s, [](T x, T y) { return apply_binary<BinOp::Div, T>(x, y); });
          return;
        }
        break;
    }
    raise(std::string("this compound assignment is not defined for ") + elem_name(elem_of<T>));
  });
}

}  // namespace kestrel::rt
