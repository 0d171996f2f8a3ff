#include "runtime/reduce.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "runtime/elem_dispatch.hpp"
#include "runtime/elementwise.hpp"
#include "runtime/parallel.hpp"

namespace kestrel::rt {

using detail::ElemT;
using detail::visit_number;

namespace {

template <class T>
inline constexpr bool kInt = std::is_integral_v<T> && !std::is_same_v<T, bool>;

const char* reduce_name(ReduceOp op) {
  static constexpr const char* kNames[] = {"sum",    "mean",  "min", "max", "argmin",
                                           "argmax", "count", "any", "all"};
  return kNames[static_cast<int>(op)];
}

// num_add as a function object, so that the loops below inline it (a function pointer was an
// indirect call per element).
template <class T>
struct Adder {
  T operator()(T a, T b) const { return num_add<T>(a, b); }
};

// Chunks reduced side by side: one chunk's additions form a chain, each waiting for the one
// before (4 cycles apiece), so a lone chunk runs at a quarter of the adder's rate. Eight chunks
// accumulated in one loop are eight independent chains; each still adds its own elements left to
// right from the identity, so every partial has the bits a lone chunk gives.
inline constexpr std::int64_t kSideBySide = 8;

// The partials of the chunks of [lo, hi) (lo a multiple of kReduceChunk) into partials[lo /
// kReduceChunk …]: each chunk reduced left to right from the identity. load(k) is element k.
template <class Acc, class Load, class Add>
void chunk_partials(std::int64_t lo, std::int64_t hi, Load& load, Add& add, Acc* partials) {
  std::int64_t c = lo;
  for (; hi - c >= kSideBySide * kReduceChunk; c += kSideBySide * kReduceChunk) {
    Acc acc[kSideBySide] = {};
    for (std::int64_t k = 0; k < kReduceChunk; ++k) {
      for (std::int64_t j = 0; j < kSideBySide; ++j) {
        acc[j] = add(acc[j], load(c + j * kReduceChunk + k));
      }
    }
    for (std::int64_t j = 0; j < kSideBySide; ++j) {
      partials[c / kReduceChunk + j] = acc[j];
    }
  }
  for (; c < hi; c += kReduceChunk) {
    Acc acc{};
    for (std::int64_t k = c, end = std::min(hi, c + kReduceChunk); k < end; ++k) {
      acc = add(acc, load(k));
    }
    partials[c / kReduceChunk] = acc;
  }
}

// The fixed order of reduce.hpp: chunks of kReduceChunk reduced left to right from the
// identity, then the chunk partials combined by combine_tree. load(k) is element k as Acc.
template <class Acc, class Load, class Add>
Acc chunked(std::int64_t n, Load load, Add add) {
  std::int64_t chunks = chunk_count(n);
  Acc small[64];
  std::vector<Acc> large;
  Acc* partials = small;
  if (chunks > 64) {
    large.resize(static_cast<std::size_t>(chunks));
    partials = large.data();
  }
  // Large reductions run their chunks on every core (runtime/parallel.hpp), a task taking
  // kSideBySide chunks; each chunk writes its own partial and the tree below combines them, so
  // the result is the same at any thread count.
  if (n >= kParallelReduceThreshold) {
    parallel_for_chunks(0, n, kSideBySide * kReduceChunk, [&](std::int64_t lo, std::int64_t hi) {
      chunk_partials<Acc>(lo, hi, load, add, partials);
    });
  } else {
    chunk_partials<Acc>(0, n, load, add, partials);
  }
  return combine_tree(std::span<Acc>(partials, static_cast<std::size_t>(chunks)), Acc{}, add);
}

// W columns' partials over `rows` rows from `first` (rows `row` elements apart): out[j * stride]
// for column j, each accumulated row by row from the identity.
template <int W, class Acc, class T, class Add>
void columns_block(const T* first, std::int64_t rows, std::int64_t row, Add& add, Acc* out,
                   std::int64_t stride) {
  Acc acc[W] = {};
  for (std::int64_t i = 0; i < rows; ++i) {
    const T* r = first + i * row;
    for (int j = 0; j < W; ++j) {
      acc[j] = add(acc[j], static_cast<Acc>(r[j]));
    }
  }
  for (int j = 0; j < W; ++j) {
    out[j * stride] = acc[j];
  }
}

// The sums of every column of a matrix whose rows are contiguous (m[i, j] at p[i * row + j]),
// each column's exactly as chunked<Acc> gives for that column alone: the rows are taken in
// chunks of kReduceChunk, every column's partial accumulated row by row (the columns are
// independent chains, and each row is read once, in memory order), then each column's partials
// combined by combine_tree.
template <class Acc, class T, class Add>
std::vector<Acc> column_sums(const T* p, std::int64_t rows, std::int64_t cols, std::int64_t row,
                             Add add) {
  std::int64_t chunks = chunk_count(rows);
  std::vector<Acc> partials(static_cast<std::size_t>(chunks * cols));  // [column][chunk]
  // Up to eight columns at a time, their accumulators in registers (a width known at compile
  // time, or the accumulators go through memory).
  auto rows_chunk = [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t j0 = 0; j0 < cols; j0 += 8) {
      Acc* out = partials.data() + j0 * chunks + lo / kReduceChunk;
      const T* first = p + lo * row + j0;
      switch (std::min<std::int64_t>(8, cols - j0)) {
#define KESTREL_COLUMNS(W)                                        \
  case W:                                                         \
    columns_block<W, Acc>(first, hi - lo, row, add, out, chunks); \
    break;
        KESTREL_COLUMNS(1)
        KESTREL_COLUMNS(2)
        KESTREL_COLUMNS(3)
        KESTREL_COLUMNS(4)
        KESTREL_COLUMNS(5)
        KESTREL_COLUMNS(6)
        KESTREL_COLUMNS(7)
        KESTREL_COLUMNS(8)
#undef KESTREL_COLUMNS
        default:
          break;
      }
    }
  };
  if (rows * cols >= kParallelReduceThreshold) {
    parallel_for_chunks(0, rows, kReduceChunk, rows_chunk);
  } else {
    for (std::int64_t lo = 0; lo < rows; lo += kReduceChunk) {
      rows_chunk(lo, std::min(rows, lo + kReduceChunk));
    }
  }
  std::vector<Acc> totals(static_cast<std::size_t>(cols));
  for (std::int64_t j = 0; j < cols; ++j) {
    totals[j] = combine_tree(
        std::span<Acc>(partials.data() + j * chunks, static_cast<std::size_t>(chunks)), Acc{}, add);
  }
  return totals;
}

template <class T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return v != v;
  } else {
    return false;
  }
}

