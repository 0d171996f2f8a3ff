// ArrayRef: the counted reference every backend hands across the C++ boundary.
#include "codegen/common/backend.hpp"

#include <utility>

#include "runtime/array.hpp"

namespace kestrel::codegen {

// ---- ArrayRef ----------------------------------------------------------------------------------

ArrayRef::ArrayRef(const ArrayRef& other) : handle_(other.handle_) {
  if (handle_ != nullptr) {
    rt::retain(static_cast<rt::Array*>(handle_));
  }
}
ArrayRef& ArrayRef::operator=(const ArrayRef& other) {
  ArrayRef copy(other);
  std::swap(handle_, copy.handle_);
  return *this;
}
ArrayRef& ArrayRef::operator=(ArrayRef&& other) noexcept {
  std::swap(handle_, other.handle_);
  return *this;
}
ArrayRef::~ArrayRef() {
  if (handle_ != nullptr) {
    rt::release(static_cast<rt::Array*>(handle_));
  }
}

}  // namespace kestrel::codegen
