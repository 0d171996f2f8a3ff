// ArrayRef, the counted reference every backend hands across the C++ boundary, and the
// Backend interface's defaults.
#include "codegen/common/backend.hpp"

#include <stdexcept>
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

// ---- Backend ----------------------------------------------------------------------------------

std::string Backend::emit_llvm() {
  throw std::logic_error(
      "LLVM IR exists only in JIT mode (this program was compiled for the interpreter)");
}
std::string Backend::emit_llvm_function(ir::FnId) { return emit_llvm(); }

void Backend::call_words(ir::FnId, std::span<const std::int64_t>, std::int64_t*,
                         const RunOptions&) {
  throw std::logic_error("this backend has no call with words (call_words)");
}

std::string Backend::emit_bytecode(ir::FnId) {
  throw std::logic_error(
      "bytecode exists only in interpreter mode (this program was compiled for the JIT)");
}

}  // namespace kestrel::codegen
