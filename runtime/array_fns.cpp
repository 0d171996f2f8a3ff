// numpy's array functions: prod std var median cumsum sort argsort unique concatenate reshape
// (array_fns.hpp says what each computes and in which order).
#include "runtime/array_fns.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/elem_dispatch.hpp"
#include "runtime/rules/arith.hpp"

namespace kestrel::rt {
namespace {

using detail::visit_elem;
using detail::visit_number;

template <class T>
inline constexpr bool kIsFloat = std::is_same_v<T, float> || std::is_same_v<T, double>;

/// The lines an operation walks: line l's element k is at data[l * outer + k * inner].
struct Lines {
  std::int64_t count = 1;
  std::int64_t len = 0;
  std::int64_t outer = 0;
  std::int64_t inner = 1;
};

/// A vector is one line; a matrix's lines run along `axis` (columns for 0, rows for 1).
Lines lines_of(const Array& a, int axis) {
  if (a.rank == 1) {
    return {1, a.shape[0], 0, a.strides[0]};
  }
  if (axis == 0) {
    return {a.shape[1], a.shape[0], a.strides[1], a.strides[0]};
  }
  return {a.shape[0], a.shape[1], a.strides[0], a.strides[1]};
}

/// A view of `a`'s elements (row-major) in `shape`: `a` itself if contiguous, else a copy.
ArrayRef reshaped(const Array& a, Shape shape) {
  if (a.is_contiguous()) {
    return view_reshaped(a, shape);
  }
  ArrayRef c = copy(a);
  return view_reshaped(*c, shape);
}

/// The elements of `a`, row-major, as one contiguous line.
ArrayRef flat(const Array& a) { return reshaped(a, Shape(a.size())); }

/// a < b with nan after every number (numpy's sort order); strings and bools as they compare.
template <class T>
bool before(const T& a, const T& b) {
  if constexpr (kIsFloat<T>) {
    if (std::isnan(a)) {
      return false;
    }
    if (std::isnan(b)) {
      return true;
    }
  }
  return a < b;
}

template <class T>
bool same(const T& a, const T& b) {
  if constexpr (kIsFloat<T>) {
    if (std::isnan(a) && std::isnan(b)) {
      return true;
    }
  }
  return a == b;
}

/// How a line's elements are held while sorting (a byte for bool: no std::vector<bool>).
template <class T>
using Held = std::conditional_t<std::is_same_v<T, bool>, unsigned char, T>;

/// The stable sorting permutation of one line: (value, index) pairs sorted by value then index,
/// which is the stable order, with the values beside their indices (no indirect reads).
template <class T>
std::vector<std::int64_t> order_of(const T* p, const Lines& ls, std::int64_t l) {
  std::vector<std::pair<Held<T>, std::int64_t>> v(static_cast<std::size_t>(ls.len));
  for (std::int64_t k = 0; k < ls.len; ++k) {
    v[static_cast<std::size_t>(k)] = {p[l * ls.outer + k * ls.inner], k};
  }
  std::sort(v.begin(), v.end(), [](const auto& x, const auto& y) {
    return before(x.first, y.first) || (!before(y.first, x.first) && x.second < y.second);
  });
  std::vector<std::int64_t> idx(v.size());
  for (std::size_t k = 0; k < v.size(); ++k) {
    idx[k] = v[k].second;
  }
  return idx;
}

/// One line's values in sorted order, nan last (stable: equal values, -0.0 and 0.0 among them,
/// and nans keep their order).
template <class T>
std::vector<Held<T>> sorted_line(const T* p, const Lines& ls, std::int64_t l) {
  std::vector<Held<T>> v(static_cast<std::size_t>(ls.len));
  for (std::int64_t k = 0; k < ls.len; ++k) {
    v[static_cast<std::size_t>(k)] = p[l * ls.outer + k * ls.inner];
  }
  auto end = v.end();
  if constexpr (kIsFloat<T>) {
    end = std::stable_partition(v.begin(), v.end(), [](T x) { return !std::isnan(x); });
  }
  std::stable_sort(v.begin(), end, [](const Held<T>& x, const Held<T>& y) { return x < y; });
  return v;
}

/// A line's elements widened to double (for var, std and median).
template <class T>
std::vector<double> line_doubles(const T* p, const Lines& ls, std::int64_t l) {
  std::vector<double> v(static_cast<std::size_t>(ls.len));
  for (std::int64_t k = 0; k < ls.len; ++k) {
    v[static_cast<std::size_t>(k)] = static_cast<double>(p[l * ls.outer + k * ls.inner]);
  }
  return v;
}

double variance(const std::vector<double>& v, std::int64_t ddof) {
  auto n = static_cast<std::int64_t>(v.size());
  double dof = static_cast<double>(n) - static_cast<double>(ddof);  // no overflow for any ddof
  if (dof <= 0) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  double s = 0;
  for (double x : v) {
    s += x;
  }
  double mean = s / static_cast<double>(n);
  double ss = 0;
  for (double x : v) {
    double d = x - mean;
    ss += d * d;
  }
  return ss / dof;
}

double median_of(std::vector<double> v) {
  if (v.empty()) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  for (double x : v) {
    if (std::isnan(x)) {
      return x;
    }
  }
  std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double hi = v[mid];
  if (v.size() % 2 == 1) {
    return hi;
  }
  double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lo + hi) / 2;
}

/// The element type of a reduction's or cumsum's result (prod, cumsum: integers widen to i64;
/// var, std, median: f64 unless f32).
Elem result_elem(ArrayFn fn, Elem e) {
  if (fn == ArrayFn::Prod || fn == ArrayFn::Cumsum) {
    return is_float(e) ? e : Elem::I64;
  }
  return e == Elem::F32 ? Elem::F32 : Elem::F64;
}

/// fn (prod, var, std, median) of line l, as a Value of result_elem(fn, T's Elem).
template <class T>
Value reduce_line(ArrayFn fn, const T* p, const Lines& ls, std::int64_t l, std::int64_t ddof) {
  if constexpr (std::is_same_v<T, std::string>) {
    raise("this operation takes numbers, not strings");
  } else {
    Elem out = result_elem(fn, elem_of<T>);
    if (fn == ArrayFn::Prod) {
      if constexpr (kIsFloat<T>) {
        double acc = 1;
        for (std::int64_t k = 0; k < ls.len; ++k) {
          acc *= static_cast<double>(p[l * ls.outer + k * ls.inner]);
        }
        return out == Elem::F32 ? Value(static_cast<float>(acc)) : Value(acc);
      } else {
        std::int64_t acc = 1;
        for (std::int64_t k = 0; k < ls.len; ++k) {
          acc = wrap_mul(acc, static_cast<std::int64_t>(p[l * ls.outer + k * ls.inner]));
        }
        return Value(acc);
      }
    }
    std::vector<double> v = line_doubles(p, ls, l);
    double r = fn == ArrayFn::Median ? median_of(std::move(v)) : variance(v, ddof);
    if (fn == ArrayFn::Std) {
      r = std::sqrt(r);
    }
    return out == Elem::F32 ? Value(static_cast<float>(r)) : Value(r);
  }
}

void check_axis_fn(ArrayFn fn) {
  if (fn != ArrayFn::Prod && fn != ArrayFn::Std && fn != ArrayFn::Var && fn != ArrayFn::Median) {
    raise("internal error: not a reduction");
  }
}

/// prod, var, std or median along axis: one result per line.
ArrayRef reduce_axis_fn(ArrayFn fn, const Array& a, int axis, std::int64_t ddof) {
  check_axis_fn(fn);
  Lines ls = lines_of(a, axis);
  Elem out_elem = a.elem == Elem::Str ? Elem::F64 : result_elem(fn, a.elem);
  ArrayRef out = alloc(Shape(ls.count), out_elem);
  visit_elem(a.elem, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    for (std::int64_t l = 0; l < ls.count; ++l) {
      Value v = reduce_line<T>(fn, a.ptr<T>(), ls, l, ddof);
      visit_number(out_elem, [&](auto* otag) {
        using O = std::remove_pointer_t<decltype(otag)>;
        out->ptr<O>()[l] = v.get<O>();
      });
    }
  });
  return out;
}

