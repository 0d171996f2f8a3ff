#include "runtime/error.hpp"

namespace kestrel::rt {

void raise(const std::string& message) { throw RuntimeError(message); }

void internal_error(const char* file, int line, const std::string& message) {
  std::string where = file;
  // The path from the source root, not the build machine's.
  for (const char* root : {"/runtime/", "/codegen/", "/dsl/", "/parser/", "/tests/"}) {
    std::size_t at = where.rfind(root);
    if (at != std::string::npos) {
      where = where.substr(at + 1);
      break;
    }
  }
  throw InternalError(message + " (" + where + ":" + std::to_string(line) + ")");
}

}  // namespace kestrel::rt
