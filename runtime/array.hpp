#pragma once
// Arrays: reference-counted buffers and the strided 1-D / 2-D views over them that every
// array-typed Kestrel value is. Assignment shares the buffer (as in numpy); `copy` copies; the
// memory goes with the last reference.
//
// Reference counts are intrusive and NOT atomic: an Array or Buffer may be retained and released
// by one thread at a time. The parallel runtime must retain what a parallel loop reads before the
// loop starts, on the launching thread, and let worker threads use the raw views only.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/rules/bounds.hpp"

namespace kestrel::rt {

/// Element types (the same order as ir::Scalar). Str elements are std::string (labels only).
enum class Elem : std::uint8_t { Bool, I32, I64, F32, F64, Str };

/// Bytes per element (Bool is one byte, Str is sizeof(std::string)).
std::size_t elem_size(Elem e);
/// `bool`, `i32`, `i64`, `f32`, `f64`, `str`.
const char* elem_name(Elem e);
inline bool is_integer(Elem e) { return e == Elem::I32 || e == Elem::I64; }
inline bool is_float(Elem e) { return e == Elem::F32 || e == Elem::F64; }

/// The Elem of a C++ element type: elem_of<double> == Elem::F64.
template <class T>
struct ElemOf;
template <>
struct ElemOf<bool> {
  static constexpr Elem value = Elem::Bool;
};
template <>
struct ElemOf<std::int32_t> {
  static constexpr Elem value = Elem::I32;
};
template <>
struct ElemOf<std::int64_t> {
  static constexpr Elem value = Elem::I64;
};
template <>
struct ElemOf<float> {
  static constexpr Elem value = Elem::F32;
};
template <>
struct ElemOf<double> {
  static constexpr Elem value = Elem::F64;
};
template <>
struct ElemOf<std::string> {
  static constexpr Elem value = Elem::Str;
};
template <class T>
inline constexpr Elem elem_of = ElemOf<T>::value;

/// One scalar of a numeric or bool element type: what whole-array reductions return and what an
/// elementwise operation broadcasts. The constructors are implicit: Value(2.0) is an f64.
struct Value {
  Elem elem = Elem::F64;
  union {
    bool b;
    std::int32_t i32;
    std::int64_t i64;
    float f32;
    double f64 = 0;
  };

  Value() = default;
  Value(bool v) : elem(Elem::Bool), b(v) {}
  Value(std::int32_t v) : elem(Elem::I32), i32(v) {}
  Value(std::int64_t v) : elem(Elem::I64), i64(v) {}
  Value(float v) : elem(Elem::F32), f32(v) {}
  Value(double v) : elem(Elem::F64), f64(v) {}

  /// The value as T, which must be this value's element type.
  template <class T>
  T get() const {
    if constexpr (std::is_same_v<T, bool>) {
      return b;
    } else if constexpr (std::is_same_v<T, std::int32_t>) {
      return i32;
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      return i64;
    } else if constexpr (std::is_same_v<T, float>) {
      return f32;
    } else {
      static_assert(std::is_same_v<T, double>, "Value holds bool, i32, i64, f32 or f64");
      return f64;
    }
  }
  /// The value converted to `to` with the rules of convert() (saturating float to integer).
  Value to(Elem target) const;
  friend bool operator==(const Value& a, const Value& b);
};

/// Counters of what is alive now, for leak tests: heap and mapped buffers, their bytes, and Array
/// view objects.
std::int64_t live_buffers();
std::int64_t live_bytes();
std::int64_t live_arrays();

/// Element memory: heap (64-byte aligned, owned), a private read-write mapping of a file (writes
/// never reach the file; unmapped on release), or memory the host owns (zero-copy embedding;
/// the host's `on_release` runs with the last reference).
class Buffer {
 public:
  enum class Kind : std::uint8_t { Heap, Mapped, External };

