// CompiledProgram's runs and calls, and the object cache's hits linked without LLVM (see
// native_program.hpp).
#include "codegen/llvm/native_program.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "codegen/common/library_error.hpp"
#include "codegen/common/marshal.hpp"
#include "codegen/llvm/object_loader.hpp"
#include "runtime/abi.hpp"
#include "runtime/array.hpp"
#include "runtime/limits.hpp"
#include "runtime/run_stack.hpp"
#include "runtime/stream.hpp"

namespace kestrel::jit {

CompiledProgram::CompiledProgram(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledProgram::~CompiledProgram() = default;

/// A run's context and host: set up from the options and the program's stream by begin(), read
/// back by finish(). Used for every run (run_main, call) and for direct native calls (the host
/// part is the AbiHost the context points to, so end_direct finds the DirectCall from `ctx`).
/// Each call has its own (calls from several threads may run at once); what they share in the
/// program is guarded: the stream by stream_lock, the str pool by state_mutex.
struct DirectCall : rt::AbiHost {
  KestrelContext ctx{};
  rt::Limits limits;  // a copy of the options' (they need not outlive begin)
  const rt::Limits* saved_limits = nullptr;
  const rt::Limits* current_limits = nullptr;  // this run's, made current where its code runs
  StreamState start_stream;
  StreamState* own_stream = nullptr;  // RunOptions::stream: where the stream starts and ends

  void begin(CompiledProgram::Impl& p, const RunOptions& options) {
    out = options.out;
    message.clear();
    internal = false;
    note_site = ~std::uint32_t{0};
    note_function.clear();
    line.clear();
    partials.clear();
    str_pool = &p.str_pool;
    str_pool_mutex = &p.state_mutex;
    gpu = options.gpu;
    ctx = KestrelContext{};
    ctx.max_depth = options.max_call_depth;
    const rt::Limits* current = nullptr;
    if (options.limits != nullptr) {
      limits = *options.limits;
      current = &limits;
      ctx.interrupt = limits.can_stop() ? &limits : nullptr;
    }
    own_stream = options.stream;
    start_stream = own_stream != nullptr ? *own_stream : p.load_stream();
    ctx.depth = options.depth;
    ctx.stream_key = start_stream.key;
    ctx.stream_counter = start_stream.counter;
    ctx.budget = 1 << 16;
    ctx.host = this;
    current_limits = current;
    saved_limits = rt::exchange_limits(current);
    ctx.stack_limit = rt::stack_limit();  // the calling thread's, which runs the code
  }

  /// Saves the stream and throws the recorded error, if any.
  void finish(CompiledProgram::Impl& p) {
    rt::exchange_limits(saved_limits);
    if (own_stream != nullptr) {
      *own_stream = StreamState{ctx.stream_key, ctx.stream_counter};
    } else if (ctx.stream_key != start_stream.key || ctx.stream_counter != start_stream.counter) {
      p.store_stream(StreamState{ctx.stream_key, ctx.stream_counter});
    }
    // A run that failed inside a parallel loop left its array reductions (and the arrays they
    // hold) here; the run is over.
    array_reductions.clear();
    if (ctx.failed != 0) {
      // A block loop's stream the error left open ends with the call (a stream never outlives
      // the call that opened it: Module calls and direct native calls have no other end).
      rt::close_run_streams(limits.run);
      if (internal) {
        throw rt::InternalError(message);
      }
      if (note_site != ~std::uint32_t{0}) {
        throw RunError(p.tables.sites.at(ctx.site), message, p.tables.sites.at(note_site),
                       codegen::library_note(note_function));
      }
      throw RunError(p.tables.sites.at(ctx.site), message);
    }
  }
};

// The sequence lock without fences (Boehm, "Can seqlocks get along with programming language
// memory models?"): the writer's release stores of the data and the reader's acquire loads
// order the odd version before any data a reader sees from that write.
StreamState CompiledProgram::Impl::load_stream() const {
  for (;;) {
    std::uint64_t v = stream_version.load(std::memory_order_acquire);
    StreamState s{stream_key.load(std::memory_order_acquire),
                  stream_pos.load(std::memory_order_acquire)};
    if ((v & 1) == 0 && stream_version.load(std::memory_order_relaxed) == v) {
      return s;
    }
  }
}

void CompiledProgram::Impl::store_stream(StreamState s) {
  while (stream_writing.test_and_set(std::memory_order_acquire)) {
  }
  std::uint64_t v = stream_version.load(std::memory_order_relaxed);
  stream_version.store(v + 1, std::memory_order_relaxed);
  stream_key.store(s.key, std::memory_order_release);
  stream_pos.store(s.counter, std::memory_order_release);
  stream_version.store(v + 2, std::memory_order_release);
  stream_writing.clear(std::memory_order_release);
}

/// One run of run_main or call(): a DirectCall set up for it.
struct Run : DirectCall {
  Run(CompiledProgram::Impl& p, const RunOptions& options) { begin(p, options); }
};

using EntryFn = void (*)(KestrelContext*, std::int64_t*, std::int64_t*);

CompiledProgram::Impl::~Impl() { delete spare_call.load(); }

bool link_program(CompiledProgram::Impl& impl, bool string_slots,
                  const std::vector<ir::FnId>& roots) {
  for (std::size_t k = 0; k < impl.tables.sigs.size(); ++k) {
    const FnSig& sig = impl.tables.sigs[k];
    impl.natives.push_back(nullptr);
    impl.entries.push_back(nullptr);
    if (impl.compiled[k] == 0) {
      continue;
    }
    impl.natives.back() = impl.code->lookup(sig.symbol);
    if (impl.natives.back() == nullptr) {
      return false;
    }
    if (!roots.empty() &&
        std::none_of(roots.begin(), roots.end(), [&](ir::FnId fn) { return fn.v == k; })) {
      continue;  // its entry was not compiled
    }
    impl.entries.back() = impl.code->lookup(sig.entry);
    if (impl.entries.back() == nullptr) {
      return false;
    }
  }
  for (std::size_t n = 0; string_slots && n < impl.tables.strings.size(); ++n) {
    void* slot = impl.code->lookup(cache::string_slot(n));
    if (slot == nullptr) {
      return false;
    }
    *static_cast<const std::string**>(slot) = &impl.tables.strings[n];
  }
  return true;
}

namespace {

/// A program's code as the object loader linked it.
struct LoadedCode final : NativeCode {
  std::unique_ptr<LoadedObject> object;
  void* lookup(const std::string& name) override {
    void* address = object->symbol(name);
    if (address == nullptr) {
      error = "the object defines no '" + name + "'";
    }
    return address;
  }
};

/// The runtime's C ABI by name: what the code's undefined symbols bind to (as in the Host's
/// absolute-symbol map), and nothing else of the process.
void* runtime_symbol(std::string_view name) {
  static const auto* symbols = [] {
    auto* map = new std::unordered_map<std::string_view, void*>;
    for (const rt::AbiSymbol& s : rt::abi_symbols()) {
      map->emplace(s.name, s.address);
    }
    return map;
  }();
  auto it = symbols->find(name);
  return it == symbols->end() ? nullptr : it->second;
}

bool times_on() {
  static const bool on = std::getenv("KESTREL_JIT_TIMES") != nullptr;
  return on;
}

}  // namespace

std::unique_ptr<CompiledProgram::Impl> impl_of_entry(const cache::Entry& e, std::uint32_t main) {
  const std::size_t n = e.tables.sigs.size();
  if (main >= n || e.compiled.size() != n ||
      (!e.function_text.empty() && e.function_text.size() != n) || e.data_layout.empty()) {
    return nullptr;
  }
  auto impl = std::make_unique<CompiledProgram::Impl>();
  impl->main = main;
  impl->tables = e.tables;
  impl->compiled = e.compiled;
  impl->module_text = e.module_text;
  impl->function_text = e.function_text;
  impl->function_text.resize(n);  // empty texts: compiled without Options::keep_text
  return impl;
}

std::unique_ptr<CompiledProgram::Impl> link_entry(const cache::Entry& e, std::uint32_t main,
                                                  const std::vector<ir::FnId>& roots) {
  std::unique_ptr<CompiledProgram::Impl> impl = impl_of_entry(e, main);
  if (!impl) {
    return nullptr;
  }
  std::string why;
  auto code = std::make_unique<LoadedCode>();
  code->object = LoadedObject::load(e.object, runtime_symbol, &why);
  if (!code->object) {
    if (times_on()) {
      std::fprintf(stderr, "jit: the object loader refused the cached object: %s\n", why.c_str());
    }
    return nullptr;
  }
  impl->code = std::move(code);
  if (!link_program(*impl, true, roots)) {
    if (times_on()) {
      std::fprintf(stderr, "jit: linking the cached object: %s\n", impl->code->error.c_str());
    }
    return nullptr;
  }
  return impl;
}

std::unique_ptr<CompiledProgram> load_from_cache(const ir::Program& program, Options& options) {
  try {
    const std::filesystem::path dir = cache::dir_of(options);
    const std::string cpu = cache::host_cpu();
    if (dir.empty() || cpu.empty()) {
      return nullptr;
    }
    auto start = std::chrono::steady_clock::now();
    if (options.cache_key.empty()) {
      options.cache_key = cache::key_of(program, options, cpu);
    }
    std::optional<cache::Entry> entry = cache::load(dir, options.cache_key);
    if (!entry || !cache::serves(*entry, options)) {
      return nullptr;
    }
    std::unique_ptr<CompiledProgram::Impl> impl = link_entry(*entry, program.main.v, options.roots);
    if (!impl) {
      return nullptr;
    }
    impl->cache_hit = true;
    impl->cached = true;
    impl->compile_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (times_on()) {
      std::fprintf(stderr, "jit: cache hit linked by the object loader %.2f ms\n",
                   impl->compile_ms);
    }
    return std::make_unique<CompiledProgram>(std::move(impl));
  } catch (...) {  // a file system error, memory: the compile path decides
    return nullptr;
  }
}

namespace {

/// `code` (a native or entry address of function `fn`), or std::logic_error when compile() left
/// the function out (Options::roots).
void* compiled(const CompiledProgram::Impl& p, std::uint32_t fn, void* code) {
  if (code == nullptr) {
    throw std::logic_error("JIT: function '" + p.tables.sigs.at(fn).name +
                           "' was not compiled (it is not among Options::roots)");
  }
  return code;
}

}  // namespace

void run_main(CompiledProgram& program, const RunOptions& options) {
  CompiledProgram::Impl& p = program.impl();
  auto fn = reinterpret_cast<void (*)(KestrelContext*)>(compiled(p, p.main, p.natives.at(p.main)));
  Run run(p, options);
  auto body = [&]() noexcept {
    run.ctx.stack_limit = rt::stack_limit();  // the run stack's
    rt::exchange_limits(run.current_limits);  // thread-local: the run thread's too
    fn(&run.ctx);
  };
  rt::on_run_stack(body);
  run.finish(p);
}

Value call(CompiledProgram& program, ir::FnId fn, std::span<const Value> args,
           const RunOptions& options) {
  CompiledProgram::Impl& p = program.impl();
  if (fn.v >= p.tables.sigs.size()) {
    throw std::invalid_argument("no such function");
  }
  const FnSig& sig = p.tables.sigs[fn.v];
  codegen::check_arity(sig.name, sig.params.size(), args.size());
  std::vector<std::int64_t> in;
  for (std::size_t k = 0; k < args.size(); ++k) {  // borrowed: args outlive the call
    in.push_back(codegen::arg_slot<std::int64_t>(sig.params[k], args[k]));
  }
  in.resize(std::max<std::size_t>(in.size(), 1));
  std::vector<std::int64_t> out(std::max<std::size_t>(sig.flat_ret.size(), 1), 0);
  auto entry = reinterpret_cast<EntryFn>(compiled(p, fn.v, p.entries.at(fn.v)));
  Run run(p, options);
  entry(&run.ctx, in.data(), out.data());
  run.finish(p);
  return codegen::result_value(sig.ret, sig.flat_ret, out.data());
}

void call_words(CompiledProgram& program, ir::FnId fn, std::span<const std::int64_t> args,
                std::int64_t* out, const RunOptions& options) {
  CompiledProgram::Impl& p = program.impl();
  if (fn.v >= p.tables.sigs.size()) {
    throw std::invalid_argument("no such function");
  }
  codegen::check_arity(p.tables.sigs[fn.v].name, p.tables.sigs[fn.v].flat_params.size(),
                       args.size());
  auto entry = reinterpret_cast<EntryFn>(compiled(p, fn.v, p.entries.at(fn.v)));
  Run run(p, options);
  entry(&run.ctx, const_cast<std::int64_t*>(args.data()), out);  // the entry only reads them
  run.finish(p);
}

std::string emit_llvm(CompiledProgram& program) {
  if (program.impl().module_text.empty()) {  // compiled without it (a module never prints empty)
    throw std::logic_error("emit_llvm: compiled without Options::keep_text");
  }
  return program.impl().module_text;
}

std::string emit_llvm_function(CompiledProgram& program, ir::FnId fn) {
  if (program.impl().module_text.empty()) {  // compiled without it (a module never prints empty)
    throw std::logic_error("emit_llvm_function: compiled without Options::keep_text");
  }
  return program.impl().function_text.at(fn.v);
}

double last_compile_ms(const CompiledProgram& program) { return program.impl().compile_ms; }

bool last_cache_hit(const CompiledProgram& program) { return program.impl().cache_hit; }

bool cache_enabled(const CompiledProgram& program) { return program.impl().cached; }

void* native_address(CompiledProgram& program, ir::FnId fn) {
  return compiled(program.impl(), fn.v, program.impl().natives.at(fn.v));
}

diag::Span site_span(const CompiledProgram& program, std::uint32_t site) {
  return program.impl().tables.sites.at(site);
}

StreamState stream_state(const CompiledProgram& program) { return program.impl().load_stream(); }

void set_stream_state(CompiledProgram& program, StreamState state) {
  program.impl().store_stream(state);
}

void* begin_direct(CompiledProgram& program, const RunOptions& options) {
  CompiledProgram::Impl& p = program.impl();
  DirectCall* call = p.spare_call.exchange(nullptr, std::memory_order_acquire);
  if (call == nullptr) {
    call = new DirectCall;
  }
  call->begin(p, options);
  return &call->ctx;
}

void end_direct(CompiledProgram& program, void* ctx) {
  CompiledProgram::Impl& p = program.impl();
  std::unique_ptr<DirectCall> call(
      static_cast<DirectCall*>(static_cast<KestrelContext*>(ctx)->host));
  // Once finish() is done with it (its error, if any, already copied into the exception), the
  // context becomes the spare for the next call, unless another call gave one back first.
  struct GiveBack {
    CompiledProgram::Impl& p;
    std::unique_ptr<DirectCall>& call;
    ~GiveBack() {
      DirectCall* none = nullptr;
      if (p.spare_call.compare_exchange_strong(none, call.get(), std::memory_order_release)) {
        call.release();
      }
    }
  } give_back{p, call};
  call->finish(p);
}

// ---- codegen::Backend -------------------------------------------------------------------------

void CompiledProgram::run_main(const RunOptions& options) { jit::run_main(*this, options); }
Value CompiledProgram::call(ir::FnId fn, std::span<const Value> args, const RunOptions& options) {
  return jit::call(*this, fn, args, options);
}
void CompiledProgram::call_words(ir::FnId fn, std::span<const std::int64_t> args, std::int64_t* out,
                                 const RunOptions& options) {
  jit::call_words(*this, fn, args, out, options);
}
StreamState CompiledProgram::stream_state() const { return jit::stream_state(*this); }
void CompiledProgram::set_stream_state(StreamState state) { jit::set_stream_state(*this, state); }
std::string CompiledProgram::emit_llvm() { return jit::emit_llvm(*this); }
std::string CompiledProgram::emit_llvm_function(ir::FnId fn) {
  return jit::emit_llvm_function(*this, fn);
}
void* CompiledProgram::native_address(ir::FnId fn) { return jit::native_address(*this, fn); }
void* CompiledProgram::begin_native(const RunOptions& options) {
  return jit::begin_direct(*this, options);
}
void CompiledProgram::end_native(void* ctx) { jit::end_direct(*this, ctx); }
bool CompiledProgram::cached() const { return jit::cache_enabled(*this); }
bool CompiledProgram::cache_hit() const { return jit::last_cache_hit(*this); }

}  // namespace kestrel::jit
