#pragma once
// A compiled GPU program and its regions: what the JIT holds (rt::AbiHost::gpu) while generated
// code runs, and what kestrel_rt_gpu_run / kestrel_rt_gpu_sync (runtime/gpu/abi_gpu.cpp) call.
//
// A region is one `parallel for` or kernel launch that runs on the device: kernel_abi.hpp's
// kernel over `count` instances. Arrays are mirrored per rt::Buffer: the first use in a GPU run
// allocates device memory for the whole buffer and copies it to the device; later uses reuse it
// without a copy; a parameter the region writes marks the mirror dirty. sync() copies dirty
// buffers back and forgets every mirror; the JIT calls it when a run of GPU statements ends (the
// host may then read or write the arrays), and the program syncs itself when a region fails and
// when it is destroyed. The device memory of the mirrors a sync forgets is kept for the next GPU
// run's mirrors of about the same sizes (a program that alternates host and GPU statements
// allocates once); what that run does not reuse is freed at its own sync, and all of it when an
// allocation fails and in ~Program.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/array.hpp"
#include "runtime/gpu/device.hpp"
#include "runtime/rules/combine.hpp"

struct KestrelContext;

namespace kestrel::gpu {

/// One kernel parameter: a scalar (its bits in the slot) or an array (an rt::Array* in the slot).
struct ParamDesc {
  enum Kind : std::uint8_t { Scalar, Array } kind = Scalar;
  rt::Elem elem = rt::Elem::F64;
  std::uint8_t rank = 1;
  bool written = false;  // the region may store into the array
};

/// One scalar reduction of a `parallel for` region.
struct ReductionDesc {
  rt::CombineOp op = rt::CombineOp::Add;
  rt::Elem elem = rt::Elem::F64;  // I32, I64, F32 or F64
};

struct RegionDesc {
  std::string kernel;  // the __global__ function's name (extern "C")
  std::vector<ParamDesc> params;
  std::vector<ReductionDesc> reductions;
};

struct ProgramDesc {
  std::string source;  // CUDA C++ (codegen/cuda)
  std::vector<RegionDesc> regions;
};

/// Threads per block of every launch.
inline constexpr unsigned kBlockThreads = 256;
/// Blocks per multiprocessor at most (kernels are grid-stride loops: any grid is correct).
inline constexpr unsigned kBlocksPerSm = 8;

class Program {
 public:
  /// Compiles `desc.source` for `device` (default_device() when null: a cubin for its
  /// architecture, or a host shared object when emulated; cached in <cache_dir>/cuda/ unless
  /// cache_dir is empty) and loads it. Throws GpuError (the reason there is no usable device, or
  /// the compiler's log).
  static std::shared_ptr<Program> load(ProgramDesc desc, const std::string& cache_dir,
                                       std::shared_ptr<Device> device = nullptr);
  ~Program();
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  std::string device_name() const { return device_->name(); }
  double compile_ms() const { return compile_ms_; }
  bool cache_hit() const { return cache_hit_; }
  const std::string& source() const { return desc_.source; }
  const ProgramDesc& desc() const { return desc_; }
  Device& device() const { return *device_; }

  /// Runs region `region` (any host thread; runs are serialized). slots[0..N) are its N params (a
  /// scalar's bits, kernel_abi.hpp's to_bits; an array as its rt::Array*), slots[N] the count n
  /// (>= 0), slots[N+1 .. N+1+R) the R reductions' values in bits (in: before the loop, out:
  /// after). A fault inside the kernel is recorded in ctx as the CPU's error at
  /// site_map[status.site] (kernel_abi.hpp's site ids to the backend's), any other failure as an
  /// internal error at kNoSite; the mirrors are synced then, and ctx->failed is set.
  void run(KestrelContext* ctx, std::uint32_t region, std::uint64_t* slots,
           const std::uint32_t* site_map);

  /// Copies every device-dirty buffer back to the host and forgets all mirrors (their device
  /// memory goes to the pool). Throws GpuError when a copy fails (the mirrors are forgotten
  /// anyway).
  void sync();

  /// Buffers mirrored now, how many host-to-device copies of buffers and how many device
  /// allocations for them were made since load (for tests of residency and pooling).
  std::size_t mirrored() const;
  std::uint64_t uploads() const;
  std::uint64_t allocations() const;

 private:
  Program(ProgramDesc desc, std::shared_ptr<Device> device);

  struct Mirror {
    DevPtr dev = 0;
    std::size_t bytes = 0;     // the buffer's
    std::size_t capacity = 0;  // the device block's (>= bytes)
    bool dirty = false;
  };
  /// The device address of `a`'s element (0, 0), mirroring its buffer on first use.
  DevPtr mirror(const rt::Array& a, bool written);
  void sync_locked();
  void ensure_partials(std::size_t bytes);
  /// A device block of at least `bytes` from the pool, else a new one; *capacity gets its size.
  DevPtr pool_alloc(std::size_t bytes, std::size_t* capacity);
  void free_pool();

  ProgramDesc desc_;
  std::shared_ptr<Device> device_;
  void* module_ = nullptr;
  double compile_ms_ = 0.0;
  bool cache_hit_ = false;
  DevPtr status_ = 0;
  DevPtr partials_ = 0;
  std::size_t partials_bytes_ = 0;
  mutable std::mutex mutex_;
  std::unordered_map<rt::Buffer*, Mirror> mirrors_;  // each buffer retained while mirrored
  std::multimap<std::size_t, DevPtr> pool_;          // free device blocks by size
  std::uint64_t uploads_ = 0;
  std::uint64_t allocations_ = 0;
};

}  // namespace kestrel::gpu
