#pragma once
// What a host allows one run: a flag that stops it (an interrupt from another thread, the REPL's
// Ctrl-C), a deadline, file access, and how much array memory may be live. The engine builds a
// Limits per run and makes it current on the calling thread (LimitsScope); the backends read it
// at their poll points (loop back-edges and calls), the runtime reads it where it allocates,
// opens files, and between the chunks of long operations (parallel loops, reductions, large
// elementwise operations, `@` on large matrices). A parallel loop makes its caller's Limits
// current on the threads that run its chunks (parallel.cpp), so a chunk polls the same flag.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace kestrel::rt {

struct Array;
template <class T>
class Ref;

struct Limits {
  /// Set (by another thread) to stop the run: "interrupted". Null: none.
  const std::atomic<bool>* interrupt = nullptr;
  /// The run stops when `epoch` differs from `start_epoch` (Module::interrupt bumps a module's
  /// epoch, so it stops the calls running then and none that start later). Null: none.
  const std::atomic<std::uint64_t>* epoch = nullptr;
  std::uint64_t start_epoch = 0;
  /// monotonic_ns() after which the run stops with "time limit of N ms exceeded"; 0: none.
  std::int64_t deadline_ns = 0;
  std::int64_t time_limit_ms = 0;  // N, for the message
  /// False: read_csv, load_npy and save_npy raise instead of touching a file.
  bool allow_io = true;
  /// An allocation that would make the live array memory of the process exceed this many bytes
  /// raises "memory limit ... exceeded"; 0: no limit.
  std::int64_t memory_limit = 0;
  /// How many threads this run's parallel loops may use (EngineOptions::threads, so engines of
  /// different counts share a process); 0: the process's count (set_threads).
  int threads = 0;
  /// Which run these are (engine::run_limits numbers the runs; copies keep it): the streams and
  /// npy_append files a run leaves open are closed when it ends (runtime/stream.hpp). 0: none.
  std::uint64_t run = 0;
  /// The REPL's kept arrays (kestrel::Session): keep_array stores an entry's new binding of a
  /// persisted `var` array here, in the variable's slot, so that an entry that fails keeps it.
  /// Null: nothing is kept.
  std::vector<Ref<Array>>* kept = nullptr;

  /// Whether anything here can stop a run (so a poll has something to check).
  bool can_stop() const { return interrupt != nullptr || epoch != nullptr || deadline_ns != 0; }
};

/// A monotonic clock in nanoseconds, cheap enough to read at every poll (CLOCK_MONOTONIC_COARSE:
/// a few ns, a few ms resolution).
std::int64_t monotonic_ns();

/// The Limits of the run on this thread (null: no limits).
const Limits* current_limits();

/// Makes `limits` current on this thread and returns the previous ones (for a begin/end pair
/// that cannot be a scope: the JIT's direct calls).
const Limits* exchange_limits(const Limits* limits);

/// Makes `limits` current on this thread for the scope's life (null: none), then restores the
/// previous one.
class LimitsScope {
 public:
  explicit LimitsScope(const Limits* limits);
  ~LimitsScope();
  LimitsScope(const LimitsScope&) = delete;
  LimitsScope& operator=(const LimitsScope&) = delete;

 private:
  const Limits* saved_;
};

/// Whether `limits` stop the run now.
bool stopping(const Limits& limits);

/// Why `limits` stops the run now ("interrupted", "time limit of 50 ms exceeded"), or "" when
/// it goes on.
std::string stop_message(const Limits& limits);

/// Raises RuntimeError with stop_reason when the current Limits stop the run.
void poll();

/// Holds a reference to `a` in slot `slot` of the current Limits' `kept` (the ir::ReplKeep
/// builtin, in every backend), releasing the array it held; nothing when there are no kept
/// slots or `slot` is not one of them.
void keep_array(std::int64_t slot, Array* a);

/// Raises RuntimeError "<what>: file access is disabled (EngineOptions::allow_io)" when the
/// current Limits refuse file access, and when `path` holds a NUL byte (the system would open
/// the file named by the text before it: "a.csv\0x" would read a.csv).
void check_io(const char* what, const std::string& path);

/// Raises RuntimeError when allocating `bytes` more would pass the current memory limit, given
/// `live` bytes live now.
void check_memory(std::int64_t live, std::int64_t bytes);

}  // namespace kestrel::rt
