// Tiered execution: the interpreter runs at once; the engine's compiler thread compiles what gets
// hot, and the interpreter's CALL moves a call to native code once its function is ready
// (codegen/common/tier.hpp). What crosses a switch is exact: the argument and result words, the
// seeded stream (RunOptions::stream), the call depth (RunOptions::depth), print's output, the
// limits. The top level runs on a large stack, as the JIT's does, so native recursion reaches
// the same depth limit.
//
// On-stack replacement: a loop that keeps the interpreter busy (the VM asks loop_ready every
// interp's loop poll period of back-edges) gets its continuation (dsl/ir/osr.hpp: the rest of its
// function from the loop's header, the live values as parameters) compiled on the same thread,
// and the VM hands its live registers to it at the next poll. Eager (KESTREL_TIER=eager) compiles
// a loop's continuation at its first poll and switches there, so the golden programs' longer
// loops switch in every tiered test.
//
// Kernel launches: a launch is one unit (its instances read the launch index from the VM, so a
// kernel is never switched to by itself), and its start is its only switch point, as for an
// outermost parallel loop. The VM asks launch_ready there; the native code is the launch as a
// function of its own (ir::add_launcher: the grid sizes and arguments as parameters), one per
// kernel launched alike (grid rank, argument types) whatever the site, compiled on the run's
// thread when a launch site's launches reach kParallelStartTrips instances, and at the first
// launch under Eager. --crosscheck keeps launches interpreted (it compares calls).
#include "dsl/engine/tiered.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include "codegen/common/tier.hpp"
#include "dsl/engine/crosscheck.hpp"
#include "dsl/engine/jit_loader.hpp"
#include "dsl/ir/loop_use.hpp"
#include "dsl/ir/osr.hpp"
#include "runtime/array.hpp"
#include "runtime/run_stack.hpp"

