// The JIT module's loader (dsl/engine/jit_loader.hpp).
#include "dsl/engine/jit_loader.hpp"

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <system_error>

#include "codegen/llvm/object_cache.hpp"
#include "kestrel/kestrel.hpp"
#include "runtime/library_dir.hpp"

namespace kestrel::engine {

namespace {

std::atomic<const jit::ModuleApi*> loaded_api{nullptr};
std::mutex load_mutex;

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& why) {
  throw Error("error: cannot load the JIT (" + path.string() + "): " + why +
              "; --interp runs without it\n");
}

/// Loads the module at `path` and checks that it comes from this build.
const jit::ModuleApi* load(const std::filesystem::path& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    fail(path, why != nullptr ? why : "dlopen failed");
  }
  auto entry = reinterpret_cast<const jit::ModuleApi* (*)()>(dlsym(handle, jit::kModuleEntry));
  if (entry == nullptr) {
    fail(path, std::string("no ") + jit::kModuleEntry + " in it");
  }
  const jit::ModuleApi* api = entry();
  if (api == nullptr || api->abi_version != jit::kModuleAbiVersion ||
      api->options_size != sizeof(jit::Options) || api->program_size != sizeof(ir::Program) ||
      api->make_host == nullptr || api->compile == nullptr) {
    fail(path, "it comes from another build of kestrel");
  }
  // Never unloaded: code it compiled, and the Hosts it made, live until the process ends.
  return api;
}

/// The candidate jit_module() loads: the first that exists (its failure is then reported); when
/// none does, the first, to be named in the error.
std::filesystem::path chosen(const std::vector<std::filesystem::path>& candidates) {
  for (const std::filesystem::path& c : candidates) {
    std::error_code ec;
    if (std::filesystem::exists(c, ec)) {
      return c;
    }
  }
  return candidates.front();
}

}  // namespace

std::string jit_module_identity() {
  static const std::string identity = [] {
    std::vector<std::filesystem::path> candidates = jit_module_candidates();
    return candidates.empty() ? std::string() : jit::cache::file_identity(chosen(candidates));
  }();
  return identity;
}

std::filesystem::path engine_file_dir() {
  return rt::library_dir(reinterpret_cast<const void*>(&load));
}

std::vector<std::filesystem::path> jit_module_candidates() {
  if (const char* env = std::getenv("KESTREL_JIT_MODULE"); env != nullptr && env[0] != '\0') {
    return {std::filesystem::path(env)};
  }
  std::vector<std::filesystem::path> out;
  std::filesystem::path dir = rt::library_dir(reinterpret_cast<const void*>(&load));
  if (!dir.empty()) {
    out.push_back(dir / jit::kModuleFile);
    out.push_back(dir.parent_path() / "lib" / jit::kModuleFile);
  }
#ifdef KESTREL_JIT_BUILD_DIR
  out.push_back(std::filesystem::path(KESTREL_JIT_BUILD_DIR) / jit::kModuleFile);
#endif
  return out;
}

const jit::ModuleApi& jit_module() {
  if (const jit::ModuleApi* api = loaded_api.load(std::memory_order_acquire)) {
    return *api;
  }
  std::lock_guard<std::mutex> lock(load_mutex);
  if (const jit::ModuleApi* api = loaded_api.load(std::memory_order_relaxed)) {
    return *api;
  }
  std::vector<std::filesystem::path> candidates = jit_module_candidates();
  if (candidates.empty()) {
    fail(jit::kModuleFile, "no folder to look in");
  }
  const jit::ModuleApi* api = load(chosen(candidates));
  loaded_api.store(api, std::memory_order_release);
  return *api;
}

bool jit_module_loaded() { return loaded_api.load(std::memory_order_acquire) != nullptr; }

}  // namespace kestrel::engine
