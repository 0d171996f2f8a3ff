#pragma once
// A .npy file built block by block: npy_append(path, block) adds a block's rows (the first
// append to a path starts a new file beside it), npy_finish(path) writes the final header and
// renames the file into place (as save_npy does: no reader ever sees half a file). Every block
// must have the first's element type, rank and columns. A file npy_append started that no
// npy_finish completed (a run that failed before it) is removed at the end of that run (a program
// run by the engine) or when the process exits.
#include <cstdint>
#include <string>

#include "runtime/array.hpp"

namespace kestrel::rt {

/// Appends the rows of `a` (numeric or bool) to the file being built at `path`; raises, naming
/// the file, when `a` differs from the first block in element type, rank or columns.
void npy_append(const std::string& path, const Array& a);
/// Finishes the file at `path`; raises "npy_finish: nothing was appended to PATH" when no
/// npy_append started one.
void npy_finish(const std::string& path);
/// Removes the files npy_append started in run `run` (Limits::run; all of them with `all`) that
/// no npy_finish completed: at the end of a run (engine), and at the process's exit.
void remove_run_writers(std::uint64_t run, bool all = false);

}  // namespace kestrel::rt
