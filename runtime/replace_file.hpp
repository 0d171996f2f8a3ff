#pragma once
// Writing a file whole or not at all (save_npy, write_csv, `kestrel fmt --write`): the bytes go
// into a new file beside the path, renamed over it once complete. A reader never sees half a file,
// and a file that is still memory-mapped (load_npy's arrays) keeps its old contents, where writing
// it in place truncated it under the mapping (SIGBUS on the next read).
#include <cstdio>
#include <functional>
#include <string>

namespace kestrel::rt {

/// Replaces `path` with what `write` puts in the FILE it is given (it returns false when a write
/// failed). Raises RuntimeError "<path>: cannot write file" when the file cannot be made,
/// written or renamed, leaving no temporary file behind. What writing in place keeps is kept: a
/// symbolic link's target is the file replaced, and an existing file's permissions stay.
void replace_file(const std::string& path, const std::function<bool(std::FILE*)>& write);

/// A fresh temporary name beside `path` (its folder, so the rename stays on one file system).
std::string temporary_beside(const std::string& path);

}  // namespace kestrel::rt
