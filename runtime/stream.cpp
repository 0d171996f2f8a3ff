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

namespace kestrel::rt {

namespace {

// Reads `n` bytes at `offset`; false on an error or an early end of file.
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

/// What both kinds share: the reader thread, its stop flag, the queue's lock, the error it met.
class Stream {
 public:
  virtual ~Stream() = default;
  virtual bool next() = 0;

  /// Stops and joins the reader (on the program's thread).
  void stop() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    if (reader_.joinable()) {
      reader_.join();
    }
  }

 protected:
  /// Waits (polling the run's limits, so an interrupt still stops a run waiting here) until
  /// `ready()` holds; called with `lock` held.
  template <class Pred>
  void wait_for_reader(std::unique_lock<std::mutex>& lock, Pred ready) {
    while (!ready()) {
      cv_.wait_for(lock, std::chrono::milliseconds(50));
      if (!ready()) {
        lock.unlock();
        poll();
        lock.lock();
      }
    }
  }

  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool finished_ = false;  // the reader has queued every block (or failed)
  std::string error_;      // the reader's error, raised after the blocks before it
  std::thread reader_;
};

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

  ArrayRef block() const { return current_; }

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

// ---- CSV -------------------------------------------------------------------------------------

/// Splits a file into records (read_csv's rule: newlines inside double quotes belong to the
/// field) without copying more than one block.
class RecordReader {
 public:
  RecordReader(int fd, std::uint64_t size) : fd_(fd), size_(size) {}

  /// Appends up to `count` records (with their line ends) to `out`; returns how many, and adds
  /// the newlines it took to `lines`. False from ok() after a read error.
  std::int64_t take(std::int64_t count, std::string& out, std::int64_t& lines) {
    std::int64_t got = 0;
    while (got < count) {
      if (pos_ == buf_.size() && !refill()) {
        if (pending_) {
          ++got;  // a last record without a line end
          pending_ = false;
        }
        break;
      }
      const char* p = buf_.data() + pos_;
      const char* end = buf_.data() + buf_.size();
      const char* start = p;
      while (p < end && got < count) {
        char c = *p++;
        if (c == '\n') {
          ++lines;
          if (!quoted_ && pending_) {  // a blank line is no record (read_csv skips it)
            ++got;
            pending_ = false;
          }
        } else if (c != '\r') {
          pending_ = true;
          if (c == '"') {
            quoted_ = !quoted_;
          }
        }
      }
      out.append(start, static_cast<std::size_t>(p - start));
      pos_ += static_cast<std::size_t>(p - start);
    }
    return got;
  }

  bool ok() const { return ok_; }
  bool at_end() const { return read_ >= size_; }

 private:
  bool refill() {
    if (at_end()) {
      return false;
    }
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size_ - read_));
    buf_.resize(n);
    if (!read_at(fd_, buf_.data(), n, read_)) {
      ok_ = false;
      buf_.clear();
      read_ = size_;
      return false;
    }
    read_ += n;
    pos_ = 0;
    return true;
  }

  static constexpr std::uint64_t kChunk = std::uint64_t{1} << 20;
  int fd_;
  std::uint64_t size_;
  std::uint64_t read_ = 0;
  std::string buf_;
  std::size_t pos_ = 0;
  bool quoted_ = false;
  bool pending_ = false;  // characters of a record whose end is not read yet (not \r)
  bool ok_ = true;
};

/// `path:L:C: message` from parsing a block (line 1 its header, `header_lines` long) with L moved
/// to the line of the file; other messages unchanged.
std::string relocate(const std::string& message, const std::string& path, std::int64_t header_lines,
                     std::int64_t first_line) {
  std::string prefix = path + ":";
  if (message.compare(0, prefix.size(), prefix) != 0) {
    return message;
  }
  std::size_t k = prefix.size();
  std::size_t digits = k;
  std::int64_t line = 0;
  while (digits < message.size() && message[digits] >= '0' && message[digits] <= '9' &&
         digits - k < 18) {
    line = line * 10 + (message[digits] - '0');
    ++digits;
  }
  if (digits == k || digits >= message.size() || message[digits] != ':' || line <= header_lines) {
    return message;
  }
  return prefix + std::to_string(first_line + (line - header_lines - 1)) + message.substr(digits);
}

