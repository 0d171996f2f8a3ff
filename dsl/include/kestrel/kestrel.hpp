#pragma once
// The public C++ API of Kestrel: the only header an embedding application includes.
#include <algorithm>
#include <array>
#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "kestrel/array.hpp"  // Elem, ArrayView, MatrixView, Array

namespace kestrel {

/// The library's version, e.g. "0.1.0".
std::string_view version();

/// Why Target::Gpu cannot be used here, in one line ("no CUDA driver (libcuda.so.1 not
/// found)", "no CUDA device …", "NVRTC not found …"), or "" when it can.
std::string gpu_unavailable();

/// A builtin's signature and one-line doc, two lines (the REPL's `:help NAME`); "" when `name`
/// is no builtin.
std::string builtin_help(std::string_view name);
/// The names of the builtin functions (the REPL completes them).
std::vector<std::string> builtin_names();

/// A failure the user can act on: its what() is the rendered diagnostics
/// (`file:line:col: error: message`, the source line and a caret).
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& rendered, std::size_t error_count = 1)
      : std::runtime_error(rendered), error_count_(error_count) {}
  std::size_t error_count() const { return error_count_; }

 private:
  std::size_t error_count_;
};

/// Diagnostics from checking a program, already rendered.
struct Diagnostics {
  std::string text;        // empty when clean
  std::size_t errors = 0;  // how many of them are errors
  bool ok() const { return errors == 0; }
};

/// Milliseconds spent in each phase of a run (`kestrel run --time`).
struct Timings {
  double parse_ms = 0;
  double check_ms = 0;
  double compile_ms = 0;
  double run_ms = 0;
  bool cached = false;     // the JIT's object cache was on (JIT mode, usable folder)
  bool cache_hit = false;  // the compiled code came from the object cache
  /// Under --target gpu: the device, what runs there, and NVRTC's compile time ("" otherwise).
  std::string gpu;
  /// Mode::Tiered, what ran where: functions, loops (on-stack), calls, kernel launches, ms
  /// native; compiles. A hot function runs the baseline tier's code first, then the full
  /// pipeline's once that compile lands: tier_full_functions of the tier_functions have.
  bool tiered = false;
  std::uint32_t tier_functions = 0, tier_full_functions = 0, tier_loops = 0, tier_compiles = 0;
  std::uint64_t tier_native_calls = 0, tier_launches = 0;
  double tier_native_ms = 0, tier_compile_ms = 0;
};

/// Interpreter, LLVM JIT, or tiered (interpreter at once, hot functions native once compiled).
enum class Mode : std::uint8_t { Interp, Jit, Tiered };
/// Tiered's switch: Background (compile what gets hot on the engine's thread) or Eager (compile
/// all before the run, switch at every call: for tests; also KESTREL_TIER=eager).
enum class TierPolicy : std::uint8_t { Background, Eager };

/// Where parallel loops and kernel launches run: CPU threads, or the GPU (CUDA C++ compiled by
/// NVRTC and launched through the CUDA driver, both opened at run time; with the JIT). Under
/// Gpu, a loop or launch the GPU backend cannot take stays on the CPU (`kestrel emit --cuda`
/// says which and why), and loading a program without a usable GPU throws Error saying why
/// (no driver, no device, NVRTC missing). KESTREL_GPU_DEVICE=emulate runs the same generated
/// code on an emulated device (the host compiler builds it), for tests without a GPU.
enum class Target : std::uint8_t { Cpu, Gpu };

