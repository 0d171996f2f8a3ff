#pragma once
// What the .npy and CSV streams (stream.cpp, csv_stream.cpp) share: positioned reads, opening a
// file, the rows check, and the Stream base class with its reader thread.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/array.hpp"
#include "runtime/csv.hpp"

namespace kestrel::rt::stream_detail {

/// Reads `n` bytes at `offset`; false on an error or an early end of file.
bool read_at(int fd, void* to, std::size_t n, std::uint64_t offset);
/// Opens a regular file for reading and gives its size; raises "PATH: cannot open file".
int open_file(const std::string& path, std::uint64_t& size);
/// Raises "WHAT: rows must be positive, not N" for rows < 1.
void check_rows(const char* what, std::int64_t rows);

/// What both kinds share: the reader thread, its stop flag, the queue's lock, the error it met.
class Stream {
 public:
  virtual ~Stream() = default;
  virtual bool next() = 0;
  /// The current block (the kind's own; the other raises an internal error).
  virtual ArrayRef array() const;
  virtual TableRef table() const;

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
        poll_limits();
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

 private:
  static void poll_limits();
};

/// csv_blocks(path, rows, part, parts) (csv_stream.cpp).
std::shared_ptr<Stream> make_csv_stream(const std::string& path, std::int64_t rows,
                                        std::int64_t part, std::int64_t parts);

}  // namespace kestrel::rt::stream_detail
