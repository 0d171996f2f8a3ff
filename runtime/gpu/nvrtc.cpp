#include "runtime/gpu/nvrtc.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace kestrel::gpu {
namespace {

const NvrtcApi& nvrtc() {
  std::string why;
  const NvrtcApi* api = nvrtc_api(&why);
  if (api == nullptr) {
    throw GpuError(why);
  }
  return *api;
}

std::string nvrtc_error(const NvrtcApi& api, int r) {
  const char* text = api.nvrtcGetErrorString(r);
  return text != nullptr ? text : "NVRTC error " + std::to_string(r);
}

void check_nvrtc(const NvrtcApi& api, int r, const char* what) {
  if (r != 0) {
    throw GpuError(std::string(what) + ": " + nvrtc_error(api, r));
  }
}

std::uint64_t fnv1a(std::span<const std::string> fields, std::uint64_t seed) {
  std::uint64_t h = seed;
  auto mix = [&h](unsigned char byte) {
    h ^= byte;
    h *= 0x100000001b3ULL;
  };
  for (const std::string& f : fields) {
    std::uint64_t n = f.size();
    for (int k = 0; k < 8; ++k) {
      mix(static_cast<unsigned char>(n >> (8 * k)));
    }
    for (char c : f) {
      mix(static_cast<unsigned char>(c));
    }
  }
  return h;
}

std::string hex16(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

/// The NVRTC program, destroyed on every path.
struct ProgramHandle {
  const NvrtcApi& api;
  nvrtcProgram prog = nullptr;
  ~ProgramHandle() {
    if (prog != nullptr) {
      api.nvrtcDestroyProgram(&prog);
    }
  }
};

}  // namespace

const std::string& embedded_headers_hash() {
  static const std::string hash = [] {
    std::vector<std::string> fields;
    for (const EmbeddedHeader& h : embedded_headers()) {
      fields.emplace_back(h.name);
      fields.emplace_back(h.text);
    }
    return hex16(fnv1a(fields, 0xcbf29ce484222325ULL));
  }();
  return hash;
}

std::string hash_fields(std::span<const std::string> fields) {
  return hex16(fnv1a(fields, 0xcbf29ce484222325ULL)) + hex16(fnv1a(fields, 0x84222325cbf29ce4ULL));
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path target(path);
  fs::create_directories(target.parent_path(), ec);
  static std::atomic<unsigned> counter{0};
  std::string tmp = path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      throw GpuError("cannot write " + tmp);
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw GpuError("cannot rename " + tmp + " to " + path);
  }
}

bool read_file(const std::string& path, std::string* bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  *bytes = ss.str();
  return static_cast<bool>(in) || in.eof();
}

int nvrtc_version() {
  const NvrtcApi& api = nvrtc();
  int major = 0;
  int minor = 0;
  check_nvrtc(api, api.nvrtcVersion(&major, &minor), "nvrtcVersion");
  return major * 10 + minor;
}

std::vector<int> nvrtc_supported_archs() {
  const NvrtcApi& api = nvrtc();
  if (api.nvrtcGetNumSupportedArchs == nullptr || api.nvrtcGetSupportedArchs == nullptr) {
    return {};
  }
  int n = 0;
  check_nvrtc(api, api.nvrtcGetNumSupportedArchs(&n), "nvrtcGetNumSupportedArchs");
  std::vector<int> archs(static_cast<std::size_t>(n));
  if (n > 0) {
    check_nvrtc(api, api.nvrtcGetSupportedArchs(archs.data()), "nvrtcGetSupportedArchs");
  }
  return archs;
}

CompileOptions target_for_device(int device_arch, const std::vector<int>& supported) {
  CompileOptions o;
  o.arch = device_arch;
  o.output = Output::Cubin;
  if (supported.empty() ||
      std::find(supported.begin(), supported.end(), device_arch) != supported.end()) {
    return o;
  }
  int best = 0;
  for (int a : supported) {
    if (a <= device_arch && a > best) {
      best = a;
    }
  }
  if (best == 0) {
    throw GpuError("NVRTC " + std::to_string(nvrtc_version() / 10) + "." +
                   std::to_string(nvrtc_version() % 10) +
                   " cannot compile for this device's architecture (sm_" +
                   std::to_string(device_arch) + ") or any below it");
  }
  o.arch = best;
  o.output = Output::Ptx;
  return o;
}

