// The runtime's C ABI (see abi.hpp): thin extern "C" wrappers around the C++ runtime that turn
// exceptions into an error recorded in the run's context.
#include "runtime/abi.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>

#include "runtime/abi_guard.hpp"
#include "runtime/array_fns.hpp"
#include "runtime/array_reduction.hpp"
#include "runtime/clock.hpp"
#include "runtime/csv.hpp"
#include "runtime/elementwise.hpp"
#include "runtime/fancy_index.hpp"
#include "runtime/format.hpp"
#include "runtime/limits.hpp"
#include "runtime/linalg.hpp"
#include "runtime/npy.hpp"
#include "runtime/parallel.hpp"
#include "runtime/random.hpp"
#include "runtime/reduce.hpp"
#include "runtime/rules/messages.hpp"
#include "runtime/rules/philox.hpp"
#include "runtime/strings.hpp"

namespace rt = kestrel::rt;

void kestrel::rt::record_failure(KestrelContext* ctx, std::uint32_t site,
                                 const std::string& message, bool internal) {
  if (ctx->failed == 0) {
    ctx->failed = 1;
    ctx->site = site;
    if (ctx->host != nullptr) {
      ctx->host->message = message;
      ctx->host->internal = internal;
    }
  }
}

namespace {

using rt::abi::bits_of;
using rt::abi::guarded;
using rt::abi::value_of;

void record(KestrelContext* ctx, std::uint32_t site, const std::string& message, bool internal) {
  rt::record_failure(ctx, site, message, internal);
}

rt::Operand operand(const rt::Array* a, std::uint32_t elem, std::int64_t bits) {
  if (a != nullptr) {
    return rt::Operand(*a);
  }
  return rt::Operand(value_of(elem, bits));
}

rt::Shape shape(std::uint32_t rank, std::int64_t d0, std::int64_t d1) {
  return rank >= 2 ? rt::Shape(d0, d1) : rt::Shape(d0);
}

void emit(KestrelContext* ctx, const std::string& text) {
  if (ctx->host->out != nullptr) {
    *ctx->host->out += text;
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
}

}  // namespace

extern "C" {

void kestrel_rt_raise(KestrelContext* ctx, std::uint32_t site, const char* message) {
  record(ctx, site, message, false);
}

void kestrel_rt_raise_index(KestrelContext* ctx, std::uint32_t site, std::int64_t index,
                            std::int32_t axis, std::int64_t size) {
  guarded<int>(ctx, site, 0, [&]() -> int { rt::raise_index(index, axis, size); });
}

void kestrel_rt_raise_negative_shift(KestrelContext* ctx, std::uint32_t site, std::int64_t n) {
  guarded<int>(ctx, site, 0, [&]() -> int { rt::raise_negative_shift(n); });
}

void kestrel_rt_raise_negative_size(KestrelContext* ctx, std::uint32_t site, std::int64_t n,
                                    const char* what) {
  guarded<int>(ctx, site, 0, [&]() -> int {
    rt::check_size(rt::Shape(n), what);
    return 0;
  });
}

void kestrel_rt_raise_stack_overflow(KestrelContext* ctx, std::uint32_t site) {
  record(ctx, site, rt::call_depth_message(ctx->max_depth), false);
}

void kestrel_rt_raise_stack_exhausted(KestrelContext* ctx, std::uint32_t site) {
  record(ctx, site,
         "stack overflow: recursion deeper than this thread's stack allows (call depth " +
             std::to_string(ctx->depth) + ")",
         false);
}

double kestrel_rt_clock() { return kestrel::rt::clock_seconds(); }

void kestrel_rt_repl_keep(std::int64_t slot, rt::Array* a) { rt::keep_array(slot, a); }

std::int32_t kestrel_rt_poll(KestrelContext* ctx, std::uint32_t site) {
  ctx->budget = 1 << 16;
  const auto* limits = static_cast<const rt::Limits*>(ctx->interrupt);
  if (limits != nullptr && limits->can_stop()) {
    std::string why = rt::stop_message(*limits);
    if (!why.empty()) {
      record(ctx, site, why, false);
      return 1;
    }
  }
  return 0;
}

void kestrel_rt_array_destroy(rt::Array* a) { rt::destroy_array(a); }
void kestrel_rt_table_retain(rt::Table* t) { rt::retain(t); }
void kestrel_rt_table_release(rt::Table* t) {
  if (t != nullptr) {
    rt::release(t);
  }
}

std::int64_t kestrel_rt_ipow_i64(KestrelContext* ctx, std::uint32_t site, std::int64_t b,
                                 std::int64_t e) {
  return guarded<std::int64_t>(ctx, site, 0, [&] { return rt::ipow(b, e); });
}
std::int32_t kestrel_rt_ipow_i32(KestrelContext* ctx, std::uint32_t site, std::int32_t b,
                                 std::int32_t e) {
  return guarded<std::int32_t>(ctx, site, 0, [&] { return rt::ipow(b, e); });
}
double kestrel_rt_floordiv_f64(double a, double b) { return rt::floordiv_float(a, b); }
float kestrel_rt_floordiv_f32(float a, float b) { return rt::floordiv_float(a, b); }
double kestrel_rt_mod_f64(double a, double b) { return rt::mod_float(a, b); }
float kestrel_rt_mod_f32(float a, float b) { return rt::mod_float(a, b); }
double kestrel_rt_log_f64(double x) { return rt::math_fn<rt::MathFn::Log>(x); }
double kestrel_rt_sin_f64(double x) { return rt::math_fn<rt::MathFn::Sin>(x); }
double kestrel_rt_cos_f64(double x) { return rt::math_fn<rt::MathFn::Cos>(x); }
double kestrel_rt_tanh_f64(double x) { return rt::math_fn<rt::MathFn::Tanh>(x); }
double kestrel_rt_pow_f64(double x, double y) { return rt::fpow(x, y); }
float kestrel_rt_log_f32(float x) { return rt::math_fn<rt::MathFn::Log>(x); }
float kestrel_rt_sin_f32(float x) { return rt::math_fn<rt::MathFn::Sin>(x); }
float kestrel_rt_cos_f32(float x) { return rt::math_fn<rt::MathFn::Cos>(x); }
float kestrel_rt_tanh_f32(float x) { return rt::math_fn<rt::MathFn::Tanh>(x); }
float kestrel_rt_pow_f32(float x, float y) { return rt::fpow(x, y); }
double kestrel_rt_randn(std::int64_t key, std::int64_t counter) { return rt::randn(key, counter); }

void kestrel_rt_substream(KestrelContext* ctx, std::int64_t key, std::int64_t counter,
                          std::int64_t i) {
  rt::Stream s = rt::substream(rt::Stream{key, counter}, i);
  ctx->stream_key = s.key;
  ctx->stream_counter = s.counter;
}

void kestrel_rt_print_sep(KestrelContext* ctx) { ctx->host->line += ' '; }
void kestrel_rt_print_text(KestrelContext* ctx, const char* text, std::int64_t size) {
  ctx->host->line.append(text, static_cast<std::size_t>(size));
}
void kestrel_rt_print_i64(KestrelContext* ctx, std::int64_t v) {
  rt::append_int(ctx->host->line, v);
}
void kestrel_rt_print_f64(KestrelContext* ctx, double v) { rt::append_float(ctx->host->line, v); }
void kestrel_rt_print_f32(KestrelContext* ctx, float v) { rt::append_float(ctx->host->line, v); }
void kestrel_rt_print_bool(KestrelContext* ctx, std::int32_t v) {
  rt::append_bool(ctx->host->line, v != 0);
}
void kestrel_rt_print_str(KestrelContext* ctx, const std::string* s) { ctx->host->line += *s; }
void kestrel_rt_print_array(KestrelContext* ctx, const rt::Array* a) {
  ctx->host->line += rt::format_array(*a);
}
void kestrel_rt_print_table(KestrelContext* ctx, const rt::Table* t) {
  ctx->host->line += rt::format_table(*t);
}
void kestrel_rt_print_end(KestrelContext* ctx) {
  ctx->host->line += '\n';
  emit(ctx, ctx->host->line);
  ctx->host->line.clear();
}

rt::Array* kestrel_rt_binary(KestrelContext* ctx, std::uint32_t site, std::uint32_t op,
                             const rt::Array* a, std::uint32_t ae, std::int64_t ab,
                             const rt::Array* b, std::uint32_t be, std::int64_t bb) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] {
    return rt::binary(static_cast<rt::BinOp>(op), operand(a, ae, ab), operand(b, be, bb)).detach();
  });
}