struct EngineOptions {
  /// Where `import name` looks after the script's own folder. Empty: $KESTREL_STDLIB, else an
  /// installed copy's ../share/kestrel/stdlib from the library or executable holding the engine
  /// (P/lib, P/bin), else the stdlib/ folder of the source tree this library was built from.
  std::filesystem::path stdlib_dir;
  /// Tiered (the default): calls start in the interpreter at once and move to native code as the
  /// engine's thread compiles what gets hot; Jit compiles before the first call; Interp never.
  Mode mode = Mode::Tiered;
  Target target = Target::Cpu;
  /// Threads for this engine's parallel work (parallel loops, kernel launches on the CPU, large
  /// reductions and elementwise operations): 0 means every core. Per engine: engines with
  /// different counts may run side by side in one process.
  int threads = 0;
  /// The JIT's on-disk object cache; cache_dir empty: `$XDG_CACHE_HOME/kestrel`, else
  /// `~/.cache/kestrel`. A folder that cannot be written silently disables it.
  bool use_cache = true;
  std::filesystem::path cache_dir;
  /// False: read_csv, load_npy and save_npy stop the run with a runtime error at their
  /// file:line:col instead of touching a file.
  bool allow_io = true;
  /// Bytes of array memory: an allocation that would make the arrays live in the process (heap
  /// and memory-mapped) hold more than this is a runtime error at its file:line:col ("memory
  /// limit of N bytes exceeded"), not an abort. 0: no limit (an allocation the system refuses
  /// is still a runtime error, "out of memory").
  std::int64_t memory_limit = 0;
  /// Milliseconds: a run (run_file, Module::run, one call of a Function, a Session entry) that
  /// takes longer stops with the runtime error "time limit of N ms exceeded" (within about
  /// 100 ms, also inside long operations such as `@` or `sum`). Counted from the start of the
  /// run: parsing, checking and compiling are not limited. 0: no limit.
  std::int64_t time_limit_ms = 0;
  /// Mode::Tiered: the policy, and the call at which a function is hot (queued to compile). A
  /// function is also hot at its second call once its loops have run 8192 back-edges (8 of the
  /// interpreter's polls): its work is interpreted, in loops too short to move one by one. One
  /// called a few times for runtime operations (`@`, whole-array expressions) is never
  /// compiled: native code would not make those faster.
  TierPolicy tier_policy = TierPolicy::Background;
  std::uint32_t tier_hot_calls = 1000;
  /// Mode::Tiered: the end of a run (run_file, a Session entry) waits for a background compile
  /// still working, so that nothing of the engine runs when the process exits. True leaves it
  /// working on its own thread instead: for a process that ends with _Exit (the `kestrel` CLI
  /// and REPL), never for one that returns from main or calls exit() while it may still run.
  bool detach_compiles = false;
  /// Each call in both tiers (native on array copies); a difference stops it at its call site.
  bool crosscheck = false;
};

class Module;

class Engine {
 public:
  explicit Engine(EngineOptions options = {});

  /// Parses and type-checks a file and everything it imports.
  Diagnostics check_file(const std::filesystem::path& path) const;
  /// Same, for source text held in memory; `name` is used in diagnostics and to find imports.
  Diagnostics check_source(const std::string& name, const std::string& text) const;

  /// Runs a script: its top-level statements in order, in the engine's mode. print() writes to
  /// `out` (stdout when null). Throws Error with the rendered diagnostics on a compile error,
  /// and with the runtime error at its `file:line:col` when the program fails while running.
  /// When `interrupt` becomes true (set from another thread or a signal handler) the run stops
  /// with the runtime error "interrupted" within about 100 ms.
  Timings run_file(const std::filesystem::path& path, std::string* out = nullptr,
                   const std::atomic<bool>* interrupt = nullptr) const;
  Timings run_source(const std::string& name, const std::string& text, std::string* out = nullptr,
                     const std::atomic<bool>* interrupt = nullptr) const;

  /// Parses, checks and compiles a file (and its imports) without running its top-level
  /// statements; look its functions up with Module::function. Throws Error (diagnostics).
  Module load_file(const std::filesystem::path& path) const;
  Module load_source(const std::string& name, const std::string& text) const;

  /// What each stage of the pipeline makes of a file (`kestrel emit`): its parse tree (Ast), the
  /// typed IR (Ir), the interpreter's bytecode (Bytecode), the optimised LLVM IR (Llvm) or the
  /// CUDA C++ of the GPU backend (Cuda: what `--target gpu` compiles with NVRTC, headed by which
  /// parallel loops and launches run on the GPU and why the others stay on the CPU; needs no
  /// GPU), of every function or of the one named `function` (not Ast). Ptx and Cubin compile
  /// that source with NVRTC for sm_90 (no GPU needed, NVRTC is): the PTX for compute_90, or a
  /// line saying the cubin's size and the kernels found in it (whole file only). Throws Error
  /// (diagnostics, no such function, NVRTC missing or its log).
  enum class Stage : std::uint8_t { Ast, Ir, Bytecode, Llvm, Cuda, Ptx, Cubin };
  std::string emit(const std::filesystem::path& path, Stage stage,
                   std::string_view function = {}) const;
  /// emit(path, Stage::Llvm, function).
  std::string emit_llvm(const std::filesystem::path& path, std::string_view function = {}) const;

