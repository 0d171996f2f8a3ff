#pragma once
// Where a loadable module (libkestrel_jit.so, libkestrel_mpi.so) is looked for: beside the
// executable or shared library the caller's code is in.
#include <dlfcn.h>

#include <filesystem>
#include <system_error>

namespace kestrel::rt {

/// The folder of the executable or shared library holding the code at `symbol` (pass the
/// address of a function of the caller's own), else the executable's folder; empty when
/// neither is known.
inline std::filesystem::path library_dir(const void* symbol) {
  Dl_info info{};
  if (dladdr(symbol, &info) != 0 && info.dli_fname != nullptr && info.dli_fname[0] != '\0') {
    std::error_code ec;
    std::filesystem::path file = std::filesystem::canonical(info.dli_fname, ec);
    if (!ec) {
      return file.parent_path();
    }
  }
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

}  // namespace kestrel::rt
