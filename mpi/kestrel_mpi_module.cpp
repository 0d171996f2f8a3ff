// libkestrel_mpi.so: Open MPI behind runtime/mpi_module.hpp's table. The runtime (runtime/mpi.cpp)
// dlopens it only under mpirun; everything Kestrel-specific (agreement on shapes, combining in
// rank order, errors) is in the runtime, so this file only moves bytes.
#include <mpi.h>

#include <climits>
#include <cstdio>
#include <cstring>

#include "runtime/mpi_module.hpp"

namespace {

int report(int code, const char* what, char* err, std::size_t errlen) {
  if (code == MPI_SUCCESS) {
    return 0;
  }
  char text[MPI_MAX_ERROR_STRING] = {0};
  int len = 0;
  MPI_Error_string(code, text, &len);
  std::snprintf(err, errlen, "%s failed: %s", what, text);
  return 1;
}

bool too_large(std::int64_t bytes, char* err, std::size_t errlen) {
  if (bytes > INT_MAX) {
    std::snprintf(err, errlen, "a collective of %lld bytes (at most %d per rank)",
                  static_cast<long long>(bytes), INT_MAX);
    return true;
  }
  return false;
}

int init(int* rank, int* size, char* err, std::size_t errlen) {
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited) {
    if (int rc = MPI_Init(nullptr, nullptr); rc != MPI_SUCCESS) {
      return report(rc, "MPI_Init", err, errlen);
    }
  }
  // Errors come back as codes (then located runtime errors), not an abort of the job.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
  return 0;
}

int allgather(const void* send, std::int64_t bytes, void* recv, char* err, std::size_t errlen) {
  if (too_large(bytes, err, errlen)) {
    return 1;
  }
  int n = static_cast<int>(bytes);
  return report(MPI_Allgather(send, n, MPI_BYTE, recv, n, MPI_BYTE, MPI_COMM_WORLD),
                "MPI_Allgather", err, errlen);
}

int allgatherv(const void* send, std::int64_t bytes, void* recv, const int* counts,
               const int* displs, char* err, std::size_t errlen) {
  if (too_large(bytes, err, errlen)) {
    return 1;
  }
  return report(MPI_Allgatherv(send, static_cast<int>(bytes), MPI_BYTE, recv, counts, displs,
                               MPI_BYTE, MPI_COMM_WORLD),
                "MPI_Allgatherv", err, errlen);
}

int bcast(void* buf, std::int64_t bytes, int root, char* err, std::size_t errlen) {
  if (too_large(bytes, err, errlen)) {
    return 1;
  }
  return report(MPI_Bcast(buf, static_cast<int>(bytes), MPI_BYTE, root, MPI_COMM_WORLD),
                "MPI_Bcast", err, errlen);
}

void finalize() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) {
    MPI_Barrier(MPI_COMM_WORLD);  // every rank has written its errors (runtime/mpi.hpp)
    MPI_Finalize();
  }
}

const kestrel::rt::MpiModuleApi kApi = {
    kestrel::rt::kMpiModuleVersion, init, allgather, allgatherv, bcast, finalize};

}  // namespace

extern "C" __attribute__((visibility("default"))) const kestrel::rt::MpiModuleApi*
kestrel_mpi_module() {
  return &kApi;
}