  /// The canonical formatting of a file (`kestrel fmt`). Throws Error if it does not parse.
  std::string format_file(const std::filesystem::path& path) const;
  /// Rewrites the file in its canonical formatting (`kestrel fmt --write`), whole or not at all:
  /// a symbolic link's target is the file rewritten and the file keeps its permissions. Throws
  /// Error if it does not parse or cannot be written.
  void format_file_in_place(const std::filesystem::path& path) const;

  const std::filesystem::path& stdlib_dir() const { return options_.stdlib_dir; }
  const EngineOptions& options() const { return options_; }
  Mode mode() const { return options_.mode; }

 private:
  EngineOptions options_;
};

// ---- calling Kestrel functions from C++ ------------------------------------------------------

namespace detail {

/// The type of one parameter or result as the boundary sees it.
struct TypeCode {
  enum class Kind : std::uint8_t { Void, Scalar, Array, Str, Tuple } kind = Kind::Void;
  Elem elem = Elem::F64;
  std::uint8_t rank = 0;
  const TypeCode* elems = nullptr;  // a tuple's element types (static storage), `count` of them
  std::uint32_t count = 0;
  bool readonly = false;  // an ArrayView<const T>: bind() refuses a function that writes it
};

/// One argument or result crossing the boundary without templates. It owns the array reference
/// in `handle` (and those of its `elems`) until take_array takes it; so it moves, never copies.
struct Slot {
  TypeCode type;
  std::int64_t i = 0;
  double f = 0;
  void* data = nullptr;  // array argument: the caller's elements
  std::int64_t shape[2] = {0, 1};
  std::int64_t strides[2] = {1, 1};
  void* handle = nullptr;  // array result, or an Array argument: one owned reference
  std::string str;         // str result
  /// A tuple result's elements, nested tuples flattened (as the engine's call() gives them).
  std::vector<Slot> elems;

