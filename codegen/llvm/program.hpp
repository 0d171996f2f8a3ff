#pragma once
// What compile() produces and what lowering fills in: the code, the site table (error spans),
// the string constants the code points at, and per function its native and entry addresses.
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "codegen/llvm/jit.hpp"

namespace llvm {
class Module;
class LLVMContext;
}  // namespace llvm

namespace kestrel::jit {

/// A program's code, wherever it was linked: by ORC into a Host (jit.cpp's LinkedCode, which
/// owns its JITDylib and ResourceTracker) or by the object loader (native_program.cpp). Freed
/// with the program.
struct NativeCode {
  virtual ~NativeCode() = default;
  /// The address of symbol `name`, or null with `error` saying why.
  virtual void* lookup(const std::string& name) = 0;
  std::string error;
};

/// One function's signature at the C++ boundary (flattened like the native convention).
struct FnSig {
  std::string name;    // the Kestrel name
  std::string symbol;  // the native function's symbol
  std::string entry;   // the slot wrapper: void(KestrelContext*, int64_t* args, int64_t* out)
  std::vector<ir::Type> params;       // as declared
  std::vector<ir::Type> flat_params;  // one per native parameter
  ir::Type ret;
  std::vector<ir::Type> flat_ret;
};

/// The tables lowering produces alongside the module. A cache hit restores them from the entry
/// (cache_entry.cpp writes and reads every field: add a new one there too).
struct LoweredTables {
  std::vector<diag::Span> sites;  // site id -> span
  // str constants (the code holds their addresses; the object cache turns those into slots,
  // and does not cache a module that embeds any other address of this process)
  std::deque<std::string> strings;
  std::vector<FnSig> sigs;  // by FnId
};

/// Lowers every function of `program` into `module` (lower_module.cpp; the lowering is described in
/// lower_context.hpp).
/// `gpu`: the CUDA backend's plan under --target gpu; its regions call kestrel_rt_gpu_run.
void lower_program(const ir::Program& program, llvm::Module& module, LoweredTables& tables,
                   const codegen::GpuPlan* gpu = nullptr);

struct CompiledProgram::Impl {
  ~Impl();
  std::unique_ptr<NativeCode> code;
  LoweredTables tables;
  std::vector<void*> natives;  // by FnId
  std::vector<void*> entries;  // by FnId
  std::string module_text;     // the optimised module (empty: compiled without Options::keep_text)
  std::vector<std::string> function_text;  // by FnId (Options::keep_text)
  std::vector<char> compiled;              // by FnId: whether the module defines it
  double compile_ms = 0;
  bool cache_hit = false;  // loaded from the object cache
  bool cached = false;     // the object cache was on
  std::uint32_t main = 0;
  std::unordered_set<std::string> str_pool;  // str values read out of arrays
  /// Calls from several threads may run at once: str_pool is inserted into under state_mutex.
  std::mutex state_mutex;
  /// The seeded stream's position: read when a call starts, written when it ends if the call
  /// drew from it. A sequence lock: a reader takes no lock (most calls draw nothing and pay two
  /// loads), a writer holds `stream_writing` and makes `stream_version` odd while it writes.
  std::atomic<std::uint64_t> stream_version{0};
  std::atomic<std::int64_t> stream_key{0};
  std::atomic<std::int64_t> stream_pos{0};
  std::atomic_flag stream_writing = ATOMIC_FLAG_INIT;
  StreamState load_stream() const;
  void store_stream(StreamState s);
  /// A context for the next direct call (begin_direct takes it, end_direct gives it back; a call
  /// that finds none makes one), so a caller on one thread allocates nothing per call.
  std::atomic<DirectCall*> spare_call{nullptr};
};

/// Looks up the native address of every function compiled (Impl::compiled: the others were not
/// reached from the roots), the entry address of every root (of every function when there
/// are none), and points the string slots (cache::externalise_strings) at the program's string
/// constants. False, with impl.code->error, when a symbol is missing (native_program.cpp).
bool link_program(CompiledProgram::Impl& impl, bool string_slots,
                  const std::vector<ir::FnId>& roots);

}  // namespace kestrel::jit
