// `import name`: finds name.kst (the importing file's folder, then the import paths), parses and
// checks it once, and binds the module's name in the importing file.
#include <fstream>
#include <sstream>

#include "dsl/sema/checker.hpp"
#include "parser/parse.hpp"

namespace kestrel::sema {

std::optional<std::filesystem::path> Checker::find_module(const FileCtx& from,
                                                          const std::string& name) {
  std::vector<std::filesystem::path> dirs{from.dir};
  dirs.insert(dirs.end(), options_.import_paths.begin(), options_.import_paths.end());
  for (const auto& dir : dirs) {
    std::filesystem::path candidate = dir / (name + ".kst");
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec)) {
      return candidate;
    }
  }
  return std::nullopt;
}

void Checker::import_module(FileCtx& file, const ast::ImportStmt& stmt) {
  const std::string& name = stmt.module.name;
  diag::Span at = span(stmt);
  auto bind = [&](std::uint32_t index) {
    Symbol sym{Symbol::Kind::Module, index, at};
    auto [it, inserted] = file.globals.emplace(name, sym);
    if (!inserted) {
      error(diag::Kind::Redefinition, span(stmt.module), "'" + name + "' is already defined")
          .notes.push_back({it->second.span, "first defined here"});
    }
  };

  std::optional<std::filesystem::path> path = find_module(file, name);
  if (!path) {
    error(diag::Kind::BadImport, span(stmt.module),
          "cannot find module '" + name + "': there is no " + name +
              ".kst in the script's folder or the standard library");
    auto info = std::make_unique<ModuleInfo>();
    info->name = name;
    info->failed = true;
    modules_.push_back(std::move(info));
    bind(static_cast<std::uint32_t>(modules_.size() - 1));
    return;
  }
  std::error_code ec;
  std::string key = std::filesystem::weakly_canonical(*path, ec).string();
  if (auto found = module_by_path_.find(key); found != module_by_path_.end()) {
    ModuleInfo& m = *modules_[found->second];
    if (m.loading) {
      std::string chain;
      bool in_cycle = false;
      for (const std::string& step : import_stack_) {
        in_cycle = in_cycle || step == m.name;
        if (in_cycle) {
          chain += step + " -> ";
        }
      }
      error(diag::Kind::ImportCycle, span(stmt.module), "import cycle: " + chain + name)
          .notes.push_back({at, "a module cannot import itself, directly or through others"});
      // Bind it as failed, so that uses of it report nothing more.
      auto info = std::make_unique<ModuleInfo>();
      info->name = name;
      info->failed = true;
      modules_.push_back(std::move(info));
      bind(static_cast<std::uint32_t>(modules_.size() - 1));
      return;
    }
    bind(found->second);
    return;
  }

  auto info = std::make_unique<ModuleInfo>();
  info->name = name;
  info->path = *path;
  std::uint32_t index = static_cast<std::uint32_t>(modules_.size());
  module_by_path_[key] = index;
  modules_.push_back(std::move(info));
  bind(index);
  ModuleInfo& m = *modules_[index];

  std::ifstream in(*path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    error(diag::Kind::BadImport, span(stmt.module),
          "cannot read module '" + name + "' from " + path->string());
    m.failed = true;
    return;
  }
  const diag::SourceFile& source = sources_.add(path->string(), text.str());
  std::optional<ast::Program> tree = parser::parse_program(source, diags_);
  if (!tree) {
    m.failed = true;
    return;
  }
  m.tree = std::make_unique<ast::Program>(std::move(*tree));
  m.ctx = std::make_unique<FileCtx>();
  m.ctx->file = source.id();
  m.ctx->prefix = name + ".";
  m.ctx->dir = path->parent_path();
  m.ctx->tree = m.tree.get();

  m.loading = true;
  import_stack_.push_back(name);
  check_file(*m.ctx);
  import_stack_.pop_back();
  m.loading = false;

  ir::Module mod;
  mod.name = name;
  mod.file = source.id();
  mod.main = m.ctx->main;
  for (const auto& [member, sym] : m.ctx->globals) {
    if (sym.kind == Symbol::Kind::Function) {
      mod.functions.push_back(FnId{sym.id});
    }
  }
  std::sort(mod.functions.begin(), mod.functions.end(), [](FnId a, FnId b) { return a.v < b.v; });
  m.ir_index = static_cast<std::uint32_t>(program_.modules.size());
  program_.modules.push_back(std::move(mod));
}

}  // namespace kestrel::sema
