#include "runtime/array.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "runtime/elem_dispatch.hpp"
#include "runtime/elementwise.hpp"
#include "runtime/format.hpp"
#include "runtime/limits.hpp"
#include "runtime/rules/messages.hpp"

namespace kestrel::rt {

namespace {

// Relaxed atomics: the counters are statistics, read by tests after the work is done.
std::atomic<std::int64_t> g_live_buffers{0};
std::atomic<std::int64_t> g_live_bytes{0};
std::atomic<std::int64_t> g_live_arrays{0};

constexpr std::size_t kAlign = 64;

std::size_t rounded_bytes(std::size_t bytes) {
  return std::max<std::size_t>(kAlign, (bytes + kAlign - 1) / kAlign * kAlign);
}

// Large blocks freed are kept for reuse by the next allocation of the same size. glibc serves
// blocks above its mmap threshold (at most 32 MiB) with a fresh mmap and gives them back on free,
// so a loop computing `a * b + c` over 10^7 f64 page-faulted 80 MB of new memory for every
// temporary: measured, 45% of an interpreter run's CPU time was the kernel zeroing pages. Blocks
// of 64 KiB and more are kept (mid-sized ones fault too: glibc trims its heap top once 2x its
// mmap threshold is free, so stdlib/mlp's 128 KiB batch temporaries page-faulted ~5000 times per
// bench/mlp_bench training; kept, the run's faults are within 6% of hand-written Eigen's), at
// most kCachedBlocks of them and kCachedBytes in all (the oldest go first), so a program's
// resident memory grows by at most that. The count is generous so that a phase with many small
// temporaries does not push out another's large ones: with 4, mlp.train's 128 KiB blocks
// evicted mse's 32 MB ones between calls, and each mse over 65,536 rows page-faulted 16,000
// times (150 ms, against 20 ms with its blocks kept). Allocations are rare at these sizes, so
// one mutex and a linear search suffice (chunks of parallel loops allocate too).
constexpr std::size_t kCacheMinBytes = std::size_t{64} << 10;
constexpr std::size_t kCachedBytes = std::size_t{256} << 20;
constexpr std::size_t kCachedBlocks = 64;

// Under AddressSanitizer every block goes back to the allocator, so a use after free is caught.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

class BlockCache {
 public:
  void* take(std::size_t bytes) {
    if (bytes < kCacheMinBytes) {
      return nullptr;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::size_t k = blocks_.size(); k-- > 0;) {
      if (blocks_[k].bytes == bytes) {
        void* p = blocks_[k].data;
        total_ -= bytes;
        blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(k));
        return p;
      }
    }
    return nullptr;
  }
  /// Keeps `data` (false: too small or too large to keep; the caller frees it).
  bool put(void* data, std::size_t bytes) {
    if (kSanitized || bytes < kCacheMinBytes || bytes > kCachedBytes) {
      return false;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    blocks_.push_back(Block{data, bytes});
    total_ += bytes;
    while (total_ > kCachedBytes || blocks_.size() > kCachedBlocks) {
      std::free(blocks_.front().data);
      total_ -= blocks_.front().bytes;
      blocks_.erase(blocks_.begin());
    }
    return true;
  }

 private:
  struct Block {
    void* data;
    std::size_t bytes;
  };
  std::mutex mutex_;
  std::vector<Block> blocks_;
  std::size_t total_ = 0;
};

// Never destroyed: buffers may be released by other static destructors at exit.
BlockCache& block_cache() {
  static auto* cache = new BlockCache;
  return *cache;
}

using detail::visit_elem;

// A new view object over `buffer` (taking over the caller's reference to it).
Array* new_view(Buffer* buffer, void* data, Shape shape, const std::int64_t strides[2], Elem elem) {
  auto* a = new Array;
  a->buffer = buffer;
  a->data = data;
  a->rank = static_cast<std::uint8_t>(shape.rank);
  a->shape[0] = shape.dims[0];
  a->shape[1] = shape.rank == 2 ? shape.dims[1] : 1;
  a->strides[0] = strides[0];
  a->strides[1] = shape.rank == 2 ? strides[1] : 1;
  a->elem = elem;
  g_live_arrays.fetch_add(1, std::memory_order_relaxed);
  return a;
}

/// Decimal digits of a 128-bit count (sizes that overflow 64 bits are reported exactly).
std::string to_string_u128(unsigned __int128 v) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return digits;
}

/// No allocation may ask for more than this (128 TiB): larger sizes are refused up front, before
/// any multiplication can wrap and allocate an array shorter than its shape.
constexpr unsigned __int128 kMaxBytes = static_cast<unsigned __int128>(1) << 47;

ArrayRef make_contiguous(Shape shape, Elem elem, bool zero, const char* what) {
  check_size(shape, what);
  unsigned __int128 elements = static_cast<unsigned __int128>(shape.dims[0]) *
                               static_cast<unsigned __int128>(shape.rank == 2 ? shape.dims[1] : 1);
  unsigned __int128 bytes = elements * elem_size(elem);
  if (bytes > kMaxBytes) {
    raise("out of memory allocating " + to_string_u128(bytes) + " bytes");
  }
  auto count = static_cast<std::size_t>(elements);
  Buffer* b = zero ? Buffer::allocate(elem, count) : Buffer::allocate_uninit(elem, count);
  std::int64_t strides[2] = {shape.rank == 2 ? shape.dims[1] : 1, 1};
  return ArrayRef::adopt(new_view(b, b->data(), shape, strides, elem));
}

std::byte* element_address(const Array& a, std::int64_t i, std::int64_t j) {
  return static_cast<std::byte*>(a.data) +
         (i * a.strides[0] + j * a.strides[1]) * static_cast<std::int64_t>(elem_size(a.elem));
}

}  // namespace

