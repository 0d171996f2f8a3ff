// The JIT driver. compile() looks the program up in the object cache (object_cache.hpp: a hit
// skips everything below); otherwise it lowers the program to one LLVM module (lower_context.hpp),
// verifies it, trims it to what Options::roots reach, runs passes.hpp's fold_large_loop_tails,
// marks the functions that get the cheap pipeline (choose_pipelines: Options::pipeline and hot,
// and passes.hpp's bounds), and then runs the new pass manager's pipeline (O2 by default, less
// of it in cheap functions) for the host CPU itself, before LLJIT
// sees the module: LLJIT only generates code (its IRCompileLayer, with a pooled TargetMachine
// whose object file is copied out for the cache) and links it against the runtime's C ABI (an
// absolute-symbol map from rt::abi_symbols(): no lookup in the process). run_main() and call()
// then run it.
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ObjectTransformLayer.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/DiagnosticHandler.h>
#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/DiagnosticPrinter.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassTimingInfo.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Pass.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/SubtargetFeature.h>
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_set>

#include "codegen/common/library_error.hpp"
#include "codegen/common/marshal.hpp"
#include "codegen/llvm/baseline.hpp"
#include "codegen/llvm/native_program.hpp"
#include "codegen/llvm/object_cache.hpp"
#include "codegen/llvm/passes.hpp"
#include "codegen/llvm/pipelines.hpp"
#include "codegen/llvm/program.hpp"
#include "codegen/llvm/split.hpp"
#include "runtime/abi.hpp"
#include "runtime/array.hpp"
#include "runtime/csv.hpp"
#include "runtime/limits.hpp"
#include "runtime/run_stack.hpp"
#include "runtime/stream.hpp"

namespace kestrel::jit {

namespace {

std::string error_text(llvm::Error e) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << e;
  return s;
}

template <class T>
T unwrap(llvm::Expected<T> v, const char* what) {
  if (!v) {
    throw std::runtime_error(std::string("LLVM: ") + what + ": " + error_text(v.takeError()));
  }
  return std::move(*v);
}

void check(llvm::Error e, const char* what) {
  if (e) {
    throw std::runtime_error(std::string("LLVM: ") + what + ": " + error_text(std::move(e)));
  }
}

using passes::cut_multiply_chains;
using passes::fold_large_loop_tails;
using passes::keep_reachable;
using passes::kMaxFullLoops;
using passes::loop_count;
using passes::ms_since;
using passes::optimise;
using passes::pass_times_enabled;
using passes::print;
using passes::times_enabled;

/// What LLVM reports about a compile, kept from the user's stderr, where its default handler
/// prints: a remark (the vectoriser told to vectorise a loop at a width, as add_random_variants
/// asks, that it cannot, says so as "remark: ... loop not vectorized") is dropped, and an error,
/// on which the default handler would end the process, is kept in `error` for compile() to
/// throw as an internal error of the JIT.
class QuietDiagnostics final : public llvm::DiagnosticHandler {
 public:
  explicit QuietDiagnostics(std::shared_ptr<std::string> error) : error_(std::move(error)) {}
  bool handleDiagnostics(const llvm::DiagnosticInfo& d) override {
    if (d.getSeverity() == llvm::DS_Error && error_->empty()) {
      llvm::raw_string_ostream os(*error_);
      llvm::DiagnosticPrinterRawOStream printer(os);
      d.print(printer);
    }
    return true;
  }

 private:
  std::shared_ptr<std::string> error_;
};

/// The target-machine builder for the host CPU, code generation at `opt` (0..3). Same bits as the
/// interpreter: no fused multiply-add, no fast-math.
llvm::orc::JITTargetMachineBuilder host_builder(unsigned opt) {
  auto jtmb = unwrap(llvm::orc::JITTargetMachineBuilder::detectHost(), "detecting the host");
  if (const char* cpu = std::getenv("KESTREL_JIT_CPU"); cpu != nullptr && cpu[0] != '\0') {
    // Code for another CPU of this one's family (tests: narrower vectors than the host's); the
    // object cache is off meanwhile (cache_dir.cpp), since its keys name the host's CPU.
    jtmb.setCPU(cpu);
    jtmb.getFeatures() = llvm::SubtargetFeatures();
  }
  jtmb.getOptions().AllowFPOpFusion = llvm::FPOpFusion::Strict;
  jtmb.setCodeGenOptLevel(opt == 0   ? llvm::CodeGenOptLevel::None
                          : opt == 1 ? llvm::CodeGenOptLevel::Less
                          : opt == 3 ? llvm::CodeGenOptLevel::Aggressive
                                     : llvm::CodeGenOptLevel::Default);
  return jtmb;
}

/// TargetMachines for the host CPU kept between compiles, by code generation level. Making one,
/// and the subtarget it builds on first use, costs a few milliseconds per compile otherwise
/// (half of the optimiser's analysis time for Monte Carlo pi). A compile borrows one for its
/// duration, so compiles on other threads at the same time get their own.
class MachinePool {
 public:
  /// The process's pool. Never destroyed: TargetMachines must not outlive LLVM's own statics.
  static MachinePool& get() {
    static MachinePool* pool = new MachinePool;
    return *pool;
  }