class CsvStream final : public Stream {
 public:
  CsvStream(const std::string& path, std::int64_t rows) : path_(path), block_rows_(rows) {
    std::uint64_t size = 0;
    fd_ = open_file(path, size);
    records_ = std::make_unique<RecordReader>(fd_, size);
    try {
      std::int64_t lines = 0;
      records_->take(1, header_, lines);
      if (!records_->ok()) {
        raise(path + ": cannot read file");
      }
      if (!header_.empty() && header_.back() != '\n') {
        header_ += '\n';
      }
      header_lines_ = lines == 0 ? 1 : lines;
      next_line_ = header_lines_ + 1;
      parse_csv(header_, path);  // the header's own errors, at the loop
    } catch (...) {
      ::close(fd_);
      throw;
    }
    reader_ = std::thread([this] { read_blocks(); });
  }

  ~CsvStream() override {
    stop();
    ::close(fd_);
    for (Table* t : ready_) {
      release(t);
    }
  }

  bool next() override {
    current_ = TableRef();
    std::unique_lock<std::mutex> lock(m_);
    wait_for_reader(lock, [&] { return !ready_.empty() || finished_; });
    if (ready_.empty()) {
      if (!error_.empty()) {
        raise(error_);
      }
      return false;
    }
    current_ = TableRef::adopt(ready_.front());
    ready_.pop_front();
    lock.unlock();
    cv_.notify_all();
    return true;
  }

  TableRef block() const { return current_; }

 private:
  void read_blocks() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock,
                 [&] { return stop_ || ready_.size() < static_cast<std::size_t>(kStreamDepth); });
        if (stop_) {
          return;
        }
      }
      std::string text = header_;
      std::int64_t lines = 0;
      std::int64_t got = records_->take(block_rows_, text, lines);
      std::int64_t first_line = next_line_;
      next_line_ += lines;
      std::string error;
      Table* t = nullptr;
      if (!records_->ok()) {
        error = path_ + ": cannot read file";
      } else if (got > 0) {
        try {
          t = parse_csv(std::move(text), path_).detach();
        } catch (const RuntimeError& e) {
          error = relocate(e.what(), path_, header_lines_, first_line);
        }
      }
      {
        std::lock_guard<std::mutex> lock(m_);
        if (t != nullptr) {
          if (t->rows() > 0) {
            ready_.push_back(t);
          } else {
            release(t);  // only blank lines
          }
        }
        if (!error.empty() || got == 0) {
          error_ = error;
          finished_ = true;
        }
      }
      cv_.notify_all();
      if (!error.empty() || got == 0) {
        return;
      }
    }
  }

 private:
  std::string path_;
  std::int64_t block_rows_;
  int fd_ = -1;
  std::unique_ptr<RecordReader> records_;  // the reader thread's after construction
  std::string header_;
  std::int64_t header_lines_ = 1;
  std::int64_t next_line_ = 2;
  std::deque<Table*> ready_;  // under m_
  TableRef current_;
};

// ---- the handles -----------------------------------------------------------------------------

struct Registry {
  std::mutex m;
  std::int64_t next = 1;
  std::unordered_map<std::int64_t, std::shared_ptr<Stream>> open;
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
  check_io("npy_blocks");
  check_rows("npy_blocks", rows);
  return add(std::make_shared<NpyStream>(path, elem, rank, rows));
}

std::int64_t csv_stream_open(const std::string& path, std::int64_t rows) {
  check_io("csv_blocks");
  check_rows("csv_blocks", rows);
  return add(std::make_shared<CsvStream>(path, rows));
}

bool stream_next(std::int64_t handle) {
  std::shared_ptr<Stream> s = find(handle);
  if (s->next()) {
    return true;
  }
  stream_close(handle);
  return false;
}

ArrayRef stream_array(std::int64_t handle) {
  std::shared_ptr<Stream> s = find(handle);
  auto* npy = dynamic_cast<NpyStream*>(s.get());
  KESTREL_ASSERT(npy != nullptr, "stream_array of a CSV stream");
  return npy->block();
}

TableRef stream_table(std::int64_t handle) {
  std::shared_ptr<Stream> s = find(handle);
  auto* csv = dynamic_cast<CsvStream*>(s.get());
  KESTREL_ASSERT(csv != nullptr, "stream_table of a .npy stream");
  return csv->block();
}

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
  }
  s.reset();  // joins the reader, frees the buffers
}

std::int64_t open_streams() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.m);
  return static_cast<std::int64_t>(r.open.size());
}

}  // namespace kestrel::rt