void check_size(Shape shape, const char* what) {
  for (int d = 0; d < shape.rank; ++d) {
    if (shape.dims[d] < 0) {
      raise("negative size " + std::to_string(shape.dims[d]) + " in " + what);
    }
  }
}

std::size_t elem_size(Elem e) {
  switch (e) {
    case Elem::Bool:
      return 1;
    case Elem::I32:
    case Elem::F32:
      return 4;
    case Elem::I64:
    case Elem::F64:
      return 8;
    case Elem::Str:
      return sizeof(std::string);
  }
  return 8;
}

const char* elem_name(Elem e) {
  switch (e) {
    case Elem::Bool:
      return "bool";
    case Elem::I32:
      return "i32";
    case Elem::I64:
      return "i64";
    case Elem::F32:
      return "f32";
    case Elem::F64:
      return "f64";
    case Elem::Str:
      return "str";
  }
  return "?";
}

Value Value::to(Elem target) const {
  return visit_elem(elem, [&](auto* from) -> Value {
    using From = std::remove_pointer_t<decltype(from)>;
    if constexpr (std::is_same_v<From, std::string>) {
      raise("a string is not a number");
    } else {
      From v = get<From>();
      return visit_elem(target, [&](auto* to) -> Value {
        using To = std::remove_pointer_t<decltype(to)>;
        if constexpr (std::is_same_v<To, std::string>) {
          raise("a number is not a string");
        } else {
          return Value(convert_scalar<To>(v));
        }
      });
    }
  });
}

bool operator==(const Value& a, const Value& b) {
  if (a.elem != b.elem) {
    return false;
  }
  switch (a.elem) {
    case Elem::Bool:
      return a.b == b.b;
    case Elem::I32:
      return a.i32 == b.i32;
    case Elem::I64:
      return a.i64 == b.i64;
    case Elem::F32:
      return a.f32 == b.f32;
    case Elem::F64:
      return a.f64 == b.f64;
    case Elem::Str:
      break;
  }
  return false;
}

std::int64_t live_buffers() { return g_live_buffers.load(std::memory_order_relaxed); }
std::int64_t live_bytes() { return g_live_bytes.load(std::memory_order_relaxed); }
std::int64_t live_arrays() { return g_live_arrays.load(std::memory_order_relaxed); }

/// Bytes zeroed or filled between two polls of the run's limits (a few milliseconds).
constexpr std::size_t kFillPiece = std::size_t{1} << 24;