  /// A TargetMachine made by `jtmb`, whose code generation level is `level` (0..3).
  std::unique_ptr<llvm::TargetMachine> take(llvm::orc::JITTargetMachineBuilder& jtmb,
                                            unsigned level) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& free = free_[level & 3];
      if (!free.empty()) {
        std::unique_ptr<llvm::TargetMachine> tm = std::move(free.back());
        free.pop_back();
        return tm;
      }
    }
    return unwrap(jtmb.createTargetMachine(), "creating the target machine");
  }

  void give(unsigned level, std::unique_ptr<llvm::TargetMachine> tm) {
    std::lock_guard<std::mutex> lock(mu_);
    free_[level & 3].push_back(std::move(tm));
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<llvm::TargetMachine>> free_[4];
};

}  // namespace

/// One LLJIT and the runtime's symbols, shared by the programs compiled into it (see jit.hpp),
/// made at the first compile into it. A compile borrows a TargetMachine from the MachinePool;
/// a cache hit needs none.
class Host {
 public:
  explicit Host(unsigned codegen_opt)
      : jtmb_(host_builder(codegen_opt)),
        fast_jtmb_(jtmb_),
        codegen_opt_(codegen_opt),
        level_(codegen_opt) {
    fast_jtmb_.setCodeGenOptLevel(llvm::CodeGenOptLevel::None);
  }
  ~Host() { release_machine(); }
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  const llvm::orc::JITTargetMachineBuilder& builder() const { return jtmb_; }

  /// The TargetMachine that optimises and compiles the module of the compile in progress.
  llvm::TargetMachine& target_machine() {
    if (!tm_) {
      tm_ = MachinePool::get().take(level_ == 0 ? fast_jtmb_ : jtmb_, level_);
    }
    return *tm_;
  }
  /// Gives the TargetMachine back to the pool (at the end of a compile), and makes the next
  /// compile's code generation level the Host's again.
  void release_machine() {
    if (tm_) {
      MachinePool::get().give(level_, std::move(tm_));
    }
    level_ = codegen_opt_;
  }
  /// The compile in progress generates code at CodeGenOptLevel::None (a module of baseline
  /// functions only: baseline.hpp): target_machine() is one at that level from now on.
  void use_fast_codegen() {
    if (level_ != 0) {
      release_machine();
      level_ = 0;
    }
  }

  /// The LLJIT (made by the first new_dylib).
  llvm::orc::LLJIT& jit() { return *jit_; }

  /// A fresh JITDylib for one program, linked against the runtime's symbols (each program has
  /// its own, so programs that define the same symbols can coexist). Creates the LLJIT first if
  /// need be, for modules and objects of `data_layout`.
  llvm::orc::JITDylib& new_dylib(const llvm::DataLayout& data_layout) {
    if (!jit_) {
      jit_ = make_jit(data_layout);
    }
    auto created =
        jit_->getExecutionSession().createJITDylib("program." + std::to_string(next_dylib_++));
    if (!created) {
      throw std::runtime_error("LLVM: creating a JITDylib: " + error_text(created.takeError()));
    }
    llvm::orc::JITDylib& jd = *created;
    jd.setLinkOrder({{&jit_->getMainJITDylib(), llvm::orc::JITDylibLookupFlags::MatchAllSymbols}});
    return jd;
  }

  /// While set, the object file of each module compiled is copied there (for the object cache).
  void capture_objects(std::string* sink) { object_sink_ = sink; }

