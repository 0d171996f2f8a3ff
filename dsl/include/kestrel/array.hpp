#pragma once
// The arrays that cross the boundary of the public C++ API (kestrel/kestrel.hpp includes this):
// ArrayView, a borrowed view of the caller's memory, and Array, an array a Kestrel function
// returned (a counted reference).
#include <algorithm>
#include <concepts>
#include <cstdint>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

namespace kestrel {

/// Element types as they cross the boundary: bool, i32, i64, f32, f64.
enum class Elem : std::uint8_t { Bool, I32, I64, F32, F64 };

template <class T, int Rank = 1>
class Array;

namespace detail {
struct Slot;
template <class T>
struct Boundary;
template <class T>
struct ElemOf;
template <>
struct ElemOf<bool> : std::integral_constant<Elem, Elem::Bool> {};
template <>
struct ElemOf<std::int32_t> : std::integral_constant<Elem, Elem::I32> {};
template <>
struct ElemOf<std::int64_t> : std::integral_constant<Elem, Elem::I64> {};
template <>
struct ElemOf<float> : std::integral_constant<Elem, Elem::F32> {};
template <>
struct ElemOf<double> : std::integral_constant<Elem, Elem::F64> {};

/// An Eigen dense object (Matrix, Map, Block, Ref) without including Eigen: it has data(),
/// rows(), cols(), innerStride(), outerStride() and says whether it is row-major.
template <class E>
concept EigenDense = requires(E& e) {
  e.data();
  { e.rows() } -> std::convertible_to<std::int64_t>;
  { e.cols() } -> std::convertible_to<std::int64_t>;
  { e.innerStride() } -> std::convertible_to<std::int64_t>;
  { e.outerStride() } -> std::convertible_to<std::int64_t>;
  E::IsRowMajor;
  E::ColsAtCompileTime;
};
}  // namespace detail

/// A borrowed view of the caller's memory, passed to a Kestrel function as an array argument of
/// element type T and rank 1 (`f64[:]`) or 2 (`f64[:, :]`). No copy is made: the function reads
/// and writes the caller's elements in place, so keep the memory alive for the call. (Kestrel
/// functions may write to their array parameters; Module::function refuses to bind a view of
/// const memory, ArrayView<const T>, to a parameter that the function may write, directly or
/// through a slice, a local or a call.) Strides are in elements and must not be negative.
/// A view of an Array (a result of another Function) passes that array itself: no copy, and a
/// result that views it shares its memory too.
template <class T, int Rank = 1>
class ArrayView {
  static_assert(Rank == 1 || Rank == 2, "arrays have rank 1 or 2");
  using Element = std::remove_const_t<T>;

 public:
  static constexpr int rank = Rank;
  using element_type = Element;

  /// A vector from a span, a std::vector, a std::array or any contiguous range of T.
  template <std::ranges::contiguous_range R>
  requires(Rank == 1 && !detail::EigenDense<std::remove_cvref_t<R>> &&
           std::convertible_to<decltype(std::ranges::data(std::declval<R&>())), T*>)
      ArrayView(R&& range)  // NOLINT(google-explicit-constructor): implicit, like std::span
      : data_(std::ranges::data(range)),
        shape_{static_cast<std::int64_t>(std::ranges::size(range)), 1},
        strides_{1, 1} {}
  /// An Eigen vector (rank 1: one column or row) or matrix (rank 2), column- or row-major,
  /// including Maps and Blocks with their strides.
  template <detail::EigenDense E>
  requires std::convertible_to<decltype(std::declval<E&>().data()), T*> ArrayView(
      E& e)  // NOLINT(google-explicit-constructor)
      : data_(e.data()) {
    std::int64_t inner = e.innerStride();
    std::int64_t outer = e.outerStride();
    std::int64_t row_stride = E::IsRowMajor ? outer : inner;
    std::int64_t col_stride = E::IsRowMajor ? inner : outer;
    if constexpr (Rank == 1) {
      bool column = e.cols() == 1;
      shape_[0] = column ? e.rows() : e.cols();
      strides_[0] = column ? row_stride : col_stride;
    } else {
      shape_[0] = e.rows();
      shape_[1] = e.cols();
      strides_[0] = row_stride;
      strides_[1] = col_stride;
    }
  }
  /// Rank 1: `size` elements `stride` apart.
  ArrayView(T* data, std::int64_t size, std::int64_t stride = 1) requires(Rank == 1)
      : data_(data), shape_{size, 1}, strides_{stride, 1} {}
  /// Rank 2: rows x cols, row-major and dense unless strides are given.
  ArrayView(T* data, std::int64_t rows, std::int64_t cols, std::int64_t row_stride = -1,
            std::int64_t col_stride = 1) requires(Rank == 2)
      : data_(data), shape_{rows, cols}, strides_{row_stride < 0 ? cols : row_stride, col_stride} {}

