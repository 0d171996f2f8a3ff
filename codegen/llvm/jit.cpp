// The JIT driver: lower the program to one LLVM module, optimise it in LLJIT's IRTransformLayer
// with the new pass manager (O2 by default) for the host CPU, link it against the runtime's C
// ABI (an absolute-symbol map: no lookup in the process), and run it.
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ObjectTransformLayer.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "codegen/llvm/object_cache.hpp"
#include "codegen/llvm/program.hpp"
#include "runtime/abi.hpp"
#include "runtime/array.hpp"
#include "runtime/csv.hpp"

namespace kestrel::jit {

CompiledProgram::CompiledProgram(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledProgram::~CompiledProgram() = default;

/// A run's context and host: set up from the options and the program's stream by begin(), read
/// back by finish(). Used for every run (run_main, call) and reused for direct native calls.
struct DirectCall {
  rt::AbiHost host;
  KestrelContext ctx{};

  void begin(CompiledProgram::Impl& p, const RunOptions& options) {
    host.out = options.out;
    host.message.clear();
    host.internal = false;
    host.str_pool = &p.str_pool;
    ctx = KestrelContext{};
    ctx.max_depth = options.max_call_depth;
    ctx.interrupt = options.interrupt;
    ctx.stream_key = p.stream_key;
    ctx.stream_counter = p.stream_pos;
    ctx.budget = 1 << 16;
    ctx.host = &host;
  }

  /// Saves the stream and throws the recorded error, if any.
  void finish(CompiledProgram::Impl& p) {
    p.stream_key = ctx.stream_key;
    p.stream_pos = ctx.stream_counter;
    if (ctx.failed != 0) {
      if (host.internal) {
        throw std::runtime_error(host.message);
      }
      throw RunError(p.tables.sites.at(ctx.site), host.message);
    }
  }
};

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

/// Runs the new pass manager's default pipeline on `m` for `tm`.
void optimise(llvm::Module& m, llvm::TargetMachine& tm, unsigned opt) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions pto;
  pto.LoopVectorization = opt >= 2;
  pto.SLPVectorization = opt >= 2;
  if (std::getenv("KJ_NOINTERLEAVE")) pto.LoopInterleaving = false;
  if (std::getenv("KJ_NOUNROLL")) pto.LoopUnrolling = false;
  llvm::PassBuilder pb(&tm, pto);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = opt == 0 ? pb.buildO0DefaultPipeline(llvm::OptimizationLevel::O0)
                                         : pb.buildPerModuleDefaultPipeline(level_of(opt));
  mpm.run(m, mam);
}

std::string print(const llvm::Module& m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  m.print(os, nullptr);
  return s;
}

std::string print(const llvm::Function& f) {
  std::string s;
  llvm::raw_string_ostream os(s);
  f.print(os);
  return s;
}

/// One run of run_main or call(): a DirectCall set up for it.
struct Run : DirectCall {
  Run(CompiledProgram::Impl& p, const RunOptions& options) { begin(p, options); }
};

using EntryFn = void (*)(KestrelContext*, std::int64_t*, std::int64_t*);

std::int64_t slot_of(const ir::Type& t, const Value& v) {
  if (t.is_tuple()) {
    throw std::invalid_argument("tuple arguments are not supported by call()");
  }
  if (!(v.type == t)) {
    throw std::invalid_argument("argument type does not match the parameter");
  }
  std::int64_t s = 0;
  if (t.is_array()) {
    if (v.array.empty()) {
      throw std::invalid_argument("null array argument");
    }
    std::memcpy(&s, &v.array, 0);
    void* h = v.array.handle();
    std::memcpy(&s, &h, sizeof(h));
  } else if (t.scalar == ir::Scalar::F64) {
    std::memcpy(&s, &v.f, 8);
  } else if (t.scalar == ir::Scalar::F32) {
    float f = static_cast<float>(v.f);
    std::memcpy(&s, &f, 4);
  } else if (t.scalar == ir::Scalar::I32) {
    s = static_cast<std::int32_t>(v.i);
  } else if (t.scalar == ir::Scalar::Bool) {
    s = v.i != 0;
  } else if (t.scalar == ir::Scalar::I64) {
    s = v.i;
  } else {
    throw std::invalid_argument("unsupported argument type for call()");
  }
  return s;
}

Value value_of(ir::Type t, std::int64_t s) {
  Value v;
  v.type = t;
  void* p = nullptr;
  std::memcpy(&p, &s, sizeof(p));
  if (t.is_array()) {
    v.array = ArrayRef(p);
  } else if (t.is_table()) {
    if (p != nullptr) {
      rt::release(static_cast<rt::Table*>(p));  // tables do not cross the C++ boundary yet
    }
  } else if (t.scalar == ir::Scalar::F64) {
    std::memcpy(&v.f, &s, 8);
  } else if (t.scalar == ir::Scalar::F32) {
    float f;
    std::memcpy(&f, &s, 4);
    v.f = f;
  } else if (t.scalar == ir::Scalar::Str) {
    v.str = *static_cast<const std::string*>(p);
  } else {
    v.i = s;
  }
  return v;
}

/// An LLJIT for the host that links against the runtime's C ABI and nothing else. Given the
/// data layout (a cache hit, which only links an object), it creates no TargetMachine.
std::unique_ptr<llvm::orc::LLJIT> make_jit(llvm::orc::JITTargetMachineBuilder jtmb,
                                           const std::string* data_layout = nullptr) {
  llvm::orc::LLJITBuilder builder;
  builder.setJITTargetMachineBuilder(std::move(jtmb))
      .setLinkProcessSymbolsByDefault(false)
      .setPlatformSetUp(llvm::orc::setUpInactivePlatform);
  if (data_layout != nullptr) {
    builder.setDataLayout(llvm::DataLayout(*data_layout))
        .setCompileFunctionCreator(
            [](llvm::orc::JITTargetMachineBuilder b)
                -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
              return std::make_unique<llvm::orc::ConcurrentIRCompiler>(std::move(b));  // lazy TM
            });
  }
  auto jit = unwrap(builder.create(), "creating the JIT");
  llvm::orc::SymbolMap symbols;
  for (const rt::AbiSymbol& s : rt::abi_symbols()) {
    symbols[jit->mangleAndIntern(s.name)] = llvm::orc::ExecutorSymbolDef(
        llvm::orc::ExecutorAddr::fromPtr(s.address),
        llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
  }
  check(jit->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(symbols))),
        "defining the runtime symbols");
  return jit;
}