/// cumsum, sort or argsort along the lines of `a` into a new contiguous array of its shape.
ArrayRef along_lines(ArrayFn fn, const Array& a, int axis) {
  Elem out_elem = fn == ArrayFn::Argsort  ? Elem::I64
                  : fn == ArrayFn::Cumsum ? result_elem(fn, a.elem)
                                          : a.elem;
  ArrayRef out = alloc(shape_of(a), out_elem);
  Lines in = lines_of(a, axis);
  Lines to = lines_of(*out, axis);
  visit_elem(a.elem, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* p = a.ptr<T>();
    for (std::int64_t l = 0; l < in.count; ++l) {
      if (fn == ArrayFn::Cumsum) {
        if constexpr (std::is_same_v<T, std::string>) {
          raise("cumsum takes numbers, not strings");
        } else if constexpr (kIsFloat<T>) {
          T acc = 0;
          T* o = out->template ptr<T>();
          for (std::int64_t k = 0; k < in.len; ++k) {
            acc += p[l * in.outer + k * in.inner];
            o[l * to.outer + k * to.inner] = acc;
          }
        } else {
          std::int64_t acc = 0;
          auto* o = out->template ptr<std::int64_t>();
          for (std::int64_t k = 0; k < in.len; ++k) {
            acc = wrap_add(acc, static_cast<std::int64_t>(p[l * in.outer + k * in.inner]));
            o[l * to.outer + k * to.inner] = acc;
          }
        }
        continue;
      }
      if (fn == ArrayFn::Argsort) {
        std::vector<std::int64_t> idx = order_of(p, in, l);
        for (std::int64_t k = 0; k < in.len; ++k) {
          out->template ptr<std::int64_t>()[l * to.outer + k * to.inner] =
              idx[static_cast<std::size_t>(k)];
        }
      } else {
        std::vector<Held<T>> v = sorted_line(p, in, l);
        for (std::int64_t k = 0; k < in.len; ++k) {
          out->template ptr<T>()[l * to.outer + k * to.inner] = v[static_cast<std::size_t>(k)];
        }
      }
    }
  });
  return out;
}

