// The emulated device (KESTREL_GPU_DEVICE=emulate): the generated source compiled by the host
// compiler with -DKESTREL_GPU_EMULATION into a shared object and dlopen'ed; a launch calls the
// generated `<kernel>__emu` wrapper, which runs every instance on the calling thread. Device
// memory is host memory, but separate from the arrays' own, so mirroring, copies and residency
// behave as on a GPU.
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "runtime/gpu/device.hpp"
#include "runtime/gpu/kernel_abi.hpp"
#include "runtime/gpu/nvrtc.hpp"

namespace kestrel::gpu {
namespace {

namespace fs = std::filesystem;

const char* const kFlags[] = {
    "-std=c++20", "-O1", "-fPIC", "-shared", "-ffp-contract=off", "-DKESTREL_GPU_EMULATION"};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return q + "'";
}

/// Writes the embedded headers under `dir` (runtime/rules/…, runtime/gpu/kernel_abi.hpp), each
/// atomically, unless already there.
void write_headers(const std::string& dir) {
  for (const EmbeddedHeader& h : embedded_headers()) {
    std::string path = dir + "/" + h.name;
    if (!fs::exists(path)) {
      write_file_atomic(path, h.text);
    }
  }
}

/// Runs a shell command; returns its exit status and its output (stdout and stderr).
int run_command(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    *output = "cannot run: " + command;
    return -1;
  }
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
    output->append(buf, n);
  }
  return pclose(pipe);
}

class EmulatedDevice final : public Device {
 public:
  explicit EmulatedDevice(std::string cxx) : cxx_(std::move(cxx)) {}

  std::string name() const override { return "emulated device (" + cxx_ + ")"; }
  int arch() const override { return 0; }
  int multiprocessors() const override { return 1; }
  bool emulated() const override { return true; }

  DevPtr alloc(std::size_t bytes) override {
    void* p = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (p == nullptr) {
      throw GpuError("emulated device: out of memory (" + std::to_string(bytes) + " bytes)");
    }
    return reinterpret_cast<DevPtr>(p);
  }
  void free(DevPtr p) override { std::free(reinterpret_cast<void*>(p)); }
  void to_device(DevPtr dst, const void* src, std::size_t bytes) override {
    std::memcpy(reinterpret_cast<void*>(dst), src, bytes);
  }
  void to_host(void* dst, DevPtr src, std::size_t bytes) override {
    std::memcpy(dst, reinterpret_cast<const void*>(src), bytes);
  }

  ModuleImage build(const std::string& source, const std::string& cache_dir) override {
    auto start = std::chrono::steady_clock::now();
    ModuleImage image;
    std::string base;
    if (cache_dir.empty()) {
      // A private directory, removed once the module is loaded.
      std::string templ = (fs::temp_directory_path() / "kestrel-gpu-XXXXXX").string();
      if (mkdtemp(templ.data()) == nullptr) {
        throw GpuError("emulated device: cannot create a directory in " +
                       fs::temp_directory_path().string());
      }
      base = templ;
      image.temporary = true;
    } else {
      base = cache_dir + "/cuda";
    }
    std::string include = base + "/include-" + embedded_headers_hash();
    std::vector<std::string> key = {"kestrel-cuda-emulated-1", source, cxx_,
                                    embedded_headers_hash()};
    for (const char* f : kFlags) {
      key.emplace_back(f);
    }
    std::string stem = base + "/" + hash_fields(key);
    image.bytes = stem + ".so";
    if (!image.temporary && fs::exists(image.bytes)) {
      image.cache_hit = true;
    } else {
      write_headers(include);
      // Names of this compile's own (two threads or processes may build the same module).
      static std::atomic<unsigned> counter{0};
      std::string own = "." + std::to_string(getpid()) + "." + std::to_string(counter++);
      std::string src = stem + own + ".cpp";
      std::string tmp = stem + own + ".so.tmp";
      write_file_atomic(src, source);
      std::string command = cxx_;
      for (const char* f : kFlags) {
        command += std::string(" ") + f;
      }
      command += " -I" + quote(include) + " -o " + quote(tmp) + " " + quote(src);
      int status = run_command(command, &image.log);
      std::error_code ec;
      fs::remove(src, ec);
      if (status != 0) {
        fs::remove(tmp, ec);
        if (image.temporary) {
          fs::remove_all(base, ec);
        }
        throw GpuError("the emulated device's compiler rejected the generated source (" + command +
                       "):\n" + image.log);
      }
      fs::rename(tmp, image.bytes, ec);
      if (ec) {
        throw GpuError("cannot rename " + tmp + " to " + image.bytes);
      }
    }
    image.compile_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return image;
  }

  void* load(const ModuleImage& image) override {
    void* handle = dlopen(image.bytes.c_str(), RTLD_NOW | RTLD_LOCAL);
    std::string error = handle == nullptr ? dlerror() : "";
    if (image.temporary) {
      // The mapping outlives the file.
      std::error_code ec;
      fs::remove_all(fs::path(image.bytes).parent_path(), ec);
    }
    if (handle == nullptr) {
      throw GpuError("emulated device: cannot load " + image.bytes + ": " + error);
    }
    return handle;
  }
  void unload(void* module) override { dlclose(module); }

  void launch(void* module, const std::string& kernel, const void* params, std::size_t,
              DevPtr status, DevPtr partials, std::int64_t count, unsigned, unsigned) override {
    using Wrapper = void (*)(const void*, Status*, hd::u64*, hd::i64);
    auto fn = reinterpret_cast<Wrapper>(dlsym(module, (kernel + "__emu").c_str()));
    if (fn == nullptr) {
      throw GpuError("emulated device: the module has no " + kernel + "__emu");
    }
    fn(params, reinterpret_cast<Status*>(status), reinterpret_cast<hd::u64*>(partials), count);
  }
  void synchronize() override {}

 private:
  std::string cxx_;
};

}  // namespace

std::shared_ptr<Device> make_emulated_device() {
  std::string cxx = emulation_compiler();
  return std::make_shared<EmulatedDevice>(cxx);
}

}  // namespace kestrel::gpu