  Slot() = default;
  Slot(Slot&& o) noexcept
      : type(o.type),
        i(o.i),
        f(o.f),
        data(o.data),
        handle(std::exchange(o.handle, nullptr)),
        str(std::move(o.str)),
        elems(std::move(o.elems)) {
    std::copy(o.shape, o.shape + 2, shape);
    std::copy(o.strides, o.strides + 2, strides);
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  Slot& operator=(Slot&&) = delete;
  ~Slot() {
    if (handle != nullptr) {
      array_release(handle);
    }
  }

  template <class T, int R>
  Array<T, R> take_array() {
    Array<T, R> a;
    a.handle_ = std::exchange(handle, nullptr);
    a.data_ = static_cast<T*>(data);
    std::copy(shape, shape + 2, a.shape_);
    std::copy(strides, strides + 2, a.strides_);
    return a;
  }
};

template <class T>
struct Boundary;  // what a C++ parameter or result type is on the Kestrel side
template <class T>
requires requires { ElemOf<T>::value; }
struct Boundary<T> {
  static TypeCode code() { return {TypeCode::Kind::Scalar, ElemOf<T>::value, 0}; }
  static void put(Slot& s, T v) {
    if constexpr (std::is_floating_point_v<T>) {
      s.f = v;
    } else {
      s.i = static_cast<std::int64_t>(v);
    }
  }
  static T get(Slot& s) {
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(s.f);
    } else {
      return static_cast<T>(s.i);
    }
  }
};
template <>
struct Boundary<void> {
  static TypeCode code() { return {}; }
};
template <>
struct Boundary<std::string> {
  static TypeCode code() { return {TypeCode::Kind::Str, Elem::F64, 0}; }
  static std::string get(Slot& s) { return std::move(s.str); }
};
template <class T, int R>
struct Boundary<ArrayView<T, R>> {
  static TypeCode code() {
    TypeCode c{TypeCode::Kind::Array, ElemOf<std::remove_const_t<T>>::value, R};
    c.readonly = std::is_const_v<T>;
    return c;
  }
  static void put(Slot& s, const ArrayView<T, R>& v) {
    s.data = const_cast<std::remove_const_t<T>*>(v.data());
    for (int k = 0; k < 2; ++k) {
      s.shape[k] = v.shape(k);
      s.strides[k] = v.stride(k);
    }
    if (v.owner_ != nullptr) {  // a view of an Array: the argument is that array
      array_retain(v.owner_);
      s.handle = v.owner_;
    }
  }
};
template <class T, int R>
struct Boundary<Array<T, R>> {
  static TypeCode code() { return {TypeCode::Kind::Array, ElemOf<T>::value, R}; }
  static Array<T, R> get(Slot& s) { return s.take_array<T, R>(); }
  static void put(Slot& s, const Array<T, R>& a) {
    Boundary<ArrayView<const T, R>>::put(s, ArrayView<const T, R>(a));
  }
};

/// std::tuple and std::pair stand for Kestrel tuples (results only).
template <class T>
struct IsTuple : std::false_type {};
template <class... E>
struct IsTuple<std::tuple<E...>> : std::true_type {};
template <class A, class B>
struct IsTuple<std::pair<A, B>> : std::true_type {};

/// How many values a result is once nested tuples are flattened.
template <class T>
struct Leaves : std::integral_constant<std::size_t, 1> {};
template <class... E>
struct Leaves<std::tuple<E...>> : std::integral_constant<std::size_t, (Leaves<E>::value + ...)> {};
template <class A, class B>
struct Leaves<std::pair<A, B>>
    : std::integral_constant<std::size_t, Leaves<A>::value + Leaves<B>::value> {};

/// A type a function may return (and so a tuple may hold).
template <class T>
concept ResultType = requires(Slot& s) {
  Boundary<T>::get(s);
};

/// Builds a result of type T from the flattened elements `leaves[at…]`, advancing `at`.
template <class T>
T take_leaves(std::vector<Slot>& leaves, std::size_t& at);

template <class Tuple, class... E>
struct TupleBoundary {
  static_assert(sizeof...(E) > 0, "a Kestrel tuple has at least one element");
  static_assert((ResultType<E> && ...),
                "a tuple result holds bool, int32_t, int64_t, float, double, std::string, "
                "kestrel::Array<T, R> or tuples of them");
  static TypeCode code() {
    static const TypeCode elems[] = {Boundary<E>::code()...};
    return {TypeCode::Kind::Tuple, Elem::F64, 0, elems, sizeof...(E)};
  }
  static Tuple get(Slot& s) {
    if (s.elems.size() != Leaves<Tuple>::value) {
      throw Error("error: internal error: a tuple result came back with " +
                  std::to_string(s.elems.size()) + " elements, not " +
                  std::to_string(Leaves<Tuple>::value) + "\n");
    }
    std::size_t at = 0;
    return take(s.elems, at);
  }
  static Tuple take(std::vector<Slot>& leaves, std::size_t& at) {
    return Tuple{take_leaves<E>(leaves, at)...};  // a braced list: evaluated left to right
  }
};
template <class... E>
struct Boundary<std::tuple<E...>> : TupleBoundary<std::tuple<E...>, E...> {};
template <class A, class B>
struct Boundary<std::pair<A, B>> : TupleBoundary<std::pair<A, B>, A, B> {};

template <class T>
T take_leaves(std::vector<Slot>& leaves, std::size_t& at) {
  if constexpr (IsTuple<T>::value) {
    return Boundary<T>::take(leaves, at);
  } else {
    return Boundary<T>::get(leaves[at++]);
  }
}

class FunctionImpl;

// Direct calls into JIT-compiled code (codegen/llvm/jit.hpp's calling convention): a native
// function takes a context first, scalars as C types, arrays as runtime array handles, and
// returns scalars as C types, a str as const std::string*, an array as an owned handle; a tuple
// it writes, flattened, 8 bytes an element, to a buffer passed right after the context.
template <class T>
struct Native {
  using type = T;
};
template <>
struct Native<void> {
  using type = void;
};
template <>
struct Native<std::string> {
  using type = const std::string*;
};
template <class T, int R>
struct Native<ArrayView<T, R>> {
  using type = void*;
};
template <class T, int R>
struct Native<Array<T, R>> {
  using type = void*;
};

/// The native entry of a bound function, or null when it runs in the interpreter.
void* native_entry(FunctionImpl& fn);
/// Prepares a context of its own for one direct call and returns it.
void* native_begin(FunctionImpl& fn);
/// Ends the direct call of `ctx`; throws Error (the runtime error at its location) when it
/// failed.
void native_end(FunctionImpl& fn, void* ctx);
/// A runtime array over an ArrayView argument's memory (one owned reference; no copy).
void* native_view(const Slot& view);
/// Fills an array result's slot from the handle a native call returned (takes the reference).
void native_result(void* handle, Slot& out);
/// Ends a direct call of a function returning a tuple: takes its flattened elements from `out`
/// (8 bytes each, arrays owned) into `result.elems`, then throws as native_end does.
void native_tuple_end(FunctionImpl& fn, void* ctx, const std::int64_t* out, Slot& result);

/// The arrays wrapped for one direct call, released when it ends.
template <std::size_t N>
struct NativeArgs {
  void* handles[N == 0 ? 1 : N] = {};
  NativeArgs() = default;
  NativeArgs(const NativeArgs&) = delete;
  NativeArgs& operator=(const NativeArgs&) = delete;
  ~NativeArgs() {
    for (void* h : handles) {
      if (h != nullptr) {
        array_release(h);
      }
    }
  }
};

template <class T>
typename Native<T>::type to_native(const T& v, void*& handle);

/// Finds `name` in the module and checks it against the C++ signature; throws Error.
std::shared_ptr<FunctionImpl> bind(const std::shared_ptr<void>& module, std::string_view name,
                                   TypeCode ret, std::span<const TypeCode> params);
/// Throws Error: a default-constructed Function was called.
[[noreturn]] void empty_function();
/// Calls it; throws Error with the rendered runtime error.
void invoke(FunctionImpl& fn, std::span<Slot> args, Slot& result);

/// A parameter as operator() takes it: by value (views and scalars are small).
template <class T>
using Param = std::remove_cvref_t<T>;
}  // namespace detail

