#pragma once
// A device that runs generated region kernels: the CUDA driver's device 0 (device.cpp), or the
// emulated device (emulate.cpp, KESTREL_GPU_DEVICE=emulate), where "device memory" is host memory
// and the module is the same generated source compiled by the host compiler, so that every part
// of the launch path but the driver calls runs without a GPU.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/gpu/cuda_api.hpp"

namespace kestrel::gpu {

/// A device address (the emulated device's are host addresses).
using DevPtr = std::uint64_t;

/// A compiled module, ready for Device::load.
struct ModuleImage {
  std::string bytes;        // the driver: a cubin or PTX; emulated: the path of a shared object
  bool cubin = false;       // the driver: bytes is a cubin (else PTX)
  bool temporary = false;   // emulated: the shared object is removed once loaded
  double compile_ms = 0.0;  // the compile's time, or the cache read's
  bool cache_hit = false;
  std::string log;  // the compiler's warnings
};

class Device {
 public:
  virtual ~Device() = default;
  Device() = default;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  /// "NVIDIA H100 80GB HBM3 (sm_90)", "emulated device (c++)".
  virtual std::string name() const = 0;
  /// The compute capability as major * 10 + minor (90); 0 for the emulated device.
  virtual int arch() const = 0;
  /// Streaming multiprocessors (sizes the grid); 1 for the emulated device.
  virtual int multiprocessors() const = 0;
  virtual bool emulated() const = 0;

  /// Plain device memory (cuMemAlloc, not managed memory); bytes > 0.
  virtual DevPtr alloc(std::size_t bytes) = 0;
  virtual void free(DevPtr p) = 0;
  virtual void to_device(DevPtr dst, const void* src, std::size_t bytes) = 0;
  virtual void to_host(void* dst, DevPtr src, std::size_t bytes) = 0;

  /// Compiles generated source for this device (cached in <cache_dir>/cuda/ when cache_dir is
  /// not empty). Throws GpuError with the compiler's log.
  virtual ModuleImage build(const std::string& source, const std::string& cache_dir) = 0;
  /// Loads a built module; returns its handle.
  virtual void* load(const ModuleImage& image) = 0;
  virtual void unload(void* module) = 0;
  /// Launches region kernel `kernel` of `module`: kernel_abi.hpp's (Params<N> by value = the
  /// `params_bytes` bytes at `params`, Status*, u64* partials, i64 count) on grid x block
  /// threads; emulated, one call of `<kernel>__emu` on this thread.
  virtual void launch(void* module, const std::string& kernel, const void* params,
                      std::size_t params_bytes, DevPtr status, DevPtr partials, std::int64_t count,
                      unsigned grid, unsigned block) = 0;
  /// Waits for the launched work; throws GpuError with a kernel's fault (illegal address, …).
  virtual void synchronize() = 0;
};

/// The device to use now: the emulated one when KESTREL_GPU_DEVICE=emulate, else the driver's
/// device 0. One instance of each per process, made on first use. Throws GpuError with
/// gpu_unavailable_reason()'s line when it cannot be used.
std::shared_ptr<Device> default_device();

/// The driver's device 0 (throws GpuError without a driver or device).
std::shared_ptr<Device> make_driver_device();
/// The emulated device (throws GpuError without a host compiler).
std::shared_ptr<Device> make_emulated_device();

}  // namespace kestrel::gpu