// Calls f(Acc{}) with the type a sum or mean of T accumulates in: f32 in f64 (each element
// widened, chunks and tree in f64, rounded once: summed in f32, 10^7 x 0.1f32 gave 1000038.5;
// numpy 999989.44, exact 1000000.01); f64 in f64; an integer or bool sum in i64 (wrapping); an
// integer or bool mean in f64 (numpy's rule: each element converted, so nothing wraps).
template <class T, class F>
Value with_sum_acc(ReduceOp op, F&& f) {
  if constexpr (std::is_floating_point_v<T>) {
    return f(std::conditional_t<std::is_same_v<T, float>, double, T>{});
  } else if (op == ReduceOp::Sum) {
    return f(std::int64_t{});
  } else {
    return f(double{});
  }
}

// The sum or mean of n elements of T from their total in the accumulating type.
template <class T, class Acc>
Value finish_sum(ReduceOp op, Acc total, std::int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    if (op == ReduceOp::Sum) {
      return Value(static_cast<float>(total));
    }
    return Value(n == 0 ? std::numeric_limits<float>::quiet_NaN()
                        : static_cast<float>(total / static_cast<double>(n)));
  } else if constexpr (std::is_floating_point_v<T>) {
    if (op == ReduceOp::Sum) {
      return Value(total);
    }
    return Value(n == 0 ? std::numeric_limits<T>::quiet_NaN() : total / static_cast<T>(n));
  } else if constexpr (std::is_same_v<Acc, std::int64_t>) {
    return Value(total);
  } else {
    return Value(n == 0 ? std::numeric_limits<double>::quiet_NaN()
                        : total / static_cast<double>(n));
  }
}

