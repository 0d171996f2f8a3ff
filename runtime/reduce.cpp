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
  auto chunk = [&](std::int64_t lo, std::int64_t hi) {
    Acc acc{};
    for (std::int64_t k = lo; k < hi; ++k) {
      acc = add(acc, load(k));
    }
    partials[lo / kReduceChunk] = acc;
  };
  // Large reductions run their chunks on every core (runtime/parallel.hpp); each chunk writes its
  // own partial and the tree below combines them, so the result is the same at any thread count.
  if (n >= kParallelReduceThreshold) {
    parallel_for_chunks(0, n, kReduceChunk, chunk);
  } else {
    for (std::int64_t lo = 0; lo < n; lo += kReduceChunk) {
      chunk(lo, std::min(n, lo + kReduceChunk));
    }
  }
  return combine_tree(std::span<Acc>(partials, static_cast<std::size_t>(chunks)), Acc{}, add);
}

template <class T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return v != v;
  } else {
    return false;
  }
}

// A reduction of the n elements p[0], p[s], p[2s], ….
template <class T>
Value reduce_line(ReduceOp op, const T* p, std::int64_t n, std::int64_t s) {
  auto at = [p, s](std::int64_t k) { return p[k * s]; };
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Mean: {
      if constexpr (std::is_same_v<T, float>) {
        // f32 accumulates in f64 (each element widened, chunks and tree in f64) and rounds once:
        // summed in f32, 10^7 x 0.1f32 gave 1000038.5 (numpy: 999989.44, exact: 1000000.01).
        double total = chunked<double>(
            n, [&](std::int64_t k) { return static_cast<double>(at(k)); }, num_add<double>);
        if (op == ReduceOp::Sum) {
          return Value(static_cast<float>(total));
        }
        return Value(n == 0 ? std::numeric_limits<float>::quiet_NaN()
                            : static_cast<float>(total / static_cast<double>(n)));
      } else if constexpr (std::is_floating_point_v<T>) {
        T total = chunked<T>(n, at, num_add<T>);
        if (op == ReduceOp::Sum) {
          return Value(total);
        }
        return Value(n == 0 ? std::numeric_limits<T>::quiet_NaN() : total / static_cast<T>(n));
      } else if (op == ReduceOp::Sum) {
        return Value(chunked<std::int64_t>(
            n, [&](std::int64_t k) { return static_cast<std::int64_t>(at(k)); },
            num_add<std::int64_t>));
      } else {
        // numpy's rule: each element converted to f64 and summed in f64, so nothing wraps.
        double total = chunked<double>(
            n, [&](std::int64_t k) { return static_cast<double>(at(k)); }, num_add<double>);
        return Value(n == 0 ? std::numeric_limits<double>::quiet_NaN()
                            : total / static_cast<double>(n));
      }
    }
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
        num_add<double>));
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
      num_add<T>);
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