/// p[k] = value(k) for k in [0, n), in pieces of kFillPiece bytes with a poll between them, so
/// an interrupt or the time limit stops a constructor of 10^9 elements (arange, linspace, full).
template <class T, class Value>
void fill_polled(T* p, std::int64_t n, Value value) {
  constexpr std::int64_t kPiece = static_cast<std::int64_t>(kFillPiece / sizeof(T));
  for (std::int64_t at = 0; at < n; at += kPiece) {
    if (at > 0) {
      poll();
    }
    for (std::int64_t k = at; k < std::min(n, at + kPiece); ++k) {
      p[k] = value(k);
    }
  }
}

Buffer* Buffer::allocate_uninit(Elem elem, std::size_t count) {
  unsigned __int128 wide = static_cast<unsigned __int128>(count) * elem_size(elem);
  if (wide > kMaxBytes) {
    raise("out of memory allocating " + to_string_u128(wide) + " bytes");
  }
  auto bytes = static_cast<std::size_t>(wide);
  // The host's limits: a poll here stops array-heavy loops whose back-edges are rare, and the
  // memory limit counts every live heap and mapped buffer of the process.
  poll();
  check_memory(g_live_bytes.load(std::memory_order_relaxed), static_cast<std::int64_t>(bytes));
  std::size_t rounded = rounded_bytes(bytes);
  void* data = block_cache().take(rounded);
  if (data == nullptr) {
    data = std::aligned_alloc(kAlign, rounded);
  }
  if (!data) {
    raise("out of memory allocating " + std::to_string(bytes) + " bytes");
  }
  if (elem == Elem::Str) {
    auto* s = static_cast<std::string*>(data);
    for (std::size_t k = 0; k < count; ++k) {
      new (s + k) std::string();
    }
  }
  auto* b = new Buffer;
  b->kind_ = Kind::Heap;
  b->elem_ = elem;
  b->data_ = data;
  b->count_ = count;
  g_live_buffers.fetch_add(1, std::memory_order_relaxed);
  g_live_bytes.fetch_add(static_cast<std::int64_t>(bytes), std::memory_order_relaxed);
  return b;
}

Buffer* Buffer::allocate(Elem elem, std::size_t count) {
  Buffer* b = allocate_uninit(elem, count);
  if (elem != Elem::Str) {
    // In pieces with a poll between them: zeros(10**9) is seconds of page faults.
    auto* p = static_cast<char*>(b->data_);
    std::size_t bytes = b->bytes();
    for (std::size_t at = 0; at < bytes; at += kFillPiece) {
      if (at > 0) {
        try {
          poll();
        } catch (...) {
          b->release();
          throw;
        }
      }
      std::memset(p + at, 0, std::min(kFillPiece, bytes - at));
    }
  }
  return b;
}

Buffer* Buffer::adopt_mapping(void* map_base, std::size_t map_bytes, void* data, Elem elem,
                              std::size_t count) {
  auto* b = new Buffer;
  b->kind_ = Kind::Mapped;
  b->elem_ = elem;
  b->data_ = data;
  b->count_ = count;
  b->map_base_ = map_base;
  b->map_bytes_ = map_bytes;
  g_live_buffers.fetch_add(1, std::memory_order_relaxed);
  g_live_bytes.fetch_add(static_cast<std::int64_t>(b->bytes()), std::memory_order_relaxed);
  return b;
}

Buffer* Buffer::wrap(void* data, Elem elem, std::size_t count, void (*on_release)(void*),
                     void* context) {
  auto* b = new Buffer;
  b->kind_ = Kind::External;
  b->elem_ = elem;
  b->data_ = data;
  b->count_ = count;
  b->map_base_ = context;
  b->on_release_ = on_release;
  g_live_buffers.fetch_add(1, std::memory_order_relaxed);
  return b;
}

void Buffer::destroy() {
  switch (kind_) {
    case Kind::Heap:
      if (elem_ == Elem::Str) {
        auto* s = static_cast<std::string*>(data_);
        for (std::size_t k = 0; k < count_; ++k) {
          s[k].~basic_string();
        }
      }
      if (!block_cache().put(data_, rounded_bytes(bytes()))) {
        std::free(data_);
      }
      g_live_bytes.fetch_sub(static_cast<std::int64_t>(bytes()), std::memory_order_relaxed);
      break;
    case Kind::Mapped:
      munmap(map_base_, map_bytes_);
      g_live_bytes.fetch_sub(static_cast<std::int64_t>(bytes()), std::memory_order_relaxed);
      break;
    case Kind::External:
      if (on_release_) {
        on_release_(map_base_);
      }
      break;
  }
  g_live_buffers.fetch_sub(1, std::memory_order_relaxed);
  delete this;
}

