// The module passes of the JIT (passes.hpp).
#include "codegen/llvm/passes.hpp"

#include <llvm/ADT/Any.h>
#include <llvm/ADT/STLExtras.h>
#include <llvm/ADT/StringSet.h>
#include <llvm/Analysis/LoopInfo.h>
#include <llvm/Analysis/TargetTransformInfo.h>
#include <llvm/IR/AssemblyAnnotationWriter.h>
#include <llvm/IR/Dominators.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/InstIterator.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/OptBisect.h>
#include <llvm/IR/PassTimingInfo.h>
#include <llvm/IR/PatternMatch.h>
#include <llvm/IR/VFABIDemangler.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/FormattedStream.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/Utils/LoopUtils.h>
#include <llvm/Transforms/Utils/ModuleUtils.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "codegen/llvm/baseline.hpp"
#include "codegen/llvm/int_div_ir.hpp"
#include "codegen/llvm/philox_ir.hpp"

namespace kestrel::jit::passes {

namespace {
llvm::OptimizationLevel level_of(unsigned opt) {
  switch (opt) {
    case 0:
      return llvm::OptimizationLevel::O0;
    case 1:
      return llvm::OptimizationLevel::O1;
    case 3:
      return llvm::OptimizationLevel::O3;
    default:
      return llvm::OptimizationLevel::O2;
  }
}

constexpr const char* kCheapAttr = "kestrel-cheap";
constexpr const char* kPhiloxAttr = "kestrel-philox-loop";

/// The passes of the default pipeline that a function marked cheap skips: those of the O2
/// pipeline that O1's lacks (GVN, jump threading, correlated-value propagation, ...), the loop
/// passes that rewrite or copy loops (unrolling, IndVarSimplify, idiom recognition, loop
/// deletion, vectorisation) and those whose cost grows with the number of loops of a function
/// (ScalarEvolution's loop guards, passes.hpp's kMaxFullLoops). What remains (SROA, EarlyCSE,
/// InstCombine, SimplifyCFG, the inliner, LICM, loop rotation) gives most of the speed of
/// straight-line code for a fraction of the time.
bool skipped_when_cheap(llvm::StringRef pass) {
  static const llvm::StringSet<> kSkipped = {
      // In O2's pipeline, not in O1's.
      "AggressiveInstCombinePass", "ConstraintEliminationPass", "CorrelatedValuePropagationPass",
      "DSEPass", "GVNPass", "JumpThreadingPass", "MergedLoadStoreMotionPass",
      "SpeculativeExecutionPass", "SLPVectorizerPass",
      // Loop passes that rewrite, copy or delete loops, or use ScalarEvolution.
      "LoopUnrollPass", "LoopFullUnrollPass", "IndVarSimplifyPass", "LoopIdiomRecognizePass",
      "LoopDeletionPass", "LoopVectorizePass", "LoopDistributePass", "LoopLoadEliminationPass",
      "SimpleLoopUnswitchPass", "LoopSinkPass"};
  return kSkipped.contains(pass);
}

/// How many of the default pipeline's InstCombine runs (nine at O2) a function marked cheap gets:
/// the first ones, which clean up what SROA and the early passes leave. InstCombine's
/// context-sensitive queries cost time proportional to the depth of the dominator tree
/// (isGuaranteedNotToBeUndefOrPoison walks every dominating block for each select arm whose
/// condition constrains it; known bits scan every branch on a value), and a function of N
/// sequential statements has a tree N deep: each run is quadratic in N.
constexpr int kCheapInstCombines = 2;

/// Where a function marked by mark_philox_loop is in the pipeline: before LoopVectorize, after
/// it with its loop vectorised, or after it with its loop left scalar.
enum class PhiloxPhase { Before, Vectorised, Scalar };

/// Whether such a function gets its `run`-th InstCombine run (from 1) of those in `phase`
/// (passes.hpp: the first and the third before vectorisation, the first after it, all of them
/// when the loop stays scalar).
bool philox_runs_instcombine(int run, PhiloxPhase phase) {
  switch (phase) {
    case PhiloxPhase::Before:
      return run == 1 || run == 3;
    case PhiloxPhase::Vectorised:
      return run == 1;
    case PhiloxPhase::Scalar:
      return true;
  }
  return true;
}

/// Whether LoopVectorize has vectorised a loop of `f`: it marks the loops it leaves.
bool has_vectorised_loop(const llvm::Function& f) {
  for (const llvm::BasicBlock& bb : f) {
    const llvm::Instruction* term = bb.getTerminator();
    llvm::MDNode* loop = term != nullptr ? term->getMetadata(llvm::LLVMContext::MD_loop) : nullptr;
    if (loop != nullptr && llvm::findOptionMDForLoopID(loop, "llvm.loop.isvectorized") != nullptr) {
      return true;
    }
  }
  return false;
}

/// The function an IR unit of the new pass manager belongs to (null for a module or an SCC).
const llvm::Function* function_of(const llvm::Any& ir) {
  if (const auto* f = llvm::any_cast<const llvm::Function*>(&ir)) {
    return *f;
  }
  if (const auto* l = llvm::any_cast<const llvm::Loop*>(&ir)) {
    return (*l)->getHeader()->getParent();
  }
  return nullptr;
}

}  // namespace

void set_cheap(llvm::Function& f) { f.addFnAttr(kCheapAttr); }
void mark_philox_loop(llvm::Function& f) { f.addFnAttr(kPhiloxAttr); }
bool is_cheap(const llvm::Function& f) { return f.hasFnAttribute(kCheapAttr); }

namespace {
/// The machine passes a function marked cheap skips: those whose time grows faster than the
/// function (measured on issue 16's compile_growth_bench, 300 to 1,000 statements: machine code
/// sinking, machine CSE and block placement walk the dominator tree or every block per block).
bool machine_skipped_when_cheap(llvm::StringRef pass) {
  return pass == "Machine code sinking" || pass == "Machine Common Subexpression Elimination" ||
         pass == "Branch Probability Basic Block Placement";
}
}  // namespace

struct CheapCodegen::Gate final : llvm::OptPassGate {
  explicit Gate(const llvm::Module& module) : m(module) {}
  bool isEnabled() const override { return true; }
  bool shouldRunPass(const llvm::StringRef pass, llvm::StringRef unit) override {
    if (!machine_skipped_when_cheap(pass) || !unit.consume_front("function (") ||
        !unit.consume_back(")")) {
      return true;
    }
    const llvm::Function* f = m.getFunction(unit);
    return f == nullptr || !is_cheap(*f);
  }
  const llvm::Module& m;
};

CheapCodegen::CheapCodegen(llvm::Module& m)
    : m_(m), saved_(&m.getContext().getOptPassGate()), gate_(std::make_unique<Gate>(m)) {
  m.getContext().setOptPassGate(*gate_);
}
CheapCodegen::~CheapCodegen() { m_.getContext().setOptPassGate(*saved_); }

unsigned loop_count(const llvm::Function& f) {
  if (f.isDeclaration()) {
    return 0;
  }
  llvm::DominatorTree dt(const_cast<llvm::Function&>(f));
  llvm::LoopInfo loops(dt);
  return static_cast<unsigned>(loops.getLoopsInPreorder().size());
}

/// KESTREL_JIT_TIMES=1 prints the time of each phase of compile() on stderr; =passes also each
/// LLVM pass's (optimisation and code generation), as `-time-passes` does.
bool times_enabled() {
  static const bool kOn = std::getenv("KESTREL_JIT_TIMES") != nullptr;
  return kOn;
}
bool pass_times_enabled() {
  static const bool kOn = [] {
    const char* v = std::getenv("KESTREL_JIT_TIMES");
    return v != nullptr && std::strcmp(v, "passes") == 0;
  }();
  return kOn;
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

void set_target(llvm::Module& m, const llvm::TargetMachine& tm) {
  m.setDataLayout(tm.createDataLayout());
  m.setTargetTriple(tm.getTargetTriple().str());
  for (llvm::Function& f : m) {
    if (!f.isDeclaration()) {
      f.addFnAttr("target-cpu", tm.getTargetCPU());
      f.addFnAttr("target-features", tm.getTargetFeatureString());
    }
  }
}

/// Runs the new pass manager's default pipeline on `m` for `tm`, less of it in cheap functions.
unsigned optimise(llvm::Module& m, llvm::TargetMachine& tm, unsigned opt, bool all_instcombines) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions pto;
  pto.LoopVectorization = opt >= 2;
  pto.SLPVectorization = opt >= 2;
  llvm::PassInstrumentationCallbacks pic;
  std::optional<llvm::TimePassesHandler> timer;
  if (pass_times_enabled()) {
    timer.emplace(true);
    timer->registerCallbacks(pic);
  }
  // InstCombine runs so far, in cheap, baseline and Philox-loop functions.
  std::unordered_map<const llvm::Function*, int> instcombines;
  // The functions marked by mark_philox_loop that LoopVectorize has seen: their InstCombine
  // runs count again from there.
  std::unordered_map<const llvm::Function*, PhiloxPhase> philox_phase;
  unsigned skipped = 0;
  pic.registerAfterPassCallback(
      [&](llvm::StringRef pass, llvm::Any ir, const llvm::PreservedAnalyses&) {
        const llvm::Function* f = function_of(ir);
        if (pass == "LoopVectorizePass" && f != nullptr && f->hasFnAttribute(kPhiloxAttr) &&
            !philox_phase.contains(f)) {
          philox_phase[f] = has_vectorised_loop(*f) ? PhiloxPhase::Vectorised : PhiloxPhase::Scalar;
          instcombines[f] = 0;
        }
      });
  pic.registerShouldRunOptionalPassCallback([&](llvm::StringRef pass, llvm::Any ir) {
    const llvm::Function* f = function_of(ir);
    if (f != nullptr && !all_instcombines && pass == "InstCombinePass" &&
        f->hasFnAttribute(kPhiloxAttr) && !baseline::is(*f) && !is_cheap(*f)) {
      auto phase = philox_phase.find(f);
      if (!philox_runs_instcombine(++instcombines[f], phase == philox_phase.end()
                                                          ? PhiloxPhase::Before
                                                          : phase->second)) {
        ++skipped;
        return false;
      }
    }
    if (f != nullptr && baseline::is(*f)) {
      return baseline::runs_pass(pass, pass == "InstCombinePass" ? ++instcombines[f] : 0);
    }
    if (f == nullptr || !is_cheap(*f)) {
      return true;
    }
    if (pass == "InstCombinePass") {
      return ++instcombines[f] <= kCheapInstCombines;
    }
    return !skipped_when_cheap(pass);
  });
  llvm::PassBuilder pb(&tm, pto, std::nullopt, &pic);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = opt == 0 ? pb.buildO0DefaultPipeline(llvm::OptimizationLevel::O0)
                                         : pb.buildPerModuleDefaultPipeline(level_of(opt));
  mpm.run(m, mam);
  return skipped;
}

namespace {
/// Whether `u` is a use by `lshr` (in a Philox round: the product's high half).
bool shifted_right(const llvm::Use& u) {
  const auto* shift = llvm::dyn_cast<llvm::BinaryOperator>(u.getUser());
  return shift != nullptr && shift->getOpcode() == llvm::Instruction::LShr;
}
}  // namespace

void cut_multiply_chains(llvm::Module& m) {
  // A vector product whose high half is taken and which has other uses: the shifts read a
  // freeze of it (passes.hpp).
  std::vector<llvm::Instruction*> products;
  for (llvm::Function& f : m) {
    for (llvm::Instruction& i : llvm::instructions(f)) {
      if (i.getOpcode() == llvm::Instruction::Mul && i.getType()->isVectorTy() &&
          llvm::any_of(i.uses(), shifted_right) && !llvm::all_of(i.uses(), shifted_right)) {
        products.push_back(&i);
      }
    }
  }
  for (llvm::Instruction* product : products) {
    auto* cut = new llvm::FreezeInst(product, product->getName() + ".high");
    cut->insertAfter(product);
    product->replaceUsesWithIf(cut, [](llvm::Use& u) { return shifted_right(u); });
  }
  for (llvm::Function& f : m) {
    for (llvm::Instruction& i : llvm::instructions(f)) {
      if (i.getOpcode() != llvm::Instruction::Mul) {
        continue;
      }
      for (llvm::Value* op : i.operands()) {
        auto* mask = llvm::dyn_cast<llvm::BinaryOperator>(op);
        const llvm::APInt* bits = nullptr;
        if (mask == nullptr || mask->getOpcode() != llvm::Instruction::And ||
            !llvm::PatternMatch::match(mask->getOperand(1), llvm::PatternMatch::m_APInt(bits)) ||
            !bits->isMask()) {
          continue;
        }
        auto* v = llvm::dyn_cast<llvm::Instruction>(mask->getOperand(0));
        if (v == nullptr || llvm::isa<llvm::FreezeInst>(v) || llvm::isa<llvm::PHINode>(v)) {
          continue;
        }
        auto* cut = new llvm::FreezeInst(v, v->getName() + ".cut");
        cut->insertBefore(mask);
        mask->setOperand(0, cut);
        // The mask first, where the multiply is a vector one in the same block (passes.hpp).
        if (mask->getType()->isVectorTy() && mask->getParent() == i.getParent()) {
          mask->swapOperands();
        }
      }
    }
  }
}

/// Deletes the body of every function that no function reachable from `roots` refers to, so
/// that neither the optimiser nor the code generator spends time on it. References are followed
/// through calls, function pointers (a parallel loop's body handed to the runtime) and the
/// initializers of globals.
void keep_reachable(llvm::Module& m, const std::vector<llvm::Function*>& roots) {
  std::unordered_set<const llvm::Value*> seen;
  std::vector<const llvm::Value*> work;
  auto visit = [&](const llvm::Value* v) {
    const auto* c = llvm::dyn_cast<llvm::Constant>(v);  // functions and globals are constants
    if (c != nullptr && (llvm::isa<llvm::GlobalValue>(c) || c->getNumOperands() > 0) &&
        seen.insert(v).second) {
      work.push_back(v);
    }
  };
  for (llvm::Function* f : roots) {
    visit(f);
  }
  while (!work.empty()) {
    const llvm::Value* v = work.back();
    work.pop_back();
    if (const auto* f = llvm::dyn_cast<llvm::Function>(v)) {
      for (const llvm::BasicBlock& bb : *f) {
        for (const llvm::Instruction& i : bb) {
          for (const llvm::Value* op : i.operands()) {
            visit(op);
          }
        }
      }
    } else if (const auto* g = llvm::dyn_cast<llvm::GlobalVariable>(v)) {
      if (g->hasInitializer()) {
        visit(g->getInitializer());
      }
    } else if (!llvm::isa<llvm::GlobalValue>(v)) {
      for (const llvm::Value* op : llvm::cast<llvm::Constant>(v)->operands()) {
        visit(op);
      }
    }
  }
  for (llvm::Function& f : m) {
    if (!f.isDeclaration() && seen.count(&f) == 0) {
      f.deleteBody();  // now an external declaration nothing refers to
    }
  }
}

namespace {
/// The calls of `scalar` (a declaration), by calling function.
std::map<llvm::Function*, std::vector<llvm::CallInst*>> calls_by_caller(llvm::Function* scalar) {
  std::map<llvm::Function*, std::vector<llvm::CallInst*>> calls;
  for (llvm::User* u : scalar->users()) {
    auto* call = llvm::dyn_cast<llvm::CallInst>(u);
    if (call != nullptr && call->getCalledFunction() == scalar) {
      calls[call->getFunction()].push_back(call);
    }
  }
  return calls;
}

/// How many i64s the vector registers of `f`'s target hold.
unsigned i64_lanes(llvm::TargetMachine& tm, const llvm::Function& f) {
  return tm.getTargetTransformInfo(f)
             .getRegisterBitWidth(llvm::TargetTransformInfo::RGK_FixedWidthVector)
             .getFixedValue() /
         64;
}

/// Declares `name` of `type` (once) as a vector variant of `scalar`, with its attributes, kept in
/// `kept` until the vectoriser; returns the VFABI name of the variant for a call of `scalar`
/// (`params`: each parameter's kind, v vector or u uniform).
std::string declare_variant(llvm::Module& m, llvm::Function* scalar, const std::string& name,
                            llvm::FunctionType* type, unsigned lanes, const char* params,
                            std::vector<llvm::GlobalValue*>& kept) {
  if (m.getFunction(name) == nullptr) {
    auto* variant = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, name, m);
    variant->copyAttributesFrom(scalar);
    kept.push_back(variant);
  }
  return "_ZGV_LLVM_N" + std::to_string(lanes) + params + "_" + scalar->getName().str() + "(" +
         name + ")";
}
}  // namespace