  /// `count` elements on the heap, zero-filled (Str elements are empty strings). refs() == 1.
  static Buffer* allocate(Elem elem, std::size_t count);
  /// The same without zero-filling numeric elements (for results the caller overwrites).
  static Buffer* allocate_uninit(Elem elem, std::size_t count);
  /// Takes over a mapping from mmap (`map_base`, `map_bytes`); the elements start at `data`.
  static Buffer* adopt_mapping(void* map_base, std::size_t map_bytes, void* data, Elem elem,
                               std::size_t count);
  /// Wraps host memory; `on_release(context)` (may be null) runs when the last reference goes.
  static Buffer* wrap(void* data, Elem elem, std::size_t count, void (*on_release)(void*) = nullptr,
                      void* context = nullptr);

  void retain() { ++refs_; }
  void release() {
    if (--refs_ == 0) {
      destroy();
    }
  }
  std::uint32_t refs() const { return refs_; }
  void* data() const { return data_; }
  std::size_t count() const { return count_; }
  std::size_t bytes() const { return count_ * elem_size(elem_); }
  Elem elem() const { return elem_; }
  Kind kind() const { return kind_; }
  /// Host memory wrapped without an `on_release`: nothing here keeps it alive (a C++ caller's
  /// std::vector), so a result that views it must not outlive the call (the engine copies it).
  bool borrowed() const { return kind_ == Kind::External && on_release_ == nullptr; }

 private:
  Buffer() = default;
  void destroy();

  std::uint32_t refs_ = 1;
  Kind kind_ = Kind::Heap;
  Elem elem_ = Elem::F64;
  void* data_ = nullptr;
  std::size_t count_ = 0;
  void* map_base_ = nullptr;  // Mapped: what to munmap; External: on_release's context
  std::size_t map_bytes_ = 0;
  void (*on_release_)(void*) = nullptr;
};

/// A strided view of a Buffer. Standard layout, fields in this order, so the JIT can read them
/// directly: element (i, j) is at data + (i * strides[0] + j * strides[1]) * elem_size(elem).
/// A rank-1 array has shape[1] == 1 and strides[1] == 1, so a 2-D loop also walks it.
/// Create arrays with the functions below; hold them with ArrayRef.
struct Array {
  std::int64_t refs = 1;     // intrusive, non-atomic
  Buffer* buffer = nullptr;  // one reference held
  void* data = nullptr;      // element (0, 0)
  std::int64_t shape[2] = {0, 1};
  std::int64_t strides[2] = {1, 1};  // in elements; 0 is a broadcast, negative a reversed slice
  std::uint8_t rank = 1;
  Elem elem = Elem::F64;

