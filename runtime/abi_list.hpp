// The one list of the runtime's C ABI: every function generated code calls, as an X-macro (no
// include guard; include it with both macros defined, then #undef them). From it come the C
// declarations in runtime/abi.hpp, the JIT's symbol table (rt::abi_symbols() in runtime/abi.cpp)
// and the JIT's typed LLVM declarations (codegen/llvm/abi_decls.cpp, whose function types are
// computed from these C declarations' types), so the three cannot disagree: a definition that
// differs from its entry conflicts with the extern "C" declaration, a function missing from the
// runtime fails to link, and the JIT has no signature of its own to get wrong.
//
//   KESTREL_ABI_FN(ret, name, params...)  declared by runtime/abi.hpp from this entry
//   KESTREL_ABI_EXTERN(name)              declared by the runtime header that owns it
//                                         (parallel.hpp, array_reduction.hpp), with its comment
//
// What the functions share (errors through the context, the `bits` form of values) is written at
// the top of runtime/abi.hpp.

// ---- errors ----------------------------------------------------------------------------------
/// Records `message` (a C string) at `site`.
KESTREL_ABI_FN(void, kestrel_rt_raise, KestrelContext* ctx, std::uint32_t site, const char* message)
/// Records "index I is out of bounds for axis A with size N".
KESTREL_ABI_FN(void, kestrel_rt_raise_index, KestrelContext* ctx, std::uint32_t site,
               std::int64_t index, std::int32_t axis, std::int64_t size)
/// Records "negative shift count (N)".
KESTREL_ABI_FN(void, kestrel_rt_raise_negative_shift, KestrelContext* ctx, std::uint32_t site,
               std::int64_t n)
/// Records "negative size N in WHAT" (rt::check_size's message).
KESTREL_ABI_FN(void, kestrel_rt_raise_negative_size, KestrelContext* ctx, std::uint32_t site,
               std::int64_t n, const char* what)
/// Records "stack overflow: recursion deeper than max_depth".
KESTREL_ABI_FN(void, kestrel_rt_raise_stack_overflow, KestrelContext* ctx, std::uint32_t site)
/// Records the stack overflow of a call made below ctx->stack_limit.
KESTREL_ABI_FN(void, kestrel_rt_raise_stack_exhausted, KestrelContext* ctx, std::uint32_t site)
/// Resets the budget; records "interrupted" (or the time limit) when the run's rt::Limits stop
/// it (returns 1 then).
KESTREL_ABI_FN(std::int32_t, kestrel_rt_poll, KestrelContext* ctx, std::uint32_t site)
/// clock(): seconds on a monotonic clock (runtime/clock.hpp).
KESTREL_ABI_FN(double, kestrel_rt_clock)
/// The REPL's kept array (ir::Builtin::ReplKeep): rt::keep_array(slot, a) (runtime/limits.hpp).
KESTREL_ABI_FN(void, kestrel_rt_repl_keep, std::int64_t slot, kestrel::rt::Array* a)

// ---- reference counts ------------------------------------------------------------------------
/// Frees an array whose count reached zero (the JIT decrements inline).
KESTREL_ABI_FN(void, kestrel_rt_array_destroy, kestrel::rt::Array* a)
KESTREL_ABI_FN(void, kestrel_rt_table_retain, kestrel::rt::Table* t)
KESTREL_ABI_FN(void, kestrel_rt_table_release, kestrel::rt::Table* t)  // null-safe

// ---- scalars the JIT does not inline -----------------------------------------------------------
KESTREL_ABI_FN(std::int64_t, kestrel_rt_ipow_i64, KestrelContext* ctx, std::uint32_t site,
               std::int64_t b, std::int64_t e)
KESTREL_ABI_FN(std::int32_t, kestrel_rt_ipow_i32, KestrelContext* ctx, std::uint32_t site,
               std::int32_t b, std::int32_t e)