void add_random_variants(llvm::Module& m, llvm::TargetMachine& tm) {
  llvm::Function* scalar = m.getFunction(philox_ir::kRandomFunction);
  if (scalar == nullptr) {
    return;
  }
  llvm::LLVMContext& c = m.getContext();
  llvm::Type* i64 = llvm::Type::getInt64Ty(c);
  std::vector<llvm::GlobalValue*> kept;
  // Each function's width and loops computed once.
  for (auto& [caller, its_calls] : calls_by_caller(scalar)) {
    const unsigned lanes = i64_lanes(tm, *caller);
    if (lanes < 2) {
      continue;
    }
    auto* vi64 = llvm::FixedVectorType::get(i64, lanes);
    auto* vf64 = llvm::FixedVectorType::get(llvm::Type::getDoubleTy(c), lanes);
    std::vector<std::string> names;
    for (bool uniform : {true, false}) {
      names.push_back(declare_variant(
          m, scalar,
          std::string(philox_ir::kVariantPrefix) + (uniform ? "u" : "v") + std::to_string(lanes),
          llvm::FunctionType::get(vf64, {uniform ? i64 : vi64, vi64}, false), lanes,
          uniform ? "uv" : "vv", kept));
    }
    // The vectoriser sees a call, not the draw's hundred cheap operations, so its costs may
    // leave the loop scalar where the written-out draws were vectorised (a key of i % 5: its
    // vector remainder costs more than the call saves): the loop asks for the variants' width.
    llvm::DominatorTree dt(*caller);
    llvm::LoopInfo loops(dt);
    for (llvm::CallInst* call : its_calls) {
      llvm::VFABI::setVectorVariantNames(call, names);
      if (llvm::Loop* loop = loops.getLoopFor(call->getParent())) {
        llvm::addStringMetadataToLoop(loop, "llvm.loop.vectorize.width", lanes);
      }
    }
  }
  if (!kept.empty()) {
    llvm::appendToCompilerUsed(m, kept);
  }
}