rt::Array* kestrel_rt_unary(KestrelContext* ctx, std::uint32_t site, std::uint32_t op,
                            const rt::Array* a) {
  return guarded<rt::Array*>(ctx, site, nullptr,
                             [&] { return rt::unary(static_cast<rt::UnOp>(op), *a).detach(); });
}

rt::Array* kestrel_rt_convert(KestrelContext* ctx, std::uint32_t site, const rt::Array* a,
                              std::uint32_t elem) {
  return guarded<rt::Array*>(ctx, site, nullptr,
                             [&] { return rt::convert(*a, static_cast<rt::Elem>(elem)).detach(); });
}

rt::Array* kestrel_rt_ternary(KestrelContext* ctx, std::uint32_t site, std::uint32_t kind,
                              const rt::Array* a, std::uint32_t ae, std::int64_t ab,
                              const rt::Array* b, std::uint32_t be, std::int64_t bb,
                              const rt::Array* c, std::uint32_t ce, std::int64_t cb) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] {
    rt::Operand x = operand(a, ae, ab);
    rt::Operand y = operand(b, be, bb);
    rt::Operand z = operand(c, ce, cb);
    return (kind == 0 ? rt::where(x, y, z) : rt::clip(x, y, z)).detach();
  });
}

void kestrel_rt_store(KestrelContext* ctx, std::uint32_t site, const rt::Array* target,
                      std::uint32_t op, const rt::Array* v, std::uint32_t ve, std::int64_t vb) {
  guarded<int>(ctx, site, 0, [&] {
    rt::store(*target, static_cast<rt::StoreOp>(op), operand(v, ve, vb));
    return 0;
  });
}

