// The `kestrel` command, built on the public API alone. Exit codes: 0 success, 1 the program has
// errors (or could not be read), 2 the command line was wrong.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "bench_chart.hpp"
#include "kestrel/kestrel.hpp"
#include "mpi_run.hpp"
#include "output_diff.hpp"
#include "repl.hpp"

namespace {

constexpr int kOk = 0;
constexpr int kProgramError = 1;
constexpr int kUsageError = 2;

constexpr const char* kUsage = R"(usage: kestrel <command> [options] FILE
       kestrel [repl]

Kestrel is a small, statically typed array language.

commands:
  run FILE           run FILE's top-level statements: they start at once in the interpreter
                     while the LLVM JIT compiles what gets hot in the background; a function
                     moves to native code at its next call once compiled, a long loop while
                     it runs, a long parallel loop or kernel launch at its start (tiered, the
                     default; --time says what ran where)
      --interp       run them in the bytecode interpreter only
      --jit          compile everything with the JIT before running
      --tiered       the default, as above
      --crosscheck   run every call in both the interpreter and native code and stop at the
                     first whose result, array arguments, output or random stream differ
      --threads N    threads for parallel work (default: every core)
      --time         print the time of each phase (parse, check, compile, run) to stderr,
                     and whether the JIT's code came from the object cache (hit or miss)
      --no-cache     compile afresh: neither read nor write the JIT's object cache
                     ($XDG_CACHE_HOME/kestrel, else ~/.cache/kestrel)
      --time-limit MS  stop the program with an error after MS milliseconds
                     (Ctrl-C stops it the same way, "interrupted"; a second Ctrl-C kills)
      --target gpu   run parallel loops and kernel launches on the GPU (CUDA C++ compiled
                     by NVRTC; with the JIT); what the GPU backend cannot take stays on the
                     CPU (`emit --cuda` says why); without a usable GPU, says why and exits 1
      --ranks N      run N ranks under MPI: starts `mpirun -np N` itself (the same as
                     `mpirun -np N kestrel run FILE`; --oversubscribe when N exceeds the
                     cores); rank() and ranks() tell them apart, allreduce, broadcast and
                     gather combine their values in rank order; only rank 0 prints, and an
                     error is reported by every rank ("rank K: …")
  bench FILE         run FILE in the interpreter and the JIT and print compile time, run time
                     (median) and speed-up side by side, and whether both printed the same
      --fn NAME ARG...   time one function called with these scalar arguments instead
      --setup FN ARG...  with --fn NAME: FN(ARG...) makes NAME's arguments (arrays too),
                     once per mode and untimed; only NAME's calls are timed
      --suite FILE   one table over the workloads FILE lists, a line each:
                     `label | size | FILE [--setup ...] [--fn ...] [--repeat N]`; each
                     row says whether the JIT's code was a cache hit or miss and after how
                     many calls its compile pays for itself (break-even); a line's
                     `--baseline NAME CMD...` also times the same work outside Kestrel
                     (CMD prints `ms: X`, its median; `python3` is $KESTREL_PYTHON if set)
      --svg OUT      with --suite: also draw the table as a bar chart (log scale) in OUT
      --repeat N     runs per mode (default 5)
      --no-cache     the JIT compiles afresh (its compile ms is then a miss's)
  emit STAGE FILE    print what a stage of the pipeline makes of FILE (--fn NAME: of one
                     function): --ast the parse tree, --ir the typed IR, --bytecode the
                     interpreter's bytecode, --llvm the optimised LLVM IR, --cuda the
                     GPU backend's CUDA C++ and which loops and launches it takes, --ptx
                     that source compiled by NVRTC for compute_90, --cubin for sm_90 (size)
  check FILE         parse and type-check FILE and its imports; print diagnostics
  fmt [--write] FILE print FILE in canonical form (--write: rewrite it in place)
  repl               the interactive prompt (also `kestrel` alone, on a terminal); reads
                     entries from stdin when it is not a terminal

options:
  -h, --help         show this help
  --version          print the version

exit status: 0 success, 1 the program has errors, 2 bad command line, 130 `run` interrupted
)";

constexpr int kInterrupted = 130;  // 128 + SIGINT, as a shell reports a Ctrl-C

/// Set by Ctrl-C while `run` runs a program: it stops with "interrupted" at its next poll.
std::atomic<bool> g_run_interrupt{false};

extern "C" void on_run_sigint(int) {
  g_run_interrupt.store(true);
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process (a stuck compile)
}

int usage_error(const std::string& message) {
  std::cerr << "kestrel: " << message << "\n"
            << "Try 'kestrel --help'.\n";
  return kUsageError;
}

int cmd_check(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    return usage_error("check takes exactly one FILE");
  }
  kestrel::Engine engine;
  try {
    kestrel::Diagnostics diags = engine.check_file(args[0]);
    std::cerr << diags.text;
    if (!diags.ok()) {
      std::cerr << diags.errors << (diags.errors == 1 ? " error" : " errors") << " in " << args[0]
                << "\n";
      return kProgramError;
    }
    return kOk;
  } catch (const kestrel::Error& error) {
    std::cerr << error.what();
    return kProgramError;
  }
}

