// Where the JIT's object cache lives (codegen/llvm/object_cache.hpp's default_dir and dir_of).
// Kept apart from object_cache.cpp, and out of the LLVM-linked kestrel_llvm, because the engine
// asks it without compiling anything (the GPU's kernel cache goes in its cuda/ subfolder): the
// kestrel_jit_host library this builds into needs no LLVM, so asking does not load the JIT.
#include <cstdlib>
#include <string>

#include "codegen/llvm/object_cache.hpp"

namespace kestrel::jit::cache {

namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

}  // namespace

std::filesystem::path default_dir() {
  std::string xdg = env_or_empty("XDG_CACHE_HOME");
  if (!xdg.empty() && xdg[0] == '/') {
    return std::filesystem::path(xdg) / "kestrel";
  }
  std::string home = env_or_empty("HOME");
  if (!home.empty()) {
    return std::filesystem::path(home) / ".cache" / "kestrel";
  }
  return {};
}

std::filesystem::path dir_of(const Options& options) {
  // KESTREL_JIT_CPU (jit.cpp's host_builder) compiles for another CPU than the keys name.
  if (!options.use_cache || !env_or_empty("KESTREL_JIT_CPU").empty()) {
    return {};
  }
  return options.cache_dir.empty() ? default_dir() : options.cache_dir;
}

}  // namespace kestrel::jit::cache
