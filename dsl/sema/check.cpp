// The driver: checks the script file by file (imports first), collects diagnostics, and hands
// out the Program only when nothing was wrong.
#include "dsl/sema/check.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "dsl/ir/walk.hpp"
#include "dsl/sema/checker.hpp"
#include "parser/parse.hpp"

namespace kestrel::sema {

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

ParallelVarUse& ParallelFrame::use(std::uint32_t local) {
  for (auto& [id, u] : uses) {
    if (id == local) {
      return u;
    }
  }
  uses.emplace_back(local, ParallelVarUse{});
  return uses.back().second;
}

Checker::Checker(diag::SourceManager& sources, const CheckOptions& options)
    : sources_(sources), options_(options) {}

diag::Diagnostic& Checker::error(diag::Kind kind, diag::Span at, std::string message) {
  return diags_.report(kind, at, std::move(message));
}

std::string Checker::snippet(diag::Span at) const {
  if (at.file == diag::kNoFile || at.file >= sources_.size()) {
    return "…";
  }
  const std::string& text = sources_.file(at.file).text();
  if (at.end > text.size() || at.begin >= at.end || at.end - at.begin > 24) {
    return "…";
  }
  std::string s = text.substr(at.begin, at.end - at.begin);
  return s.find('\n') == std::string::npos ? s : "…";
}

ExprId Checker::add_expr(ir::ExprKind kind, Type type, diag::Span at) {
  std::uint32_t depth = 0;
  ir::for_each_child(kind, [&](ExprId c) { depth = std::max(depth, depth_[c.v]); });
  ++depth;
  if (depth > kMaxExprDepth) {
    if (!reported_too_complex_) {
      reported_too_complex_ = true;
      error(diag::Kind::TooComplex, at,
            "expression is too complex (nested more than " + std::to_string(kMaxExprDepth) +
                " operations deep); split it into several statements");
    }
    kind = ir::ErrorExpr{};
    type = Type::error();
    depth = 1;
  }
  ExprId id{static_cast<std::uint32_t>(program_.exprs.size())};
  program_.exprs.push_back(ir::Expr{std::move(kind), type, at});
  depth_.push_back(depth);
  untyped_.push_back(0);
  return id;
}

StmtId Checker::add_stmt(ir::StmtKind kind, diag::Span at) {
  StmtId id{static_cast<std::uint32_t>(program_.stmts.size())};
  program_.stmts.push_back(ir::Stmt{std::move(kind), at});
  return id;
}

void Checker::check_file(FileCtx& file) {
  diag::FileId saved_file = cur_file_;
  FnState* saved_fn = fn_;
  cur_file_ = file.file;

  // The file's top-level statements become its `<main>` function.
  file.main = FnId{static_cast<std::uint32_t>(program_.functions.size())};
  ir::Function main_fn;
  main_fn.name = file.prefix + "<main>";
  main_fn.is_main = true;
  main_fn.span = span(*file.tree);
  program_.functions.push_back(std::move(main_fn));
  FnInfo main_info;
  main_info.file = &file;
  main_info.state = FnInfo::State::Done;
  main_info.ret_declared = true;
  fn_info_.push_back(std::move(main_info));

  // Imports and definitions are visible throughout the file, whatever their order.
  for (const ast::Stmt& s : file.tree->stmts) {
    if (const auto* imp = ast_if<ast::ImportStmt>(s)) {
      import_module(file, *imp);
    } else if (const auto* let = ast_if<ast::LetStmt>(s)) {
      for (const ast::Ident& name : let->names) {
        file.top_level_names.insert(name.name);
      }
    }
  }
  declare_functions(file);

  FnState main_state;
  main_state.id = file.main;
  main_state.file = &file;
  main_state.is_main = true;
  main_state.ret_declared = true;
  main_state.scopes.push();
  std::vector<StmtId> body;
  for (const ast::Stmt& s : file.tree->stmts) {
    if (ast_if<ast::ImportStmt>(s)) {
      continue;
    }
    if (const auto* def = ast_if<ast::FnDef>(s)) {
      ensure_checked(fn_by_def_.at(def), span(def->name));
      continue;
    }
    fn_ = &main_state;
    cur_file_ = file.file;
    check_stmt(s, body);
  }
  program_.functions[file.main.v].body.stmts = std::move(body);

  fn_ = saved_fn;
  cur_file_ = saved_file;
}

std::optional<ir::Program> Checker::run(diag::FileId file, const ast::Program& tree,
                                        diag::DiagnosticList& out) {
  std::filesystem::path path = sources_.file(file).name();
  root_ = std::make_unique<FileCtx>();
  root_->file = file;
  root_->dir = path.parent_path();
  root_->tree = &tree;

  // The root is on the import stack for the whole run: importing it back is a cycle.
  auto root_info = std::make_unique<ModuleInfo>();
  root_info->name = path.stem().string();
  root_info->path = path;
  root_info->loading = true;
  std::error_code ec;
  module_by_path_[std::filesystem::weakly_canonical(path, ec).string()] = 0;
  modules_.push_back(std::move(root_info));
  import_stack_.push_back(path.stem().string());

  check_file(*root_);
  program_.main = root_->main;

  // A 1-D launch sets no index(1): a kernel that reads it cannot be launched so (it read 0).
  for (const auto& [kernel, at] : launches_1d_) {
    if (const auto& i1 = fn_info_[kernel.v].index1) {
      const std::string& name = program_.functions[kernel.v].name;
      error(diag::Kind::KernelMisuse, at,
            "kernel '" + name + "' reads index(1), but this launch has 1 dimension")
          .notes.push_back({*i1, "index(1) is read here; launch '" + name + "' with two sizes, " +
                                     name + "[m, n](…)"});
    }
  }

  check_collectives_reached();

  // Report in source order (file by file), whatever order the checks ran in.
  std::vector<const diag::Diagnostic*> sorted;
  for (const diag::Diagnostic& d : diags_.all()) {
    sorted.push_back(&d);
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    auto key = [](const diag::Diagnostic* d) {
      return std::pair{d->span.file == diag::kNoFile ? 0u : d->span.file + 1, d->span.begin};
    };
    return key(a) < key(b);
  });
  for (const diag::Diagnostic* d : sorted) {
    out.report(d->kind, d->span, d->message).notes = d->notes;
  }
  if (diags_.has_errors()) {
    return std::nullopt;
  }
  return std::move(program_);
}

std::optional<ir::Program> check_program(diag::SourceManager& sources, diag::FileId file,
                                         const parser::ast::Program& program,
                                         const CheckOptions& options, diag::DiagnosticList& diags) {
  Checker checker(sources, options);
  return checker.run(file, program, diags);
}

std::optional<ir::Program> check_source(diag::SourceManager& sources, std::string name,
                                        std::string text, const CheckOptions& options,
                                        diag::DiagnosticList& diags) {
  const diag::SourceFile& file = sources.add(std::move(name), std::move(text));
  std::optional<parser::ast::Program> tree = parser::parse_program(file, diags);
  if (!tree) {
    return std::nullopt;
  }
  return check_program(sources, file.id(), *tree, options, diags);
}

std::optional<ir::Program> check_file(diag::SourceManager& sources,
                                      const std::filesystem::path& path,
                                      const CheckOptions& options, diag::DiagnosticList& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.report(diag::Kind::BadImport, diag::Span{}, "cannot read file '" + path.string() + "'");
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return check_source(sources, path.string(), text.str(), options, diags);
}

}  // namespace kestrel::sema
