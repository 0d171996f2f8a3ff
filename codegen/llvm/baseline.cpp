// The JIT's baseline tier (baseline.hpp).
#include "codegen/llvm/baseline.hpp"

#include <llvm/ADT/StringSet.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassManager.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/IPO/AlwaysInliner.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/SROA.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>

namespace kestrel::jit::baseline {

namespace {
constexpr const char* kAttr = "kestrel-baseline";
}  // namespace

void set(llvm::Function& f) { f.addFnAttr(kAttr); }
bool is(const llvm::Function& f) { return f.hasFnAttribute(kAttr); }

bool whole_module(const llvm::Module& m) {
  for (const llvm::Function& f : m) {
    if (!f.isDeclaration() && !is(f)) {
      return false;
    }
  }
  return true;
}

bool runs_pass(llvm::StringRef pass, int instcombines) {
  static const llvm::StringSet<> kRuns = {"SROAPass", "EarlyCSEPass", "SimplifyCFGPass",
                                          "AlwaysInlinerPass"};
  if (pass == "InstCombinePass") {
    return instcombines <= 1;
  }
  return kRuns.contains(pass);
}

void optimise_module(llvm::Module& m, llvm::TargetMachine& tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::FunctionPassManager fpm;
  fpm.addPass(llvm::SROAPass(llvm::SROAOptions::ModifyCFG));
  fpm.addPass(llvm::EarlyCSEPass());
  fpm.addPass(llvm::InstCombinePass());
  fpm.addPass(llvm::SimplifyCFGPass());
  llvm::ModulePassManager mpm;
  // A parallel loop's kernel call is marked alwaysinline (lower_call.cpp): inlined here too.
  mpm.addPass(llvm::AlwaysInlinerPass());
  mpm.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(fpm)));
  mpm.run(m, mam);
}

void mark_for_fast_codegen(llvm::Module& m) {
  for (llvm::Function& f : m) {
    if (!f.isDeclaration() && is(f)) {
      f.removeFnAttr(llvm::Attribute::AlwaysInline);
      f.addFnAttr(llvm::Attribute::NoInline);
      f.addFnAttr(llvm::Attribute::OptimizeNone);
    }
  }
}

}  // namespace kestrel::jit::baseline