// A reduction of the n elements p[0], p[s], p[2s], ….
template <class T>
Value reduce_line(ReduceOp op, const T* p, std::int64_t n, std::int64_t s) {
  auto at = [p, s](std::int64_t k) { return p[k * s]; };
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Mean:
      return with_sum_acc<T>(op, [&](auto acc_tag) {
        using Acc = decltype(acc_tag);
        Acc total = chunked<Acc>(
            n, [&](std::int64_t k) { return static_cast<Acc>(at(k)); }, Adder<Acc>{});
        return finish_sum<T>(op, total, n);
      });
    case ReduceOp::Min:
    case ReduceOp::Max:
    case ReduceOp::Argmin:
    case ReduceOp::Argmax: {
      if (n == 0) {
        raise(std::string(reduce_name(op)) + " of an empty array");
      }
      bool is_min = op == ReduceOp::Min || op == ReduceOp::Argmin;
      std::int64_t best = 0;
      T best_v = at(0);
      for (std::int64_t k = 1; k < n && !is_nan(best_v); ++k) {
        T v = at(k);
        if (is_nan(v) || (is_min ? v < best_v : best_v < v)) {
          best = k;
          best_v = v;
        }
      }
      if (op == ReduceOp::Min || op == ReduceOp::Max) {
        return Value(best_v);
      }
      return Value(best);
    }
    case ReduceOp::Count: {
      std::int64_t c = 0;
      for (std::int64_t k = 0; k < n; ++k) {
        c += at(k) != T{} ? 1 : 0;
      }
      return Value(c);
    }
    case ReduceOp::Any:
      for (std::int64_t k = 0; k < n; ++k) {
        if (at(k) != T{}) {
          return Value(true);
        }
      }
      return Value(false);
    case ReduceOp::All:
      for (std::int64_t k = 0; k < n; ++k) {
        if (at(k) == T{}) {
          return Value(false);
        }
      }
      return Value(true);
  }
  return Value(false);
}

// The sum of the products a[k] * b[k] in the fixed order, in T; for f32, in f64 (the product
// of two f32 is exact in f64) rounded once, as f32 sums are.
template <class T>
T dot_line(const T* a, std::int64_t sa, const T* b, std::int64_t sb, std::int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    return static_cast<float>(chunked<double>(
        n,
        [&](std::int64_t k) {
          return static_cast<double>(a[k * sa]) * static_cast<double>(b[k * sb]);
        },
        Adder<double>{}));
  }
  return chunked<T>(
      n,
      [&](std::int64_t k) {
        if constexpr (kInt<T>) {
          return wrap_mul(a[k * sa], b[k * sb]);
        } else {
          return static_cast<T>(a[k * sa] * b[k * sb]);
        }
      },
      Adder<T>{});
}

// Element (i, j) of a vector (rank 1) or a matrix, as a flat stride when it has one.
bool flat_stride(const Array& a, std::int64_t& stride) {
  if (a.rank == 1 || a.shape[1] == 1) {
    stride = a.strides[0];
    return true;
  }
  if (a.shape[0] == 1) {
    stride = a.strides[1];
    return true;
  }
  if (a.is_contiguous()) {
    stride = 1;
    return true;
  }
  return false;
}

template <class T>
void put(const Array& out, std::int64_t k, const Value& v) {
  out.at<T>(k) = v.get<T>();
}

}  // namespace

Elem reduce_result_elem(ReduceOp op, Elem elem) {
  switch (op) {
    case ReduceOp::Sum:
      return is_float(elem) ? elem : Elem::I64;
    case ReduceOp::Mean:
      return is_float(elem) ? elem : Elem::F64;
    case ReduceOp::Min:
    case ReduceOp::Max:
      return elem;
    case ReduceOp::Argmin:
    case ReduceOp::Argmax:
    case ReduceOp::Count:
      return Elem::I64;
    case ReduceOp::Any:
    case ReduceOp::All:
      return Elem::Bool;
  }
  return elem;
}

Value reduce(ReduceOp op, const Array& a) {
  std::int64_t stride = 1;
  if (!flat_stride(a, stride)) {
    ArrayRef dense = copy(a);
    return reduce(op, *dense);
  }
  return visit_number(a.elem, [&](auto* tag) {
    using T = ElemT<decltype(tag)>;
    return reduce_line<T>(op, a.ptr<T>(), a.size(), stride);
  });
}

