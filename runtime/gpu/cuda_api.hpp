#pragma once
// The CUDA driver and NVRTC, opened with dlopen so that the runtime builds and runs on machines
// without CUDA. Only the calls runtime/gpu/ makes are declared here, with the types of cuda.h
// and nvrtc.h (CUresult and nvrtcResult are ints; 0 is success). Loading is lazy and thread-safe;
// a library that is absent is reported by gpu_unavailable_reason(), never by a crash.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

// The driver's and NVRTC's handle types, declared at global scope as cuda.h and nvrtc.h declare
// them, so that gpu_cuda_h_test can check every pointer type below against those headers.
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
struct _nvrtcProgram;

namespace kestrel::gpu {

/// A failure of the GPU path: a driver call, an NVRTC compile (with its log), a missing library.
class GpuError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = ::CUctx_st*;
using CUmodule = ::CUmod_st*;
using CUfunction = ::CUfunc_st*;
using CUstream = ::CUstream_st*;

inline constexpr CUresult kCudaSuccess = 0;
inline constexpr int kAttrMultiprocessorCount = 16;  // CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
inline constexpr int kAttrCcMajor = 75;              // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
inline constexpr int kAttrCcMinor = 76;              // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR

/// The driver calls used (the _v2 symbols are what cuda.h's macros name).
struct DriverApi {
  CUresult (*cuInit)(unsigned flags);
  CUresult (*cuDeviceGetCount)(int* count);
  CUresult (*cuDeviceGet)(CUdevice* device, int ordinal);
  CUresult (*cuDeviceGetName)(char* name, int len, CUdevice device);
  CUresult (*cuDeviceGetAttribute)(int* value, int attribute, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext* ctx, CUdevice device);
  CUresult (*cuCtxSetCurrent)(CUcontext ctx);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuMemAlloc)(CUdeviceptr* ptr, std::size_t bytes);                    // cuMemAlloc_v2
  CUresult (*cuMemFree)(CUdeviceptr ptr);                                         // cuMemFree_v2
  CUresult (*cuMemcpyHtoD)(CUdeviceptr dst, const void* src, std::size_t bytes);  // _v2
  CUresult (*cuMemcpyDtoH)(void* dst, CUdeviceptr src, std::size_t bytes);        // _v2
  CUresult (*cuModuleLoadData)(CUmodule* module, const void* image);
  CUresult (*cuModuleUnload)(CUmodule module);
  CUresult (*cuModuleGetFunction)(CUfunction* fn, CUmodule module, const char* name);
  CUresult (*cuLaunchKernel)(CUfunction fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                             unsigned by, unsigned bz, unsigned shared_bytes, CUstream stream,
                             void** params, void** extra);
  CUresult (*cuGetErrorName)(CUresult error, const char** name);
  CUresult (*cuGetErrorString)(CUresult error, const char** text);
};

using nvrtcProgram = ::_nvrtcProgram*;

/// The NVRTC calls used.
struct NvrtcApi {
  int (*nvrtcVersion)(int* major, int* minor);
  int (*nvrtcGetNumSupportedArchs)(int* count);  // may be null (NVRTC before 11.2)
  int (*nvrtcGetSupportedArchs)(int* archs);     // may be null
  const char* (*nvrtcGetErrorString)(int result);
  int (*nvrtcCreateProgram)(nvrtcProgram* prog, const char* src, const char* name, int num_headers,
                            const char* const* headers, const char* const* include_names);
  int (*nvrtcCompileProgram)(nvrtcProgram prog, int num_options, const char* const* options);
  int (*nvrtcGetProgramLogSize)(nvrtcProgram prog, std::size_t* size);
  int (*nvrtcGetProgramLog)(nvrtcProgram prog, char* log);
  int (*nvrtcGetPTXSize)(nvrtcProgram prog, std::size_t* size);
  int (*nvrtcGetPTX)(nvrtcProgram prog, char* ptx);
  int (*nvrtcGetCUBINSize)(nvrtcProgram prog, std::size_t* size);
  int (*nvrtcGetCUBIN)(nvrtcProgram prog, char* cubin);
  int (*nvrtcDestroyProgram)(nvrtcProgram* prog);
};

/// The driver, loaded and cuInit'ed once; null when unusable, with the one-line reason in *why.
const DriverApi* driver_api(std::string* why = nullptr);
/// NVRTC (KESTREL_NVRTC if set, else libnvrtc.so.13, .so.12, libnvrtc.so, then
/// /usr/local/cuda/lib64/libnvrtc.so*), loaded once; null when absent, with the reason in *why.
const NvrtcApi* nvrtc_api(std::string* why = nullptr);

/// True when KESTREL_GPU_DEVICE=emulate: the emulated device (runtime/gpu/emulate.cpp) is used.
bool emulation_requested();
/// The emulated device's host compiler: KESTREL_GPU_EMULATE_CXX, else CXX, else c++ (as given;
/// it may carry arguments, e.g. "ccache g++").
std::string emulation_compiler();

/// "" when the GPU path can run here (the driver with a device and NVRTC, or the emulated device
/// with a host compiler), else ONE line saying why: "no CUDA driver (libcuda.so.1 not found)",
/// "no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE)", "NVRTC not found (…)", ….
std::string gpu_unavailable_reason();

/// Throws GpuError "<what>: <CUDA_ERROR_NAME>: <its text>" unless r is CUDA_SUCCESS.
void check_cuda(const DriverApi& api, CUresult r, const char* what);

}  // namespace kestrel::gpu