 private:
  /// Compiles with the TargetMachine that optimised the module (LLJIT's default compiler would
  /// make one more per LLJIT).
  class Compiler final : public llvm::orc::IRCompileLayer::IRCompiler {
   public:
    explicit Compiler(Host& host)
        : IRCompiler(llvm::orc::irManglingOptionsFromTargetOptions(host.jtmb_.getOptions())),
          host_(host) {}
    llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> operator()(llvm::Module& m) override {
      if (pass_times_enabled()) {
        llvm::TimePassesIsEnabled = true;  // the legacy pass manager of the code generator
      }
      passes::CheapCodegen cheap(m);
      auto object = llvm::orc::SimpleCompiler(host_.target_machine())(m);
      if (pass_times_enabled()) {
        llvm::reportAndResetTimings(&llvm::errs());
      }
      return object;
    }

   private:
    Host& host_;
  };

  /// An LLJIT for the host that links against the runtime's C ABI and nothing else.
  std::unique_ptr<llvm::orc::LLJIT> make_jit(const llvm::DataLayout& data_layout) {
    llvm::orc::LLJITBuilder builder;
    builder.setJITTargetMachineBuilder(jtmb_)
        .setDataLayout(data_layout)  // else LLJITBuilder creates a TargetMachine to ask for it
        .setLinkProcessSymbolsByDefault(false)
        .setPlatformSetUp(llvm::orc::setUpInactivePlatform)
        .setCompileFunctionCreator(
            [this](llvm::orc::JITTargetMachineBuilder)
                -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
              return std::make_unique<Compiler>(*this);
            });
    auto jit = unwrap(builder.create(), "creating the JIT");
    llvm::orc::SymbolMap symbols;
    for (const rt::AbiSymbol& s : rt::abi_symbols()) {
      symbols[jit->mangleAndIntern(s.name)] = llvm::orc::ExecutorSymbolDef(
          llvm::orc::ExecutorAddr::fromPtr(s.address),
          llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
    }
    check(jit->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(symbols))),
          "defining the runtime symbols");
    jit->getObjTransformLayer().setTransform(
        [this](std::unique_ptr<llvm::MemoryBuffer> obj)
            -> llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> {
          if (object_sink_ != nullptr) {
            *object_sink_ = obj->getBuffer().str();
          }
          return obj;
        });
    return jit;
  }

  llvm::orc::JITTargetMachineBuilder jtmb_;
  llvm::orc::JITTargetMachineBuilder fast_jtmb_;  // CodeGenOptLevel::None, for baseline modules
  unsigned codegen_opt_;
  /// The code generation level of the compile in progress.
  unsigned level_;
  std::unique_ptr<llvm::TargetMachine> tm_;  // borrowed from the MachinePool during a compile
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  std::string* object_sink_ = nullptr;
  std::uint64_t next_dylib_ = 0;
};

/// A program's code in a Host: its JITDylib, and the ResourceTracker that owns the code, so
/// destroying the program frees its code (a REPL entry's, once it has run) while the Host's
/// LLJIT stays up for the next one.
struct LinkedCode final : NativeCode {
  std::shared_ptr<Host> host;
  llvm::orc::JITDylib* dylib = nullptr;
  llvm::orc::ResourceTrackerSP tracker;

  LinkedCode(std::shared_ptr<Host> h, const llvm::DataLayout& data_layout) : host(std::move(h)) {
    dylib = &host->new_dylib(data_layout);
    tracker = dylib->createResourceTracker();
  }
  ~LinkedCode() override {
    // Errors here mean LLVM could not free memory it holds: nothing to report them to.
    llvm::consumeError(tracker->remove());
    llvm::consumeError(host->jit().getExecutionSession().removeJITDylib(*dylib));
  }
  LinkedCode(const LinkedCode&) = delete;
  LinkedCode& operator=(const LinkedCode&) = delete;

  /// The first lookup compiles the module.
  void* lookup(const std::string& name) override {
    auto address = host->jit().lookup(*dylib, name);
    if (!address) {
      error = error_text(address.takeError());
      return nullptr;
    }
    return address->toPtr<void*>();
  }
};

namespace {

/// The program of cache entry `e` linked into `host` by ORC (where the object loader refused
/// it), or null when the entry does not fit or link (its code is then removed again).
std::unique_ptr<CompiledProgram::Impl> load_cached(cache::Entry& e, std::shared_ptr<Host> host,
                                                   std::uint32_t main,
                                                   const std::vector<ir::FnId>& roots) {
  std::unique_ptr<CompiledProgram::Impl> impl = impl_of_entry(e, main);
  if (!impl) {
    return nullptr;
  }
  auto code = std::make_unique<LinkedCode>(std::move(host), llvm::DataLayout(e.data_layout));
  LinkedCode& linked = *code;
  impl->code = std::move(code);
  if (llvm::Error err = linked.host->jit().addObjectFile(
          linked.tracker,
          llvm::MemoryBuffer::getMemBufferCopy(e.object, "kestrel-cached-object"))) {
    llvm::consumeError(std::move(err));
    return nullptr;
  }
  if (!link_program(*impl, true, roots)) {
    return nullptr;
  }
  return impl;
}

}  // namespace

