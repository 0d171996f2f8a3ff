// Which pipeline each function of a lowered module gets (pipelines.hpp).
#include "codegen/llvm/pipelines.hpp"

#include <llvm/IR/Module.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_set>

#include "codegen/llvm/baseline.hpp"
#include "codegen/llvm/passes.hpp"

namespace kestrel::jit {

using passes::kMaxFullLoops;
using passes::loop_count;

/// Marks the functions of `m` that get the cheap pipeline (Options::pipeline, Options::hot): an
/// LLVM function belongs to the Kestrel function whose symbol it is or extends (its in-bounds
/// copy, its parallel loops' and launches' bodies) or whose entry it is.
void choose_pipelines(llvm::Module& m, const LoweredTables& tables, const Options& options) {
  std::unordered_set<std::string> hot;
  for (ir::FnId fn : options.hot) {
    const FnSig& sig = tables.sigs.at(fn.v);
    hot.insert(sig.symbol);
    hot.insert(sig.entry);
  }
  auto is_hot = [&](llvm::StringRef name) {
    for (llvm::StringRef n = name;; n = n.rsplit('.').first) {
      if (hot.count(n.str()) != 0) {
        return true;
      }
      if (!n.contains('.')) {
        return false;
      }
    }
  };
  for (llvm::Function& f : m) {
    if (f.isDeclaration()) {
      continue;
    }
    const unsigned loops = loop_count(f);
    if (options.pipeline == Pipeline::Baseline && !is_hot(f.getName())) {
      baseline::set(f);
      continue;
    }
    bool cheap = false;
    switch (options.pipeline) {
      case Pipeline::Full:
        break;
      case Pipeline::Cheap:
        cheap = !is_hot(f.getName());
        break;
      case Pipeline::Auto:
        cheap = loops == 0 && !is_hot(f.getName());
        break;
      case Pipeline::Baseline:  // a hot function: the full pipeline
        break;
    }
    if (cheap || loops > kMaxFullLoops || f.size() > passes::kMaxFullBlocks) {
      passes::set_cheap(f);
    }
  }
}

/// `options`, with Options::pipeline set by KESTREL_JIT_PIPELINE (full, cheap or auto) when
/// that is set, or baseline: for measuring the pipelines against each other, and for running the
/// golden programs through each.
Options with_pipeline_override(const Options& options) {
  Options o = options;
  if (const char* p = std::getenv("KESTREL_JIT_PIPELINE")) {
    if (std::strcmp(p, "full") == 0) {
      o.pipeline = Pipeline::Full;
    } else if (std::strcmp(p, "cheap") == 0) {
      o.pipeline = Pipeline::Cheap;
    } else if (std::strcmp(p, "auto") == 0) {
      o.pipeline = Pipeline::Auto;
    } else if (std::strcmp(p, "baseline") == 0) {
      o.pipeline = Pipeline::Baseline;
    }
  }
  return o;
}

}  // namespace kestrel::jit
