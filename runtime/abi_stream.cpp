// The streams' entries in the runtime's C ABI (runtime/abi_list.hpp): errors are recorded in the
// context at the site, as abi.cpp's are.
#include <string>

#include "runtime/abi.hpp"
#include "runtime/abi_guard.hpp"
#include "runtime/error.hpp"
#include "runtime/limits.hpp"
#include "runtime/npy_writer.hpp"
#include "runtime/stream.hpp"

namespace rt = kestrel::rt;

using rt::abi::guarded;

extern "C" {

std::int64_t kestrel_rt_npy_stream_open(KestrelContext* ctx, std::uint32_t site,
                                        const std::string* path, std::int64_t rows,
                                        std::int64_t elem, std::int64_t rank) {
  return guarded<std::int64_t>(ctx, site, 0, [&] {
    return rt::npy_stream_open(*path, static_cast<rt::Elem>(elem), static_cast<int>(rank), rows);
  });
}

std::int64_t kestrel_rt_csv_stream_open(KestrelContext* ctx, std::uint32_t site,
                                        const std::string* path, std::int64_t rows,
                                        std::int64_t part, std::int64_t parts) {
  return guarded<std::int64_t>(ctx, site, 0,
                               [&] { return rt::csv_stream_open(*path, rows, part, parts); });
}

std::int32_t kestrel_rt_stream_next(KestrelContext* ctx, std::uint32_t site, std::int64_t handle) {
  return guarded<std::int32_t>(ctx, site, 0, [&] { return rt::stream_next(handle) ? 1 : 0; });
}

rt::Array* kestrel_rt_stream_array(KestrelContext* ctx, std::uint32_t site, std::int64_t handle) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] { return rt::stream_array(handle).detach(); });
}

rt::Table* kestrel_rt_stream_table(KestrelContext* ctx, std::uint32_t site, std::int64_t handle) {
  return guarded<rt::Table*>(ctx, site, nullptr, [&] { return rt::stream_table(handle).detach(); });
}

void kestrel_rt_stream_close(KestrelContext* ctx, std::uint32_t site, std::int64_t handle) {
  guarded<int>(ctx, site, 0, [&] {
    rt::stream_close(handle);
    return 0;
  });
}

void kestrel_rt_npy_append(KestrelContext* ctx, std::uint32_t site, const std::string* path,
                           const rt::Array* a) {
  guarded<int>(ctx, site, 0, [&] {
    rt::npy_append(*path, *a);
    return 0;
  });
}

void kestrel_rt_npy_finish(KestrelContext* ctx, std::uint32_t site, const std::string* path) {
  guarded<int>(ctx, site, 0, [&] {
    rt::npy_finish(*path);
    return 0;
  });
}

}  // extern "C"
