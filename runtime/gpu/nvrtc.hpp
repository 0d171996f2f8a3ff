#pragma once
// Compiling generated CUDA C++ with NVRTC, with a disk cache. The source includes the runtime's
// scalar rules and the kernel ABI ("runtime/rules/arith.hpp", "runtime/gpu/kernel_abi.hpp", …);
// NVRTC gets their text from the binary (embedded_headers(), written at build time by
// cmake/EmbedGpuHeaders.cmake), never from a source tree.
#include <span>
#include <string>
#include <vector>

#include "runtime/gpu/cuda_api.hpp"

namespace kestrel::gpu {

/// A header the generated source may include: its include name and its text.
struct EmbeddedHeader {
  const char* name;  // "runtime/rules/arith.hpp"
  const char* text;
};
/// runtime/rules/*.hpp and runtime/gpu/kernel_abi.hpp as they were when the runtime was built.
std::span<const EmbeddedHeader> embedded_headers();
/// A hash of every embedded header's name and text (16 hex digits).
const std::string& embedded_headers_hash();

/// What NVRTC produces: PTX for a virtual architecture (compute_XX; the driver compiles it when
/// the module is loaded) or a cubin for a real one (sm_XX).
enum class Output { Ptx, Cubin };

struct CompileOptions {
  int arch = 90;                   // 90: sm_90 / compute_90
  Output output = Output::Cubin;   //
  std::string cache_dir;           // "" = no cache; else files in <cache_dir>/cuda/
  std::vector<std::string> extra;  // further NVRTC options (part of the cache key)
};

struct Compiled {
  std::string image;  // the PTX (text, without its terminating NUL) or the cubin's bytes
  Output output = Output::Cubin;
  std::string log;          // NVRTC's log (warnings); empty on a cache hit
  bool cache_hit = false;   // read from <cache_dir>/cuda/<key>.ptx|.cubin
  double compile_ms = 0.0;  // NVRTC's time, or the cache read's on a hit
};

/// The options every compile gets: --fmad=false (no contraction: the CPU's bits), the language
/// standard, the architecture. Exposed for tests and the cache key.
std::vector<std::string> nvrtc_options(const CompileOptions& options);

/// Compiles `source` (or reads it from the cache). Throws GpuError carrying NVRTC's log when the
/// source does not compile, and when NVRTC is absent (gpu_unavailable_reason's text).
Compiled compile_cuda(const std::string& source, const CompileOptions& options);

/// NVRTC's version as major * 10 + minor (13.0 -> 130); throws GpuError without NVRTC.
int nvrtc_version();
/// The real architectures this NVRTC can emit a cubin for (75, 80, 86, 89, 90, …).
std::vector<int> nvrtc_supported_archs();

/// What to compile for a device of compute capability `device_arch` (90) with an NVRTC that can
/// emit cubins for `supported` (nvrtc_supported_archs(); empty: unknown, assumed to include it):
/// a cubin for the device's own architecture when NVRTC knows it, else PTX for the newest
/// architecture it knows below the device's, which the driver compiles when loading. Throws
/// GpuError when NVRTC knows none at or below it.
CompileOptions target_for_device(int device_arch, const std::vector<int>& supported);

/// A 64-bit FNV-1a hash of `fields`, each length-prefixed, as 16 hex digits; two hashes with
/// different seeds are concatenated for cache keys (32 hex digits).
std::string hash_fields(std::span<const std::string> fields);

/// Writes `bytes` to `path` atomically (a temporary file in the same directory, then rename),
/// creating the directory. Throws GpuError on failure.
void write_file_atomic(const std::string& path, const std::string& bytes);
/// Reads a whole file; false when it cannot be opened.
bool read_file(const std::string& path, std::string* bytes);

}  // namespace kestrel::gpu
