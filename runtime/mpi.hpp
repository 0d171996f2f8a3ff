#pragma once
// MPI ranks and collectives (issue 18): rank(), ranks(), allreduce, broadcast, gather. One
// implementation for every backend (the interpreter calls it directly, the JIT through
// runtime/abi_list.hpp).
//
// Outside mpirun a program is one rank: rank() 0, ranks() 1, every collective the identity (a
// gather of a scalar a 1-element array), and MPI is never loaded. Under mpirun
// (OMPI_COMM_WORLD_SIZE set) the runtime dlopens libkestrel_mpi.so (runtime/mpi_module.hpp).
//
// Every collective starts with an agreement step: each rank contributes a fixed-size header
// (what it calls, element type, shape, root, and its status) to an allgather, so every rank sees
// every header and reaches the same verdict. A mismatch (another collective, another shape, a
// rank that failed or finished its program) is then the same runtime error on every rank, raised
// at each rank's own call; nothing waits for a rank that will never come. A rank whose program
// fails outside a collective joins the next exchange with its error (mpi_end), so the others
// raise "rank K failed: …". Payloads are combined in rank order by this same code on every rank
// (an allgather, then a left fold over ranks 0..N-1): every rank holds the same bits, and the
// same N gives the same bits on every run.
#include <cstdint>
#include <optional>
#include <string>

#include "runtime/array.hpp"

namespace kestrel::rt {

/// The collectives, as the IR passes them (an i64 constant).
enum class MpiFn : std::uint32_t { AllreduceSum, AllreduceMin, AllreduceMax, Broadcast, Gather };

/// True when this process was started by mpirun (Open MPI's OMPI_COMM_WORLD_SIZE is set).
bool mpi_launched();

/// Under mpirun: loads libkestrel_mpi.so and initialises MPI (once); ranks other than 0 then
/// write their standard output to /dev/null (only rank 0 prints). Raises RuntimeError when the
/// module cannot be loaded. Outside mpirun it does nothing. Called by `kestrel run` before the
/// program starts, and lazily by every collective.
void mpi_begin();

std::int64_t mpi_rank();
std::int64_t mpi_ranks();

/// allreduce or broadcast of a scalar (numeric): every rank gets the same value.
Value mpi_scalar(MpiFn fn, Value x, std::int64_t root);
/// allreduce or broadcast of an array (rank 1 or 2; a new contiguous array), or gather of an
/// array: the ranks' arrays concatenated along their first axis in rank order (1-D arrays of any
/// lengths; matrices with the same column count).
ArrayRef mpi_array(MpiFn fn, const Array& a, std::int64_t root);
/// gather of a scalar: a 1-D array of ranks() elements, rank k's value at k.
ArrayRef mpi_gather_scalar(Value x);

/// The program's end under mpirun: the final exchange. `failure` is this rank's error (its first
/// line, e.g. "file.kst:3:5: error: …") or null when the program ended well. Returns the error
/// this rank must report because another rank failed or the ranks' collectives did not match
/// (nothing when all is well, or when the failure was already agreed on in a collective).
/// Outside mpirun it does nothing.
std::optional<std::string> mpi_end(const std::string* failure);

/// After mpi_end and after this rank has written its errors: waits for every rank to get here
/// (so that mpirun, which ends the job at the first nonzero exit, cuts no rank's report short)
/// and finalizes MPI.
void mpi_finalize();

/// "rank K: " under mpirun with more than one rank, else "": the CLI's prefix for diagnostics.
std::string mpi_diag_prefix();

}  // namespace kestrel::rt
