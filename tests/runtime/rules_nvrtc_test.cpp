// runtime/rules/ compiles for the GPU as it is: NVRTC (the compiler the CUDA backend will hand
// its generated source to) compiles a kernel that includes every rule header and calls every
// rule, for f32, f64, i32 and i64. Skips, saying why, where libnvrtc is not installed.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

// NVRTC's C API, the part this test calls (nvrtc.h; the status is 0 on success).
using Program = void*;
using CreateFn = int (*)(Program*, const char*, const char*, int, const char* const*,
                         const char* const*);
using CompileFn = int (*)(Program, int, const char* const*);
using LogSizeFn = int (*)(Program, std::size_t*);
using LogFn = int (*)(Program, char*);
using DestroyFn = int (*)(Program*);

constexpr const char* kKernel = R"(
#include "runtime/rules/arith.hpp"
#include "runtime/rules/bounds.hpp"
#include "runtime/rules/combine.hpp"
#include "runtime/rules/math.hpp"
#include "runtime/rules/philox.hpp"

namespace rt = kestrel::rt;
namespace hd = kestrel::rt::hd;

template <class I>
__device__ I int_rules(I a, I b) {
  I r = rt::wrap_add(a, b) ^ rt::wrap_sub(a, b) ^ rt::wrap_mul(a, b) ^ rt::num_abs(a);
  if (!rt::divides_by_zero(b)) {
    r ^= rt::floordiv_nonzero(a, b) ^ rt::mod_nonzero(a, b);
  }
  if (!rt::negative_count(b)) {
    r ^= rt::shl_nonnegative(a, b) ^ rt::shr_nonnegative(a, b) ^ rt::ipow_nonnegative(a, b);
  }
  r ^= rt::min_value(a, b) ^ rt::max_value(a, b);
  for (int op = 0; op < 4; ++op) {
    r ^= rt::combine_values(static_cast<rt::CombineOp>(op), a, b) ^
         rt::combine_identity<I>(static_cast<rt::CombineOp>(op));
  }
  return r;
}

template <class F>
__device__ F float_rules(F a, F b) {
  F r = rt::floordiv_float(a, b) + rt::mod_float(a, b) + rt::fpow(a, b) + rt::min_value(a, b) +
        rt::max_value(a, b) + rt::num_neg(a) + rt::sigmoid(a);
  for (int f = 0; f <= static_cast<int>(rt::MathFn::Round); ++f) {
    r += rt::math_fn(static_cast<rt::MathFn>(f), a);
  }
  for (int op = 0; op < 4; ++op) {
    r += rt::combine_values(static_cast<rt::CombineOp>(op), a, b) +
         rt::exact_identity<F>(static_cast<rt::CombineOp>(op));
  }
  r += static_cast<F>(rt::convert_scalar<hd::i32>(a) + rt::convert_scalar<hd::i64>(b)) +
       rt::convert_scalar<F>(rt::convert_scalar<bool>(a));
  return r;
}

extern "C" __global__ void rules_probe(const hd::i64* ia, double* fa, hd::i64* out, hd::i64 n) {
  hd::i64 k = blockIdx.x * blockDim.x + threadIdx.x;
  if (!rt::index_in_bounds(k, n)) {
    return;
  }
  out[k] = int_rules<hd::i64>(ia[k], ia[n - 1 - k]) ^
           int_rules<hd::i32>(static_cast<hd::i32>(ia[k]), 3);
  double x = float_rules<double>(fa[k], fa[n - 1 - k]) +
             float_rules<float>(static_cast<float>(fa[k]), 2.0f);
  rt::Stream s{ia[k], 0};
  rt::Stream it = rt::substream(rt::begin_parallel(s), k);
  x += rt::next_random(it) + rt::next_randn(it) + rt::random(7, k) + rt::randn(7, k) +
       rt::kmath::exp_f64(x) + rt::kmath::sigmoid_f32(static_cast<float>(x));
  double parts[3] = {x, 1.0, 2.0};
  fa[k] = rt::combine_tree(parts, 3, 0.0, [](double p, double q) { return p + q; });
}
)";

/// libnvrtc, if it can be loaded.
void* open_nvrtc() {
  for (const char* name :
       {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "/usr/local/cuda/lib64/libnvrtc.so",
        "/usr/local/cuda/lib/libnvrtc.so"}) {
    if (void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL)) {
      return h;
    }
  }
  return nullptr;
}

TEST(RulesNvrtc, RuleHeadersCompileForTheGpu) {
  void* lib = open_nvrtc();
  if (lib == nullptr) {
    GTEST_SKIP() << "libnvrtc is not installed: the rule headers were not compiled for the GPU";
  }
  auto create = reinterpret_cast<CreateFn>(dlsym(lib, "nvrtcCreateProgram"));
  auto compile = reinterpret_cast<CompileFn>(dlsym(lib, "nvrtcCompileProgram"));
  auto log_size = reinterpret_cast<LogSizeFn>(dlsym(lib, "nvrtcGetProgramLogSize"));
  auto get_log = reinterpret_cast<LogFn>(dlsym(lib, "nvrtcGetProgramLog"));
  auto destroy = reinterpret_cast<DestroyFn>(dlsym(lib, "nvrtcDestroyProgram"));
  ASSERT_TRUE(create && compile && log_size && get_log && destroy) << "libnvrtc lacks its C API";

  Program prog = nullptr;
  ASSERT_EQ(create(&prog, kKernel, "rules_probe.cu", 0, nullptr, nullptr), 0);
  std::string include = std::string("--include-path=") + KESTREL_SOURCE_DIR;
  std::vector<const char*> options = {include.c_str(), "--std=c++17",
                                      "--gpu-architecture=compute_90", "--fmad=false"};
  int status = compile(prog, static_cast<int>(options.size()), options.data());
  std::size_t n = 0;
  log_size(prog, &n);
  std::string log(n, '\0');
  get_log(prog, log.data());
  destroy(&prog);
  // Not dlclose'd: libnvrtc allocates a 72 KiB buffer it never frees (its own copy of
  // libstdc++'s exception pool); unloaded, LeakSanitizer reports it as a leak.
  EXPECT_EQ(status, 0) << "NVRTC rejected runtime/rules/:\n" << log;
}

}  // namespace