void destroy_array(Array* a) {
  a->buffer->release();
  delete a;
  g_live_arrays.fetch_sub(1, std::memory_order_relaxed);
}

Shape shape_of(const Array& a) {
  return a.rank == 2 ? Shape(a.shape[0], a.shape[1]) : Shape(a.shape[0]);
}

std::string shape_text(const Array& a) {
  if (a.rank == 1) {
    return "(" + std::to_string(a.shape[0]) + ",)";
  }
  return "(" + std::to_string(a.shape[0]) + ", " + std::to_string(a.shape[1]) + ")";
}

ArrayRef alloc(Shape shape, Elem elem) { return make_contiguous(shape, elem, false, "alloc"); }
ArrayRef empty(Shape shape, Elem elem) { return make_contiguous(shape, elem, true, "empty"); }
ArrayRef zeros(Shape shape, Elem elem) { return make_contiguous(shape, elem, true, "zeros"); }

ArrayRef full(Shape shape, Value value, Elem elem) {
  ArrayRef a = make_contiguous(shape, elem, false, "full");
  Value v = value.to(elem);
  visit_elem(elem, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    if constexpr (!std::is_same_v<T, std::string>) {
      T x = v.get<T>();
      fill_polled(a->ptr<T>(), a->size(), [x](std::int64_t) { return x; });
    }
  });
  return a;
}

ArrayRef ones(Shape shape, Elem elem) {
  check_size(shape, "ones");
  return full(shape, Value(std::int64_t{1}), elem);
}

ArrayRef arange(std::int64_t start, std::int64_t stop, std::int64_t step, Elem elem) {
  if (step == 0) {
    raise("arange step must not be zero");
  }
  std::int64_t n = 0;
  // Computed in 128 bits: stop - start may overflow i64.
  __int128 span = static_cast<__int128>(stop) - start;
  if ((step > 0 && span > 0) || (step < 0 && span < 0)) {
    __int128 q = (span + step + (step > 0 ? -1 : 1)) / step;
    n = static_cast<std::int64_t>(q);
  }
  ArrayRef a = make_contiguous(Shape(n), elem, false, "arange");
  visit_elem(elem, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    if constexpr (std::is_same_v<T, std::string>) {
      raise("arange cannot make strings");
    } else {
      // Polled as full() fills: arange(10**9) is seconds.
      fill_polled(a->ptr<T>(), n, [&](std::int64_t k) {
        return convert_scalar<T>(wrap_add(start, wrap_mul(k, step)));
      });
    }
  });
  return a;
}

ArrayRef arange_f(double start, double stop, double step, Elem elem) {
  if (step == 0) {
    raise("arange step must not be zero");
  }
  double length = std::ceil((stop - start) / step);
  if (!std::isfinite(length)) {
    raise("arange(" + format_float(start) + ", " + format_float(stop) + ", " + format_float(step) +
          ") has no finite length");
  }
  if (length >= 9.2e18) {
    raise("arange(" + format_float(start) + ", " + format_float(stop) + ", " + format_float(step) +
          ") is too large");
  }
  if (elem != Elem::F64 && elem != Elem::F32) {
    raise("arange with float bounds makes f32 or f64 arrays");
  }
  std::int64_t n = length > 0 ? static_cast<std::int64_t>(length) : 0;
  ArrayRef a = make_contiguous(Shape(n), elem, false, "arange");
  auto fill = [&](auto* p) {
    // numpy's fill, in the element type: the first two elements converted from f64, the rest
    // first + k * (second - first).
    using T = std::remove_pointer_t<decltype(p)>;
    T first = static_cast<T>(start);
    T second = static_cast<T>(start + step);
    T delta = second - first;
    fill_polled(p, n, [&](std::int64_t k) {
      return k == 0 ? first : k == 1 ? second : first + static_cast<T>(k) * delta;
    });
  };
  if (elem == Elem::F64) {
    fill(a->ptr<double>());
  } else {
    fill(a->ptr<float>());
  }
  return a;
}

