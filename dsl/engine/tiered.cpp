// Tiered execution: the interpreter runs at once; the engine's compiler thread compiles what gets
// hot, and the interpreter's CALL moves a call to native code once its function is ready
// (codegen/common/tier.hpp). What crosses a switch is exact: the argument and result words, the
// seeded stream (RunOptions::stream), the call depth (RunOptions::depth), print's output, the
// limits. The top level runs on a large stack, as the JIT's does, so native recursion reaches
// the same depth limit.
#include "dsl/engine/tiered.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>

#include "codegen/common/tier.hpp"
#include "dsl/engine/crosscheck.hpp"

namespace kestrel::engine {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

/// Runs `f` (which throws nothing) on a thread with a 512 MiB stack, reserved, not committed (the
/// JIT's run_main does the same), or here when no such thread can be made.
template <class F>
void on_big_stack(F& f) {
  constexpr std::size_t kStack = std::size_t{512} << 20;
  pthread_attr_t attr;
  pthread_t thread;
  bool made = pthread_attr_init(&attr) == 0;
  made = made && pthread_attr_setstacksize(&attr, kStack) == 0 &&
         pthread_create(
             &thread, &attr,
             [](void* p) -> void* {
               (*static_cast<F*>(p))();
               return nullptr;
             },
             &f) == 0;
  pthread_attr_destroy(&attr);
  if (made) {
    pthread_join(thread, nullptr);
  } else {
    f();
  }
}

/// The background compiler: its queue, what it made, and a copy of the program it compiles
/// from. Shared by the program and the compiler thread, so that the thread may outlive the
/// program (end_run).
constexpr int kCompileNice = 10;

struct Compiler {
  explicit Compiler(std::size_t nfns) : ready(new std::atomic<Backend*>[nfns]) {
    for (std::size_t f = 0; f < nfns; ++f) {
      ready[f].store(nullptr, std::memory_order_relaxed);
    }
  }

  std::mutex mu;
  std::condition_variable cv;
  std::vector<ir::FnId> queue;  // hot functions not compiled yet, in the order they got hot
  bool stop = false;
  bool started = false;
  std::unique_ptr<ir::Program> program;  // copied at the first request
  EngineOptions options;                 // Mode::Jit
  std::shared_ptr<jit::Host> host;       // one LLJIT for every batch
  std::vector<std::unique_ptr<Backend>> natives;
  /// Per function: the native program that has it, once compiled.
  std::unique_ptr<std::atomic<Backend*>[]> ready;
  std::atomic<std::uint32_t> compiles{0};
  std::atomic<std::uint32_t> functions{0};
  std::atomic<std::int64_t> compile_us{0};

  /// The thread's body: compiles the queued functions, a batch at a time (each batch's roots are
  /// what got hot since the last began), until stopped.
  void work() {
    // The run comes first: on a machine whose cores are all busy (the run's parallel work, other
    // processes) the compile, which only makes later calls faster, takes what is left.
    setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), kCompileNice);
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return stop || !queue.empty(); });
      if (stop) {
        return;
      }
      std::vector<ir::FnId> roots = std::move(queue);
      queue.clear();
      lock.unlock();
      auto start = Clock::now();
      std::unique_ptr<Backend> code;
      try {
        code = engine::compile(*program, Mode::Jit, options, &host, roots);
      } catch (...) {
        // What the JIT cannot take stays in the interpreter, which gives the same results.
      }
      compile_us.fetch_add(static_cast<std::int64_t>(ms_since(start) * 1000));
      compiles.fetch_add(1);
      lock.lock();
      if (code) {
        for (ir::FnId f : roots) {
          ready[f.v].store(code.get(), std::memory_order_release);
        }
        functions.fetch_add(static_cast<std::uint32_t>(roots.size()));
        natives.push_back(std::move(code));
      }
    }
  }
};

