// The object cache's one LLVM pass (see object_cache.hpp): string constants made into slots, so
// that an object holds no address of the process that compiled it.
#include "codegen/llvm/object_cache.hpp"

#include <llvm/IR/Constants.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Module.h>

#include <optional>
#include <unordered_map>

namespace kestrel::jit::cache {

bool externalise_strings(llvm::Module& module, const std::deque<std::string>& strings) {
  std::unordered_map<std::uint64_t, std::size_t> index;  // address -> string number
  for (std::size_t n = 0; n < strings.size(); ++n) {
    index.emplace(reinterpret_cast<std::uintptr_t>(&strings[n]), n);
  }
  auto* ptr = llvm::PointerType::get(module.getContext(), 0);
  std::vector<llvm::GlobalVariable*> slots;
  for (std::size_t n = 0; n < strings.size(); ++n) {
    // Exported and written after linking, so the optimiser must not assume its value.
    slots.push_back(new llvm::GlobalVariable(module, ptr, false, llvm::GlobalValue::ExternalLinkage,
                                             llvm::ConstantPointerNull::get(ptr), string_slot(n)));
  }
  // The address of a string constant, when `v` is `inttoptr (i64 address)`.
  auto string_of = [&](llvm::Value* v) -> std::optional<std::size_t> {
    auto* ce = llvm::dyn_cast<llvm::ConstantExpr>(v);
    if (ce == nullptr || ce->getOpcode() != llvm::Instruction::IntToPtr) {
      return std::nullopt;
    }
    auto* ci = llvm::dyn_cast<llvm::ConstantInt>(ce->getOperand(0));
    if (ci == nullptr || ci->getBitWidth() > 64) {
      return std::nullopt;
    }
    auto it = index.find(ci->getZExtValue());
    if (it == index.end()) {
      return std::nullopt;
    }
    return it->second;
  };
  bool complete = true;
  for (llvm::Function& f : module) {
    if (f.isDeclaration()) {
      continue;
    }
    // One load per string per function, at the top of the entry block: it dominates every use.
    std::unordered_map<std::size_t, llvm::Value*> loaded;
    llvm::IRBuilder<> b(&f.getEntryBlock(), f.getEntryBlock().getFirstInsertionPt());
    for (llvm::BasicBlock& bb : f) {
      for (llvm::Instruction& inst : bb) {
        for (llvm::Use& use : inst.operands()) {
          std::optional<std::size_t> n = string_of(use.get());
          if (!n) {
            continue;
          }
          llvm::Value*& v = loaded[*n];
          if (v == nullptr) {
            v = b.CreateLoad(ptr, slots[*n], "str");
          }
          use.set(v);
        }
      }
    }
  }
  // Anything still holding an address makes the object process-specific: a string's address
  // in another form, or any other pointer made from a constant (lowering must embed no other
  // address of this process; should it start to, such programs are simply not cached).
  for (llvm::Function& f : module) {
    for (llvm::BasicBlock& bb : f) {
      for (llvm::Instruction& inst : bb) {
        for (llvm::Value* op : inst.operand_values()) {
          auto* c = llvm::dyn_cast<llvm::Constant>(op);
          if (c == nullptr || llvm::isa<llvm::GlobalValue>(c)) {
            continue;
          }
          std::vector<llvm::Constant*> work{c};
          while (!work.empty() && complete) {
            llvm::Constant* k = work.back();
            work.pop_back();
            if (auto* ci = llvm::dyn_cast<llvm::ConstantInt>(k)) {
              if (ci->getBitWidth() <= 64 && index.count(ci->getZExtValue()) != 0) {
                complete = false;
              }
            } else if (auto* ce = llvm::dyn_cast<llvm::ConstantExpr>(k)) {
              if (ce->getOpcode() == llvm::Instruction::IntToPtr &&
                  !llvm::cast<llvm::Constant>(ce->getOperand(0))->isNullValue()) {
                complete = false;
              }
              for (llvm::Value* o : k->operand_values()) {
                work.push_back(llvm::cast<llvm::Constant>(o));
              }
            }
          }
        }
      }
    }
  }
  return complete;
}

}  // namespace kestrel::jit::cache