namespace kestrel::engine {

namespace {

/// Sets `value` from the environment variable `name` when set: a count of milliseconds (a
/// measuring knob; negative reads as 0).
void env_ms(const char* name, std::chrono::milliseconds& value) {
  if (const char* env = std::getenv(name); env != nullptr) {
    value = std::chrono::milliseconds(std::max(0L, std::atol(env)));
  }
}

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

/// The background compiler: its queue, what it made, and a copy of the program it compiles
/// from. Shared by the program and the compiler thread, so that the thread may outlive the
/// program (end_run).
constexpr int kCompileNice = 10;

/// The tier's compiles: native code for `roots` of `program` (the CPU's: a tiered program never
/// targets the GPU), without the module's text (nothing emits it).
std::unique_ptr<Backend> native(const ir::Program& program, const EngineOptions& options,
                                std::shared_ptr<jit::Host>* host, std::vector<ir::FnId> roots,
                                JitTier tier = JitTier::Full) {
  return compile_cpu(program, Mode::Jit, options, host, std::move(roots), nullptr, tier, false);
}

/// A loop's continuation compiled: the native program (with the program copy it was made from)
/// and the continuation's function in it; no code when the loop cannot be continued natively
/// (not an entry point, or the JIT refused it: it stays interpreted, with the same results).
struct LoopCode {
  std::unique_ptr<ir::Program> program;
  std::unique_ptr<Backend> code;
  ir::FnId fn;
};

/// `cached_only`: only from the object cache (cached_cpu): no code, and nothing loaded, on a miss.
LoopCode compile_loop(const ir::Program& program, const EngineOptions& options,
                      codegen::LoopRef loop, std::shared_ptr<jit::Host>* host,
                      bool cached_only = false) {
  LoopCode made;
  try {
    made.program = std::make_unique<ir::Program>(program);
    made.fn = ir::add_continuation(*made.program, loop.fn, loop.index).fn;
    made.code = cached_only ? cached_cpu(*made.program, options, {made.fn})
                            : native(*made.program, options, host, {made.fn});
  } catch (...) {
    made.code.reset();
  }
  return made;
}

/// A launch site's launcher compiled (ir::add_launcher), as a LoopCode.
LoopCode compile_launch(const ir::Program& program, const EngineOptions& options,
                        ir::ExprId launch) {
  LoopCode made;
  try {
    made.program = std::make_unique<ir::Program>(program);
    made.fn = ir::add_launcher(*made.program, launch);
    made.code = native(*made.program, options, nullptr, {made.fn});
  } catch (...) {
    made.code.reset();
  }
  return made;
}

/// The key of a loop in the maps below.
std::uint64_t loop_key(codegen::LoopRef loop) {
  return (static_cast<std::uint64_t>(loop.fn.v) << 32) | loop.index;
}

/// A loop's state in a tiered run: polls counted while cold, then compiling, then ready (with
/// its code) or never (stays interpreted).
struct LoopState {
  std::uint32_t polls = 0;
  /// The last poll that knew the iterations left (loop_ready's `left`), and when it came: two
  /// such polls of one run of the loop give its interpreted time per iteration.
  std::int64_t left = -1;
  Clock::time_point at;
  enum class Phase : std::uint8_t { Cold, Compiling, Ready, Never } phase = Phase::Cold;
  /// Its continuation was looked for in the object cache (at its first poll).
  bool probed = false;
  Backend* code = nullptr;
  ir::FnId fn;
};

/// A launcher (ir::add_launcher) compiled, shared by the launch sites of one kernel with the
/// same grid rank and argument types: not yet, compiling, ready (its code, and the span of the
/// launch it was made from, where its launch's own errors point), or never (stays interpreted).
struct Launcher {
  LoopState::Phase phase = LoopState::Phase::Cold;
  Backend* code = nullptr;
  ir::FnId fn;
  diag::Span span;
};

/// One launch site (by its Launch expression's id): the instances it ran interpreted so far,
/// and its launcher.
struct LaunchSite {
  std::int64_t instances = 0;
  Launcher* launcher = nullptr;
};

/// What makes two launch sites' launchers the same code: the kernel, the grid's rank and the
/// arguments' types.
std::vector<std::uint64_t> launcher_key(const ir::Program& program, ir::ExprId launch) {
  const auto& l = std::get<ir::Launch>(program.expr(launch).kind);
  std::vector<std::uint64_t> key{l.kernel.v, l.grid.size()};
  for (ir::ExprId a : l.args) {
    ir::Type t = program.expr(a).type;
    key.push_back((static_cast<std::uint64_t>(t.kind) << 48) |
                  (static_cast<std::uint64_t>(t.scalar) << 40) |
                  (static_cast<std::uint64_t>(t.rank) << 32) | t.tuple);
  }
  return key;
}

/// How long a script runs before the JIT module loads on the compile thread (unless something
/// gets hot sooner): bench/tiered/modes.py's bar for short scripts is 5 ms over the interpreter
/// for those that finish within 50 ms.
constexpr std::chrono::milliseconds kPreloadDelay{50};
/// Nothing is compiled in the background before the run (the tiered program) has lasted this
/// long: what gets hot sooner waits. A script that ends within it cannot gain from a compile (the
/// JIT module's load and a compile take about as long again), and on a machine whose cores are
/// busy the compile would slow it; a longer run loses at most this much of interpreting to native
/// code, while a JIT-only run pays the load and a compile of everything before it starts.
/// Compiles at a call's or a loop's start (a call over big arrays, a long parallel loop or
/// launch) are not held back: those are long by their sizes.
constexpr std::chrono::milliseconds kCompileDelay{25};
/// A hot function whose interpreted calls reach this many while kCompileDelay holds its compile
/// back ends the delay: a function called 2^16 times in the first milliseconds of a run (a
/// recursion like fib_rec, 25-30 ns an interpreted call) is where the run's work is, and its
/// compile pays while the run goes on (examples/fib.kst: 20-29 ms tiered instead of 40, against
/// 36 for --jit). The delay still holds for everything else: on a machine whose cores are busy,
/// an early compile slowed a 30 ms script (mlp_train) to 76-86 ms. KESTREL_TIER_URGENT_CALLS=N
/// (0: never), for measuring.
constexpr std::uint32_t kUrgentCalls = std::uint32_t{1} << 16;
/// Loops of one run whose continuation is looked for in the object cache at their first poll
/// (Compiler::probes).
constexpr std::uint32_t kMaxProbes = 16;
/// Polls (of the interpreter's loop poll period, 1024 back-edges) before a loop is hot.
constexpr std::uint32_t kHotLoopPolls = 8;
/// A hot loop whose iterations left (all the looping left in its call) will take the
/// interpreter less than this is left to finish interpreted: its continuation's compile (and the
/// JIT module's load, the first time) takes about as long, so the native code would land when
/// the loop is done, and on a machine whose cores are busy the compile slows the run it cannot
/// help (`bench/tiered/modes.py`: a 10^6-step scalar loop, 20 ms interpreted).
constexpr std::chrono::milliseconds kLoopPayoff{25};
/// A parallel loop this long is compiled at its start rather than interpreted: at tens of ns an
/// interpreted iteration, 2^20 of them cost about what a continuation's compile does.
constexpr std::int64_t kParallelStartTrips = std::int64_t{1} << 20;
/// A call of a function that loops, with this many array elements among its arguments, is
/// compiled at its start rather than interpreted: a loop over them interpreted costs tens of ns
/// an element, about a compile's cost at this size, and the function is not called again soon
/// enough to become hot (a script's one call over its data).
constexpr std::int64_t kBigCallElements = std::int64_t{1} << 22;

struct Compiler {
  explicit Compiler(std::size_t nfns)
      : ready(new std::atomic<Backend*>[nfns]),
        is_full(new std::atomic<bool>[nfns]),
        watch(new std::atomic<std::uint8_t>[nfns]) {
    for (std::size_t f = 0; f < nfns; ++f) {
      ready[f].store(nullptr, std::memory_order_relaxed);
      is_full[f].store(false, std::memory_order_relaxed);
      watch[f].store(1, std::memory_order_relaxed);
    }
  }

