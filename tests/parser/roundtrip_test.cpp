// `kestrel fmt` keeps the tree: for every program in the source tree, parse → format → parse
// gives the same dump, and formatting is idempotent.
#include <gtest/gtest.h>

#include "tests/parser/corpus.hpp"
#include "tests/parser/parse_helpers.hpp"

namespace kestrel::parser::testing {
namespace {

TEST(RoundTrip, EveryProgramInTheSourceTree) {
  std::vector<CorpusFile> corpus = load_corpus();
  ASSERT_FALSE(corpus.empty()) << "no .kst files found under " << KESTREL_SOURCE_DIR;
  int checked = 0;
  int skipped = 0;
  for (const CorpusFile& file : corpus) {
    SCOPED_TRACE(file.path);
    Parsed first;
    parse_into(first, file.text, file.path);
    if (!first.program) {
      if (expected_to_fail(file)) {
        ++skipped;
      } else {
        ADD_FAILURE() << "does not parse:\n" << diag::render(first.sources, first.diags);
      }
      continue;
    }
    std::string formatted = format_program(*first.program);
    Parsed second;
    parse_into(second, formatted, file.path + " (formatted)");
    if (!second.program) {
      ADD_FAILURE() << "formatted text does not parse:\n"
                    << diag::render(second.sources, second.diags) << "--- formatted text:\n"
                    << formatted;
      continue;
    }
    EXPECT_EQ(dump_program(*first.program), dump_program(*second.program))
        << "--- formatted text:\n"
        << formatted;
    EXPECT_EQ(format_program(*second.program), formatted) << "formatting is not idempotent";
    ++checked;
  }
  std::printf("round-tripped %d programs, skipped %d error programs that do not parse\n", checked,
              skipped);
}

// The normative tour of DESIGN.md, in its canonical form (comments dropped).
TEST(RoundTrip, DesignTourCanonicalForm) {
  std::vector<CorpusFile> corpus = load_corpus();
  auto it = std::find_if(corpus.begin(), corpus.end(), [](const CorpusFile& f) {
    return f.path == "tests/parser/programs/design_tour.kst";
  });
  ASSERT_NE(it, corpus.end());
  EXPECT_EQ(fmt(it->text),
            R"(fn fib(n: i64) -> i64 {
    var a = 0
    var b = 1
    for i in 0..n {
        let t = a + b
        a = b
        b = t
    }
    return a
}

fn pi(n: i64, seed: i64) -> f64 {
    var hits = 0
    parallel for i in 0..n {
        let x = random(seed, 2 * i)
        let y = random(seed, 2 * i + 1)
        if x * x + y * y < 1.0 {
            hits += 1
        }
    }
    return 4.0 * f64(hits) / f64(n)
}

kernel vadd(a: f32[:], b: f32[:], out: f32[:]) {
    let i = index()
    out[i] = a[i] + b[i]
}

fn sse(a: f64[:], b: f64[:]) -> f64 {
    return sum((a - b) ** 2)
}

let a = arange(1000000, f32)
let b = ones(1000000, f32)
let out = zeros(1000000, f32)
vadd[len(out)](a, b, out)
print("fib(90) =", fib(90), " pi ~", pi(1000000, 42), " out[9] =", out[9])
let m = [[1.0, 2.0], [3.0, 4.0]]
print(m @ m.T, sum(m, axis=0), sse(m[0, :], m[1, :]))
)");
}

}  // namespace
}  // namespace kestrel::parser::testing
