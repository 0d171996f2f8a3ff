#include "runtime/stream.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/limits.hpp"
#include "runtime/npy.hpp"
#include "runtime/stream_impl.hpp"

namespace kestrel::rt {

namespace stream_detail {

bool read_at(int fd, void* to, std::size_t n, std::uint64_t offset) {
  auto* p = static_cast<unsigned char*>(to);
  while (n > 0) {
    ssize_t got = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return false;
    }
    p += got;
    n -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
  return true;
}

int open_file(const std::string& path, std::uint64_t& size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    raise(path + ": cannot open file");
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    raise(path + ": cannot read file");
  }
  size = static_cast<std::uint64_t>(st.st_size);
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return fd;
}

void check_rows(const char* what, std::int64_t rows) {
  if (rows < 1) {
    raise(std::string(what) + ": rows must be positive, not " + std::to_string(rows));
  }
}

ArrayRef Stream::array() const {
  internal_error(__FILE__, __LINE__, "stream_array of a CSV stream");
}
TableRef Stream::table() const {
  internal_error(__FILE__, __LINE__, "stream_table of a .npy stream");
}
void Stream::poll_limits() { poll(); }

}  // namespace stream_detail

namespace {

using stream_detail::check_rows;
using stream_detail::open_file;
using stream_detail::read_at;
using stream_detail::Stream;

// ---- .npy ------------------------------------------------------------------------------------

class NpyStream final : public Stream {
 public:
  NpyStream(const std::string& path, Elem elem, int rank, std::int64_t rows) : path_(path) {
    std::uint64_t size = 0;
    fd_ = open_file(path, size);
    try {
      std::vector<unsigned char> head(
          static_cast<std::size_t>(std::min<std::uint64_t>(size, std::uint64_t{1} << 20)));
      if (!read_at(fd_, head.data(), head.size(), 0)) {
        raise(path + ": cannot read file");
      }
      NpyLayout layout = npy_layout(path, head.data(), head.size(), size, elem, rank);
      elem_ = elem;
      rank_ = rank;
      total_rows_ = layout.shape.dims[0];
      cols_ = rank == 2 ? layout.shape.dims[1] : 1;
      block_rows_ = rows;
      offset_ = layout.data_offset;
      row_bytes_ = static_cast<std::uint64_t>(cols_) * elem_size(elem);
      std::int64_t cap = std::min<std::int64_t>(rows, std::max<std::int64_t>(total_rows_, 1));
      block_rows_ = cap;
      for (int k = 0; k < kStreamDepth; ++k) {
        free_.push_back(fresh().detach());
      }
      circulating_ = kStreamDepth;
    } catch (...) {
      ::close(fd_);
      throw;
    }
    reader_ = std::thread([this] { read_blocks(); });
  }

  ~NpyStream() override {
    stop();
    ::close(fd_);
    for (Array* a : free_) {
      release(a);
    }
    for (const Ready& r : ready_) {
      release(r.block);
    }
    for (Array* a : lent_) {
      release(a);
    }
  }

  bool next() override {
    // Blocks the program has dropped (only the stream's reference left, on the array and its
    // buffer) go back to the reader; one the program keeps is left to it after two more blocks.
    // The reader always has kStreamDepth buffers, fresh ones when the program keeps some.
    current_ = ArrayRef();
    for (std::size_t k = 0; k < lent_.size();) {
      Array* a = lent_[k];
      if (a->refs == 1 && a->buffer->refs() == 1) {
        lent_.erase(lent_.begin() + static_cast<std::ptrdiff_t>(k));
        recycle(a);
      } else {
        ++k;
      }
    }
    while (lent_.size() > 2) {
      release(lent_.front());
      lent_.erase(lent_.begin());
    }
    while (circulating_ < kStreamDepth) {
      recycle(fresh().detach());
    }
    std::unique_lock<std::mutex> lock(m_);
    wait_for_reader(lock, [&] { return !ready_.empty() || finished_; });
    if (ready_.empty()) {
      if (!error_.empty()) {
        raise(error_);
      }
      return false;
    }
    Ready r = ready_.front();
    ready_.pop_front();
    lock.unlock();
    --circulating_;
    if (r.rows == block_rows_) {
      lent_.push_back(r.block);
      current_ = ArrayRef(r.block);
    } else {  // the short last block: its own array of the exact size
      ArrayRef last = alloc(shape(r.rows), elem_);
      std::memcpy(last->data, r.block->data, static_cast<std::size_t>(r.rows) * row_bytes_);
      recycle(r.block);
      current_ = last;
    }
    return true;
  }

  ArrayRef array() const override { return current_; }

 private:
  struct Ready {
    Array* block;
    std::int64_t rows;
  };

  Shape shape(std::int64_t rows) const { return rank_ == 2 ? Shape(rows, cols_) : Shape(rows); }
  ArrayRef fresh() const { return alloc(shape(block_rows_), elem_); }

  void recycle(Array* a) {
    ++circulating_;
    {
      std::lock_guard<std::mutex> lock(m_);
      free_.push_back(a);
    }
    cv_.notify_all();
  }

