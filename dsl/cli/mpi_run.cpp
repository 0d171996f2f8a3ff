// `kestrel run --ranks N` and the ranks' session around a run (dsl/cli/mpi_run.hpp).
#include "mpi_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "runtime/error.hpp"
#include "runtime/mpi.hpp"

namespace kestrel::cli {

int exec_mpirun(int ranks, const std::vector<std::string>& run_args) {
  std::vector<std::string> argv = {"mpirun"};
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (static_cast<unsigned>(ranks) > cores) {
    argv.emplace_back("--oversubscribe");
  }
  if (::geteuid() == 0) {
    // Open MPI refuses root unless both are set (mpirun(1)).
    ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  }
  argv.insert(argv.end(), {"-np", std::to_string(ranks), "/proc/self/exe", "run"});
  char exe[4096];
  ssize_t len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) {
    exe[len] = '\0';
    argv[argv.size() - 2] = exe;
  }
  argv.insert(argv.end(), run_args.begin(), run_args.end());
  std::vector<char*> cargv;
  for (std::string& a : argv) {
    cargv.push_back(a.data());
  }
  cargv.push_back(nullptr);
  std::fflush(nullptr);
  ::execvp("mpirun", cargv.data());
  std::cerr << "kestrel: --ranks needs mpirun (Open MPI: apt-get install openmpi-bin)\n";
  return 1;
}

std::string mpi_start() {
  try {
    rt::mpi_begin();
  } catch (const rt::RuntimeError& e) {
    return std::string("error: ") + e.what() + "\n";
  }
  return "";
}

int mpi_default_threads() {
  if (!rt::mpi_launched()) {
    return 0;
  }
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  int n = local != nullptr ? std::atoi(local) : 1;
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return std::max(1, static_cast<int>(cores) / std::max(1, n));
}

std::string mpi_prefix() { return rt::mpi_diag_prefix(); }

std::string mpi_prefixed(const std::string& text) {
  std::string prefix = mpi_prefix();
  if (prefix.empty()) {
    return text;
  }
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t nl = text.find('\n', at);
    std::size_t end = nl == std::string::npos ? text.size() : nl + 1;
    out += prefix + text.substr(at, end - at);
    at = end;
  }
  return out;
}

int mpi_finish(int status, const std::string& failure) {
  if (!rt::mpi_launched()) {
    return status;
  }
  std::string prefix = mpi_prefix();
  std::string first = failure.substr(0, failure.find('\n'));
  std::optional<std::string> err = rt::mpi_end(failure.empty() ? nullptr : &first);
  if (err) {
    std::fflush(stdout);
    // One write, so that ranks' lines do not interleave in mpirun's forwarding.
    std::string line = prefix + "error: " + *err + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
    status = status == 0 ? 1 : status;
  }
  rt::mpi_finalize();
  return status;
}

}  // namespace kestrel::cli