  std::mutex mu;
  std::condition_variable cv;
  std::vector<ir::FnId> queue;          // hot functions not compiled yet, in the order they got hot
  std::vector<codegen::LoopRef> loops;  // hot loops whose continuation is not compiled yet
  /// Loops polled for the first time, whose continuation is looked for in the object cache
  /// (a hit moves the loop at its next poll, hot or not: an earlier run found it worth it).
  /// Not held back by compile_delay or the preload: a probe loads nothing and takes about a
  /// millisecond (a copy of the program, its key and the loader), and a cached loop otherwise
  /// ran interpreted until hot and past kCompileDelay (25-30 ms of a 10^8-step loop). At most
  /// kMaxProbes a run (a script of many short loops would otherwise copy and hash its program
  /// for each), and after the hot loops' compiles.
  std::vector<codegen::LoopRef> probes;
  std::uint32_t probes_made = 0;
  /// Hot functions running as the baseline tier's code, not yet recompiled in full.
  std::vector<ir::FnId> promote;
  /// Whether a hot batch is compiled by the baseline tier first (see work()), and then in full:
  /// KESTREL_TIER_BASELINE=off compiles it in full at once, =only never in full (for measuring
  /// the baseline tier's code, and for tests).
  bool baseline_first = true;
  bool then_full = true;
  bool stop = false;
  bool started = false;
  bool preload = false;  // load the JIT module as the thread starts, before any request
  /// How long the run lasts before the preload (kPreloadDelay; KESTREL_TIER_PRELOAD_MS=N or
  /// =never, for measuring the policy).
  std::chrono::milliseconds preload_delay = kPreloadDelay;
  bool preload_never = false;
  /// When the tiered program was made, and kCompileDelay (KESTREL_TIER_COMPILE_DELAY_MS=N, for
  /// measuring): the compile thread starts no work before `created + compile_delay`.
  Clock::time_point created = Clock::now();
  std::chrono::milliseconds compile_delay = kCompileDelay;
  bool urgent = false;  // a queued function reached kUrgentCalls: the delay ends at once
  /// Whether the compile thread is past the delay (queued functions' calls are counted until
  /// then, for kUrgentCalls).
  std::atomic<bool> delay_over{false};
  bool warm = false;  // a loop has been polled (loop_ready): the preload may start
  /// Some code of this run came from the object cache (linked without the module): the program
  /// ran before, so its later compiles are likely hits too, and the preload is skipped (loading
  /// the module would take a core from the run for nothing; a miss still loads it).
  bool cache_hit = false;
  /// kLoopPayoff (KESTREL_TIER_LOOP_PAYOFF_MS=N, for measuring; 0: every hot loop compiles).
  std::chrono::milliseconds loop_payoff = kLoopPayoff;
  std::unique_ptr<ir::Program> program;  // copied at the first request
  EngineOptions options;                 // Mode::Jit
  std::shared_ptr<jit::Host> host;       // one LLJIT for every batch
  std::vector<std::unique_ptr<Backend>> natives;
  /// Per function: the native program that has it, once compiled, and whether that is the full
  /// pipeline's code (written with mu held).
  std::unique_ptr<std::atomic<Backend*>[]> ready;
  std::unique_ptr<std::atomic<bool>[]> is_full;
  /// Per function: TierHook::watch_. A function whose calls reached the hot count is unwatched
  /// until its code is published here (the two sides' store-then-load are seq_cst, so one of
  /// them sees the other: a function is never left unwatched with its code ready).
  std::unique_ptr<std::atomic<std::uint8_t>[]> watch;
  /// Loops by loop_key, and the continuations' programs (guarded by mu).
  std::unordered_map<std::uint64_t, LoopState> loop_states;
  std::vector<LoopCode> loop_codes;
  /// Launch sites by expression id, and the launchers they share (guarded by mu).
  std::unordered_map<std::uint32_t, LaunchSite> launch_sites;
  std::map<std::vector<std::uint64_t>, Launcher> launchers;
  std::atomic<std::uint32_t> compiles{0};
  std::atomic<std::uint32_t> functions{0};
  std::atomic<std::uint32_t> full_functions{0};  // of `functions`, those running full code
  std::atomic<std::int64_t> compile_us{0};

  /// Records a loop's compiled continuation (mu held).
  void publish(codegen::LoopRef loop, LoopCode made) {
    LoopState& st = loop_states[loop_key(loop)];
    if (made.code) {
      cache_hit = cache_hit || made.code->cache_hit();
      st.code = made.code.get();
      st.fn = made.fn;
      st.phase = LoopState::Phase::Ready;
      loop_codes.push_back(std::move(made));
    } else {
      st.phase = LoopState::Phase::Never;
    }
  }

  /// Publishes `code` (null: the compile failed) as the native code of `roots` (mu held). The
  /// code it replaces (a function's baseline code) stays alive: a call may be running it.
  /// A function that has full code keeps it.
  void publish(const std::vector<ir::FnId>& roots, std::unique_ptr<Backend> code, bool full) {
    if (!code) {
      return;
    }
    cache_hit = cache_hit || code->cache_hit();
    for (ir::FnId f : roots) {
      if (is_full[f.v].load(std::memory_order_relaxed)) {
        continue;
      }
      if (ready[f.v].exchange(code.get(), std::memory_order_seq_cst) == nullptr) {
        functions.fetch_add(1);
      }
      watch[f.v].store(1, std::memory_order_seq_cst);
      if (full) {
        is_full[f.v].store(true, std::memory_order_release);
        full_functions.fetch_add(1);
      }
    }
    natives.push_back(std::move(code));
  }

  /// Looks for the probed loops' continuations in the object cache (`lock` holds mu, released
  /// while looking): a hit is published, a miss leaves the loop to the polls.
  void run_probes(std::unique_lock<std::mutex>& lock) {
    while (!probes.empty()) {
      codegen::LoopRef loop = probes.front();
      probes.erase(probes.begin());
      lock.unlock();
      LoopCode made = compile_loop(*program, options, loop, nullptr, true);
      lock.lock();
      LoopState& st = loop_states[loop_key(loop)];
      if (made.code && st.phase != LoopState::Phase::Ready) {
        publish(loop, std::move(made));
      }
    }
  }