namespace {
/// Deletes the declarations of `m` that `is` picks (functions whose calls an expand_*_calls pass
/// has just replaced), throwing std::logic_error if one still has a call.
void erase_expanded(llvm::Module& m, bool (*is)(const llvm::Function*)) {
  for (llvm::Function& f : llvm::make_early_inc_range(m)) {
    if (is(&f)) {
      f.removeDeadConstantUsers();
      if (!f.use_empty()) {  // it has no body: the module would not link
        throw std::logic_error("internal error: a call of " + f.getName().str() +
                               " was not expanded");
      }
      f.eraseFromParent();
    }
  }
}

/// kestrel.random or one of its vector variants.
bool is_random_call(const llvm::Function* f) {
  return f != nullptr && f->isDeclaration() &&
         (f->getName() == philox_ir::kRandomFunction ||
          f->getName().starts_with(philox_ir::kVariantPrefix));
}

/// Expands the draws of `start`, and of the blocks its groups' loops split off, a group at a time
/// (expand_random_calls).
void expand_random_calls(llvm::BasicBlock* start) {
  // Blocks to look at again: after a group, both the block it began in (the calls of other types
  // between the group's calls stay there) and the rest after the loop.
  std::vector<llvm::BasicBlock*> blocks{start};
  while (!blocks.empty()) {
    llvm::BasicBlock& bb = *blocks.back();
    blocks.pop_back();
    llvm::CallInst* first = nullptr;
    for (llvm::Instruction& i : bb) {
      auto* call = llvm::dyn_cast<llvm::CallInst>(&i);
      if (call != nullptr && is_random_call(call->getCalledFunction())) {
        first = call;
        break;
      }
    }
    if (first == nullptr) {
      continue;
    }
    // The group: `first` and the calls after it of the same type that read no value computed
    // from the group's draws, up to the first instruction that touches memory; the
    // instructions between them that use the draws (`later`) move after the loop.
    std::vector<llvm::CallInst*> group{first};
    std::unordered_set<llvm::Value*> from_draws{first};
    std::vector<llvm::Instruction*> later;
    std::vector<llvm::Instruction*> pending;
    for (llvm::Instruction* i = first->getNextNode(); i != nullptr && !i->isTerminator();
         i = i->getNextNode()) {
      auto* call = llvm::dyn_cast<llvm::CallInst>(i);
      bool reads_draw =
          llvm::any_of(i->operands(), [&](llvm::Value* v) { return from_draws.count(v) != 0; });
      if (call != nullptr && is_random_call(call->getCalledFunction()) &&
          call->getType() == first->getType() && !reads_draw) {
        group.push_back(call);
        from_draws.insert(call);
        later.insert(later.end(), pending.begin(), pending.end());
        pending.clear();
        continue;
      }
      if (i->mayReadOrWriteMemory() || i->mayHaveSideEffects() || llvm::isa<llvm::PHINode>(i)) {
        break;
      }
      if (reads_draw) {
        from_draws.insert(i);
        pending.push_back(i);
      }
    }
    llvm::CallInst* last = group.back();
    std::vector<llvm::Value*> keys;
    std::vector<llvm::Value*> counters;
    for (llvm::CallInst* call : group) {
      keys.push_back(call->getArgOperand(0));
      counters.push_back(call->getArgOperand(1));
    }
    llvm::IRBuilder<> b(last);
    std::vector<llvm::Value*> draws;
    if (first->getType()->isVectorTy()) {
      draws = philox_ir::random_rounds(b, keys, counters);
      blocks.push_back(last->getParent());  // the loop's exit: the rest of the block
    } else {
      // Scalar draws (a loop the vectoriser left, a remainder) are written out, in the lanes of
      // one vector as the SLP vectoriser made them of the straight-line draws before: a loop
      // over rounds in scalar code, or each draw on its own, ran 2.4x and 2.2x slower than those
      // (a sum of 3*10^7 products of two draws), the lanes 1.27x (313 ms against 247), which is
      // why a loop with a float sum keeps its draws written out from the start (lower_stmt.cpp).
      draws = philox_ir::random_lanes(b, keys, counters);
    }
    blocks.push_back(&bb);
    for (llvm::Instruction* i : later) {
      i->moveBefore(last);
    }
    for (std::size_t j = 0; j < group.size(); ++j) {
      group[j]->replaceAllUsesWith(draws[j]);
      group[j]->eraseFromParent();
    }
  }
}
}  // namespace

