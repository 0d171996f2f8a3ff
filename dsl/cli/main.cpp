// The `kestrel` command, built on the public API alone. Exit codes: 0 success, 1 the program has
// errors (or could not be read), 2 the command line was wrong.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

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
  run FILE           run FILE's top-level statements (in the interpreter)
      --interp       use the interpreter (the default until the JIT lands)
      --time         print the time of each phase (parse, check, compile, run) to stderr
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
  std::fprintf(stderr,
               "parse    %9.3f ms\ncheck    %9.3f ms\ncompile  %9.3f ms\nrun      %9.3f ms\n",
               t.parse_ms, t.check_ms, t.compile_ms, t.run_ms);
}

int cmd_run(const std::vector<std::string>& args) {
  bool time = false;
  std::vector<std::string> files;
  for (const std::string& arg : args) {
    if (arg == "--time") {
      time = true;
    } else if (arg == "--interp") {
      // The interpreter is the only mode until the JIT lands.
    } else if (!arg.empty() && arg[0] == '-') {
      return usage_error("unknown option for run: " + arg);
    } else {
      files.push_back(arg);
    }
  }
  if (files.size() != 1) {
    return usage_error("run takes exactly one FILE");
  }
  kestrel::Engine engine;
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
  if (command == "fmt") {
    return cmd_fmt(rest);
  }
  return usage_error("unknown command '" + command + "'");
}