  /// Runs `wait` (which waits on cv, `lock` held) until it returns with no cache probe queued,
  /// running the probes queued meanwhile; false when stopped.
  template <class Wait>
  bool wait_running_probes(std::unique_lock<std::mutex>& lock, Wait wait) {
    for (;;) {
      wait();
      if (stop) {
        return false;
      }
      if (probes.empty()) {
        return true;
      }
      run_probes(lock);
    }
  }

  /// The thread's body, until stopped: first the hot loops' continuations (full pipeline: a loop
  /// running now is what the run waits for), then the hot functions, a batch at a time (each
  /// batch's roots are what got hot since the last began). A batch is compiled by the baseline
  /// tier (a fraction of the full pipeline's compile time, code several times slower than full
  /// and many times faster than the interpreter) and published, then, when nothing hotter
  /// waits, recompiled with the full pipeline and published again: a call moves to the full
  /// code at its next call. Both give the same bits.
  void work() {
    // The run comes first: on a machine whose cores are all busy (the run's parallel work, other
    // processes) the compile, which only makes later calls faster, takes what is left.
    // Ten below the thread that started it (the run's), not an absolute 10: a run started at
    // nice -10 compiles at 0.
    // A process allowed only one CPU (an MPI rank bound to its core, `taskset -c 0`) compiles
    // at the run's own priority: there, ten below would give the compile a tenth of the core
    // while the run is busy (an MPI rank's groupby compiled for 1,050 ms instead of about 200 and
    // ran interpreted meanwhile), and a compile is what makes that core's work faster.
    errno = 0;
    int run_nice = getpriority(PRIO_PROCESS, 0);
    if (run_nice == -1 && errno != 0) {
      run_nice = 0;
    }
    cpu_set_t allowed;
    bool one_cpu = sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && CPU_COUNT(&allowed) == 1;
    setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)),
                std::min(run_nice + (one_cpu ? 0 : kCompileNice), 19));
    std::unique_lock<std::mutex> lock(mu);
    // The compile delay, during which only the cache probes run.
    if (!wait_running_probes(lock, [&] {
          cv.wait_until(lock, created + compile_delay,
                        [&] { return stop || urgent || !probes.empty(); });
        })) {
      return;
    }
    delay_over.store(true, std::memory_order_relaxed);
    if (preload) {
      // A script's run: the JIT module (LLVM) loads while the interpreter runs, so that the first
      // hot code's compile does not wait for it; but only once the run has lasted kPreloadDelay
      // and a loop has been polled (`warm`: the interpreter spends its time in the script's own
      // loops, which may get hot, not in runtime operations that native code would not speed
      // up), or something asks for a compile. Loading it faults in tens of MB and takes a core
      // for 20-30 ms, which a script that finishes sooner, or never compiles, does not get back
      // (12-15 ms of 50 on this 2-core VM). A failure shows at the first compile.
      auto asked = [&] { return stop || !queue.empty() || !loops.empty() || !probes.empty(); };
      // The probes run before the preload: a hit needs no module.
      if (!wait_running_probes(lock, [&] {
            if (!preload_never) {
              cv.wait_until(lock, created + preload_delay, asked);
            }
            cv.wait(lock, [&] { return asked() || (warm && !preload_never); });
          })) {
        return;
      }
      // Work asked for already goes to its compile, which loads the module only on an object
      // cache miss: a cached program links without LLVM (jit::load_from_cache).
      if (queue.empty() && loops.empty() && !cache_hit) {
        lock.unlock();
        try {
          (void)jit_module();
        } catch (...) {
        }
        lock.lock();
      }
    }
    for (;;) {
      cv.wait(lock, [&] {
        return stop || !queue.empty() || !loops.empty() || !promote.empty() || !probes.empty();
      });
      if (stop) {
        return;
      }
      if (!loops.empty()) {  // a loop running now first: a function waits for its next call
        codegen::LoopRef loop = loops.front();
        loops.erase(loops.begin());
        if (loop_states[loop_key(loop)].phase == LoopState::Phase::Ready) {
          continue;  // its probe found it while it got hot
        }
        lock.unlock();
        auto start = Clock::now();
        LoopCode made = compile_loop(*program, options, loop, &host);
        compile_us.fetch_add(static_cast<std::int64_t>(ms_since(start) * 1000));
        compiles.fetch_add(1);
        lock.lock();
        publish(loop, std::move(made));
        continue;
      }
      if (!probes.empty()) {
        run_probes(lock);
        continue;
      }
      const bool baseline = baseline_first && !queue.empty();
      std::vector<ir::FnId> roots = std::move(queue.empty() ? promote : queue);
      queue.clear();
      promote.clear();
      lock.unlock();
      auto start = Clock::now();
      std::unique_ptr<Backend> code;
      try {
        code =
            native(*program, options, &host, roots, baseline ? JitTier::Baseline : JitTier::Full);
      } catch (...) {
        // What the JIT cannot take stays in the interpreter (or its baseline code), which gives
        // the same results.
      }
      compile_us.fetch_add(static_cast<std::int64_t>(ms_since(start) * 1000));
      compiles.fetch_add(1);
      lock.lock();
      if (baseline && code && then_full) {
        promote.insert(promote.end(), roots.begin(), roots.end());
      }
      publish(roots, std::move(code), !baseline);
    }
  }
};

