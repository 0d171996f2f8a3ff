#pragma once
// Hand-written region kernels following runtime/gpu/kernel_abi.hpp (as codegen/cuda will print
// them, with their __emu wrappers), shared by the GPU runtime's tests: they compile with NVRTC,
// with the host compiler for the emulated device, and run on a real device.
//   kr_axpy   (a f64[], b f64[], s f64, out f64[] written):     out[i] = a[i] * s + b[i]
//   kr_sum    (x f64[]; reductions: f64 add, i64 max):          sum += x[i] * 1.1; m = max(m,
//   i*7919 % 100003) kr_gather (x f64[], idx i64[], out f64[] written):          out[i] = x[idx[i]]
//   (site 3 checks bounds) kr_divide (a i64[], d i64[], out i64[] written):            out[i] =
//   a[i] // d[i] (site 1)
#include <cstdint>

#include "runtime/gpu/program.hpp"
#include "runtime/rules/combine.hpp"

namespace kestrel::gpu::testing {

/// kr_sum's body, as the CPU test computes it too.
inline double sum_term(double x) { return x * 1.1; }
inline std::int64_t max_term(std::int64_t i) { return i * 7919 % 100003; }

inline constexpr const char* kKernels = R"(
#include "runtime/gpu/kernel_abi.hpp"
#include "runtime/rules/arith.hpp"
#include "runtime/rules/bounds.hpp"
#include "runtime/rules/combine.hpp"

namespace g = kestrel::gpu;
namespace hd = kestrel::rt::hd;
namespace rt = kestrel::rt;

template <class T>
KESTREL_DEV inline T* ptr(const g::Param& p) {
  return reinterpret_cast<T*>(p.data);
}

KESTREL_KERNEL void kr_axpy(const g::Params<4> P, g::Status* st, hd::u64* partials,
                            hd::i64 count) {
  (void)st;
  (void)partials;
  const double* a = ptr<double>(P.p[0]);
  const double* b = ptr<double>(P.p[1]);
  double s = g::of_bits<double>(P.p[2].bits);
  double* out = ptr<double>(P.p[3]);
  for (hd::i64 i = g::first_instance(); i < count; i += g::instance_stride()) {
    out[i * P.p[3].stride[0]] = a[i * P.p[0].stride[0]] * s + b[i * P.p[1].stride[0]];
  }
}

KESTREL_KERNEL void kr_sum(const g::Params<1> P, g::Status* st, hd::u64* partials,
                           hd::i64 count) {
  (void)st;
  const double* x = ptr<double>(P.p[0]);
  hd::i64 chunks = (count + rt::kReduceChunk - 1) / rt::kReduceChunk;
  for (hd::i64 c = g::first_instance(); c < chunks; c += g::instance_stride()) {
    double sum = rt::combine_identity<double>(rt::CombineOp::Add);
    hd::i64 m = rt::combine_identity<hd::i64>(rt::CombineOp::Max);
    hd::i64 hi = c * rt::kReduceChunk + rt::kReduceChunk < count ? c * rt::kReduceChunk + rt::kReduceChunk : count;
    for (hd::i64 i = c * rt::kReduceChunk; i < hi; ++i) {
      sum = rt::combine_values(rt::CombineOp::Add, sum, x[i * P.p[0].stride[0]] * 1.1);
      m = rt::combine_values(rt::CombineOp::Max, m, i * 7919 % 100003);
    }
    partials[c * 2 + 0] = g::to_bits(sum);
    partials[c * 2 + 1] = g::to_bits(m);
  }
}

KESTREL_KERNEL void kr_gather(const g::Params<3> P, g::Status* st, hd::u64* partials,
                              hd::i64 count) {
  (void)partials;
  const double* x = ptr<double>(P.p[0]);
  const hd::i64* idx = ptr<hd::i64>(P.p[1]);
  double* out = ptr<double>(P.p[2]);
  for (hd::i64 i = g::first_instance(); i < count; i += g::instance_stride()) {
    hd::i64 j = idx[i * P.p[1].stride[0]];
    if (!rt::index_in_bounds(j, P.p[0].shape[0])) {
      g::fail(st, i, 3, g::kIndexFault, j, 0, P.p[0].shape[0]);
      continue;
    }
    out[i * P.p[2].stride[0]] = x[j * P.p[0].stride[0]];
  }
}

KESTREL_KERNEL void kr_divide(const g::Params<3> P, g::Status* st, hd::u64* partials,
                              hd::i64 count) {
  (void)partials;
  const hd::i64* a = ptr<hd::i64>(P.p[0]);
  const hd::i64* d = ptr<hd::i64>(P.p[1]);
  hd::i64* out = ptr<hd::i64>(P.p[2]);
  for (hd::i64 i = g::first_instance(); i < count; i += g::instance_stride()) {
    hd::i64 b = d[i * P.p[1].stride[0]];
    if (rt::divides_by_zero(b)) {
      g::fail(st, i, 1, g::kDivZeroFault);
      continue;
    }
    out[i * P.p[2].stride[0]] = rt::floordiv_nonzero(a[i * P.p[0].stride[0]], b);
  }
}

#ifdef KESTREL_GPU_EMULATION
#define KESTREL_EMU_WRAPPER(kernel, n)                                                       \
  extern "C" void kernel##__emu(const void* params, g::Status* st, hd::u64* partials,      \
                                hd::i64 count) {                                           \
    g::blockIdx.x = 0;                                                                     \
    g::threadIdx.x = 0;                                                                    \
    g::blockDim.x = 1;                                                                     \
    g::gridDim.x = 1;                                                                      \
    kernel(*static_cast<const g::Params<n>*>(params), st, partials, count);                \
  }
KESTREL_EMU_WRAPPER(kr_axpy, 4)
KESTREL_EMU_WRAPPER(kr_sum, 1)
KESTREL_EMU_WRAPPER(kr_gather, 3)
KESTREL_EMU_WRAPPER(kr_divide, 3)
#endif
)";

/// The four regions above, in that order.
inline ProgramDesc test_program() {
  using P = ParamDesc;
  auto arr = [](rt::Elem e, bool written) { return P{P::Array, e, 1, written}; };
  ProgramDesc d;
  d.source = kKernels;
  d.regions.push_back({"kr_axpy",
                       {arr(rt::Elem::F64, false), arr(rt::Elem::F64, false),
                        P{P::Scalar, rt::Elem::F64, 0, false}, arr(rt::Elem::F64, true)},
                       {}});
  d.regions.push_back({"kr_sum",
                       {arr(rt::Elem::F64, false)},
                       {{rt::CombineOp::Add, rt::Elem::F64}, {rt::CombineOp::Max, rt::Elem::I64}}});
  d.regions.push_back(
      {"kr_gather",
       {arr(rt::Elem::F64, false), arr(rt::Elem::I64, false), arr(rt::Elem::F64, true)},
       {}});
  d.regions.push_back(
      {"kr_divide",
       {arr(rt::Elem::I64, false), arr(rt::Elem::I64, false), arr(rt::Elem::I64, true)},
       {}});
  return d;
}

}  // namespace kestrel::gpu::testing