rt::Array* kestrel_rt_slice(KestrelContext* ctx, std::uint32_t site, const rt::Array* a,
                            std::uint32_t ndims, const std::int64_t* specs) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] {
    std::vector<rt::SliceArg> dims;
    for (std::uint32_t d = 0; d < ndims; ++d) {
      const std::int64_t* s = specs + 4 * d;
      dims.push_back(s[0] != 0 ? rt::SliceArg::range(s[1], s[2], s[3]) : rt::SliceArg::at(s[1]));
    }
    return rt::slice(*a, dims).detach();
  });
}

rt::Array* kestrel_rt_transpose(KestrelContext* ctx, std::uint32_t site, const rt::Array* a) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] { return rt::transpose(*a).detach(); });
}

rt::Array* kestrel_rt_copy(KestrelContext* ctx, std::uint32_t site, const rt::Array* a) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] { return rt::copy(*a).detach(); });
}

rt::Array* kestrel_rt_fill(KestrelContext* ctx, std::uint32_t site, std::uint32_t kind,
                           std::uint32_t elem, std::uint32_t rank, std::int64_t d0,
                           std::int64_t d1) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] {
    auto e = static_cast<rt::Elem>(elem);
    rt::Shape s = shape(rank, d0, d1);
    return (kind == 0 ? rt::zeros(s, e) : kind == 1 ? rt::ones(s, e) : rt::empty(s, e)).detach();
  });
}

