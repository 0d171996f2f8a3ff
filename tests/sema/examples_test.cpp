// Every example in DESIGN.md type-checks, and so do the stdlib modules and examples/.
#include <fstream>

#include "tests/sema/check_helpers.hpp"

namespace kestrel::sema {
namespace {

using testing::Checked;

TEST(Examples, DesignMainExample) {
  Checked c;
  testing::check_path_into(c, testing::fixtures() / "design_example.kst");
  ASSERT_TRUE(c.ok()) << c.rendered();
  const ir::Program& p = *c.program;
  EXPECT_EQ(p.fn(p.find_function("fib")).ret, ir::Type::i64());
  EXPECT_TRUE(p.fn(p.find_function("vadd")).is_kernel);
  std::string dump = c.dump();
  EXPECT_NE(dump.find("parallel for i: i64 in 0..n reduce(+ hits)"), std::string::npos) << dump;
  EXPECT_NE(dump.find("(launch vadd [(len:i64 out)] a b out)"), std::string::npos);
  EXPECT_NE(dump.find("(@:f64[:,:] m (T:f64[:,:] m))"), std::string::npos);
  EXPECT_NE(dump.find("(sum:f64[:] m axis=0)"), std::string::npos);
  EXPECT_NE(dump.find("(slice:f64[:] m 0 :)"), std::string::npos);
}

TEST(Examples, DesignSnippets) {
  const char* snippets[] = {
      "var s: f64 = 0\nlet m = [[1.0, 2.0], [3.0, 4.0]]\nm[0, 1] += 1\n",
      "fn f(x: f64[:]) -> (i64[:], f64[:]) {\n  let k = arange(len(x), i64)\n  let s = x * 2.0\n"
      "  return (k, s)\n}\nlet (k, s) = f(ones(3))\n",
      "let a = ones(10)\nlet b = zeros(10)\nlet out = zeros(10)\nout[:] = a + b\n"
      "let m = zeros(3, 4)\nlet c = m[1:2, :]\nlet d = m[:, 2]\nlet e = a[2:5]\n",
      "let t = read_csv(\"data.csv\")\nlet v = t.f64(\"value\")\nlet id = t.i64(\"id\")\n"
      "let c = t.codes(\"category\")\nlet l = t.labels(\"category\")\nlet n = t.rows\n",
      "let x = load_npy(\"x.npy\", f64, 2)\nsave_npy(\"y.npy\", x)\n",
      "seed(42)\nlet u = random()\nlet z = randn()\nlet r = rand(3, 4, seed=7)\n"
      "let g = randn(3, 4, seed=7)\nlet p = random(7, 3)\nlet q = randn(7, 3)\n",
      "let x = 0.1\nprint(x, 3.5, 1e-07, true, [1.5, 2.0, 3.0])\n",
      "let n = 10\nfor i in 0..n by 2 {\n  print(i)\n}\nvar k = 0\nwhile k < 3 {\n  k += 1\n"
      "  if k == 2 {\n    continue\n  }\n}\n",
      "let a = -7 // 2\nlet b = -7 % 2\nlet c = 2 ** 10\nlet d = ~5 & 3 | 1 ^ 2 << 1 >> 1\n"
      "let e = not (1 < 2) or 3 >= 2 and 4 != 5\n",
      "let a = arange(10, f64)\nlet b = where(a > 5.0, a, 0.0)\nlet c = clip(a, 1.0, 3.0)\n"
      "let d = exp(a) + log(a + 1.0) + sqrt(a) + abs(a) + sin(a) + cos(a) + tanh(a) + "
      "sigmoid(a) + floor(a)\nlet e = min(a, 2.0) + max(a, 1.0)\n"
      "let s = sum(a) + mean(a) + min(a) + max(a) + f64(argmin(a)) + f64(argmax(a)) + "
      "f64(count(a > 1.0)) + dot(a, a)\nlet t = any(a > 1.0) and all(a >= 0.0)\n",
      "let m = linspace(0.0, 1.0, 6)\nlet f = full(2, 3, 1.5)\nlet e = empty(4)\n"
      "let sh = shape(f, 1)\nlet c = copy(f)\n",
  };
  for (const char* text : snippets) {
    KESTREL_CHECK_TEXT(c, text);
    EXPECT_TRUE(c.ok()) << text << "\n" << c.rendered();
  }
}

TEST(Examples, StdlibAndExamplesCheckClean) {
  namespace fs = std::filesystem;
  for (const char* dir : {"stdlib", "examples"}) {
    fs::path root = testing::source_dir() / dir;
    if (!fs::exists(root)) {
      continue;
    }
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.path().extension() != ".kst") {
        continue;
      }
      Checked c;
      testing::check_path_into(c, entry.path());
      EXPECT_TRUE(c.ok()) << entry.path() << "\n" << c.rendered();
    }
  }
}

}  // namespace
}  // namespace kestrel::sema
