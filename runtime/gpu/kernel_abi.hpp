#pragma once
// The calling convention between the CUDA C++ that codegen/cuda generates and the runtime that
// launches it (runtime/gpu/). Compiled on both sides: by the host compiler (the runtime packs
// Params and reads Status), by NVRTC (the generated source includes this header verbatim, as it
// includes runtime/rules/), and by the host compiler again for the emulated device.
//
// Every region kernel (a `parallel for` or a kernel launch that runs on the GPU) is
//
//   extern "C" __global__ void kr_<id>(const kestrel::gpu::Params<N> P, kestrel::gpu::Status* st,
//                                      hd::u64* partials, hd::i64 count)
//
// run over `count` instances with a grid-stride loop (any grid size is correct). An instance is
// one iteration (or one kernel instance, row-major over a 2-D grid), or, in a loop with scalar
// reductions, one chunk of rt::kReduceChunk iterations whose partials it writes to
// partials[instance * reductions + r] as bits (rules/combine.hpp: the host combines them in the
// fixed tree, as the CPU does). P is passed by value: N Param records, each 48 bytes.
//
// Faults (an index out of bounds, an integer division by zero, …) stop the instance and are
// recorded with fail(): the lowest failing instance wins, which is the failure the CPU reports
// (its lowest failing chunk's first failure). The host turns it into the same runtime error at
// the same site.
#include "runtime/rules/hd.hpp"

namespace kestrel::gpu {

namespace hd = kestrel::rt::hd;

/// One kernel parameter: a scalar (`bits`) or an array (the other fields). A scalar's bits are
/// its value as the JIT stores it in 64 bits: i32 and bool sign- or zero-extended, f32 in the low
/// 32 bits, f64 and i64 as they are.
struct Param {
  hd::u64 bits;
  hd::u64 data;       // an array's element (0, 0): a device address
  hd::i64 shape[2];   // rows, cols (cols 1 for a 1-D array)
  hd::i64 stride[2];  // in elements
};

template <int N>
struct Params {
  Param p[N > 0 ? N : 1];
};

/// What stopped an instance.
enum Fault : hd::u32 {
  kNoFault = 0,
  kIndexFault = 1,     // a = index, b = axis, c = size
  kDivZeroFault = 2,   // integer // or % by zero
  kNegPowFault = 3,    // a = exponent
  kNegShiftFault = 4,  // a = count
  kStepFault = 6,      // a serial loop inside the region with step 0 (5 is unused)
  kNegStoreFault = 7,  // a = index: negative in a parallel for's disjoint store
};

/// The run's first fault. The host zeroes it (first = ~0) before a launch.
struct Status {
  hd::u32 failed;  // 1 once any instance failed
  hd::u32 lock;    // held while the lowest failing instance writes what follows
  hd::u64 first;   // the lowest failing instance (~0 when none)
  hd::u32 site;    // the site id of its fault (codegen/cuda's site table)
  hd::u32 fault;   // a Fault
  hd::i64 a;
  hd::i64 b;
  hd::i64 c;
};

/// A scalar's 64 bits in a Param or a partial (the encoding the CPU's reductions use, runtime/
/// parallel.cpp): i32 and bool sign-extended, f32's bits zero-extended, f64 and i64 as they are.
KESTREL_HD inline hd::u64 to_bits(hd::i64 v) { return static_cast<hd::u64>(v); }
KESTREL_HD inline hd::u64 to_bits(hd::i32 v) {
  return static_cast<hd::u64>(static_cast<hd::i64>(v));
}
KESTREL_HD inline hd::u64 to_bits(bool v) { return v ? 1u : 0u; }
KESTREL_HD inline hd::u64 to_bits(double v) { return hd::bits_of(v); }
#ifdef KESTREL_RULES_DEVICE
KESTREL_HD inline hd::u64 to_bits(float v) { return __float_as_uint(v); }
KESTREL_HD inline float f32_of_bits(hd::u64 b) { return __uint_as_float(static_cast<hd::u32>(b)); }
#else
inline hd::u64 to_bits(float v) { return std::bit_cast<hd::u32>(v); }
inline float f32_of_bits(hd::u64 b) { return std::bit_cast<float>(static_cast<hd::u32>(b)); }
#endif
/// The inverse of to_bits: of_bits<T>(to_bits(v)) == v.
template <class T>
KESTREL_HD inline T of_bits(hd::u64 b) {
  if constexpr (hd::kSame<T, double>) {
    return hd::double_of(b);
  } else if constexpr (hd::kSame<T, float>) {
    return f32_of_bits(b);
  } else if constexpr (hd::kSame<T, bool>) {
    return b != 0;
  } else {
    return static_cast<T>(static_cast<hd::i64>(b));
  }
}

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define KESTREL_GPU_DEVICE_CODE 1
#define KESTREL_KERNEL extern "C" __global__
#define KESTREL_DEV __device__
#elif defined(KESTREL_GPU_EMULATION)
// The emulated device: the same source compiled for the host, one thread running every block
// (runtime/gpu/emulate.cpp). Instances run in order, so no atomics are needed.
#define KESTREL_KERNEL static
#define KESTREL_DEV
struct EmuDim {
  unsigned x = 0;
};
inline thread_local EmuDim threadIdx;
inline thread_local EmuDim blockIdx;
inline thread_local EmuDim blockDim;
inline thread_local EmuDim gridDim;
#endif

#if defined(KESTREL_GPU_DEVICE_CODE) || defined(KESTREL_GPU_EMULATION)

/// This thread's first instance and the grid's stride.
KESTREL_DEV inline hd::i64 first_instance() {
  return static_cast<hd::i64>(blockIdx.x) * blockDim.x + threadIdx.x;
}
KESTREL_DEV inline hd::i64 instance_stride() {
  return static_cast<hd::i64>(gridDim.x) * blockDim.x;
}

/// Records that `instance` failed at `site`; the lowest failing instance's record is kept.
KESTREL_DEV inline void fail(Status* st, hd::i64 instance, hd::u32 site, hd::u32 fault,
                             hd::i64 a = 0, hd::i64 b = 0, hd::i64 c = 0) {
  auto k = static_cast<hd::u64>(instance);
#ifdef KESTREL_GPU_DEVICE_CODE
  atomicMin(&st->first, k);
  while (atomicCAS(&st->lock, 0u, 1u) != 0u) {
  }
  __threadfence();
  if (st->first == k) {
    st->site = site;
    st->fault = fault;
    st->a = a;
    st->b = b;
    st->c = c;
    st->failed = 1;
  }
  __threadfence();
  atomicExch(&st->lock, 0u);
#else
  if (k < st->first) {
    st->first = k;
    st->site = site;
    st->fault = fault;
    st->a = a;
    st->b = b;
    st->c = c;
    st->failed = 1;
  }
#endif
}

#endif

}  // namespace kestrel::gpu