ArrayRef linspace(double start, double stop, std::int64_t n, Elem elem) {
  if (!is_float(elem)) {
    raise("linspace makes f32 or f64 arrays");
  }
  ArrayRef a = make_contiguous(Shape(n), elem, false, "linspace");
  double step = n > 1 ? (stop - start) / static_cast<double>(n - 1) : 0.0;
  auto point = [&](std::int64_t k) {
    return k == n - 1 && n > 1 ? stop : start + static_cast<double>(k) * step;
  };
  if (elem == Elem::F64) {
    fill_polled(a->ptr<double>(), n, point);
  } else {
    fill_polled(a->ptr<float>(), n, [&](std::int64_t k) { return static_cast<float>(point(k)); });
  }
  return a;
}

ArrayRef copy(const Array& a) {
  ArrayRef out = make_contiguous(shape_of(a), a.elem, false, "copy");
  visit_elem(a.elem, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* o = out->ptr<T>();
    if (a.is_contiguous() && !std::is_same_v<T, std::string>) {
      std::copy_n(a.ptr<T>(), a.size(), o);
      return;
    }
    for (std::int64_t i = 0; i < a.shape[0]; ++i) {
      for (std::int64_t j = 0; j < a.shape[1]; ++j) {
        *o++ = a.at<T>(i, j);
      }
    }
  });
  return out;
}

template <class T>
ArrayRef from_values(std::span<const T> values, Shape shape) {
  check_size(shape, "an array literal");
  if (static_cast<std::int64_t>(values.size()) != shape.size()) {
    raise("an array of " + std::to_string(shape.size()) + " elements given " +
          std::to_string(values.size()) + " values");
  }
  ArrayRef a = make_contiguous(shape, elem_of<T>, false, "an array literal");
  std::copy(values.begin(), values.end(), a->ptr<T>());
  return a;
}

template <class T>
ArrayRef make_matrix(std::initializer_list<std::initializer_list<T>> rows) {
  auto m = static_cast<std::int64_t>(rows.size());
  auto n = m ? static_cast<std::int64_t>(rows.begin()->size()) : 0;
  auto values = std::make_unique<T[]>(static_cast<std::size_t>(m * n));
  std::size_t k = 0;
  for (const auto& r : rows) {
    if (static_cast<std::int64_t>(r.size()) != n) {
      raise("matrix rows differ in length");
    }
    for (const T& v : r) {
      values[k++] = v;
    }
  }
  return from_values<T>(std::span<const T>(values.get(), k), Shape(m, n));
}

template <class T>
std::vector<T> to_vector(const Array& a) {
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(a.size()));
  visit_elem(a.elem, [&](auto* tag) {
    using S = std::remove_pointer_t<decltype(tag)>;
    if constexpr (std::is_same_v<S, std::string> || std::is_same_v<T, std::string>) {
      if constexpr (std::is_same_v<S, T>) {
        for (std::int64_t i = 0; i < a.shape[0]; ++i) {
          for (std::int64_t j = 0; j < a.shape[1]; ++j) {
            out.push_back(a.at<T>(i, j));
          }
        }
      } else {
        raise("to_vector: strings and numbers do not convert");
      }
    } else {
      for (std::int64_t i = 0; i < a.shape[0]; ++i) {
        for (std::int64_t j = 0; j < a.shape[1]; ++j) {
          out.push_back(convert_scalar<T>(a.at<S>(i, j)));
        }
      }
    }
  });
  return out;
}

#define KESTREL_INSTANTIATE(T)                                                       \
  template ArrayRef from_values<T>(std::span<const T>, Shape);                       \
  template ArrayRef make_matrix<T>(std::initializer_list<std::initializer_list<T>>); \
  template std::vector<T> to_vector<T>(const Array&);
KESTREL_INSTANTIATE(bool)
KESTREL_INSTANTIATE(std::int32_t)
KESTREL_INSTANTIATE(std::int64_t)
KESTREL_INSTANTIATE(float)
KESTREL_INSTANTIATE(double)
KESTREL_INSTANTIATE(std::string)
#undef KESTREL_INSTANTIATE

