// The GPU launch path end to end on the emulated device (KESTREL_GPU_DEVICE=emulate: the kernels
// of gpu_test_kernels.hpp compiled by the host compiler): Program::run with real rt::Array
// objects, mirroring and residency, copy-back at sync, a reduction bit-identical to the CPU's
// kestrel_rt_parallel_reduce_by, faults turned into the CPU's errors, n == 0, and the C ABI.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/abi.hpp"
#include "runtime/error.hpp"
#include "runtime/gpu/nvrtc.hpp"
#include "runtime/parallel.hpp"
#include "tests/runtime/gpu_test_kernels.hpp"

namespace kestrel::gpu {
namespace {

/// Sets an environment variable for one scope, restoring what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) {
      old_ = old;
    }
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::uint64_t bits(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}
double f64(std::uint64_t b) {
  double v;
  std::memcpy(&v, &b, 8);
  return v;
}
std::uint64_t slot(const rt::ArrayRef& a) {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(a.get()));
}

class GpuEmulate : public ::testing::Test {
 protected:
  void SetUp() override {
    ScopedEnv emulate("KESTREL_GPU_DEVICE", "emulate");
    std::string why = gpu_unavailable_reason();
    if (!why.empty()) {
      GTEST_SKIP() << why;
    }
    program_ = Program::load(testing::test_program(), "", make_emulated_device());
    ctx_.max_depth = 1000;
    ctx_.budget = 1 << 20;
    ctx_.host = &host_;
  }

  std::shared_ptr<Program> program_;
  rt::AbiHost host_;
  KestrelContext ctx_{};
  const std::uint32_t site_map_[4] = {100, 101, 102, 103};
};

rt::ArrayRef f64_array(std::int64_t n, double (*f)(std::int64_t)) {
  rt::ArrayRef a = rt::zeros(rt::Shape(n), rt::Elem::F64);
  for (std::int64_t i = 0; i < n; ++i) {
    a->at<double>(i) = f(i);
  }
  return a;
}

TEST_F(GpuEmulate, ElementwiseArraysStayOnTheDeviceUntilSync) {
  EXPECT_TRUE(program_->device().emulated());
  const std::int64_t n = 1000;
  rt::ArrayRef a = f64_array(n, [](std::int64_t i) { return 0.5 * static_cast<double>(i); });
  rt::ArrayRef b = f64_array(n, [](std::int64_t i) { return std::sqrt(static_cast<double>(i)); });
  rt::ArrayRef out = rt::zeros(rt::Shape(n), rt::Elem::F64);

  std::uint64_t slots[5] = {slot(a), slot(b), bits(3.0), slot(out), static_cast<std::uint64_t>(n)};
  program_->run(&ctx_, 0, slots, site_map_);
  ASSERT_EQ(ctx_.failed, 0) << host_.message;
  EXPECT_EQ(program_->mirrored(), 3u);
  EXPECT_EQ(program_->uploads(), 3u);
  EXPECT_EQ(program_->allocations(), 3u);
  for (std::int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(out->at<double>(i), 0.0) << "written to the host before sync, at " << i;
  }

  // Again with another scalar: the arrays are resident, nothing is copied.
  slots[2] = bits(-2.0);
  program_->run(&ctx_, 0, slots, site_map_);
  ASSERT_EQ(ctx_.failed, 0) << host_.message;
  EXPECT_EQ(program_->uploads(), 3u);
  EXPECT_EQ(out->at<double>(7), 0.0);

  program_->sync();
  EXPECT_EQ(program_->mirrored(), 0u);
  for (std::int64_t i = 0; i < n; ++i) {
    double want = a->at<double>(i) * -2.0 + b->at<double>(i);
    ASSERT_EQ(bits(out->at<double>(i)), bits(want)) << i;
  }

  // A view into a mirrored buffer: the device address keeps the view's offset.
  rt::ArrayRef tail = rt::slice(*a, 10, n);
  rt::ArrayRef out_tail = rt::slice(*out, 0, n - 10);
  std::uint64_t view_slots[5] = {slot(tail), slot(b), bits(1.0), slot(out_tail),
                                 static_cast<std::uint64_t>(n - 10)};
  program_->run(&ctx_, 0, view_slots, site_map_);
  ASSERT_EQ(ctx_.failed, 0) << host_.message;
  EXPECT_EQ(program_->uploads(), 6u);      // a, b, out again after the sync
  EXPECT_EQ(program_->allocations(), 3u);  // into the device blocks the sync kept
  program_->sync();
  for (std::int64_t i = 0; i < n - 10; ++i) {
    ASSERT_EQ(bits(out->at<double>(i)), bits(a->at<double>(i + 10) + b->at<double>(i))) << i;
  }
  EXPECT_EQ(bits(out->at<double>(n - 1)), bits(a->at<double>(n - 1) * -2.0 + b->at<double>(n - 1)));
}

