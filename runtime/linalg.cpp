#include "runtime/linalg.hpp"

// GCC 12's own AVX-512 intrinsics (`__m512d __Y = __Y;`, its idiom for an undefined vector) trip
// -Wmaybe-uninitialized wherever Eigen's kernels inline them with -march=native (GCC bug 105593,
// fixed in 13): not a fault of this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <string>

#include "runtime/elem_dispatch.hpp"
#include "runtime/elementwise.hpp"
#include "runtime/limits.hpp"
#include "runtime/reduce.hpp"

namespace kestrel::rt {

using detail::ElemT;
using detail::visit_number;

namespace {

template <class T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using ColMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;

// `a` seen as a rows x cols matrix (a vector as a row or a column). Calls f with an Eigen map of
// it: row-major when its rows are dense, column-major when its columns are, else a dense copy.
template <class T, class F>
void with_matrix(const Array& a, std::int64_t rows, std::int64_t cols, std::int64_t s_row,
                 std::int64_t s_col, F&& f) {
  using Outer = Eigen::OuterStride<>;
  if ((s_col == 1 || cols <= 1) && (s_row >= cols || rows <= 1)) {
    f(Eigen::Map<const RowMajor<T>, 0, Outer>(a.ptr<T>(), rows, cols,
                                              Outer(rows <= 1 ? cols : s_row)));
    return;
  }
  if ((s_row == 1 || rows <= 1) && (s_col >= rows || cols <= 1)) {
    f(Eigen::Map<const ColMajor<T>, 0, Outer>(a.ptr<T>(), rows, cols,
                                              Outer(cols <= 1 ? rows : s_col)));
    return;
  }
  ArrayRef dense = copy(a);
  f(Eigen::Map<const RowMajor<T>>(dense->ptr<T>(), rows, cols));
}

struct Operand2 {
  std::int64_t rows, cols, s_row, s_col;
};

// A matrix as itself; a vector as a row (left operand) or a column (right operand).
Operand2 as_matrix(const Array& a, bool left) {
  if (a.rank == 2) {
    return {a.shape[0], a.shape[1], a.strides[0], a.strides[1]};
  }
  if (left) {
    return {1, a.shape[0], a.shape[0], a.strides[0]};
  }
  return {a.shape[0], 1, a.strides[0], 1};
}

// A product of more than kTiledFlops multiply-adds runs as tiles of the output, polling the run's
// limits between them, so an interrupt or a time limit stops a 5000 x 5000 `@` within tens of
// milliseconds. The tiles depend on the shapes alone (never on threads or time), so every mode
// gets the same bits. A tile is about kTileFlops multiply-adds, its side a multiple of 64 from
// 64 to 1024: A's rows are re-packed per tile column and B's columns per tile row, which costs a
// few percent on the products that are tiled at all.
constexpr double kTiledFlops = double(1 << 30);
constexpr double kTileFlops = double(1 << 27);

std::int64_t tile_side(std::int64_t k) {
  auto side = static_cast<std::int64_t>(std::sqrt(kTileFlops / static_cast<double>(k)));
  return std::clamp<std::int64_t>(side / 64 * 64, 64, 1024);
}

[[noreturn]] void raise_shapes(const Array& a, const Array& b) {
  raise("matmul shape mismatch: " + shape_text(a) + " @ " + shape_text(b));
}

}  // namespace

ArrayRef matmul(const Array& a, const Array& b) {
  if (a.rank == 1 && b.rank == 1) {
    raise("matmul of two vectors is a scalar: use matmul_vv");
  }
  if (a.elem != b.elem) {
    raise(std::string("matmul: operands have different element types (") + elem_name(a.elem) +
          " and " + elem_name(b.elem) + ")");
  }
  Operand2 x = as_matrix(a, true);
  Operand2 y = as_matrix(b, false);
  if (x.cols != y.rows) {
    raise_shapes(a, b);
  }
  std::int64_t m = x.rows;
  std::int64_t n = y.cols;
  std::int64_t k = x.cols;
  ArrayRef out = a.rank == 1   ? alloc(Shape(n), a.elem)
                 : b.rank == 1 ? alloc(Shape(m), a.elem)
                               : alloc(Shape(m, n), a.elem);
  visit_number(a.elem, [&](auto* tag) {
    using T = ElemT<decltype(tag)>;
    if constexpr (std::is_floating_point_v<T>) {
      Eigen::Map<RowMajor<T>> o(out->ptr<T>(), m, n);
      with_matrix<T>(a, x.rows, x.cols, x.s_row, x.s_col, [&](const auto& ma) {
        with_matrix<T>(b, y.rows, y.cols, y.s_row, y.s_col, [&](const auto& mb) {
          if (double(m) * double(n) * double(k) <= kTiledFlops) {
            o.noalias() = ma * mb;
            return;
          }
          std::int64_t side = tile_side(k);
          for (std::int64_t i0 = 0; i0 < m; i0 += side) {
            for (std::int64_t j0 = 0; j0 < n; j0 += side) {
              poll();
              std::int64_t rows = std::min(side, m - i0);
              std::int64_t cols = std::min(side, n - j0);
              o.block(i0, j0, rows, cols).noalias() =
                  ma.middleRows(i0, rows) * mb.middleCols(j0, cols);
            }
          }
        });
      });
    } else if constexpr (std::is_same_v<T, bool>) {
      raise("matmul takes numbers, not bools");
    } else {
      // Wrapping integer product, each element summed over k in ascending order.
      const T* pa = a.ptr<T>();
      const T* pb = b.ptr<T>();
      T* po = out->ptr<T>();
      for (std::int64_t i = 0; i < m; ++i) {
        poll();  // a row of n * k multiply-adds between polls
        for (std::int64_t j = 0; j < n; ++j) {
          T acc = 0;
          for (std::int64_t t = 0; t < k; ++t) {
            acc = wrap_add(acc,
                           wrap_mul(pa[i * x.s_row + t * x.s_col], pb[t * y.s_row + j * y.s_col]));
          }
          po[i * n + j] = acc;
        }
      }
    }
  });
  return out;
}

Value matmul_vv(const Array& a, const Array& b) {
  if (a.rank != 1 || b.rank != 1) {
    raise("matmul_vv takes two vectors");
  }
  if (a.shape[0] != b.shape[0]) {
    raise_shapes(a, b);
  }
  return dot(a, b);
}

}  // namespace kestrel::rt
