// csv_blocks(path, rows) and csv_blocks(path, rows, part, parts): a CSV file read `rows` records at
// a time by a reader thread, each block parsed into a table with the file's header.
//
// A part (parts > 1) is the Hadoop rule: part K holds the records that START in the file's bytes
// [size * K / parts, size * (K + 1) / parts), the header excluded; a part aligns its start to the
// next line start and reads its last record through its end, so the parts in order are the file's
// records, each once, for any number of parts (a part may hold none). A part cannot know whether
// its first byte is inside a quoted field, so with parts > 1 a record is a line: a quoted field
// holding a line end is an error ("... splits the file at line ends"). The part where such a
// record starts reads it whole and reports it; a later part that started inside it may instead
// report a ragged record, or (rarely) read the field's last line as a record of its own -- the
// error from the earlier part comes first when the parts are read in order, and under mpirun the
// run fails on that rank. Errors name the file's line: a part counts the newlines before its start
// only when it reports one.
#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/csv_scan.hpp"
#include "runtime/error.hpp"
#include "runtime/huge_pages.hpp"
#include "runtime/limits.hpp"
#include "runtime/parallel.hpp"
#include "runtime/stream.hpp"
#include "runtime/stream_impl.hpp"

namespace kestrel::rt::stream_detail {

namespace {

constexpr std::size_t kNone = std::string::npos;

/// Splits a file into blocks of whole records (read_csv's rule: a newline inside double quotes
/// belongs to the field; or, in lines mode, every line end ends a record). The bytes are read
/// straight into the block's text; only the part of the last chunk past the block's end is
/// copied, to start the next block.
class RecordReader {
 public:
  RecordReader(int fd, std::uint64_t size) : fd_(fd), size_(size), end_(size) {}

  /// From now on, records are lines, read from `start`; none that starts at or after `end`.
  void lines_from(std::uint64_t start, std::uint64_t end) {
    lines_ = true;
    next_ = start;
    file_pos_ = start;
    end_ = end;
    leftover_.clear();
  }

  /// Sets `out` to `prefix` and up to `count` whole records (with their line ends); returns how
  /// many (blank lines are no records) and adds the newlines taken to `lines`. False from ok()
  /// after a read error.
  std::int64_t take(std::int64_t count, std::string& out, std::int64_t& lines,
                    const std::string& prefix = std::string(),
                    std::vector<Table::LineMark>* marks = nullptr) {
    // Room for a block as long as the last one, and a chunk more, so that it is not moved. The
    // first block's length is estimated from its first chunk's records once read (below): a
    // string grown by doubling would copy the block and touch new pages at every step. `out`
    // is kept as long as its room, with the bytes read in its first `filled`: growing a string
    // zero-fills the new part, so a reused buffer (as long as the last block) grows by a chunk
    // at most, and is cut to the block at the end, which fills nothing. A buffer with too
    // little room for this block is replaced, not grown: its bytes are the last block's (nothing
    // to copy), and a string grown past its capacity doubles it (a buffer made for one block,
    // given the next, a few bytes longer, was copied into twice the memory, all of it new pages).
    std::size_t room = prefix.size() + std::max(last_block_, leftover_.size()) + kChunk;
    grow(out, room, 0);
    bool estimate = !sized_ && count > 1;
    sized_ = sized_ || count > 1;
    std::memcpy(out.data(), prefix.data(), prefix.size());
    std::memcpy(out.data() + prefix.size(), leftover_.data(), leftover_.size());
    std::size_t filled = prefix.size() + leftover_.size();
    leftover_.clear();
    std::uint64_t base = next_ - prefix.size();  // the file offset out[k] would have
    std::size_t rs = prefix.size();              // the record's start
    std::size_t j = rs;                          // scanned up to
    bool in_quotes = false;
    std::size_t q = kNone;  // the next quote at or after j (quotes mode), when below q_scan
    std::size_t q_scan = rs;
    std::int64_t got = 0;
    bool done = lines_ && base + rs >= end_;  // the next record belongs to the next part
    // Line marks for the parallel split (Storage::marks): newlines in out before a line start,
    // the prefix's and those counted here.
    const std::int64_t lines_before =
        lines - static_cast<std::int64_t>(std::count(prefix.begin(), prefix.end(), '\n'));
    std::size_t next_mark = rs + Table::kPieceBytes;
    if (marks != nullptr) {
      marks->clear();
    }
    while (!done) {
      std::size_t n = filled;
      const char* s = out.data();
      if (!lines_ && (q == kNone || q < j)) {
        std::size_t from = q == kNone ? std::max(j, q_scan) : j;
        const void* f = from < n ? std::memchr(s + from, '"', n - from) : nullptr;
        q = f != nullptr ? static_cast<std::size_t>(static_cast<const char*>(f) - s) : kNone;
        q_scan = n;
      }
      if (in_quotes) {  // newlines inside quotes belong to the field
        std::size_t stop = q == kNone ? n : q;
        lines += std::count(s + j, s + stop, '\n');
        j = stop;
        if (q != kNone) {
          j = q + 1;
          in_quotes = false;
          continue;
        }
      } else {
        // Line ends up to the next quote: each ends a record unless its line is blank.
        std::size_t stop = lines_ || q == kNone ? n : q;
        std::size_t at = csv_detail::scan_for(s, j, stop, '\n', '\n', [&](std::size_t p) {
          ++lines;
          if (!(p == rs || (p == rs + 1 && s[rs] == '\r'))) {
            ++got;
          }
          rs = p + 1;
          if (rs >= next_mark && marks != nullptr) {
            marks->push_back({rs, static_cast<std::size_t>(lines - lines_before)});
            next_mark = rs + Table::kPieceBytes;
          }
          done = got == count || (lines_ && base + rs >= end_);
          return !done;
        });
        if (done) {
          break;
        }
        j = at;
        if (at < n) {  // a quote opens a field
          in_quotes = true;
          j = at + 1;
          continue;
        }
      }
      if (file_pos_ >= size_) {  // the end of the file: a last record without a line end
        if (!(rs == n || (rs + 1 == n && out[rs] == '\r'))) {
          ++got;
        }
        rs = n;
        break;
      }
      if (std::exchange(estimate, false) && got > 0) {
        // got records in the first n bytes: the block's `count` at that rate, and 1/8 more.
        double bytes =
            static_cast<double>(rs) / static_cast<double>(got) * static_cast<double>(count) * 1.125;
        double left = static_cast<double>(size_ - file_pos_ + n);
        auto want = static_cast<std::size_t>(std::min(bytes, left) + static_cast<double>(kChunk));
        grow(out, want, n);
      }
      std::size_t m = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size_ - file_pos_));
      if (out.size() < n + m) {
        out.resize(n + m);
      }
      if (!read_at(fd_, out.data() + n, m, file_pos_)) {
        ok_ = false;
        out.clear();
        return 0;
      }
      file_pos_ += m;
      filled = n + m;
    }
    if (marks != nullptr) {
      marks->push_back({rs, static_cast<std::size_t>(lines - lines_before)});
    }
    last_block_ = rs - prefix.size();
    leftover_.assign(out, rs, filled - rs);
    out.resize(rs);
    next_ = base + rs;
    return got;
  }