TEST_F(GpuEmulate, AMirrorKeepsItsBufferAliveUntilSync) {
  rt::ArrayRef a = f64_array(100, [](std::int64_t i) { return static_cast<double>(i); });
  rt::ArrayRef out = rt::zeros(rt::Shape(100), rt::Elem::F64);
  std::uint64_t slots[5] = {slot(a), slot(a), bits(2.0), slot(out), 100};
  program_->run(&ctx_, 0, slots, site_map_);
  ASSERT_EQ(ctx_.failed, 0) << host_.message;
  EXPECT_EQ(program_->mirrored(), 2u);  // a twice is one buffer
  rt::Buffer* buffer = out->buffer;
  buffer->retain();
  out = rt::ArrayRef();  // the host drops its array; the mirror still holds the buffer
  EXPECT_EQ(buffer->refs(), 2u);
  program_->sync();
  EXPECT_EQ(buffer->refs(), 1u);
  EXPECT_EQ(static_cast<double*>(buffer->data())[99], 99.0 * 3.0);
  buffer->release();
}

struct CpuSum {
  const double* x;
};

TEST_F(GpuEmulate, AReductionIsBitIdenticalToTheCpus) {
  const std::int64_t n = 100000;
  rt::ArrayRef x = f64_array(n, [](std::int64_t i) {
    return std::sin(static_cast<double>(i)) * 1e3 + 1.0 / static_cast<double>(i + 1);
  });
  const double before = 0.25;
  const std::int64_t max_before = -5;
  std::uint64_t slots[4] = {slot(x), static_cast<std::uint64_t>(n), bits(before),
                            static_cast<std::uint64_t>(max_before)};
  program_->run(&ctx_, 1, slots, site_map_);
  ASSERT_EQ(ctx_.failed, 0) << host_.message;

  // The CPU: the same body through kestrel_rt_parallel_reduce_by.
  std::uint32_t ops[2] = {static_cast<std::uint32_t>(rt::CombineOp::Add),
                          static_cast<std::uint32_t>(rt::CombineOp::Max)};
  std::uint32_t elems[2] = {static_cast<std::uint32_t>(rt::Elem::F64),
                            static_cast<std::uint32_t>(rt::Elem::I64)};
  std::int64_t values[2] = {static_cast<std::int64_t>(bits(before)), max_before};
  CpuSum env{x->ptr<double>()};
  rt::AbiHost cpu_host;
  KestrelContext cpu_ctx = ctx_;
  cpu_ctx.host = &cpu_host;
  kestrel_rt_parallel_reduce_by(
      &cpu_ctx, 0, n, rt::kReduceChunk, 2, ops, elems, values,
      [](void* e, KestrelContext*, std::int64_t lo, std::int64_t hi, std::int64_t* partials) {
        const double* p = static_cast<CpuSum*>(e)->x;
        double sum = f64(static_cast<std::uint64_t>(partials[0]));
        std::int64_t m = partials[1];
        for (std::int64_t i = lo; i < hi; ++i) {
          sum = sum + testing::sum_term(p[i]);
          m = std::max(m, testing::max_term(i));
        }
        partials[0] = static_cast<std::int64_t>(bits(sum));
        partials[1] = m;
      },
      &env);
  ASSERT_EQ(cpu_ctx.failed, 0);
  EXPECT_EQ(slots[2], static_cast<std::uint64_t>(values[0]))
      << f64(slots[2]) << " vs the CPU's " << f64(static_cast<std::uint64_t>(values[0]));
  EXPECT_EQ(static_cast<std::int64_t>(slots[3]), values[1]);
  EXPECT_EQ(static_cast<std::int64_t>(slots[3]), 100002);

  // The order matters: a plain left-to-right sum differs in its last bits, so the equality
  // above is the chunked tree's.
  double naive = before;
  for (std::int64_t i = 0; i < n; ++i) {
    naive += testing::sum_term(x->at<double>(i));
  }
  EXPECT_NE(bits(naive), slots[2]);
}