std::vector<std::string> nvrtc_options(const CompileOptions& options) {
  std::string arch = std::to_string(options.arch);
  std::vector<std::string> opts = {options.output == Output::Cubin
                                       ? "--gpu-architecture=sm_" + arch
                                       : "--gpu-architecture=compute_" + arch,
                                   "--fmad=false", "--std=c++20"};
  opts.insert(opts.end(), options.extra.begin(), options.extra.end());
  return opts;
}

Compiled compile_cuda(const std::string& source, const CompileOptions& options) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  const NvrtcApi& api = nvrtc();
  std::vector<std::string> opts = nvrtc_options(options);
  Compiled out;
  out.output = options.output;
  auto elapsed_ms = [&start] {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };

  std::string cache_path;
  if (!options.cache_dir.empty()) {
    std::vector<std::string> key = {"kestrel-cuda-1", source, std::to_string(nvrtc_version()),
                                    options.output == Output::Cubin ? "cubin" : "ptx",
                                    embedded_headers_hash()};
    key.insert(key.end(), opts.begin(), opts.end());
    cache_path = options.cache_dir + "/cuda/" + hash_fields(key) +
                 (options.output == Output::Cubin ? ".cubin" : ".ptx");
    if (read_file(cache_path, &out.image) && !out.image.empty()) {
      out.cache_hit = true;
      out.compile_ms = elapsed_ms();
      return out;
    }
  }

  if (options.output == Output::Cubin && api.nvrtcGetCUBIN == nullptr) {
    throw GpuError("this NVRTC cannot emit a cubin (nvrtcGetCUBIN is missing)");
  }
  std::vector<const char*> names;
  std::vector<const char*> texts;
  for (const EmbeddedHeader& h : embedded_headers()) {
    names.push_back(h.name);
    texts.push_back(h.text);
  }
  ProgramHandle prog{api};
  check_nvrtc(api,
              api.nvrtcCreateProgram(&prog.prog, source.c_str(), "kestrel.cu",
                                     static_cast<int>(names.size()), texts.data(), names.data()),
              "nvrtcCreateProgram");
  std::vector<const char*> argv;
  for (const std::string& o : opts) {
    argv.push_back(o.c_str());
  }
  int status = api.nvrtcCompileProgram(prog.prog, static_cast<int>(argv.size()), argv.data());
  std::size_t log_size = 0;
  if (api.nvrtcGetProgramLogSize(prog.prog, &log_size) == 0 && log_size > 1) {
    out.log.resize(log_size);
    api.nvrtcGetProgramLog(prog.prog, out.log.data());
    out.log.resize(log_size - 1);  // the terminating NUL
  }
  if (status != 0) {
    throw GpuError("NVRTC could not compile the generated CUDA C++ (" + nvrtc_error(api, status) +
                   "):\n" + out.log);
  }
  std::size_t size = 0;
  if (options.output == Output::Cubin) {
    check_nvrtc(api, api.nvrtcGetCUBINSize(prog.prog, &size), "nvrtcGetCUBINSize");
    out.image.resize(size);
    check_nvrtc(api, api.nvrtcGetCUBIN(prog.prog, out.image.data()), "nvrtcGetCUBIN");
  } else {
    check_nvrtc(api, api.nvrtcGetPTXSize(prog.prog, &size), "nvrtcGetPTXSize");
    out.image.resize(size);
    check_nvrtc(api, api.nvrtcGetPTX(prog.prog, out.image.data()), "nvrtcGetPTX");
    if (!out.image.empty() && out.image.back() == '\0') {
      out.image.pop_back();
    }
  }
  out.compile_ms = elapsed_ms();
  if (!cache_path.empty()) {
    try {
      write_file_atomic(cache_path, out.image);
    } catch (const GpuError&) {
      // An unwritable cache costs the next run a compile, nothing else.
    }
  }
  return out;
}

}  // namespace kestrel::gpu
