// A runtime error inside a block loop leaves no stream open after the run (Engine::run ends the
// streams its run opened), in every mode; a loop that runs to its end closes its stream too.
#include <gtest/gtest.h>

#include <string>

#include "kestrel/kestrel.hpp"
#include "runtime/stream.hpp"

namespace {

constexpr const char* kFails = R"(
for t in csv_blocks(")" KESTREL_SOURCE_DIR R"(/tests/lang/stream/data/cities.csv", 2) {
    assert(t.rows < 0, "stop inside the loop")
}
)";

constexpr const char* kRuns = R"(
var n = 0
for t in csv_blocks(")" KESTREL_SOURCE_DIR R"(/tests/lang/stream/data/cities.csv", 2) {
    n += t.rows
}
print(n)
)";

class StreamCleanup : public ::testing::TestWithParam<kestrel::Mode> {};

TEST_P(StreamCleanup, ErrorInLoopClosesItsStream) {
  kestrel::EngineOptions options;
  options.mode = GetParam();
  kestrel::Engine engine(options);
  std::int64_t before = kestrel::rt::open_streams();
  std::string out;
  EXPECT_THROW(engine.run_source("fails.kst", kFails, &out), kestrel::Error);
  EXPECT_EQ(kestrel::rt::open_streams(), before);
  engine.run_source("runs.kst", kRuns, &out);
  EXPECT_EQ(out, "7\n");
  EXPECT_EQ(kestrel::rt::open_streams(), before);
}

// The same through a Module's calls (typed, by text) and a REPL entry: a stream never outlives
// the call that opened it.
constexpr const char* kFunctions = R"(
fn fails(k: i64) -> i64 {
    for t in csv_blocks(")" KESTREL_SOURCE_DIR R"(/tests/lang/stream/data/cities.csv", 2) {
        assert(t.rows < k, "stop inside the loop")
    }
    return 0
}
)";

TEST_P(StreamCleanup, ErrorInLoopClosesItsStreamInModuleCallsAndReplEntries) {
  kestrel::EngineOptions options;
  options.mode = GetParam();
  kestrel::Engine engine(options);
  std::int64_t before = kestrel::rt::open_streams();
  kestrel::Module m = engine.load_source("fns.kst", kFunctions);
  auto fails = m.function<std::int64_t(std::int64_t)>("fails");
  EXPECT_THROW(fails(0), kestrel::Error);
  EXPECT_EQ(kestrel::rt::open_streams(), before);
  EXPECT_THROW(m.call_text("fails", {"0"}), kestrel::Error);
  EXPECT_EQ(kestrel::rt::open_streams(), before);
  kestrel::Session session(engine);
  std::string out;
  EXPECT_THROW(session.run(kFails, &out), kestrel::Error);
  EXPECT_EQ(kestrel::rt::open_streams(), before);
}

INSTANTIATE_TEST_SUITE_P(Modes, StreamCleanup,
                         ::testing::Values(kestrel::Mode::Interp, kestrel::Mode::Jit,
                                           kestrel::Mode::Tiered));

}  // namespace