template <class Sig>
class Function;

/// A Kestrel function bound to a C++ signature: scalars as bool, int32_t, int64_t, float and
/// double; array parameters as ArrayView<T> / MatrixView<T> (from a std::vector, std::span or an
/// Eigen vector, matrix or map, without a copy) or as Array<T> / Array<T, 2> (another call's
/// result, passed on as it is: an Array also converts to an ArrayView); array results as Array<T> /
/// Array<T, 2>; a str result as std::string; a tuple result as std::tuple (or std::pair) of those,
/// nested tuples as nested std::tuples. Calling it runs the function in the engine's mode — in JIT
/// mode a direct call of the native code through a pointer of this signature; a runtime error
/// throws Error with its file:line:col, and so does anything else that goes wrong inside ("internal
/// error: ..."): a call never ends the process.
///
/// Threads: a Function (and any Function of the same Module) may be called from several threads
/// at once; each call has its own state. Calls that draw from the seeded stream (`random()`)
/// each start from the stream's position when they start, so concurrent draws may repeat.
/// Stopping: Module::interrupt() and EngineOptions::time_limit_ms stop a running call with the
/// runtime error "interrupted" / "time limit of N ms exceeded".
/// Results: an array result that views an array argument (`return x[1:3]`) is a copy, because the
/// caller's memory (a std::vector, a span) is borrowed for the call only and the result may
/// outlive it; any other array result is the function's own memory, shared without a copy.
template <class R, class... A>
class Function<R(A...)> {
  static_assert(!(detail::IsTuple<detail::Param<A>>::value || ...),
                "tuple parameters do not cross the C++ boundary: pass the elements one by one");

 public:
  /// Empty (a member to assign later): calling it throws Error saying so.
  Function() = default;
  explicit operator bool() const { return impl_ != nullptr; }

  R operator()(detail::Param<A>... args) const {
    if (impl_ == nullptr) {
      detail::empty_function();
    }
    if (native_ != nullptr) {
      return call_native(std::index_sequence_for<A...>{}, args...);
    }
    std::array<detail::Slot, sizeof...(A) == 0 ? 1 : sizeof...(A)> slots;
    std::size_t k = 0;
    ((slots[k].type = detail::Boundary<detail::Param<A>>::code(),
      detail::Boundary<detail::Param<A>>::put(slots[k], args), ++k),
     ...);
    detail::Slot result;
    detail::invoke(*impl_, std::span<detail::Slot>(slots.data(), sizeof...(A)), result);
    if constexpr (!std::is_void_v<R>) {
      return detail::Boundary<R>::get(result);
    }
  }

