#pragma once
// The CPU JIT's public API: typed IR in, native code out (LLVM 19, ORC LLJIT, the new pass
// manager at O2 for the host CPU), mirroring codegen/interp/interp.hpp. compile() lowers every
// function of an ir::Program into one LLVM module, optimises it and links it into a Host (an
// LLJIT); run_main() runs the script's top level; call() runs one function from C++. Runtime errors
// (index out of bounds, integer division by zero, stack overflow, errors the runtime library
// raises) are thrown as codegen::RunError with the same message and span as in the interpreter.
//
// Native calling convention of a compiled Kestrel function (native_address gives its address):
//
//   R f(KestrelContext* ctx, [Slot* out,] P1 p1, P2 p2, …)
//
//   - ctx (runtime/abi.hpp) is the run's context: call depth, interrupt flag, the seeded random
//     stream, the kernel index and the recorded error. Set it up with a zero `failed`, `depth`
//     0, `max_depth`, `budget` > 0, the stream, and a host (rt::AbiHost: the error text, print's
//     output, and `str_pool` for str values read out of arrays).
//   - Parameters in order, each flattened to its native type: bool as `bool` (i1 zeroext), i32
//     as int32_t, i64 as int64_t, f32 as float, f64 as double, str as const std::string*, arrays
//     as rt::Array* and tables as rt::Table* (borrowed: the caller keeps them alive for the call;
//     the callee retains one only if it rebinds that parameter). A tuple parameter passes its
//     elements one after another.
//   - R is the result in the same native type; void functions return void. An array or table
//     result is a new reference the caller owns. A function returning a tuple returns void and
//     writes its flattened elements into `out`, 8 bytes each (bool/i32/i64 as int64_t, f64 as
//     double, f32 as float in the first 4 bytes, pointers as pointers; arrays owned).
//   - On a runtime error the function records it in ctx (failed = 1, site, host->message),
//     releases everything it holds and returns a zero result (null arrays). After any call the
//     caller must test ctx->failed; site_span() maps the site id to its source span.
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "codegen/common/backend.hpp"
#include "codegen/common/gpu_plan.hpp"
#include "dsl/diag/source.hpp"
#include "dsl/ir/ir.hpp"

namespace kestrel::jit {

using codegen::ArrayRef;
using codegen::RunError;
using codegen::RunOptions;
using codegen::StreamState;
using codegen::Value;

/// Which functions compile() optimises with the full pipeline (Options::opt_level) and which
/// with the cheap one (an O1-class subset of it: no unrolling, vectorisation, GVN, jump
/// threading, ...; passes.hpp). The choice never changes a result bit, only compile time and
/// speed.
enum class Pipeline : unsigned char {
  Full,   // every function the full pipeline
  Cheap,  // every function the cheap one, except Options::hot (the tier's "cheap now")
  Auto,   // functions with a loop, and Options::hot, the full one; the others the cheap one
  /// Every function the baseline tier (baseline.hpp: a short pipeline and fast instruction
  /// selection), except Options::hot (the full one). A module of baseline functions only is
  /// generated at CodeGenOptLevel::None: issue 16's whole-groupby-module compile.
  Baseline,
};

/// How compile() works.
struct Options {
  unsigned opt_level = 2;  // 0..3: LLVM's optimisation level
  /// Which functions get the full pipeline and which the cheap one (see Pipeline). Whatever it
  /// says, a function of more than passes::kMaxFullLoops loops or kMaxFullBlocks blocks (as
  /// lowered) gets the cheap one: LLVM's loop passes and machine code sinking cost such a
  /// function time quadratic in its loops or blocks. Full by default:
  /// Auto compiled the examples and `import groupby` only 3-10% faster than Full, and ran a
  /// recursive function without loops (fib_rec) 13% slower in one measurement (2 loaded
  /// cores); the tier asks for Cheap, then Full for what gets hot.
  Pipeline pipeline = Pipeline::Full;
  /// Functions that get the full pipeline whatever `pipeline` says (the tier's hot functions;
  /// for "full when hot", compile again with these as `roots` and `hot`).
  std::vector<ir::FnId> hot;
  /// The on-disk object cache (codegen/llvm/object_cache.hpp): on a hit compile() loads the
  /// object and skips lowering and optimisation. cache_dir empty: `$XDG_CACHE_HOME/kestrel`,
  /// else `~/.cache/kestrel`. A folder that cannot be written silently disables the cache.
  bool use_cache = true;
  std::filesystem::path cache_dir;
  /// The functions the caller will call (empty: all of them). Only these and what they reach
  /// through calls are optimised and compiled; native_address, call and run_main of any other
  /// function throw std::logic_error. The REPL names its entry's function, so definitions an
  /// entry does not use cost it nothing.
  std::vector<ir::FnId> roots;
  /// --target gpu: the CUDA backend's plan (codegen/cuda); its regions call the runtime's GPU
  /// entry (kestrel_rt_gpu_run) instead of running on the CPU. Null: everything on the CPU.
  const codegen::GpuPlan* gpu = nullptr;
  /// Whether emit_llvm and emit_llvm_function will be asked for: the optimised module printed
  /// as text, and kept in the object cache's entry with the code. Printing a module costs about
  /// an eighth of a baseline compile (0.65 of Monte Carlo pi's 20 ms): runs skip it, and a
  /// cache entry stored without it serves them but not a compile that keeps the text.
  bool keep_text = true;
  /// The JIT module's file as cache::file_identity gives it, for the object cache's key (a
  /// rebuilt module lowers differently even where the engine's binary is unchanged); the engine
  /// sets it, a program linking the JIT in leaves it empty.
  std::string jit_module;
  /// The object cache's key for this program and these options (cache::key_of), when the
  /// caller has it already: the engine computes it once to look for a hit without LLVM
  /// (load_from_cache), and on a miss compile() stores under it instead of hashing the program
  /// again. Empty: compile() computes it.
  std::string cache_key;
};

/// A program compiled to native code: owns the LLJIT, the code, the span table and the state
/// that persists between calls (the seeded random stream). Runs and calls may happen on several
/// threads at once, each with its own context; the stream and the str pool they share are
/// guarded. set_stream_state is not to race with a run. The engine runs it through
/// codegen::Backend; the members do what the free functions below do.
class CompiledProgram final : public codegen::Backend {
 public:
  struct Impl;
  explicit CompiledProgram(std::unique_ptr<Impl> impl);
  ~CompiledProgram() override;

