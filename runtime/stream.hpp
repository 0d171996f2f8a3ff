#pragma once
// Streams: a .npy or CSV file read by blocks of rows through a bounded amount of memory
// (`for block in npy_blocks(path, f64, 2, rows) { … }`, `for t in csv_blocks(path, rows) { … }`).
// A reader thread reads ahead (plain pread into a few reused buffers: never a mapping of the whole
// file) while the program computes on the current block, so at most kStreamDepth blocks are alive
// beside the one the program holds. The checker lowers the loop to these calls on an i64 handle:
//   let h = open(…); while stream_next(h) { let block = stream_block(h); … }
// with stream_close(h) before a `break` or `return` that leaves the loop; the end of the file
// closes the stream too. Errors name the file (and, for CSV, the line of the record at fault).
#include <cstdint>
#include <string>

#include "runtime/array.hpp"
#include "runtime/csv.hpp"

namespace kestrel::rt {

/// Blocks read ahead of the program (and buffers the reader cycles through).
inline constexpr int kStreamDepth = 3;

/// Opens `path` as a .npy file of `elem` and `rank` (load_npy's checks and messages) to be read
/// `rows` rows at a time; raises "npy_blocks: rows must be positive, not 0" for rows < 1.
std::int64_t npy_stream_open(const std::string& path, Elem elem, int rank, std::int64_t rows);
/// Opens `path` as a CSV file (read_csv's format) to be read `rows` records at a time.
/// With `parts` > 1, only part `part` (0 to parts - 1) of the file: the records that start in
/// its bytes [size * part / parts, size * (part + 1) / parts) (csv_stream.cpp).
std::int64_t csv_stream_open(const std::string& path, std::int64_t rows, std::int64_t part = 0,
                             std::int64_t parts = 1);
/// Moves to the next block; false (and the stream closed) at the end of the file. Raises the
/// reader's error (a short read, a ragged CSV record) when the block at fault is reached.
bool stream_next(std::int64_t handle);
/// The current block of a .npy stream: rows x cols (rank 2) or rows (rank 1); the last block
/// may be shorter.
ArrayRef stream_array(std::int64_t handle);
/// The current block of a CSV stream: a table with the file's header.
TableRef stream_table(std::int64_t handle);
/// Stops the reader and frees the stream's buffers (a block the program still holds stays
/// valid). Closing a closed stream does nothing.
void stream_close(std::int64_t handle);
/// Closes the streams run `run` (Limits::run) opened and left open (a runtime error left their
/// loops): the engine calls it when a run ends.
void close_run_streams(std::uint64_t run);
/// Streams open now (for tests: a loop left by break or return closes its stream).
std::int64_t open_streams();

}  // namespace kestrel::rt
