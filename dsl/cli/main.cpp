// The `kestrel` command, built on the public API alone. Exit codes: 0 success, 1 the program has
// errors (or could not be read), 2 the command line was wrong.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "kestrel/kestrel.hpp"
#include "repl.hpp"

namespace {

constexpr int kOk = 0;
constexpr int kProgramError = 1;
constexpr int kUsageError = 2;

constexpr const char* kUsage = R"(usage: kestrel <command> [options] FILE
       kestrel [repl]

Kestrel is a small, statically typed array language.

commands:
  run FILE           run FILE's top-level statements, compiled to native code by the LLVM JIT
      --interp       run them in the bytecode interpreter instead
      --jit          use the JIT (the default)
      --threads N    threads for parallel work (default: every core)
      --time         print the time of each phase (parse, check, compile, run) to stderr,
                     and whether the JIT's code came from the object cache (hit or miss)
      --no-cache     compile afresh: neither read nor write the JIT's object cache
                     ($XDG_CACHE_HOME/kestrel, else ~/.cache/kestrel)
  bench FILE         run FILE in the interpreter and the JIT and print compile time, run time
                     (median) and speed-up side by side, and whether both printed the same
      --fn NAME ARG...   time one function called with these scalar arguments instead
      --repeat N     runs per mode (default 5)
      --no-cache     the JIT compiles afresh (its compile ms is then a miss's)
  emit --llvm FILE   print the optimised LLVM IR of FILE (--fn NAME: of one function)
  check FILE         parse and type-check FILE and its imports; print diagnostics
  fmt [--write] FILE print FILE in canonical form (--write: rewrite it in place)
  repl               the interactive prompt (also `kestrel` alone, on a terminal); reads
                     entries from stdin when it is not a terminal

options:
  -h, --help         show this help
  --version          print the version

exit status: 0 success, 1 the program has errors, 2 bad command line
)";

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
}

/// Reads a --threads count (1 or more).
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
  for (std::size_t k = 0; k < args.size(); ++k) {
    const std::string& arg = args[k];
    if (arg == "--time") {
      time = true;
    } else if (arg == "--threads") {
      if (k + 1 >= args.size() || !parse_threads(args[k + 1], options.threads)) {
        return usage_error("--threads takes a count of 1 or more");
      }
      ++k;
    } else if (arg == "--interp") {
      options.mode = kestrel::Mode::Interp;
    } else if (arg == "--jit") {
      options.mode = kestrel::Mode::Jit;
    } else if (arg == "--no-cache") {
      options.use_cache = false;
    } else if (!arg.empty() && arg[0] == '-') {
      return usage_error("unknown option for run: " + arg);
    } else {
      files.push_back(arg);
    }
  }
  if (files.size() != 1) {
    return usage_error("run takes exactly one FILE");
  }
  kestrel::Engine engine(options);
  try {
    kestrel::Timings timings = engine.run_file(files[0]);
    std::fflush(stdout);
    if (time) {
      print_timings(timings);
    }
    return kOk;
  } catch (const kestrel::Error& error) {
    std::fflush(stdout);
    std::cerr << error.what();
    return kProgramError;
  }
}

int cmd_emit(const std::vector<std::string>& args) {
  bool llvm = false;
  std::string fn;
  std::vector<std::string> files;
  for (std::size_t k = 0; k < args.size(); ++k) {
    if (args[k] == "--llvm") {
      llvm = true;
    } else if (args[k] == "--fn" && k + 1 < args.size()) {
      fn = args[++k];
    } else if (args[k] == "--cuda") {
      return usage_error("emit --cuda: the GPU backend is not built yet");
    } else if (!args[k].empty() && args[k][0] == '-') {
      return usage_error("unknown option for emit: " + args[k]);
    } else {
      files.push_back(args[k]);
    }
  }
  if (!llvm || files.size() != 1) {
    return usage_error("usage: kestrel emit --llvm FILE [--fn NAME]");
  }
  try {
    std::cout << kestrel::Engine().emit_llvm(files[0], fn);
    return kOk;
  } catch (const kestrel::Error& error) {
    std::cerr << error.what();
    return kProgramError;
  }
}

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