  /// The elements of an Array a Kestrel function returned (one of the same rank; a view of
  /// const elements also from a const Array). The Array must outlive the view.
  ArrayView(Array<Element, Rank>& a)  // NOLINT(google-explicit-constructor)
      : ArrayView(a.data(), a.shape(0), a.shape(1), a.stride(0), a.stride(1), a.handle_) {}
  ArrayView(const Array<Element, Rank>& a) requires std::is_const_v<T>  // NOLINT
      : ArrayView(a.data(), a.shape(0), a.shape(1), a.stride(0), a.stride(1), a.handle_) {}
  /// A temporary Array (another call's result passed straight on): it lives until the call ends.
  ArrayView(Array<Element, Rank>&& a)  // NOLINT(google-explicit-constructor)
      : ArrayView(a.data(), a.shape(0), a.shape(1), a.stride(0), a.stride(1), a.handle_) {}

  T* data() const { return data_; }
  std::int64_t shape(int axis) const { return shape_[axis]; }
  std::int64_t stride(int axis) const { return strides_[axis]; }

 private:
  friend struct detail::Boundary<ArrayView>;
  ArrayView(T* data, std::int64_t rows, std::int64_t cols, std::int64_t row_stride,
            std::int64_t col_stride, void* owner)
      : data_(data), shape_{rows, cols}, strides_{row_stride, col_stride}, owner_(owner) {}

  T* data_;
  std::int64_t shape_[2] = {0, 1};
  std::int64_t strides_[2] = {1, 1};
  void* owner_ = nullptr;  // the Array's runtime array when the view is of one (not counted)
};
template <class T>
using MatrixView = ArrayView<T, 2>;
template <std::ranges::contiguous_range R>
ArrayView(R&&) -> ArrayView<std::remove_reference_t<std::ranges::range_reference_t<R>>, 1>;

/// An array a Kestrel function returned: a counted reference to its elements, no copy. Elements
/// are at data() + i * stride(0) (+ j * stride(1)); the memory lives as long as any Array that
/// refers to it. It can be passed straight to another Function, as an Array<T, Rank> parameter
/// or an ArrayView of it: the function gets the same array (no copy; it may write to it, and
/// every Array sharing it sees that). A default-constructed Array is empty (size 0).
template <class T, int Rank>
class Array {
  static_assert(Rank == 1 || Rank == 2, "arrays have rank 1 or 2");

 public:
  static constexpr int rank = Rank;
  using element_type = T;

  Array() = default;
  Array(const Array& o) : handle_(o.handle_), data_(o.data_) {
    detail_retain();
    std::copy(o.shape_, o.shape_ + 2, shape_);
    std::copy(o.strides_, o.strides_ + 2, strides_);
  }
  Array(Array&& o) noexcept { swap(o); }
  Array& operator=(Array o) noexcept {
    swap(o);
    return *this;
  }
  ~Array();

  const T* data() const { return data_; }
  T* data() { return data_; }
  std::int64_t shape(int axis) const { return shape_[axis]; }
  std::int64_t stride(int axis) const { return strides_[axis]; }
  std::int64_t size() const { return shape_[0] * shape_[1]; }
  /// Unchecked element access.
  T& operator()(std::int64_t i) { return data_[i * strides_[0]]; }
  const T& operator()(std::int64_t i) const { return data_[i * strides_[0]]; }
  T& operator()(std::int64_t i, std::int64_t j) { return data_[i * strides_[0] + j * strides_[1]]; }
  const T& operator()(std::int64_t i, std::int64_t j) const {
    return data_[i * strides_[0] + j * strides_[1]];
  }
  /// A copy of the elements in row-major order.
  std::vector<T> to_vector() const {
    std::vector<T> out;
    out.reserve(static_cast<std::size_t>(size()));
    for (std::int64_t i = 0; i < shape_[0]; ++i) {
      for (std::int64_t j = 0; j < shape_[1]; ++j) {
        out.push_back(data_[i * strides_[0] + j * strides_[1]]);
      }
    }
    return out;
  }
  void swap(Array& o) noexcept {
    std::swap(handle_, o.handle_);
    std::swap(data_, o.data_);
    std::swap(shape_, o.shape_);
    std::swap(strides_, o.strides_);
  }

 private:
  friend struct detail::Slot;
  template <class, int>
  friend class ArrayView;
  void detail_retain();

  void* handle_ = nullptr;
  T* data_ = nullptr;
  std::int64_t shape_[2] = {0, 1};
  std::int64_t strides_[2] = {1, 1};
};

namespace detail {
void array_retain(void* handle);
void array_release(void* handle);
}  // namespace detail

template <class T, int R>
void Array<T, R>::detail_retain() {
  if (handle_ != nullptr) {
    detail::array_retain(handle_);
  }
}
template <class T, int R>
Array<T, R>::~Array() {
  if (handle_ != nullptr) {
    detail::array_release(handle_);
  }
}

}  // namespace kestrel
