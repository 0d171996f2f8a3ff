// Array references held by the interpreter's registers: a long loop of temporaries keeps the
// runtime's live counts flat, and a runtime error releases every reference alive when it is
// thrown (locals and temporaries, in every frame), so a REPL or host survives it with nothing
// left behind.
#include <gtest/gtest.h>

#include <string>

#include "run_helpers.hpp"
#include "runtime/array.hpp"

namespace kestrel::interp::testing {
namespace {

/// The runtime's live counts now.
struct Live {
  std::int64_t buffers = rt::live_buffers();
  std::int64_t bytes = rt::live_bytes();
  std::int64_t arrays = rt::live_arrays();
};

void expect_same(const Live& before) {
  Live now;
  EXPECT_EQ(now.buffers, before.buffers);
  EXPECT_EQ(now.bytes, before.bytes);
  EXPECT_EQ(now.arrays, before.arrays);
}

TEST(InterpLeaks, HundredThousandIterationsOfTemporariesKeepLiveCountsFlat) {
  Live before;
  std::string out = output(R"(
fn step(a: f64[:], k: i64) -> f64[:] {
    let t = a * 0.5 + f64(k)
    return sqrt(abs(t[1:7])) + t[0:6]
}
var acc = zeros(6)
var m = ones(2, 3)
var s = 0.0
for k in 0..100000 {
    let v = arange(8, f64) + 1.0
    acc = acc + step(v, k % 3) * 0.0
    acc[:] += v[0:6] - v[0:6]
    m = (m @ ones(3, 3)).T.T / 3.0
    s += sum(v * v) + mean(m[0, :]) + f64(len(copy(v)))
}
print(acc, s)
)");
  EXPECT_EQ(out, "[0. 0. 0. 0. 0. 0.] 21300000.0\n");
  expect_same(before);
}

/// Runs `text`, which must fail at run time with `error`, and checks that nothing is left alive.
void expect_error_releases_everything(const std::string& text, const std::string& error) {
  Live before;
  Outcome o = run(text, 50);
  EXPECT_EQ(o.check, "");
  EXPECT_EQ(o.error, error);
  expect_same(before);
}

TEST(InterpLeaks, ErrorReleasesTemporariesOfTheFaultingExpression) {
  expect_error_releases_everything(R"(let m = ones(2, 3)
print(m @ [1.0, 2.0])
)",
                                   "2:7: matmul shape mismatch: (2, 3) @ (2,)");
}

TEST(InterpLeaks, ErrorReleasesTemporariesOfEveryFrame) {
  // The caller's temporaries (zeros(4) + 1.0, the first print argument) are alive while the
  // callee fails, and the callee's own array parameter and locals too.
  expect_error_releases_everything(R"(fn f(a: f64[:], n: i64) -> f64 {
    let b = a * 2.0
    return sum(b + ones(n))
}
print(zeros(4) + 1.0, f(zeros(3) + 1.0, 4) + sum(ones(2)))
)",
                                   "3:16: shape mismatch: (3,) and (4,)");
}

TEST(InterpLeaks, ErrorInALaterArgumentReleasesTheEarlierOnes) {
  expect_error_releases_everything(R"(fn g(a: f64[:], b: f64[:], c: f64[:]) -> f64 {
    return sum(a)
}
let x = ones(3)
print(g(x + 1.0, x * 2.0, x[5::0]))
)",
                                   "5:27: slice step cannot be zero");
}

TEST(InterpLeaks, StackOverflowReleasesEveryFrameAndTheArgumentsOfTheFailingCall) {
  expect_error_releases_everything(R"(fn r(a: f64[:], t: table) -> f64 {
    return r(a + 1.0, t) + 1.0
}
print(r(zeros(2), read_csv(")" KESTREL_SOURCE_DIR R"(/tests/lang/io/data/people.csv")))
)",
                                   "2:12: stack overflow: recursion deeper than 50");
}

TEST(InterpLeaks, ErrorInsideLoopsAndTuplesReleasesEverything) {
  expect_error_releases_everything(R"(fn pair(a: f64[:]) -> (f64[:], f64[:]) {
    return (a + 1.0, a[0:9:0])
}
var acc = zeros(3)
for i in 0..10 {
    let (p, q) = pair(acc + f64(i))
    acc = p + q[0:3]
}
)",
                                   "2:22: slice step cannot be zero");
}

}  // namespace
}  // namespace kestrel::interp::testing