KESTREL_ABI_FN(double, kestrel_rt_floordiv_f64, double a, double b)
KESTREL_ABI_FN(float, kestrel_rt_floordiv_f32, float a, float b)
KESTREL_ABI_FN(double, kestrel_rt_mod_f64, double a, double b)
KESTREL_ABI_FN(float, kestrel_rt_mod_f32, float a, float b)
/// libm's functions under our own names, which is how the JIT calls them: LLVM knows libm's names
/// and folds a call with constant arguments (correctly rounded, where libm's f32 functions are
/// not) or rewrites it (pow(2, x) into exp2(x), a symbol the JIT does not link), so the JIT would
/// disagree with the interpreter, which calls the same libm functions these call.
KESTREL_ABI_FN(double, kestrel_rt_log_f64, double x)
KESTREL_ABI_FN(double, kestrel_rt_sin_f64, double x)
KESTREL_ABI_FN(double, kestrel_rt_cos_f64, double x)
KESTREL_ABI_FN(double, kestrel_rt_tanh_f64, double x)
KESTREL_ABI_FN(double, kestrel_rt_pow_f64, double x, double y)
KESTREL_ABI_FN(float, kestrel_rt_log_f32, float x)
KESTREL_ABI_FN(float, kestrel_rt_sin_f32, float x)
KESTREL_ABI_FN(float, kestrel_rt_cos_f32, float x)
KESTREL_ABI_FN(float, kestrel_rt_tanh_f32, float x)
KESTREL_ABI_FN(float, kestrel_rt_pow_f32, float x, float y)
KESTREL_ABI_FN(double, kestrel_rt_randn, std::int64_t key, std::int64_t counter)
/// Sets the context's stream to substream((key, counter), i).
KESTREL_ABI_FN(void, kestrel_rt_substream, KestrelContext* ctx, std::int64_t key,
               std::int64_t counter, std::int64_t i)

// ---- print -----------------------------------------------------------------------------------
KESTREL_ABI_FN(void, kestrel_rt_print_sep, KestrelContext* ctx)
/// Appends `size` bytes of text (a print's sep and end, a printed tuple's punctuation); they may
/// hold NUL bytes ("\0" is an escape).
KESTREL_ABI_FN(void, kestrel_rt_print_text, KestrelContext* ctx, const char* text,
               std::int64_t size)
KESTREL_ABI_FN(void, kestrel_rt_print_i64, KestrelContext* ctx, std::int64_t v)
KESTREL_ABI_FN(void, kestrel_rt_print_f64, KestrelContext* ctx, double v)
KESTREL_ABI_FN(void, kestrel_rt_print_f32, KestrelContext* ctx, float v)
KESTREL_ABI_FN(void, kestrel_rt_print_bool, KestrelContext* ctx, std::int32_t v)
KESTREL_ABI_FN(void, kestrel_rt_print_str, KestrelContext* ctx, const std::string* s)
KESTREL_ABI_FN(void, kestrel_rt_print_array, KestrelContext* ctx, const kestrel::rt::Array* a)
KESTREL_ABI_FN(void, kestrel_rt_print_table, KestrelContext* ctx, const kestrel::rt::Table* t)
/// Ends the line and writes it out.
KESTREL_ABI_FN(void, kestrel_rt_print_end, KestrelContext* ctx)

// ---- arrays ----------------------------------------------------------------------------------
/// op is rt::BinOp / rt::UnOp / rt::StoreOp / rt::ReduceOp; elem is rt::Elem.
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_binary, KestrelContext* ctx, std::uint32_t site,
               std::uint32_t op, const kestrel::rt::Array* a, std::uint32_t ae, std::int64_t ab,
               const kestrel::rt::Array* b, std::uint32_t be, std::int64_t bb)
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_unary, KestrelContext* ctx, std::uint32_t site,
               std::uint32_t op, const kestrel::rt::Array* a)
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_convert, KestrelContext* ctx, std::uint32_t site,
               const kestrel::rt::Array* a, std::uint32_t elem)
/// where(c, a, b) and clip(x, lo, hi): kind 0 and 1.
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_ternary, KestrelContext* ctx, std::uint32_t site,
               std::uint32_t kind, const kestrel::rt::Array* a, std::uint32_t ae, std::int64_t ab,
               const kestrel::rt::Array* b, std::uint32_t be, std::int64_t bb,
               const kestrel::rt::Array* c, std::uint32_t ce, std::int64_t cb)
