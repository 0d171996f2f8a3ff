// kestrel_difftest: the differential random-program tester.
//
// A campaign generates one program per seed and runs it through the public API in every
// configuration (the interpreter and the JIT at several thread counts), comparing what each
// printed, whether it failed and the error text. The programs run in a child process (this
// binary with --worker, a fresh exec: the parent never starts an engine, so it holds no TBB or
// LLVM threads when it forks); a crash or a hang of the child is recorded against the seed it was
// running, and a new child takes over. Each divergence, crash, hang or checker rejection is saved
// under the findings folder with its seed, then shrunk (statement and block deletion that keeps
// the same failure) to a small .kst beside it.
//
//   kestrel_difftest --count N [--start S] [--findings DIR] [--features SPEC] [--configs LIST]
//                    [--timeout SEC] [--shrink K] [--progress K]
//   kestrel_difftest --list-features          the feature table (what the generator covers)
//   kestrel_difftest --print SEED             the program for a seed
//   kestrel_difftest --run FILE               one file in every configuration, in-process
//   kestrel_difftest --shrink-file FILE       shrinks a saved finding to FILE.min.kst
//
// Exit status: 0 when every program agreed in every configuration, 1 when anything was found.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <kestrel/kestrel.hpp>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/difftest/generator.hpp"

namespace fs = std::filesystem;
using kestrel::difftest::Features;
using kestrel::difftest::generate_program;

namespace {

constexpr const char* kProgramName = "difftest.kst";

/// One way of running a program: a mode and a thread count ("i1" interp at 1, "j8" JIT at 8;
/// "g1": the JIT with --target gpu, its parallel loops and launches on the GPU, or on the
/// emulated device under KESTREL_GPU_DEVICE=emulate).
struct Config {
  std::string name;
  kestrel::Mode mode;
  int threads;
  kestrel::Target target = kestrel::Target::Cpu;
};

std::vector<Config> parse_configs(const std::string& spec) {
  std::vector<Config> out;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.size() < 2 || std::string_view("ijgt").find(item[0]) == std::string_view::npos) {
      std::cerr << "bad config '" << item
                << "' (expected i<threads>, j<threads>, t<threads> or g<threads>)\n";
      std::exit(2);
    }
    kestrel::Mode mode = item[0] == 'i'   ? kestrel::Mode::Interp
                         : item[0] == 't' ? kestrel::Mode::Tiered
                                          : kestrel::Mode::Jit;
    out.push_back({item, mode, std::atoi(item.c_str() + 1),
                   item[0] == 'g' ? kestrel::Target::Gpu : kestrel::Target::Cpu});
  }
  return out;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

/// One token: spaces and odd characters become '_', cut to 80 characters.
std::string token(std::string s) {
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ':' && c != '-' && c != '/' &&
        c != '.') {
      c = '_';
    }
  }
  return s.substr(0, 80);
}

/// A signature as one folder name.
std::string folder(std::string sig) {
  for (char& c : sig) {
    c = c == '/' || c == ':' ? '_' : c;
  }
  return sig;
}

/// What one program did: "ok", or a finding with a signature that shrinking must keep.
struct Outcome {
  std::string kind;  // ok reject diverge internal crash hang stderr
  std::string sig;   // e.g. diverge:stdout:i1/j8, crash:11, reject:<message>
  std::string detail;
};

// ---- the worker: runs programs in-process, one request at a time ----------------------------

struct Run {
  std::string out;
  std::string error;  // the exception text, empty when it ran to the end
  bool internal = false;
};

Run run_one(const std::string& text, const Config& c, const fs::path& cache_dir) {
  kestrel::EngineOptions options;
  options.mode = c.mode;
  // Tiered (t<threads>): eager, so every call switches to native code and every loop that
  // reaches the interpreter's first loop poll continues natively from there.
  options.tier_policy = kestrel::TierPolicy::Eager;
  options.threads = c.threads;
  options.target = c.target;
  options.use_cache = !cache_dir.empty();
  options.cache_dir = cache_dir;
  Run r;
  try {
    kestrel::Engine engine(options);
    engine.run_source(kProgramName, text, &r.out);
  } catch (const kestrel::Error& e) {
    r.error = e.what();
  } catch (const std::exception& e) {
    r.error = std::string("exception: ") + e.what();
    r.internal = true;
  }
  return r;
}

