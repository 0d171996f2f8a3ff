// The GPU check's baselines (scripts/gpu-check.sh): the CUDA driver API and NVRTC used directly,
// with no Kestrel code but runtime/rules/philox.hpp, so that Kestrel's GPU figures are measured
// against the device's own limits and against hand-written CUDA C++ in the same run.
//
//   baseline info                  the device, its compute capability, NVRTC's and the driver's
//   version baseline copy N [REPS]         cuMemcpyDtoD of N f32 (bytes read + written: 8 N)
//   baseline vadd N [REPS]         out[i] = a[i] + b[i] over N f32, one thread per element,
//   compiled
//                                  by NVRTC in this run (bytes: 12 N)
//   baseline pi N SEED [REPS]      Monte Carlo pi over N samples with Kestrel's Philox mapping
//                                  (stdlib/montecarlo.kst: x = random(seed, 2i), y = random(seed,
//                                  2i + 1), hit when x*x + y*y < 1.0), compiled by NVRTC with
//                                  --fmad=false as Kestrel's kernels are, so the hit count is exact
//   baseline pi-host N SEED        the same count on the host (checks the mapping without a GPU)
//   baseline compile ARCH          compiles both kernels with NVRTC for ARCH (e.g. sm_90) and
//                                  exits: runs without a GPU or a driver
//
// Each result is one line `RESULT <what> key=value ...`; times are medians of REPS (default 7)
// runs after one warm-up, both by CUDA events (event_ms) and by the host clock around launch and
// synchronize (wall_ms), which is what Kestrel's own timing sees. GB/s and Gsamples/s use the
// event median. Exit status 2 on any CUDA or NVRTC error (printed).
//
// The root that holds runtime/rules/ is taken from KESTREL_ROOT, else from the executable's
// compile-time default (the repository), else the current directory.
//
// Build (scripts/gpu-check.sh does this on the device):
//   g++ -O2 -std=c++20 -I$CUDA/include -I. bench/gpu/baseline.cpp -L$CUDA/lib64 -L$CUDA/lib64/stubs
//       -lnvrtc -lcuda -o baseline
#include <cuda.h>
#include <nvrtc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/rules/philox.hpp"

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "baseline: %s\n", what.c_str());
  std::exit(2);
}

void check(CUresult r, const char* call) {
  if (r != CUDA_SUCCESS) {
    const char* name = nullptr;
    const char* text = nullptr;
    cuGetErrorName(r, &name);
    cuGetErrorString(r, &text);
    die(std::string(call) + ": " + (name ? name : "?") + " (" + (text ? text : "?") + ")");
  }
}
#define CU(call) check((call), #call)

void check(nvrtcResult r, const char* call) {
  if (r != NVRTC_SUCCESS) {
    die(std::string(call) + ": " + nvrtcGetErrorString(r));
  }
}
#define RTC(call) check((call), #call)

const char* kVaddSource = R"(
extern "C" __global__ void vadd(const float* __restrict__ a, const float* __restrict__ b,
                                float* __restrict__ out, long long n) {
  long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    out[i] = a[i] + b[i];
  }
}
)";

// Kestrel's mapping, through the same header Kestrel's generated code includes.
const char* kPiSource = R"(
#include "runtime/rules/philox.hpp"
extern "C" __global__ void pi_hits(long long n, long long seed, unsigned long long* hits) {
  unsigned long long mine = 0;
  long long stride = (long long)gridDim.x * blockDim.x;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    double x = kestrel::rt::random(seed, 2 * i);
    double y = kestrel::rt::random(seed, 2 * i + 1);
    if (x * x + y * y < 1.0) {
      ++mine;
    }
  }
  for (int offset = 16; offset > 0; offset /= 2) {
    mine += __shfl_down_sync(0xffffffffu, mine, offset);
  }
  if ((threadIdx.x & 31) == 0 && mine != 0) {
    atomicAdd(hits, mine);
  }
}
)";

