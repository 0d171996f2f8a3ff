// Splitting huge functions into outlined pieces (split.hpp).
#include "codegen/llvm/split.hpp"

#include <llvm/Analysis/LoopInfo.h>
#include <llvm/IR/Dominators.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Module.h>
#include <llvm/Transforms/Utils/CodeExtractor.h>

#include <cstdlib>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "codegen/llvm/passes.hpp"

namespace kestrel::jit::split {

namespace {

using Blocks = std::vector<llvm::BasicBlock*>;

/// The blocks of the dominator subtree of `root` less that of `stop` (null: none), `root` first.
Blocks subtree(llvm::DomTreeNode* root, const llvm::DomTreeNode* stop) {
  Blocks out;
  std::vector<llvm::DomTreeNode*> work{root};
  while (!work.empty()) {
    llvm::DomTreeNode* n = work.back();
    work.pop_back();
    out.push_back(n->getBlock());
    for (llvm::DomTreeNode* c : n->children()) {
      if (c != stop) {
        work.push_back(c);
      }
    }
  }
  return out;
}

/// Whether `region` (its entry first) can be outlined: no return in it, and no edge into it but
/// into its entry.
bool outlinable(const Blocks& region) {
  std::unordered_set<const llvm::BasicBlock*> in(region.begin(), region.end());
  for (std::size_t k = 0; k < region.size(); ++k) {
    const llvm::BasicBlock* bb = region[k];
    if (llvm::isa<llvm::ReturnInst>(bb->getTerminator())) {
      return false;
    }
    if (k == 0) {
      continue;
    }
    for (const llvm::BasicBlock* pred : llvm::predecessors(bb)) {
      if (in.count(pred) == 0) {
        return false;
      }
    }
  }
  return true;
}

/// The regions of `f` to outline, each its entry first (see split.hpp).
std::vector<Blocks> regions_of(llvm::Function& f, unsigned piece_blocks) {
  llvm::DominatorTree dt(f);
  llvm::LoopInfo loops(dt);
  // Subtree sizes, and the deepest node.
  std::vector<llvm::DomTreeNode*> order;  // pre-order
  std::vector<llvm::DomTreeNode*> work{dt.getRootNode()};
  while (!work.empty()) {
    llvm::DomTreeNode* n = work.back();
    work.pop_back();
    order.push_back(n);
    for (llvm::DomTreeNode* c : n->children()) {
      work.push_back(c);
    }
  }
  std::unordered_map<const llvm::DomTreeNode*, unsigned> size;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    unsigned s = 1;
    for (llvm::DomTreeNode* c : (*it)->children()) {
      s += size[c];
    }
    size[*it] = s;
  }
  llvm::DomTreeNode* deepest = dt.getRootNode();
  for (llvm::DomTreeNode* n : order) {
    if (n->getLevel() > deepest->getLevel()) {
      deepest = n;
    }
  }
  // The spine, entry first; its cut points: outside every loop, below the entry block.
  std::vector<llvm::DomTreeNode*> spine;
  for (llvm::DomTreeNode* n = deepest; n != nullptr; n = n->getIDom()) {
    spine.push_back(n);
  }
  std::vector<llvm::DomTreeNode*> cuts;
  for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
    if ((*it)->getIDom() != nullptr && loops.getLoopFor((*it)->getBlock()) == nullptr) {
      cuts.push_back(*it);
    }
  }
  // Greedy from the entry: a region runs from a cut to the first later cut that leaves it at
  // least piece_blocks blocks (the last region: to the end of its subtree).
  std::vector<Blocks> regions;
  std::size_t k = 0;
  while (k < cuts.size()) {
    llvm::DomTreeNode* start = cuts[k];
    std::size_t next = k + 1;
    while (next < cuts.size() && size[start] - size[cuts[next]] < piece_blocks) {
      ++next;
    }
    if (next == cuts.size() && size[start] < piece_blocks) {
      break;  // the rest is small: stays in the function
    }
    Blocks region = subtree(start, next < cuts.size() ? cuts[next] : nullptr);
    if (outlinable(region)) {
      regions.push_back(std::move(region));
    }
    k = next;
  }
  return regions;
}

}  // namespace

void split_large_functions(llvm::Module& m, unsigned split_from, unsigned piece_blocks) {
  if (const char* v = std::getenv("KESTREL_JIT_SPLIT_BLOCKS")) {
    const long n = std::strtol(v, nullptr, 10);
    if (n > 0) {
      split_from = piece_blocks = static_cast<unsigned>(n);
    }
  }
  std::vector<llvm::Function*> large;
  for (llvm::Function& f : m) {
    if (!f.isDeclaration() && f.size() > split_from) {
      large.push_back(&f);
    }
  }
  for (llvm::Function* f : large) {
    passes::set_cheap(*f);  // as it would be unsplit (passes.hpp's kMaxFullBlocks)
    std::vector<Blocks> regions = regions_of(*f, piece_blocks);
    llvm::CodeExtractorAnalysisCache cache(*f);  // extractCodeRegion keeps it valid
    unsigned piece = 0;
    for (const Blocks& region : regions) {
      llvm::CodeExtractor extractor(region, nullptr, false, nullptr, nullptr, nullptr, false, false,
                                    nullptr, "piece" + std::to_string(piece));
      if (!extractor.isEligible()) {
        continue;
      }
      if (llvm::Function* out = extractor.extractCodeRegion(cache)) {
        out->addFnAttr(llvm::Attribute::NoInline);
        out->setLinkage(llvm::GlobalValue::InternalLinkage);
        passes::set_cheap(*out);
        ++piece;
      }
    }
  }
}

}  // namespace kestrel::jit::split
