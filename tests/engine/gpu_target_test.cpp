// The GPU target through the public API, on the emulated device (KESTREL_GPU_DEVICE=emulate: the
// CUDA backend's source built by the host compiler; there is no GPU here): a host calling one
// module's functions from several threads gets the CPU's answers, array arguments written on
// the device come back, and without a usable device loading says why.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "kestrel/kestrel.hpp"

namespace {

constexpr const char* kWork = R"(
fn weighted(x: f64[:], k: i64) -> f64 {
    var s = 0.0
    parallel for i in 0..len(x) {
        s += x[i] * f64(k + i % 3)
    }
    return s
}
kernel bump(a: f64[:], amount: f64) {
    a[index()] += amount
}
fn bump_all(a: f64[:], k: f64) {
    bump[len(a)](a, k)
}
)";

kestrel::Engine engine(kestrel::Target target) {
  kestrel::EngineOptions options;
  options.mode = kestrel::Mode::Jit;
  options.target = target;
  options.use_cache = false;
  return kestrel::Engine(options);
}

TEST(GpuTarget, ConcurrentCallsOnTheEmulatedDeviceGiveTheCpusAnswers) {
  setenv("KESTREL_GPU_DEVICE", "emulate", 1);
  kestrel::Module cpu = engine(kestrel::Target::Cpu).load_source("work.kst", kWork);
  kestrel::Module gpu = engine(kestrel::Target::Gpu).load_source("work.kst", kWork);
  EXPECT_NE(gpu.load_timings().gpu.find("2 region(s) on the GPU"), std::string::npos)
      << gpu.load_timings().gpu;
  auto want = cpu.function<double(kestrel::ArrayView<const double>, std::int64_t)>("weighted");
  auto got = gpu.function<double(kestrel::ArrayView<const double>, std::int64_t)>("weighted");
  std::vector<double> x(20000);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = 1.0 / static_cast<double>(i + 1);
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < 10; ++c) {
        std::int64_t k = (t + c) % 5;
        if (got(x, k) != want(x, k)) {  // bit for bit: the same chunks and combine tree
          ++wrong;
        }
      }
    });
  }
  for (std::thread& th : threads) {
    th.join();
  }
  EXPECT_EQ(wrong.load(), 0);
  // The host's own memory, written by a kernel on the device, is copied back when the call ends.
  auto bump_all = gpu.function<void(kestrel::ArrayView<double>, double)>("bump_all");
  std::vector<double> a(1000, 1.0);
  bump_all(a, 2.5);
  bump_all(a, 0.5);
  EXPECT_EQ(a.front(), 4.0);
  EXPECT_EQ(a.back(), 4.0);
}

TEST(GpuTarget, WithoutADeviceLoadingSaysWhyInOneLine) {
  unsetenv("KESTREL_GPU_DEVICE");
  std::string why = kestrel::gpu_unavailable();
  if (why.empty()) {
    GTEST_SKIP() << "this machine has a usable GPU";
  }
  try {
    engine(kestrel::Target::Gpu).load_source("work.kst", kWork);
    FAIL() << "loaded without a GPU";
  } catch (const kestrel::Error& e) {
    EXPECT_EQ(std::string(e.what()), "error: --target gpu: " + why + "\n");
  }
}

}  // namespace
