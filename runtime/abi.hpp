#pragma once
// The runtime's C ABI: what native code generated at run time (the LLVM JIT) calls while a
// program runs. Every function is extern "C", named kestrel_rt_*, and never lets a C++ exception
// escape: a function that can fail takes the run's KestrelContext and a site id (the backend's
// number for the IR node whose operation it performs); on a rt::RuntimeError it records the
// message and the site in the context, sets `failed`, and returns a zero value. The generated
// code tests `failed` after each such call and unwinds its own frames (releasing what it holds)
// by returning; the backend's C++ entry point then throws. Any other C++ exception (out of
// memory, an internal error) is recorded the same way with `internal` set.
//
// Values crossing this ABI: arrays as rt::Array* and tables as rt::Table* (a function returning
// one hands over one reference; arguments are borrowed), strings as const std::string*, and an
// elementwise operand as (rt::Array* array, uint32 elem, int64 bits): a null array means the
// scalar `bits` of element type `elem` (bool/i32/i64 sign-extended, f64 bit pattern, f32 bit
// pattern in the low 32 bits). Scalar results of reductions come back in the same `bits` form.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "runtime/array.hpp"
#include "runtime/csv.hpp"

struct KestrelContext;

namespace kestrel::rt {

/// The C++ side of a run: the error text and where print() writes.
struct AbiHost {
  std::string message;                        // the recorded error
  bool internal = false;                      // the error was not a rt::RuntimeError
  std::string* out = nullptr;                 // null: stdout
  std::string line;                           // the print line being built
  std::vector<std::vector<double>> partials;  // parallel-for reduction partials (f64 and f32)
  /// The array reductions of the parallel loops running (kestrel_rt_arred_begin's handles):
  /// owned here, so a run that fails inside a loop frees them with the host.
  std::vector<std::unique_ptr<void, void (*)(void*)>> array_reductions;
  /// str values read out of arrays, copied so they outlive the array (the program's pool,
  /// shared by calls running at once: insert under str_pool_mutex).
  std::unordered_set<std::string>* str_pool = nullptr;
  std::mutex* str_pool_mutex = nullptr;
};

/// Records the run's first failure in `ctx` (later ones are dropped): its site, and the message
/// in the host when there is one. Shared by every runtime path that fails into a context.
void record_failure(KestrelContext* ctx, std::uint32_t site, const std::string& message,
                    bool internal);

}  // namespace kestrel::rt

extern "C" {

/// One run's state, shared by all generated functions. Standard layout; the JIT reads and writes
/// the fields before `host`, and reads `stack_limit`, directly, at these offsets.
struct KestrelContext {
  std::int32_t failed;          // 0 while running; 1 once an error is recorded
  std::uint32_t site;           // the site id of the recorded error
  std::uint32_t depth;          // calls now active (the top-level function is depth 0)
  std::uint32_t max_depth;      // RunOptions::max_call_depth
  const void* interrupt;        // const rt::Limits* (runtime/limits.hpp) or null
  std::int64_t stream_key;      // the seeded random stream
  std::int64_t stream_counter;  //
  std::int64_t index[2];        // index(0), index(1) of the kernel instance running
  std::int32_t budget;          // back-edges and calls left before the interrupt flag is read
  std::int32_t pad;
  kestrel::rt::AbiHost* host;
  std::uintptr_t stack_limit;  // a call from a frame below this address is a stack overflow (0:
                               // unchecked): rt::stack_limit() of the thread running the code
};

}  // extern "C"

namespace kestrel::rt {
/// The address below which the calling thread's stack is too low for another call of generated
/// code: the stack's lowest address (pthread_getattr_np) plus a reserve for one frame and the
/// runtime calls it makes. Computed once per thread; 0 when the bounds are unknown.
std::uintptr_t stack_limit();
}  // namespace kestrel::rt

