// runtime/gpu/cuda_api.hpp declares the driver and NVRTC calls itself (the runtime must build
// without CUDA). Where the toolkit's cuda.h and nvrtc.h are found at build time, this test
// checks at compile time that every function pointer there has the type of the declaration in
// those headers (an enum result or parameter counted as an int of its size), and at run time
// that the constants agree; it cannot run a driver call, but a wrong signature fails the build.
#include <gtest/gtest.h>

#ifdef KESTREL_NO_CUDA_HEADERS

TEST(GpuCudaHeaders, TheConstantsAreTheHeaders) {
  GTEST_SKIP() << "cuda.h and nvrtc.h were not found at build time: runtime/gpu/cuda_api.hpp's "
                  "declarations were not checked against them";
}

#else

#include <cuda.h>
#include <nvrtc.h>

#include <cstring>
#include <tuple>
#include <type_traits>

#include "runtime/gpu/cuda_api.hpp"

#define CUDA_NAME_TEXT(x) #x
#define CUDA_NAME(x) CUDA_NAME_TEXT(x)

namespace kestrel::gpu {
namespace {

/// An enum as the signed integer of its size; any other type as it is.
template <class T, bool = std::is_enum_v<T> >
struct Normal {
  using type = T;
};
template <class T>
struct Normal<T, true> {
  using type = std::make_signed_t<std::underlying_type_t<T> >;
};
template <class T>
using normal_t = typename Normal<T>::type;

template <class A, class B>
struct SameFn : std::false_type {};
template <class R1, class... A1, class R2, class... A2>
struct SameFn<R1 (*)(A1...), R2 (*)(A2...)>
    : std::bool_constant<
          std::is_same_v<normal_t<R1>, normal_t<R2> > &&
          std::is_same_v<std::tuple<normal_t<A1>...>, std::tuple<normal_t<A2>...> > > {};

#define CHECK_FN(table, field, symbol)                                      \
  static_assert(SameFn<decltype(table::field), decltype(&::symbol)>::value, \
                #table "::" #field " does not have the type of " #symbol    \
                       " in the CUDA "                                      \
                       "headers")

CHECK_FN(DriverApi, cuInit, cuInit);
CHECK_FN(DriverApi, cuDeviceGetCount, cuDeviceGetCount);
CHECK_FN(DriverApi, cuDeviceGet, cuDeviceGet);
CHECK_FN(DriverApi, cuDeviceGetName, cuDeviceGetName);
CHECK_FN(DriverApi, cuDeviceGetAttribute, cuDeviceGetAttribute);
CHECK_FN(DriverApi, cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRetain);
CHECK_FN(DriverApi, cuCtxSetCurrent, cuCtxSetCurrent);
CHECK_FN(DriverApi, cuCtxSynchronize, cuCtxSynchronize);
CHECK_FN(DriverApi, cuMemAlloc, cuMemAlloc_v2);
CHECK_FN(DriverApi, cuMemFree, cuMemFree_v2);
CHECK_FN(DriverApi, cuMemcpyHtoD, cuMemcpyHtoD_v2);
CHECK_FN(DriverApi, cuMemcpyDtoH, cuMemcpyDtoH_v2);
CHECK_FN(DriverApi, cuModuleLoadData, cuModuleLoadData);
CHECK_FN(DriverApi, cuModuleUnload, cuModuleUnload);
CHECK_FN(DriverApi, cuModuleGetFunction, cuModuleGetFunction);
CHECK_FN(DriverApi, cuLaunchKernel, cuLaunchKernel);
CHECK_FN(DriverApi, cuGetErrorName, cuGetErrorName);
CHECK_FN(DriverApi, cuGetErrorString, cuGetErrorString);

CHECK_FN(NvrtcApi, nvrtcVersion, nvrtcVersion);
CHECK_FN(NvrtcApi, nvrtcGetNumSupportedArchs, nvrtcGetNumSupportedArchs);
CHECK_FN(NvrtcApi, nvrtcGetSupportedArchs, nvrtcGetSupportedArchs);
CHECK_FN(NvrtcApi, nvrtcGetErrorString, nvrtcGetErrorString);
CHECK_FN(NvrtcApi, nvrtcCreateProgram, nvrtcCreateProgram);
CHECK_FN(NvrtcApi, nvrtcCompileProgram, nvrtcCompileProgram);
CHECK_FN(NvrtcApi, nvrtcGetProgramLogSize, nvrtcGetProgramLogSize);
CHECK_FN(NvrtcApi, nvrtcGetProgramLog, nvrtcGetProgramLog);
CHECK_FN(NvrtcApi, nvrtcGetPTXSize, nvrtcGetPTXSize);
CHECK_FN(NvrtcApi, nvrtcGetPTX, nvrtcGetPTX);
CHECK_FN(NvrtcApi, nvrtcGetCUBINSize, nvrtcGetCUBINSize);
CHECK_FN(NvrtcApi, nvrtcGetCUBIN, nvrtcGetCUBIN);
CHECK_FN(NvrtcApi, nvrtcDestroyProgram, nvrtcDestroyProgram);

static_assert(std::is_same_v<kestrel::gpu::CUdeviceptr, ::CUdeviceptr>);
static_assert(std::is_same_v<kestrel::gpu::CUcontext, ::CUcontext>);
static_assert(std::is_same_v<kestrel::gpu::CUmodule, ::CUmodule>);
static_assert(std::is_same_v<kestrel::gpu::CUfunction, ::CUfunction>);
static_assert(std::is_same_v<kestrel::gpu::nvrtcProgram, ::nvrtcProgram>);

TEST(GpuCudaHeaders, TheConstantsAreTheHeaders) {
  EXPECT_EQ(kCudaSuccess, CUDA_SUCCESS);
  EXPECT_EQ(kAttrMultiprocessorCount, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
  EXPECT_EQ(kAttrCcMajor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
  EXPECT_EQ(kAttrCcMinor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  // The _v2 symbols cuda_api.cpp binds are the ones cuda.h's macros name.
  EXPECT_STREQ(CUDA_NAME(cuMemAlloc), "cuMemAlloc_v2");
  EXPECT_STREQ(CUDA_NAME(cuMemFree), "cuMemFree_v2");
  EXPECT_STREQ(CUDA_NAME(cuMemcpyHtoD), "cuMemcpyHtoD_v2");
  EXPECT_STREQ(CUDA_NAME(cuMemcpyDtoH), "cuMemcpyDtoH_v2");
  EXPECT_STREQ(CUDA_NAME(cuLaunchKernel), "cuLaunchKernel");
  EXPECT_STREQ(CUDA_NAME(cuCtxSynchronize), "cuCtxSynchronize");
  EXPECT_STREQ(CUDA_NAME(cuModuleLoadData), "cuModuleLoadData");
}

}  // namespace
}  // namespace kestrel::gpu

#endif  // KESTREL_NO_CUDA_HEADERS