/// Looks up every function's native and entry address and points the string slots
/// (cache::externalise_strings) at the program's string constants.
llvm::Error link_program(CompiledProgram::Impl& impl, bool string_slots) {
  for (const FnSig& sig : impl.tables.sigs) {
    auto native = impl.jit->lookup(sig.symbol);
    if (!native) {
      return native.takeError();
    }
    auto entry = impl.jit->lookup(sig.entry);
    if (!entry) {
      return entry.takeError();
    }
    impl.natives.push_back(native->toPtr<void*>());
    impl.entries.push_back(entry->toPtr<void*>());
  }
  for (std::size_t n = 0; string_slots && n < impl.tables.strings.size(); ++n) {
    auto slot = impl.jit->lookup(cache::string_slot(n));
    if (!slot) {
      return slot.takeError();
    }
    *slot->toPtr<const std::string**>() = &impl.tables.strings[n];
  }
  return llvm::Error::success();
}

/// The program linked from cache entry `e`, or null when the entry does not fit or link.
std::unique_ptr<CompiledProgram::Impl> load_cached(cache::Entry e,
                                                   llvm::orc::JITTargetMachineBuilder jtmb,
                                                   std::uint32_t main) {
  if (main >= e.tables.sigs.size() || e.function_text.size() != e.tables.sigs.size()) {
    return nullptr;
  }
  auto impl = std::make_unique<CompiledProgram::Impl>();
  impl->main = main;
  impl->tables = std::move(e.tables);  // the deque's elements keep their addresses
  impl->module_text = std::move(e.module_text);
  impl->function_text = std::move(e.function_text);
  impl->jit = make_jit(std::move(jtmb), e.data_layout.empty() ? nullptr : &e.data_layout);
  if (llvm::Error err = impl->jit->addObjectFile(
          llvm::MemoryBuffer::getMemBufferCopy(e.object, "kestrel-cached-object"))) {
    llvm::consumeError(std::move(err));
    return nullptr;
  }
  if (llvm::Error err = link_program(*impl, true)) {
    llvm::consumeError(std::move(err));
    return nullptr;
  }
  return impl;
}

}  // namespace