  std::int64_t size() const { return shape[0] * shape[1]; }
  /// Row-major and dense: element k of the row-major order is data[k].
  bool is_contiguous() const {
    return (shape[1] == 1 || strides[1] == 1) && (shape[0] == 1 || strides[0] == shape[1]);
  }
  template <class T>
  T* ptr() const {
    return static_cast<T*>(data);
  }
  /// Unchecked element references; T must be the element type.
  template <class T>
  T& at(std::int64_t i) const {
    return ptr<T>()[i * strides[0]];
  }
  template <class T>
  T& at(std::int64_t i, std::int64_t j) const {
    return ptr<T>()[i * strides[0] + j * strides[1]];
  }
};

/// Frees a view whose count reached zero (and releases its buffer reference).
void destroy_array(Array* a);
inline void retain(Array* a) { ++a->refs; }
inline void release(Array* a) {
  if (--a->refs == 0) {
    destroy_array(a);
  }
}

/// An owning handle to an intrusively counted object (Array, Table): copying retains, destroying
/// releases. The size of one pointer.
template <class T>
class Ref {
 public:
  Ref() noexcept = default;
  Ref(std::nullptr_t) noexcept {}
  /// Shares `p`: retains it.
  explicit Ref(T* p) noexcept : p_(p) {
    if (p_) {
      retain(p_);
    }
  }
  /// Takes over one reference that the caller already holds (a freshly made object).
  static Ref adopt(T* p) noexcept {
    Ref r;
    r.p_ = p;
    return r;
  }
  Ref(const Ref& o) noexcept : Ref(o.p_) {}
  Ref(Ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  Ref& operator=(const Ref& o) noexcept {
    Ref(o).swap(*this);
    return *this;
  }
  Ref& operator=(Ref&& o) noexcept {
    Ref(std::move(o)).swap(*this);
    return *this;
  }
  ~Ref() {
    if (p_) {
      release(p_);
    }
  }
  void swap(Ref& o) noexcept { std::swap(p_, o.p_); }
  /// Gives up the reference without releasing it (for handing to C code).
  T* detach() noexcept { return std::exchange(p_, nullptr); }

  T* get() const noexcept { return p_; }
  T* operator->() const noexcept { return p_; }
  T& operator*() const noexcept { return *p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

using ArrayRef = Ref<Array>;

/// A shape of rank 1 (`Shape(n)`, implicit from one integer) or rank 2 (`{m, n}`).
struct Shape {
  Shape(std::int64_t n) : rank(1), dims{n, 1} {}
  Shape(std::int64_t m, std::int64_t n) : rank(2), dims{m, n} {}
  int rank;
  std::int64_t dims[2];
  std::int64_t size() const { return dims[0] * dims[1]; }
};
/// The shape of an array.
Shape shape_of(const Array& a);
/// `(3,)`, `(2, 4)`: numpy's spelling, used in error messages.
std::string shape_text(const Array& a);

// ---- constructors (DESIGN.md: sizes first, element type last, f64 by default) ----------------
// A negative size raises "negative size -1 in zeros".

/// Raises "negative size N in WHAT" when a dimension of `shape` is negative: for constructors
/// built on alloc(), so the error names the function the user called.
void check_size(Shape shape, const char* what);

/// A new contiguous array whose elements are NOT initialised (Str elements are empty strings):
/// for results the caller overwrites completely.
ArrayRef alloc(Shape shape, Elem elem);
/// `empty` gives zeros, so a program that reads before it writes prints the same in every mode.
ArrayRef empty(Shape shape, Elem elem = Elem::F64);
ArrayRef zeros(Shape shape, Elem elem = Elem::F64);
ArrayRef ones(Shape shape, Elem elem = Elem::F64);
/// Every element `value` converted to `elem`.
ArrayRef full(Shape shape, Value value, Elem elem);
/// start, start + step, … while < stop (> stop for a negative step); step 0 raises.
ArrayRef arange(std::int64_t start, std::int64_t stop, std::int64_t step = 1,
                Elem elem = Elem::F64);
/// arange with float bounds, numpy's rule: n = ceil((stop - start) / step) elements (none when
/// that is not positive); in the element type (f32 or f64), element 0 is start, element 1 is
/// start + step (added in f64), and element k >= 2 is first + k * (second - first) (numpy's
/// fill). Step 0, or a length that is not finite (a nan or infinite bound) or too large, raises.
ArrayRef arange_f(double start, double stop, double step, Elem elem = Elem::F64);
/// `n` points from start to stop inclusive, element k = start + k * ((stop - start) / (n - 1))
/// computed in f64, the last exactly stop (numpy's rule); n == 1 gives [start]; elem f32 or f64.
ArrayRef linspace(double start, double stop, std::int64_t n, Elem elem = Elem::F64);
/// A contiguous copy of `a` (the same element type and shape).
ArrayRef copy(const Array& a);

/// Arrays from C++ values (literals, tests, the embedding API copying in).
template <class T>
ArrayRef from_values(std::span<const T> values, Shape shape);
template <class T>
ArrayRef make_array(std::initializer_list<T> values) {
  return from_values<T>(std::span<const T>(values.begin(), values.size()),
                        Shape(static_cast<std::int64_t>(values.size())));
}
/// A matrix from rows of equal length (raises otherwise).
template <class T>
ArrayRef make_matrix(std::initializer_list<std::initializer_list<T>> rows);
/// A view of host memory without a copy: contiguous row-major `shape`; the host keeps `data`
/// alive until `on_release(context)` runs.
ArrayRef wrap(void* data, Shape shape, Elem elem, void (*on_release)(void*) = nullptr,
              void* context = nullptr);

// ---- views (share the buffer) ----------------------------------------------------------------

/// One dimension of a slice: a single index (drops the dimension) or a range lo:hi:step. A
/// missing range bound is kOpen (the dimension's start or end in the step's direction).
inline constexpr std::int64_t kOpen = INT64_MIN;
struct SliceArg {
  bool is_range = true;
  std::int64_t index = 0;   // when !is_range
  std::int64_t lo = kOpen;  // when is_range
  std::int64_t hi = kOpen;
  std::int64_t step = 1;  // when is_range; not 0

  static SliceArg at(std::int64_t i) { return SliceArg{false, i, 0, 0, 1}; }
  static SliceArg range(std::int64_t lo, std::int64_t hi, std::int64_t step = 1) {
    return SliceArg{true, 0, lo, hi, step};
  }
  static SliceArg all() { return SliceArg{}; }
};
/// `a[…]` with one SliceArg per dimension of `a` and at least one range, as numpy takes it
/// (rules/bounds.hpp): a negative index or bound counts from the end, range bounds are clipped
/// (an empty view is fine), and a step makes a strided view (negative: backwards). An index out
/// of bounds after counting from the end raises, and so does a step of 0.
ArrayRef slice(const Array& a, std::span<const SliceArg> dims);
/// a[lo:hi:step] of a vector (or rows lo:hi:step of a matrix).
ArrayRef slice(const Array& a, std::int64_t lo, std::int64_t hi, std::int64_t step = 1);
/// m[i, :] and m[:, j] of a matrix: 1-D views.
ArrayRef row(const Array& m, std::int64_t i);
ArrayRef column(const Array& m, std::int64_t j);
/// m.T: the transposed view of a matrix (a vector is returned as it is).
ArrayRef transpose(const Array& m);
/// A view of contiguous `a`'s elements, row-major, in `shape` (of a.size() elements): reshape.
ArrayRef view_reshaped(const Array& a, Shape shape);

// ---- elements --------------------------------------------------------------------------------

/// Raises "index 5 is out of bounds for axis 0 with size 3".
[[noreturn]] void raise_index(std::int64_t index, int axis, std::int64_t size);
inline void check_index(const Array& a, int axis, std::int64_t i) {
  if (!index_in_bounds(i, a.shape[axis])) {
    raise_index(i, axis, a.shape[axis]);
  }
}
/// Bounds-checked element access; T must be the element type.
template <class T>
T get(const Array& a, std::int64_t i) {
  check_index(a, 0, i);
  return a.at<T>(i);
}
template <class T>
T get(const Array& a, std::int64_t i, std::int64_t j) {
  check_index(a, 0, i);
  check_index(a, 1, j);
  return a.at<T>(i, j);
}
template <class T>
void set(const Array& a, std::int64_t i, T value) {
  check_index(a, 0, i);
  a.at<T>(i) = std::move(value);
}
template <class T>
void set(const Array& a, std::int64_t i, std::int64_t j, T value) {
  check_index(a, 0, i);
  check_index(a, 1, j);
  a.at<T>(i, j) = std::move(value);
}
/// Element (i, j) as a Value (numeric and bool arrays), bounds-checked.
Value get_value(const Array& a, std::int64_t i, std::int64_t j = 0);

/// The elements in row-major order, converted to T (for tests and the embedding API).
template <class T>
std::vector<T> to_vector(const Array& a);

}  // namespace kestrel::rt
