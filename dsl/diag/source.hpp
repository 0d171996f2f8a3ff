#pragma once
// Source files and positions: every span in Kestrel is a byte range in one file.
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kestrel::diag {

using FileId = std::uint32_t;
inline constexpr FileId kNoFile = ~FileId{0};

/// A half-open byte range [begin, end) in one source file.
struct Span {
  FileId file = kNoFile;
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

/// A 1-based line and column (the column counts bytes, as compilers do).
struct LineCol {
  std::uint32_t line = 1;
  std::uint32_t col = 1;
};

/// One loaded source text with its line table. A lone CR in the text is read as a line end
/// (text() has '\n' there); CRLF stays as it is.
class SourceFile {
 public:
  SourceFile(FileId id, std::string name, std::string text);

  FileId id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }
  LineCol line_col(std::uint32_t offset) const;
  /// The text of 1-based line `line`, without its newline.
  std::string_view line_text(std::uint32_t line) const;
  std::uint32_t line_count() const { return static_cast<std::uint32_t>(line_starts_.size()); }

 private:
  FileId id_;
  std::string name_;
  std::string text_;
  std::vector<std::uint32_t> line_starts_;
};

/// Owns every source file of a compilation; files never move once added.
class SourceManager {
 public:
  const SourceFile& add(std::string name, std::string text);
  const SourceFile& file(FileId id) const { return *files_.at(id); }
  std::size_t size() const { return files_.size(); }

 private:
  std::deque<std::unique_ptr<SourceFile>> files_;
};

}  // namespace kestrel::diag