  void run_main(const RunOptions& options) override;
  Value call(ir::FnId fn, std::span<const Value> args, const RunOptions& options) override;
  void call_words(ir::FnId fn, std::span<const std::int64_t> args, std::int64_t* out,
                  const RunOptions& options) override;
  StreamState stream_state() const override;
  void set_stream_state(StreamState state) override;
  std::string emit_llvm() override;
  std::string emit_llvm_function(ir::FnId fn) override;
  void* native_address(ir::FnId fn) override;
  void* begin_native(const RunOptions& options) override;
  void end_native(void* ctx) override;
  bool cached() const override;
  bool cache_hit() const override;

  Impl& impl() { return *impl_; }
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

/// An LLJIT with the host's TargetMachine and the runtime's symbols, which several programs can
/// be compiled into, so that each does not pay for creating them (the REPL keeps one per
/// session). Each program's code lives in its own JITDylib under its own ResourceTracker and is
/// freed when the CompiledProgram is destroyed; the programs keep their Host alive. Code is
/// generated at the `opt_level` of make_host. One compile() into a Host at a time.
class Host;
std::shared_ptr<Host> make_host(unsigned opt_level = 2);

/// Lowers, optimises and links every function of `program`, into `host` (null: a Host of its
/// own). Throws RunError (at the node's span) for what it cannot lower, std::runtime_error when
/// LLVM fails. The result does not point into `program`.
///
/// KESTREL_JIT_TIMES=1 prints the time of each phase on stderr; KESTREL_JIT_TIMES=passes also
/// each LLVM pass's, optimisation and code generation (what `-time-passes` prints).
/// KESTREL_JIT_DUMP=FILE writes the module as lowered, before optimisation (input for `opt` and
/// `llc` when measuring a pipeline).
std::unique_ptr<CompiledProgram> compile(const ir::Program& program, const Options& options = {},
                                         std::shared_ptr<Host> host = nullptr);

/// Runs the script's top-level statements.
void run_main(CompiledProgram& program, const RunOptions& options = {});

/// Calls function `fn` with `args` (one per parameter, of the parameter's type) and returns its
/// result (type void for a void function). Throws RunError on a runtime error,
/// std::invalid_argument when the arguments do not match the parameters.
Value call(CompiledProgram& program, ir::FnId fn, std::span<const Value> args,
           const RunOptions& options = {});

/// Calls `fn` through its entry with its parameters' words (borrowed) and writes its result
/// words to `out` (codegen::Backend::call_words).
void call_words(CompiledProgram& program, ir::FnId fn, std::span<const std::int64_t> args,
                std::int64_t* out, const RunOptions& options = {});

/// The optimised module as LLVM assembly (`kestrel emit --llvm`).
std::string emit_llvm(CompiledProgram& program);
/// One function of the optimised module as LLVM assembly (REPL `:llvm fn`).
std::string emit_llvm_function(CompiledProgram& program, ir::FnId fn);
/// Milliseconds compile() took: lowering, optimisation and machine code.
double last_compile_ms(const CompiledProgram& program);
/// Whether compile() loaded the program from the object cache.
bool last_cache_hit(const CompiledProgram& program);
/// Whether compile() used the object cache (it was on and its folder usable).
bool cache_enabled(const CompiledProgram& program);

/// Where the seeded stream stands after the last run, and setting it before the next (the REPL
/// carries it from one entry's program to the next).
StreamState stream_state(const CompiledProgram& program);
void set_stream_state(CompiledProgram& program, StreamState state);

/// Direct calls of native entries from C++ (Module::function in JIT mode): begin_direct sets up
/// a context of the call's own and returns the pointer to pass as `ctx`; after the call,
/// end_direct(ctx) saves the stream, frees the context (or keeps it for the next call) and
/// throws RunError if the call failed. Calls on several threads may run at once.
struct DirectCall;
void* begin_direct(CompiledProgram& program, const RunOptions& options = {});
void end_direct(CompiledProgram& program, void* ctx);

/// The native entry of function `fn` (see the calling convention above).
void* native_address(CompiledProgram& program, ir::FnId fn);
/// The source span of a site id recorded in KestrelContext::site.
diag::Span site_span(const CompiledProgram& program, std::uint32_t site);

}  // namespace kestrel::jit
