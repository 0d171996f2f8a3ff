#include "dsl/diag/diagnostic.hpp"

#include <algorithm>

#include "runtime/rules/messages.hpp"

namespace kestrel::diag {

std::string_view kind_name(Kind kind) {
  switch (kind) {
#define KESTREL_DIAG(name, kebab, severity) \
  case Kind::name:                          \
    return kebab;
#include "dsl/diag/kinds.def"
#undef KESTREL_DIAG
  }
  return "unknown";
}

Severity kind_severity(Kind kind) {
  switch (kind) {
#define KESTREL_DIAG(name, kebab, severity) \
  case Kind::name:                          \
    return Severity::severity;
#include "dsl/diag/kinds.def"
#undef KESTREL_DIAG
  }
  return Severity::Error;
}

Diagnostic& DiagnosticList::report(Kind kind, Span span, std::string message) {
  Severity severity = kind_severity(kind);
  if (severity == Severity::Error) {
    ++error_count_;
  }
  diags_.push_back(Diagnostic{kind, severity, span, std::move(message), {}});
  return diags_.back();
}

void DiagnosticList::append(const DiagnosticList& other) {
  diags_.insert(diags_.end(), other.diags_.begin(), other.diags_.end());
  error_count_ += other.error_count_;
}

std::string location(const SourceManager& sources, Span span) {
  if (span.file == kNoFile || span.file >= sources.size()) {
    return "<unknown>";
  }
  const SourceFile& file = sources.file(span.file);
  LineCol lc = file.line_col(span.begin);
  return rt::printable(file.name()) + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.col);
}

namespace {

std::string_view severity_word(Severity severity) {
  switch (severity) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
    case Severity::Note:
      return "note";
  }
  return "error";
}

// The source line and a `^~~~` caret under the span (clipped to the first line of the span).
// A long line is shown as a window of kSnippetWidth bytes around the caret, "..." marking cuts.
void render_snippet(const SourceManager& sources, Span span, std::string& out) {
  constexpr std::size_t kSnippetWidth = 160;
  if (span.file == kNoFile || span.file >= sources.size()) {
    return;
  }
  const SourceFile& file = sources.file(span.file);
  LineCol lc = file.line_col(span.begin);
  std::string_view line = file.line_text(lc.line);
  std::size_t col = std::min<std::size_t>(lc.col - 1, line.size());
  std::size_t width = span.end > span.begin ? span.end - span.begin : 1;
  std::size_t room = line.size() > col ? line.size() - col : 1;
  width = std::max<std::size_t>(1, std::min({width, room, kSnippetWidth / 2}));
  std::string_view prefix;
  std::string_view suffix;
  if (line.size() > kSnippetWidth) {
    std::size_t start = col > kSnippetWidth / 4 ? col - kSnippetWidth / 4 : 0;
    start = std::min(start, line.size() - kSnippetWidth);
    if (start > 0) {
      prefix = "...";
    }
    if (start + kSnippetWidth < line.size()) {
      suffix = "...";
    }
    line = line.substr(start, kSnippetWidth);
    col = col - start + prefix.size();
  }
  out += "    ";
  out += prefix;
  for (char c : line) {  // one byte each, so the caret stays under its column
    auto u = static_cast<unsigned char>(c);
    out += c == '\t' ? ' ' : u < 0x20 || u == 0x7f ? '?' : c;
  }
  out += suffix;
  out += "\n    ";
  out.append(col, ' ');
  out += '^';
  out.append(width - 1, '~');
  out += '\n';
}

void render_into(const SourceManager& sources, Severity severity, Span span,
                 std::string_view message, std::string& out) {
  if (span.file != kNoFile) {
    out += location(sources, span);
    out += ": ";
  }
  out += severity_word(severity);
  out += ": ";
  out += rt::printable(message, true);  // a runtime error's is already
  out += '\n';
  render_snippet(sources, span, out);
}

}  // namespace

std::string render(const SourceManager& sources, const Diagnostic& diag) {
  std::string out;
  render_into(sources, diag.severity, diag.span, diag.message, out);
  for (const Note& note : diag.notes) {
    render_into(sources, Severity::Note, note.span, note.message, out);
  }
  return out;
}

std::string render(const SourceManager& sources, const DiagnosticList& diags,
                   std::size_t max_errors) {
  std::string out;
  std::size_t errors = 0;
  for (const Diagnostic& diag : diags.all()) {
    if (diag.severity == Severity::Error && ++errors > max_errors) {
      out += "too many errors: stopped after " + std::to_string(max_errors) + " (of " +
             std::to_string(diags.error_count()) + ")\n";
      break;
    }
    out += render(sources, diag);
  }
  return out;
}

}  // namespace kestrel::diag