std::unique_ptr<CompiledProgram> compile(const ir::Program& program, const Options& options) {
  static std::once_flag init;
  std::call_once(init, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  auto start = std::chrono::steady_clock::now();
  auto impl = std::make_unique<CompiledProgram::Impl>();
  impl->main = program.main.v;

  // The object cache: on a hit, no lowering, no optimisation, no code generation.
  const std::filesystem::path cache_dir = cache::dir_of(options);
  std::string cache_key;
  if (!cache_dir.empty()) {
    static const bool kCacheTimes = std::getenv("KESTREL_JIT_TIMES") != nullptr;
    auto since = [&start] {
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
          .count();
    };
    auto host = unwrap(llvm::orc::JITTargetMachineBuilder::detectHost(), "detecting the host");
    cache_key = cache::key_of(program, options, host.getCPU(), host.getFeatures().getString());
    if (kCacheTimes) std::fprintf(stderr, "cache key %.2f\n", since());
    std::optional<cache::Entry> entry = cache::load(cache_dir, cache_key);
    if (kCacheTimes) {
      std::fprintf(stderr, "cache read %.2f (%s)\n", since(), entry ? "hit" : "miss");
    }
    if (entry) {
      auto hit = load_cached(std::move(*entry), std::move(host), impl->main);
      if (kCacheTimes) std::fprintf(stderr, "cache link %.2f\n", since());
      if (hit) {
        hit->cache_hit = true;
        hit->cached = true;
        hit->compile_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        return std::make_unique<CompiledProgram>(std::move(hit));
      }
    }
  }

  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>("kestrel", *context);
  lower_program(program, *module, impl->tables);  // may throw RunError
  const bool string_slots = !cache_dir.empty();
  const bool cacheable = string_slots && cache::externalise_strings(*module, impl->tables.strings);
  {
    std::string err;
    llvm::raw_string_ostream os(err);
    if (llvm::verifyModule(*module, &os)) {
      throw std::runtime_error("LLVM: the lowered module does not verify: " + err);
    }
  }

  auto lap = [&, t = start]() mutable {
    auto now = std::chrono::steady_clock::now();
    double ms = std::chrono::duration<double, std::milli>(now - t).count();
    t = now;
    return ms;
  };
  static const bool kTimes = std::getenv("KESTREL_JIT_TIMES") != nullptr;
  if (kTimes) std::fprintf(stderr, "lower+verify %.2f\n", lap());
  auto jtmb = unwrap(llvm::orc::JITTargetMachineBuilder::detectHost(), "detecting the host");
  // Same bits as the interpreter: no fused multiply-add, no fast-math.
  jtmb.getOptions().AllowFPOpFusion = llvm::FPOpFusion::Strict;
  unsigned cg = std::getenv("KJ_CG") ? static_cast<unsigned>(std::atoi(std::getenv("KJ_CG")))
                                     : options.opt_level;
  jtmb.setCodeGenOptLevel(cg == 0   ? llvm::CodeGenOptLevel::None
                          : cg == 1 ? llvm::CodeGenOptLevel::Less
                          : cg == 3 ? llvm::CodeGenOptLevel::Aggressive
                                    : llvm::CodeGenOptLevel::Default);
  std::shared_ptr<llvm::TargetMachine> tm(unwrap(jtmb.createTargetMachine(), "target machine"));
  module->setDataLayout(tm->createDataLayout());
  module->setTargetTriple(tm->getTargetTriple().str());
  for (llvm::Function& f : *module) {
    if (!f.isDeclaration()) {
      f.addFnAttr("target-cpu", tm->getTargetCPU());
      f.addFnAttr("target-features", tm->getTargetFeatureString());
    }
  }

  if (kTimes) std::fprintf(stderr, "tm %.2f\n", lap());
  impl->jit = make_jit(std::move(jtmb));
  auto object = std::make_shared<std::string>();  // the object file, for the cache
  if (cacheable) {
    impl->jit->getObjTransformLayer().setTransform(
        [object](std::unique_ptr<llvm::MemoryBuffer> obj)
            -> llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> {
          *object = obj->getBuffer().str();
          return obj;
        });
  }
  if (kTimes) std::fprintf(stderr, "lljit %.2f\n", lap());
  CompiledProgram::Impl* raw = impl.get();
  unsigned opt = options.opt_level;
  impl->jit->getIRTransformLayer().setTransform(
      [tm, opt, raw](llvm::orc::ThreadSafeModule tsm,
                     const llvm::orc::MaterializationResponsibility&)
          -> llvm::Expected<llvm::orc::ThreadSafeModule> {
        tsm.withModuleDo([&](llvm::Module& m) {
          auto o0 = std::chrono::steady_clock::now();
          optimise(m, *tm, opt);
          if (kTimes)
            std::fprintf(
                stderr, "opt %.2f\n",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - o0)
                    .count());
          raw->module_text = print(m);
          raw->function_text.clear();
          for (const FnSig& sig : raw->tables.sigs) {
            const llvm::Function* f = m.getFunction(sig.symbol);
            raw->function_text.push_back(f ? print(*f) : std::string());
          }
        });
        return tsm;
      });

  check(impl->jit->addIRModule(llvm::orc::ThreadSafeModule(std::move(module), std::move(context))),
        "adding the module");

  if (kTimes) std::fprintf(stderr, "define %.2f\n", lap());
  check(link_program(*impl, string_slots), "looking up the functions");
  if (cacheable && !object->empty()) {
    cache::Entry entry{*object, tm->createDataLayout().getStringRepresentation(), impl->tables,
                       impl->module_text, impl->function_text};
    impl->cached = cache::store(cache_dir, cache_key, entry);
  }
  if (kTimes) std::fprintf(stderr, "materialize %.2f\n", lap());
  impl->compile_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return std::make_unique<CompiledProgram>(std::move(impl));
}