rt::Array* kestrel_rt_full(KestrelContext* ctx, std::uint32_t site, std::uint32_t elem,
                           std::uint32_t rank, std::int64_t d0, std::int64_t d1, std::uint32_t ve,
                           std::int64_t vb) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] {
    return rt::full(shape(rank, d0, d1), value_of(ve, vb), static_cast<rt::Elem>(elem)).detach();
  });
}

rt::Array* kestrel_rt_arange(KestrelContext* ctx, std::uint32_t site, std::int64_t start,
                             std::int64_t stop, std::int64_t step, std::uint32_t elem) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] {
    return rt::arange(start, stop, step, static_cast<rt::Elem>(elem)).detach();
  });
}

rt::Array* kestrel_rt_arange_f(KestrelContext* ctx, std::uint32_t site, double start, double stop,
                               double step, std::uint32_t elem) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] {
    return rt::arange_f(start, stop, step, static_cast<rt::Elem>(elem)).detach();
  });
}

rt::Array* kestrel_rt_linspace(KestrelContext* ctx, std::uint32_t site, double start, double stop,
                               std::int64_t n, std::uint32_t elem) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] {
    return rt::linspace(start, stop, n, static_cast<rt::Elem>(elem)).detach();
  });
}

rt::Array* kestrel_rt_literal(KestrelContext* ctx, std::uint32_t site, std::uint32_t elem,
                              std::uint32_t rows, std::uint32_t cols, std::uint32_t n,
                              const std::int64_t* slots) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] {
    auto e = static_cast<rt::Elem>(elem);
    rt::Shape s = rows != 0 ? rt::Shape(rows, cols) : rt::Shape(static_cast<std::int64_t>(n));
    rt::ArrayRef a = rt::alloc(s, e);
    for (std::uint32_t k = 0; k < n; ++k) {
      if (e == rt::Elem::Str) {
        std::string* src = nullptr;
        std::memcpy(&src, &slots[k], sizeof(src));
        a->ptr<std::string>()[k] = *src;
        continue;
      }
      rt::Value v = value_of(elem, slots[k]);
      switch (e) {
        case rt::Elem::Bool:
          a->ptr<bool>()[k] = v.b;
          break;
        case rt::Elem::I32:
          a->ptr<std::int32_t>()[k] = v.i32;
          break;
        case rt::Elem::I64:
          a->ptr<std::int64_t>()[k] = v.i64;
          break;
        case rt::Elem::F32:
          a->ptr<float>()[k] = v.f32;
          break;
        default:
          a->ptr<double>()[k] = v.f64;
          break;
      }
    }
    return a.detach();
  });
}

rt::Array* kestrel_rt_rand(KestrelContext* ctx, std::uint32_t site, std::uint32_t normal,
                           std::uint32_t rank, std::int64_t d0, std::int64_t d1, std::int64_t key) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] {
    rt::Shape s = shape(rank, d0, d1);
    return (normal != 0 ? rt::randn_array(s, key) : rt::rand_array(s, key)).detach();
  });
}

std::int64_t kestrel_rt_reduce(KestrelContext* ctx, std::uint32_t site, std::uint32_t op,
                               const rt::Array* a, std::uint32_t result_elem) {
  return guarded<std::int64_t>(ctx, site, 0, [&] {
    return bits_of(rt::reduce(static_cast<rt::ReduceOp>(op), *a), result_elem);
  });
}

rt::Array* kestrel_rt_reduce_axis(KestrelContext* ctx, std::uint32_t site, std::uint32_t op,
                                  const rt::Array* a, std::int32_t axis) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] {
    return rt::reduce_axis(static_cast<rt::ReduceOp>(op), *a, axis).detach();
  });
}

