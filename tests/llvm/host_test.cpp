// jit::Host (programs sharing one LLJIT, each in its own JITDylib and ResourceTracker),
// Options::roots (only what the roots reach is compiled) and the tail folding of large loops.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "tests/llvm/jit_helpers.hpp"

namespace kestrel::jit::testing {
namespace {

constexpr const char* kTwice = R"(
fn twice(x: i64) -> i64 {
    return 2 * x
}
fn unused(x: i64) -> i64 {
    return x + 1
}
fn caller(x: i64) -> i64 {
    return twice(x) + 1
}
)";

Options no_cache() {
  Options o;
  o.use_cache = false;
  return o;
}

std::int64_t call_i64(CompiledProgram& code, const ir::Program& p, const char* fn,
                      std::int64_t arg) {
  Value v;
  v.type = ir::Type::i64();
  v.i = arg;
  return call(code, p.find_function(fn), std::vector<Value>{v}).i;
}

// Programs defining the same symbols live side by side in one Host, and each one's code goes
// with it (the REPL compiles every entry into its session's Host).
TEST(JitHost, ProgramsShareOneHost) {
  diag::SourceManager sources;
  auto p = check_text(sources, kTwice);
  ASSERT_TRUE(p);
  std::shared_ptr<Host> host = make_host();
  auto a = compile(*p, no_cache(), host);
  auto b = compile(*p, no_cache(), host);
  EXPECT_EQ(call_i64(*a, *p, "caller", 20), 41);
  EXPECT_EQ(call_i64(*b, *p, "caller", 5), 11);
  a.reset();  // removes a's tracker and JITDylib, leaves b alone
  EXPECT_EQ(call_i64(*b, *p, "twice", 7), 14);
  for (int k = 0; k < 20; ++k) {  // as many entries as a REPL session has
    auto c = compile(*p, no_cache(), host);
    EXPECT_EQ(call_i64(*c, *p, "unused", k), k + 1);
  }
}

// With roots, only they and what they call are compiled; the others are not callable.
TEST(JitHost, RootsCompileWhatTheyReach) {
  diag::SourceManager sources;
  auto p = check_text(sources, kTwice);
  ASSERT_TRUE(p);
  Options o = no_cache();
  o.roots = {p->find_function("caller")};
  auto code = compile(*p, o);
  EXPECT_EQ(call_i64(*code, *p, "caller", 3), 7);
  EXPECT_NE(native_address(*code, p->find_function("twice")), nullptr);  // reached by caller
  EXPECT_FALSE(emit_llvm_function(*code, p->find_function("twice")).empty());
  EXPECT_TRUE(emit_llvm_function(*code, p->find_function("unused")).empty());
  EXPECT_THROW(native_address(*code, p->find_function("unused")), std::logic_error);
  EXPECT_THROW(call_i64(*code, *p, "unused", 1), std::logic_error);
  EXPECT_THROW(call_i64(*code, *p, "twice", 1), std::logic_error);  // its entry was not made
  EXPECT_THROW(run_main(*code), std::logic_error);
}

// The same roots through the object cache: a hit links only what the miss compiled, and other
// roots are another entry.
TEST(JitHost, RootsThroughTheCache) {
  diag::SourceManager sources;
  auto p = check_text(sources, kTwice);
  ASSERT_TRUE(p);
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "kestrel_host_test_cache";
  std::filesystem::remove_all(dir);
  Options o;
  o.cache_dir = dir;
  o.roots = {p->find_function("caller")};
  auto miss = compile(*p, o);
  EXPECT_FALSE(last_cache_hit(*miss));
  auto hit = compile(*p, o);
  EXPECT_TRUE(last_cache_hit(*hit));
  EXPECT_EQ(call_i64(*hit, *p, "caller", 4), 9);
  EXPECT_THROW(native_address(*hit, p->find_function("unused")), std::logic_error);
  o.roots = {p->find_function("unused")};
  auto other = compile(*p, o);
  EXPECT_FALSE(last_cache_hit(*other));
  EXPECT_EQ(call_i64(*other, *p, "unused", 4), 5);
  std::filesystem::remove_all(dir);
}

// A loop drawing random numbers is large enough to have its tail folded into the vector loop:
// every trip count around the vector width gives the interpreter's answer.
TEST(JitHost, FoldedTailsKeepTheAnswer) {
  std::string text = "import montecarlo\n";
  for (int n : {1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 100, 1000}) {
    text += "print(montecarlo.pi(" + std::to_string(n) + ", 5))\n";
  }
  diag::SourceManager sources;
  auto p = check_text(sources, text);
  ASSERT_TRUE(p);
  Outcome interp = run_program(sources, *p, Mode::Interp);
  Outcome jit = run_program(sources, *p, Mode::Jit);
  EXPECT_EQ(jit.out, interp.out);
  EXPECT_EQ(jit.error, "");
}

}  // namespace
}  // namespace kestrel::jit::testing
