// The collectives' entries in the runtime's C ABI (runtime/abi_list.hpp): errors are recorded in
// the context at the site, as abi.cpp's are (runtime/abi_guard.hpp), but with no interrupt poll
// before a collective: one rank alone must not skip it.
#include <string>

#include "runtime/abi.hpp"
#include "runtime/abi_guard.hpp"
#include "runtime/error.hpp"
#include "runtime/mpi.hpp"

namespace rt = kestrel::rt;
using rt::abi::guarded_call;

extern "C" {

std::int64_t kestrel_rt_mpi_rank(KestrelContext* ctx, std::uint32_t site, std::int32_t which) {
  return guarded_call<std::int64_t>(ctx, site, 0,
                                    [&] { return which == 0 ? rt::mpi_rank() : rt::mpi_ranks(); });
}

std::int64_t kestrel_rt_mpi_scalar(KestrelContext* ctx, std::uint32_t site, std::int64_t fn,
                                   std::int64_t bits, std::uint32_t elem, std::int64_t root) {
  return guarded_call<std::int64_t>(ctx, site, 0, [&] {
    rt::Value r = rt::mpi_scalar(static_cast<rt::MpiFn>(fn), rt::abi::value_of(elem, bits), root);
    return rt::abi::bits_of(r, static_cast<std::uint32_t>(r.elem));
  });
}

rt::Array* kestrel_rt_mpi_array(KestrelContext* ctx, std::uint32_t site, std::int64_t fn,
                                const rt::Array* a, std::int64_t bits, std::uint32_t elem,
                                std::int64_t root) {
  return guarded_call<rt::Array*>(ctx, site, nullptr, [&] {
    if (a == nullptr) {
      return rt::mpi_gather_scalar(rt::abi::value_of(elem, bits)).detach();
    }
    return rt::mpi_array(static_cast<rt::MpiFn>(fn), *a, root).detach();
  });
}

}  // extern "C"