void print_timings(const kestrel::Timings& t) {
  const char* cache = !t.cached ? "" : t.cache_hit ? " (cache hit)" : " (cache miss)";
  std::fprintf(stderr,
               "parse    %9.3f ms\ncheck    %9.3f ms\ncompile  %9.3f ms%s\nrun      %9.3f ms\n",
               t.parse_ms, t.check_ms, t.compile_ms, cache, t.run_ms);
  if (!t.gpu.empty()) {
    std::fprintf(stderr, "gpu      %s\n", t.gpu.c_str());
  }
  if (t.tiered) {
    std::fprintf(stderr,
                 "tiered   %u functions (%u of them fully optimised) and %u running loops moved "
                 "to native code, %llu calls and %llu kernel launches ran natively\n"
                 "         %9.3f ms native, %9.3f ms interpreted\n"
                 "         %9.3f ms compiling native code (%u compiles)\n",
                 t.tier_functions, t.tier_full_functions, t.tier_loops,
                 static_cast<unsigned long long>(t.tier_native_calls),
                 static_cast<unsigned long long>(t.tier_launches), t.tier_native_ms,
                 std::max(0.0, t.run_ms - t.tier_native_ms), t.tier_compile_ms, t.tier_compiles);
  }
}

/// Reads a --threads or --ranks count (1 to 4096).
bool parse_threads(const std::string& text, int& out) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || v < 1 || v > 4096) {
    return false;
  }
  out = static_cast<int>(v);
  return true;
}

