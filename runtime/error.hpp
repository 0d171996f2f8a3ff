#pragma once
// Runtime errors: what the runtime raises when a running program does something the language
// forbids (an index out of bounds, a shape mismatch, integer division by zero, a bad file).
// The runtime knows no source locations; the backend that called it catches the error and
// attaches the site id of the operation (a uint32_t it maps to file:line:col).
#include <cstdint>
#include <stdexcept>
#include <string>

#include "runtime/rules/messages.hpp"

namespace kestrel::rt {

/// A site id that no backend has attached yet.
inline constexpr std::uint32_t kNoSite = ~std::uint32_t{0};

/// A runtime error: `what()` is the message alone ("integer division by zero"), its control
/// bytes escaped (printable: a quoted field may hold a NUL); `site` is the backend's
/// source-location id, kNoSite until the backend sets it.
struct RuntimeError : std::runtime_error {
  explicit RuntimeError(const std::string& message, std::uint32_t site_id = kNoSite)
      : std::runtime_error(printable(message, true)), site(site_id) {}
  std::uint32_t site;
};

/// Throws RuntimeError(message). Out of line so callers' hot paths stay small.
[[noreturn]] void raise(const std::string& message);

/// One of our own invariants broke (a bug in Kestrel, not the user's program): `what()` says
/// which and where. Every backend lets it through; the engine catches it once, at the API
/// boundary, and throws kestrel::Error "internal error: ..." instead, so no input ends the
/// process.
struct InternalError : std::logic_error {
  explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

/// Throws InternalError("<message> (file:line)").
[[noreturn]] void internal_error(const char* file, int line, const std::string& message);

}  // namespace kestrel::rt

/// Checks an invariant of ours: when `cond` is false, throws rt::InternalError naming it and
/// where (the engine turns that into a kestrel::Error "internal error"; never an abort).
#define KESTREL_ASSERT(cond, message)                                                         \
  do {                                                                                        \
    if (!(cond)) [[unlikely]] {                                                               \
      ::kestrel::rt::internal_error(__FILE__, __LINE__, std::string(#cond ": ") + (message)); \
    }                                                                                         \
  } while (0)