TEST_F(GpuEmulate, ZeroIterationsRunNothing) {
  rt::ArrayRef x = f64_array(10, [](std::int64_t i) { return static_cast<double>(i); });
  std::uint64_t slots[4] = {slot(x), 0, bits(1.5), 7};
  program_->run(&ctx_, 1, slots, site_map_);
  EXPECT_EQ(ctx_.failed, 0);
  EXPECT_EQ(slots[2], bits(1.5));
  EXPECT_EQ(slots[3], 7u);
  EXPECT_EQ(program_->mirrored(), 0u);
  EXPECT_EQ(program_->uploads(), 0u);
}

TEST_F(GpuEmulate, AnIndexFaultIsTheLowestFailingInstancesError) {
  rt::ArrayRef x = f64_array(10, [](std::int64_t i) { return static_cast<double>(i) + 0.5; });
  rt::ArrayRef idx = rt::zeros(rt::Shape(20), rt::Elem::I64);
  for (std::int64_t i = 0; i < 20; ++i) {
    idx->at<std::int64_t>(i) = i % 10;
  }
  idx->at<std::int64_t>(9) = -1;
  idx->at<std::int64_t>(5) = 100;
  rt::ArrayRef out = rt::zeros(rt::Shape(20), rt::Elem::F64);
  std::uint64_t slots[4] = {slot(x), slot(idx), slot(out), 20};
  program_->run(&ctx_, 2, slots, site_map_);
  ASSERT_EQ(ctx_.failed, 1);
  EXPECT_EQ(ctx_.site, 103u);  // site_map[3]
  EXPECT_EQ(host_.message, "index 100 is out of bounds for axis 0 with size 10");
  EXPECT_FALSE(host_.internal);
  // The failed region synced: what the instances wrote is on the host, nothing is mirrored.
  EXPECT_EQ(program_->mirrored(), 0u);
  EXPECT_EQ(out->at<double>(4), 4.5);
}

TEST_F(GpuEmulate, ADivisionByZeroIsTheCpusError) {
  rt::ArrayRef a = rt::arange(0, 8, 1, rt::Elem::I64);
  rt::ArrayRef d = rt::full(rt::Shape(8), rt::Value(std::int64_t{-3}), rt::Elem::I64);
  rt::ArrayRef out = rt::zeros(rt::Shape(8), rt::Elem::I64);
  std::uint64_t slots[4] = {slot(a), slot(d), slot(out), 8};
  program_->run(&ctx_, 3, slots, site_map_);
  ASSERT_EQ(ctx_.failed, 0) << host_.message;
  program_->sync();
  EXPECT_EQ(out->at<std::int64_t>(7), -3);  // 7 // -3 floors
  d->at<std::int64_t>(6) = 0;
  program_->run(&ctx_, 3, slots, site_map_);
  ASSERT_EQ(ctx_.failed, 1);
  EXPECT_EQ(ctx_.site, 101u);
  EXPECT_EQ(host_.message, "integer division by zero");
}

TEST_F(GpuEmulate, TheAbiRunsTheContextsProgram) {
  rt::ArrayRef a = f64_array(64, [](std::int64_t i) { return static_cast<double>(i); });
  rt::ArrayRef out = rt::zeros(rt::Shape(64), rt::Elem::F64);
  std::uint64_t slots[5] = {slot(a), slot(a), bits(1.0), slot(out), 64};
  host_.gpu = program_.get();
  kestrel_rt_gpu_run(&ctx_, 0, slots, site_map_);
  ASSERT_EQ(ctx_.failed, 0) << host_.message;
  EXPECT_EQ(out->at<double>(63), 0.0);
  kestrel_rt_gpu_sync(&ctx_);
  EXPECT_EQ(out->at<double>(63), 126.0);
  EXPECT_EQ(program_->mirrored(), 0u);

  // A region number the program does not have is an internal error, not a crash.
  kestrel_rt_gpu_run(&ctx_, 9, slots, site_map_);
  EXPECT_EQ(ctx_.failed, 1);
  EXPECT_TRUE(host_.internal);
  EXPECT_EQ(ctx_.site, rt::kNoSite);

  rt::AbiHost none;
  KestrelContext plain{};
  plain.host = &none;
  kestrel_rt_gpu_sync(&plain);  // no program: nothing to do
  EXPECT_EQ(plain.failed, 0);
  kestrel_rt_gpu_run(&plain, 0, slots, site_map_);
  EXPECT_EQ(plain.failed, 1);
  EXPECT_TRUE(none.internal);
}