KESTREL_ABI_FN(void, kestrel_rt_store, KestrelContext* ctx, std::uint32_t site,
               const kestrel::rt::Array* target, std::uint32_t op, const kestrel::rt::Array* v,
               std::uint32_t ve, std::int64_t vb)
/// `specs` holds 4 words per dimension: is_range, then index (or lo, hi; rt::kOpen if absent),
/// then step (1 if absent).
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_slice, KestrelContext* ctx, std::uint32_t site,
               const kestrel::rt::Array* a, std::uint32_t ndims, const std::int64_t* specs)
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_transpose, KestrelContext* ctx, std::uint32_t site,
               const kestrel::rt::Array* a)
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_copy, KestrelContext* ctx, std::uint32_t site,
               const kestrel::rt::Array* a)
/// zeros (0), ones (1), empty (2) of rank 1 (d0) or 2 (d0 x d1).
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_fill, KestrelContext* ctx, std::uint32_t site,
               std::uint32_t kind, std::uint32_t elem, std::uint32_t rank, std::int64_t d0,
               std::int64_t d1)
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_full, KestrelContext* ctx, std::uint32_t site,
               std::uint32_t elem, std::uint32_t rank, std::int64_t d0, std::int64_t d1,
               std::uint32_t ve, std::int64_t vb)
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_arange, KestrelContext* ctx, std::uint32_t site,
               std::int64_t start, std::int64_t stop, std::int64_t step, std::uint32_t elem)
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_linspace, KestrelContext* ctx, std::uint32_t site,
               double start, double stop, std::int64_t n, std::uint32_t elem)
/// An array literal from `n` 8-byte slots (the `bits` form; strings as const std::string*).
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_literal, KestrelContext* ctx, std::uint32_t site,
               std::uint32_t elem, std::uint32_t rows, std::uint32_t cols, std::uint32_t n,
               const std::int64_t* slots)
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_rand, KestrelContext* ctx, std::uint32_t site,
               std::uint32_t normal, std::uint32_t rank, std::int64_t d0, std::int64_t d1,
               std::int64_t key)
/// A whole-array reduction, in the bits form of `result_elem`.
KESTREL_ABI_FN(std::int64_t, kestrel_rt_reduce, KestrelContext* ctx, std::uint32_t site,
               std::uint32_t op, const kestrel::rt::Array* a, std::uint32_t result_elem)
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_reduce_axis, KestrelContext* ctx, std::uint32_t site,
               std::uint32_t op, const kestrel::rt::Array* a, std::int32_t axis)
KESTREL_ABI_FN(std::int64_t, kestrel_rt_dot, KestrelContext* ctx, std::uint32_t site,
               const kestrel::rt::Array* a, const kestrel::rt::Array* b, std::uint32_t result_elem)
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_dot_axis, KestrelContext* ctx, std::uint32_t site,
               const kestrel::rt::Array* a, const kestrel::rt::Array* b, std::int32_t axis)
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_matmul, KestrelContext* ctx, std::uint32_t site,
               const kestrel::rt::Array* a, const kestrel::rt::Array* b)
KESTREL_ABI_FN(std::int64_t, kestrel_rt_matmul_vv, KestrelContext* ctx, std::uint32_t site,
               const kestrel::rt::Array* a, const kestrel::rt::Array* b, std::uint32_t result_elem)
/// shape(a, axis) with a run-time axis (raises when out of range).
KESTREL_ABI_FN(std::int64_t, kestrel_rt_shape, KestrelContext* ctx, std::uint32_t site,
               const kestrel::rt::Array* a, std::int64_t axis)
/// A str element read out of an array, copied into the program's pool (it may outlive the
/// array or be overwritten in it): the pooled copy.
KESTREL_ABI_FN(const std::string*, kestrel_rt_str_intern, KestrelContext* ctx, const std::string* s)
/// *a == *b for str values (1 or 0).
KESTREL_ABI_FN(std::int32_t, kestrel_rt_str_eq, const std::string* a, const std::string* b)
/// *dst = *src for str elements.
KESTREL_ABI_FN(void, kestrel_rt_assign_str, std::string* dst, const std::string* src)
/// The combined result of a parallel for's float reduction partials (see reduce.hpp), then
/// `saved op combined`; op is ir::ReduceOp; f32 when is_f32. Clears the partials of `slot`.
KESTREL_ABI_FN(std::int32_t, kestrel_rt_partials_begin, KestrelContext* ctx)
KESTREL_ABI_FN(void, kestrel_rt_partials_push, KestrelContext* ctx, std::int32_t slot, double v)
KESTREL_ABI_FN(double, kestrel_rt_partials_end, KestrelContext* ctx, std::int32_t slot,
               std::uint32_t op, std::uint32_t is_f32, double saved)

