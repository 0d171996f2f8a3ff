#pragma once
// What every backend hands across the C++ boundary: runtime errors at a source location, counted
// array references, argument and result values, run options, and the Backend interface of a
// compiled program that the interpreter and the JIT implement, so the engine treats them alike;
// neither backend includes the other. Values become slots and back in marshal.hpp.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "dsl/diag/source.hpp"
#include "dsl/ir/ir.hpp"
#include "runtime/limits.hpp"
#include "runtime/rules/messages.hpp"

namespace kestrel::codegen {

/// A runtime error at a source location: `message` is the bare text ("index 10 out of bounds
/// for axis 0 with size 3"); render it with diag::render as a Diagnostic at `span`. Its control
/// bytes are kept as the language's escapes (rt::printable, as rt::RuntimeError does): a NUL in
/// an assert's message would cut what() short (the JIT printed "n mus" for "n mus\0t be";
/// found by run_fuzz).
class RunError : public std::runtime_error {
 public:
  RunError(diag::Span span, const std::string& message)
      : std::runtime_error(rt::printable(message, true)), span_(span) {}
  diag::Span span() const { return span_; }
  std::string message() const { return what(); }

  /// An error raised inside an imported module's code (the standard library's, say) is reported
  /// at the call in the script that led to it (`span`), with a note at the line in the module
  /// where it was raised (library_error.hpp): note_span() and note() then say it.
  RunError(diag::Span span, const std::string& message, diag::Span note_span, std::string note)
      : std::runtime_error(rt::printable(message, true)),
        span_(span),
        note_span_(note_span),
        note_(std::move(note)) {}
  bool has_note() const { return !note_.empty(); }
  diag::Span note_span() const { return note_span_; }
  const std::string& note() const { return note_; }

 private:
  diag::Span span_;
  diag::Span note_span_;
  std::string note_;
};

/// An array crossing the C++ boundary: a counted reference to a runtime array (a strided view
/// of a shared buffer). Copying retains, destruction releases; an empty ArrayRef holds nothing.
class ArrayRef {
 public:
  ArrayRef() = default;
  /// Takes over one reference to `handle` (an rt::Array*).
  explicit ArrayRef(void* handle) : handle_(handle) {}
  ArrayRef(const ArrayRef& other);
  ArrayRef(ArrayRef&& other) noexcept : handle_(other.handle_) { other.handle_ = nullptr; }
  ArrayRef& operator=(const ArrayRef& other);
  ArrayRef& operator=(ArrayRef&& other) noexcept;
  ~ArrayRef();

  bool empty() const { return handle_ == nullptr; }
  /// The runtime array this refers to (borrowed: no reference is transferred).
  void* handle() const { return handle_; }
  /// Gives up the reference without releasing it.
  void* release() {
    void* h = handle_;
    handle_ = nullptr;
    return h;
  }

 private:
  void* handle_ = nullptr;
};

/// A value passed to or returned from call(): a scalar, a string, an array or a tuple.
/// `type` says which fields are meaningful (i for bool/i32/i64, f for f32/f64).
struct Value {
  ir::Type type = ir::Type::void_();
  std::int64_t i = 0;
  double f = 0;
  std::string str;
  ArrayRef array;
  std::vector<Value> elems;  // tuples

  static Value of_i64(std::int64_t v) { return scalar(ir::Type::i64(), v, 0); }
  static Value of_i32(std::int32_t v) { return scalar(ir::Type::i32(), v, 0); }
  static Value of_f64(double v) { return scalar(ir::Type::f64(), 0, v); }
  static Value of_f32(float v) { return scalar(ir::Type::f32(), 0, v); }
  static Value of_bool(bool v) { return scalar(ir::Type::boolean(), v ? 1 : 0, 0); }