int cmd_run(const std::vector<std::string>& args) {
  bool time = false;
  kestrel::EngineOptions options;
  std::vector<std::string> files;
  int ranks = 0;  // --ranks N: mpirun -np N
  std::vector<std::string> rank_args;
  bool threads_given = false;
  for (std::size_t k = 0; k < args.size(); ++k) {
    const std::string& arg = args[k];
    if (arg == "--ranks") {
      if (k + 1 >= args.size() || !parse_threads(args[k + 1], ranks)) {
        return usage_error("--ranks takes a count from 1 to 4096");
      }
      ++k;
      continue;
    }
    threads_given = threads_given || arg == "--threads";
    if (arg == "--time") {
      time = true;
    } else if (arg == "--threads") {
      if (k + 1 >= args.size() || !parse_threads(args[k + 1], options.threads)) {
        return usage_error("--threads takes a count from 1 to 4096");
      }
      ++k;
    } else if (arg == "--interp") {
      options.mode = kestrel::Mode::Interp;
    } else if (arg == "--jit") {
      options.mode = kestrel::Mode::Jit;
    } else if (arg == "--tiered") {
      options.mode = kestrel::Mode::Tiered;
    } else if (arg == "--crosscheck") {
      options.crosscheck = true;
    } else if (arg == "--no-cache") {
      options.use_cache = false;
    } else if (arg == "--target") {
      if (k + 1 >= args.size() || (args[k + 1] != "cpu" && args[k + 1] != "gpu")) {
        return usage_error("--target takes cpu or gpu");
      }
      options.target = args[++k] == "gpu" ? kestrel::Target::Gpu : kestrel::Target::Cpu;
    } else if (arg == "--time-limit") {
      char* end = nullptr;
      long long ms = k + 1 < args.size() ? std::strtoll(args[k + 1].c_str(), &end, 10) : 0;
      if (k + 1 >= args.size() || end == args[k + 1].c_str() || *end != '\0' || ms < 1) {
        return usage_error("--time-limit takes milliseconds, 1 or more");
      }
      options.time_limit_ms = ms;
      ++k;
    } else if (!arg.empty() && arg[0] == '-') {
      return usage_error("unknown option for run: " + arg);
    } else {
      files.push_back(arg);
    }
  }
  if (files.size() != 1) {
    return usage_error("run takes exactly one FILE");
  }
  if (ranks > 0) {
    for (std::size_t k = 0; k < args.size(); ++k) {
      if (args[k] == "--ranks") {
        ++k;
      } else {
        rank_args.push_back(args[k]);
      }
    }
    return kestrel::cli::exec_mpirun(ranks, rank_args);
  }
  if (!threads_given && kestrel::cli::mpi_default_threads() > 0) {
    options.threads = kestrel::cli::mpi_default_threads();  // the node's cores shared by ranks
  }
  if (std::string why = kestrel::cli::mpi_start(); !why.empty()) {
    std::cerr << why;
    return kProgramError;
  }
  // The process ends with _Exit below: a background compile still working is not waited for.
  options.detach_compiles = true;
  kestrel::Engine engine(options);
  std::signal(SIGINT, on_run_sigint);
  int status = kOk;
  std::string failure;  // under MPI, told to the other ranks (dsl/cli/mpi_run.hpp)
  try {
    kestrel::Timings timings = engine.run_file(files[0], nullptr, &g_run_interrupt);
    std::fflush(stdout);
    if (time) {
      print_timings(timings);
    }
  } catch (const kestrel::Error& error) {
    std::fflush(stdout);
    std::string text = kestrel::cli::mpi_prefixed(error.what());
    std::fwrite(text.data(), 1, text.size(), stderr);  // one write: ranks do not interleave
    status = g_run_interrupt.load() ? kInterrupted : kProgramError;
    failure = error.what();
  }
  status = kestrel::cli::mpi_finish(status, failure);
  if (options.mode == kestrel::Mode::Tiered) {
    // The background compile may still be working (the run did not wait for it): end the
    // process now rather than run static destructors under it.
    std::cout.flush();
    std::fflush(nullptr);
    std::_Exit(status);
  }
  return status;
}

int cmd_emit(const std::vector<std::string>& args) {
  std::optional<kestrel::Engine::Stage> stage;
  std::string fn;
  std::vector<std::string> files;
  for (std::size_t k = 0; k < args.size(); ++k) {
    using Stage = kestrel::Engine::Stage;
    static const std::pair<const char*, Stage> kStages[] = {
        {"--ast", Stage::Ast},    {"--ir", Stage::Ir},     {"--bytecode", Stage::Bytecode},
        {"--llvm", Stage::Llvm},  {"--cuda", Stage::Cuda}, {"--ptx", Stage::Ptx},
        {"--cubin", Stage::Cubin}};
    const auto* named = std::find_if(std::begin(kStages), std::end(kStages),
                                     [&](const auto& s) { return args[k] == s.first; });
    if (named != std::end(kStages)) {
      if (stage) {
        return usage_error(
            "emit takes one of --ast, --ir, --bytecode, --llvm, --cuda, --ptx, "
            "--cubin");
      }
      stage = named->second;
    } else if (args[k] == "--fn" && k + 1 < args.size()) {
      fn = args[++k];
    } else if (!args[k].empty() && args[k][0] == '-') {
      return usage_error("unknown option for emit: " + args[k]);
    } else {
      files.push_back(args[k]);
    }
  }
  if (!stage || files.size() != 1) {
    return usage_error(
        "usage: kestrel emit --ast|--ir|--bytecode|--llvm|--cuda|--ptx|--cubin FILE [--fn NAME]");
  }
  try {
    std::cout << kestrel::Engine().emit(files[0], *stage, fn);
    return kOk;
  } catch (const kestrel::Error& error) {
    std::cerr << error.what();
    return kProgramError;
  }
}