// ---- tables and files ------------------------------------------------------------------------
KESTREL_ABI_FN(kestrel::rt::Table*, kestrel_rt_read_csv, KestrelContext* ctx, std::uint32_t site,
               const std::string* path)
KESTREL_ABI_FN(std::int64_t, kestrel_rt_table_rows, const kestrel::rt::Table* t)
/// kind is ir::ColumnKind (F64, I64, Codes, Labels).
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_table_column, KestrelContext* ctx,
               std::uint32_t site, const kestrel::rt::Table* t, std::uint32_t kind,
               const std::string* name)
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_load_npy, KestrelContext* ctx, std::uint32_t site,
               const std::string* path, std::uint32_t elem, std::uint32_t rank)
KESTREL_ABI_FN(void, kestrel_rt_save_npy, KestrelContext* ctx, std::uint32_t site,
               const std::string* path, const kestrel::rt::Array* a)

// ---- the GPU (runtime/gpu/abi_gpu.cpp, runtime/gpu/program.hpp) ------------------------------
/// Runs region `region` of the run's GPU program (ctx->host->gpu) on the device: slots[0..N) its
/// N params (a scalar's bits or an rt::Array*), slots[N] the iteration count, slots[N+1..N+1+R)
/// its R scalar reductions' values in bits (in/out); a fault is recorded at site_map[site].
KESTREL_ABI_FN(void, kestrel_rt_gpu_run, KestrelContext* ctx, std::uint32_t region,
               std::uint64_t* slots, const std::uint32_t* site_map)
/// Copies the arrays the device wrote back to the host and forgets the device's copies (the JIT
/// calls it when a run of GPU statements ends); a no-op without a GPU program.
KESTREL_ABI_FN(void, kestrel_rt_gpu_sync, KestrelContext* ctx)

// ---- parallel loops (runtime/parallel.hpp) ---------------------------------------------------
KESTREL_ABI_EXTERN(kestrel_rt_parallel_for_ctx)
KESTREL_ABI_EXTERN(kestrel_rt_parallel_reduce_by)
KESTREL_ABI_EXTERN(kestrel_rt_threads)
KESTREL_ABI_EXTERN(kestrel_rt_fused_sum)
KESTREL_ABI_EXTERN(kestrel_rt_fused_for)

// ---- array reductions of parallel loops (runtime/array_reduction.hpp) ------------------------
KESTREL_ABI_EXTERN(kestrel_rt_arred_begin)
KESTREL_ABI_EXTERN(kestrel_rt_arred_fresh)
KESTREL_ABI_EXTERN(kestrel_rt_arred_done)
KESTREL_ABI_EXTERN(kestrel_rt_arred_next)
KESTREL_ABI_EXTERN(kestrel_rt_arred_end)

// ---- tables: options, building, writing (runtime/csv.hpp) ------------------------------------
/// read_csv(path, sep=…, fill=…).
KESTREL_ABI_FN(kestrel::rt::Table*, kestrel_rt_read_csv_with, KestrelContext* ctx,
               std::uint32_t site, const std::string* path, const std::string* sep, double fill)
/// write_csv(path, t).
KESTREL_ABI_FN(void, kestrel_rt_write_csv, KestrelContext* ctx, std::uint32_t site,
               const std::string* path, const kestrel::rt::Table* t)
/// table(): a table with no columns.
KESTREL_ABI_FN(kestrel::rt::Table*, kestrel_rt_table_new, KestrelContext* ctx, std::uint32_t site)
/// with_column(t, name, column): a new table.
KESTREL_ABI_FN(kestrel::rt::Table*, kestrel_rt_with_column, KestrelContext* ctx, std::uint32_t site,
               const kestrel::rt::Table* t, const std::string* name,
               const kestrel::rt::Array* column)
