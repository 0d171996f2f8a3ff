// The JIT's on-disk object cache: a second compile is a hit and runs the same; a change in an
// imported module or in a span is a miss; a truncated or corrupt entry is ignored and rebuilt;
// concurrent compiles leave one valid entry; an unusable folder disables the cache.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include "codegen/llvm/jit.hpp"
#include "codegen/llvm/object_cache.hpp"
#include "dsl/diag/diagnostic.hpp"
#include "dsl/sema/check.hpp"
#include "tests/llvm/jit_helpers.hpp"

namespace kestrel::jit {
namespace {

namespace fs = std::filesystem;

/// A fresh folder under the system's temporary folder, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("kestrel-cache-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// The cache entries (`*.kjo`) in `dir`, and whether any temporary file was left behind.
std::vector<fs::path> entries(const fs::path& dir, bool* temporaries = nullptr) {
  std::vector<fs::path> found;
  if (temporaries != nullptr) {
    *temporaries = false;
  }
  if (!fs::exists(dir)) {
    return found;
  }
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".kjo") {
      found.push_back(e.path());
    } else if (temporaries != nullptr) {
      *temporaries = true;
    }
  }
  return found;
}

/// What one compile and run gave.
struct Result {
  bool hit = false;
  bool cached = false;
  std::string out;
  std::string error;  // `file:line:col: message`
  std::string llvm;   // emit_llvm's text, when compiled with Options::keep_text
};

/// Checks the file at `path` (imports from its folder, then stdlib/), compiles it with the
/// cache in `cache_dir` and runs it; `keep_text`: as Options::keep_text.
Result compile_and_run(const fs::path& path, const fs::path& cache_dir, bool use_cache = true,
                       bool keep_text = true) {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  auto program =
      sema::check_source(sources, path.string(), read_file(path), testing::check_options(), diags);
  Result r;
  if (!program || diags.has_errors()) {
    ADD_FAILURE() << diag::render(sources, diags);
    return r;
  }
  Options options;
  options.cache_dir = cache_dir;
  options.use_cache = use_cache;
  options.keep_text = keep_text;
  auto code = compile(*program, options);
  r.hit = last_cache_hit(*code);
  r.cached = cache_enabled(*code);
  if (keep_text) {
    r.llvm = emit_llvm(*code);
  }
  RunOptions run;
  run.out = &r.out;
  try {
    run_main(*code, run);
  } catch (const RunError& e) {
    r.error = diag::location(sources, e.span()) + ": " + e.message();
  }
  return r;
}

// String constants (the code refers to them through slots), a function call, a parallel loop
// and a runtime error whose location comes from the restored site table.
const char* kScript = R"(import montecarlo
fn twice(x: i64) -> i64 { return 2 * x }
print("twice:", twice(21), "pi:", montecarlo.pi(1000, 7))
let a = zeros(3)
print("label", a[1])
print(a[5])
)";

class CacheTest : public ::testing::Test {
 protected:
  TempDir src_;
  TempDir cache_;
  fs::path script_ = src_.path() / "main.kst";
};

TEST_F(CacheTest, SecondCompileIsAHitAndRunsTheSame) {
  write_file(script_, kScript);
  Result first = compile_and_run(script_, cache_.path());
  EXPECT_TRUE(first.cached);
  EXPECT_FALSE(first.hit);
  EXPECT_NE(first.out.find("twice: 42 pi:"), std::string::npos) << first.out;
  EXPECT_NE(first.error.find("main.kst:6:"), std::string::npos) << first.error;
  ASSERT_EQ(entries(cache_.path()).size(), 1u);

  Result second = compile_and_run(script_, cache_.path());
  EXPECT_TRUE(second.hit);
  EXPECT_EQ(second.out, first.out);
  EXPECT_EQ(second.error, first.error);
}

// A run does not keep the module's text, and its entry is stored without it: that entry serves
// runs, while a compile for emit_llvm treats it as a miss and stores one with the text, which
// serves both.
TEST_F(CacheTest, AnEntryWithoutTheTextServesRunsAndEmitCompilesAgain) {
  write_file(script_, kScript);
  Result run = compile_and_run(script_, cache_.path(), true, false);
  EXPECT_FALSE(run.hit);
  EXPECT_TRUE(compile_and_run(script_, cache_.path(), true, false).hit);

  Result emit = compile_and_run(script_, cache_.path(), true, true);
  EXPECT_FALSE(emit.hit);
  EXPECT_NE(emit.llvm.find("define"), std::string::npos);
  EXPECT_EQ(emit.out, run.out);
  ASSERT_EQ(entries(cache_.path()).size(), 1u);

  Result emit_hit = compile_and_run(script_, cache_.path(), true, true);
  EXPECT_TRUE(emit_hit.hit);
  EXPECT_EQ(emit_hit.llvm, emit.llvm);
  Result run_hit = compile_and_run(script_, cache_.path(), true, false);
  EXPECT_TRUE(run_hit.hit);
  EXPECT_EQ(run_hit.out, run.out);
  EXPECT_EQ(run_hit.error, run.error);
}