  // The reader thread: fills free buffers in file order.
  void read_blocks() {
    std::int64_t done = 0;
    while (done < total_rows_) {
      Array* a = nullptr;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return stop_ || !free_.empty(); });
        if (stop_) {
          return;
        }
        a = free_.front();
        free_.pop_front();
      }
      std::int64_t n = std::min(block_rows_, total_rows_ - done);
      std::uint64_t bytes = static_cast<std::uint64_t>(n) * row_bytes_;
      bool ok =
          read_at(fd_, a->data, bytes, offset_ + static_cast<std::uint64_t>(done) * row_bytes_);
      if (ok && elem_ == Elem::Bool) {
        auto* p = static_cast<unsigned char*>(a->data);
        for (std::uint64_t i = 0; i < bytes; ++i) {
          p[i] = p[i] != 0;
        }
      }
      {
        std::lock_guard<std::mutex> lock(m_);
        if (!ok) {
          free_.push_back(a);
          error_ = path_ + ": cannot read rows " + std::to_string(done) + " to " +
                   std::to_string(done + n) + " (file changed or unreadable)";
          finished_ = true;
        } else {
          ready_.push_back(Ready{a, n});
        }
      }
      cv_.notify_all();
      if (!ok) {
        return;
      }
      done += n;
    }
    {
      std::lock_guard<std::mutex> lock(m_);
      finished_ = true;
    }
    cv_.notify_all();
  }

  std::string path_;
  int fd_ = -1;
  Elem elem_ = Elem::F64;
  int rank_ = 1;
  std::int64_t total_rows_ = 0;
  std::int64_t cols_ = 1;
  std::int64_t block_rows_ = 1;
  std::uint64_t offset_ = 0;
  std::uint64_t row_bytes_ = 0;
  std::deque<Array*> free_;  // under m_
  std::deque<Ready> ready_;  // under m_
  // The program's thread only: the buffers in free_, ready_ or being read; those handed to the
  // program (one reference each held here); the current block.
  int circulating_ = 0;
  std::vector<Array*> lent_;
  ArrayRef current_;
};

// ---- the handles -----------------------------------------------------------------------------

struct Registry {
  std::mutex m;
  std::int64_t next = 1;
  std::unordered_map<std::int64_t, std::shared_ptr<Stream>> open;
  std::unordered_map<std::int64_t, std::uint64_t> owner;  // the run that opened each
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: a stream may outlive static teardown
  return *r;
}

std::int64_t add(std::shared_ptr<Stream> s) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.m);
  std::int64_t h = r.next++;
  r.open.emplace(h, std::move(s));
  r.owner.emplace(h, current_limits() != nullptr ? current_limits()->run : 0);
  return h;
}

std::shared_ptr<Stream> find(std::int64_t h) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.m);
  auto it = r.open.find(h);
  if (it == r.open.end()) {
    raise("stream " + std::to_string(h) + " is closed");
  }
  return it->second;
}

}  // namespace

std::int64_t npy_stream_open(const std::string& path, Elem elem, int rank, std::int64_t rows) {
  check_io("npy_blocks", path);
  check_rows("npy_blocks", rows);
  return add(std::make_shared<NpyStream>(path, elem, rank, rows));
}

std::int64_t csv_stream_open(const std::string& path, std::int64_t rows, std::int64_t part,
                             std::int64_t parts) {
  check_io("csv_blocks", path);
  check_rows("csv_blocks", rows);
  if (parts < 1) {
    raise("csv_blocks: parts must be positive, not " + std::to_string(parts));
  }
  if (part < 0 || part >= parts) {
    raise("csv_blocks: part must be from 0 to parts - 1 (" + std::to_string(parts - 1) + "), not " +
          std::to_string(part));
  }
  return add(stream_detail::make_csv_stream(path, rows, part, parts));
}

bool stream_next(std::int64_t handle) {
  std::shared_ptr<Stream> s = find(handle);
  if (s->next()) {
    return true;
  }
  stream_close(handle);
  return false;
}

ArrayRef stream_array(std::int64_t handle) { return find(handle)->array(); }

TableRef stream_table(std::int64_t handle) { return find(handle)->table(); }

void stream_close(std::int64_t handle) {
  std::shared_ptr<Stream> s;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.m);
    auto it = r.open.find(handle);
    if (it == r.open.end()) {
      return;
    }
    s = std::move(it->second);
    r.open.erase(it);
    r.owner.erase(handle);
  }
  s.reset();  // joins the reader, frees the buffers
}

void close_run_streams(std::uint64_t run) {
  std::vector<std::shared_ptr<Stream>> closing;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.m);
    for (auto it = r.owner.begin(); it != r.owner.end();) {
      if (run != 0 && it->second == run) {
        auto open = r.open.find(it->first);
        closing.push_back(std::move(open->second));
        r.open.erase(open);
        it = r.owner.erase(it);
      } else {
        ++it;
      }
    }
  }
  closing.clear();  // joins the readers, frees the buffers
}

std::int64_t open_streams() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.m);
  return static_cast<std::int64_t>(r.open.size());
}

}  // namespace kestrel::rt