std::string rules_root() {
  if (const char* env = std::getenv("KESTREL_ROOT"); env != nullptr && *env != '\0') {
    return env;
  }
#ifdef KESTREL_BASELINE_ROOT
  return KESTREL_BASELINE_ROOT;
#else
  return ".";
#endif
}

/// Compiles `source` for `arch` (sm_XY: a cubin) and returns the image and the time it took.
std::vector<char> compile(const char* source, const char* name, const std::string& arch,
                          double& ms) {
  auto t0 = std::chrono::steady_clock::now();
  nvrtcProgram prog;
  RTC(nvrtcCreateProgram(&prog, source, name, 0, nullptr, nullptr));
  std::string arch_opt = "--gpu-architecture=" + arch;
  std::string include = "--include-path=" + rules_root();
  const char* opts[] = {arch_opt.c_str(), include.c_str(), "--std=c++20", "--fmad=false",
                        "-default-device"};
  nvrtcResult r = nvrtcCompileProgram(prog, 5, opts);
  size_t log_size = 0;
  nvrtcGetProgramLogSize(prog, &log_size);
  if (r != NVRTC_SUCCESS) {
    std::string log(log_size, '\0');
    nvrtcGetProgramLog(prog, log.data());
    die(std::string("NVRTC compile of ") + name + " failed: " + nvrtcGetErrorString(r) + "\n" +
        log);
  }
  size_t size = 0;
  RTC(nvrtcGetCUBINSize(prog, &size));
  std::vector<char> image(size);
  RTC(nvrtcGetCUBIN(prog, image.data()));
  RTC(nvrtcDestroyProgram(&prog));
  ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return image;
}

struct Device {
  CUdevice dev = 0;
  CUcontext ctx = nullptr;
  std::string arch;
  int sms = 0;
};

Device open_device() {
  Device d;
  CU(cuInit(0));
  CU(cuDeviceGet(&d.dev, 0));
  CU(cuDevicePrimaryCtxRetain(&d.ctx, d.dev));
  CU(cuCtxSetCurrent(d.ctx));
  int major = 0;
  int minor = 0;
  CU(cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, d.dev));
  CU(cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, d.dev));
  CU(cuDeviceGetAttribute(&d.sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, d.dev));
  d.arch = "sm_" + std::to_string(major) + std::to_string(minor);
  return d;
}

