#include "runtime/error.hpp"

namespace kestrel::rt {

void raise(const std::string& message) { throw RuntimeError(message); }

}  // namespace kestrel::rt