  /// The file offset of the next record.
  std::uint64_t offset() const { return next_; }

  /// Makes `out` at least `n` long, its first `keep` bytes kept. A buffer with too little room
  /// is replaced (room for an eighth more, on huge pages) rather than grown: a string grown past
  /// its capacity doubles it, so a buffer made for one block, given the next a few bytes
  /// longer, was copied (all of it, though only `keep` bytes matter) into twice the memory.
  static void grow(std::string& out, std::size_t n, std::size_t keep) {
    if (out.capacity() < n) {
      std::string fresh;
      fresh.reserve(n + n / 8);  // blocks of as many records differ by far less
      advise_huge_pages(fresh.data(), fresh.capacity());
      fresh.resize(n);
      std::memcpy(fresh.data(), out.data(), std::min(keep, out.size()));
      out.swap(fresh);
    }
    if (out.size() < n) {
      out.resize(n);
    }
  }
  bool ok() const { return ok_; }

 private:
  static constexpr std::uint64_t kChunk = std::uint64_t{1} << 20;
  int fd_;
  std::uint64_t size_;
  std::uint64_t end_;
  bool lines_ = false;
  std::uint64_t next_ = 0;      // the file offset of leftover_'s first byte
  std::uint64_t file_pos_ = 0;  // the file offset of the next byte to read
  std::string leftover_;        // bytes read past the last block's end
  std::size_t last_block_ = 0;  // the last block's bytes
  bool sized_ = false;          // a block (not the header) has been taken
  bool ok_ = true;
};

/// The offset of the first line start at or after `from` (a byte after a '\n'), or `size`.
std::uint64_t next_line_start(int fd, std::uint64_t size, std::uint64_t from) {
  if (from == 0) {
    return 0;
  }
  std::string buf(std::size_t{1} << 16, '\0');
  for (std::uint64_t at = from - 1; at < size;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - at));
    if (!read_at(fd, buf.data(), n, at)) {
      return size;  // the reader meets the error
    }
    if (const void* nl = std::memchr(buf.data(), '\n', n)) {
      return at + static_cast<std::uint64_t>(static_cast<const char*>(nl) - buf.data()) + 1;
    }
    at += n;
  }
  return size;
}

/// The newlines in the file's first `bytes` (for an error's line number in a part).
std::int64_t newlines_before(int fd, std::uint64_t bytes) {
  std::string buf(std::size_t{1} << 20, '\0');
  std::int64_t lines = 0;
  for (std::uint64_t at = 0; at < bytes;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), bytes - at));
    if (!read_at(fd, buf.data(), n, at)) {
      break;
    }
    lines += std::count(buf.data(), buf.data() + n, '\n');
    at += n;
  }
  return lines;
}