 private:
  static Value scalar(ir::Type t, std::int64_t iv, double fv) {
    Value v;
    v.type = t;
    v.i = iv;
    v.f = fv;
    return v;
  }
};

/// Where the seeded stream (seed(s); random()) stands: the next draw is number `counter` of key
/// `key`. A REPL carries it from one entry's program to the next so the stream continues.
struct StreamState {
  std::int64_t key = 0;
  std::int64_t counter = 0;
};

class TierHook;  // codegen/common/tier.hpp

/// How a program runs.
struct RunOptions {
  /// Where print() writes; null writes to stdout.
  std::string* out = nullptr;
  /// Deeper calls raise "stack overflow: recursion deeper than N".
  std::uint32_t max_call_depth = 10000;
  /// What stops the run (an interrupt flag, a deadline), whether it may touch files and how
  /// much array memory it may hold (runtime/limits.hpp). The run makes them current on its
  /// thread (rt::LimitsScope), polls them at loop back-edges and calls every 2^16 times, and
  /// stops with a RunError ("interrupted", "time limit of N ms exceeded"); the runtime polls
  /// them between the chunks of long operations. Null: none.
  const rt::Limits* limits = nullptr;
  /// --target gpu: the GPU program (a gpu::Program*, runtime/gpu/program.hpp) the native code's
  /// regions run on. Null: none.
  void* gpu = nullptr;
  /// A tiered run: the interpreter asks it at calls and loop back-edges whether native code is
  /// ready and runs it there (codegen/common/tier.hpp). Null: interpret everything. The JIT
  /// ignores it.
  TierHook* tier = nullptr;
  /// The call depth the run's function runs at: 0 for a run from the host; a tiered switch
  /// (TierState::depth) continues the depth of the interpreter that switched, so the depth limit
  /// trips at the same call in every mode.
  std::uint32_t depth = 0;
  /// Where the seeded stream starts, and where the run leaves it (also when it fails), instead
  /// of the program's own position (stream_state): a tiered switch carries the interpreter's
  /// stream into native code and back this way. Null: the program's.
  StreamState* stream = nullptr;
};

/// A program compiled by one backend (interp::CompiledProgram, jit::CompiledProgram): what the
/// engine runs, whichever backend it picked. Runs and calls may happen on several threads at
/// once; set_stream_state is not to race with a run.
class Backend {
 public:
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  virtual ~Backend() = default;

  /// Runs the script's top-level statements. Throws RunError.
  virtual void run_main(const RunOptions& options) = 0;
  /// Calls one function with `args` (one per parameter, of the parameter's type) and returns its
  /// result (type void for a void function). Throws RunError on a runtime error,
  /// std::invalid_argument when the arguments do not match the parameters.
  virtual Value call(ir::FnId fn, std::span<const Value> args, const RunOptions& options) = 0;
  /// The seeded stream's position after the last run, and before the next.
  virtual StreamState stream_state() const = 0;
  virtual void set_stream_state(StreamState state) = 0;

  /// Calls `fn` with its parameters flattened to words (`args`, borrowed; marshal.hpp's layout,
  /// a tuple parameter's elements one after another) and writes its flattened result words to
  /// `out` (room for max(1, count); an array a new reference). What a tiered switch and
  /// --crosscheck use: no Values, every parameter type (str, tables, tuples). Throws RunError.
  /// Default: std::logic_error (the backend has no such path).
  virtual void call_words(ir::FnId fn, std::span<const std::int64_t> args, std::int64_t* out,
                          const RunOptions& options);

  /// The interpreter's bytecode of one function, or of every function when `fn` is not valid
  /// (`kestrel emit --bytecode`). Default: std::logic_error (native code has none).
  virtual std::string emit_bytecode(ir::FnId fn);

  // What only native code has (the JIT); the defaults say there is none.

  /// The optimised LLVM module, or one function of it. Default: std::logic_error.
  virtual std::string emit_llvm();
  virtual std::string emit_llvm_function(ir::FnId fn);
  /// Direct calls of native code: the entry of `fn` (null: no direct calls, use call());
  /// begin_native gives the context pointer to pass first (the call's own: calls on several
  /// threads may run at once); end_native(ctx) ends that call and throws RunError if it failed.
  /// See codegen/llvm/jit.hpp's calling convention.
  virtual void* native_address(ir::FnId) { return nullptr; }
  virtual void* begin_native(const RunOptions&) { return nullptr; }
  virtual void end_native(void*) {}
  /// Whether the object cache was on, and whether the code came from it.
  virtual bool cached() const { return false; }
  virtual bool cache_hit() const { return false; }
  /// Under --target gpu: the device, the regions on it and NVRTC's time ("" otherwise).
  virtual std::string gpu_summary() const { return ""; }
};

}  // namespace kestrel::codegen