std::shared_ptr<Host> make_host(unsigned opt_level) {
  static std::once_flag init;
  std::call_once(init, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    // X86's domain reassignment (general-purpose bit operations moved to AVX-512 mask
    // registers) costs a function time quadratic in its size (27 s of 30 s of code generation
    // for 1,000 loops in one function), and the machine code of bench/'s workloads is the same
    // without it (llc-19 -O2 -mcpu=native on their modules, this machine has AVX-512): off.
    llvm::StringMap<llvm::cl::Option*>& cl_options = llvm::cl::getRegisteredOptions();
    auto reassign = cl_options.find("disable-x86-domain-reassignment");
    if (reassign != cl_options.end()) {
      reassign->second->addOccurrence(0, reassign->first(), "true");
    }
    // The machine combiner (reassociating chains of operations to shorten the critical path)
    // recomputes a block's whole trace depths after each change in blocks of up to 500
    // instructions, and updates them incrementally only in longer ones. A vectorised loop body
    // such as Monte Carlo pi's (about 400 instructions, 112 changes) then cost 40 of the compile's
    // 290 million instructions (callgrind), 14%; updated incrementally it costs under 1, and the
    // machine code is the same (the cache entries of all 244 programs of examples/ and
    // tests/lang/ compiled both ways are byte-identical): incremental everywhere.
    auto combiner = cl_options.find("machine-combiner-inc-threshold");
    if (combiner != cl_options.end()) {
      combiner->second->addOccurrence(0, combiner->first(), "0");
    }
  });
  return std::make_shared<Host>(opt_level);
}

