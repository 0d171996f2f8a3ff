#include "runtime/random.hpp"

#include "runtime/rules/philox.hpp"

namespace kestrel::rt {

ArrayRef rand_array(Shape shape, std::int64_t key) {
  check_size(shape, "rand");
  ArrayRef a = alloc(shape, Elem::F64);
  double* p = a->ptr<double>();
  for (std::int64_t k = 0; k < a->size(); ++k) {
    p[k] = random(key, k);
  }
  return a;
}

ArrayRef randn_array(Shape shape, std::int64_t key) {
  check_size(shape, "randn");
  ArrayRef a = alloc(shape, Elem::F64);
  double* p = a->ptr<double>();
  for (std::int64_t k = 0; k < a->size(); ++k) {
    p[k] = randn(key, k);
  }
  return a;
}

}  // namespace kestrel::rt
