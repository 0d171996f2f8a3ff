// `kestrel repl`: the interactive loop, on kestrel::Session (public API) and libedit.
//
// On a terminal: libedit line editing, history in ~/.kestrel_history (or $KESTREL_HISTORY),
// prompts `>>> ` and `... `. Not on a terminal (a pipe, a test): lines are read from stdin with
// no prompts and no history. Ctrl-C: one SIGINT handler (installed without SA_RESTART) sets a
// flag. While an entry runs, the VM polls it (RunOptions::interrupt) and stops with an
// "interrupted" error; at the prompt, the handler also writes a byte to a pipe that our libedit
// getc function polls beside the terminal, so it ends the line (which the loop then discards)
// however the signal falls: a Ctrl-C that came while libedit was busy redrawing, not blocked in
// read(), used to be lost until the next key.
#include "repl.hpp"

#include <editline/readline.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "kestrel/kestrel.hpp"

namespace {

std::atomic<bool> g_interrupt{false};

int g_sigint_pipe[2] = {-1, -1};  // the handler's wake-up byte for repl_getc (non-blocking)

extern "C" void on_sigint(int) {
  int saved = errno;
  g_interrupt.store(true);
  if (g_sigint_pipe[1] >= 0) {
    char byte = 1;
    ssize_t n = ::write(g_sigint_pipe[1], &byte, 1);  // a full pipe already holds a wake-up
    (void)n;
  }
  errno = saved;
}

bool g_line_interrupted = false;

void drain_pipe() {
  char bytes[64];
  while (g_sigint_pipe[0] >= 0 && ::read(g_sigint_pipe[0], bytes, sizeof bytes) > 0) {
  }
}

/// Forgets Ctrl-Cs already handled (one that stopped an entry leaves the flag and a byte).
void drain_interrupts() {
  g_interrupt.store(false);
  drain_pipe();
}

/// libedit's character source: like its own, but a Ctrl-C ends the line (which is discarded).
extern "C" int repl_getc(FILE* in) {
  for (;;) {
    // A Ctrl-C before the poll left a byte in the pipe (the poll returns at once); one during
    // the poll or the read interrupts it (EINTR): either way the loop comes back here.
    if (g_interrupt.exchange(false)) {
      g_line_interrupted = true;
      return '\n';
    }
    pollfd fds[2] = {{fileno(in), POLLIN, 0}, {g_sigint_pipe[0], POLLIN, 0}};
    if (::poll(fds, g_sigint_pipe[0] >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return EOF;
    }
    if (g_sigint_pipe[0] >= 0 && (fds[1].revents & POLLIN) != 0) {
      drain_pipe();
      continue;
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
      continue;
    }
    unsigned char c = 0;
    ssize_t n = ::read(fileno(in), &c, 1);
    if (n == 1) {
      return c;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return EOF;
  }
}

constexpr const char* kHelp =
    R"(Enter statements, expressions and definitions; an expression's value is printed.
Definitions (fn, kernel, import) and top-level let/var variables persist between entries.
A line continues while a bracket ( [ { is open or it ends in an operator or ','.
  :type EXPR   print the static type of EXPR
  :time STMT   run STMT and print the time it took
  :vars        list the variables and definitions kept so far
  :mode tiered|interp|jit   run later entries tiered (the default: the interpreter at once,
               hot functions and long loops moving to native code once compiled), in the
               interpreter only, or compiled by the LLVM JIT first; :mode alone says which
  :llvm FN     print the optimised LLVM IR of a function or kernel defined here
  :target cpu|gpu    run later entries' parallel loops and kernel launches on CPU threads
               (the default) or on the GPU (with the JIT); :target alone says which
  :cuda FN     print the CUDA C++ the GPU backend makes of a function or kernel here
  :help        this help; :help NAME shows a builtin's signature and what it does
  :quit        leave (also Ctrl-D)
Ctrl-C interrupts a running entry, or clears the line at the prompt. Tab completes names.
)";

// ---- tab completion: names the session knows, builtins, keywords and `:` commands ----------

const kestrel::Session* g_session = nullptr;  // the session being completed against

constexpr const char* kCommands[] = {":type",   ":time", ":vars", ":mode", ":llvm",
                                     ":target", ":cuda", ":help", ":quit"};
constexpr const char* kKeywords[] = {"let",    "var",    "fn",       "kernel", "if",    "else",
                                     "while",  "for",    "in",       "by",     "break", "continue",
                                     "return", "import", "parallel", "true",   "false"};

/// Every completion of `prefix`, sorted and without repeats.
std::vector<std::string> completions(const std::string& prefix) {
  std::vector<std::string> all;
  if (!prefix.empty() && prefix[0] == ':') {
    all.assign(std::begin(kCommands), std::end(kCommands));
  } else {
    all = kestrel::builtin_names();
    all.insert(all.end(), std::begin(kKeywords), std::end(kKeywords));
    if (g_session != nullptr) {
      for (const std::string& v : g_session->variables()) {
        all.push_back(v.substr(0, v.find(':')));  // "name: type"
      }
      for (const std::string& d : g_session->definitions()) {
        all.push_back(d);
      }
      // `groupby.gr`: the functions of an imported module.
      if (std::size_t dot = prefix.find('.'); dot != std::string::npos) {
        for (const std::string& m : g_session->members(prefix.substr(0, dot))) {
          all.push_back(m);
        }
      }
    }
  }
  std::vector<std::string> out;
  for (const std::string& c : all) {
    if (c.compare(0, prefix.size(), prefix) == 0) {
      out.push_back(c);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

/// libedit's generator: the state-th completion of `text` (malloc'd), or null after the last.
extern "C" char* completion_entry(const char* text, int state) {
  static std::vector<std::string> matches;
  static std::size_t next = 0;
  if (state == 0) {
    matches = completions(text);
    next = 0;
  }
  return next < matches.size() ? ::strdup(matches[next++].c_str()) : nullptr;
}

extern "C" char** complete_names(const char* text, int, int) {
  rl_attempted_completion_over = 1;  // no file names
  return rl_completion_matches(text, completion_entry);
}

std::filesystem::path history_path() {
  if (const char* env = std::getenv("KESTREL_HISTORY"); env != nullptr && *env != '\0') {
    return env;
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::filesystem::path(home) / ".kestrel_history";
  }
  return {};
}

class LineReader {
 public:
  explicit LineReader(bool tty) : tty_(tty) {
    if (tty_) {
      rl_catch_signals = 0;
      rl_getc_function = repl_getc;
      rl_attempted_completion_function = complete_names;
      using_history();
      history_ = history_path();
      if (!history_.empty()) {
        read_history(history_.c_str());
      }
    }
  }
  ~LineReader() {
    if (tty_ && !history_.empty()) {
      write_history(history_.c_str());
      history_truncate_file(history_.c_str(), 1000);
    }
  }

  /// The next line (without '\n'); false at end of input. `interrupted` is set on Ctrl-C.
  bool read(const char* prompt, std::string& line, bool& interrupted) {
    interrupted = false;
    if (!tty_) {
      return static_cast<bool>(std::getline(std::cin, line));
    }
    g_line_interrupted = false;
    drain_interrupts();  // a Ctrl-C that stopped the last entry is spent
    char* raw = readline(prompt);
    if (raw == nullptr) {
      return false;
    }
    line = raw;
    std::free(raw);
    if (g_line_interrupted) {
      interrupted = true;
      line.clear();
    }
    return true;
  }

  void remember(const std::string& entry) {
    if (tty_ && !entry.empty()) {
      add_history(entry.c_str());
    }
  }

 private:
  bool tty_;
  std::filesystem::path history_;
};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) {
    return "";
  }
  std::size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

int run_repl() {
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  kestrel::EngineOptions options;
  options.detach_compiles = true;  // the REPL ends with _Exit: an entry's compile is not waited for
  kestrel::Engine engine(options);
  kestrel::Session session(engine);
  g_session = &session;
  session.set_mode(kestrel::Mode::Tiered);  // entries answer at once, hot code moves to native
  LineReader reader(tty);

  struct sigaction action = {};
  struct sigaction previous = {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocked read() returns EINTR
  if (tty && ::pipe2(g_sigint_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
    g_sigint_pipe[0] = g_sigint_pipe[1] = -1;  // without it, Ctrl-C still works via EINTR
  }
  sigaction(SIGINT, &action, &previous);

  if (tty) {
    std::cout << "Kestrel " << kestrel::version() << " — :help for help, :quit to leave\n";
  }
  int failures = 0;
  std::string buffer;
  for (;;) {
    std::string line;
    bool interrupted = false;
    const char* prompt = buffer.empty() ? ">>> " : "... ";
    if (!reader.read(prompt, line, interrupted)) {
      if (tty) {
        std::cout << "\n";
      }
      break;
    }
    if (interrupted) {
      buffer.clear();
      g_interrupt.store(false);
      continue;
    }
    buffer += buffer.empty() ? line : "\n" + line;
    std::string body = buffer;
    bool meta = starts_with(trim(buffer), ":");
    if (meta) {
      body = trim(buffer);
      std::size_t space = body.find_first_of(" \t");
      body = space == std::string::npos ? "" : body.substr(space + 1);
    }
    if (kestrel::Session::needs_more(body)) {
      continue;
    }
    std::string entry = buffer;
    buffer.clear();
    reader.remember(entry);
    std::string command = trim(entry);
    if (command.empty()) {
      continue;
    }
    g_interrupt.store(false);
    try {
      if (meta) {
        std::string name = command.substr(0, command.find_first_of(" \t"));
        if (name == ":quit" || name == ":q" || name == ":exit") {
          break;
        } else if ((name == ":help" || name == ":h") && !trim(body).empty()) {
          std::string help = kestrel::builtin_help(trim(body));
          if (help.empty()) {
            std::cerr << "no builtin named '" << trim(body) << "' (:help lists the commands)\n";
            ++failures;
          }
          std::cout << help;
        } else if (name == ":help" || name == ":h") {
          std::cout << kHelp;
        } else if (name == ":type" || name == ":t") {
          std::cout << session.type_of(trim(body)) << "\n";
        } else if (name == ":time") {
          kestrel::Timings t = session.run(body, nullptr, &g_interrupt);
          std::fflush(stdout);
          std::printf("time: %.3f ms (check %.3f ms, compile %.3f ms, run %.3f ms)\n",
                      t.check_ms + t.compile_ms + t.run_ms, t.check_ms, t.compile_ms, t.run_ms);
          if (t.tiered) {
            std::printf(
                "tiered: %.3f ms native (%llu calls, %u running loops moved), %.3f ms "
                "compiling\n",
                t.tier_native_ms, static_cast<unsigned long long>(t.tier_native_calls),
                t.tier_loops, t.tier_compile_ms);
          }
        } else if (name == ":mode") {
          std::string want = trim(body);
          if (want == "interp") {
            session.set_mode(kestrel::Mode::Interp);
          } else if (want == "jit") {
            session.set_mode(kestrel::Mode::Jit);
          } else if (want == "tiered") {
            session.set_mode(kestrel::Mode::Tiered);
          } else if (!want.empty()) {
            std::cerr << "error: :mode takes tiered, interp or jit\n";
            ++failures;
          }
          kestrel::Mode now = session.mode();
          std::cout << "mode: "
                    << (now == kestrel::Mode::Jit      ? "jit"
                        : now == kestrel::Mode::Tiered ? "tiered"
                                                       : "interp")
                    << "\n";
        } else if (name == ":llvm") {
          std::cout << session.llvm_of(trim(body));
        } else if (name == ":cuda") {
          std::cout << session.cuda_of(trim(body));
        } else if (name == ":target") {
          std::string want = trim(body);
          if (want == "gpu") {
            if (std::string why = kestrel::gpu_unavailable(); !why.empty()) {
              std::cerr << "error: --target gpu: " << why << "\n";
              ++failures;
            } else {
              session.set_target(kestrel::Target::Gpu);
              session.set_mode(kestrel::Mode::Jit);
            }
          } else if (want == "cpu") {
            session.set_target(kestrel::Target::Cpu);
          } else if (!want.empty()) {
            std::cerr << "error: :target takes cpu or gpu\n";
            ++failures;
          }
          std::cout << "target: " << (session.target() == kestrel::Target::Gpu ? "gpu" : "cpu")
                    << "\n";
        } else if (name == ":vars") {
          for (const std::string& v : session.variables()) {
            std::cout << v << "\n";
          }
          for (const std::string& d : session.definitions()) {
            std::cout << d << " (definition)\n";
          }
        } else {
          std::cerr << "unknown command " << name << " (try :help)\n";
          ++failures;
        }
      } else {
        session.run(entry, nullptr, &g_interrupt);
      }
      std::fflush(stdout);
    } catch (const kestrel::Error& error) {
      std::fflush(stdout);
      std::cerr << error.what();
      std::cerr.flush();
      ++failures;
    } catch (const std::exception& error) {
      // The engine gives only kestrel::Error; this keeps the REPL alive if that ever breaks.
      std::fflush(stdout);
      std::cerr << "error: internal error: " << error.what() << "\n";
      ++failures;
    }
    std::cout.flush();
  }
  sigaction(SIGINT, &previous, nullptr);
  for (int& fd : g_sigint_pipe) {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
  // A piped session reports whether every entry succeeded; an interactive one always exits 0.
  return (!tty && failures > 0) ? 1 : 0;
}
