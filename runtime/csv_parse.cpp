// Table::parse: CSV text into a table of fields (csv.hpp has the format). The header and any
// text with a double quote are split serially; a large body without quotes (the common case of
// numbers, and every csv_blocks block of such a file) is cut at line ends into pieces that are
// split on several threads (in order, on one, at --threads 1) straight into the table's field
// array, 16 bytes at a time. A piece reports its first bad record and the lowest failing piece's
// error is the one raised, so errors are the serial parser's, at any thread count.
#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "runtime/csv.hpp"
#include "runtime/csv_scan.hpp"
#include "runtime/huge_pages.hpp"
#include "runtime/limits.hpp"
#include "runtime/parallel.hpp"

namespace kestrel::rt {

using csv_detail::clipped;
using csv_detail::scan_for;

namespace {

constexpr const char* kBom = "\xEF\xBB\xBF";

/// A body this large (bytes) or more is split on several threads; each piece at least this.
constexpr std::size_t kParallelBytes = Table::kPieceBytes;

std::string expected_fields(std::size_t want, std::size_t found) {
  return "expected " + std::to_string(want) + " fields, found " + std::to_string(found);
}

}  // namespace

void Table::raise_at(std::size_t offset, const std::string& message) const {
  if (built_) {
    raise(message);  // a built table has no file to point into
  }
  std::size_t line = 1;
  // A UTF-8 byte-order mark is not part of the first line's columns.
  std::size_t line_start = text_.starts_with(kBom) ? 3 : 0;
  for (std::size_t k = 0; k < offset && k < text_.size(); ++k) {
    if (text_[k] == '\n') {
      ++line;
      line_start = k + 1;
    }
  }
  std::int64_t in_file =
      file_line_ ? file_line_(static_cast<std::int64_t>(line)) : static_cast<std::int64_t>(line);
  raise(path_ + ":" + std::to_string(in_file) + ":" + std::to_string(offset - line_start + 1) +
        ": " + message);
}

Table::Storage Table::take_storage() {
  Storage s{std::move(text_), std::move(fields_), std::move(marks_)};
  text_.clear();
  fields_.clear();
  marks_.clear();
  rows_ = 0;
  return s;
}

Table* Table::parse(std::string text, std::string path) {
  return parse(std::move(text), std::move(path), CsvOptions{});
}

Table* Table::parse(std::string text, std::string path, const CsvOptions& options) {
  return parse(Storage{std::move(text), {}, {}}, std::move(path), options, 0);
}

Table* Table::parse(Storage storage, std::string path, const CsvOptions& options,
                    std::int64_t rows_hint) {
  auto t = std::make_unique<Table>();
  t->path_ = std::move(path);
  t->fill_ = options.fill;
  t->file_line_ = options.file_line;
  const char sep = options.sep;
  t->sep_ = sep;
  t->text_ = std::move(storage.text);
  t->marks_ = std::move(storage.marks);
  std::vector<Field> fields = std::move(storage.fields);
  const std::string& s = t->text_;
  std::size_t n = s.size();
  // A UTF-8 byte-order mark is not part of the first column's name.
  std::size_t pos = s.starts_with(kBom) ? 3 : 0;
  std::size_t nf = 0;  // fields in all, as the serial split goes
  auto push = [&](const Field& f) {
    if (nf < fields.size()) {
      fields[nf] = f;
    } else {
      fields.push_back(f);
    }
    ++nf;
  };
  bool header = true;
  bool body = false;  // past the header's first record: whether to split in parallel is decided
  std::size_t record_first = 0;
  while (pos < n) {
    // A blank line ("\n" or "\r\n") is skipped.
    if (s[pos] == '\n') {
      ++pos;
      continue;
    }
    if (s[pos] == '\r' && pos + 1 < n && s[pos + 1] == '\n') {
      pos += 2;
      continue;
    }
    if (!header && !std::exchange(body, true) && n - pos >= kParallelBytes &&
        std::memchr(s.data() + pos, '"', n - pos) == nullptr) {
      // nf is 0 here; the fields left in the buffer (a reused one's) are overwritten, and the
      // buffer is cut to the records' at the end, so none of it is zero-filled again.
      t->fields_ = std::move(fields);
      t->split_lines(pos);
      return t.release();
    }
    std::size_t record_start = pos;
    record_first = nf;
    while (true) {
      Field f{pos, 0, 0};
      if (pos < n && s[pos] == '"') {
        std::size_t open = pos;
        ++pos;
        f.offset = pos;
        while (true) {
          if (pos >= n) {
            t->raise_at(open, "unterminated quoted field");
          }
          if (s[pos] == '"') {
            if (pos + 1 < n && s[pos + 1] == '"') {
              f.quoted = 1;
              pos += 2;
              continue;
            }
            break;
          }
          if (s[pos] == '\n' && options.line_records) {
            t->raise_at(open,
                        "a quoted field holds a line end: csv_blocks(path, rows, part, parts) "
                        "splits the file at line ends (read it with csv_blocks(path, rows))");
          }
          ++pos;
        }
        f.length = pos - f.offset;
        ++pos;  // the closing quote
        if (pos < n && s[pos] != sep && s[pos] != '\n' &&
            !(s[pos] == '\r' && pos + 1 < n && s[pos + 1] == '\n') && s[pos] != '\r') {
          t->raise_at(pos, std::string("expected '") + (sep == '\t' ? "\\t" : std::string(1, sep)) +
                               "' or the end of the line after a closing quote");
        }
      } else {
        while (pos < n && s[pos] != sep && s[pos] != '\n') {
          ++pos;
        }
        f.length = pos - f.offset;
        if (f.length > 0 && pos <= n && s[f.offset + f.length - 1] == '\r' &&
            (pos == n || s[pos] == '\n')) {
          --f.length;
        }
      }
      push(f);
      if (pos < n && s[pos] == sep) {
        ++pos;
        continue;
      }
      if (pos < n && s[pos] == '\r') {
        ++pos;
      }
      if (pos < n && s[pos] == '\n') {
        ++pos;
      }
      break;
    }
    if (header) {
      for (std::size_t k = record_first; k < nf; ++k) {
        const Field& f = fields[k];
        std::string name = s.substr(f.offset, f.length);
        if (f.quoted) {
          std::string u;
          for (std::size_t i = 0; i < name.size(); ++i) {
            u += name[i];
            if (name[i] == '"') {
              ++i;
            }
          }
          name = u;
        }
        for (const std::string& other : t->names_) {
          if (other == name) {
            t->raise_at(f.offset, "duplicate column name '" + clipped(name) + "'");
          }
        }
        t->names_.push_back(std::move(name));
      }
      nf = 0;
      header = false;
      // The records' fields go to a buffer with room for them all (on huge pages when new;
      // nothing in it is kept: the header's fields were read).
      std::size_t want =
          static_cast<std::size_t>(std::max<std::int64_t>(rows_hint, 0)) * t->names_.size();
      if (fields.capacity() < want) {
        std::vector<Field> fresh;
        fresh.reserve(want);
        advise_huge_pages(fresh.data(), want * sizeof(Field));
        fields.swap(fresh);
      }
      continue;
    }
    if (nf - record_first != t->names_.size()) {
      t->raise_at(record_start, expected_fields(t->names_.size(), nf - record_first));
    }
    ++t->rows_;
  }
  if (header) {
    raise(t->path_ + ": empty file (a CSV file needs a header line)");
  }
  fields.resize(nf);
  t->fields_ = std::move(fields);
  return t.release();
}

void Table::split_lines(std::size_t body) {
  const std::string& s = text_;
  const char* d = s.data();
  const std::size_t n = s.size();
  const std::size_t cols = names_.size();
  const char sep = sep_;
  // Pieces of about kParallelBytes, at least two per thread, each ending after a line end:
  // the reader's marks (with their newlines counted) where it left enough, else cut here.
  // Each piece's records start at its lines' slot: a record takes a line end (the body's last
  // may not), so lines (+1) bound a piece's records; blank lines leave gaps closed up after.
  std::vector<std::size_t> cut{body};
  std::vector<std::size_t> first{0};  // the newlines in [body, cut[k])
  const std::size_t last_record = s[n - 1] != '\n' ? 1 : 0;
  const std::size_t min_pieces = 2 * static_cast<std::size_t>(threads());
  if (marks_.size() > min_pieces && marks_.back().offset == n) {
    const auto before = static_cast<std::size_t>(std::count(d, d + body, '\n'));
    for (const LineMark& m : marks_) {
      if (m.offset > cut.back() && m.offset < n) {
        cut.push_back(m.offset);
        first.push_back(m.newlines - before);
      }
    }
    first.push_back(marks_.back().newlines - before + last_record);
    cut.push_back(n);
  } else {
    std::size_t want =
        std::max<std::size_t>(min_pieces, std::min<std::size_t>((n - body) / kParallelBytes, 256));
    for (std::size_t k = 1; k < want; ++k) {
      std::size_t at = body + (n - body) * k / want;
      at = std::max(at, cut.back());
      const void* nl = std::memchr(s.data() + at, '\n', n - at);
      std::size_t next =
          nl == nullptr ? n : static_cast<std::size_t>(static_cast<const char*>(nl) - s.data()) + 1;
      if (next > cut.back() && next < n) {
        cut.push_back(next);
      }
    }
    cut.push_back(n);
    std::size_t count = cut.size() - 1;
    first.assign(count + 1, 0);
    parallel_for_chunks(
        0, static_cast<std::int64_t>(count), 1, [&](std::int64_t lo, std::int64_t hi) {
          for (std::int64_t p = lo; p < hi; ++p) {
            auto k = static_cast<std::size_t>(p);
            first[k + 1] = static_cast<std::size_t>(
                               std::count(s.data() + cut[k], s.data() + cut[k + 1], '\n')) +
                           (k + 1 == count ? last_record : 0);
          }
        });
    for (std::size_t k = 0; k < count; ++k) {
      first[k + 1] += first[k];
    }
  }
  std::size_t pieces = cut.size() - 1;
  std::vector<std::size_t> rows(pieces, 0);
  if (fields_.size() < first[pieces] * cols) {
    fields_.resize(first[pieces] * cols);
  }
  Field* out = fields_.data();
  parallel_for_chunks(0, static_cast<std::int64_t>(pieces), 1,
                      [&](std::int64_t lo, std::int64_t hi) {
                        for (std::int64_t piece = lo; piece < hi; ++piece) {
                          auto k = static_cast<std::size_t>(piece);
                          const std::size_t end = cut[k + 1];
                          Field* o = out + first[k] * cols;
                          std::size_t got = 0;
                          std::size_t rs = cut[k];  // the record's start
                          std::size_t fs = rs;      // the field's start
                          std::size_t nf = 0;
                          auto field_end = [&](std::size_t p) {
                            if (nf < cols) {
                              o[nf] = Field{fs, p - fs, 0};
                            }
                            ++nf;
                            fs = p + 1;
                          };
                          auto record_end = [&] {
                            if (nf != cols) {
                              raise_at(rs, expected_fields(cols, nf));
                            }
                            o += cols;
                            ++got;
                            nf = 0;
                          };
                          scan_for(d, rs, end, sep, '\n', [&](std::size_t p) {
                            if (d[p] == sep) {
                              field_end(p);
                              return true;
                            }
                            // A blank line ("\n" or "\r\n") is skipped.
                            if (nf == 0 && (p == rs || (p == rs + 1 && d[rs] == '\r'))) {
                              rs = fs = p + 1;
                              return true;
                            }
                            field_end(p - (p > fs && d[p - 1] == '\r' ? 1 : 0));
                            fs = p + 1;
                            record_end();
                            rs = p + 1;
                            return true;
                          });
                          if (rs < end) {  // the text's last record, without a line end
                            field_end(end - (end > fs && d[end - 1] == '\r' ? 1 : 0));
                            record_end();
                          }
                          rows[k] = got;
                        }
                      });
  // Close the gaps blank lines left.
  std::size_t at = 0;
  for (std::size_t k = 0; k < pieces; ++k) {
    std::size_t from = first[k] * cols;
    std::size_t count = rows[k] * cols;
    if (from != at) {
      std::memmove(fields_.data() + at, fields_.data() + from, count * sizeof(Field));
    }
    at += count;
  }
  fields_.resize(at);
  rows_ = static_cast<std::int64_t>(at / std::max<std::size_t>(cols, 1));
}

}  // namespace kestrel::rt