class TieredProgram final : public Backend, public codegen::TierHook {
 public:
  TieredProgram(const ir::Program& program, const EngineOptions& options)
      : program_(program),
        policy_(tier_policy(options)),
        crosscheck_(options.crosscheck),
        detach_(options.detach_compiles) {
    EngineOptions jit = options;
    jit.mode = Mode::Jit;
    jit.crosscheck = false;
    hot_ = std::clamp<std::uint32_t>(options.tier_hot_calls, 1, kHot - 1);
    if (const char* env = std::getenv("KESTREL_TIER_HOT_CALLS"); env != nullptr) {
      hot_ = static_cast<std::uint32_t>(std::clamp<long long>(std::atoll(env), 1, kHot - 1));
    }
    std::size_t n = program.functions.size();
    switchable_.resize(n);
    for (std::size_t f = 0; f < n; ++f) {
      // A kernel's instances read the launch's index from the VM; the top levels are not called.
      switchable_[f] = !program.functions[f].is_kernel && !program.functions[f].is_main;
    }
    interp_ = engine::compile(program, Mode::Interp, jit);
    loops_ = ir::functions_with_loops(program);
    start_state_.reset(new std::atomic<std::uint8_t>[n]);
    for (std::size_t f = 0; f < n; ++f) {
      start_state_[f].store(kStartCold, std::memory_order_relaxed);
    }
    compiler_ = std::make_shared<Compiler>(n);
    for (std::size_t f = 0; f < n; ++f) {
      if (!switchable_[f]) {
        compiler_->watch[f].store(0, std::memory_order_relaxed);
      }
    }
    watch_ = compiler_->watch.get();
    // call_start_ready's static half (the one place it is decided): a switchable function that
    // may loop, in a background run.
    weigh_flags_.assign(n, 0);
    if (policy_ != TierPolicy::Eager && !crosscheck_) {
      for (std::size_t f = 0; f < n; ++f) {
        weigh_flags_[f] = switchable_[f] && loops_[f] ? 1 : 0;
      }
    }
    weigh_ = weigh_flags_.data();
    compiler_->options = jit;
    if (const char* env = std::getenv("KESTREL_TIER_BASELINE"); env != nullptr) {
      compiler_->baseline_first = std::string_view(env) != "off";
      compiler_->then_full = std::string_view(env) != "only";
    }
    if (const char* env = std::getenv("KESTREL_TIER_PRELOAD_MS"); env != nullptr) {
      compiler_->preload_never = std::string_view(env) == "never";
    }
    env_ms("KESTREL_TIER_PRELOAD_MS", compiler_->preload_delay);
    env_ms("KESTREL_TIER_COMPILE_DELAY_MS", compiler_->compile_delay);
    env_ms("KESTREL_TIER_LOOP_PAYOFF_MS", compiler_->loop_payoff);
    if (const char* env = std::getenv("KESTREL_TIER_URGENT_CALLS"); env != nullptr) {
      // For measuring the rule: N calls (0: never urgent).
      long long calls = std::atoll(env);
      urgent_calls_ =
          calls <= 0 ? kHot : static_cast<std::uint32_t>(std::min<long long>(calls, kHot - 1));
    }
    if (policy_ == TierPolicy::Eager || crosscheck_) {
      auto start = Clock::now();
      // Every function, whatever the roots: each may be switched to.
      eager_ = native(program, jit, nullptr, {});
      eager_ms_ = ms_since(start);
      return;
    }
    calls_.reset(new std::atomic<std::uint32_t>[n]);
    queued_calls_.reset(new std::atomic<std::uint32_t>[n]);
    loop_polls_.reset(new std::atomic<std::uint32_t>[n]);
    for (std::size_t f = 0; f < n; ++f) {
      calls_[f].store(0, std::memory_order_relaxed);
      queued_calls_[f].store(0, std::memory_order_relaxed);
      loop_polls_[f].store(0, std::memory_order_relaxed);
    }
  }