 private:
  friend class Module;
  explicit Function(std::shared_ptr<detail::FunctionImpl> impl)
      : impl_(std::move(impl)), native_(detail::native_entry(*impl_)) {}

  /// JIT mode: a direct call of the native entry, with this signature. The arguments are
  /// converted first (that may throw), then the call runs between native_begin and native_end.
  template <std::size_t... I>
  R call_native(std::index_sequence<I...>, detail::Param<A>... args) const {
    detail::NativeArgs<sizeof...(A)> held;
    std::tuple<typename detail::Native<detail::Param<A>>::type...> natives{
        detail::to_native(args, held.handles[I])...};
    if constexpr (detail::IsTuple<R>::value) {
      // The elements come back flattened, through a buffer passed after the context.
      using Fn = void (*)(void*, std::int64_t*, typename detail::Native<detail::Param<A>>::type...);
      auto fn = reinterpret_cast<Fn>(native_);
      std::array<std::int64_t, detail::Leaves<R>::value> out{};
      void* ctx = detail::native_begin(*impl_);
      fn(ctx, out.data(), std::get<I>(natives)...);
      detail::Slot result;
      detail::native_tuple_end(*impl_, ctx, out.data(), result);  // throws on failure
      return detail::Boundary<R>::get(result);
    } else {
      using Fn = typename detail::Native<R>::type (*)(
          void*, typename detail::Native<detail::Param<A>>::type...);
      auto fn = reinterpret_cast<Fn>(native_);
      void* ctx = detail::native_begin(*impl_);
      if constexpr (std::is_void_v<R>) {
        fn(ctx, std::get<I>(natives)...);
        detail::native_end(*impl_, ctx);
      } else {
        auto r = fn(ctx, std::get<I>(natives)...);
        detail::native_end(*impl_, ctx);  // throws on failure, when `r` is a zero value
        if constexpr (std::is_same_v<R, std::string>) {
          return *r;
        } else if constexpr (std::is_same_v<typename detail::Native<R>::type, void*>) {
          detail::Slot slot;
          detail::native_result(r, slot);
          return detail::Boundary<R>::get(slot);
        } else {
          return r;
        }
      }
    }
  }

  std::shared_ptr<detail::FunctionImpl> impl_;
  void* native_ = nullptr;
};

template <class T>
typename detail::Native<T>::type detail::to_native(const T& v, void*& handle) {
  if constexpr (std::is_same_v<typename Native<T>::type, void*>) {
    Slot s;
    s.type = Boundary<T>::code();
    Boundary<T>::put(s, v);
    handle = native_view(s);
    return handle;
  } else {
    return v;
  }
}

/// A loaded, checked and compiled program (Engine::load_file). Copies share it. A
/// default-constructed Module is empty (a member to assign later): its functions throw Error.
class Module {
 public:
  Module() = default;
  explicit operator bool() const { return impl_ != nullptr; }

  /// The function `name` (a module member as `montecarlo.pi`), checked against Sig: the same
  /// number of parameters, each of the matching Kestrel type, and the same result type (a tuple
  /// result as a std::tuple or std::pair with the same elements, e.g. `(f64[:,:], i64)` as
  /// `std::tuple<Array<double, 2>, std::int64_t>`). Throws Error naming the function's
  /// declaration and both signatures when they differ.
  template <class Sig>
  Function<Sig> function(std::string_view name) const {
    return Function<Sig>(bind_as<Sig>(name));
  }
  /// Runs the file's top-level statements; print() writes to `out` (stdout when null).
  void run(std::string* out = nullptr) const;
  /// Stops every call of this module's functions (and run()) running now, from any thread: each
  /// ends with the runtime error "interrupted" within about 100 ms, also inside long runtime
  /// operations. Calls that start afterwards run normally. Safe to call from any thread, and
  /// from copies of the Module.
  void interrupt() const;
  /// How long loading took: parse, check and compile (run_ms is 0).
  Timings load_timings() const;
  Timings tier_timings() const;  // Mode::Tiered: what ran where so far (the tier_* fields)
  /// The names of the functions a caller can bind, with their Kestrel signatures.
  std::vector<std::string> signatures() const;
  /// For tools (`kestrel bench --fn`): calls `name` with scalar arguments written as text, each
  /// read as its parameter's type (`10000000`, `0.5`, `true`), and returns the result as print()
  /// shows it ("" for void; a tuple as `(3.5, 2, [2 5])`). Throws Error for a bad name, count or
  /// value, or a runtime error.
  std::string call_text(std::string_view name, const std::vector<std::string>& args) const;
  /// For tools (`kestrel bench --setup`): calls `setup` once, now, with scalar arguments as text
  /// (call_text's rules); its result (one value, or a tuple spread into several) becomes the
  /// arguments of `name`. Each call of the returned function calls `name` with them and gives its
  /// result as call_text does, so only `name`'s work is timed. Throws Error as call_text does,
  /// and when setup's result does not match name's parameters.
  std::function<std::string()> prepare_call(std::string_view name, std::string_view setup,
                                            const std::vector<std::string>& setup_args) const;