ArrayRef wrap(void* data, Shape shape, Elem elem, void (*on_release)(void*), void* context) {
  check_size(shape, "wrap");
  Buffer* b = Buffer::wrap(data, elem, static_cast<std::size_t>(shape.size()), on_release, context);
  std::int64_t strides[2] = {shape.rank == 2 ? shape.dims[1] : 1, 1};
  return ArrayRef::adopt(new_view(b, data, shape, strides, elem));
}

void raise_index(std::int64_t index, int axis, std::int64_t size) {
  raise(index_message(index, axis, size));
}

ArrayRef slice(const Array& a, std::span<const SliceArg> dims) {
  if (static_cast<int>(dims.size()) != a.rank) {
    raise("a slice of a rank-" + std::to_string(a.rank) + " array needs " + std::to_string(a.rank) +
          " dimensions, got " + std::to_string(dims.size()));
  }
  std::int64_t offset[2] = {0, 0};
  std::int64_t shape[2] = {0, 0};
  std::int64_t strides[2] = {1, 1};
  int rank = 0;
  for (int d = 0; d < a.rank; ++d) {
    const SliceArg& s = dims[static_cast<std::size_t>(d)];
    std::int64_t size = a.shape[d];
    if (!s.is_range) {
      std::int64_t i = wrap_index(s.index, size);
      if (!index_in_bounds(i, size)) {
        raise_index(s.index, d, size);
      }
      offset[d] = i;
      continue;
    }
    if (s.step == 0) {
      raise(slice_step_message());
    }
    std::int64_t first = 0;
    std::int64_t count = 0;
    slice_range(s.lo, s.hi, s.step, size, kOpen, &first, &count);
    offset[d] = count > 0 ? first : 0;  // an empty view points at its base's start
    shape[rank] = count;
    strides[rank] = count > 1 ? a.strides[d] * s.step : a.strides[d];
    ++rank;
  }
  if (rank == 0) {
    raise("a slice needs at least one range");
  }
  a.buffer->retain();
  void* data = element_address(a, offset[0], a.rank == 2 ? offset[1] : 0);
  Shape sh = rank == 2 ? Shape(shape[0], shape[1]) : Shape(shape[0]);
  return ArrayRef::adopt(new_view(a.buffer, data, sh, strides, a.elem));
}

ArrayRef slice(const Array& a, std::int64_t lo, std::int64_t hi, std::int64_t step) {
  SliceArg dims[2] = {SliceArg::range(lo, hi, step), SliceArg::all()};
  return slice(a, std::span<const SliceArg>(dims, a.rank));
}

ArrayRef row(const Array& m, std::int64_t i) {
  SliceArg dims[2] = {SliceArg::at(i), SliceArg::all()};
  return slice(m, std::span<const SliceArg>(dims, 2));
}

ArrayRef column(const Array& m, std::int64_t j) {
  SliceArg dims[2] = {SliceArg::all(), SliceArg::at(j)};
  return slice(m, std::span<const SliceArg>(dims, 2));
}

ArrayRef transpose(const Array& m) {
  m.buffer->retain();
  if (m.rank == 1) {
    return ArrayRef::adopt(new_view(m.buffer, m.data, Shape(m.shape[0]), m.strides, m.elem));
  }
  std::int64_t strides[2] = {m.strides[1], m.strides[0]};
  return ArrayRef::adopt(
      new_view(m.buffer, m.data, Shape(m.shape[1], m.shape[0]), strides, m.elem));
}

Value get_value(const Array& a, std::int64_t i, std::int64_t j) {
  check_index(a, 0, i);
  check_index(a, 1, j);
  return visit_elem(a.elem, [&](auto* tag) -> Value {
    using T = std::remove_pointer_t<decltype(tag)>;
    if constexpr (std::is_same_v<T, std::string>) {
      raise("get_value of a string array");
    } else {
      return Value(a.at<T>(i, j));
    }
  });
}

ArrayRef view_reshaped(const Array& a, Shape shape) {
  if (!a.is_contiguous() || shape.size() != a.size()) {
    raise("internal error: view_reshaped of a strided array or to another size");
  }
  a.buffer->retain();
  std::int64_t strides[2] = {shape.rank == 2 ? shape.dims[1] : 1, 1};
  return ArrayRef::adopt(new_view(a.buffer, a.data, shape, strides, a.elem));
}

}  // namespace kestrel::rt
