#include "runtime/npy_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

#include "runtime/error.hpp"
#include "runtime/limits.hpp"
#include "runtime/npy.hpp"
#include "runtime/replace_file.hpp"

namespace kestrel::rt {

namespace {

// The header's room at the start of the file: a format 1.0 header padded to 128 bytes holds any
// shape of two 64-bit dimensions.
constexpr std::size_t kHeaderBytes = 128;

struct Writer {
  std::string tmp;
  int fd = -1;
  Elem elem = Elem::F64;
  int rank = 1;
  std::int64_t cols = 1;
  std::int64_t rows = 0;
  std::uint64_t run = 0;  // the run that started it (its Limits::run)
};

std::mutex& writers_mutex() {
  static std::mutex* m = new std::mutex;
  return *m;
}
std::map<std::string, Writer>& writers() {
  static auto* w = new std::map<std::string, Writer>;
  return *w;
}

// At the process's exit, the files npy_append started that no npy_finish completed (a run that
// failed or stopped before it) are removed: half a file is never left beside its path.
void remove_unfinished() { remove_run_writers(0, true); }

std::string header_for(const Writer& w) {
  std::string head = npy_header(w.elem, w.rank == 2 ? Shape(w.rows, w.cols) : Shape(w.rows));
  if (head.size() < kHeaderBytes) {
    head.insert(head.size() - 1, kHeaderBytes - head.size(), ' ');
    std::size_t len = head.size() - 10;
    head[8] = static_cast<char>(len & 0xff);
    head[9] = static_cast<char>((len >> 8) & 0xff);
  }
  return head;
}

bool write_all(int fd, const void* data, std::size_t n, off_t at) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t put = ::pwrite(fd, p, n, at);
    if (put <= 0) {
      return false;
    }
    p += put;
    n -= static_cast<std::size_t>(put);
    at += put;
  }
  return true;
}

}  // namespace

void npy_append(const std::string& path, const Array& a) {
  check_io("npy_append", path);
  if (a.elem == Elem::Str) {
    raise(path + ": npy_append takes numeric or bool arrays, not strings");
  }
  std::lock_guard<std::mutex> lock(writers_mutex());
  auto it = writers().find(path);
  std::int64_t cols = a.rank == 2 ? a.shape[1] : 1;
  if (it == writers().end()) {
    static const bool at_exit = std::atexit(remove_unfinished) == 0;
    (void)at_exit;
    Writer w;
    w.tmp = temporary_beside(path);
    w.fd = ::open(w.tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (w.fd < 0) {
      raise(path + ": cannot write file");
    }
    w.elem = a.elem;
    w.run = current_limits() != nullptr ? current_limits()->run : 0;
    w.rank = a.rank;
    w.cols = cols;
    it = writers().emplace(path, std::move(w)).first;
  }
  Writer& w = it->second;
  if (a.elem != w.elem || a.rank != w.rank || cols != w.cols) {
    std::string was = std::string(elem_name(w.elem)) +
                      (w.rank == 2 ? "[:, :] of " + std::to_string(w.cols) + " columns" : "[:]");
    std::string now = std::string(elem_name(a.elem)) +
                      (a.rank == 2 ? "[:, :] of " + std::to_string(cols) + " columns" : "[:]");
    raise(path + ": npy_append of " + now + " to a file of " + was);
  }
  ArrayRef dense;
  const Array* src = &a;
  if (!a.is_contiguous()) {
    dense = copy(a);
    src = dense.get();
  }
  std::size_t bytes = static_cast<std::size_t>(src->size()) * elem_size(src->elem);
  off_t at = static_cast<off_t>(kHeaderBytes) +
             static_cast<off_t>(w.rows * w.cols) * static_cast<off_t>(elem_size(w.elem));
  if (!write_all(w.fd, src->data, bytes, at)) {
    raise(path + ": cannot write file");
  }
  w.rows += a.shape[0];
}

void npy_finish(const std::string& path) {
  check_io("npy_finish", path);
  Writer w;
  {
    std::lock_guard<std::mutex> lock(writers_mutex());
    auto it = writers().find(path);
    if (it == writers().end()) {
      raise("npy_finish: nothing was appended to " + path);
    }
    w = std::move(it->second);
    writers().erase(it);
  }
  std::string head = header_for(w);
  bool ok = head.size() == kHeaderBytes && write_all(w.fd, head.data(), head.size(), 0);
  ok = ::close(w.fd) == 0 && ok;
  ok = ok && std::rename(w.tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    ::unlink(w.tmp.c_str());
    raise(path + ": cannot write file");
  }
}

void remove_run_writers(std::uint64_t run, bool all) {
  std::lock_guard<std::mutex> lock(writers_mutex());
  for (auto it = writers().begin(); it != writers().end();) {
    if (all || (run != 0 && it->second.run == run)) {
      ::close(it->second.fd);
      ::unlink(it->second.tmp.c_str());
      it = writers().erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace kestrel::rt
