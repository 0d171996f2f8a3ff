// The collectives' entries in the runtime's C ABI (runtime/abi_list.hpp): errors are recorded in
// the context at the site, as abi.cpp's are.
#include <cstring>
#include <string>

#include "runtime/abi.hpp"
#include "runtime/error.hpp"
#include "runtime/mpi.hpp"

namespace rt = kestrel::rt;

namespace {

template <class T, class F>
T guarded_mpi(KestrelContext* ctx, std::uint32_t site, T fallback, F&& f) {
  try {
    return f();
  } catch (const rt::RuntimeError& e) {
    rt::record_failure(ctx, site, e.what(), false);
  } catch (const std::exception& e) {
    rt::record_failure(ctx, site, e.what(), true);
  } catch (...) {
    rt::record_failure(ctx, site, "unknown error", true);
  }
  return fallback;
}

rt::Value from_bits(std::int64_t bits, std::uint32_t elem) {
  switch (static_cast<rt::Elem>(elem)) {
    case rt::Elem::Bool:
      return rt::Value(bits != 0);
    case rt::Elem::I32:
      return rt::Value(static_cast<std::int32_t>(bits));
    case rt::Elem::I64:
      return rt::Value(bits);
    case rt::Elem::F32: {
      auto u = static_cast<std::uint32_t>(bits);
      float f;
      std::memcpy(&f, &u, 4);
      return rt::Value(f);
    }
    default: {
      double d;
      std::memcpy(&d, &bits, 8);
      return rt::Value(d);
    }
  }
}

std::int64_t to_bits(const rt::Value& v) {
  switch (v.elem) {
    case rt::Elem::Bool:
      return v.b ? 1 : 0;
    case rt::Elem::I32:
      return v.i32;
    case rt::Elem::I64:
      return v.i64;
    case rt::Elem::F32: {
      std::uint32_t u;
      std::memcpy(&u, &v.f32, 4);
      return u;
    }
    default: {
      std::int64_t b;
      std::memcpy(&b, &v.f64, 8);
      return b;
    }
  }
}

}  // namespace

extern "C" {

std::int64_t kestrel_rt_mpi_rank(KestrelContext* ctx, std::uint32_t site, std::int32_t which) {
  return guarded_mpi<std::int64_t>(ctx, site, 0,
                                   [&] { return which == 0 ? rt::mpi_rank() : rt::mpi_ranks(); });
}

std::int64_t kestrel_rt_mpi_scalar(KestrelContext* ctx, std::uint32_t site, std::int64_t fn,
                                   std::int64_t bits, std::uint32_t elem, std::int64_t root) {
  return guarded_mpi<std::int64_t>(ctx, site, 0, [&] {
    return to_bits(rt::mpi_scalar(static_cast<rt::MpiFn>(fn), from_bits(bits, elem), root));
  });
}

rt::Array* kestrel_rt_mpi_array(KestrelContext* ctx, std::uint32_t site, std::int64_t fn,
                                const rt::Array* a, std::int64_t bits, std::uint32_t elem,
                                std::int64_t root) {
  return guarded_mpi<rt::Array*>(ctx, site, nullptr, [&] {
    if (a == nullptr) {
      return rt::mpi_gather_scalar(from_bits(bits, elem)).detach();
    }
    return rt::mpi_array(static_cast<rt::MpiFn>(fn), *a, root).detach();
  });
}

}  // extern "C"