CUfunction load(const std::vector<char>& image, const char* name) {
  CUmodule module;
  CU(cuModuleLoadData(&module, image.data()));
  CUfunction fn;
  CU(cuModuleGetFunction(&fn, module, name));
  return fn;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Times {
  double event_ms;
  double wall_ms;
};

/// Runs `work` once to warm up, then `reps` times, each between two events and synchronized.
template <class Work>
Times time_it(int reps, Work work) {
  CUevent start;
  CUevent stop;
  CU(cuEventCreate(&start, CU_EVENT_DEFAULT));
  CU(cuEventCreate(&stop, CU_EVENT_DEFAULT));
  work();
  CU(cuCtxSynchronize());
  std::vector<double> events;
  std::vector<double> walls;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    CU(cuEventRecord(start, nullptr));
    work();
    CU(cuEventRecord(stop, nullptr));
    CU(cuEventSynchronize(stop));
    auto t1 = std::chrono::steady_clock::now();
    float ms = 0;
    CU(cuEventElapsedTime(&ms, start, stop));
    events.push_back(ms);
    walls.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  CU(cuEventDestroy(start));
  CU(cuEventDestroy(stop));
  return {median(events), median(walls)};
}

long long parse_count(const char* text, const char* what) {
  char* end = nullptr;
  double v = std::strtod(text, &end);  // accepts 1e9 as well as 1000000000
  if (end == text || *end != '\0' || v < 1 || v > 9.2e18) {
    die(std::string("bad ") + what + ": " + text);
  }
  return static_cast<long long>(v);
}

CUdeviceptr alloc_f32(long long n) {
  CUdeviceptr p;
  CU(cuMemAlloc(&p, static_cast<size_t>(n) * sizeof(float)));
  return p;
}

unsigned f32_bits(float f) {
  unsigned u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

int cmd_info() {
  Device d = open_device();
  char name[256] = {};
  CU(cuDeviceGetName(name, sizeof name, d.dev));
  int driver = 0;
  CU(cuDriverGetVersion(&driver));
  int rtc_major = 0;
  int rtc_minor = 0;
  RTC(nvrtcVersion(&rtc_major, &rtc_minor));
  size_t mem = 0;
  CU(cuDeviceTotalMem(&mem, d.dev));
  std::printf("RESULT info device=\"%s\" arch=%s sms=%d memory_gib=%.1f driver=%d nvrtc=%d.%d\n",
              name, d.arch.c_str(), d.sms, static_cast<double>(mem) / (1 << 30), driver, rtc_major,
              rtc_minor);
  return 0;
}

int cmd_copy(long long n, int reps) {
  open_device();
  CUdeviceptr a = alloc_f32(n);
  CUdeviceptr b = alloc_f32(n);
  CU(cuMemsetD32(a, f32_bits(1.5f), static_cast<size_t>(n)));
  size_t bytes = static_cast<size_t>(n) * sizeof(float);
  Times t = time_it(reps, [&] { CU(cuMemcpyDtoD(b, a, bytes)); });
  double moved = 2.0 * static_cast<double>(bytes);
  std::printf("RESULT copy n=%lld bytes=%.0f reps=%d event_ms=%.4f wall_ms=%.4f gbps=%.1f\n", n,
              moved, reps, t.event_ms, t.wall_ms, moved / (t.event_ms * 1e-3) / 1e9);
  CU(cuMemFree(a));
  CU(cuMemFree(b));
  return 0;
}

int cmd_vadd(long long n, int reps) {
  Device d = open_device();
  double compile_ms = 0;
  CUfunction fn = load(compile(kVaddSource, "vadd.cu", d.arch, compile_ms), "vadd");
  CUdeviceptr a = alloc_f32(n);
  CUdeviceptr b = alloc_f32(n);
  CUdeviceptr out = alloc_f32(n);
  CU(cuMemsetD32(a, f32_bits(1.25f), static_cast<size_t>(n)));
  CU(cuMemsetD32(b, f32_bits(2.5f), static_cast<size_t>(n)));
  CU(cuMemsetD32(out, 0, static_cast<size_t>(n)));
  const unsigned block = 256;
  auto grid = static_cast<unsigned>((n + block - 1) / block);
  void* args[] = {&a, &b, &out, &n};
  Times t = time_it(
      reps, [&] { CU(cuLaunchKernel(fn, grid, 1, 1, block, 1, 1, 0, nullptr, args, nullptr)); });
  float got[3] = {};
  long long at[3] = {0, n / 2, n - 1};
  for (int k = 0; k < 3; ++k) {
    CU(cuMemcpyDtoH(&got[k], out + static_cast<CUdeviceptr>(at[k]) * sizeof(float), sizeof(float)));
  }
  bool ok = got[0] == 3.75f && got[1] == 3.75f && got[2] == 3.75f;
  double moved = 12.0 * static_cast<double>(n);
  std::printf(
      "RESULT vadd n=%lld bytes=%.0f reps=%d event_ms=%.4f wall_ms=%.4f gbps=%.1f compile_ms=%.1f "
      "check=%s\n",
      n, moved, reps, t.event_ms, t.wall_ms, moved / (t.event_ms * 1e-3) / 1e9, compile_ms,
      ok ? "ok" : "WRONG");
  CU(cuMemFree(a));
  CU(cuMemFree(b));
  CU(cuMemFree(out));
  return ok ? 0 : 1;
}

int cmd_pi(long long n, long long seed, int reps) {
  Device d = open_device();
  double compile_ms = 0;
  CUfunction fn = load(compile(kPiSource, "pi.cu", d.arch, compile_ms), "pi_hits");
  const int block = 256;
  int per_sm = 0;
  CU(cuOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, fn, block, 0));
  auto grid = static_cast<unsigned>(std::max(1, per_sm) * d.sms);
  CUdeviceptr hits;
  CU(cuMemAlloc(&hits, sizeof(unsigned long long)));
  void* args[] = {&n, &seed, &hits};
  Times t = time_it(reps, [&] {
    CU(cuMemsetD32(hits, 0, 2));
    CU(cuLaunchKernel(fn, grid, 1, 1, block, 1, 1, 0, nullptr, args, nullptr));
  });
  unsigned long long count = 0;
  CU(cuMemcpyDtoH(&count, hits, sizeof count));
  double pi = 4.0 * static_cast<double>(count) / static_cast<double>(n);
  std::printf(
      "RESULT pi n=%lld seed=%lld reps=%d event_ms=%.4f wall_ms=%.4f gsps=%.2f compile_ms=%.1f "
      "hits=%llu pi=%.17g grid=%u block=%d\n",
      n, seed, reps, t.event_ms, t.wall_ms, static_cast<double>(n) / (t.event_ms * 1e-3) / 1e9,
      compile_ms, count, pi, grid, block);
  CU(cuMemFree(hits));
  return 0;
}

int cmd_pi_host(long long n, long long seed) {
  unsigned long long count = 0;
  for (long long i = 0; i < n; ++i) {
    double x = kestrel::rt::random(seed, 2 * i);
    double y = kestrel::rt::random(seed, 2 * i + 1);
    count += x * x + y * y < 1.0 ? 1 : 0;
  }
  std::printf("RESULT pi-host n=%lld seed=%lld hits=%llu pi=%.17g\n", n, seed, count,
              4.0 * static_cast<double>(count) / static_cast<double>(n));
  return 0;
}

int cmd_compile(const std::string& arch) {
  double vadd_ms = 0;
  double pi_ms = 0;
  size_t vadd = compile(kVaddSource, "vadd.cu", arch, vadd_ms).size();
  size_t pi = compile(kPiSource, "pi.cu", arch, pi_ms).size();
  std::printf("RESULT compile arch=%s vadd_bytes=%zu vadd_ms=%.1f pi_bytes=%zu pi_ms=%.1f\n",
              arch.c_str(), vadd, vadd_ms, pi, pi_ms);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  auto reps_at = [&](size_t k) {
    int reps = k < a.size() ? static_cast<int>(parse_count(a[k].c_str(), "REPS")) : 7;
    return std::max(reps, 1);
  };
  if (a.size() == 1 && a[0] == "info") {
    return cmd_info();
  }
  if ((a.size() == 2 || a.size() == 3) && a[0] == "copy") {
    return cmd_copy(parse_count(a[1].c_str(), "N"), reps_at(2));
  }
  if ((a.size() == 2 || a.size() == 3) && a[0] == "vadd") {
    return cmd_vadd(parse_count(a[1].c_str(), "N"), reps_at(2));
  }
  if ((a.size() == 3 || a.size() == 4) && a[0] == "pi") {
    return cmd_pi(parse_count(a[1].c_str(), "N"), std::atoll(a[2].c_str()), reps_at(3));
  }
  if (a.size() == 3 && a[0] == "pi-host") {
    return cmd_pi_host(parse_count(a[1].c_str(), "N"), std::atoll(a[2].c_str()));
  }
  if (a.size() == 2 && a[0] == "compile") {
    return cmd_compile(a[1]);
  }
  std::fprintf(stderr,
               "usage: baseline info | copy N [REPS] | vadd N [REPS] | pi N SEED [REPS] | "
               "pi-host N SEED | compile ARCH\n");
  return 2;
}