/// subtable(t, columns, rows): a new table.
KESTREL_ABI_FN(kestrel::rt::Table*, kestrel_rt_subtable, KestrelContext* ctx, std::uint32_t site,
               const kestrel::rt::Table* t, const kestrel::rt::Array* columns,
               const kestrel::rt::Array* rows)

// ---- errors raised in imported modules' code (codegen/common/library_error.hpp) ---------------
/// assert(cond, message): records `message` as the run's error at `site` when cond is 0.
KESTREL_ABI_FN(void, kestrel_rt_assert, KestrelContext* ctx, std::uint32_t site, std::uint32_t cond,
               const std::string* message)
/// The failure recorded in ctx came out of a call of the module function `callee` (a C string)
/// made by the script's code at `site`: the error is reported there, with a note at the site
/// where it was raised (the first such call on the way out only).
KESTREL_ABI_FN(void, kestrel_rt_resite, KestrelContext* ctx, std::uint32_t site, const char* callee)
// ---- str operations (runtime/strings.hpp) ----------------------------------------------------
// Each str result is interned in the program's pool (as kestrel_rt_str_intern's).
/// print(…, end=…): writes the line as it stands (no newline of its own) and starts a new one.
KESTREL_ABI_FN(void, kestrel_rt_print_flush, KestrelContext* ctx)
/// str(x) of a scalar: x's `bits` of element type `elem` (ir::Scalar order).
KESTREL_ABI_FN(const std::string*, kestrel_rt_str_of, KestrelContext* ctx, std::uint32_t elem,
               std::int64_t bits)
KESTREL_ABI_FN(const std::string*, kestrel_rt_str_of_array, KestrelContext* ctx,
               const kestrel::rt::Array* a)
KESTREL_ABI_FN(const std::string*, kestrel_rt_str_of_table, KestrelContext* ctx,
               const kestrel::rt::Table* t)
/// *a + *b.
KESTREL_ABI_FN(const std::string*, kestrel_rt_str_concat, KestrelContext* ctx, const std::string* a,
               const std::string* b)
/// format(x, *spec): x is `bits` of an I64 or F64 `elem`, or the str `s` (elem Str); a bad spec
/// is recorded at `site` (null returned).
KESTREL_ABI_FN(const std::string*, kestrel_rt_format, KestrelContext* ctx, std::uint32_t site,
               std::uint32_t elem, std::int64_t bits, const std::string* s, const std::string* spec)
/// a == b (a != b when negate) elementwise; a side that is not an array is its str.
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_str_compare, KestrelContext* ctx, std::uint32_t site,
               std::uint32_t negate, const kestrel::rt::Array* a, const std::string* as,
               const kestrel::rt::Array* b, const std::string* bs)
// ---- numpy's functions (issue 17; runtime/array_fns.hpp) -------------------------------------
KESTREL_ABI_FN(double, kestrel_rt_tan_f64, double x)
KESTREL_ABI_FN(double, kestrel_rt_log10_f64, double x)
KESTREL_ABI_FN(double, kestrel_rt_log2_f64, double x)
KESTREL_ABI_FN(float, kestrel_rt_tan_f32, float x)
KESTREL_ABI_FN(float, kestrel_rt_log10_f32, float x)
KESTREL_ABI_FN(float, kestrel_rt_log2_f32, float x)
/// prod, std, var or median (fn: rt::ArrayFn) of a whole array, as bits of `result_elem`.
KESTREL_ABI_FN(std::int64_t, kestrel_rt_array_fn_value, KestrelContext* ctx, std::uint32_t site,
               std::uint32_t fn, const kestrel::rt::Array* a, std::int64_t ddof,
               std::uint32_t result_elem)
/// rt::array_fn_array: `b` is concatenate's second array (else null).
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_array_fn_array, KestrelContext* ctx,
               std::uint32_t site, std::uint32_t fn, const kestrel::rt::Array* a,
               const kestrel::rt::Array* b, std::int32_t axis, std::int64_t d0, std::int64_t d1,
               std::int32_t rank)