std::string first_diff_line(const std::string& a, const std::string& b) {
  std::stringstream sa(a), sb(b);
  std::string la, lb;
  for (int n = 1;; ++n) {
    bool ga = static_cast<bool>(std::getline(sa, la));
    bool gb = static_cast<bool>(std::getline(sb, lb));
    if (!ga && !gb) {
      return "(same lines; differs in the final newline)";
    }
    if (!ga || !gb || la != lb) {
      return "line " + std::to_string(n) + ":\n  " + (ga ? la : "<end>") + "\n  " +
             (gb ? lb : "<end>");
    }
  }
}

Outcome evaluate(const std::string& text, const std::vector<Config>& configs,
                 const fs::path& cache_dir) {
  Outcome o{"ok", "ok", ""};
  {
    kestrel::Engine engine;
    kestrel::Diagnostics d = engine.check_source(kProgramName, text);
    if (!d.ok()) {
      std::string first = d.text.substr(0, d.text.find('\n'));
      std::size_t at = first.find("error: ");
      o.kind = "reject";
      o.sig = "reject:" + token(at == std::string::npos ? first : first.substr(at + 7));
      o.detail = d.text;
      return o;
    }
  }
  std::vector<Run> runs;
  for (const Config& c : configs) {
    runs.push_back(run_one(text, c, cache_dir));
  }
  for (std::size_t k = 0; k < runs.size(); ++k) {
    if (runs[k].internal) {
      o.kind = "internal";
      o.sig = "internal:" + configs[k].name;
      o.detail = configs[k].name + ": " + runs[k].error;
      return o;
    }
  }
  for (std::size_t k = 1; k < runs.size(); ++k) {
    const Run& a = runs[0];
    const Run& b = runs[k];
    std::string pair = configs[0].name + "/" + configs[k].name;
    if (a.error.empty() != b.error.empty() || a.error != b.error) {
      // the failing side's message, to tell one cause from another
      const std::string& msg = b.error.empty() ? a.error : b.error;
      std::size_t at = msg.find("error: ");
      std::string what = at == std::string::npos ? msg : msg.substr(at + 7);
      what = what.substr(0, std::min(what.find_first_of(":(0123456789\n"), std::size_t{32}));
      o.kind = "diverge";
      o.sig = "diverge:error:" + pair + ":" + token(what);
      o.detail = configs[0].name + " error: " + (a.error.empty() ? "(none)\n" : a.error) +
                 configs[k].name + " error: " + (b.error.empty() ? "(none)\n" : b.error);
      if (a.out != b.out) {
        o.detail += "and stdout differs at " + first_diff_line(a.out, b.out) + "\n";
      }
      return o;
    }
    if (a.out != b.out) {
      o.kind = "diverge";
      o.sig = "diverge:stdout:" + pair;
      o.detail = "stdout differs at " + first_diff_line(a.out, b.out) + "\n";
      return o;
    }
  }
  if (!runs[0].error.empty()) {
    o.kind = "ok-error";  // the same runtime error in every configuration
    o.sig = "ok-error";
  }
  return o;
}

/// Requests on stdin ("seed N" or "file PATH"), answers on stdout as
/// "@@R kind sig bytes\n" followed by `bytes` of detail.
int worker_main(const Features& features, const std::vector<Config>& configs, bool cache) {
  fs::path cache_dir;
  if (cache) {
    char tmpl[] = "/tmp/kestrel-difftest-cache-XXXXXX";
    if (mkdtemp(tmpl) != nullptr) {
      cache_dir = tmpl;
    }
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    std::string text;
    if (line.rfind("seed ", 0) == 0) {
      text = generate_program(std::stoull(line.substr(5)), features);
    } else if (line.rfind("file ", 0) == 0) {
      text = read_text(line.substr(5));
    } else {
      continue;
    }
    Outcome o = evaluate(text, configs, cache_dir);
    std::cout << "@@R " << o.kind << " " << o.sig << " " << o.detail.size() << "\n"
              << o.detail << std::flush;
  }
  if (!cache_dir.empty()) {
    std::error_code ec;
    fs::remove_all(cache_dir, ec);
  }
  return 0;
}

