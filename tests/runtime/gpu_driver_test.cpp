// The CUDA driver path: without a driver, gpu_unavailable_reason() is one line saying why and the
// launch tests skip with it (counted as skipped); with a GPU, the kernels of gpu_test_kernels.hpp
// run on device 0 through Program::run and give the emulated device's and the CPU's answers.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "runtime/abi.hpp"
#include "runtime/gpu/device.hpp"
#include "tests/runtime/gpu_test_kernels.hpp"

namespace kestrel::gpu {
namespace {

std::uint64_t bits(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}
std::uint64_t slot(const rt::ArrayRef& a) {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(a.get()));
}

/// The driver's reason, ignoring KESTREL_GPU_DEVICE.
std::string driver_reason() {
  std::string why;
  if (driver_api(&why) == nullptr) {
    return why;
  }
  if (nvrtc_api(&why) == nullptr) {
    return why;
  }
  return "";
}

TEST(GpuDriver, TheReasonIsOneLine) {
  std::string why = driver_reason();
  EXPECT_EQ(why.find('\n'), std::string::npos) << why;
  void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    EXPECT_EQ(why, "no CUDA driver (libcuda.so.1 not found)");
    if (!emulation_requested()) {
      EXPECT_EQ(gpu_unavailable_reason(), why);
      EXPECT_THROW(default_device(), GpuError);
    }
  } else {
    // Kept loaded (the driver's own state lives until exit).
    EXPECT_TRUE(why.empty() || why.rfind("no CUDA device", 0) == 0 || why.rfind("NVRTC", 0) == 0)
        << why;
  }
}

TEST(GpuDriver, KernelsRunOnTheDevice) {
  if (std::string why = driver_reason(); !why.empty()) {
    GTEST_SKIP() << why << ": the driver launch path was not run";
  }
  std::shared_ptr<Device> device = make_driver_device();
  std::shared_ptr<Program> program = Program::load(testing::test_program(), "", device);
  EXPECT_FALSE(device->emulated());
  EXPECT_GT(device->arch(), 0);
  rt::AbiHost host;
  KestrelContext ctx{};
  ctx.host = &host;
  const std::uint32_t site_map[4] = {100, 101, 102, 103};

  // Elementwise over more instances than one grid covers.
  const std::int64_t n = 3'000'000;
  rt::ArrayRef a = rt::zeros(rt::Shape(n), rt::Elem::F64);
  rt::ArrayRef b = rt::zeros(rt::Shape(n), rt::Elem::F64);
  for (std::int64_t i = 0; i < n; ++i) {
    a->at<double>(i) = std::sin(static_cast<double>(i));
    b->at<double>(i) = static_cast<double>(i) / 7.0;
  }
  rt::ArrayRef out = rt::zeros(rt::Shape(n), rt::Elem::F64);
  std::uint64_t slots[5] = {slot(a), slot(b), bits(1.75), slot(out), static_cast<std::uint64_t>(n)};
  program->run(&ctx, 0, slots, site_map);
  ASSERT_EQ(ctx.failed, 0) << host.message;
  EXPECT_EQ(out->at<double>(n - 1), 0.0);
  program->sync();
  for (std::int64_t i = 0; i < n; i += 997) {
    ASSERT_EQ(bits(out->at<double>(i)), bits(a->at<double>(i) * 1.75 + b->at<double>(i))) << i;
  }

  // The reduction equals the emulated device's, which the emulation test ties to the CPU's.
  std::uint64_t gpu_slots[4] = {slot(a), static_cast<std::uint64_t>(n), bits(0.25), 0};
  program->run(&ctx, 1, gpu_slots, site_map);
  ASSERT_EQ(ctx.failed, 0) << host.message;
  std::shared_ptr<Program> emu = Program::load(testing::test_program(), "", make_emulated_device());
  std::uint64_t emu_slots[4] = {slot(a), static_cast<std::uint64_t>(n), bits(0.25), 0};
  emu->run(&ctx, 1, emu_slots, site_map);
  ASSERT_EQ(ctx.failed, 0) << host.message;
  EXPECT_EQ(gpu_slots[2], emu_slots[2]);
  EXPECT_EQ(gpu_slots[3], emu_slots[3]);

  // Many instances fail; the lowest one's error is reported.
  rt::ArrayRef idx = rt::zeros(rt::Shape(n), rt::Elem::I64);
  for (std::int64_t i = 0; i < n; ++i) {
    idx->at<std::int64_t>(i) = i % 3 == 2 && i > 1000 ? n + i : i;
  }
  std::uint64_t gather[4] = {slot(a), slot(idx), slot(out), static_cast<std::uint64_t>(n)};
  program->run(&ctx, 2, gather, site_map);
  ASSERT_EQ(ctx.failed, 1);
  EXPECT_EQ(ctx.site, 103u);
  EXPECT_EQ(host.message, "index " + std::to_string(n + 1001) +
                              " is out of bounds for axis 0 with size " + std::to_string(n));
}

}  // namespace
}  // namespace kestrel::gpu
