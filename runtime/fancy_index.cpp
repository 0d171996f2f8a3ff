// numpy's boolean masks and integer-array indexing: gather and scatter (runtime/fancy_index.hpp).
#include "runtime/fancy_index.hpp"

#include <string>
#include <type_traits>
#include <vector>

#include "runtime/elem_dispatch.hpp"
#include "runtime/rules/bounds.hpp"
#include "runtime/rules/messages.hpp"

namespace kestrel::rt {
namespace {

/// What a selector picks: rows of a matrix (`rows`), or elements, each a (row, column) pair
/// (a vector's column is 0), in the order they are read and written.
struct Selection {
  bool rows = false;
  bool mask = false;
  std::vector<std::int64_t> i;
  std::vector<std::int64_t> j;  // elements only
  std::int64_t count() const { return static_cast<std::int64_t>(i.size()); }
};

std::int64_t index_at(const Array& sel, std::int64_t k) {
  return sel.elem == Elem::I32 ? std::int64_t{sel.at<std::int32_t>(k)} : sel.at<std::int64_t>(k);
}

Selection select(const Array& a, const Array& sel) {
  Selection s;
  if (sel.elem == Elem::Bool) {
    s.mask = true;
    if (sel.rank == 2 && a.rank != 2) {
      raise("a 2-D boolean mask cannot index a 1-D array");
    }
    s.rows = a.rank == 2 && sel.rank == 1;
    for (int d = 0; d < sel.rank; ++d) {
      if (sel.shape[d] != a.shape[d]) {
        raise("boolean index did not match indexed array along axis " + std::to_string(d) +
              "; size of axis is " + std::to_string(a.shape[d]) +
              " but size of corresponding boolean axis is " + std::to_string(sel.shape[d]));
      }
    }
    for (std::int64_t r = 0; r < sel.shape[0]; ++r) {
      for (std::int64_t c = 0; c < sel.shape[1]; ++c) {
        if (sel.at<bool>(r, c)) {
          s.i.push_back(r);
          if (!s.rows) {
            s.j.push_back(c);
          }
        }
      }
    }
    return s;
  }
  if (!is_integer(sel.elem) || sel.rank != 1) {
    raise("an index array must be a 1-D array of integers or bools");
  }
  s.rows = a.rank == 2;
  std::int64_t n = a.shape[0];
  s.i.reserve(static_cast<std::size_t>(sel.shape[0]));
  for (std::int64_t k = 0; k < sel.shape[0]; ++k) {
    std::int64_t v = index_at(sel, k);
    std::int64_t w = wrap_index(v, n);
    if (!index_in_bounds(w, n)) {
      raise(index_message(v, 0, n) + " (element " + std::to_string(k) + " of the index array)");
    }
    s.i.push_back(w);
    if (!s.rows) {
      s.j.push_back(0);
    }
  }
  return s;
}

Shape result_shape(const Array& a, const Selection& s) {
  return s.rows ? Shape(s.count(), a.shape[1]) : Shape(s.count());
}

ArrayRef gather(const Array& a, const Selection& s) {
  ArrayRef out = alloc(result_shape(a, s), a.elem);
  detail::visit_elem(a.elem, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* o = out->template ptr<T>();
    if (s.rows) {
      std::int64_t cols = a.shape[1];
      for (std::int64_t k = 0; k < s.count(); ++k) {
        for (std::int64_t c = 0; c < cols; ++c) {
          o[k * cols + c] = a.template at<T>(s.i[k], c);
        }
      }
    } else {
      for (std::int64_t k = 0; k < s.count(); ++k) {
        o[k] = a.template at<T>(s.i[k], s.j[k]);
      }
    }
  });
  return out;
}

void scatter(const Array& a, const Selection& s, const Array& vals) {
  detail::visit_elem(a.elem, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* v = vals.template ptr<T>();
    if (s.rows) {
      std::int64_t cols = a.shape[1];
      for (std::int64_t k = 0; k < s.count(); ++k) {
        for (std::int64_t c = 0; c < cols; ++c) {
          a.template at<T>(s.i[k], c) = v[k * cols + c];
        }
      }
    } else {
      for (std::int64_t k = 0; k < s.count(); ++k) {
        a.template at<T>(s.i[k], s.j[k]) = v[k];
      }
    }
  });
}

std::string what_selected(const Selection& s) {
  std::string n = std::to_string(s.count());
  std::string things =
      s.rows ? (s.count() == 1 ? " row" : " rows") : (s.count() == 1 ? " element" : " elements");
  return s.mask ? "the " + n + things + " where the mask is true"
                : "the " + n + things + " the index array selects";
}

}  // namespace

ArrayRef fancy_get(const Array& a, const Array& sel) { return gather(a, select(a, sel)); }

void fancy_set(const Array& a, const Array& sel, StoreOp op, const Operand& v) {
  Selection s = select(a, sel);
  Shape r = result_shape(a, s);
  if (v.is_array()) {
    const Array& x = *v.array;
    bool fits = s.rows ? (x.rank == 2 && x.shape[0] == r.dims[0] && x.shape[1] == r.dims[1]) ||
                             (x.rank == 1 && x.shape[0] == r.dims[1])
                       : x.rank == 1 && x.shape[0] == r.dims[0];
    if (!fits) {
      raise(s.rows ? "cannot assign an array of shape " + shape_text(x) + " to " +
                         what_selected(s) + " (shape (" + std::to_string(r.dims[0]) + ", " +
                         std::to_string(r.dims[1]) + "))"
                   : "cannot assign " + std::to_string(x.size()) +
                         (x.size() == 1 ? " value to " : " values to ") + what_selected(s));
    }
  }
  // The selected elements as a fresh array: the store's arithmetic (and its conversions and
  // broadcasting) is rt::store's, and a value that shares a's buffer is read before any write.
  ArrayRef vals = op == StoreOp::Set ? alloc(r, a.elem) : gather(a, s);
  store(*vals, op, v);
  scatter(a, s, *vals);
}

}  // namespace kestrel::rt