TEST_F(GpuEmulate, AnArrayOtherThanItsDescriptorIsAnInternalError) {
  rt::ArrayRef wrong = rt::zeros(rt::Shape(4), rt::Elem::I64);  // kr_sum takes an f64 array
  std::uint64_t slots[4] = {slot(wrong), 4, bits(0.0), 0};
  program_->run(&ctx_, 1, slots, site_map_);
  ASSERT_EQ(ctx_.failed, 1);
  EXPECT_TRUE(host_.internal);
  EXPECT_EQ(host_.message, "kr_sum: parameter 0 is not the array its descriptor says");
  EXPECT_EQ(program_->mirrored(), 0u);
}

TEST_F(GpuEmulate, RunsFromSeveralHostThreadsAreSerialized) {
  // Each thread runs kr_axpy on arrays of its own, twice, then syncs; the program's mutex keeps
  // the mirrors and the status consistent.
  constexpr int kThreads = 4;
  const std::int64_t n = 5000;
  std::vector<rt::ArrayRef> in(kThreads);
  std::vector<rt::ArrayRef> out(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    in[t] = f64_array(n, [](std::int64_t i) { return static_cast<double>(i); });
    out[t] = rt::zeros(rt::Shape(n), rt::Elem::F64);
  }
  std::vector<std::thread> threads;
  std::vector<int> failed(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      rt::AbiHost host;
      KestrelContext ctx = ctx_;
      ctx.host = &host;
      std::uint64_t slots[5] = {slot(in[t]), slot(in[t]), bits(static_cast<double>(t)),
                                slot(out[t]), static_cast<std::uint64_t>(n)};
      for (int k = 0; k < 2; ++k) {
        program_->run(&ctx, 0, slots, site_map_);
      }
      failed[t] = ctx.failed;
    });
  }
  for (std::thread& th : threads) {
    th.join();
  }
  program_->sync();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failed[t], 0) << t;
    EXPECT_EQ(out[t]->at<double>(n - 1), static_cast<double>(n - 1) * (t + 1)) << t;
  }
  EXPECT_EQ(program_->mirrored(), 0u);
}

TEST_F(GpuEmulate, ACompileErrorThrowsWithTheCompilersOutput) {
  ProgramDesc bad;
  bad.source = "#include \"runtime/gpu/kernel_abi.hpp\"\nint broken( {\n";
  try {
    Program::load(bad, "", make_emulated_device());
    FAIL() << "no GpuError";
  } catch (const GpuError& e) {
    EXPECT_NE(std::string(e.what()).find("error"), std::string::npos) << e.what();
  }
}

TEST_F(GpuEmulate, TheCacheIsUsedTheSecondTime) {
  std::string templ = (std::filesystem::temp_directory_path() / "kestrel-gpu-emu-XXXXXX").string();
  ASSERT_NE(mkdtemp(templ.data()), nullptr);
  auto first = Program::load(testing::test_program(), templ, make_emulated_device());
  auto second = Program::load(testing::test_program(), templ, make_emulated_device());
  EXPECT_FALSE(first->cache_hit());
  EXPECT_TRUE(second->cache_hit());
  first.reset();
  second.reset();
  std::error_code ec;
  std::filesystem::remove_all(templ, ec);
}

TEST(GpuEmulateDevice, TheReasonNamesAMissingCompiler) {
  ScopedEnv emulate("KESTREL_GPU_DEVICE", "emulate");
  ScopedEnv cxx("KESTREL_GPU_EMULATE_CXX", "/nonexistent/c++");
  EXPECT_EQ(gpu_unavailable_reason(),
            "emulated GPU device: no host C++ compiler (/nonexistent/c++ not found)");
  EXPECT_THROW(default_device(), GpuError);
}

TEST(GpuEmulateDevice, TheDefaultDeviceIsEmulatedWhenAsked) {
  ScopedEnv emulate("KESTREL_GPU_DEVICE", "emulate");
  if (std::string why = gpu_unavailable_reason(); !why.empty()) {
    GTEST_SKIP() << why;
  }
  std::shared_ptr<Device> d = default_device();
  EXPECT_TRUE(d->emulated());
  EXPECT_EQ(d.get(), default_device().get());
  EXPECT_NE(d->name().find("emulated"), std::string::npos);
}

}  // namespace
}  // namespace kestrel::gpu
