#pragma once
// The JIT's on-disk object cache: one file per compiled program, holding the relocatable object
// LLVM produced and the tables lowering would have filled in (sites, strings, signatures, the
// optimised module's text), so a hit skips lowering, optimisation and code generation and hands
// the object straight to the LLJIT.
//
// An entry is named by a SHA-256 key over everything the code depends on: the typed IR (every
// function of the script and of its imports), every span in it (error sites carry them), the
// LLVM version, the host CPU (host_cpu), the optimisation options, the engine's binary and the JIT
// module's file, and a format version. Reading, writing and naming entries needs no LLVM
// (cache_entry.cpp, in the engine): native_program.hpp's load_from_cache links a hit with the
// object loader, so a run whose code is cached never loads the JIT module. On disk an entry is a
// header (magic, format version, payload length, xxh3 checksum of the payload) and the payload; it
// is written to a temporary file in the same folder and renamed, so a reader sees a whole entry or
// none. Anything that does not check out is a miss, and the next store overwrites it. A folder that
// cannot be written disables the cache. The folder is kept under 256 MiB, least recently used
// entries first out.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codegen/llvm/program.hpp"

namespace llvm {
class Module;
}

namespace kestrel::jit::cache {

/// `$XDG_CACHE_HOME/kestrel`, else `$HOME/.cache/kestrel`; empty when neither is set.
std::filesystem::path default_dir();

/// The folder `options` asks for (its cache_dir, else default_dir()); empty when caching is off.
std::filesystem::path dir_of(const Options& options);

/// The entry name for `program` compiled with `options` for the CPU `cpu` (host_cpu(), or where
/// that is empty, LLVM's name for the host CPU and its features): 64 hex digits.
std::string key_of(const ir::Program& program, const Options& options, std::string_view cpu);

/// This CPU as the code generated for it depends on it, read without LLVM (CPUID on x86-64);
/// empty on other machines.
std::string host_cpu();

/// A file as the cache tells builds apart: its path, size, modification time and inode.
std::string file_identity(const std::string& path);

/// What an entry holds besides its key.
struct Entry {
  std::string object;       // the relocatable object file
  std::string data_layout;  // the target's, so a hit needs no TargetMachine
  LoweredTables tables;
  std::vector<char> compiled;  // by FnId: 1 where the object defines the function
  /// The optimised module's text and its functions' (by FnId), for emit_llvm: only in an entry
  /// compiled with Options::keep_text (printing costs a few percent of a compile); empty
  /// otherwise, and a compile that asks for the text treats such an entry as a miss.
  std::string module_text;
  std::vector<std::string> function_text;
};

/// Whether `entry` serves a compile with `options`: it holds the text if the compile keeps it.
bool serves(const Entry& entry, const Options& options);

/// The entry `key` in `dir`, or nothing when it is absent, truncated, corrupt or for another key.
std::optional<Entry> load(const std::filesystem::path& dir, const std::string& key);

/// Writes `entry` as `key` in `dir` (atomically: a temporary file, then a rename). False, and
/// nothing written, when the folder cannot be created or written.
bool store(const std::filesystem::path& dir, const std::string& key, const Entry& entry);

/// Keeps the entries in `dir` under `max_bytes`: past it, removes the least recently used ones
/// (by modification time, which a hit refreshes) down to half. Also removes temporary files older
/// than an hour (left by a writer that died). store() calls it with 256 MiB.
void trim(const std::filesystem::path& dir, std::uintmax_t max_bytes);

/// The path of entry `key` in `dir` (for tests).
std::filesystem::path entry_path(const std::filesystem::path& dir, const std::string& key);

/// Lowering embeds each str constant as the address of its std::string in `strings`, which
/// differs from process to process. This rewrites every such use into a load from an exported
/// global slot (`kestrel.str.N`; the driver stores the string's address there after linking), so
/// the object can be reused. False when the module still holds a process address afterwards (a
/// use it could not rewrite, or any other `inttoptr` of a constant): the code is then still
/// correct in this process, but must not be cached.
bool externalise_strings(llvm::Module& module, const std::deque<std::string>& strings);

/// The slot name of string constant `n`.
std::string string_slot(std::size_t n);

}  // namespace kestrel::jit::cache
