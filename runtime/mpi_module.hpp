#pragma once
// The interface between the runtime's collectives (runtime/mpi.cpp) and libkestrel_mpi.so
// (mpi/kestrel_mpi_module.cpp), the only code that includes <mpi.h> and links Open MPI. The
// runtime dlopens the module when the process runs under mpirun, so an ordinary `kestrel run`
// never loads MPI, and a build without MPI still builds and runs every program as one rank.
#include <cstddef>
#include <cstdint>

namespace kestrel::rt {

inline constexpr int kMpiModuleVersion = 1;
inline constexpr const char* kMpiModuleFile = "libkestrel_mpi.so";
inline constexpr const char* kMpiModuleEntry = "kestrel_mpi_module";

/// Each call returns 0 on success, else writes a message into err (errlen bytes) and returns
/// nonzero. Every call but init and finalize is collective over MPI_COMM_WORLD.
struct MpiModuleApi {
  int version;
  int (*init)(int* rank, int* size, char* err, std::size_t errlen);
  /// Every rank sends `bytes` (the same on every rank); recv gets size * bytes in rank order.
  int (*allgather)(const void* send, std::int64_t bytes, void* recv, char* err, std::size_t errlen);
  /// Rank k sends counts[k] bytes; recv gets them at displs[k].
  int (*allgatherv)(const void* send, std::int64_t bytes, void* recv, const int* counts,
                    const int* displs, char* err, std::size_t errlen);
  int (*bcast)(void* buf, std::int64_t bytes, int root, char* err, std::size_t errlen);
  void (*finalize)();
};

}  // namespace kestrel::rt

extern "C" {
using KestrelMpiModuleEntry = const kestrel::rt::MpiModuleApi* (*)();
}
