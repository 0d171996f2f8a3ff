#pragma once
// `kestrel run` under MPI (issue 18; runtime/mpi.hpp): --ranks N starts mpirun itself, and a run
// under mpirun begins the ranks' session before the program and ends it with the final exchange.
#include <string>
#include <vector>

namespace kestrel::cli {

/// Replaces this process with `mpirun -np N <this kestrel> run ARGS...` (adding --oversubscribe
/// when N exceeds the cores, and allowing root when run as root). Returns only on failure, with
/// the exit status to use.
int exec_mpirun(int ranks, const std::vector<std::string>& run_args);

/// Under mpirun: loads MPI before the program runs (an error: the message to print, else empty).
std::string mpi_start();

/// Under mpirun: the threads per rank when --threads was not given (the cores shared among the
/// ranks on this node), else 0 (every core).
int mpi_default_threads();

/// The prefix of this rank's diagnostics ("rank 1: ") under mpirun with several ranks, else "".
std::string mpi_prefix();

/// Prefixes every line of `text` with mpi_prefix().
std::string mpi_prefixed(const std::string& text);

/// The final exchange: `failure` is the program's error text (empty when it ended well).
/// Prints the error this rank must report because of another rank and returns the exit status.
int mpi_finish(int status, const std::string& failure);

}  // namespace kestrel::cli