double kestrel_rt_tan_f64(double x) { return rt::math_fn<rt::MathFn::Tan>(x); }
double kestrel_rt_log10_f64(double x) { return rt::math_fn<rt::MathFn::Log10>(x); }
double kestrel_rt_log2_f64(double x) { return rt::math_fn<rt::MathFn::Log2>(x); }
float kestrel_rt_tan_f32(float x) { return rt::math_fn<rt::MathFn::Tan>(x); }
float kestrel_rt_log10_f32(float x) { return rt::math_fn<rt::MathFn::Log10>(x); }
float kestrel_rt_log2_f32(float x) { return rt::math_fn<rt::MathFn::Log2>(x); }

std::int64_t kestrel_rt_array_fn_value(KestrelContext* ctx, std::uint32_t site, std::uint32_t fn,
                                       const rt::Array* a, std::int64_t ddof,
                                       std::uint32_t result_elem) {
  return guarded<std::int64_t>(ctx, site, 0, [&] {
    return bits_of(rt::array_fn_value(static_cast<rt::ArrayFn>(fn), *a, ddof), result_elem);
  });
}

rt::Array* kestrel_rt_array_fn_array(KestrelContext* ctx, std::uint32_t site, std::uint32_t fn,
                                     const rt::Array* a, const rt::Array* b, std::int32_t axis,
                                     std::int64_t d0, std::int64_t d1, std::int32_t rank) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] {
    return rt::array_fn_array(static_cast<rt::ArrayFn>(fn), *a, b, axis, d0, d1, rank).detach();
  });
}

std::int64_t kestrel_rt_dot(KestrelContext* ctx, std::uint32_t site, const rt::Array* a,
                            const rt::Array* b, std::uint32_t result_elem) {
  return guarded<std::int64_t>(ctx, site, 0, [&] { return bits_of(rt::dot(*a, *b), result_elem); });
}

rt::Array* kestrel_rt_dot_axis(KestrelContext* ctx, std::uint32_t site, const rt::Array* a,
                               const rt::Array* b, std::int32_t axis) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] { return rt::dot(*a, *b, axis).detach(); });
}

rt::Array* kestrel_rt_matmul(KestrelContext* ctx, std::uint32_t site, const rt::Array* a,
                             const rt::Array* b) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] { return rt::matmul(*a, *b).detach(); });
}

std::int64_t kestrel_rt_matmul_vv(KestrelContext* ctx, std::uint32_t site, const rt::Array* a,
                                  const rt::Array* b, std::uint32_t result_elem) {
  return guarded<std::int64_t>(ctx, site, 0,
                               [&] { return bits_of(rt::matmul_vv(*a, *b), result_elem); });
}

std::int64_t kestrel_rt_shape(KestrelContext* ctx, std::uint32_t site, const rt::Array* a,
                              std::int64_t axis) {
  if (!rt::axis_in_bounds(axis, a->rank)) {
    record(ctx, site, rt::axis_message(static_cast<int>(axis), a->rank), false);
    return 0;
  }
  return a->shape[axis];
}

const std::string* kestrel_rt_str_intern(KestrelContext* ctx, const std::string* s) {
  std::lock_guard<std::mutex> lock(*ctx->host->str_pool_mutex);
  return &*ctx->host->str_pool->insert(*s).first;
}

std::int32_t kestrel_rt_str_eq(const std::string* a, const std::string* b) {
  return *a == *b ? 1 : 0;
}

void kestrel_rt_assign_str(std::string* dst, const std::string* src) { *dst = *src; }

namespace {
const std::string* intern(KestrelContext* ctx, std::string s) {
  std::lock_guard<std::mutex> lock(*ctx->host->str_pool_mutex);
  return &*ctx->host->str_pool->insert(std::move(s)).first;
}
}  // namespace

void kestrel_rt_print_flush(KestrelContext* ctx) {
  emit(ctx, ctx->host->line);
  ctx->host->line.clear();
}

const std::string* kestrel_rt_str_of(KestrelContext* ctx, std::uint32_t elem, std::int64_t bits) {
  return intern(ctx, rt::format_value(value_of(elem, bits)));
}