void expand_random_calls(llvm::Module& m) {
  llvm::removeFromUsedLists(
      m, [](llvm::Constant* c) { return c->getName().starts_with(philox_ir::kVariantPrefix); });
  std::vector<llvm::BasicBlock*> blocks;
  for (llvm::Function& f : m) {
    for (llvm::BasicBlock& bb : f) {
      blocks.push_back(&bb);
    }
  }
  for (llvm::BasicBlock* bb : blocks) {
    expand_random_calls(bb);
  }
  erase_expanded(m, is_random_call);
}

namespace {
/// kestrel.sdiv, kestrel.srem or one of their vector variants.
bool is_division_call(const llvm::Function* f) {
  if (f == nullptr || !f->isDeclaration()) {
    return false;
  }
  const llvm::StringRef name = f->getName();
  return name == int_div_ir::kSDivFunction || name == int_div_ir::kSRemFunction ||
         name.starts_with(int_div_ir::kSDivVariantPrefix) ||
         name.starts_with(int_div_ir::kSRemVariantPrefix);
}
}  // namespace

void add_division_variants(llvm::Module& m, llvm::TargetMachine& tm) {
  llvm::Type* i64 = llvm::Type::getInt64Ty(m.getContext());
  std::vector<llvm::GlobalValue*> kept;
  for (bool remainder : {false, true}) {
    llvm::Function* scalar =
        m.getFunction(remainder ? int_div_ir::kSRemFunction : int_div_ir::kSDivFunction);
    if (scalar == nullptr) {
      continue;
    }
    const std::string prefix =
        remainder ? int_div_ir::kSRemVariantPrefix : int_div_ir::kSDivVariantPrefix;
    for (auto& [caller, its_calls] : calls_by_caller(scalar)) {
      const unsigned widest = i64_lanes(tm, *caller);
      std::vector<std::string> names;
      for (unsigned lanes = 2; lanes <= widest; lanes *= 2) {
        auto* vi64 = llvm::FixedVectorType::get(i64, lanes);
        names.push_back(declare_variant(m, scalar, prefix + "v" + std::to_string(lanes),
                                        llvm::FunctionType::get(vi64, {vi64, i64}, false), lanes,
                                        "vu", kept));
      }
      if (!names.empty()) {
        for (llvm::CallInst* call : its_calls) {
          llvm::VFABI::setVectorVariantNames(call, names);
        }
      }
    }
  }
  if (!kept.empty()) {
    llvm::appendToCompilerUsed(m, kept);
  }
}