ArrayRef unique(const Array& a) {
  ArrayRef f = flat(a);
  Lines ls = lines_of(*f, 1);
  return visit_elem(a.elem, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* p = f->template ptr<T>();
    std::vector<Held<T>> v = sorted_line(p, ls, 0);
    std::size_t kept = 0;
    for (std::size_t k = 0; k < v.size(); ++k) {
      if (kept == 0 || !same<Held<T>>(v[kept - 1], v[k])) {
        if (kept != k) {
          v[kept] = std::move(v[k]);
        }
        ++kept;
      }
    }
    ArrayRef out = alloc(Shape(static_cast<std::int64_t>(kept)), a.elem);
    for (std::size_t k = 0; k < kept; ++k) {
      out->template ptr<T>()[k] = v[k];
    }
    return out;
  });
}

ArrayRef concatenate(const Array& a, const Array& b, int axis) {
  if (a.elem != b.elem || a.rank != b.rank) {
    raise("internal error: concatenate of different element types or ranks");
  }
  Shape shape(a.shape[0] + b.shape[0]);
  if (a.rank == 2) {
    int other = 1 - axis;
    if (a.shape[other] != b.shape[other]) {
      raise(
          "all the input array dimensions except for the concatenation axis must match "
          "exactly, but along dimension " +
          std::to_string(other) + ", the array at index 0 has size " +
          std::to_string(a.shape[other]) + " and the array at index 1 has size " +
          std::to_string(b.shape[other]));
    }
    shape = axis == 0 ? Shape(a.shape[0] + b.shape[0], a.shape[1])
                      : Shape(a.shape[0], a.shape[1] + b.shape[1]);
  }
  ArrayRef out = alloc(shape, a.elem);
  visit_elem(a.elem, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    std::int64_t di = 0;
    std::int64_t dj = 0;
    for (const Array* src : {&a, &b}) {
      for (std::int64_t i = 0; i < src->shape[0]; ++i) {
        for (std::int64_t j = 0; j < src->shape[1]; ++j) {
          out->template at<T>(i + di, j + dj) = src->template at<T>(i, j);
        }
      }
      (a.rank == 2 && axis == 1 ? dj : di) += src->shape[a.rank == 2 && axis == 1 ? 1 : 0];
    }
  });
  return out;
}

ArrayRef reshape(const Array& a, std::int64_t d0, std::int64_t d1, int rank) {
  Shape shape = rank == 2 ? Shape(d0, d1) : Shape(d0);
  check_size(shape, "reshape");
  std::int64_t size = 0;
  if (__builtin_mul_overflow(shape.dims[0], shape.dims[1], &size) || size != a.size()) {
    raise("cannot reshape array of size " + std::to_string(a.size()) + " into shape " +
          (rank == 2 ? "(" + std::to_string(d0) + ", " + std::to_string(d1) + ")"
                     : "(" + std::to_string(d0) + ",)"));
  }
  return reshaped(a, shape);
}

}  // namespace

Value array_fn_value(ArrayFn fn, const Array& a, std::int64_t ddof) {
  check_axis_fn(fn);
  ArrayRef f = flat(a);
  Lines ls = lines_of(*f, 1);
  return visit_elem(a.elem, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    return reduce_line<T>(fn, f->template ptr<T>(), ls, 0, ddof);
  });
}

ArrayRef array_fn_array(ArrayFn fn, const Array& a, const Array* b, int axis, std::int64_t d0,
                        std::int64_t d1, int rank) {
  switch (fn) {
    case ArrayFn::Prod:
    case ArrayFn::Std:
    case ArrayFn::Var:
    case ArrayFn::Median:
      return reduce_axis_fn(fn, a, axis, d0);
    case ArrayFn::Cumsum:
      return along_lines(fn, axis < 0 ? *flat(a) : a, axis);
    case ArrayFn::Sort:
    case ArrayFn::Argsort:
      return along_lines(fn, a, axis < 0 ? 1 : axis);
    case ArrayFn::Unique:
      return unique(a);
    case ArrayFn::Concatenate:
      return concatenate(a, *b, axis < 0 ? 0 : axis);
    case ArrayFn::Reshape:
      return reshape(a, d0, d1, rank);
  }
  raise("internal error: unknown array function");
}

}  // namespace kestrel::rt
