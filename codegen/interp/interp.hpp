#pragma once
// The interpreter's public API: typed IR in, register bytecode out, and a VM that runs it.
// compile() lowers every function of an ir::Program once; run_main() runs the script's top level;
// call() runs one function from C++. Runtime errors (index out of bounds, integer division by
// zero, stack overflow, errors raised by the runtime library) are thrown as interp::RunError,
// carrying the span of the IR node whose operation failed; the engine renders it.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "dsl/diag/source.hpp"
#include "dsl/ir/ir.hpp"

namespace kestrel::interp {

/// A runtime error at a source location: `message` is the bare text ("index 10 out of bounds
/// for axis 0 with size 3"); render it with diag::render as a Diagnostic at `span`.
class RunError : public std::runtime_error {
 public:
  RunError(diag::Span span, const std::string& message)
      : std::runtime_error(message), span_(span) {}
  diag::Span span() const { return span_; }
  std::string message() const { return what(); }

 private:
  diag::Span span_;
};

/// An array crossing the C++ boundary: a counted reference to a runtime array (a strided view
/// of a shared buffer). Copying retains, destruction releases; an empty ArrayRef holds nothing.
class ArrayRef {
 public:
  ArrayRef() = default;
  /// Takes over one reference to `handle` (a runtime array, see codegen/interp/value.hpp).
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

/// A program lowered to bytecode. Holds the constants, the functions' code and the state that
/// persists between calls (the seeded random stream). Not thread-safe: one run at a time.
class CompiledProgram {
 public:
  struct Impl;
  explicit CompiledProgram(std::unique_ptr<Impl> impl);
  ~CompiledProgram();
  CompiledProgram(const CompiledProgram&) = delete;
  CompiledProgram& operator=(const CompiledProgram&) = delete;

  Impl& impl() { return *impl_; }
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

/// Lowers every function of `program` to bytecode. The program must outlive the result only
/// for error messages' spans (they are copied); the result does not point into it.
std::unique_ptr<CompiledProgram> compile(const ir::Program& program);

struct RunOptions {
  /// Where print() writes; null writes to stdout.
  std::string* out = nullptr;
  /// Deeper calls raise "stack overflow: recursion deeper than N".
  std::uint32_t max_call_depth = 10000;
  /// When set and it becomes true, the run stops at the next loop back-edge or call with a
  /// RunError "interrupted" (the REPL's Ctrl-C). The VM clears nothing: reset it yourself.
  const std::atomic<bool>* interrupt = nullptr;
};

/// Runs the script's top-level statements (the function flagged is_main that Program::main names).
void run_main(CompiledProgram& program, const RunOptions& options = {});

/// Calls function `fn` with `args` (one per parameter, of the parameter's type) and returns its
/// result (type void for a void function). Throws RunError on a runtime error,
/// std::invalid_argument when the arguments do not match the parameters.
Value call(CompiledProgram& program, ir::FnId fn, std::span<const Value> args,
           const RunOptions& options = {});

/// The bytecode of one function in a readable form, one instruction per line.
std::string disassemble(const CompiledProgram& program, ir::FnId fn);

}  // namespace kestrel::interp