/// What `kestrel bench` times: a script, or one function (with scalar arguments, or with the
/// arguments a setup function makes, untimed).
struct BenchSpec {
  std::string file;
  std::string fn;
  std::vector<std::string> fn_args;
  std::string setup;
  std::vector<std::string> setup_args;
  int repeat = 5;
  bool use_cache = true;
  /// A suite line's `--baseline NAME CMD...`: the same work outside Kestrel (bench_chart.hpp).
  std::vector<std::string> baseline;
};

/// One mode's figures in `kestrel bench`.
struct BenchRow {
  const char* mode = "";
  double compile_ms = 0;
  double run_ms = 0;  // median
  std::string output;
  bool cache_hit = false;  // the JIT's code came from the object cache
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// Progress on a terminal's stderr, overwritten in place (nothing when stderr is not one).
void progress(const std::string& text) {
  if (::isatty(STDERR_FILENO) != 0) {
    std::fprintf(stderr, "\r%-72.72s\r%s", "", text.c_str());
    std::fflush(stderr);
  }
}

/// Loads spec.file in `mode` and runs it (or spec.fn) spec.repeat times. `what` prefixes the
/// progress line.
BenchRow bench_mode(const char* name, kestrel::Mode mode, const BenchSpec& spec,
                    const std::string& what) {
  kestrel::EngineOptions options;
  options.mode = mode;
  options.use_cache = spec.use_cache;
  kestrel::Engine engine(options);
  BenchRow row;
  row.mode = name;
  progress(what + name + " compile");
  kestrel::Module module = engine.load_file(spec.file);
  row.compile_ms = module.load_timings().compile_ms;
  row.cache_hit = module.load_timings().cache_hit;
  std::function<std::string()> call;
  if (!spec.setup.empty()) {
    progress(what + name + " setup");
    call = module.prepare_call(spec.fn, spec.setup, spec.setup_args);
  } else if (!spec.fn.empty()) {
    call = [&] { return module.call_text(spec.fn, spec.fn_args); };
  } else {
    call = [&] {
      std::string out;
      module.run(&out);
      return out;
    };
  }
  std::vector<double> times;
  for (int r = 0; r < spec.repeat; ++r) {
    progress(what + name + " run " + std::to_string(r + 1) + "/" + std::to_string(spec.repeat));
    auto start = std::chrono::steady_clock::now();
    std::string out = call();
    times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    if (r == 0) {
      row.output = out;
    }
  }
  progress("");
  row.run_ms = median(times);
  return row;
}

/// Reads bench options from args[k...] into spec; FILE arguments go to `files`. Returns an
/// error message, or "" when they are fine.
std::string parse_bench_args(const std::vector<std::string>& args, BenchSpec& spec,
                             std::vector<std::string>& files) {
  auto values = [&](std::size_t& k, std::vector<std::string>& out) {
    while (k + 1 < args.size() && args[k + 1].rfind("--", 0) != 0) {
      out.push_back(args[++k]);
    }
  };
  for (std::size_t k = 0; k < args.size(); ++k) {
    const std::string& arg = args[k];
    if (arg == "--fn" && k + 1 < args.size()) {
      spec.fn = args[++k];
      values(k, spec.fn_args);
    } else if (arg == "--setup" && k + 1 < args.size()) {
      spec.setup = args[++k];
      values(k, spec.setup_args);
    } else if (arg == "--baseline" && k + 2 < args.size()) {
      values(k, spec.baseline);
    } else if (arg == "--repeat" && k + 1 < args.size()) {
      spec.repeat = std::atoi(args[++k].c_str());
      if (spec.repeat < 1) {
        return "--repeat takes a positive count";
      }
    } else if (arg == "--no-cache") {
      spec.use_cache = false;
    } else if (!arg.empty() && arg[0] == '-' && arg.size() > 1 &&
               !std::isdigit(static_cast<unsigned char>(arg[1]))) {
      return "unknown option for bench: " + arg;
    } else {
      files.push_back(arg);
    }
  }
  if (!spec.setup.empty() && spec.fn.empty()) {
    return "--setup needs --fn: the setup makes the arguments of the function timed";
  }
  if (!spec.setup.empty() && !spec.fn_args.empty()) {
    return "--fn takes no arguments of its own with --setup (the setup makes them)";
  }
  return "";
}

std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t\r");
  std::size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

/// `kestrel bench --suite FILE`: one table over the workloads the file lists, a line each:
///   label | size | FILE [--setup FN ARGS...] [--fn NAME [ARGS...]] [--repeat N]
/// ('#' starts a comment; a relative FILE is read from the suite file's folder).
int bench_suite(const std::string& suite_path, const BenchSpec& defaults,
                const std::string& svg_path) {
  std::error_code ec;
  bool directory = std::filesystem::is_directory(suite_path, ec);
  std::ifstream in(suite_path);
  if (!in || directory) {
    std::cerr << "kestrel: cannot read " << suite_path << (directory ? ": it is a directory" : "")
              << "\n";
    return kProgramError;
  }
  struct Entry {
    std::string label, size;
    BenchSpec spec;
  };
  std::vector<Entry> entries;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string text = trim(line.substr(0, line.find('#')));
    if (text.empty()) {
      continue;
    }
    std::size_t bar1 = text.find('|');
    std::size_t bar2 = bar1 == std::string::npos ? bar1 : text.find('|', bar1 + 1);
    std::vector<std::string> words;
    if (bar2 != std::string::npos) {
      std::string rest = text.substr(bar2 + 1);
      for (std::size_t p = 0; p < rest.size();) {
        std::size_t q = rest.find_first_of(" \t", p);
        q = q == std::string::npos ? rest.size() : q;
        if (q > p) {
          words.push_back(rest.substr(p, q - p));
        }
        p = q + 1;
      }
    }
    Entry e{trim(text.substr(0, bar1)), "", defaults};
    std::vector<std::string> files;
    std::string problem = bar2 == std::string::npos ? "expected 'label | size | FILE [options]'"
                                                    : parse_bench_args(words, e.spec, files);
    if (problem.empty() && files.size() != 1) {
      problem = "expected one FILE";
    }
    if (!problem.empty()) {
      std::cerr << suite_path << ":" << number << ": error: " << problem << "\n";
      return kUsageError;
    }
    e.size = trim(text.substr(bar1 + 1, bar2 - bar1 - 1));
    std::filesystem::path file(files[0]);
    e.spec.file = file.is_absolute()
                      ? file.string()
                      : (std::filesystem::path(suite_path).parent_path() / file).string();
    entries.push_back(std::move(e));
  }
  if (entries.empty()) {  // an empty table and exit 0 would read as a suite that passed
    std::cerr << suite_path
              << ": error: no workloads (a line is 'label | size | FILE [options]')\n";
    return kUsageError;
  }
  std::printf("%-28s %-30s %11s %11s %16s %9s %10s %15s  %s\n", "workload", "size", "interp ms",
              "jit ms", "compile ms", "speed-up", "break-even", "baseline ms", "same answer");
  std::fflush(stdout);
  int status = kOk;
  std::vector<kestrel::cli::ChartRow> chart;
  std::string baselines;  // their names, for the chart's legend
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const Entry& e = entries[k];
    std::string what =
        "[" + std::to_string(k + 1) + "/" + std::to_string(entries.size()) + "] " + e.label + ": ";
    try {
      BenchRow interp = bench_mode("interp", kestrel::Mode::Interp, e.spec, what);
      BenchRow jit = bench_mode("jit", kestrel::Mode::Jit, e.spec, what);
      std::string interp_out = kestrel::cli::mask_timings(interp.output);
      std::string jit_out = kestrel::cli::mask_timings(jit.output);
      bool same = interp_out == jit_out;
      // The compile: from the object cache (hit) or compiled afresh (miss); the break-even:
      // calls before that compile pays for itself against the interpreter.
      char compile[32];
      std::snprintf(compile, sizeof compile, "%.1f %s", jit.compile_ms,
                    jit.cache_hit ? "hit" : "miss");
      // The baseline: the same work outside Kestrel (numpy, Python), timed by itself.
      kestrel::cli::ChartRow row{e.label, interp.run_ms, jit.run_ms};
      char baseline[48] = "-";
      if (!e.spec.baseline.empty()) {
        const std::string& name = e.spec.baseline[0];
        progress(what + name + " baseline");
        std::string why;
        std::optional<double> ms = kestrel::cli::run_baseline(
            {e.spec.baseline.begin() + 1, e.spec.baseline.end()},
            std::filesystem::path(suite_path).parent_path(), e.spec.repeat, why);
        progress("");
        if (ms) {
          row.baseline_ms = *ms;
          std::snprintf(baseline, sizeof baseline, "%s %.2f", name.c_str(), *ms);
          if (baselines.find(name) == std::string::npos) {
            baselines += (baselines.empty() ? "" : ", ") + name;
          }
        } else {
          std::fprintf(stderr, "kestrel: %s: baseline '%s' not timed: %s\n", e.label.c_str(),
                       name.c_str(), why.c_str());
        }
      }
      std::printf("%-28s %-30s %11.2f %11.2f %16s %8.1fx %10s %15s  %s\n", e.label.c_str(),
                  e.size.c_str(), interp.run_ms, jit.run_ms, compile, interp.run_ms / jit.run_ms,
                  kestrel::cli::break_even(interp.run_ms, jit.run_ms, jit.compile_ms).c_str(),
                  baseline, same ? "yes" : "NO: the modes differ");
      chart.push_back(row);
      if (!same) {
        std::printf("%s", kestrel::cli::unified_diff(interp_out, jit_out, "interp", "jit").c_str());
      }
      status = same ? status : kProgramError;
    } catch (const kestrel::Error& error) {
      progress("");
      std::printf("%-28s %-30s failed:\n", e.label.c_str(), e.size.c_str());
      std::cerr << error.what();
      status = kProgramError;
    }
    std::fflush(stdout);
  }
  std::printf(
      "(run ms: median of each workload's runs; compile ms: the JIT's, a hit when its code came "
      "from the object cache%s; break-even: calls before the compile pays for itself; baseline: "
      "the same work outside Kestrel, as the suite line's --baseline times it)\n",
      defaults.use_cache ? "" : ", here off");
  if (!svg_path.empty()) {
    std::ofstream svg(svg_path);
    svg << kestrel::cli::bench_svg(
        chart, "kestrel bench --suite " + std::filesystem::path(suite_path).filename().string(),
        "baseline (" + (baselines.empty() ? std::string("none") : baselines) + ")");
    if (!svg) {
      std::cerr << "kestrel: cannot write " << svg_path << "\n";
      return kProgramError;
    }
    std::printf("chart: %s\n", svg_path.c_str());
  }
  return status;
}

