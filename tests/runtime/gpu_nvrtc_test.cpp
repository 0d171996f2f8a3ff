// runtime/gpu/nvrtc: the kernels of gpu_test_kernels.hpp (kernel_abi.hpp and the rule headers,
// taken from the binary, not the source tree) compile to PTX for compute_90 and to a cubin for
// sm_90; a second compile is read from the disk cache; a syntax error throws GpuError with
// NVRTC's log. Skipped, saying why, where libnvrtc is absent.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "runtime/gpu/nvrtc.hpp"
#include "tests/runtime/gpu_test_kernels.hpp"

namespace kestrel::gpu {
namespace {

namespace fs = std::filesystem;

/// A fresh directory, removed with the object.
struct TempDir {
  std::string path;
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "kestrel-gpu-test-XXXXXX").string();
    path = mkdtemp(templ.data()) != nullptr ? templ : "";
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

#define SKIP_WITHOUT_NVRTC()                                                   \
  do {                                                                         \
    std::string why;                                                           \
    if (nvrtc_api(&why) == nullptr) {                                          \
      GTEST_SKIP() << why << ": the generated CUDA C++ was not compiled here"; \
    }                                                                          \
  } while (0)

TEST(GpuNvrtc, TheHeadersAreEmbedded) {
  bool abi = false;
  bool arith = false;
  for (const EmbeddedHeader& h : embedded_headers()) {
    abi = abi || std::string(h.name) == "runtime/gpu/kernel_abi.hpp";
    arith = arith || (std::string(h.name) == "runtime/rules/arith.hpp" &&
                      std::string(h.text).find("floordiv_nonzero") != std::string::npos);
  }
  EXPECT_TRUE(abi);
  EXPECT_TRUE(arith);
  EXPECT_EQ(embedded_headers_hash().size(), 16u);
}

TEST(GpuNvrtc, OptionsNeverContract) {
  CompileOptions o;
  o.arch = 90;
  o.output = Output::Ptx;
  std::vector<std::string> opts = nvrtc_options(o);
  EXPECT_NE(std::find(opts.begin(), opts.end(), "--fmad=false"), opts.end());
  EXPECT_NE(std::find(opts.begin(), opts.end(), "--gpu-architecture=compute_90"), opts.end());
  o.output = Output::Cubin;
  opts = nvrtc_options(o);
  EXPECT_NE(std::find(opts.begin(), opts.end(), "--gpu-architecture=sm_90"), opts.end());
}

TEST(GpuNvrtc, TheTargetIsTheDevicesOwnArchitectureOrPtxBelowIt) {
  const std::vector<int> known = {75, 80, 86, 89, 90, 100, 120};
  CompileOptions h100 = target_for_device(90, known);
  EXPECT_EQ(h100.arch, 90);
  EXPECT_EQ(h100.output, Output::Cubin);
  CompileOptions newer = target_for_device(121, known);  // a device newer than this NVRTC
  EXPECT_EQ(newer.arch, 120);
  EXPECT_EQ(newer.output, Output::Ptx);
  CompileOptions unknown = target_for_device(90, {});  // an NVRTC that cannot list them
  EXPECT_EQ(unknown.arch, 90);
  EXPECT_EQ(unknown.output, Output::Cubin);
}

TEST(GpuNvrtc, AnArchitectureBelowEveryKnownOneIsAnError) {
  SKIP_WITHOUT_NVRTC();  // the message names NVRTC's version
  EXPECT_THROW(target_for_device(60, {75, 80, 90}), GpuError);
}

TEST(GpuNvrtc, KernelsCompileToPtxAndCubinAndHitTheCache) {
  SKIP_WITHOUT_NVRTC();
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  CompileOptions o;
  o.arch = 90;
  o.cache_dir = dir.path;

  o.output = Output::Ptx;
  Compiled ptx = compile_cuda(testing::kKernels, o);
  EXPECT_FALSE(ptx.cache_hit);
  EXPECT_EQ(ptx.output, Output::Ptx);
  EXPECT_NE(ptx.image.find(".target sm_90"), std::string::npos) << ptx.image.substr(0, 400);
  for (const char* k : {"kr_axpy", "kr_sum", "kr_gather", "kr_divide"}) {
    EXPECT_NE(ptx.image.find(std::string(".entry ") + k + "("), std::string::npos) << k;
  }
  // --fmad=false: no fused multiply-add in kr_axpy's a * s + b.
  EXPECT_EQ(ptx.image.find("fma.rn.f64"), std::string::npos);

  o.output = Output::Cubin;
  Compiled cubin = compile_cuda(testing::kKernels, o);
  EXPECT_FALSE(cubin.cache_hit);
  ASSERT_GE(cubin.image.size(), 4u);
  EXPECT_EQ(cubin.image.substr(0, 4), std::string("\x7f"
                                                  "ELF"));
  EXPECT_GT(cubin.compile_ms, 0.0);

  Compiled again = compile_cuda(testing::kKernels, o);
  EXPECT_TRUE(again.cache_hit);
  EXPECT_EQ(again.image, cubin.image);
  Compiled ptx_again = compile_cuda(testing::kKernels, [&] {
    CompileOptions p = o;
    p.output = Output::Ptx;
    return p;
  }());
  EXPECT_TRUE(ptx_again.cache_hit);
  EXPECT_EQ(ptx_again.image, ptx.image);

  // Another source is another key.
  Compiled other = compile_cuda(std::string(testing::kKernels) + "\n// changed\n", o);
  EXPECT_FALSE(other.cache_hit);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path + "/cuda")) {
    ++files;
  }
  EXPECT_EQ(files, 3u);  // ptx, cubin, the changed source's cubin; no temporary left behind
}

TEST(GpuNvrtc, ASyntaxErrorThrowsWithTheLog) {
  SKIP_WITHOUT_NVRTC();
  CompileOptions o;
  o.output = Output::Ptx;
  try {
    compile_cuda(
        "#include \"runtime/gpu/kernel_abi.hpp\"\nextern \"C\" __global__ void k() { int x = ; }\n",
        o);
    FAIL() << "no GpuError";
  } catch (const GpuError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("kestrel.cu(2)"), std::string::npos) << what;
    EXPECT_NE(what.find("error"), std::string::npos) << what;
  }
}

TEST(GpuNvrtc, VersionAndArchitectures) {
  SKIP_WITHOUT_NVRTC();
  EXPECT_GE(nvrtc_version(), 110);
  std::vector<int> archs = nvrtc_supported_archs();
  EXPECT_NE(std::find(archs.begin(), archs.end(), 90), archs.end());
}

}  // namespace
}  // namespace kestrel::gpu