TEST_F(CacheTest, NoCacheNeitherReadsNorWrites) {
  write_file(script_, kScript);
  Result r = compile_and_run(script_, cache_.path(), false);
  EXPECT_FALSE(r.cached);
  EXPECT_FALSE(r.hit);
  EXPECT_TRUE(entries(cache_.path()).empty());
}

TEST_F(CacheTest, ChangedImportedModuleIsAMiss) {
  write_file(src_.path() / "helper.kst", "fn value() -> i64 { return 1 }\n");
  write_file(script_, "import helper\nprint(helper.value())\n");
  EXPECT_EQ(compile_and_run(script_, cache_.path()).out, "1\n");
  Result hit = compile_and_run(script_, cache_.path());
  EXPECT_TRUE(hit.hit);
  EXPECT_EQ(hit.out, "1\n");

  write_file(src_.path() / "helper.kst", "fn value() -> i64 { return 2 }\n");
  Result changed = compile_and_run(script_, cache_.path());
  EXPECT_FALSE(changed.hit);
  EXPECT_EQ(changed.out, "2\n");
  EXPECT_TRUE(compile_and_run(script_, cache_.path()).hit);
}

TEST_F(CacheTest, MovedCodeIsAMissSoErrorsKeepTheirLocation) {
  write_file(script_, kScript);
  Result first = compile_and_run(script_, cache_.path());
  write_file(script_, std::string("\n\n") + kScript);
  Result moved = compile_and_run(script_, cache_.path());
  EXPECT_FALSE(moved.hit);
  EXPECT_EQ(moved.out, first.out);
  EXPECT_NE(moved.error.find("main.kst:8:"), std::string::npos) << moved.error;
}

/// Damages the one entry with `damage`, then checks the next compile ignores it (a miss that
/// runs correctly), rewrites it, and the one after is a hit again.
void check_rebuilt(const fs::path& script, const fs::path& cache_dir,
                   const std::function<void(std::string&)>& damage) {
  Result first = compile_and_run(script, cache_dir);
  std::vector<fs::path> found = entries(cache_dir);
  ASSERT_EQ(found.size(), 1u);
  std::string bytes = read_file(found[0]);
  damage(bytes);
  write_file(found[0], bytes);

  Result rebuilt = compile_and_run(script, cache_dir);
  EXPECT_FALSE(rebuilt.hit);
  EXPECT_EQ(rebuilt.out, first.out);
  EXPECT_EQ(rebuilt.error, first.error);
  EXPECT_NE(read_file(found[0]), bytes) << "the damaged entry was not rewritten";

  Result again = compile_and_run(script, cache_dir);
  EXPECT_TRUE(again.hit);
  EXPECT_EQ(again.out, first.out);
}

TEST_F(CacheTest, TruncatedEntryIsIgnoredAndRebuilt) {
  write_file(script_, kScript);
  check_rebuilt(script_, cache_.path(), [](std::string& b) { b.resize(b.size() / 2); });
}

TEST_F(CacheTest, EntryCutInsideTheHeaderIsIgnoredAndRebuilt) {
  write_file(script_, kScript);
  check_rebuilt(script_, cache_.path(), [](std::string& b) { b.resize(10); });
}

TEST_F(CacheTest, BitFlippedEntryIsIgnoredAndRebuilt) {
  write_file(script_, kScript);
  // One bit in the object code, and one in the header's length field.
  check_rebuilt(script_, cache_.path(), [](std::string& b) { b[b.size() / 2] ^= 0x10; });
  check_rebuilt(script_, cache_.path(), [](std::string& b) { b[16] ^= 0x01; });
}

TEST_F(CacheTest, EntryOfAnotherProgramIsIgnored) {
  fs::path other = src_.path() / "other.kst";
  write_file(other, "print(\"other\", 1 + 2)\n");
  write_file(script_, kScript);
  Result other_first = compile_and_run(other, cache_.path());
  std::vector<fs::path> other_entry = entries(cache_.path());
  ASSERT_EQ(other_entry.size(), 1u);
  Result first = compile_and_run(script_, cache_.path());
  std::vector<fs::path> both = entries(cache_.path());
  ASSERT_EQ(both.size(), 2u);
  fs::path script_entry = both[0] == other_entry[0] ? both[1] : both[0];
  // A whole, well-formed entry under the wrong name (its payload names another key).
  fs::copy_file(other_entry[0], script_entry, fs::copy_options::overwrite_existing);

  Result again = compile_and_run(script_, cache_.path());
  EXPECT_FALSE(again.hit);
  EXPECT_EQ(again.out, first.out);
  EXPECT_EQ(again.error, first.error);
  EXPECT_TRUE(compile_and_run(script_, cache_.path()).hit);
  Result other_again = compile_and_run(other, cache_.path());
  EXPECT_TRUE(other_again.hit);
  EXPECT_EQ(other_again.out, "other 3\n");
  EXPECT_EQ(other_again.out, other_first.out);
}

