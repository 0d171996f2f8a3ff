// The CUDA driver's device 0 (written against cuda.h's documented API; it cannot run on a machine
// without a driver, where default_device() reports why instead), and default_device().
#include "runtime/gpu/device.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include "runtime/gpu/nvrtc.hpp"

namespace kestrel::gpu {
namespace {

class DriverDevice final : public Device {
 public:
  explicit DriverDevice(const DriverApi& api) : api_(api) {
    check_cuda(api_, api_.cuDeviceGet(&device_, 0), "cuDeviceGet");
    char name[256] = {};
    check_cuda(api_, api_.cuDeviceGetName(name, sizeof name - 1, device_), "cuDeviceGetName");
    int major = 0;
    int minor = 0;
    check_cuda(api_, api_.cuDeviceGetAttribute(&major, kAttrCcMajor, device_),
               "cuDeviceGetAttribute(compute capability major)");
    check_cuda(api_, api_.cuDeviceGetAttribute(&minor, kAttrCcMinor, device_),
               "cuDeviceGetAttribute(compute capability minor)");
    check_cuda(api_, api_.cuDeviceGetAttribute(&sms_, kAttrMultiprocessorCount, device_),
               "cuDeviceGetAttribute(multiprocessor count)");
    arch_ = major * 10 + minor;
    name_ = std::string(name) + " (sm_" + std::to_string(arch_) + ")";
    // The primary context, shared with any other user of the driver in the process; retained
    // for the life of the process (released never: other statics may still use it at exit).
    check_cuda(api_, api_.cuDevicePrimaryCtxRetain(&context_, device_), "cuDevicePrimaryCtxRetain");
  }

  std::string name() const override { return name_; }
  int arch() const override { return arch_; }
  int multiprocessors() const override { return std::max(sms_, 1); }
  bool emulated() const override { return false; }

  DevPtr alloc(std::size_t bytes) override {
    current();
    CUdeviceptr p = 0;
    check_cuda(api_, api_.cuMemAlloc(&p, bytes), "cuMemAlloc");
    return p;
  }
  void free(DevPtr p) override {
    current();
    check_cuda(api_, api_.cuMemFree(p), "cuMemFree");
  }
  void to_device(DevPtr dst, const void* src, std::size_t bytes) override {
    current();
    check_cuda(api_, api_.cuMemcpyHtoD(dst, src, bytes), "cuMemcpyHtoD");
  }
  void to_host(void* dst, DevPtr src, std::size_t bytes) override {
    current();
    check_cuda(api_, api_.cuMemcpyDtoH(dst, src, bytes), "cuMemcpyDtoH");
  }

  ModuleImage build(const std::string& source, const std::string& cache_dir) override {
    // A cubin for the device's own architecture when this NVRTC knows it; else PTX for the
    // newest architecture it knows below it, which the driver compiles when loading.
    CompileOptions options = target_for_device(arch_, nvrtc_supported_archs());
    options.cache_dir = cache_dir;
    Compiled c = compile_cuda(source, options);
    ModuleImage image;
    image.cubin = c.output == Output::Cubin;
    image.bytes = std::move(c.image);
    image.compile_ms = c.compile_ms;
    image.cache_hit = c.cache_hit;
    image.log = std::move(c.log);
    return image;
  }

  void* load(const ModuleImage& image) override {
    current();
    CUmodule module = nullptr;
    // PTX must end in a NUL: std::string's data() does.
    check_cuda(api_, api_.cuModuleLoadData(&module, image.bytes.c_str()), "cuModuleLoadData");
    return module;
  }
  void unload(void* module) override {
    current();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::erase_if(functions_, [module](const auto& kv) { return kv.first.first == module; });
    }
    check_cuda(api_, api_.cuModuleUnload(static_cast<CUmodule>(module)), "cuModuleUnload");
  }

  void launch(void* module, const std::string& kernel, const void* params, std::size_t,
              DevPtr status, DevPtr partials, std::int64_t count, unsigned grid,
              unsigned block) override {
    current();
    CUfunction fn = function(module, kernel);
    // kernelParams: one pointer per parameter, to its value. The Params<N> struct is passed by
    // value, so its pointer is the address of its bytes.
    CUdeviceptr st = status;
    CUdeviceptr parts = partials;
    long long n = count;
    void* args[4] = {const_cast<void*>(params), &st, &parts, &n};
    check_cuda(api_, api_.cuLaunchKernel(fn, grid, 1, 1, block, 1, 1, 0, nullptr, args, nullptr),
               ("cuLaunchKernel(" + kernel + ")").c_str());
  }

  void synchronize() override {
    current();
    check_cuda(api_, api_.cuCtxSynchronize(), "cuCtxSynchronize");
  }

 private:
  // The primary context is made current on the calling thread before each use (run and sync
  // may come from any host thread).
  void current() { check_cuda(api_, api_.cuCtxSetCurrent(context_), "cuCtxSetCurrent"); }

  CUfunction function(void* module, const std::string& kernel) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto key = std::make_pair(module, kernel);
    auto it = functions_.find(key);
    if (it != functions_.end()) {
      return it->second;
    }
    CUfunction fn = nullptr;
    check_cuda(api_, api_.cuModuleGetFunction(&fn, static_cast<CUmodule>(module), kernel.c_str()),
               ("cuModuleGetFunction(" + kernel + ")").c_str());
    functions_.emplace(key, fn);
    return fn;
  }

  const DriverApi& api_;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  std::string name_;
  int arch_ = 0;
  int sms_ = 1;
  std::mutex mutex_;
  std::map<std::pair<void*, std::string>, CUfunction> functions_;
};

}  // namespace

std::shared_ptr<Device> make_driver_device() {
  std::string why;
  const DriverApi* api = driver_api(&why);
  if (api == nullptr) {
    throw GpuError(why);
  }
  if (nvrtc_api(&why) == nullptr) {
    throw GpuError(why);
  }
  return std::make_shared<DriverDevice>(*api);
}

std::shared_ptr<Device> default_device() {
  static std::mutex mutex;
  static std::shared_ptr<Device> driver;
  static std::shared_ptr<Device> emulated;
  std::lock_guard<std::mutex> lock(mutex);
  std::shared_ptr<Device>& slot = emulation_requested() ? emulated : driver;
  if (!slot) {
    std::string why = gpu_unavailable_reason();
    if (!why.empty()) {
      throw GpuError(why);
    }
    slot = emulation_requested() ? make_emulated_device() : make_driver_device();
  }
  return slot;
}

}  // namespace kestrel::gpu