int cmd_bench(const std::vector<std::string>& args) {
  std::vector<std::string> rest;
  std::string suite;
  std::string svg;
  for (std::size_t k = 0; k < args.size(); ++k) {
    if (args[k] == "--suite" && k + 1 < args.size()) {
      suite = args[++k];
    } else if (args[k] == "--svg" && k + 1 < args.size()) {
      svg = args[++k];
    } else {
      rest.push_back(args[k]);
    }
  }
  BenchSpec spec;
  std::vector<std::string> files;
  std::string problem = parse_bench_args(rest, spec, files);
  if (!problem.empty()) {
    return usage_error(problem);
  }
  if (!suite.empty()) {
    if (!files.empty() || !spec.fn.empty()) {
      return usage_error("--suite takes the workloads from its file: no FILE or --fn");
    }
    return bench_suite(suite, spec, svg);
  }
  if (!svg.empty()) {
    return usage_error("--svg draws a --suite's table: it needs --suite");
  }
  if (!spec.baseline.empty()) {
    return usage_error("--baseline NAME CMD... belongs on a --suite file's line");
  }
  if (files.size() != 1) {
    return usage_error("bench takes exactly one FILE");
  }
  spec.file = files[0];
  try {
    BenchRow rows[] = {
        bench_mode("interp", kestrel::Mode::Interp, spec, ""),
        bench_mode("jit", kestrel::Mode::Jit, spec, ""),
    };
    std::string what = spec.fn.empty() ? spec.file : spec.fn + "(";
    const std::vector<std::string>& shown_args =
        spec.setup.empty() ? spec.fn_args : spec.setup_args;
    if (!spec.setup.empty()) {
      what += spec.setup + "(";
    }
    for (std::size_t k = 0; !spec.fn.empty() && k < shown_args.size(); ++k) {
      what += (k == 0 ? "" : ", ") + shown_args[k];
    }
    what += spec.fn.empty() ? "" : spec.setup.empty() ? ")" : "))";
    std::printf("%s, median of %d runs\n", what.c_str(), spec.repeat);
    std::printf("%-8s %12s %12s %10s\n", "mode", "compile ms", "run ms", "speed-up");
    for (const BenchRow& row : rows) {
      std::printf("%-8s %12.3f %12.4f %9.2fx%s\n", row.mode, row.compile_ms, row.run_ms,
                  rows[0].run_ms / row.run_ms, row.cache_hit ? "  (compile: cache hit)" : "");
    }
    // A script's own timing lines ("… took 95.2 ms", from clock()) differ from run to run:
    // what follows "took" is not compared; everything else must match.
    std::string interp_out = kestrel::cli::mask_timings(rows[0].output);
    std::string jit_out = kestrel::cli::mask_timings(rows[1].output);
    bool same = interp_out == jit_out;
    std::string shown = rows[1].output.substr(0, 200);
    if (!shown.empty() && shown.back() == '\n') {
      shown.pop_back();
    }
    std::printf("result: %s (%s)\n", shown.c_str(),
                same ? "the same in both modes" : "DIFFERS between the modes");
    if (!same) {
      std::printf("%s", kestrel::cli::unified_diff(interp_out, jit_out, "interp", "jit").c_str());
    }
    return same ? kOk : kProgramError;
  } catch (const kestrel::Error& error) {
    progress("");
    std::cerr << error.what();
    return kProgramError;
  }
}