  ~TieredProgram() override {
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

  /// end_run: a compile still working at destruction is left to finish on its own, when the
  /// options allow it (EngineOptions::detach_compiles); else it is waited for.
  void abandon() { abandon_ = detach_; }

  // ---- Backend ----

  void run_main(const RunOptions& options) override {
    if (crosscheck_) {
      crosscheck_main(options);
      return;
    }
    if (!eager_) {
      // The compile thread starts at the first request or the first loop poll (which may lead
      // to the preload), not here: a run whose parallel loop moves at its start (compiled on
      // its own thread) or that never loops needs none, and a thread started at once made the
      // scheduler place the loop's TBB worker beside the run's thread, on a busy core, for
      // several ms (Monte Carlo pi at 2 threads).
      std::lock_guard<std::mutex> lock(compiler_->mu);
      compiler_->preload = true;
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
    rt::on_run_stack(body);
    if (error) {
      std::rethrow_exception(error);
    }
  }

  Value call(ir::FnId fn, std::span<const Value> args, const RunOptions& options) override {
    std::int64_t elements = 0;  // as the interpreter's CALL weighs a call (call_start_ready)
    for (const Value& a : args) {
      if (!a.array.empty()) {
        elements += static_cast<const rt::Array*>(a.array.handle())->size();
      }
    }
    if (fn.v < switchable_.size() && !crosscheck_ &&
        ((elements > 0 && call_start_ready(fn, elements)) || function_ready(fn))) {
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
    // delays the compile, and the calls stop writing once the function is hot (a store racing
    // make_hot's may count it again: at worst it is queued, and compiled, twice).
    std::uint32_t n = calls_[fn.v].load(std::memory_order_relaxed);
    if (n < hot_) {
      calls_[fn.v].store(n + 1, std::memory_order_relaxed);
      if (n + 1 == hot_ ||
          (n + 1 >= 2 && loop_polls_[fn.v].load(std::memory_order_relaxed) >= kHotLoopPolls)) {
        make_hot(fn, false);
      }
    } else if (n == kHot) {
      count_queued_call(fn);
    }
    return false;
  }

  /// A call of `fn`, queued while the compile delay holds: counted until kUrgentCalls, which
  /// ends the delay; once the delay is over, the calls are no longer watched.
  void count_queued_call(ir::FnId fn) {
    Compiler& c = *compiler_;
    if (!c.delay_over.load(std::memory_order_relaxed)) {
      std::uint32_t n = queued_calls_[fn.v].load(std::memory_order_relaxed) + 1;
      queued_calls_[fn.v].store(n, std::memory_order_relaxed);
      if (n < urgent_calls_) {
        return;
      }
      {
        std::lock_guard<std::mutex> lock(c.mu);
        c.urgent = true;
      }
      c.cv.notify_one();
    }
    stop_watching(fn);
  }

  /// `fn`'s calls skip function_ready until its code is published (which watches it again).
  void stop_watching(ir::FnId fn) {
    Compiler& c = *compiler_;
    c.watch[fn.v].store(0, std::memory_order_seq_cst);
    if (c.ready[fn.v].load(std::memory_order_seq_cst) != nullptr) {
      c.watch[fn.v].store(1, std::memory_order_seq_cst);
    }
  }

  /// Queues `fn` to compile (once: the first caller to mark it hot wins), `locked` when this
  /// thread holds compiler_->mu; its calls then skip function_ready until the code is published.
  void make_hot(ir::FnId fn, bool locked) {
    if (calls_[fn.v].exchange(kHot, std::memory_order_relaxed) == kHot) {
      return;
    }
    Compiler& c = *compiler_;
    if (!locked) {
      request(fn);
    } else {
      enqueue(fn);
      c.cv.notify_one();
    }
    // Nothing more to count once the compile delay is over (count_queued_call counts the calls
    // until then): the calls skip this hook until the code is published.
    if (c.delay_over.load(std::memory_order_relaxed)) {
      stop_watching(fn);
    }
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

  /// A call with kBigCallElements array elements or more, of a function that loops: its full
  /// code, compiled now on the run's thread unless it is there already (once; what another thread
  /// is compiling stays interpreted meanwhile). Such a call never runs as the baseline tier's
  /// code, which has no way out to the full code while it runs (interpreted, the loop would
  /// move to it).
  bool call_start_ready(ir::FnId fn, std::int64_t elements) override {
    if (weigh_flags_[fn.v] == 0 || elements < kBigCallElements) {
      return false;
    }
    if (compiler_->is_full[fn.v].load(std::memory_order_acquire)) {
      return true;
    }
    std::uint8_t cold = kStartCold;
    if (!start_state_[fn.v].compare_exchange_strong(cold, kStartCompiling)) {
      return compiler_->ready[fn.v].load(std::memory_order_acquire) != nullptr;
    }
    auto start = Clock::now();
    std::unique_ptr<Backend> code;
    try {
      code = native(program_, compiler_->options, nullptr, {fn});
    } catch (...) {
      // What the JIT cannot take stays in the interpreter, which gives the same results.
    }
    sync_us_.fetch_add(static_cast<std::int64_t>(ms_since(start) * 1000));
    sync_compiles_.fetch_add(1);
    start_state_[fn.v].store(kStartDone);
    if (!code) {
      return false;
    }
    Compiler& c = *compiler_;
    std::lock_guard<std::mutex> lock(c.mu);
    c.publish({fn}, std::move(code), true);
    return true;
  }

  bool loop_ready(codegen::LoopRef loop, std::int64_t left) override {
    if (crosscheck_) {
      return false;  // --crosscheck compares calls; its loops stay where the call runs
    }
    Compiler& c = *compiler_;
    std::unique_lock<std::mutex> lock(c.mu);
    LoopState& st = c.loop_states[loop_key(loop)];
    switch (st.phase) {
      case LoopState::Phase::Ready:
        return true;
      case LoopState::Phase::Compiling:
      case LoopState::Phase::Never:
        return false;
      case LoopState::Phase::Cold:
        break;
    }
    if (eager_) {  // tests: compile now, on this thread, and switch at this poll
      return compile_now(loop, lock);
    }
    ++st.polls;
    if (!st.probed && c.options.use_cache && c.probes_made < kMaxProbes) {
      st.probed = true;
      ++c.probes_made;
      c.probes.push_back(loop);
      start_compiler();
      c.cv.notify_one();
    }
    // A function's interpreted work in loops too short to move one by one (each run of them
    // pays no compile) makes the function hot by its second call (function_ready).
    if (!eager_ && switchable_[loop.fn.v] &&
        loop_polls_[loop.fn.v].fetch_add(1, std::memory_order_relaxed) + 1 >= kHotLoopPolls) {
      std::uint32_t n = calls_[loop.fn.v].load(std::memory_order_relaxed);
      if (n >= 2 && n != kHot) {
        make_hot(loop.fn, true);
      }
    }
    if (!c.warm) {
      c.warm = true;
      start_compiler();
      c.cv.notify_one();
    }
    if (left >= 0) {
      // The interpreted time left, from the time per iteration since the last poll of this run
      // of the loop (its iterations left went down): too short to pay for a compile, the loop
      // stays cold, polled again.
      Clock::time_point now = Clock::now();
      bool measured = st.left > left;
      double per_iteration = measured ? std::chrono::duration<double>(now - st.at).count() /
                                            static_cast<double>(st.left - left)
                                      : 0.0;
      st.left = left;
      st.at = now;
      // Hot, but not measured yet in this run of the loop (its first poll): the next poll
      // decides.
      if (st.polls >= kHotLoopPolls && c.loop_payoff.count() > 0 &&
          (!measured || per_iteration * static_cast<double>(left) <
                            std::chrono::duration<double>(c.loop_payoff).count())) {
        return false;
      }
    }
    if (st.polls >= kHotLoopPolls) {
      st.phase = LoopState::Phase::Compiling;
      c.loops.push_back(loop);
      start_compiler();
      lock.unlock();
      c.cv.notify_one();
    }
    return false;
  }

  /// An outermost parallel loop about to start: its only switch point. Ready code is used;
  /// otherwise a loop of kParallelStartTrips iterations or more is compiled now, on the run's
  /// thread (interpreting it would take longer than the compile), and runs natively.
  bool loop_start_ready(codegen::LoopRef loop, std::int64_t trips) override {
    if (crosscheck_) {
      return false;
    }
    Compiler& c = *compiler_;
    std::unique_lock<std::mutex> lock(c.mu);
    LoopState& st = c.loop_states[loop_key(loop)];
    if (st.phase == LoopState::Phase::Ready) {
      return true;
    }
    if (st.phase != LoopState::Phase::Cold || (!eager_ && trips < kParallelStartTrips)) {
      return false;
    }
    return compile_now(loop, lock);
  }

  void continue_loop(codegen::LoopRef loop, std::span<const std::int64_t> live, std::int64_t* out,
                     codegen::TierState& state) override {
    Backend* code = nullptr;
    ir::FnId fn;
    {
      std::lock_guard<std::mutex> lock(compiler_->mu);
      const LoopState& st = compiler_->loop_states.at(loop_key(loop));
      code = st.code;
      fn = st.fn;
    }
    RunOptions o = *state.options;
    o.tier = nullptr;
    o.depth = state.depth;
    o.stream = state.stream;
    auto start = Clock::now();
    code->call_words(fn, live, out, o);
    native_loops_.fetch_add(1, std::memory_order_relaxed);
    native_us_.fetch_add(static_cast<std::int64_t>(ms_since(start) * 1000),
                         std::memory_order_relaxed);
  }

  /// A kernel launch about to start: its only switch point. Ready code is used (a launcher is
  /// shared by the sites that launch the same kernel alike); otherwise a launch site that
  /// reaches kParallelStartTrips instances (this launch's, with those it ran interpreted so far)
  /// has its launcher compiled now, on the run's thread, and runs natively; Eager compiles at
  /// the first launch.
  bool launch_ready(ir::ExprId launch, std::int64_t instances) override {
    if (crosscheck_) {
      return false;
    }
    Compiler& c = *compiler_;
    std::unique_lock<std::mutex> lock(c.mu);
    LaunchSite& site = c.launch_sites[launch.v];
    if (site.launcher == nullptr) {
      site.launcher = &c.launchers[launcher_key(program_, launch)];
    }
    Launcher& l = *site.launcher;
    if (l.phase == LoopState::Phase::Ready) {
      return true;
    }
    if (l.phase != LoopState::Phase::Cold) {
      return false;
    }
    if (__builtin_add_overflow(site.instances, instances, &site.instances)) {
      site.instances = std::numeric_limits<std::int64_t>::max();
    }
    if (!eager_ && site.instances < kParallelStartTrips) {
      return false;
    }
    l.phase = LoopState::Phase::Compiling;
    lock.unlock();
    auto start = Clock::now();
    LoopCode made = compile_launch(program_, c.options, launch);
    sync_us_.fetch_add(static_cast<std::int64_t>(ms_since(start) * 1000));
    sync_compiles_.fetch_add(1);
    lock.lock();
    if (!made.code) {
      l.phase = LoopState::Phase::Never;
      return false;
    }
    l.code = made.code.get();
    l.fn = made.fn;
    l.span = program_.expr(launch).span;
    l.phase = LoopState::Phase::Ready;
    c.loop_codes.push_back(std::move(made));
    return true;
  }

  void run_launch(ir::ExprId launch, std::span<const std::int64_t> words,
                  codegen::TierState& state) override {
    Launcher l;
    {
      std::lock_guard<std::mutex> lock(compiler_->mu);
      l = *compiler_->launch_sites.at(launch.v).launcher;
    }
    // The launcher runs as the launching function's frame (state.depth): its launch checks the
    // depth limit there and runs the instances one deeper, as the interpreter's CALLs do.
    RunOptions o = *state.options;
    o.tier = nullptr;
    o.depth = state.depth;
    o.stream = state.stream;
    std::int64_t none = 0;
    auto start = Clock::now();
    struct Count {
      TieredProgram& t;
      Clock::time_point start;
      ~Count() {
        t.native_launches_.fetch_add(1, std::memory_order_relaxed);
        t.native_us_.fetch_add(static_cast<std::int64_t>(ms_since(start) * 1000),
                               std::memory_order_relaxed);
      }
    } count{*this, start};
    try {
      l.code->call_words(l.fn, words, &none, o);
    } catch (const RunError& e) {
      // The launch's own errors (an interrupt polled between blocks of instances), and those of
      // an imported kernel (reported at the launch, with a note at the kernel's line), point at
      // the launch the launcher was made from: they belong to this one, note and all (eager
      // tiering dropped the note of an index error in stdlib vecadd's kernel; found by
      // run_fuzz). Other kernel errors point into the kernel, never at a launch.
      diag::Span at = e.span();
      if (at.file == l.span.file && at.begin == l.span.begin && at.end == l.span.end) {
        throw RunError(program_.expr(launch).span, e.message(), e.note_span(), e.note());
      }
      throw;
    }
  }

  void report(Timings& t) const {
    t.tiered = true;
    t.tier_native_calls += native_calls_.load(std::memory_order_relaxed);
    t.tier_native_ms += static_cast<double>(native_us_.load(std::memory_order_relaxed)) / 1000;
    t.tier_loops += static_cast<std::uint32_t>(native_loops_.load(std::memory_order_relaxed));
    t.tier_launches += native_launches_.load(std::memory_order_relaxed);
    if (eager_) {
      std::uint32_t n = 0;
      for (char s : switchable_) {
        n += s != 0 ? 1 : 0;
      }
      t.tier_functions += n;
      t.tier_full_functions += n;
      t.tier_compiles += 1 + sync_compiles_.load();
      t.tier_compile_ms += eager_ms_ + static_cast<double>(sync_us_.load()) / 1000;
      return;
    }
    t.tier_functions += compiler_->functions.load();
    t.tier_full_functions += compiler_->full_functions.load();
    t.tier_compiles += compiler_->compiles.load() + sync_compiles_.load();
    t.tier_compile_ms += static_cast<double>(compiler_->compile_us.load() + sync_us_.load()) / 1000;
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
    {
      std::lock_guard<std::mutex> lock(compiler_->mu);
      enqueue(fn);
    }
    compiler_->cv.notify_one();
  }

  /// Queues `fn` for the compile thread, started if need be (compiler_->mu held).
  void enqueue(ir::FnId fn) {
    Compiler& c = *compiler_;
    if (!c.stop) {
      c.queue.push_back(fn);
      start_compiler();
    }
  }

  /// Compiles `loop`'s continuation on this thread (compiler_->mu held by `lock`, released while
  /// compiling); whether it is ready.
  bool compile_now(codegen::LoopRef loop, std::unique_lock<std::mutex>& lock) {
    Compiler& c = *compiler_;
    c.loop_states[loop_key(loop)].phase = LoopState::Phase::Compiling;
    lock.unlock();
    auto start = Clock::now();
    LoopCode made = compile_loop(program_, c.options, loop, nullptr);
    sync_us_.fetch_add(static_cast<std::int64_t>(ms_since(start) * 1000));
    sync_compiles_.fetch_add(1);
    lock.lock();
    c.publish(loop, std::move(made));
    return c.loop_states[loop_key(loop)].phase == LoopState::Phase::Ready;
  }

  /// Starts the compiler thread at the first request (compiler_->mu held).
  void start_compiler() {
    Compiler& c = *compiler_;
    if (!c.started) {
      c.started = true;
      c.program = std::make_unique<ir::Program>(program_);
      thread_ = std::thread([keep = compiler_] { keep->work(); });
    }
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
    rt::on_run_stack(body);
    if (error) {
      std::rethrow_exception(error);
    }
  }

  const ir::Program& program_;
  TierPolicy policy_;
  bool crosscheck_;
  std::uint32_t hot_ = 2;
  std::uint32_t urgent_calls_ = kUrgentCalls;  // KESTREL_TIER_URGENT_CALLS=N, for measuring
  std::vector<char> switchable_;
  std::unique_ptr<Backend> interp_;
  std::unique_ptr<Backend> eager_;  // Eager and crosscheck: everything, before the run
  double eager_ms_ = 0;
  /// Per function: its interpreted calls counted so far (kHot once it is queued), and its loops'
  /// polls (each 1024 back-edges of the run, a sample of where the interpreted work is).
  std::unique_ptr<std::atomic<std::uint32_t>[]> calls_;
  /// Per function: its interpreted calls since it was queued, while the compile delay holds.
  std::unique_ptr<std::atomic<std::uint32_t>[]> queued_calls_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> loop_polls_;
  static constexpr std::uint32_t kHot = std::numeric_limits<std::uint32_t>::max();
  std::shared_ptr<Compiler> compiler_;  // Background
  std::thread thread_;
  bool abandon_ = false;
  bool detach_ = false;  // EngineOptions::detach_compiles
  std::atomic<std::uint64_t> native_calls_{0};
  std::atomic<std::uint64_t> native_loops_{0};
  std::atomic<std::uint64_t> native_launches_{0};
  std::atomic<std::int64_t> sync_us_{0};  // compiles on the run's thread (loops, calls), in us
  std::atomic<std::uint32_t> sync_compiles_{0};
  std::vector<char> loops_;  // per function: whether a call of it may loop (call_start_ready)
  std::vector<std::uint8_t> weigh_flags_;  // TierHook::weigh_
  static constexpr std::uint8_t kStartCold = 0, kStartCompiling = 1, kStartDone = 2;
  std::unique_ptr<std::atomic<std::uint8_t>[]> start_state_;  // per function: call_start_ready
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
