#pragma once
// What the CUDA C++ codegen/cuda generates uses besides the scalar rules: an array parameter's
// view, an instance's state, a serial loop's step, the atomic update of an integer array
// reduction. Included by the generated source (NVRTC gets it embedded, like runtime/rules/), and
// compiled only there: on the device, or on the host for the emulated device.
#include "runtime/gpu/kernel_abi.hpp"
#include "runtime/rules/arith.hpp"
#include "runtime/rules/bounds.hpp"
#include "runtime/rules/combine.hpp"
#include "runtime/rules/math.hpp"
#include "runtime/rules/philox.hpp"

#if defined(KESTREL_GPU_DEVICE_CODE) || defined(KESTREL_GPU_EMULATION)

namespace kestrel::gpu {

/// An array parameter: element (0, 0), extents and strides in elements.
template <class T>
struct View {
  T* data;
  hd::i64 n0, n1, s0, s1;
};
template <class T>
KESTREL_DEV inline View<T> view_of(const Param& p) {
  return View<T>{reinterpret_cast<T*>(p.data), p.shape[0], p.shape[1], p.stride[0], p.stride[1]};
}

/// One instance's state: where faults go, its index, its random stream.
struct Ctx {
  Status* st;
  hd::i64 instance;
  bool failed;
  hd::i64 index0, index1;
  rt::Stream stream;
};

/// Whether a serial loop lo..hi by step runs at all.
template <class T>
KESTREL_DEV inline bool for_first(T lo, T step, T hi) {
  return step > 0 ? lo < hi : lo > hi;
}
/// A serial loop's next value of its variable (false once it passes `hi`, or would overflow).
template <class T>
KESTREL_DEV inline bool for_next(T& i, T step, T hi) {
  using hd::i64;
  using hd::u64;
  u64 left = step > 0 ? static_cast<u64>(static_cast<i64>(hi) - static_cast<i64>(i))
                      : static_cast<u64>(static_cast<i64>(i) - static_cast<i64>(hi));
  u64 by = step > 0 ? static_cast<u64>(static_cast<i64>(step))
                    : u64{0} - static_cast<u64>(static_cast<i64>(step));
  if (by >= left) {
    return false;
  }
  i = static_cast<T>(static_cast<i64>(i) + static_cast<i64>(step));
  return true;
}

/// *p = *p op v as one atomic update: an integer array reduction of a parallel loop (wrapping
/// +, *, min and max give the CPU's result in any order).
template <class T>
KESTREL_DEV inline void atomic_combine(T* p, T v, rt::CombineOp op) {
#ifdef KESTREL_GPU_DEVICE_CODE
  using W = typename hd::UnsignedOfSize<sizeof(T)>::type;
  if (op == rt::CombineOp::Add) {
    atomicAdd(reinterpret_cast<W*>(p), static_cast<W>(v));
  } else if (op == rt::CombineOp::Min) {
    atomicMin(p, v);
  } else if (op == rt::CombineOp::Max) {
    atomicMax(p, v);
  } else {
    W* q = reinterpret_cast<W*>(p);
    W old = *q;
    W assumed;
    do {
      assumed = old;
      old = atomicCAS(q, assumed, static_cast<W>(rt::num_mul(static_cast<T>(assumed), v)));
    } while (assumed != old);
  }
#else
  *p = rt::combine_values(op, *p, v);  // the emulated device runs one instance at a time
#endif
}

}  // namespace kestrel::gpu

#endif
