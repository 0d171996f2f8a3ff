#pragma once
// Semantic analysis, the public entry points: parse tree in, typed IR (or diagnostics) out.
#include <filesystem>
#include <optional>
#include <vector>

#include "dsl/diag/diagnostic.hpp"
#include "dsl/ir/ir.hpp"
#include "parser/ast.hpp"

namespace kestrel::sema {

struct CheckOptions {
  /// Where `import name` looks for `name.kst`, after the importing file's own folder
  /// (typically: the script's folder, then stdlib/).
  std::vector<std::filesystem::path> import_paths;
};

/// Checks a parsed file (`file` must be in `sources`; imports are added to it). Reports every
/// problem it finds to `diags`, in source order per file; returns the IR only when there is none.
std::optional<ir::Program> check_program(diag::SourceManager& sources, diag::FileId file,
                                         const parser::ast::Program& program,
                                         const CheckOptions& options, diag::DiagnosticList& diags);

/// Reads, parses and checks the file at `path` (a missing file is a BadImport diagnostic).
std::optional<ir::Program> check_file(diag::SourceManager& sources,
                                      const std::filesystem::path& path,
                                      const CheckOptions& options, diag::DiagnosticList& diags);

/// Reads, parses and checks `text` as if it were the file `name` (for tests and the REPL).
std::optional<ir::Program> check_source(diag::SourceManager& sources, std::string name,
                                        std::string text, const CheckOptions& options,
                                        diag::DiagnosticList& diags);

}  // namespace kestrel::sema