int cmd_fmt(const std::vector<std::string>& args) {
  bool write = false;
  std::vector<std::string> files;
  for (const std::string& arg : args) {
    if (arg == "--write" || arg == "-w") {
      write = true;
    } else if (!arg.empty() && arg[0] == '-') {
      return usage_error("unknown option for fmt: " + arg);
    } else {
      files.push_back(arg);
    }
  }
  if (files.size() != 1) {
    return usage_error("fmt takes exactly one FILE");
  }
  kestrel::Engine engine;
  try {
    if (write) {
      engine.format_file_in_place(files[0]);  // whole or not at all; links and modes kept
    } else {
      std::cout << engine.format_file(files[0]);
    }
    return kOk;
  } catch (const kestrel::Error& error) {
    std::cerr << error.what();
    return kProgramError;
  }
}

int run_command(std::vector<std::string> args);

}  // namespace

int main(int argc, char** argv) {
  // The engine turns every failure into kestrel::Error; this is the last line of defence (a
  // std::bad_alloc in the command line's own code), so no input ends in std::terminate.
  try {
    return run_command(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::cerr << "kestrel: internal error: " << e.what() << "\n";
    return kProgramError;
  }
}

namespace {

/// The REPL, ended without static destructors: a tiered entry's background compile may still be
/// working (entries do not wait for it).
int repl_then_exit() {
  int status = run_repl();
  std::cout.flush();
  std::fflush(nullptr);
  std::_Exit(status);
}

int run_command(std::vector<std::string> args) {
  if (args.empty()) {
    if (::isatty(STDIN_FILENO) != 0) {
      return repl_then_exit();
    }
    std::cerr << kUsage;
    return kUsageError;
  }
  const std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "-h" || command == "--help" || command == "help") {
    std::cout << kUsage;
    return kOk;
  }
  if (command == "--version" || command == "version") {
    std::cout << "kestrel " << kestrel::version() << "\n";
    return kOk;
  }
  for (const std::string& arg : rest) {
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return kOk;
    }
  }
  if (command == "repl") {
    if (!rest.empty()) {
      return usage_error("repl takes no arguments");
    }
    return repl_then_exit();
  }
  if (command == "run") {
    return cmd_run(rest);
  }
  if (command == "check") {
    return cmd_check(rest);
  }
  if (command == "bench") {
    return cmd_bench(rest);
  }
  if (command == "emit") {
    return cmd_emit(rest);
  }
  if (command == "fmt") {
    return cmd_fmt(rest);
  }
  return usage_error("unknown command '" + command + "'");
}

}  // namespace