const std::string* kestrel_rt_str_of_array(KestrelContext* ctx, const rt::Array* a) {
  return intern(ctx, rt::format_array(*a));
}

const std::string* kestrel_rt_str_of_table(KestrelContext* ctx, const rt::Table* t) {
  return intern(ctx, rt::format_table(*t));
}

const std::string* kestrel_rt_str_concat(KestrelContext* ctx, const std::string* a,
                                         const std::string* b) {
  return intern(ctx, *a + *b);
}

const std::string* kestrel_rt_format(KestrelContext* ctx, std::uint32_t site, std::uint32_t elem,
                                     std::int64_t bits, const std::string* s,
                                     const std::string* spec) {
  return guarded<const std::string*>(ctx, site, nullptr, [&] {
    switch (static_cast<rt::Elem>(elem)) {
      case rt::Elem::I64:
        return intern(ctx, rt::format_int_spec(bits, *spec));
      case rt::Elem::F64:
        return intern(ctx, rt::format_float_spec(value_of(elem, bits).f64, *spec));
      default:
        return intern(ctx, rt::format_str_spec(*s, *spec));
    }
  });
}

rt::Array* kestrel_rt_str_compare(KestrelContext* ctx, std::uint32_t site, std::uint32_t negate,
                                  const rt::Array* a, const std::string* as, const rt::Array* b,
                                  const std::string* bs) {
  return guarded<rt::Array*>(ctx, site, nullptr,
                             [&] { return rt::str_compare(a, as, b, bs, negate != 0).detach(); });
}

std::int32_t kestrel_rt_partials_begin(KestrelContext* ctx) {
  auto& p = ctx->host->partials;
  p.emplace_back();
  return static_cast<std::int32_t>(p.size() - 1);
}

void kestrel_rt_partials_push(KestrelContext* ctx, std::int32_t slot, double v) {
  ctx->host->partials[static_cast<std::size_t>(slot)].push_back(v);
}

double kestrel_rt_partials_end(KestrelContext* ctx, std::int32_t slot, std::uint32_t op,
                               std::uint32_t is_f32, double saved) {
  auto& all = ctx->host->partials;
  // Slots nest (the JIT ends a loop's reductions in reverse order of beginning them).
  std::vector<double> parts = std::move(all[static_cast<std::size_t>(slot)]);
  all.resize(static_cast<std::size_t>(slot));
  if (parts.empty()) {
    return saved;
  }
  // The same combine as the interpreter's PFOR_END (rules/combine.hpp), in the variable's type.
  auto combine = [op](auto a, auto b) {
    return rt::combine_values(static_cast<rt::CombineOp>(op), a, b);
  };
  if (is_f32 != 0) {
    std::vector<float> v;
    for (double d : parts) {
      v.push_back(static_cast<float>(d));
    }
    float t = rt::combine_tree<float>(v, 0.0f, combine);
    return static_cast<double>(combine(static_cast<float>(saved), t));
  }
  double t = rt::combine_tree<double>(parts, 0.0, combine);
  return combine(saved, t);
}

rt::Table* kestrel_rt_read_csv(KestrelContext* ctx, std::uint32_t site, const std::string* path) {
  return guarded<rt::Table*>(ctx, site, nullptr, [&] { return rt::read_csv(*path).detach(); });
}

std::int64_t kestrel_rt_table_rows(const rt::Table* t) { return t->rows(); }

rt::Array* kestrel_rt_table_column(KestrelContext* ctx, std::uint32_t site, const rt::Table* t,
                                   std::uint32_t kind, const std::string* name) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] {
    switch (kind) {
      case 0:
        return t->f64(*name).detach();
      case 1:
        return t->i64(*name).detach();
      case 2:
        return t->codes(*name).detach();
      case 4:
        return t->group_codes(*name).detach();
      case 5:
        return t->group_labels(*name).detach();
      default:
        return t->labels(*name).detach();
    }
  });
}