class CsvStream final : public Stream {
 public:
  CsvStream(const std::string& path, std::int64_t rows, std::int64_t part, std::int64_t parts)
      : path_(path), block_rows_(rows) {
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
      if (parts > 1) {
        auto cut = [&](std::int64_t k) {
          return static_cast<std::uint64_t>(static_cast<unsigned __int128>(size) *
                                            static_cast<unsigned __int128>(k) /
                                            static_cast<unsigned __int128>(parts));
        };
        std::uint64_t start = std::max(records_->offset(), next_line_start(fd_, size, cut(part)));
        records_->lines_from(start, cut(part + 1));
        part_start_ = start;
        next_line_ = 0;  // relative to the part's start, until an error needs the file's line
      }
    } catch (...) {
      ::close(fd_);
      throw;
    }
    // The reader splits blocks on as many threads as the program's run may use (only that is
    // taken from its Limits: the reader may outlive the run's Limits object).
    reader_limits_.threads = threads();
    reader_ = std::thread([this] {
      LimitsScope scope(&reader_limits_);
      read_blocks();
    });
  }

  ~CsvStream() override {
    stop();
    ::close(fd_);
    for (Table* t : ready_) {
      release(t);
    }
    for (Table* t : lent_) {
      release(t);
    }
  }

  bool next() override {
    // Blocks the program has dropped (only the stream's reference left) give their buffers to
    // the reader; one the program keeps is left to it after two more blocks. Every buffer given
    // back is kept: a buffer is made only when all the others hold live blocks, so they are at
    // most as many as the blocks ever alive at once, and new pages (a page fault each, the
    // kernel zeroing it) cost more than the parse of their bytes.
    current_ = TableRef();
    for (std::size_t k = 0; k < lent_.size();) {
      Table* t = lent_[k];
      if (t->refs == 1) {
        lent_.erase(lent_.begin() + static_cast<std::ptrdiff_t>(k));
        Table::Storage storage = t->take_storage();
        release(t);
        std::lock_guard<std::mutex> lock(m_);
        free_.push_back(std::move(storage));
      } else {
        ++k;
      }
    }
    while (lent_.size() > 2) {
      release(lent_.front());
      lent_.erase(lent_.begin());
    }
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
    retain(current_.get());
    lent_.push_back(current_.get());
    lock.unlock();
    cv_.notify_all();
    return true;
  }

  TableRef table() const override { return current_; }

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
      Table::Storage storage;
      {
        std::lock_guard<std::mutex> lock(m_);
        if (!free_.empty()) {
          storage = std::move(free_.back());
          free_.pop_back();
        }
      }
      std::int64_t lines = 0;
      std::int64_t got = records_->take(block_rows_, storage.text, lines, header_, &storage.marks);
      std::int64_t first_line = next_line_;
      next_line_ += lines;
      std::string error;
      Table* t = nullptr;
      if (!records_->ok()) {
        error = path_ + ": cannot read file";
      } else if (got > 0) {
        try {
          CsvOptions options;
          options.line_records = part_start_ != kNoPart;
          options.file_line = block_lines(first_line);
          t = Table::parse(std::move(storage), path_, options, got);
        } catch (const RuntimeError& e) {
          error = e.what();
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

  static constexpr std::uint64_t kNoPart = ~std::uint64_t{0};

  /// The file's line of a block's line L (CsvOptions::file_line), for its errors when it is
  /// parsed and when a column is typed later (t.f64 of a bad field): the block's text is the
  /// header's lines, then records from the file's (or the part's) line `first_line`. A part
  /// counts the newlines before its first byte only then, reading the file again, as the
  /// reader never reads that far.
  std::function<std::int64_t(std::int64_t)> block_lines(std::int64_t first_line) const {
    return [path = path_, header = header_lines_, first_line,
            part = part_start_](std::int64_t line) -> std::int64_t {
      if (line <= header) {
        return line;
      }
      std::int64_t in_file = first_line + (line - header - 1);
      if (part != kNoPart) {
        std::uint64_t size = 0;
        int fd = -1;
        try {
          fd = open_file(path, size);
        } catch (const RuntimeError&) {
          return in_file;  // gone since: the line in the part is the best left
        }
        in_file += newlines_before(fd, part) + 1;
        ::close(fd);
      }
      return in_file;
    };
  }
  std::string path_;
  std::int64_t block_rows_;
  int fd_ = -1;
  std::unique_ptr<RecordReader> records_;  // the reader thread's after construction
  std::string header_;
  std::int64_t header_lines_ = 1;
  std::int64_t next_line_ = 2;          // the file's line of the next block's first record
  std::uint64_t part_start_ = kNoPart;  // a part's first byte (next_line_ then counts from it)
  Limits reader_limits_;
  std::deque<Table*> ready_;          // under m_
  std::vector<Table::Storage> free_;  // under m_: buffers of blocks the program dropped
  // The program's thread only: the blocks handed out (one reference each held here), the
  // current one.
  std::vector<Table*> lent_;
  TableRef current_;
};

}  // namespace

std::shared_ptr<Stream> make_csv_stream(const std::string& path, std::int64_t rows,
                                        std::int64_t part, std::int64_t parts) {
  return std::make_shared<CsvStream>(path, rows, part, parts);
}

}  // namespace kestrel::rt::stream_detail