ArrayRef reduce_axis(ReduceOp op, const Array& m, int axis) {
  if (m.rank != 2 || (axis != 0 && axis != 1)) {
    raise(std::string(reduce_name(op)) + ": axis=" + std::to_string(axis) +
          " needs a matrix and axis 0 or 1");
  }
  std::int64_t lines = axis == 0 ? m.shape[1] : m.shape[0];
  std::int64_t length = axis == 0 ? m.shape[0] : m.shape[1];
  std::int64_t along = axis == 0 ? m.strides[0] : m.strides[1];
  std::int64_t across = axis == 0 ? m.strides[1] : m.strides[0];
  Elem re = reduce_result_elem(op, m.elem);
  ArrayRef out = alloc(Shape(lines), re);
  visit_number(m.elem, [&](auto* tag) {
    using T = ElemT<decltype(tag)>;
    if ((op == ReduceOp::Sum || op == ReduceOp::Mean) && axis == 0 && across == 1) {
      // Rows contiguous: every column at once, row by row (column_sums), the same bits.
      with_sum_acc<T>(op, [&](auto acc_tag) {
        using Acc = decltype(acc_tag);
        std::vector<Acc> totals = column_sums<Acc>(m.ptr<T>(), length, lines, along, Adder<Acc>{});
        for (std::int64_t k = 0; k < lines; ++k) {
          Value v = finish_sum<T>(op, totals[k], length);
          visit_number(re, [&](auto* rtag) { put<ElemT<decltype(rtag)>>(*out, k, v); });
        }
        return Value(false);
      });
      return;
    }
    for (std::int64_t k = 0; k < lines; ++k) {
      Value v = reduce_line<T>(op, m.ptr<T>() + k * across, length, along);
      visit_number(re, [&](auto* rtag) { put<ElemT<decltype(rtag)>>(*out, k, v); });
    }
  });
  return out;
}

Value dot(const Array& a, const Array& b) {
  if (a.rank != 1 || b.rank != 1 || a.shape[0] != b.shape[0]) {
    raise("shape mismatch: " + shape_text(a) + " and " + shape_text(b));
  }
  if (a.elem != b.elem) {
    raise(std::string("dot: operands have different element types (") + elem_name(a.elem) +
          " and " + elem_name(b.elem) + ")");
  }
  return visit_number(a.elem, [&](auto* tag) -> Value {
    using T = ElemT<decltype(tag)>;
    if constexpr (std::is_same_v<T, bool>) {
      raise("dot takes numbers, not bools");
    } else {
      return Value(dot_line<T>(a.ptr<T>(), a.strides[0], b.ptr<T>(), b.strides[0], a.shape[0]));
    }
  });
}

ArrayRef dot(const Array& a, const Array& b, int axis) {
  if (a.rank != 2 || b.rank != 2 || a.shape[0] != b.shape[0] || a.shape[1] != b.shape[1]) {
    raise("shape mismatch: " + shape_text(a) + " and " + shape_text(b));
  }
  if (axis != 0 && axis != 1) {
    raise("dot: axis must be 0 or 1");
  }
  if (a.elem != b.elem) {
    raise(std::string("dot: operands have different element types (") + elem_name(a.elem) +
          " and " + elem_name(b.elem) + ")");
  }
  std::int64_t lines = axis == 0 ? a.shape[1] : a.shape[0];
  std::int64_t length = axis == 0 ? a.shape[0] : a.shape[1];
  int along = axis == 0 ? 0 : 1;
  int across = 1 - along;
  ArrayRef out = alloc(Shape(lines), a.elem);
  visit_number(a.elem, [&](auto* tag) {
    using T = ElemT<decltype(tag)>;
    if constexpr (std::is_same_v<T, bool>) {
      raise("dot takes numbers, not bools");
    } else {
      for (std::int64_t k = 0; k < lines; ++k) {
        out->at<T>(k) = dot_line<T>(a.ptr<T>() + k * a.strides[across], a.strides[along],
                                    b.ptr<T>() + k * b.strides[across], b.strides[along], length);
      }
    }
  });
  return out;
}

}  // namespace kestrel::rt
