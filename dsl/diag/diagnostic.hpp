#pragma once
// Diagnostics are data: a kind from the registry, a span, a message and notes.
// One place (render) turns them into `file:line:col: error: message` with the line and a caret.
#include <string>
#include <string_view>
#include <vector>

#include "dsl/diag/source.hpp"

namespace kestrel::diag {

enum class Severity { Error, Warning, Note };

/// Every kind of diagnostic, declared once in kinds.def.
enum class Kind {
#define KESTREL_DIAG(name, kebab, severity) name,
#include "dsl/diag/kinds.def"
#undef KESTREL_DIAG
};

std::string_view kind_name(Kind kind);
Severity kind_severity(Kind kind);

/// A secondary message attached to a diagnostic, optionally with its own span.
struct Note {
  Span span;
  std::string message;
};

struct Diagnostic {
  Kind kind;
  Severity severity;
  Span span;
  std::string message;
  std::vector<Note> notes;
};

/// Collects diagnostics for a compilation; stages append, the boundary renders.
class DiagnosticList {
 public:
  Diagnostic& report(Kind kind, Span span, std::string message);
  const std::vector<Diagnostic>& all() const { return diags_; }
  bool has_errors() const { return error_count_ > 0; }
  std::size_t error_count() const { return error_count_; }
  bool empty() const { return diags_.empty(); }
  void append(const DiagnosticList& other);

 private:
  std::vector<Diagnostic> diags_;
  std::size_t error_count_ = 0;
};

/// Renders one diagnostic: location, severity, message, the source line, a caret, then notes.
std::string render(const SourceManager& sources, const Diagnostic& diag);
/// Renders the diagnostics in the order they were reported, stopping after `max_errors` errors
/// (a broken file can produce thousands; the first few are the useful ones).
inline constexpr std::size_t kMaxRenderedErrors = 50;
std::string render(const SourceManager& sources, const DiagnosticList& diags,
                   std::size_t max_errors = kMaxRenderedErrors);
/// `file:line:col` for a span (or `<unknown>`).
std::string location(const SourceManager& sources, Span span);

}  // namespace kestrel::diag
