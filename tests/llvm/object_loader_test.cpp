// The object cache's LLVM-free half: SHA-256 against FIPS 180-4's examples, and the object loader
// (codegen/llvm/object_loader.hpp) on a real cached object and on thousands of damaged copies of
// it: bytes flipped at random, cut short, fields set to extremes. A damaged copy is refused or
// loaded (a flip in the code's bytes is still a well-formed object), never followed out of the
// file's bounds (ASan checks that in the asan preset); nothing here runs the damaged code.
#include "codegen/llvm/object_loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "codegen/llvm/native_program.hpp"
#include "codegen/llvm/sha256.hpp"
#include "dsl/diag/diagnostic.hpp"
#include "dsl/sema/check.hpp"
#include "tests/llvm/jit_helpers.hpp"

namespace kestrel::jit {
namespace {

namespace fs = std::filesystem;

std::string sha(std::string_view text) {
  Sha256 h;
  h.update(text);
  return h.hex();
}

TEST(Sha256, MatchesTheStandardsExamples) {
  EXPECT_EQ(sha(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PiecesHashLikeTheWhole) {
  std::string text;
  for (int k = 0; k < 300; ++k) {
    text += static_cast<char>(k * 7 + 3);
  }
  for (std::size_t piece : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 128u}) {
    Sha256 h;
    for (std::size_t at = 0; at < text.size(); at += piece) {
      h.update(std::string_view(text).substr(at, piece));
    }
    EXPECT_EQ(h.hex(), sha(text)) << "pieces of " << piece;
  }
}

/// A script compiled once with the cache in a folder of its own; the entry's object.
class ObjectLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() /
           ("kestrel-loader-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(dir_);
    program_ = sema::check_source(sources_, "main.kst", kScript, testing::check_options(), diags_);
    ASSERT_TRUE(program_ && !diags_.has_errors()) << diag::render(sources_, diags_);
    options_.cache_dir = dir_;
    auto code = compile(*program_, options_);
    ASSERT_FALSE(last_cache_hit(*code));
    first_ = run(*code);
    std::optional<cache::Entry> entry =
        cache::load(dir_, cache::key_of(*program_, options_, cache::host_cpu()));
    ASSERT_TRUE(entry.has_value());
    object_ = entry->object;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  /// What run_main printed, then the error's location and message, if any.
  std::string run(CompiledProgram& code) {
    std::string out;
    RunOptions options;
    options.out = &out;
    try {
      run_main(code, options);
    } catch (const RunError& e) {
      out += diag::location(sources_, e.span()) + ": " + e.message();
    }
    return out;
  }

  // String constants (slots), calls, a parallel loop (a chunk function, the runtime's pool), a
  // runtime error (the site table), floating-point constants (read-only data).
  static constexpr const char* kScript = R"(import montecarlo
fn twice(x: i64) -> i64 { return 2 * x }
print("twice:", twice(21), "pi:", montecarlo.pi(1000, 7), sqrt(2.0) * 1.5)
let a = zeros(3)
print("label", a[1])
print(a[5])
)";

  fs::path dir_;
  diag::SourceManager sources_;
  diag::DiagnosticList diags_;
  std::optional<ir::Program> program_;
  Options options_;
  std::string first_;
  std::string object_;
};

TEST_F(ObjectLoaderTest, ACachedProgramLinkedWithoutLlvmRunsTheSame) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "the object loader links x86-64 code only";
#endif
  std::unique_ptr<CompiledProgram> loaded = load_from_cache(*program_, options_);
  ASSERT_NE(loaded, nullptr);
  EXPECT_TRUE(last_cache_hit(*loaded));
  EXPECT_EQ(run(*loaded), first_);
  EXPECT_NE(first_.find("main.kst:6:"), std::string::npos) << first_;
  // Loaded twice at once, and unloaded in either order.
  std::unique_ptr<CompiledProgram> again = load_from_cache(*program_, options_);
  ASSERT_NE(again, nullptr);
  loaded.reset();
  EXPECT_EQ(run(*again), first_);
}

TEST_F(ObjectLoaderTest, AnotherCpuOrModuleIsAMiss) {
  Options other = options_;
  other.jit_module = "/elsewhere/libkestrel_jit.so:1:2.3:4";
  EXPECT_EQ(load_from_cache(*program_, other), nullptr);
  EXPECT_NE(cache::key_of(*program_, options_, cache::host_cpu()),
            cache::key_of(*program_, options_, cache::host_cpu() + ":other"));
}

// The engine hashes a program once: load_from_cache leaves the key it looked up in the options,
// and compile() stores under that key instead of computing it again.
TEST_F(ObjectLoaderTest, AMissLeavesItsKeyForTheCompileThatStores) {
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  Options options = options_;
  ASSERT_TRUE(options.cache_key.empty());
  EXPECT_EQ(load_from_cache(*program_, options), nullptr);
  const std::string key = cache::key_of(*program_, options_, cache::host_cpu());
  EXPECT_EQ(options.cache_key, key);
  auto code = compile(*program_, options);
  EXPECT_FALSE(last_cache_hit(*code));
  EXPECT_TRUE(cache::load(dir_, key).has_value());
  // A key given by the caller names the entry: compile() does not hash the program itself.
  Options named = options_;
  named.cache_key = std::string(64, 'a');
  auto again = compile(*program_, named);
  EXPECT_FALSE(last_cache_hit(*again));
  EXPECT_TRUE(cache::load(dir_, named.cache_key).has_value());
  EXPECT_EQ(run(*again), first_);
}

void* any_symbol(std::string_view) {
  static char target[64];
  return target;
}

TEST_F(ObjectLoaderTest, DamagedObjectsAreRefusedOrLoadedNeverFollowedOutOfBounds) {
  std::string why;
  ASSERT_NE(LoadedObject::load(object_, any_symbol, &why), nullptr) << why;
  EXPECT_EQ(LoadedObject::load("", any_symbol, &why), nullptr);
  EXPECT_EQ(LoadedObject::load(object_.substr(0, 63), any_symbol, &why), nullptr);
  EXPECT_EQ(LoadedObject::load(
                object_, [](std::string_view) -> void* { return nullptr; }, &why),
            nullptr);
  EXPECT_NE(why.find("undefined symbol"), std::string::npos) << why;

  std::mt19937_64 rng(20261206);
  int refused = 0;
  int loaded = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string bad = object_;
    switch (round % 3) {
      case 0:  // a few random bytes flipped
        for (int k = 1 + static_cast<int>(rng() % 4); k > 0; --k) {
          bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
        }
        break;
      case 1:  // cut short
        bad.resize(rng() % bad.size());
        break;
      default: {  // an 8-byte field set to an extreme, at an 8-aligned offset in the headers
        std::uint64_t v = (rng() & 1) != 0 ? ~std::uint64_t{0} : (rng() % 4) << 62;
        std::size_t at = (rng() % (bad.size() / 8)) * 8;
        std::memcpy(bad.data() + at, &v, std::min<std::size_t>(8, bad.size() - at));
        break;
      }
    }
    (LoadedObject::load(bad, any_symbol, &why) ? loaded : refused) += 1;
  }
  EXPECT_GT(refused, 1000);  // cutting short alone refuses a third of the rounds
  EXPECT_GT(loaded, 0);      // flips in the code or data bytes still make a valid object
}

}  // namespace
}  // namespace kestrel::jit