void expand_division_calls(llvm::Module& m) {
  llvm::removeFromUsedLists(m, [](llvm::Constant* c) {
    return c->getName().starts_with(int_div_ir::kSDivVariantPrefix) ||
           c->getName().starts_with(int_div_ir::kSRemVariantPrefix);
  });
  for (llvm::Function& f : m) {
    for (llvm::BasicBlock& bb : f) {
      // A vector quotient written once for a block's quotient and remainder of the same a and d.
      std::map<std::pair<llvm::Value*, std::int64_t>, llvm::Value*> quotients;
      for (llvm::Instruction& i : llvm::make_early_inc_range(bb)) {
        auto* call = llvm::dyn_cast<llvm::CallInst>(&i);
        if (call == nullptr || !is_division_call(call->getCalledFunction())) {
          continue;
        }
        const llvm::StringRef name = call->getCalledFunction()->getName();
        const bool remainder =
            name == int_div_ir::kSRemFunction || name.starts_with(int_div_ir::kSRemVariantPrefix);
        llvm::Value* a = call->getArgOperand(0);
        auto* d = llvm::dyn_cast<llvm::ConstantInt>(call->getArgOperand(1));
        if (d == nullptr || !int_div_ir::wants_call(d->getSExtValue())) {
          throw std::logic_error("internal error: a call of " + name.str() +
                                 " divides by a value that is not its constant");
        }
        llvm::IRBuilder<> b(call);
        llvm::Value* result = nullptr;
        if (!a->getType()->isVectorTy()) {
          result = remainder ? b.CreateSRem(a, d) : b.CreateSDiv(a, d);
        } else {
          llvm::Value*& q = quotients[{a, d->getSExtValue()}];
          if (q == nullptr) {
            q = int_div_ir::sdiv_vector(b, a, d->getSExtValue());
          }
          result = remainder
                       ? b.CreateSub(
                             a, b.CreateMul(q, llvm::ConstantInt::get(a->getType(), d->getValue())))
                       : q;
        }
        call->replaceAllUsesWith(result);
        call->eraseFromParent();
      }
    }
  }
  erase_expanded(m, is_division_call);
}

