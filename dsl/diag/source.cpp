#include "dsl/diag/source.hpp"

#include <algorithm>

namespace kestrel::diag {

SourceFile::SourceFile(FileId id, std::string name, std::string text)
    : id_(id), name_(std::move(name)), text_(std::move(text)) {
  // A lone CR (old Mac line ends) ends a line as Python's universal newlines read it; one byte
  // for one byte, so every offset and column stays. CRLF keeps its CR (the grammar skips it).
  for (std::size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\r' && (i + 1 == text_.size() || text_[i + 1] != '\n')) {
      text_[i] = '\n';
    }
  }
  line_starts_.push_back(0);
  for (std::uint32_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') {
      line_starts_.push_back(i + 1);
    }
  }
}

LineCol SourceFile::line_col(std::uint32_t offset) const {
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(text_.size()));
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  auto line = static_cast<std::uint32_t>(it - line_starts_.begin());
  return {line, offset - line_starts_[line - 1] + 1};
}

std::string_view SourceFile::line_text(std::uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) {
    return {};
  }
  std::uint32_t begin = line_starts_[line - 1];
  std::uint32_t end = line < line_starts_.size() ? line_starts_[line] - 1
                                                 : static_cast<std::uint32_t>(text_.size());
  std::string_view view(text_);
  view = view.substr(begin, end - begin);
  if (!view.empty() && view.back() == '\r') {
    view.remove_suffix(1);
  }
  return view;
}

const SourceFile& SourceManager::add(std::string name, std::string text) {
  // A UTF-8 byte-order mark (editors on Windows write one) is not part of the program: without
  // this, every file saved so failed to parse at 1:1. Every source, imports too, comes here.
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.erase(0, 3);
  }
  auto id = static_cast<FileId>(files_.size());
  files_.push_back(std::make_unique<SourceFile>(id, std::move(name), std::move(text)));
  return *files_.back();
}

}  // namespace kestrel::diag
