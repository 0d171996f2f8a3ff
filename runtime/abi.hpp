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
  /// The GPU program of a --target gpu run (a kestrel::gpu::Program*, runtime/gpu/program.hpp)
  /// that kestrel_rt_gpu_run and kestrel_rt_gpu_sync use; null when there is none.
  void* gpu = nullptr;
  /// An error raised in an imported module's code and reported at the script's call of it
  /// (kestrel_rt_resite): the site where it was raised, and the module function the script
  /// called; note_site is ~0u when there is none.
  std::uint32_t note_site = ~std::uint32_t{0};
  std::string note_function;
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

// The functions, with what each does: runtime/abi_list.hpp.
#define KESTREL_ABI_FN(ret, name, ...) ret name(__VA_ARGS__);
#define KESTREL_ABI_EXTERN(name)
#include "runtime/abi_list.hpp"
#undef KESTREL_ABI_FN
#undef KESTREL_ABI_EXTERN

}  // extern "C"

namespace kestrel::rt {

/// One exported ABI symbol: its C name and address (for registering with a JIT).
struct AbiSymbol {
  const char* name;
  void* address;
};
/// Every function of runtime/abi_list.hpp, plus the libm and libc functions generated code may call
/// (fma, floor, fmod, memcpy, …: abi.cpp says which and why), so a JIT needs no symbol lookup in
/// the process.
std::vector<AbiSymbol> abi_symbols();

}  // namespace kestrel::rt