/// Innermost loops of at least this many instructions, as lowered, get their tail folded.
constexpr unsigned kFoldTailFrom = 120;
/// What a call of kestrel.random counts for there: the instructions of a draw written out
/// (philox_ir::random_bits and the conversion), which the remainder would hold.
constexpr unsigned kDrawSize = 122;

/// Asks the loop vectoriser to fold the remainder of each large innermost loop into the vector
/// loop (masked lanes) instead of a scalar copy of the body after it. Such a body is mostly
/// arithmetic (a Philox draw is ~60 instructions), so the scalar copy costs nearly as much to
/// optimise and compile as the vector loop while running only the last few iterations, and the
/// masks cost little beside the body: for Monte Carlo pi this cuts compile time by about a
/// third at the same run speed. Small loops (an elementwise kernel) keep the scalar remainder:
/// it is cheap to compile, and masked loads would slow their vector loop.
void fold_large_loop_tails(llvm::Module& m) {
  for (llvm::Function& f : m) {
    if (f.isDeclaration()) {
      continue;
    }
    llvm::DominatorTree dt(f);
    llvm::LoopInfo loops(dt);
    for (llvm::Loop* loop : loops.getLoopsInPreorder()) {
      if (!loop->isInnermost()) {
        continue;
      }
      unsigned size = 0;
      for (const llvm::BasicBlock* bb : loop->blocks()) {
        for (const llvm::Instruction& i : *bb) {
          // A draw counts as what expand_random_calls writes for it in the scalar remainder.
          const auto* call = llvm::dyn_cast<llvm::CallInst>(&i);
          const bool draw = call != nullptr && call->getCalledFunction() != nullptr &&
                            call->getCalledFunction()->getName() == philox_ir::kRandomFunction;
          size += draw ? kDrawSize : 1;
        }
      }
      if (times_enabled()) {
        std::fprintf(stderr, "jit: %s: loop of %u instructions%s\n", f.getName().str().c_str(),
                     size, size >= kFoldTailFrom ? ", tail folded" : "");
      }
      if (size >= kFoldTailFrom) {
        llvm::addStringMetadataToLoop(loop, "llvm.loop.vectorize.predicate.enable", 1);
      }
    }
  }
}

