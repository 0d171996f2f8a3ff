#include "runtime/gpu/cuda_api.hpp"

#include <dlfcn.h>
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace kestrel::gpu {
namespace {

template <class F>
bool bind(void* lib, F& fn, const char* symbol) {
  fn = reinterpret_cast<F>(dlsym(lib, symbol));
  return fn != nullptr;
}

struct DriverState {
  DriverApi api{};
  bool usable = false;
  std::string why;
};

DriverState load_driver() {
  DriverState s;
  void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    s.why = "no CUDA driver (libcuda.so.1 not found)";
    return s;
  }
  DriverApi& a = s.api;
  bool ok = bind(lib, a.cuInit, "cuInit") && bind(lib, a.cuDeviceGetCount, "cuDeviceGetCount") &&
            bind(lib, a.cuDeviceGet, "cuDeviceGet") &&
            bind(lib, a.cuDeviceGetName, "cuDeviceGetName") &&
            bind(lib, a.cuDeviceGetAttribute, "cuDeviceGetAttribute") &&
            bind(lib, a.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain") &&
            bind(lib, a.cuCtxSetCurrent, "cuCtxSetCurrent") &&
            bind(lib, a.cuCtxSynchronize, "cuCtxSynchronize") &&
            bind(lib, a.cuMemAlloc, "cuMemAlloc_v2") && bind(lib, a.cuMemFree, "cuMemFree_v2") &&
            bind(lib, a.cuMemcpyHtoD, "cuMemcpyHtoD_v2") &&
            bind(lib, a.cuMemcpyDtoH, "cuMemcpyDtoH_v2") &&
            bind(lib, a.cuModuleLoadData, "cuModuleLoadData") &&
            bind(lib, a.cuModuleUnload, "cuModuleUnload") &&
            bind(lib, a.cuModuleGetFunction, "cuModuleGetFunction") &&
            bind(lib, a.cuLaunchKernel, "cuLaunchKernel") &&
            bind(lib, a.cuGetErrorName, "cuGetErrorName") &&
            bind(lib, a.cuGetErrorString, "cuGetErrorString");
  if (!ok) {
    s.why = "CUDA driver unusable (libcuda.so.1 lacks " + std::string(dlerror()) + ")";
    return s;
  }
  CUresult r = a.cuInit(0);
  if (r != kCudaSuccess) {
    const char* name = nullptr;
    if (a.cuGetErrorName(r, &name) != kCudaSuccess || name == nullptr) {
      name = "unknown error";
    }
    s.why = "no CUDA device (cuInit: " + std::string(name) + ")";
    return s;
  }
  int count = 0;
  if (a.cuDeviceGetCount(&count) != kCudaSuccess || count < 1) {
    s.why = "no CUDA device (cuDeviceGetCount: 0 devices)";
    return s;
  }
  s.usable = true;
  return s;
}

struct NvrtcState {
  NvrtcApi api{};
  bool usable = false;
  std::string why;
};

std::vector<std::string> nvrtc_candidates() {
  if (const char* env = std::getenv("KESTREL_NVRTC"); env != nullptr && *env != '\0') {
    return {env};
  }
  std::vector<std::string> names = {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"};
  glob_t g{};
  if (glob("/usr/local/cuda/lib64/libnvrtc.so*", 0, nullptr, &g) == 0) {
    std::vector<std::string> found(g.gl_pathv, g.gl_pathv + g.gl_pathc);
    std::sort(found.begin(), found.end());
    names.insert(names.end(), found.begin(), found.end());
  }
  globfree(&g);
  return names;
}

NvrtcState load_nvrtc() {
  NvrtcState s;
  void* lib = nullptr;
  std::vector<std::string> names = nvrtc_candidates();
  for (const std::string& name : names) {
    // Never dlclose'd: libnvrtc keeps buffers it frees only at exit.
    lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib != nullptr) {
      break;
    }
  }
  if (lib == nullptr) {
    std::string tried;
    for (const std::string& name : names) {
      tried += (tried.empty() ? "" : ", ") + name;
    }
    if (std::getenv("KESTREL_NVRTC") == nullptr) {
      tried += ", /usr/local/cuda/lib64/libnvrtc.so*";
    }
    s.why = "NVRTC not found (" + tried + ")";
    return s;
  }
  NvrtcApi& a = s.api;
  bool ok = bind(lib, a.nvrtcVersion, "nvrtcVersion") &&
            bind(lib, a.nvrtcGetErrorString, "nvrtcGetErrorString") &&
            bind(lib, a.nvrtcCreateProgram, "nvrtcCreateProgram") &&
            bind(lib, a.nvrtcCompileProgram, "nvrtcCompileProgram") &&
            bind(lib, a.nvrtcGetProgramLogSize, "nvrtcGetProgramLogSize") &&
            bind(lib, a.nvrtcGetProgramLog, "nvrtcGetProgramLog") &&
            bind(lib, a.nvrtcGetPTXSize, "nvrtcGetPTXSize") &&
            bind(lib, a.nvrtcGetPTX, "nvrtcGetPTX") &&
            bind(lib, a.nvrtcDestroyProgram, "nvrtcDestroyProgram");
  if (!ok) {
    s.why = "NVRTC unusable (" + std::string(dlerror()) + ")";
    return s;
  }
  // Optional: NVRTC before 11.1 has no cubin output, before 11.2 no list of architectures.
  bind(lib, a.nvrtcGetCUBINSize, "nvrtcGetCUBINSize");
  bind(lib, a.nvrtcGetCUBIN, "nvrtcGetCUBIN");
  bind(lib, a.nvrtcGetNumSupportedArchs, "nvrtcGetNumSupportedArchs");
  bind(lib, a.nvrtcGetSupportedArchs, "nvrtcGetSupportedArchs");
  s.usable = true;
  return s;
}

/// True when `command` (its first word) names an executable file, directly or on PATH.
bool executable_found(const std::string& command) {
  std::string exe = command.substr(0, command.find(' '));
  if (exe.empty()) {
    return false;
  }
  if (exe.find('/') != std::string::npos) {
    return access(exe.c_str(), X_OK) == 0;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) {
      end = dirs.size();
    }
    std::string dir = dirs.substr(start, end - start);
    std::string full = (dir.empty() ? "." : dir) + "/" + exe;
    if (access(full.c_str(), X_OK) == 0) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

const DriverApi* driver_api(std::string* why) {
  static const DriverState state = load_driver();  // thread-safe initialization
  if (why != nullptr) {
    *why = state.why;
  }
  return state.usable ? &state.api : nullptr;
}

const NvrtcApi* nvrtc_api(std::string* why) {
  static const NvrtcState state = load_nvrtc();
  if (why != nullptr) {
    *why = state.why;
  }
  return state.usable ? &state.api : nullptr;
}

bool emulation_requested() {
  const char* env = std::getenv("KESTREL_GPU_DEVICE");
  return env != nullptr && std::string(env) == "emulate";
}

std::string emulation_compiler() {
  for (const char* var : {"KESTREL_GPU_EMULATE_CXX", "CXX"}) {
    if (const char* env = std::getenv(var); env != nullptr && *env != '\0') {
      return env;
    }
  }
  return "c++";
}

std::string gpu_unavailable_reason() {
  std::string why;
  if (emulation_requested()) {
    std::string cxx = emulation_compiler();
    if (!executable_found(cxx)) {
      return "emulated GPU device: no host C++ compiler (" + cxx + " not found)";
    }
    return "";
  }
  if (driver_api(&why) == nullptr) {
    return why;
  }
  if (nvrtc_api(&why) == nullptr) {
    return why;
  }
  return "";
}

void check_cuda(const DriverApi& api, CUresult r, const char* what) {
  if (r == kCudaSuccess) {
    return;
  }
  const char* name = nullptr;
  const char* text = nullptr;
  if (api.cuGetErrorName(r, &name) != kCudaSuccess || name == nullptr) {
    name = "CUDA error";
  }
  if (api.cuGetErrorString(r, &text) != kCudaSuccess || text == nullptr) {
    text = "unknown";
  }
  throw GpuError(std::string(what) + ": " + name + ": " + text + " (" + std::to_string(r) + ")");
}

}  // namespace kestrel::gpu