/// Loads `file` in `mode` and runs it (or `fn` with `fn_args`) `repeat` times.
BenchRow bench_mode(const char* name, kestrel::Mode mode, const std::string& file,
                    const std::string& fn, const std::vector<std::string>& fn_args, int repeat,
                    bool use_cache) {
  kestrel::EngineOptions options;
  options.mode = mode;
  options.use_cache = use_cache;
  kestrel::Engine engine(options);
  BenchRow row;
  row.mode = name;
  kestrel::Module module = engine.load_file(file);
  row.compile_ms = module.load_timings().compile_ms;
  row.cache_hit = module.load_timings().cache_hit;
  std::vector<double> times;
  bool progress = ::isatty(STDERR_FILENO) != 0;
  for (int r = 0; r < repeat; ++r) {
    if (progress) {
      std::fprintf(stderr, "\r%-6s run %d/%d", name, r + 1, repeat);
    }
    std::string out;
    auto start = std::chrono::steady_clock::now();
    if (fn.empty()) {
      module.run(&out);
    } else {
      out = module.call_text(fn, fn_args);
    }
    times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    if (r == 0) {
      row.output = out;
    }
  }
  if (progress) {
    std::fprintf(stderr, "\r%-20s\r", "");
  }
  row.run_ms = median(times);
  return row;
}

int cmd_bench(const std::vector<std::string>& args) {
  std::string fn;
  std::vector<std::string> fn_args;
  std::vector<std::string> files;
  int repeat = 5;
  bool use_cache = true;
  for (std::size_t k = 0; k < args.size(); ++k) {
    const std::string& arg = args[k];
    if (arg == "--fn" && k + 1 < args.size()) {
      fn = args[++k];
      while (k + 1 < args.size() && args[k + 1].rfind("--", 0) != 0) {
        fn_args.push_back(args[++k]);
      }
    } else if (arg == "--repeat" && k + 1 < args.size()) {
      repeat = std::atoi(args[++k].c_str());
      if (repeat < 1) {
        return usage_error("--repeat takes a positive count");
      }
    } else if (arg == "--no-cache") {
      use_cache = false;
    } else if (!arg.empty() && arg[0] == '-' && arg.size() > 1 &&
               !std::isdigit(static_cast<unsigned char>(arg[1]))) {
      return usage_error("unknown option for bench: " + arg);
    } else {
      files.push_back(arg);
    }
  }
  if (files.size() != 1) {
    return usage_error("bench takes exactly one FILE");
  }
  try {
    BenchRow rows[] = {
        bench_mode("interp", kestrel::Mode::Interp, files[0], fn, fn_args, repeat, use_cache),
        bench_mode("jit", kestrel::Mode::Jit, files[0], fn, fn_args, repeat, use_cache),
    };
    std::string what = fn.empty() ? files[0] : fn + "(";
    for (std::size_t k = 0; !fn.empty() && k < fn_args.size(); ++k) {
      what += (k == 0 ? "" : ", ") + fn_args[k];
    }
    std::printf("%s%s, median of %d runs\n", what.c_str(), fn.empty() ? "" : ")", repeat);
    std::printf("%-8s %12s %12s %10s\n", "mode", "compile ms", "run ms", "speed-up");
    for (const BenchRow& row : rows) {
      std::printf("%-8s %12.3f %12.4f %9.2fx%s\n", row.mode, row.compile_ms, row.run_ms,
                  rows[0].run_ms / row.run_ms, row.cache_hit ? "  (compile: cache hit)" : "");
    }
    bool same = rows[0].output == rows[1].output;
    std::string shown = rows[1].output.substr(0, 200);
    if (!shown.empty() && shown.back() == '\n') {
      shown.pop_back();
    }
    std::printf("result: %s (%s)\n", shown.c_str(),
                same ? "the same in both modes" : "DIFFERS between the modes");
    return same ? kOk : kProgramError;
  } catch (const kestrel::Error& error) {
    std::fprintf(stderr, "\n");
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
    std::string text = engine.format_file(files[0]);
    if (!write) {
      std::cout << text;
      return kOk;
    }
    std::string tmp = files[0] + ".fmt.tmp";
    {
      std::ofstream out(tmp, std::ios::binary);
      out << text;
      if (!out.flush()) {
        std::cerr << "kestrel: cannot write " << tmp << "\n";
        return kProgramError;
      }
    }
    std::filesystem::rename(tmp, files[0]);  // atomic: the file is never half-written
    return kOk;
  } catch (const kestrel::Error& error) {
    std::cerr << error.what();
    return kProgramError;
  } catch (const std::filesystem::filesystem_error& error) {
    std::cerr << "kestrel: " << error.what() << "\n";
    return kProgramError;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    if (::isatty(STDIN_FILENO) != 0) {
      return run_repl();
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
    return run_repl();
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
