#pragma once
// What every file of the runtime's C ABI (abi.cpp, abi_stream.cpp, abi_mpi.cpp) does around an
// entry: run it, turning any exception into the context's failure at the call's site, and move
// scalars across as 8-byte bit patterns. Internal to runtime/.
#include <cstdint>
#include <cstring>
#include <exception>

#include "runtime/abi.hpp"
#include "runtime/array.hpp"
#include "runtime/error.hpp"
#include "runtime/limits.hpp"

namespace kestrel::rt::abi {

/// Runs `f`, recording any exception at `site` (a RuntimeError as the program's error, anything
/// else as an internal one); returns f's value or `fallback`. No interrupt poll: a collective
/// must not be skipped by one rank alone.
template <class T, class F>
T guarded_call(KestrelContext* ctx, std::uint32_t site, T fallback, F&& f) {
  try {
    return f();
  } catch (const RuntimeError& e) {
    record_failure(ctx, site, e.what(), false);
  } catch (const std::exception& e) {
    record_failure(ctx, site, e.what(), true);
  } catch (...) {
    record_failure(ctx, site, "unknown error", true);
  }
  return fallback;
}

/// guarded_call after polling for an interrupt or a time limit: array operations stop a loop
/// whose back-edges are too few to poll often.
template <class T, class F>
T guarded(KestrelContext* ctx, std::uint32_t site, T fallback, F&& f) {
  return guarded_call<T>(ctx, site, fallback, [&] {
    poll();
    return f();
  });
}

/// The scalar of element type `elem` whose bits (low bytes first, as the JIT passes them) are
/// `bits`.
inline Value value_of(std::uint32_t elem, std::int64_t bits) {
  switch (static_cast<Elem>(elem)) {
    case Elem::Bool:
      return Value(bits != 0);
    case Elem::I32:
      return Value(static_cast<std::int32_t>(bits));
    case Elem::I64:
      return Value(bits);
    case Elem::F32: {
      auto u = static_cast<std::uint32_t>(bits);
      float f;
      std::memcpy(&f, &u, 4);
      return Value(f);
    }
    default: {
      double d;
      std::memcpy(&d, &bits, 8);
      return Value(d);
    }
  }
}

/// The bits of `v` converted to element type `elem`, as value_of reads them.
inline std::int64_t bits_of(const Value& v, std::uint32_t elem) {
  Value c = v.elem == static_cast<Elem>(elem) ? v : v.to(static_cast<Elem>(elem));
  switch (c.elem) {
    case Elem::Bool:
      return c.b ? 1 : 0;
    case Elem::I32:
      return c.i32;
    case Elem::I64:
      return c.i64;
    case Elem::F32: {
      std::uint32_t u;
      std::memcpy(&u, &c.f32, 4);
      return u;
    }
    default: {
      std::int64_t b;
      std::memcpy(&b, &c.f64, 8);
      return b;
    }
  }
}

}  // namespace kestrel::rt::abi
