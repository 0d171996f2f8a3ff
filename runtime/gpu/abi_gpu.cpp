// The GPU's entries in the runtime's C ABI (runtime/abi_list.hpp): generated code calls them with
// the run's context; the program is the one the JIT put in ctx->host->gpu.
#include <exception>

#include "runtime/abi.hpp"
#include "runtime/error.hpp"
#include "runtime/gpu/program.hpp"

namespace rt = kestrel::rt;

namespace {

kestrel::gpu::Program* program_of(KestrelContext* ctx) {
  return ctx->host != nullptr ? static_cast<kestrel::gpu::Program*>(ctx->host->gpu) : nullptr;
}

}  // namespace

extern "C" {

void kestrel_rt_gpu_run(KestrelContext* ctx, std::uint32_t region, std::uint64_t* slots,
                        const std::uint32_t* site_map) {
  kestrel::gpu::Program* p = program_of(ctx);
  if (p == nullptr) {
    rt::record_failure(ctx, rt::kNoSite, "a GPU region ran without a GPU program", true);
    return;
  }
  p->run(ctx, region, slots, site_map);  // records its own failures
}

void kestrel_rt_gpu_sync(KestrelContext* ctx) {
  kestrel::gpu::Program* p = program_of(ctx);
  if (p == nullptr) {
    return;
  }
  try {
    p->sync();
  } catch (const std::exception& e) {
    rt::record_failure(ctx, rt::kNoSite, e.what(), true);
  }
}

}  // extern "C"