class TieredProgram final : public Backend, public codegen::TierHook {
 public:
  TieredProgram(const ir::Program& program, const EngineOptions& options)
      : program_(program), policy_(tier_policy(options)), crosscheck_(options.crosscheck) {
    EngineOptions jit = options;
    jit.mode = Mode::Jit;
    jit.crosscheck = false;
    hot_ = std::max<std::uint32_t>(options.tier_hot_calls, 1);
    std::size_t n = program.functions.size();
    switchable_.resize(n);
    for (std::size_t f = 0; f < n; ++f) {
      // A kernel's instances read the launch's index from the VM; the top levels are not called.
      switchable_[f] = !program.functions[f].is_kernel && !program.functions[f].is_main;
    }
    interp_ = engine::compile(program, Mode::Interp, jit);
    if (policy_ == TierPolicy::Eager || crosscheck_) {
      auto start = Clock::now();
      // Every function, whatever the roots: each may be switched to.
      eager_ = engine::compile(program, Mode::Jit, jit, nullptr, {});
      eager_ms_ = ms_since(start);
      return;
    }
    calls_.reset(new std::atomic<std::uint32_t>[n]);
    for (std::size_t f = 0; f < n; ++f) {
      calls_[f].store(0, std::memory_order_relaxed);
    }
    compiler_ = std::make_shared<Compiler>(n);
    compiler_->options = jit;
  }

  ~TieredProgram() override {
    if (!compiler_) {
      return;
    }
    {
      std::lock_guard<std::mutex> lock(compiler_->mu);
      compiler_->stop = true;
    }
    compiler_->cv.notify_all();
    if (thread_.joinable()) {
      if (abandon_) {
        thread_.detach();
      } else {
        thread_.join();
      }
    }
  }

  /// end_run: a compile still working at destruction is left to finish on its own.
  void abandon() { abandon_ = true; }

  // ---- Backend ----

  void run_main(const RunOptions& options) override {
    if (crosscheck_) {
      crosscheck_main(options);
      return;
    }
    RunOptions o = options;
    o.tier = this;
    std::exception_ptr error;
    auto body = [&]() noexcept {
      try {
        interp_->run_main(o);
      } catch (...) {
        error = std::current_exception();
      }
    };
    on_big_stack(body);
    if (error) {
      std::rethrow_exception(error);
    }
  }

  Value call(ir::FnId fn, std::span<const Value> args, const RunOptions& options) override {
    if (fn.v < switchable_.size() && !crosscheck_ && function_ready(fn)) {
      Backend* native = native_of(fn);
      StreamState stream = interp_->stream_state();
      RunOptions o = options;
      o.tier = nullptr;
      o.stream = &stream;
      struct Keep {
        Backend& interp;
        StreamState& stream;
        ~Keep() { interp.set_stream_state(stream); }
      } keep{*interp_, stream};
      auto start = Clock::now();
      Value v = native->call(fn, args, o);
      count_native(start);
      return v;
    }
    RunOptions o = options;
    o.tier = this;
    return interp_->call(fn, args, o);
  }

  StreamState stream_state() const override { return interp_->stream_state(); }
  void set_stream_state(StreamState state) override { interp_->set_stream_state(state); }
  std::string emit_bytecode(ir::FnId fn) override { return interp_->emit_bytecode(fn); }
  bool cached() const override { return eager_ && eager_->cached(); }
  bool cache_hit() const override { return eager_ && eager_->cache_hit(); }

  // ---- TierHook ----

  bool function_ready(ir::FnId fn) override {
    if (!switchable_[fn.v]) {
      return false;
    }
    if (eager_) {
      return true;
    }
    if (compiler_->ready[fn.v].load(std::memory_order_acquire) != nullptr) {
      return true;
    }
    // Counted with a load and a store, not a read-modify-write: a count lost to a race only
    // delays the compile, and the calls stop writing once the function is hot.
    std::uint32_t n = calls_[fn.v].load(std::memory_order_relaxed);
    if (n < hot_) {
      calls_[fn.v].store(n + 1, std::memory_order_relaxed);
      if (n + 1 == hot_) {
        request(fn);
      }
    }
    return false;
  }

  void call_function(ir::FnId fn, std::span<const std::int64_t> args, std::int64_t* out,
                     codegen::TierState& state) override {
    if (crosscheck_) {
      CrossCall c{program_, *interp_, *eager_, *this};
      crosscheck_call(c, fn, args, out, state);
      return;
    }
    RunOptions o = *state.options;
    o.tier = nullptr;
    o.depth = state.depth;
    o.stream = state.stream;
    auto start = Clock::now();
    native_of(fn)->call_words(fn, args, out, o);
    count_native(start);
  }