std::unique_ptr<CompiledProgram> compile(const ir::Program& program, const Options& asked,
                                         std::shared_ptr<Host> host) {
  auto start = std::chrono::steady_clock::now();
  const Options options = with_pipeline_override(asked);
  if (!host) {
    host = make_host(options.opt_level);
  }
  const bool times = times_enabled();
  auto lap = [&, t = start](const char* what) mutable {
    if (times) {
      std::fprintf(stderr, "jit: %s %.2f ms\n", what, ms_since(t));
      t = std::chrono::steady_clock::now();
    }
  };
  auto impl = std::make_unique<CompiledProgram::Impl>();
  impl->main = program.main.v;
  struct Release {  // the borrowed TargetMachine goes back to the pool, even on an exception
    Host& host;
    ~Release() { host.release_machine(); }
  } release{*host};

  // The object cache: on a hit, no lowering, no optimisation, no code generation.
  const std::filesystem::path cache_dir = cache::dir_of(options);
  std::string cache_key;
  if (!cache_dir.empty()) {
    cache_key = options.cache_key;  // the engine's, when it looked first (load_from_cache)
    if (cache_key.empty()) {
      std::string cpu = cache::host_cpu();
      if (cpu.empty()) {  // no CPUID: LLVM's name for the host CPU and its features
        const llvm::orc::JITTargetMachineBuilder& jtmb = host->builder();
        cpu = jtmb.getCPU() + " " + jtmb.getFeatures().getString();
      }
      cache_key = cache::key_of(program, options, cpu);
      lap("cache key");
    }
    std::optional<cache::Entry> entry = cache::load(cache_dir, cache_key);
    if (entry && !cache::serves(*entry, options)) {
      entry.reset();  // compiled without the text this compile keeps: compiled again, with it
    }
    lap(entry ? "cache read (hit)" : "cache read (miss)");
    if (entry) {
      // The object loader first, as the engine's load_from_cache does; ORC for what it refuses.
      auto hit = link_entry(*entry, impl->main, options.roots);
      if (!hit) {
        hit = load_cached(*entry, host, impl->main, options.roots);
      }
      lap("cache link");
      if (hit) {
        hit->cache_hit = true;
        hit->cached = true;
        hit->compile_ms = ms_since(start);
        return std::make_unique<CompiledProgram>(std::move(hit));
      }
    }
  }

  auto context = std::make_unique<llvm::LLVMContext>();
  auto llvm_error = std::make_shared<std::string>();
  context->setDiagnosticHandler(std::make_unique<QuietDiagnostics>(llvm_error));
  auto module = std::make_unique<llvm::Module>("kestrel", *context);
  lower_program(program, *module, impl->tables, options.gpu);  // may throw RunError
  const bool string_slots = !cache_dir.empty();
  const bool cacheable = string_slots && cache::externalise_strings(*module, impl->tables.strings);
  {
    std::string err;
    llvm::raw_string_ostream os(err);
    if (llvm::verifyModule(*module, &os)) {
      throw std::runtime_error("LLVM: the lowered module does not verify: " + err);
    }
  }
  if (!options.roots.empty()) {
    std::vector<llvm::Function*> roots;
    for (ir::FnId fn : options.roots) {
      const FnSig& sig = impl->tables.sigs.at(fn.v);
      for (const std::string* name : {&sig.symbol, &sig.entry}) {
        if (llvm::Function* f = module->getFunction(*name)) {
          roots.push_back(f);
        }
      }
    }
    keep_reachable(*module, roots);
  }
  lap("lower+verify");
  split::split_large_functions(*module);
  lap("split");

  llvm::TargetMachine& tm = host->target_machine();
  passes::set_target(*module, tm);
  const llvm::DataLayout data_layout = module->getDataLayout();  // the module goes to LLJIT
  lap("target machine");
  fold_large_loop_tails(*module);
  passes::add_random_variants(*module, tm);
  passes::add_division_variants(*module, tm);
  choose_pipelines(*module, impl->tables, options);
  if (const char* dump = std::getenv("KESTREL_JIT_DUMP")) {
    std::error_code ec;
    llvm::raw_fd_ostream os(dump, ec);
    module->print(os, nullptr);
  }

  if (baseline::whole_module(*module)) {
    host->use_fast_codegen();
    baseline::optimise_module(*module, host->target_machine());
  } else {
    const unsigned skipped = optimise(*module, tm, options.opt_level);
    if (skipped > 0 && passes::times_enabled()) {
      std::fprintf(stderr, "jit: %u InstCombine runs skipped in Philox loops\n", skipped);
    }
    baseline::mark_for_fast_codegen(*module);
  }
  passes::expand_random_calls(*module);
  passes::expand_division_calls(*module);
  cut_multiply_chains(*module);
  lap("optimise");
  const bool text = options.keep_text;
  std::unordered_map<const llvm::Function*, std::string> function_texts;
  if (text) {
    impl->module_text = print(*module, function_texts);
  }
  for (const FnSig& sig : impl->tables.sigs) {
    const llvm::Function* f = module->getFunction(sig.symbol);
    const bool defined = f != nullptr && !f->isDeclaration();
    impl->compiled.push_back(defined ? 1 : 0);
    std::string fn_text;
    if (defined && text) {
      auto cut = function_texts.find(f);
      fn_text = cut != function_texts.end() ? std::move(cut->second) : print(*f);
    }
    impl->function_text.push_back(std::move(fn_text));
  }
  lap("print");

  auto code = std::make_unique<LinkedCode>(host, data_layout);
  llvm::orc::ResourceTrackerSP tracker = code->tracker;
  impl->code = std::move(code);
  lap("jit");
  check(host->jit().addIRModule(tracker,
                                llvm::orc::ThreadSafeModule(std::move(module), std::move(context))),
        "adding the module");
  std::string object;  // the object file, for the cache
  host->capture_objects(cacheable ? &object : nullptr);
  const bool linked = link_program(*impl, string_slots, options.roots);
  host->capture_objects(nullptr);
  if (!llvm_error->empty()) {
    throw std::runtime_error("LLVM: " + *llvm_error);
  }
  if (!linked) {
    throw std::runtime_error("LLVM: looking up the functions: " + impl->code->error);
  }
  lap("codegen+link");
  if (cacheable && !object.empty()) {
    cache::Entry entry;
    entry.object = std::move(object);
    entry.data_layout = data_layout.getStringRepresentation();
    entry.tables = impl->tables;
    entry.compiled = impl->compiled;
    if (text) {  // else the entry serves runs only (cache::serves)
      entry.module_text = impl->module_text;
      entry.function_text = impl->function_text;
    }
    impl->cached = cache::store(cache_dir, cache_key, entry);
    lap("cache store");
  }
  impl->compile_ms = ms_since(start);
  return std::make_unique<CompiledProgram>(std::move(impl));
}

}  // namespace kestrel::jit