 private:
  friend class Engine;
  friend struct DynamicAccess;  // dynamic.hpp
  template <class Sig>
  struct Unpack;
  template <class R, class... A>
  struct Unpack<R(A...)> {
    static std::shared_ptr<detail::FunctionImpl> bind(const std::shared_ptr<void>& m,
                                                      std::string_view name) {
      std::array<detail::TypeCode, sizeof...(A) == 0 ? 1 : sizeof...(A)> params{
          detail::Boundary<detail::Param<A>>::code()...};
      return detail::bind(m, name, detail::Boundary<R>::code(),
                          std::span<const detail::TypeCode>(params.data(), sizeof...(A)));
    }
  };
  template <class Sig>
  std::shared_ptr<detail::FunctionImpl> bind_as(std::string_view name) const {
    return Unpack<Sig>::bind(impl_, name);
  }
  explicit Module(std::shared_ptr<void> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<void> impl_;
};

/// An interactive session (the REPL): entries run one at a time, and what they define persists.
/// Functions, kernels and imports are kept as source; top-level `let`/`var` variables keep their
/// values (scalars, strings and arrays; tuples and tables do not persist). An entry that fails
/// (syntax, type or runtime error) leaves the session as it was. See dsl/engine/session.cpp.
class Session {
 public:
  explicit Session(const Engine& engine);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Runs one entry (one or more statements and definitions). When the entry ends with an
  /// expression whose type is not void, its value is printed as print() would. print() writes to
  /// `out` (stdout when null). When `interrupt` becomes true the run stops with an "interrupted"
  /// error. Throws Error (rendered diagnostics, positions relative to the entry) on failure.
  Timings run(const std::string& entry, std::string* out = nullptr,
              const std::atomic<bool>* interrupt = nullptr);
  /// The mode later entries run in (the engine's at first; the REPL's `:mode interp|jit`).
  /// Variables, definitions and the seeded stream carry over when it changes.
  void set_mode(Mode mode);
  Mode mode() const;
  /// Where later entries run their parallel loops and launches (`:target`); Gpu needs Mode::Jit.
  void set_target(Target target);
  Target target() const;
  /// The CUDA backend's plan and source for a function or kernel defined in the session
  /// (`:cuda fn`; kestrel emit --cuda --fn).
  std::string cuda_of(const std::string& function);
  /// The optimised LLVM IR of a function or kernel defined in the session (`:llvm fn`).
  std::string llvm_of(const std::string& function);
  /// The static type of an expression in the session's current state, as a user writes it
  /// (`f64[:]`, `(i64, f64)`, `void`). Throws Error when it does not check.
  std::string type_of(const std::string& expr);
  /// True when `text` is an unfinished entry: a bracket ( [ { is still open, or its last line
  /// ends in an operator or ','. (A REPL then reads a continuation line.)
  static bool needs_more(const std::string& text);
  /// The persisted variables, `name: type` each, in definition order.
  std::vector<std::string> variables() const;
  /// The names of the persisted functions, kernels and imports.
  std::vector<std::string> definitions() const;
  /// The functions of the imported module `module` (one of definitions()), qualified as a call
  /// writes them (`groupby.group_sum`); empty when it is not an import. For completion.
  std::vector<std::string> members(const std::string& module) const;

 private:
  Timings run_entry(const std::string& entry, std::string* out, const std::atomic<bool>* interrupt);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kestrel