extern "C" {

// ---- errors ----------------------------------------------------------------------------------
/// Records `message` (a C string) at `site`.
void kestrel_rt_raise(KestrelContext* ctx, std::uint32_t site, const char* message);
/// Records "index I is out of bounds for axis A with size N".
void kestrel_rt_raise_index(KestrelContext* ctx, std::uint32_t site, std::int64_t index,
                            std::int32_t axis, std::int64_t size);
/// Records "negative shift count (N)".
void kestrel_rt_raise_negative_shift(KestrelContext* ctx, std::uint32_t site, std::int64_t n);
/// Records "negative size N in WHAT" (rt::check_size's message).
void kestrel_rt_raise_negative_size(KestrelContext* ctx, std::uint32_t site, std::int64_t n,
                                    const char* what);
/// Records "stack overflow: recursion deeper than max_depth".
void kestrel_rt_raise_stack_overflow(KestrelContext* ctx, std::uint32_t site);
/// Records the stack overflow of a call made below ctx->stack_limit.
void kestrel_rt_raise_stack_exhausted(KestrelContext* ctx, std::uint32_t site);
/// Resets the budget; records "interrupted" (or the time limit) when the run's rt::Limits stop
/// it (returns 1 then).
std::int32_t kestrel_rt_poll(KestrelContext* ctx, std::uint32_t site);
/// clock(): seconds on a monotonic clock (runtime/clock.hpp).
double kestrel_rt_clock();

// ---- reference counts ------------------------------------------------------------------------
/// Frees an array whose count reached zero (the JIT decrements inline).
void kestrel_rt_array_destroy(kestrel::rt::Array* a);
void kestrel_rt_table_retain(kestrel::rt::Table* t);
void kestrel_rt_table_release(kestrel::rt::Table* t);  // null-safe

// ---- scalars the JIT does not inline -----------------------------------------------------------
std::int64_t kestrel_rt_ipow_i64(KestrelContext* ctx, std::uint32_t site, std::int64_t b,
                                 std::int64_t e);
std::int32_t kestrel_rt_ipow_i32(KestrelContext* ctx, std::uint32_t site, std::int32_t b,
                                 std::int32_t e);
double kestrel_rt_floordiv_f64(double a, double b);
float kestrel_rt_floordiv_f32(float a, float b);
double kestrel_rt_mod_f64(double a, double b);
float kestrel_rt_mod_f32(float a, float b);
/// libm's functions under our own names, which is how the JIT calls them: LLVM knows libm's names
/// and folds a call with constant arguments (correctly rounded, where libm's f32 functions are
/// not) or rewrites it (pow(2, x) into exp2(x), a symbol the JIT does not link), so the JIT would
/// disagree with the interpreter, which calls the same libm functions these call.
double kestrel_rt_log_f64(double x);
double kestrel_rt_sin_f64(double x);
double kestrel_rt_cos_f64(double x);
double kestrel_rt_tanh_f64(double x);
double kestrel_rt_pow_f64(double x, double y);
float kestrel_rt_log_f32(float x);
float kestrel_rt_sin_f32(float x);
float kestrel_rt_cos_f32(float x);
float kestrel_rt_tanh_f32(float x);
float kestrel_rt_pow_f32(float x, float y);
double kestrel_rt_randn(std::int64_t key, std::int64_t counter);
/// Sets the context's stream to substream((key, counter), i).
void kestrel_rt_substream(KestrelContext* ctx, std::int64_t key, std::int64_t counter,
                          std::int64_t i);

// ---- print -----------------------------------------------------------------------------------
void kestrel_rt_print_sep(KestrelContext* ctx);
/// Appends a C string (the punctuation of a printed tuple).
void kestrel_rt_print_text(KestrelContext* ctx, const char* text);
void kestrel_rt_print_i64(KestrelContext* ctx, std::int64_t v);
void kestrel_rt_print_f64(KestrelContext* ctx, double v);
void kestrel_rt_print_f32(KestrelContext* ctx, float v);
void kestrel_rt_print_bool(KestrelContext* ctx, std::int32_t v);
void kestrel_rt_print_str(KestrelContext* ctx, const std::string* s);
void kestrel_rt_print_array(KestrelContext* ctx, const kestrel::rt::Array* a);
void kestrel_rt_print_table(KestrelContext* ctx, const kestrel::rt::Table* t);
/// Ends the line and writes it out.
void kestrel_rt_print_end(KestrelContext* ctx);

// ---- arrays ----------------------------------------------------------------------------------
/// op is rt::BinOp / rt::UnOp / rt::StoreOp / rt::ReduceOp; elem is rt::Elem.
kestrel::rt::Array* kestrel_rt_binary(KestrelContext* ctx, std::uint32_t site, std::uint32_t op,
                                      const kestrel::rt::Array* a, std::uint32_t ae,
                                      std::int64_t ab, const kestrel::rt::Array* b,
                                      std::uint32_t be, std::int64_t bb);
kestrel::rt::Array* kestrel_rt_unary(KestrelContext* ctx, std::uint32_t site, std::uint32_t op,
                                     const kestrel::rt::Array* a);
kestrel::rt::Array* kestrel_rt_convert(KestrelContext* ctx, std::uint32_t site,
                                       const kestrel::rt::Array* a, std::uint32_t elem);
/// where(c, a, b) and clip(x, lo, hi): kind 0 and 1.
kestrel::rt::Array* kestrel_rt_ternary(KestrelContext* ctx, std::uint32_t site, std::uint32_t kind,
                                       const kestrel::rt::Array* a, std::uint32_t ae,
                                       std::int64_t ab, const kestrel::rt::Array* b,
                                       std::uint32_t be, std::int64_t bb,
                                       const kestrel::rt::Array* c, std::uint32_t ce,
                                       std::int64_t cb);
void kestrel_rt_store(KestrelContext* ctx, std::uint32_t site, const kestrel::rt::Array* target,
                      std::uint32_t op, const kestrel::rt::Array* v, std::uint32_t ve,
                      std::int64_t vb);
/// `specs` holds 3 words per dimension: is_range, then index (or lo, hi; rt::kOpen if absent).
kestrel::rt::Array* kestrel_rt_slice(KestrelContext* ctx, std::uint32_t site,
                                     const kestrel::rt::Array* a, std::uint32_t ndims,
                                     const std::int64_t* specs);
kestrel::rt::Array* kestrel_rt_transpose(KestrelContext* ctx, std::uint32_t site,
                                         const kestrel::rt::Array* a);
kestrel::rt::Array* kestrel_rt_copy(KestrelContext* ctx, std::uint32_t site,
                                    const kestrel::rt::Array* a);
/// zeros (0), ones (1), empty (2) of rank 1 (d0) or 2 (d0 x d1).
kestrel::rt::Array* kestrel_rt_fill(KestrelContext* ctx, std::uint32_t site, std::uint32_t kind,
                                    std::uint32_t elem, std::uint32_t rank, std::int64_t d0,
                                    std::int64_t d1);
kestrel::rt::Array* kestrel_rt_full(KestrelContext* ctx, std::uint32_t site, std::uint32_t elem,
                                    std::uint32_t rank, std::int64_t d0, std::int64_t d1,
                                    std::uint32_t ve, std::int64_t vb);
kestrel::rt::Array* kestrel_rt_arange(KestrelContext* ctx, std::uint32_t site, std::int64_t start,
                                      std::int64_t stop, std::int64_t step, std::uint32_t elem);
kestrel::rt::Array* kestrel_rt_linspace(KestrelContext* ctx, std::uint32_t site, double start,
                                        double stop, std::int64_t n, std::uint32_t elem);
/// An array literal from `n` 8-byte slots (the `bits` form; strings as const std::string*).
kestrel::rt::Array* kestrel_rt_literal(KestrelContext* ctx, std::uint32_t site, std::uint32_t elem,
                                       std::uint32_t rows, std::uint32_t cols, std::uint32_t n,
                                       const std::int64_t* slots);
kestrel::rt::Array* kestrel_rt_rand(KestrelContext* ctx, std::uint32_t site, std::uint32_t normal,
                                    std::uint32_t rank, std::int64_t d0, std::int64_t d1,
                                    std::int64_t key);
/// A whole-array reduction, in the bits form of `result_elem`.
std::int64_t kestrel_rt_reduce(KestrelContext* ctx, std::uint32_t site, std::uint32_t op,
                               const kestrel::rt::Array* a, std::uint32_t result_elem);
kestrel::rt::Array* kestrel_rt_reduce_axis(KestrelContext* ctx, std::uint32_t site,
                                           std::uint32_t op, const kestrel::rt::Array* a,
                                           std::int32_t axis);
std::int64_t kestrel_rt_dot(KestrelContext* ctx, std::uint32_t site, const kestrel::rt::Array* a,
                            const kestrel::rt::Array* b, std::uint32_t result_elem);
kestrel::rt::Array* kestrel_rt_dot_axis(KestrelContext* ctx, std::uint32_t site,
                                        const kestrel::rt::Array* a, const kestrel::rt::Array* b,
                                        std::int32_t axis);
kestrel::rt::Array* kestrel_rt_matmul(KestrelContext* ctx, std::uint32_t site,
                                      const kestrel::rt::Array* a, const kestrel::rt::Array* b);
std::int64_t kestrel_rt_matmul_vv(KestrelContext* ctx, std::uint32_t site,
                                  const kestrel::rt::Array* a, const kestrel::rt::Array* b,
                                  std::uint32_t result_elem);
/// shape(a, axis) with a run-time axis (raises when out of range).
std::int64_t kestrel_rt_shape(KestrelContext* ctx, std::uint32_t site, const kestrel::rt::Array* a,
                              std::int64_t axis);
/// A str element read out of an array, copied into the program's pool (it may outlive the
/// array or be overwritten in it): the pooled copy.
const std::string* kestrel_rt_str_intern(KestrelContext* ctx, const std::string* s);
/// *a == *b for str values (1 or 0).
std::int32_t kestrel_rt_str_eq(const std::string* a, const std::string* b);
/// *dst = *src for str elements.
void kestrel_rt_assign_str(std::string* dst, const std::string* src);
/// The combined result of a parallel for's float reduction partials (see reduce.hpp), then
/// `saved op combined`; op is ir::ReduceOp; f32 when is_f32. Clears the partials of `slot`.
std::int32_t kestrel_rt_partials_begin(KestrelContext* ctx);
void kestrel_rt_partials_push(KestrelContext* ctx, std::int32_t slot, double v);
/// The partials of `slot` combined by combine_tree alone (a whole-array sum's result); ends
/// the slot.
double kestrel_rt_partials_tree(KestrelContext* ctx, std::int32_t slot, std::uint32_t is_f32);
double kestrel_rt_partials_end(KestrelContext* ctx, std::int32_t slot, std::uint32_t op,
                               std::uint32_t is_f32, double saved);

// ---- tables and files ------------------------------------------------------------------------
kestrel::rt::Table* kestrel_rt_read_csv(KestrelContext* ctx, std::uint32_t site,
                                        const std::string* path);
std::int64_t kestrel_rt_table_rows(const kestrel::rt::Table* t);
/// kind is ir::ColumnKind (F64, I64, Codes, Labels).
kestrel::rt::Array* kestrel_rt_table_column(KestrelContext* ctx, std::uint32_t site,
                                            const kestrel::rt::Table* t, std::uint32_t kind,
                                            const std::string* name);
kestrel::rt::Array* kestrel_rt_load_npy(KestrelContext* ctx, std::uint32_t site,
                                        const std::string* path, std::uint32_t elem,
                                        std::uint32_t rank);
void kestrel_rt_save_npy(KestrelContext* ctx, std::uint32_t site, const std::string* path,
                         const kestrel::rt::Array* a);

}  // extern "C"

namespace kestrel::rt {

/// One exported ABI symbol: its C name and address (for registering with a JIT).
struct AbiSymbol {
  const char* name;
  void* address;
};
/// Every kestrel_rt_* function above, plus the libm and libc functions generated code may call
/// (fma, floor, fmod, memcpy, …: abi.cpp says which and why), so a JIT needs no symbol lookup in
/// the process.
std::vector<AbiSymbol> abi_symbols();

}  // namespace kestrel::rt
