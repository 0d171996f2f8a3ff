// The JIT module's loader (dsl/engine/jit_loader.hpp), in a process of its own so that the first
// load is this test's: failures name the path and leave nothing loaded; then threads racing for
// the first load all get the one module (a tiered run's compile thread loads it while the
// interpreter runs).
#include "dsl/engine/jit_loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "kestrel/kestrel.hpp"

namespace {

using kestrel::engine::jit_module;
using kestrel::engine::jit_module_loaded;

std::string load_error() {
  try {
    jit_module();
  } catch (const kestrel::Error& e) {
    return e.what();
  }
  return "";
}

TEST(JitLoader, FailuresNameThePathThenThreadsShareOneLoad) {
  ASSERT_FALSE(jit_module_loaded());
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("kestrel_jit_loader_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);

  // Missing: one line, naming the path.
  std::string missing = (dir / "absent" / "libkestrel_jit.so").string();
  setenv("KESTREL_JIT_MODULE", missing.c_str(), 1);
  std::string err = load_error();
  EXPECT_NE(err.find(missing), std::string::npos) << err;
  EXPECT_EQ(err.rfind("error: ", 0), 0u) << err;
  EXPECT_EQ(err.find('\n'), err.size() - 1) << err;

  // Not a shared object at all.
  std::string junk = (dir / "libkestrel_jit.so").string();
  std::ofstream(junk) << "not an ELF file\n";
  setenv("KESTREL_JIT_MODULE", junk.c_str(), 1);
  err = load_error();
  EXPECT_NE(err.find(junk), std::string::npos) << err;

  // A shared object without the entry (the C library's math part).
  setenv("KESTREL_JIT_MODULE", "libm.so.6", 1);
  err = load_error();
  EXPECT_NE(err.find("no kestrel_jit_module"), std::string::npos) << err;
  EXPECT_FALSE(jit_module_loaded());
  unsetenv("KESTREL_JIT_MODULE");
  std::filesystem::remove_all(dir);

  // Eight threads race for the first load (and for LLVM's one-time set-up in make_host).
  constexpr int kThreads = 8;
  std::vector<const kestrel::jit::ModuleApi*> seen(kThreads, nullptr);
  std::vector<bool> hosts(kThreads, false);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const kestrel::jit::ModuleApi& api = jit_module();
      seen[i] = &api;
      hosts[i] = api.make_host(2) != nullptr;
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_TRUE(jit_module_loaded());
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(seen[i], seen[0]) << "thread " << i;
    EXPECT_TRUE(hosts[i]) << "thread " << i;
  }
  EXPECT_EQ(seen[0], &jit_module());
  EXPECT_EQ(seen[0]->abi_version, kestrel::jit::kModuleAbiVersion);
}

}  // namespace