  bool loop_ready(codegen::LoopRef) override { return false; }
  void continue_loop(codegen::LoopRef, std::span<const std::int64_t>, std::int64_t*,
                     codegen::TierState&) override {
    throw std::logic_error("tiered: no loop continues natively (on-stack replacement is off)");
  }

  void report(Timings& t) const {
    t.tiered = true;
    t.tier_native_calls += native_calls_.load(std::memory_order_relaxed);
    t.tier_native_ms += static_cast<double>(native_us_.load(std::memory_order_relaxed)) / 1000;
    if (eager_) {
      std::uint32_t n = 0;
      for (char s : switchable_) {
        n += s != 0 ? 1 : 0;
      }
      t.tier_functions += n;
      t.tier_compiles += 1;
      t.tier_compile_ms += eager_ms_;
      return;
    }
    t.tier_functions += compiler_->functions.load();
    t.tier_compiles += compiler_->compiles.load();
    t.tier_compile_ms += static_cast<double>(compiler_->compile_us.load()) / 1000;
  }

 private:
  Backend* native_of(ir::FnId fn) const {
    return eager_ ? eager_.get() : compiler_->ready[fn.v].load(std::memory_order_acquire);
  }

  void count_native(Clock::time_point start) {
    native_calls_.fetch_add(1, std::memory_order_relaxed);
    native_us_.fetch_add(static_cast<std::int64_t>(ms_since(start) * 1000),
                         std::memory_order_relaxed);
  }

  /// Queues a hot function for the compiler thread (started at the first).
  void request(ir::FnId fn) {
    Compiler& c = *compiler_;
    {
      std::lock_guard<std::mutex> lock(c.mu);
      if (c.stop) {
        return;
      }
      c.queue.push_back(fn);
      if (!c.started) {
        c.started = true;
        c.program = std::make_unique<ir::Program>(program_);
        thread_ = std::thread([keep = compiler_] { keep->work(); });
      }
    }
    c.cv.notify_one();
  }

  /// --crosscheck's top level: the interpreter's run (its calls checked through this hook) and
  /// the native run, from the same stream, must print the same and fail alike.
  void crosscheck_main(const RunOptions& options) {
    CrossCall c{program_, *interp_, *eager_, *this};
    std::exception_ptr error;
    auto body = [&]() noexcept {
      try {
        crosscheck_top(c, options);
      } catch (...) {
        error = std::current_exception();
      }
    };
    on_big_stack(body);
    if (error) {
      std::rethrow_exception(error);
    }
  }

  const ir::Program& program_;
  TierPolicy policy_;
  bool crosscheck_;
  std::uint32_t hot_ = 2;
  std::vector<char> switchable_;
  std::unique_ptr<Backend> interp_;
  std::unique_ptr<Backend> eager_;  // Eager and crosscheck: everything, before the run
  double eager_ms_ = 0;
  std::unique_ptr<std::atomic<std::uint32_t>[]> calls_;
  std::shared_ptr<Compiler> compiler_;  // Background
  std::thread thread_;
  bool abandon_ = false;
  std::atomic<std::uint64_t> native_calls_{0};
  std::atomic<std::int64_t> native_us_{0};
};

}  // namespace

TierPolicy tier_policy(const EngineOptions& options) {
  if (const char* env = std::getenv("KESTREL_TIER"); env != nullptr) {
    if (std::string_view(env) == "eager") {
      return TierPolicy::Eager;
    }
  }
  return options.tier_policy;
}

std::unique_ptr<Backend> compile_tiered(const ir::Program& program, const EngineOptions& options,
                                        std::vector<ir::FnId> /*roots*/) {
  // What a tiered program compiles is what gets hot (or, eager, everything), whatever the roots.
  return std::make_unique<TieredProgram>(program, options);
}

void tier_timings(const Backend& code, Timings& timings) {
  if (const auto* t = dynamic_cast<const TieredProgram*>(&code)) {
    t->report(timings);
  }
}

void end_run(std::unique_ptr<Backend> code) {
  if (auto* t = dynamic_cast<TieredProgram*>(code.get())) {
    t->abandon();
  }
  code.reset();
}

}  // namespace kestrel::engine
