// Writing a file whole or not at all (see replace_file.hpp).
#include "runtime/replace_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "runtime/error.hpp"

namespace kestrel::rt {

std::string temporary_beside(const std::string& path) {
  static std::atomic<std::uint64_t> serial{0};
  return path + ".kestrel-tmp-" + std::to_string(::getpid()) + "-" +
         std::to_string(serial.fetch_add(1));
}

void replace_file(const std::string& path, const std::function<bool(std::FILE*)>& write) {
  std::string tmp = temporary_beside(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  std::FILE* f = fd < 0 ? nullptr : ::fdopen(fd, "wb");
  if (!f) {
    if (fd >= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
    }
    raise(path + ": cannot write file");
  }
  bool ok = false;
  try {
    ok = write(f);
  } catch (...) {
    std::fclose(f);
    ::unlink(tmp.c_str());
    throw;
  }
  ok = std::fclose(f) == 0 && ok;
  ok = ok && std::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    ::unlink(tmp.c_str());
    raise(path + ": cannot write file");
  }
}

}  // namespace kestrel::rt