std::string print(const llvm::Module& m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  m.print(os, nullptr);
  return s;
}

namespace {
/// Where each function's text starts in a module's (AssemblyWriter calls it just before it).
struct FunctionStarts final : llvm::AssemblyAnnotationWriter {
  void emitFunctionAnnot(const llvm::Function* f, llvm::formatted_raw_ostream& os) override {
    at.emplace_back(f, os.tell());
  }
  std::vector<std::pair<const llvm::Function*, std::uint64_t>> at;
};
}  // namespace

std::string print(const llvm::Module& m,
                  std::unordered_map<const llvm::Function*, std::string>& functions) {
  std::string s;
  llvm::raw_string_ostream os(s);
  FunctionStarts starts;
  m.print(os, &starts);
  os.flush();
  for (const auto& [f, at] : starts.at) {
    if (f->isDeclaration()) {
      continue;
    }
    // A definition ends at its closing brace, the only line of its text that starts with one.
    const std::size_t end = s.find("\n}\n", at);
    if (end != std::string::npos) {
      functions[f] = s.substr(at, end + 3 - at) + "\n";
    }
  }
  return s;
}

std::string print(const llvm::Function& f) {
  std::string s;
  llvm::raw_string_ostream os(s);
  f.print(os);
  return s;
}

}  // namespace kestrel::jit::passes