// ---- the parent: a child worker it restarts after a crash or a hang -------------------------

class Worker {
 public:
  Worker(std::vector<std::string> args, fs::path stderr_log)
      : args_(std::move(args)), stderr_log_(std::move(stderr_log)) {}
  ~Worker() { stop(); }

  /// Runs one request ("seed N" / "file PATH"); a crash or a hang ends this child.
  Outcome run(const std::string& request, double timeout_s) {
    if (pid_ <= 0) {
      start();
    }
    std::string msg = request + "\n";
    if (::write(to_, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) {
      return finish_dead();
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    const std::uintmax_t err_before = stderr_size();
    for (;;) {
      Outcome o;
      if (parse(&o)) {
        ++served_;
        // The engine writes nothing on the process's stderr while it runs a program (LLVM's
        // "remark: ... loop not vectorized" did, unseen here, until the JIT kept its
        // diagnostics): what the request added to the worker's stderr is a finding.
        if ((o.kind == "ok" || o.kind == "ok-error") && stderr_size() > err_before) {
          std::string text = read_text(stderr_log_);
          o = {"stderr", "stderr", text.substr(static_cast<std::size_t>(err_before), 2000)};
        }
        return o;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0) {
        ::kill(pid_, SIGKILL);
        reap();
        return {"hang", "hang", "no answer within " + std::to_string(timeout_s) + " s\n"};
      }
      pollfd p{from_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
      if (r <= 0) {
        continue;
      }
      char chunk[65536];
      ssize_t n = ::read(from_, chunk, sizeof chunk);
      if (n <= 0) {
        return finish_dead();
      }
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  /// A fresh child every `n` programs bounds what a long campaign accumulates in one process.
  void recycle_after(int n) {
    if (served_ >= n) {
      stop();
    }
  }

  void stop() {
    if (pid_ > 0) {
      ::close(to_);  // end of input: the worker returns
      int status = 0;
      for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
        ::usleep(20000);
      }
      if (::waitpid(pid_, &status, WNOHANG) == 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
      ::close(from_);
      pid_ = -1;
    }
  }

 private:
  void start() {
    int in[2];
    int out[2];
    if (::pipe(in) != 0 || ::pipe(out) != 0) {
      std::perror("pipe");
      std::exit(2);
    }
    pid_ = ::fork();
    if (pid_ < 0) {
      std::perror("fork");
      std::exit(2);
    }
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      int err = ::open(stderr_log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (err >= 0) {
        ::dup2(err, 2);
      }
      ::close(in[0]);
      ::close(in[1]);
      ::close(out[0]);
      ::close(out[1]);
      std::vector<char*> argv;
      for (std::string& a : args_) {
        argv.push_back(a.data());
      }
      argv.push_back(nullptr);
      ::execv("/proc/self/exe", argv.data());
      std::_Exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = out[0];
    buf_.clear();
    served_ = 0;
  }

  bool parse(Outcome* o) {
    std::size_t at = buf_.find("@@R ");
    if (at == std::string::npos) {
      return false;
    }
    std::size_t eol = buf_.find('\n', at);
    if (eol == std::string::npos) {
      return false;
    }
    std::stringstream head(buf_.substr(at + 4, eol - at - 4));
    std::size_t bytes = 0;
    head >> o->kind >> o->sig >> bytes;
    if (buf_.size() < eol + 1 + bytes) {
      return false;
    }
    o->detail = buf_.substr(eol + 1, bytes);
    buf_.erase(0, eol + 1 + bytes);
    return true;
  }

  void reap() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    last_status_ = status;
    ::close(to_);
    ::close(from_);
    pid_ = -1;
  }

  Outcome finish_dead() {
    reap();
    int st = last_status_;
    if (WIFSIGNALED(st)) {
      int sig = WTERMSIG(st);
      return {"crash", "crash:" + std::to_string(sig),
              std::string("worker killed by signal ") + std::to_string(sig) + " (" +
                  strsignal(sig) + ")\n"};
    }
    return {"crash", "crash:exit" + std::to_string(WEXITSTATUS(st)),
            "worker exited with status " + std::to_string(WEXITSTATUS(st)) + "\n"};
  }

  std::vector<std::string> args_;
  fs::path stderr_log_;

  std::uintmax_t stderr_size() const {
    std::error_code ec;
    const std::uintmax_t n = fs::file_size(stderr_log_, ec);
    return ec ? 0 : n;
  }
  pid_t pid_ = -1;
  int to_ = -1;
  int from_ = -1;
  int last_status_ = 0;
  int served_ = 0;
  std::string buf_;
};

// ---- shrinking ------------------------------------------------------------------------------

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  std::string l;
  while (std::getline(ss, l)) {
    lines.push_back(l);
  }
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) {
    s += l + "\n";
  }
  return s;
}

/// The line that closes the block opened at `i` (a line ending in '{'), or -1.
int block_end(const std::vector<std::string>& lines, int i) {
  int depth = 0;
  for (int k = i; k < static_cast<int>(lines.size()); ++k) {
    for (char c : lines[k]) {
      depth += c == '{' ? 1 : c == '}' ? -1 : 0;
    }
    if (depth == 0) {
      return k;
    }
  }
  return -1;
}

/// Deletes lines, blocks and block headers while the outcome keeps its signature.
std::string shrink(Worker& worker, const std::string& text, const std::string& sig,
                   const fs::path& scratch, double timeout_s, int max_tries) {
  std::vector<std::string> lines = split_lines(text);
  int tries = 0;
  auto keeps = [&](const std::vector<std::string>& cand) {
    ++tries;
    write_text(scratch, join_lines(cand));
    Outcome o = worker.run("file " + scratch.string(), timeout_s);
    return o.sig == sig;
  };
  bool changed = true;
  while (changed && tries < max_tries) {
    changed = false;
    // whole blocks (functions, loops, ifs) first
    for (int i = static_cast<int>(lines.size()) - 1; i >= 0 && tries < max_tries; --i) {
      if (lines[i].empty() || lines[i].back() != '{') {
        continue;
      }
      int j = block_end(lines, i);
      if (j < 0) {
        continue;
      }
      std::vector<std::string> cand(lines.begin(), lines.begin() + i);
      cand.insert(cand.end(), lines.begin() + j + 1, lines.end());
      if (keeps(cand)) {
        lines = cand;
        changed = true;
        continue;
      }
      // keep the body, drop the header and the closing brace (an if or a loop unwrapped)
      if (lines[i].find("fn ") == std::string::npos &&
          lines[i].find("kernel ") == std::string::npos &&
          lines[i].find("else") == std::string::npos &&
          lines[j] == lines[j].substr(0, lines[j].find('}')) + "}") {
        std::vector<std::string> body(lines.begin(), lines.begin() + i);
        body.insert(body.end(), lines.begin() + i + 1, lines.begin() + j);
        body.insert(body.end(), lines.begin() + j + 1, lines.end());
        if (keeps(body)) {
          lines = body;
          changed = true;
        }
      }
    }
    // runs of lines, halving
    for (int size = std::max<int>(1, static_cast<int>(lines.size()) / 2); size >= 1; size /= 2) {
      for (int start = static_cast<int>(lines.size()) - size; start >= 0 && tries < max_tries;
           --start) {
        bool braces = false;
        for (int k = start; k < start + size; ++k) {
          braces = braces || lines[k].find_first_of("{}") != std::string::npos;
        }
        if (braces) {
          continue;  // blocks go whole, above
        }
        std::vector<std::string> cand(lines.begin(), lines.begin() + start);
        cand.insert(cand.end(), lines.begin() + start + size, lines.end());
        if (keeps(cand)) {
          lines = cand;
          changed = true;
          start = std::min(start, static_cast<int>(lines.size()) - size + 1);
        }
      }
      if (size == 1) {
        break;
      }
    }
  }
  return join_lines(lines);
}

// ---- the campaign ---------------------------------------------------------------------------

struct Args {
  std::uint64_t start = 1;
  std::uint64_t count = 0;
  std::string findings = "build/difftest-findings";
  std::string features_spec;
  std::string configs = "i1,i8,j1,j2,j8";
  double timeout = 60;
  int shrink = 2;
  int progress = 100;
  int recycle = 300;
  bool cache = true;
};

int campaign(const Args& args, const std::string& self) {
  fs::create_directories(args.findings);
  std::vector<std::string> wargs = {self, "--worker", "--configs", args.configs};
  if (!args.features_spec.empty()) {
    wargs.push_back("--features=" + args.features_spec);
  }
  if (!args.cache) {
    wargs.push_back("--no-cache");
  }
  Worker worker(wargs, fs::path(args.findings) / "worker-stderr.log");
  Features features;
  std::string err;
  features.apply(args.features_spec, &err);

  std::map<std::string, std::vector<std::uint64_t>> found;  // signature -> seeds
  std::map<std::string, int> kinds;
  auto t0 = std::chrono::steady_clock::now();
  std::uint64_t done = 0;
  for (std::uint64_t seed = args.start; seed < args.start + args.count; ++seed) {
    Outcome o = worker.run("seed " + std::to_string(seed), args.timeout);
    ++done;
    ++kinds[o.kind];
    if (o.kind != "ok" && o.kind != "ok-error") {
      found[o.sig].push_back(seed);
      fs::path dir = fs::path(args.findings) / folder(o.sig);
      fs::create_directories(dir);
      std::string base = "seed-" + std::to_string(seed);
      write_text(dir / (base + ".kst"), generate_program(seed, features));
      write_text(dir / (base + ".txt"),
                 "seed " + std::to_string(seed) + "\n" + o.sig + "\n" + o.detail);
      std::cout << "FOUND seed " << seed << ": " << o.sig << "\n" << std::flush;
    }
    worker.recycle_after(args.recycle);
    if (args.progress > 0 && done % static_cast<std::uint64_t>(args.progress) == 0) {
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::cout << "[" << done << "/" << args.count << "] " << done / s << " programs/s, "
                << (done - static_cast<std::uint64_t>(kinds["ok"] + kinds["ok-error"]))
                << " findings\n"
                << std::flush;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Shrink the first few seeds of each signature.
  for (const auto& [sig, seeds] : found) {
    for (std::size_t k = 0; k < seeds.size() && static_cast<int>(k) < args.shrink; ++k) {
      fs::path dir = fs::path(args.findings) / folder(sig);
      std::string base = "seed-" + std::to_string(seeds[k]);
      std::string text = read_text(dir / (base + ".kst"));
      double tmo = sig == "hang" ? std::min(args.timeout, 10.0) : args.timeout;
      std::string small =
          shrink(worker, text, sig, dir / (base + ".try.kst"), tmo, sig == "hang" ? 30 : 600);
      fs::remove(dir / (base + ".try.kst"));
      write_text(dir / (base + ".min.kst"), small);
      std::cout << "shrunk " << sig << " seed " << seeds[k] << ": " << split_lines(text).size()
                << " -> " << split_lines(small).size()
                << " lines: " << (dir / (base + ".min.kst")).string() << "\n"
                << std::flush;
    }
  }

  std::cout << "difftest: " << done << " programs (seeds " << args.start << ".."
            << args.start + args.count - 1 << ") in " << secs << " s, " << done / secs
            << " programs/s, configs " << args.configs << "\n";
  for (const auto& [kind, n] : kinds) {
    std::cout << "  " << kind << ": " << n << "\n";
  }
  for (const auto& [sig, seeds] : found) {
    std::cout << "  " << sig << ": " << seeds.size() << " (first seed " << seeds[0] << ")\n";
  }
  return found.empty() ? 0 : 1;
}

/// Shrinks one saved program (in a worker, so a crash is an outcome) to FILE.min.kst.
int shrink_file(const Args& args, const std::string& self, const std::string& path) {
  std::vector<std::string> wargs = {self, "--worker", "--configs", args.configs};
  if (!args.cache) {
    wargs.push_back("--no-cache");
  }
  Worker worker(wargs, "/dev/null");
  fs::path file = fs::absolute(path);
  Outcome o = worker.run("file " + file.string(), args.timeout);
  std::cout << "outcome: " << o.sig << "\n" << o.detail;
  if (o.kind == "ok" || o.kind == "ok-error") {
    return 0;
  }
  fs::path out = file;
  out.replace_extension(".min.kst");
  fs::path scratch = file;
  scratch.replace_extension(".try.kst");
  std::string small =
      shrink(worker, read_text(file), o.sig, scratch, args.timeout, o.kind == "hang" ? 30 : 600);
  fs::remove(scratch);
  write_text(out, small);
  std::cout << "shrunk to " << split_lines(small).size() << " lines: " << out.string() << "\n"
            << small;
  return 1;
}

int run_file_in_process(const std::string& path, const std::vector<Config>& configs) {
  std::string text = read_text(path);
  for (const Config& c : configs) {
    Run r = run_one(text, c, {});
    std::cout << "== " << c.name << (r.error.empty() ? "" : " (failed)") << "\n"
              << r.out << r.error;
  }
  Outcome o = evaluate(text, configs, {});
  std::cout << "== outcome: " << o.sig << "\n" << o.detail;
  return o.kind == "ok" ? 0 : 1;
}

[[noreturn]] void usage() {
  std::cerr << "usage: kestrel_difftest --count N [--start S] [--findings DIR] [--features SPEC]\n"
               "                        [--configs i1,i8,j1,j2,j8] [--timeout SEC] [--shrink K]\n"
               "                        [--progress K] [--no-cache]\n"
               "       kestrel_difftest --list-features | --print SEED | --run FILE |\n"
               "                        --shrink-file FILE\n"
               "SPEC: comma-separated +name / -name / all / none applied to the defaults\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  Args args;
  bool worker = false;
  std::string print_seed;
  std::string run_path;
  std::string shrink_path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      std::size_t eq = a.find('=');
      if (eq != std::string::npos) {
        return a.substr(eq + 1);
      }
      if (i + 1 >= argc) {
        usage();
      }
      return argv[++i];
    };
    auto is = [&](const char* name) {
      return a == name || a.rfind(std::string(name) + "=", 0) == 0;
    };
    if (a == "--worker") {
      worker = true;
    } else if (a == "--list-features") {
      std::cout << Features().describe();
      return 0;
    } else if (is("--features")) {
      args.features_spec = value();
    } else if (is("--configs")) {
      args.configs = value();
    } else if (is("--count")) {
      args.count = std::stoull(value());
    } else if (is("--start")) {
      args.start = std::stoull(value());
    } else if (is("--findings")) {
      args.findings = value();
    } else if (is("--timeout")) {
      args.timeout = std::stod(value());
    } else if (is("--shrink")) {
      args.shrink = std::stoi(value());
    } else if (is("--progress")) {
      args.progress = std::stoi(value());
    } else if (is("--recycle")) {
      args.recycle = std::stoi(value());
    } else if (a == "--no-cache") {
      args.cache = false;
    } else if (is("--print")) {
      print_seed = value();
    } else if (is("--run")) {
      run_path = value();
    } else if (is("--shrink-file")) {
      shrink_path = value();
    } else {
      usage();
    }
  }
  Features features;
  std::string err;
  if (!features.apply(args.features_spec, &err)) {
    std::cerr << err << "\n";
    return 2;
  }
  std::vector<Config> configs = parse_configs(args.configs);
  if (worker) {
    return worker_main(features, configs, args.cache);
  }
  if (!print_seed.empty()) {
    std::cout << generate_program(std::stoull(print_seed), features);
    return 0;
  }
  if (!run_path.empty()) {
    return run_file_in_process(run_path, configs);
  }
  if (!shrink_path.empty()) {
    return shrink_file(args, argv[0], shrink_path);
  }
  if (args.count == 0) {
    usage();
  }
  std::cout << "features: " << (args.features_spec.empty() ? "defaults" : args.features_spec)
            << "\n";
  return campaign(args, argv[0]);
}
