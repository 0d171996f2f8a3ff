// libFuzzer target: any byte string through parse, check and run, in the interpreter, the JIT and
// tiered execution, through the public API as a host would call it. It aborts when the engine
// throws anything but kestrel::Error, when an error is an internal one ("error: internal error",
// not a message that quotes the program's own text saying so), or when another mode
// disagrees with the interpreter on a program that both finished (output, and the error text when
// it failed). Each run has a time and a memory budget (EngineOptions), and file I/O is refused, so
// no input can hang the fuzzer, exhaust its memory or write files.
//
// KESTREL_FUZZ_JIT_EVERY=N runs the JIT (and the comparison) on one accepted input in N, and tiered
// execution (eager) on another one in N, picked by a hash of the input (default 1: every input in
// all three); the interpreter runs every accepted input.
// KESTREL_FUZZ_TIME_MS=T sets each run's time limit (default 500 ms): mutants of the long
// examples spend that long in each mode, so a short limit buys executions.
// KESTREL_FUZZ_MEMORY_MB=M sets each run's memory limit (default 256 MiB): mutants that make arrays
// of 10^7 elements spend their whole time limit filling them, so a small limit buys executions.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <string_view>

#include "kestrel/kestrel.hpp"

namespace {

constexpr std::size_t kMaxInput = 4096;
constexpr std::int64_t kDefaultTimeLimitMs = 500;
constexpr std::int64_t kDefaultMemoryLimitMb = 256;
/// How an internal error's message begins ("f.kst:1:2: error: internal error: ...", "error:
/// internal error in the JIT: ..."); reports() matches it only there, not in a message quoting
/// the program (an invalid format spec holding those words).
constexpr std::string_view kInternal = "internal error";

/// Reports a finding and aborts. The program and the detail are written whole, NUL bytes included
/// (printf's %s would stop at the first, and lose the part that shows the difference).
[[noreturn]] void die(const char* what, const std::string& text, const std::string& detail) {
  std::fprintf(stderr, "run_fuzz: %s\n--- program ---\n", what);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fputs("\n--- detail ---\n", stderr);
  std::fwrite(detail.data(), 1, detail.size(), stderr);
  std::fputs("\n", stderr);
  std::abort();
}

/// A positive integer from the environment variable `name`, or `fallback`.
std::int64_t env_count(const char* name, std::int64_t fallback) {
  const char* env = std::getenv(name);
  long long n = env != nullptr ? std::strtoll(env, nullptr, 10) : 0;
  return n > 0 ? n : fallback;
}

kestrel::EngineOptions options(kestrel::Mode mode) {
  kestrel::EngineOptions o;
  o.mode = mode;
  o.threads = 2;
  o.use_cache = false;
  o.allow_io = false;
  o.memory_limit = env_count("KESTREL_FUZZ_MEMORY_MB", kDefaultMemoryLimitMb) << 20;
  o.time_limit_ms = env_count("KESTREL_FUZZ_TIME_MS", kDefaultTimeLimitMs);
  return o;
}

/// Whether one of the rendered diagnostics' messages begins with `what`. A message is what follows
/// the severity, "error: " at the start of a diagnostic's line or after its "file:line:col: "
/// location. Neither the program's source lines echoed under a diagnostic (indented) nor the
/// rest of a message (which may quote the program: "invalid format spec '.3error: internal
/// error'") counts, since they may say anything.
bool reports(const std::string& rendered, std::string_view what) {
  constexpr std::string_view kSeverity = "error: ";
  std::size_t at = 0;
  while (at < rendered.size()) {
    std::size_t end = rendered.find('\n', at);
    std::string_view line(rendered.data() + at,
                          (end == std::string::npos ? rendered.size() : end) - at);
    std::size_t severity = line.starts_with(kSeverity) ? 0 : line.find(": error: ");
    if (!line.empty() && line[0] != ' ' && severity != std::string_view::npos) {
      std::size_t message = severity == 0 ? kSeverity.size() : severity + 2 + kSeverity.size();
      if (line.substr(message).starts_with(what)) {
        return true;
      }
    }
    if (end == std::string::npos) {
      break;
    }
    at = end + 1;
  }
  return false;
}

/// What one run gave: its printed output, then the error text when it failed.
struct Outcome {
  std::string out;
  std::string error;
  bool failed = false;
  /// Stopped by a budget (time or memory): says nothing about the program's answer.
  bool budget = false;
};

Outcome run(const kestrel::Engine& engine, const std::string& text) {
  Outcome r;
  try {
    engine.run_source("fuzz.kst", text, &r.out);
  } catch (const kestrel::Error& e) {
    r.failed = true;
    r.error = e.what();
    if (reports(r.error, kInternal)) {
      die("internal error", text, r.error);
    }
    r.budget = r.error.find("time limit of") != std::string::npos ||
               r.error.find("memory limit of") != std::string::npos ||
               r.error.find("out of memory") != std::string::npos;
  } catch (const std::exception& e) {
    die("an exception other than kestrel::Error escaped", text, e.what());
  } catch (...) {
    die("an unknown exception escaped", text, "");
  }
  return r;
}

/// Aborts when the interpreter's outcome `a` and another mode's `b` disagree on a program both
/// finished within their budgets.
void compare(const Outcome& a, const Outcome& b, const char* mode, const std::string& text) {
  if (a.budget || b.budget) {
    return;
  }
  // clock() reads the time: what a program prints from it differs from run to run, in any mode
  // (a false "disagree" on a mutated examples/mlp_train.kst). Its errors must still agree.
  bool timed = text.find("clock(") != std::string::npos;
  if (a.failed != b.failed || (!timed && a.out != b.out) || a.error != b.error) {
    die((std::string("the interpreter and ") + mode + " disagree").c_str(), text,
        "interpreter:\n" + a.out + a.error + "\n" + mode + ":\n" + b.out + b.error);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > kMaxInput) {
    return -1;  // not added to the corpus
  }
  static const kestrel::Engine interp(options(kestrel::Mode::Interp));
  static const kestrel::Engine jit(options(kestrel::Mode::Jit));
  static const kestrel::Engine tiered([] {
    kestrel::EngineOptions o = options(kestrel::Mode::Tiered);
    o.tier_policy = kestrel::TierPolicy::Eager;
    return o;
  }());
  static const auto every = static_cast<std::uint64_t>(env_count("KESTREL_FUZZ_JIT_EVERY", 1));

  std::string text(reinterpret_cast<const char*>(data), size);
  kestrel::Diagnostics checked;
  try {
    checked = interp.check_source("fuzz.kst", text);
  } catch (const std::exception& e) {
    die("check_source threw", text, e.what());
  }
  if (!checked.ok()) {
    if (reports(checked.text, kInternal)) {
      die("internal error in the checker", text, checked.text);
    }
    if (reports(checked.text, "expected valid syntax here")) {
      die("a parse error from an unnamed grammar rule", text, checked.text);
    }
    return 0;
  }
  // @unchecked drops a function's bounds checks: an index out of bounds there is undefined by
  // design (DESIGN.md, promise 2), so the modes may read different garbage, or crash. Such a
  // program runs only when the same program with its checks kept (each `@unchecked` blanked
  // out, so every span stays where it was) makes no index error in the interpreter.
  if (text.find("@unchecked") != std::string::npos) {
    std::string kept = text;
    for (std::size_t at = kept.find("@unchecked"); at != std::string::npos;
         at = kept.find("@unchecked", at)) {
      kept.replace(at, 10, 10, ' ');
    }
    Outcome k = run(interp, kept);
    if (k.budget || (k.failed && k.error.find("out of bounds") != std::string::npos)) {
      return 0;
    }
  }
  Outcome a = run(interp, text);
  // One accepted input in `every` (by its hash) also runs in the JIT, and another one in `every`
  // tiered (eager: everything compiled first, every call and loop switched to native code); with
  // every = 1, each input runs in all three.
  std::uint64_t h = std::hash<std::string_view>{}(text) % every;
  if (h == 0) {
    compare(a, run(jit, text), "the JIT", text);
  }
  if (h == every / 2) {
    compare(a, run(tiered, text), "tiered execution", text);
  }
  return 0;
}
