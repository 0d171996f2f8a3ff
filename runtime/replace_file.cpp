// Writing a file whole or not at all (see replace_file.hpp).
#include "runtime/replace_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdlib>

#include "runtime/error.hpp"

namespace kestrel::rt {

std::string temporary_beside(const std::string& path) {
  static std::atomic<std::uint64_t> serial{0};
  return path + ".kestrel-tmp-" + std::to_string(::getpid()) + "-" +
         std::to_string(serial.fetch_add(1));
}

namespace {

/// The file that writing `path` in place would change: the target of a symbolic link (links
/// followed to the end), else `path` itself.
std::string file_written(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
    return path;
  }
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) != nullptr) {
    return resolved;
  }
  return path;  // a dangling link: the name is replaced, as nothing else can be written
}

}  // namespace

void replace_file(const std::string& named, const std::function<bool(std::FILE*)>& write) {
  // As writing in place would: a symbolic link stays a link (the file it names is replaced, not
  // the link), and a file that exists keeps its permissions (a fresh file gets 0666 less the
  // umask). Other names of a hard-linked file keep the old contents.
  std::string path = file_written(named);
  std::string tmp = temporary_beside(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  struct stat old {};
  if (fd >= 0 && ::stat(path.c_str(), &old) == 0 && S_ISREG(old.st_mode)) {
    ::fchmod(fd, old.st_mode & 07777);
  }
  std::FILE* f = fd < 0 ? nullptr : ::fdopen(fd, "wb");
  if (!f) {
    if (fd >= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
    }
    raise(named + ": cannot write file");
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
    raise(named + ": cannot write file");
  }
}

}  // namespace kestrel::rt