rt::Array* kestrel_rt_load_npy(KestrelContext* ctx, std::uint32_t site, const std::string* path,
                               std::uint32_t elem, std::uint32_t rank) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] {
    return rt::load_npy(*path, static_cast<rt::Elem>(elem), static_cast<int>(rank)).detach();
  });
}

void kestrel_rt_save_npy(KestrelContext* ctx, std::uint32_t site, const std::string* path,
                         const rt::Array* a) {
  guarded<int>(ctx, site, 0, [&] {
    rt::save_npy(*path, *a);
    return 0;
  });
}

rt::Table* kestrel_rt_read_csv_with(KestrelContext* ctx, std::uint32_t site,
                                    const std::string* path, const std::string* sep, double fill) {
  return guarded<rt::Table*>(ctx, site, nullptr,
                             [&] { return rt::read_csv(*path, *sep, fill).detach(); });
}

void kestrel_rt_write_csv(KestrelContext* ctx, std::uint32_t site, const std::string* path,
                          const rt::Table* t) {
  guarded<int>(ctx, site, 0, [&] {
    rt::write_csv(*path, *t);
    return 0;
  });
}

rt::Table* kestrel_rt_table_new(KestrelContext* ctx, std::uint32_t site) {
  return guarded<rt::Table*>(ctx, site, nullptr, [&] { return rt::table_new().detach(); });
}

rt::Table* kestrel_rt_with_column(KestrelContext* ctx, std::uint32_t site, const rt::Table* t,
                                  const std::string* name, const rt::Array* column) {
  return guarded<rt::Table*>(ctx, site, nullptr,
                             [&] { return rt::with_column(*t, *name, *column).detach(); });
}

void kestrel_rt_assert(KestrelContext* ctx, std::uint32_t site, std::uint32_t cond,
                       const std::string* message) {
  if (cond == 0) {
    record(ctx, site, *message, false);
  }
}

void kestrel_rt_resite(KestrelContext* ctx, std::uint32_t site, const char* callee) {
  if (ctx->failed == 0 || ctx->host == nullptr || ctx->host->note_site != ~std::uint32_t{0} ||
      ctx->host->internal) {
    return;
  }
  ctx->host->note_site = ctx->site;
  ctx->host->note_function = callee;
  ctx->site = site;
}

rt::Table* kestrel_rt_subtable(KestrelContext* ctx, std::uint32_t site, const rt::Table* t,
                               const rt::Array* columns, const rt::Array* rows) {
  return guarded<rt::Table*>(ctx, site, nullptr,
                             [&] { return rt::subtable(*t, *columns, *rows).detach(); });
}

// ---- indexing (numpy's negative indices, slices, masks) ----

void kestrel_rt_raise_negative_store(KestrelContext* ctx, std::uint32_t site, std::int64_t index) {
  record(ctx, site, rt::negative_parallel_store_message(index), false);
}

rt::Array* kestrel_rt_fancy_get(KestrelContext* ctx, std::uint32_t site, const rt::Array* a,
                                const rt::Array* sel) {
  return guarded<rt::Array*>(ctx, site, nullptr, [&] { return rt::fancy_get(*a, *sel).detach(); });
}

void kestrel_rt_fancy_set(KestrelContext* ctx, std::uint32_t site, const rt::Array* a,
                          const rt::Array* sel, std::uint32_t op, const rt::Array* v,
                          std::uint32_t ve, std::int64_t vb) {
  guarded<int>(ctx, site, 0, [&] {
    rt::fancy_set(*a, *sel, static_cast<rt::StoreOp>(op), operand(v, ve, vb));
    return 0;
  });
}

}  // extern "C"

