#pragma once
// .npy files (NumPy format 1.0/2.0/3.0 header, C order, little-endian): load by mapping the file
// (private read-write mapping: writes to the array never reach the file), save as format 1.0.
// dtypes: |b1 (bool), <i4, <i8, <f4, <f8.
#include <cstdint>
#include <string>

#include "runtime/array.hpp"

namespace kestrel::rt {

/// load_npy(path, elem, rank): raises, naming the file, when it cannot be opened, is not a .npy
/// file, or its dtype, rank or order differ from what was stated ("w.npy: holds f32 data, not
/// f64"; "w.npy: has rank 1, not 2"; "w.npy: is in Fortran order").
ArrayRef load_npy(const std::string& path, Elem elem, int rank);
/// Where a .npy file's elements are, from its first `avail` bytes (at least the whole header)
/// and its size: the checks and messages of load_npy (dtype, rank, order, truncation). Shared by
/// load_npy and the block streams (runtime/stream.hpp).
struct NpyLayout {
  Shape shape{0};
  std::uint64_t count = 0;      // elements
  std::size_t data_offset = 0;  // bytes from the start of the file
};
NpyLayout npy_layout(const std::string& path, const unsigned char* bytes, std::size_t avail,
                     std::uint64_t file_size, Elem elem, int rank);
/// The format 1.0 header of a C-order array of `elem` with `shape`, padded to a multiple of 64.
std::string npy_header(Elem elem, Shape shape);

/// save_npy(path, a): numeric or bool arrays; raises when the file cannot be written.
void save_npy(const std::string& path, const Array& a);

}  // namespace kestrel::rt
