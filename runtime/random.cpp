#include "runtime/random.hpp"

#include "runtime/parallel.hpp"
#include "runtime/rules/philox.hpp"

namespace kestrel::rt {

namespace {

// Element k of the array is draw(key, k): any chunking gives the same bits, so a large array is
// filled on every core, and in pieces that an interrupt or the time limit stops between.
template <class Draw>
ArrayRef draw_array(Shape shape, std::int64_t key, const char* what, Draw draw) {
  check_size(shape, what);
  ArrayRef a = alloc(shape, Elem::F64);
  double* p = a->ptr<double>();
  parallel_elementwise(a->size(), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t k = lo; k < hi; ++k) {
      p[k] = draw(key, k);
    }
  });
  return a;
}

}  // namespace

ArrayRef rand_array(Shape shape, std::int64_t key) {
  return draw_array(shape, key, "rand",
                    [](std::int64_t k, std::int64_t c) { return random(k, c); });
}

ArrayRef randn_array(Shape shape, std::int64_t key) {
  return draw_array(shape, key, "randn",
                    [](std::int64_t k, std::int64_t c) { return randn(k, c); });
}

}  // namespace kestrel::rt