namespace kestrel::rt {

namespace {
// The C library functions that LLVM itself may call from generated code, by their C names: the
// JIT calls libm only through kestrel_rt_* names (so LLVM neither folds nor rewrites those calls,
// and introduces no exp2, exp10, ldexp, powi, sincos of its own), but lowers some intrinsics to
// these where the CPU has no instruction for them (fma, floor without SSE4.1, sqrt), frem to fmod,
// and block copies and fills to memcpy/memmove/memset. The runtime's C++ calls the same ones.
double (*const kFloor)(double) = &::floor;
double (*const kSqrt)(double) = &::sqrt;
double (*const kFma)(double, double, double) = &::fma;
double (*const kFmod)(double, double) = &::fmod;
float (*const kFloorf)(float) = &::floorf;
double (*const kCeil)(double) = &::ceil;
float (*const kCeilf)(float) = &::ceilf;
double (*const kRoundeven)(double) = [](double x) { return std::nearbyint(x); };
float (*const kRoundevenf)(float) = [](float x) { return std::nearbyint(x); };
float (*const kSqrtf)(float) = &::sqrtf;
float (*const kFmaf)(float, float, float) = &::fmaf;
float (*const kFmodf)(float, float) = &::fmodf;
void* (*const kMemcpy)(void*, const void*, std::size_t) = &std::memcpy;
void* (*const kMemmove)(void*, const void*, std::size_t) = &std::memmove;
void* (*const kMemset)(void*, int, std::size_t) = &std::memset;

template <class F>
void* addr(F f) {
  return reinterpret_cast<void*>(f);
}
}  // namespace

std::uintptr_t stack_limit() {
  // The reserve is what one call may need below the last check: the callee's frame (its
  // temporaries, tuples, a parallel loop's environment) and the runtime's work under it (Eigen's
  // blocks, TBB, sort): 1 MiB, or a quarter of a smaller stack.
  thread_local const std::uintptr_t kLimit = [] {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) {
      return std::uintptr_t{0};
    }
    void* low = nullptr;
    std::size_t size = 0;
    int rc = pthread_attr_getstack(&attr, &low, &size);
    pthread_attr_destroy(&attr);
    if (rc != 0 || low == nullptr) {
      return std::uintptr_t{0};
    }
    return reinterpret_cast<std::uintptr_t>(low) + std::min<std::uintptr_t>(1u << 20, size / 4);
  }();
  return kLimit;
}

std::vector<AbiSymbol> abi_symbols() {
  // The functions generated code calls by name: every entry of runtime/abi_list.hpp, ...
#define KESTREL_ABI_FN(ret, name, ...) AbiSymbol{#name, addr(&name)},
#define KESTREL_ABI_EXTERN(name) AbiSymbol{#name, addr(&name)},
  std::vector<AbiSymbol> symbols = {
#include "runtime/abi_list.hpp"
  };
#undef KESTREL_ABI_FN
#undef KESTREL_ABI_EXTERN
  // ... and the libm and libc functions LLVM's own code calls (see above).
  const AbiSymbol libc[] = {
      {"floor", addr(kFloor)},     {"sqrt", addr(kSqrt)},     {"fma", addr(kFma)},
      {"fmod", addr(kFmod)},       {"floorf", addr(kFloorf)}, {"sqrtf", addr(kSqrtf)},
      {"fmaf", addr(kFmaf)},       {"fmodf", addr(kFmodf)},   {"memcpy", addr(kMemcpy)},
      {"memmove", addr(kMemmove)}, {"memset", addr(kMemset)},
  };
  symbols.insert(symbols.end(), std::begin(libc), std::end(libc));
  // ceil and roundeven (numpy's ceil and round) likewise, where the CPU lacks SSE4.1.
  const AbiSymbol rounding[] = {
      {"ceil", addr(kCeil)},
      {"ceilf", addr(kCeilf)},
      {"roundeven", addr(kRoundeven)},
      {"roundevenf", addr(kRoundevenf)},
  };
  symbols.insert(symbols.end(), std::begin(rounding), std::end(rounding));
  return symbols;
}

}  // namespace kestrel::rt