void run_main(CompiledProgram& program, const RunOptions& options) {
  CompiledProgram::Impl& p = program.impl();
  Run run(p, options);
  auto fn = reinterpret_cast<void (*)(KestrelContext*)>(p.natives.at(p.main));
  fn(&run.ctx);
  run.finish(p);
}

Value call(CompiledProgram& program, ir::FnId fn, std::span<const Value> args,
           const RunOptions& options) {
  CompiledProgram::Impl& p = program.impl();
  if (fn.v >= p.tables.sigs.size()) {
    throw std::invalid_argument("no such function");
  }
  const FnSig& sig = p.tables.sigs[fn.v];
  if (args.size() != sig.params.size()) {
    throw std::invalid_argument(sig.name + " takes " + std::to_string(sig.params.size()) +
                                " arguments, got " + std::to_string(args.size()));
  }
  std::vector<std::int64_t> in;
  for (std::size_t k = 0; k < args.size(); ++k) {
    in.push_back(slot_of(sig.params[k], args[k]));  // borrowed: args outlive the call
  }
  in.resize(std::max<std::size_t>(in.size(), 1));
  std::vector<std::int64_t> out(std::max<std::size_t>(sig.flat_ret.size(), 1), 0);
  Run run(p, options);
  reinterpret_cast<EntryFn>(p.entries.at(fn.v))(&run.ctx, in.data(), out.data());
  run.finish(p);
  if (sig.ret.is_void()) {
    return Value{};
  }
  if (!sig.ret.is_tuple()) {
    return value_of(sig.ret, out[0]);
  }
  Value v;
  v.type = sig.ret;
  for (std::size_t k = 0; k < sig.flat_ret.size(); ++k) {
    v.elems.push_back(value_of(sig.flat_ret[k], out[k]));
  }
  return v;
}

std::string emit_llvm(CompiledProgram& program) { return program.impl().module_text; }

std::string emit_llvm_function(CompiledProgram& program, ir::FnId fn) {
  return program.impl().function_text.at(fn.v);
}

double last_compile_ms(const CompiledProgram& program) { return program.impl().compile_ms; }

bool last_cache_hit(const CompiledProgram& program) { return program.impl().cache_hit; }

bool cache_enabled(const CompiledProgram& program) { return program.impl().cached; }

void* native_address(CompiledProgram& program, ir::FnId fn) {
  return program.impl().natives.at(fn.v);
}

diag::Span site_span(const CompiledProgram& program, std::uint32_t site) {
  return program.impl().tables.sites.at(site);
}

StreamState stream_state(const CompiledProgram& program) {
  return StreamState{program.impl().stream_key, program.impl().stream_pos};
}

void set_stream_state(CompiledProgram& program, StreamState state) {
  program.impl().stream_key = state.key;
  program.impl().stream_pos = state.counter;
}

std::unique_ptr<DirectCall, void (*)(DirectCall*)> make_direct_call() {
  return {new DirectCall, [](DirectCall* c) { delete c; }};
}

void* begin_direct(CompiledProgram& program, DirectCall& call, const RunOptions& options) {
  call.begin(program.impl(), options);
  return &call.ctx;
}

void end_direct(CompiledProgram& program, DirectCall& call) { call.finish(program.impl()); }

}  // namespace kestrel::jit