// ---- streams: npy_blocks, csv_blocks (runtime/stream.hpp, runtime/abi_stream.cpp) -------------
/// A stream's handle (0 after an error); elem is rt::Elem, rank 1 or 2.
KESTREL_ABI_FN(std::int64_t, kestrel_rt_npy_stream_open, KestrelContext* ctx, std::uint32_t site,
               const std::string* path, std::int64_t rows, std::int64_t elem, std::int64_t rank)
/// part and parts: csv_blocks(path, rows, part, parts) (0 and 1 for the whole file).
KESTREL_ABI_FN(std::int64_t, kestrel_rt_csv_stream_open, KestrelContext* ctx, std::uint32_t site,
               const std::string* path, std::int64_t rows, std::int64_t part, std::int64_t parts)
/// 1 when the stream moved to a next block, 0 at its end (or after an error).
KESTREL_ABI_FN(std::int32_t, kestrel_rt_stream_next, KestrelContext* ctx, std::uint32_t site,
               std::int64_t handle)
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_stream_array, KestrelContext* ctx,
               std::uint32_t site, std::int64_t handle)
KESTREL_ABI_FN(kestrel::rt::Table*, kestrel_rt_stream_table, KestrelContext* ctx,
               std::uint32_t site, std::int64_t handle)
KESTREL_ABI_FN(void, kestrel_rt_stream_close, KestrelContext* ctx, std::uint32_t site,
               std::int64_t handle)
KESTREL_ABI_FN(void, kestrel_rt_npy_append, KestrelContext* ctx, std::uint32_t site,
               const std::string* path, const kestrel::rt::Array* a)
KESTREL_ABI_FN(void, kestrel_rt_npy_finish, KestrelContext* ctx, std::uint32_t site,
               const std::string* path)
// ---- indexing: numpy's negative indices, slices, masks (runtime/rules/bounds.hpp) -------------
/// Records rules/messages.hpp's negative_parallel_store_message(index): a negative index in a
/// `parallel for`'s disjoint store to an outer array.
KESTREL_ABI_FN(void, kestrel_rt_raise_negative_store, KestrelContext* ctx, std::uint32_t site,
               std::int64_t index)
// ---- MPI ranks and collectives (runtime/mpi.hpp, runtime/abi_mpi.cpp) -------------------------
/// rank() (which 0) or ranks() (which 1).
KESTREL_ABI_FN(std::int64_t, kestrel_rt_mpi_rank, KestrelContext* ctx, std::uint32_t site,
               std::int32_t which)
/// allreduce or broadcast (fn: rt::MpiFn) of the scalar `bits` of element type `elem`; the
/// result in the same form.
KESTREL_ABI_FN(std::int64_t, kestrel_rt_mpi_scalar, KestrelContext* ctx, std::uint32_t site,
               std::int64_t fn, std::int64_t bits, std::uint32_t elem, std::int64_t root)
/// allreduce, broadcast or gather of an array `a`, or (a null) gather of the scalar `bits`.
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_mpi_array, KestrelContext* ctx, std::uint32_t site,
               std::int64_t fn, const kestrel::rt::Array* a, std::int64_t bits, std::uint32_t elem,
               std::int64_t root)
// ---- boolean masks and integer-array indexing (runtime/fancy_index.hpp) ----------------------
/// a[sel]: a new array.
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_fancy_get, KestrelContext* ctx, std::uint32_t site,
               const kestrel::rt::Array* a, const kestrel::rt::Array* sel)
/// a[sel] op= v (op an rt::StoreOp; v an array, or null and the scalar ve/vb).
KESTREL_ABI_FN(void, kestrel_rt_fancy_set, KestrelContext* ctx, std::uint32_t site,
               const kestrel::rt::Array* a, const kestrel::rt::Array* sel, std::uint32_t op,
               const kestrel::rt::Array* v, std::uint32_t ve, std::int64_t vb)
// ---- arange with float bounds (runtime/array.hpp) ---------------------------------------------
KESTREL_ABI_FN(kestrel::rt::Array*, kestrel_rt_arange_f, KestrelContext* ctx, std::uint32_t site,
               double start, double stop, double step, std::uint32_t elem)