TEST_F(CacheTest, ConcurrentCompilesLeaveOneValidEntry) {
  write_file(script_, kScript);
  Result reference = compile_and_run(script_, cache_.path(), false);
  constexpr int kThreads = 4;
  std::vector<Result> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { results[t] = compile_and_run(script_, cache_.path()); });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  for (const Result& r : results) {
    EXPECT_EQ(r.out, reference.out);
    EXPECT_EQ(r.error, reference.error);
  }
  bool temporaries = true;
  EXPECT_EQ(entries(cache_.path(), &temporaries).size(), 1u);
  EXPECT_FALSE(temporaries);
  Result after = compile_and_run(script_, cache_.path());
  EXPECT_TRUE(after.hit);
  EXPECT_EQ(after.out, reference.out);
}

TEST_F(CacheTest, ConcurrentProcessesLeaveOneValidEntry) {
  // No parallel loop: the children are forked from a process whose thread pool they lack.
  write_file(script_, "fn twice(x: i64) -> i64 { return 2 * x }\nprint(\"twice:\", twice(21))\n");
  Result reference = compile_and_run(script_, cache_.path(), false);
  std::vector<pid_t> children;
  for (int k = 0; k < 3; ++k) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Result r = compile_and_run(script_, cache_.path());
      ::_exit(r.out == reference.out ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  bool temporaries = true;
  EXPECT_EQ(entries(cache_.path(), &temporaries).size(), 1u);
  EXPECT_FALSE(temporaries);
  Result after = compile_and_run(script_, cache_.path());
  EXPECT_TRUE(after.hit);
  EXPECT_EQ(after.out, reference.out);
}

TEST_F(CacheTest, UnusableFolderDisablesTheCache) {
  write_file(script_, kScript);
  fs::path not_a_dir = src_.path() / "file";
  write_file(not_a_dir, "x");
  Result r = compile_and_run(script_, not_a_dir / "cache");
  EXPECT_FALSE(r.cached);
  EXPECT_FALSE(r.hit);
  EXPECT_NE(r.out.find("twice: 42"), std::string::npos);
}

TEST_F(CacheTest, TrimRemovesLeastRecentlyUsedEntriesAndStaleTemporaries) {
  std::vector<fs::path> scripts;
  std::vector<fs::path> entry_of;  // script k's entry
  for (int k = 0; k < 3; ++k) {
    scripts.push_back(src_.path() / ("p" + std::to_string(k) + ".kst"));
    write_file(scripts.back(), "print(" + std::to_string(k) + ")\n");
    compile_and_run(scripts.back(), cache_.path());
    for (const fs::path& e : entries(cache_.path())) {
      if (std::find(entry_of.begin(), entry_of.end(), e) == entry_of.end()) {
        entry_of.push_back(e);
      }
    }
  }
  ASSERT_EQ(entry_of.size(), 3u);
  // Entries dated 3, 2 and 1 hours ago; then a hit on the oldest makes it the newest.
  auto now = fs::file_time_type::clock::now();
  std::uintmax_t total = 0;
  for (std::size_t k = 0; k < entry_of.size(); ++k) {
    fs::last_write_time(entry_of[k], now - std::chrono::hours(3 - k));
    total += fs::file_size(entry_of[k]);
  }
  EXPECT_TRUE(compile_and_run(scripts[0], cache_.path()).hit);
  fs::path stale = cache_.path() / "x.kjo.tmp.1.2.3";
  fs::path fresh = cache_.path() / "y.kjo.tmp.1.2.3";
  write_file(stale, "partial");
  write_file(fresh, "partial");
  fs::last_write_time(stale, now - std::chrono::hours(2));

  cache::trim(cache_.path(), total - 1);  // over the limit: down to half, oldest first
  EXPECT_TRUE(fs::exists(entry_of[0])) << "the hit should have made it the most recently used";
  EXPECT_FALSE(fs::exists(entry_of[1]));
  EXPECT_FALSE(fs::exists(entry_of[2]));
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh)) << "a writer may still be writing it";
  EXPECT_TRUE(compile_and_run(scripts[0], cache_.path()).hit);
}

TEST_F(CacheTest, DefaultFolderFollowsXdgCacheHome) {
  const char* old = std::getenv("XDG_CACHE_HOME");
  std::string saved = old != nullptr ? old : "";
  ::setenv("XDG_CACHE_HOME", cache_.path().c_str(), 1);
  EXPECT_EQ(cache::default_dir(), cache_.path() / "kestrel");
  if (old != nullptr) {
    ::setenv("XDG_CACHE_HOME", saved.c_str(), 1);
  } else {
    ::unsetenv("XDG_CACHE_HOME");
  }
}

}  // namespace
}  // namespace kestrel::jit
