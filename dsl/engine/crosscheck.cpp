// --crosscheck: each call in both tiers, compared word by word (arrays element by element, bit
// for bit), with the array arguments after the call, the printed output and the stream.
#include "dsl/engine/crosscheck.hpp"

#include <bit>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>

#include "runtime/array.hpp"
#include "runtime/csv.hpp"
#include "runtime/error.hpp"
#include "runtime/format.hpp"

namespace kestrel::engine {

namespace {

/// How many checked calls enclose the one this thread runs now. Deeper than kMaxNesting, calls
/// run in the interpreter only (the checks of their callers cover them): otherwise a recursion
/// d deep would run its innermost calls natively d times.
constexpr int kMaxNesting = 32;
thread_local int nesting = 0;

std::mutex planted_mutex;
std::map<std::string, testing::NativeOverride>& planted() {
  static std::map<std::string, testing::NativeOverride> map;
  return map;
}

void flatten(const ir::TypeTable& types, ir::Type t, std::vector<ir::Type>& out) {
  if (t.is_tuple()) {
    for (ir::Type e : types.elems(t)) {
      flatten(types, e, out);
    }
  } else if (!t.is_void()) {
    out.push_back(t);
  }
}

template <class T>
T* ptr_of(std::int64_t w) {
  return static_cast<T*>(std::bit_cast<void*>(w));
}

/// The value of one word of type `t` as print() shows it (a long array cut short).
std::string show(ir::Type t, std::int64_t w) {
  std::string s;
  if (t.is_array()) {
    s = w == 0 ? "(no array)" : rt::format_array(*ptr_of<rt::Array>(w));
  } else if (t.is_table()) {
    s = w == 0 ? "(no table)" : rt::format_table(*ptr_of<rt::Table>(w));
  } else if (t.scalar == ir::Scalar::Str) {
    s = '"' + *ptr_of<const std::string>(w) + '"';
  } else if (t.scalar == ir::Scalar::Bool) {
    rt::append_bool(s, w != 0);
  } else if (t.scalar == ir::Scalar::I32) {
    rt::append_int(s, static_cast<std::int32_t>(w));
  } else if (t.scalar == ir::Scalar::I64) {
    rt::append_int(s, w);
  } else if (t.scalar == ir::Scalar::F32) {
    float f;
    std::memcpy(&f, &w, 4);
    rt::append_float(s, f);
  } else {
    rt::append_float(s, std::bit_cast<double>(w));
  }
  constexpr std::size_t kMax = 300;
  if (s.size() > kMax) {
    s = s.substr(0, kMax) + " ...";
  }
  return s;
}

bool same_array(const rt::Array& a, const rt::Array& b) {
  if (a.rank != b.rank || a.elem != b.elem || a.shape[0] != b.shape[0] ||
      a.shape[1] != b.shape[1]) {
    return false;
  }
  std::size_t es = rt::elem_size(a.elem);
  const auto* pa = static_cast<const unsigned char*>(a.data);
  const auto* pb = static_cast<const unsigned char*>(b.data);
  for (std::int64_t i = 0; i < a.shape[0]; ++i) {
    for (std::int64_t j = 0; j < a.shape[1]; ++j) {
      // Strides may be negative (a[::-1]): signed offsets in bytes.
      auto oa = (i * a.strides[0] + j * a.strides[1]) * static_cast<std::ptrdiff_t>(es);
      auto ob = (i * b.strides[0] + j * b.strides[1]) * static_cast<std::ptrdiff_t>(es);
      if (a.elem == rt::Elem::Str) {  // str elements are std::string objects: compare the text
        if (*reinterpret_cast<const std::string*>(pa + oa) !=
            *reinterpret_cast<const std::string*>(pb + ob)) {
          return false;
        }
        continue;
      }
      if (std::memcmp(pa + oa, pb + ob, es) != 0) {
        return false;
      }
    }
  }
  return true;
}

/// Whether two words of type `t` hold the same value (bit for bit).
bool same(ir::Type t, std::int64_t a, std::int64_t b) {
  if (t.is_array()) {
    return a != 0 && b != 0 && same_array(*ptr_of<rt::Array>(a), *ptr_of<rt::Array>(b));
  }
  if (t.is_table()) {
    return a != 0 && b != 0 &&
           rt::format_table(*ptr_of<rt::Table>(a)) == rt::format_table(*ptr_of<rt::Table>(b));
  }
  switch (t.scalar) {
    case ir::Scalar::Str:
      return *ptr_of<const std::string>(a) == *ptr_of<const std::string>(b);
    case ir::Scalar::Bool:
      return (a != 0) == (b != 0);
    case ir::Scalar::I32:
      return static_cast<std::int32_t>(a) == static_cast<std::int32_t>(b);
    case ir::Scalar::F32:
      return std::memcmp(&a, &b, 4) == 0;
    default:
      return a == b;
  }
}

/// Releases the references among result words (arrays and tables).
void release_words(const std::vector<ir::Type>& types, const std::int64_t* words) {
  for (std::size_t k = 0; k < types.size(); ++k) {
    if (words[k] == 0) {
      continue;
    }
    if (types[k].is_array()) {
      rt::release(ptr_of<rt::Array>(words[k]));
    } else if (types[k].is_table()) {
      rt::release(ptr_of<rt::Table>(words[k]));
    }
  }
}

void write_out(const RunOptions& options, const std::string& text) {
  if (options.out != nullptr) {
    *options.out += text;
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
}

bool is_report(const RunError& e) { return e.message().starts_with("crosscheck: "); }

/// The first line where two outputs differ, both ways.
std::string output_difference(const std::string& interp, const std::string& native) {
  std::size_t at = 0;
  while (at < interp.size() && at < native.size() && interp[at] == native[at]) {
    ++at;
  }
  std::size_t line_start = interp.rfind('\n', at == 0 ? 0 : at - 1);
  line_start = line_start == std::string::npos || at == 0 ? 0 : line_start + 1;
  auto line_of = [&](const std::string& s) {
    std::size_t end = s.find('\n', line_start);
    return line_start >= s.size() ? std::string("(nothing)")
                                  : '"' + s.substr(line_start, end - line_start) + '"';
  };
  return "printed output: the interpreter prints " + line_of(interp) + ", native code " +
         line_of(native);
}

std::string failure_text(const std::optional<RunError>& e) {
  return e ? "fails with \"" + e->message() + "\"" : "returns";
}

bool same_failure(const std::optional<RunError>& a, const std::optional<RunError>& b) {
  if (!a || !b) {
    return !a && !b;
  }
  return a->message() == b->message() && a->span().file == b->span().file &&
         a->span().begin == b->span().begin && a->span().end == b->span().end &&
         a->note() == b->note() && a->note_span().file == b->note_span().file &&
         a->note_span().begin == b->note_span().begin;
}

std::string stream_difference(StreamState interp, StreamState native) {
  if (interp.key == native.key && interp.counter == native.counter) {
    return "";
  }
  return "the seeded stream: the interpreter leaves it at draw " + std::to_string(interp.counter) +
         " of key " + std::to_string(interp.key) + ", native code at draw " +
         std::to_string(native.counter) + " of key " + std::to_string(native.key);
}

void run_native(const CrossCall& c, ir::FnId fn, std::span<const std::int64_t> args,
                std::int64_t* out, const RunOptions& options) {
  testing::NativeOverride wrong;
  {
    std::lock_guard<std::mutex> lock(planted_mutex);
    auto it = planted().find(c.program.fn(fn).name);
    if (it != planted().end()) {
      wrong = it->second;
    }
  }
  if (wrong) {
    wrong(c.native, fn, args, out, options);
  } else {
    c.native.call_words(fn, args, out, options);
  }
}

}  // namespace

void crosscheck_call(const CrossCall& c, ir::FnId fn, std::span<const std::int64_t> args,
                     std::int64_t* out, codegen::TierState& state) {
  const ir::Function& f = c.program.fn(fn);
  std::vector<ir::Type> ptypes;
  std::vector<std::string> pnames;
  for (std::uint32_t k = 0; k < f.param_count; ++k) {
    flatten(c.program.types, f.locals[k].type, ptypes);
    pnames.resize(ptypes.size(), f.locals[k].name);
  }
  std::vector<ir::Type> rtypes;
  flatten(c.program.types, f.ret, rtypes);

  RunOptions interp_options = *state.options;
  interp_options.tier = nesting < kMaxNesting ? &c.hook : nullptr;
  interp_options.depth = state.depth;
  interp_options.stream = state.stream;
  std::string interp_printed;
  interp_options.out = &interp_printed;

  // Array arguments that share memory cannot be copied apart: such a call is not compared.
  std::vector<const void*> buffers;
  bool aliased = false;
  for (std::size_t k = 0; k < ptypes.size(); ++k) {
    if (ptypes[k].is_array()) {
      const void* b = ptr_of<rt::Array>(args[k])->buffer;
      aliased = aliased || std::find(buffers.begin(), buffers.end(), b) != buffers.end();
      buffers.push_back(b);
    }
  }
  if (aliased) {
    interp_options.out = state.options->out;
    c.interp.call_words(fn, args, out, interp_options);
    return;
  }

  // Native code first, on copies of the array arguments, its output held.
  std::vector<std::int64_t> native_args(args.begin(), args.end());
  std::vector<rt::ArrayRef> copies;
  for (std::size_t k = 0; k < ptypes.size(); ++k) {
    if (ptypes[k].is_array()) {
      copies.push_back(rt::copy(*ptr_of<rt::Array>(args[k])));
      native_args[k] = std::bit_cast<std::int64_t>(static_cast<void*>(copies.back().get()));
    }
  }
  std::vector<std::int64_t> native_out(std::max<std::size_t>(rtypes.size(), 1), 0);
  StreamState native_stream = *state.stream;
  std::string native_printed;
  RunOptions native_options = *state.options;
  native_options.tier = nullptr;
  native_options.depth = state.depth;
  native_options.stream = &native_stream;
  native_options.out = &native_printed;
  std::optional<RunError> native_error;
  try {
    run_native(c, fn, native_args, native_out.data(), native_options);
  } catch (const RunError& e) {
    native_error = e;
  }
  struct ReleaseNative {
    const std::vector<ir::Type>& types;
    const std::vector<std::int64_t>& words;
    bool failed;
    ~ReleaseNative() {
      if (!failed) {
        release_words(types, words.data());
      }
    }
  } release_native{rtypes, native_out, native_error.has_value()};

  // Then the interpreter on the originals, its own calls checked through the hook.
  std::optional<RunError> interp_error;
  try {
    struct Nest {
      Nest() { ++nesting; }
      ~Nest() { --nesting; }
    } nest;
    c.interp.call_words(fn, args, out, interp_options);
  } catch (const RunError& e) {
    write_out(*state.options, interp_printed);
    if (is_report(e)) {
      throw;
    }
    interp_error = e;
  }

  std::string why;
  if (interp_error || native_error) {
    if (same_failure(interp_error, native_error)) {
      throw *interp_error;
    }
    why = "the interpreter " + failure_text(interp_error) + ", native code " +
          failure_text(native_error);
  }
  for (std::size_t k = 0; why.empty() && k < rtypes.size(); ++k) {
    if (!same(rtypes[k], out[k], native_out[k])) {
      why = (rtypes.size() > 1 ? "result element " + std::to_string(k) : std::string("result")) +
            ": the interpreter gives " + show(rtypes[k], out[k]) + ", native code " +
            show(rtypes[k], native_out[k]);
    }
  }
  for (std::size_t k = 0; why.empty() && k < ptypes.size(); ++k) {
    if (ptypes[k].is_array() && !same(ptypes[k], args[k], native_args[k])) {
      why = "array argument '" + pnames[k] + "' after the call: the interpreter leaves " +
            show(ptypes[k], args[k]) + ", native code " + show(ptypes[k], native_args[k]);
    }
  }
  if (why.empty() && interp_printed != native_printed) {
    why = output_difference(interp_printed, native_printed);
  }
  if (why.empty()) {
    why = stream_difference(*state.stream, native_stream);
  }
  if (!why.empty()) {
    if (!interp_error) {
      write_out(*state.options, interp_printed);
      release_words(rtypes, out);
    }
    throw rt::RuntimeError("crosscheck: the call of '" + f.name +
                           "' differs between the interpreter and native code: " + why);
  }
  write_out(*state.options, interp_printed);
}

void crosscheck_top(const CrossCall& c, const RunOptions& options) {
  StreamState start = c.interp.stream_state();
  StreamState interp_stream = start;
  std::string interp_printed;
  RunOptions interp_options = options;
  interp_options.tier = &c.hook;
  interp_options.out = &interp_printed;
  interp_options.stream = &interp_stream;
  std::optional<RunError> interp_error;
  try {
    c.interp.run_main(interp_options);
  } catch (const RunError& e) {
    if (is_report(e)) {
      write_out(options, interp_printed);
      throw;
    }
    interp_error = e;
  }
  StreamState native_stream = start;
  std::string native_printed;
  RunOptions native_options = options;
  native_options.tier = nullptr;
  native_options.out = &native_printed;
  native_options.stream = &native_stream;
  std::optional<RunError> native_error;
  try {
    c.native.run_main(native_options);
  } catch (const RunError& e) {
    native_error = e;
  }
  c.interp.set_stream_state(interp_stream);
  write_out(options, interp_printed);
  std::string why;
  if (!same_failure(interp_error, native_error)) {
    why = "the interpreter " + failure_text(interp_error) + ", native code " +
          failure_text(native_error);
  } else if (interp_printed != native_printed) {
    why = output_difference(interp_printed, native_printed);
  } else {
    why = stream_difference(interp_stream, native_stream);
  }
  if (!why.empty()) {
    throw RunError(
        c.program.fn(c.program.main).span,
        "crosscheck: the top level differs between the interpreter and native code: " + why);
  }
  if (interp_error) {
    throw *interp_error;
  }
}

namespace testing {

void plant_divergence(std::string name, NativeOverride wrong) {
  std::lock_guard<std::mutex> lock(planted_mutex);
  planted()[std::move(name)] = std::move(wrong);
}

void clear_divergence() {
  std::lock_guard<std::mutex> lock(planted_mutex);
  planted().clear();
}

}  // namespace testing

}  // namespace kestrel::engine
