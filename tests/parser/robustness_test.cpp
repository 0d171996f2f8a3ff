// No input crashes or hangs the front end, and every input it rejects gets a diagnostic:
// every program truncated at every byte, thousands of seeded random mutations, and
// pathological inputs (deep nesting, huge chains, random megabytes, stray quotes and NULs).
// An input that does parse must also survive `kestrel fmt` (format, reparse, same tree).
// A hang is caught by the CTest TIMEOUT on these tests (label `robustness`).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "tests/parser/corpus.hpp"
#include "tests/parser/parse_helpers.hpp"

namespace kestrel::parser::testing {
namespace {

#ifdef NDEBUG
constexpr std::size_t kTruncationStride = 1;  // every byte
constexpr int kMutations = 3000;
constexpr double kSlowMs = 2000;  // one ordinary input taking this long is a bug
#else
// Unoptimised X3 is an order of magnitude slower; keep debug and sanitizer runs short.
constexpr std::size_t kTruncationStride = 13;
constexpr int kMutations = 400;
constexpr double kSlowMs = 20000;
#endif

/// A fixed-seed PRNG (splitmix64), so every run tests the same inputs on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform-enough in [0, n) for n > 0.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

/// Shows a failing input as a C string literal (first 400 bytes), so it can be pasted back.
std::string c_literal(const std::string& text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < 400; ++i) {
    auto u = static_cast<unsigned char>(text[i]);
    if (text[i] == '"' || text[i] == '\\') {
      out += '\\';
      out += text[i];
    } else if (text[i] == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x\"\"", u);
      out += buf;
    } else {
      out += text[i];
    }
  }
  out += text.size() > 400 ? "\"... (" + std::to_string(text.size()) + " bytes)" : "\"";
  return out;
}

/// Runs the front end on inputs and collects every broken invariant (reported once, at the end).
class Checker {
 public:
  explicit Checker(double slow_ms) : slow_ms_(slow_ms) {}

  /// Parses (and checks) `text`; returns whether it parsed.
  bool run(const std::string& text, const std::string& origin) {
    ++inputs_;
    Parsed p;
    auto start = std::chrono::steady_clock::now();
    parse_into(p, text, "fuzz.kst");
    if (p.program) {
      check_hook(p);
    }
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    max_ms_ = std::max(max_ms_, ms);
    if (ms > slow_ms_) {
      fail(origin, text, "slow", "took " + std::to_string(ms) + " ms");
    }
    for (const diag::Diagnostic& d : p.diags.all()) {
      // A span names its file (an import's diagnostics point into the imported file).
      if (d.span.file == diag::kNoFile || d.span.file >= p.sources.size()) {
        continue;
      }
      std::size_t size = p.sources.file(d.span.file).text().size();
      if (d.span.begin > d.span.end || d.span.end > size) {
        fail(origin, text, "diagnostic span out of range",
             std::to_string(d.span.begin) + ".." + std::to_string(d.span.end) + ": " + d.message);
      }
    }
    if (!p.program) {
      if (!p.diags.has_errors()) {
        fail(origin, text, "rejected without an error diagnostic", "");
      }
      (void)diag::render(p.sources, p.diags);  // rendering must not crash either
      return false;
    }
    ++parsed_;
    round_trip(*p.program, text, origin);
    return true;
  }

  /// Adds a failure if `text` did not parse.
  void expect_parses(const std::string& text, const std::string& origin) {
    if (!run(text, origin)) {
      fail(origin, text, "expected to parse", "");
    }
  }

  void report() const {
    std::printf("%zu inputs, %zu parsed, slowest %.1f ms\n", inputs_, parsed_, max_ms_);
    std::string all;
    for (const auto& [kind, count] : failure_kinds_) {
      all += "  " + std::to_string(count) + " x " + kind + "\n";
    }
    for (std::size_t i = 0; i < failures_.size() && i < 10; ++i) {
      all += failures_[i] + "\n";
    }
    EXPECT_TRUE(failures_.empty()) << failures_.size() << " failures, the first ones:\n" << all;
  }

 private:
  // An accepted input must format to text that parses back to the same tree.
  void round_trip(const ast::Program& program, const std::string& text, const std::string& origin) {
    std::string formatted = format_program(program);
    Parsed again;
    parse_into(again, formatted, "formatted.kst");
    if (!again.program) {
      fail(origin, text, "formatted text does not parse",
           c_literal(formatted) + "\n" + diag::render(again.sources, again.diags));
    } else if (dump_program(*again.program) != dump_program(program)) {
      fail(origin, text, "formatting changes the tree", c_literal(formatted));
    }
  }

  void fail(const std::string& origin, const std::string& text, const std::string& kind,
            const std::string& detail) {
    ++failure_kinds_[kind];
    failures_.push_back(origin + ": " + kind + (detail.empty() ? "" : ": " + detail) +
                        "\n  input: " + c_literal(text));
  }

  double slow_ms_;
  std::size_t inputs_ = 0;
  std::size_t parsed_ = 0;
  double max_ms_ = 0;
  std::vector<std::string> failures_;
  std::map<std::string, int> failure_kinds_;
};

TEST(Robustness, EveryTruncationOfEveryProgram) {
  std::vector<CorpusFile> corpus = load_corpus();
  ASSERT_FALSE(corpus.empty());
  Checker checker(kSlowMs);
  for (const CorpusFile& file : corpus) {
    // Every byte of a small file; about 4,000 cuts (an odd stride) of a large one, whose every
    // prefix parsed made the test quadratic in the file (stdlib/groupby.kst at 17 KB: 84 s).
    std::size_t stride = std::max(kTruncationStride, (file.text.size() / 4000) | 1);
    for (std::size_t n = 0; n <= file.text.size(); n += stride) {
      checker.run(file.text.substr(0, n), file.path + " truncated at " + std::to_string(n));
    }
  }
  checker.report();
}

// Tokens that confuse a parser most: brackets, quotes, operators, keywords, line ends.
const char* const kTokens[] = {
    "(",        ")",    "[",      "]",       "{",     "}",          "**",      "\"",
    "\n",       ";",    ",",      ":",       "..",    ".",          "=",       "+=",
    "-",        "-=",   "*",      "//",      "@",     "@unchecked", "#",       "\\",
    "\t",       "\r",   "0",      "1.5e",    "42i32", "2.5f32",     "1e-3",    "fn ",
    "kernel ",  "let ", "var ",   "if ",     "else ", "else if ",   "for ",    "parallel ",
    "in ",      " by ", "while ", "return ", "break", "continue",   "import ", "not ",
    " and ",    " or ", "true",   "x",       "f(",    "a[",         "->",      "<<",
    "f64[:,:]", "\"\\"};

std::string mutate(const std::string& source, Rng& rng) {
  std::string text = source;
  std::size_t edits = 1 + rng.below(4);
  for (std::size_t e = 0; e < edits; ++e) {
    std::size_t pos = text.empty() ? 0 : rng.below(text.size() + 1);
    switch (rng.below(6)) {
      case 0:  // flip a bit
        if (pos < text.size()) {
          text[pos] = static_cast<char>(text[pos] ^ (1 << rng.below(8)));
        }
        break;
      case 1:  // replace with a random byte
        if (pos < text.size()) {
          text[pos] = static_cast<char>(rng.below(256));
        }
        break;
      case 2:  // insert a random byte
        text.insert(pos, 1, static_cast<char>(rng.below(256)));
        break;
      case 3:  // delete a run of bytes
        if (pos < text.size()) {
          text.erase(pos, 1 + rng.below(8));
        }
        break;
      case 4: {                                             // insert a token
        std::size_t k = rng.below(std::size(kTokens) + 1);  // the extra choice is a NUL byte
        std::string token = k == std::size(kTokens) ? std::string(1, '\0') : kTokens[k];
        text.insert(pos, token);
        break;
      }
      default: {  // duplicate a chunk elsewhere
        if (!text.empty()) {
          std::size_t from = rng.below(text.size());
          std::string chunk = text.substr(from, 1 + rng.below(40));
          text.insert(pos, chunk);
        }
        break;
      }
    }
  }
  return text;
}

TEST(Robustness, SeededRandomMutations) {
  std::vector<CorpusFile> corpus = load_corpus();
  ASSERT_FALSE(corpus.empty());
  Checker checker(kSlowMs);
  Rng rng(20240601);
  for (int i = 0; i < kMutations; ++i) {
    const CorpusFile& file = corpus[static_cast<std::size_t>(i) % corpus.size()];
    checker.run(mutate(file.text, rng), file.path + " mutation #" + std::to_string(i));
  }
  checker.report();
}

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += s;
  }
  return out;
}

TEST(Robustness, DeepNestingIsADiagnostic) {
  Checker checker(kSlowMs * 5);
  for (const char* open : {"(", "["}) {
    std::string text = repeat(open, 10000);
    Parsed p;
    parse_into(p, text);
    EXPECT_FALSE(p.program.has_value());
    bool too_deep = false;
    for (const diag::Diagnostic& d : p.diags.all()) {
      too_deep = too_deep || d.kind == diag::Kind::NestingTooDeep;
    }
    EXPECT_TRUE(too_deep) << "10000 x '" << open << "'";
    checker.run(text, std::string("10000 x ") + open);
  }
  checker.run("let x = " + repeat("(", 10000) + "1" + repeat(")", 10000), "deep balanced parens");
  checker.run("let x = " + repeat("[", 10000) + "1" + repeat("]", 10000), "deep balanced arrays");
  checker.run("x = f" + repeat("(f", 10000) + repeat(")", 10001), "deep calls");
  checker.run(repeat("if x {\n", 10000) + repeat("}\n", 10000), "deep blocks");
  checker.run(repeat("if x {", 10000),
              "unclosed blocks");  // fuzz/regressions/deep-nested-blocks.kst
  checker.run(repeat("while x {\n", 10000), "unclosed loops");
  checker.run(repeat("fn f() {", 5000), "unclosed functions");
  checker.run("let x = " + repeat("-", 100000) + "1", "100000 minus signs");
  checker.run("let x = " + repeat("not ", 100000) + "x", "100000 nots");
  checker.run("let x = " + repeat("~-", 50000) + "x", "alternating prefix operators");
  checker.expect_parses("let x = " + repeat("(", 20) + "1" + repeat(")", 20), "20 parens");
  checker.report();
}

TEST(Robustness, HugeFlatInputsParse) {
  Checker checker(kSlowMs * 5);
  checker.expect_parses("let x = 1" + repeat("+1", 99999), "100000-term sum");
  checker.expect_parses("let x = 2" + repeat(" ** 2", 100000), "100000-term power chain");
  checker.expect_parses("let x = a" + repeat(" and a", 50000), "50000-term and chain");
  checker.expect_parses("let x = a" + repeat(".b", 100000), "100000 attributes");
  checker.expect_parses("let x = f" + repeat("()", 100000), "100000 calls");
  checker.expect_parses("let x = a" + repeat("[0]", 100000), "100000 subscripts");
  checker.expect_parses(repeat("x = 1\n", 100000), "100000 statements");
  checker.expect_parses(repeat("x = 1;", 100000), "100000 statements on one line");
  checker.expect_parses("print(" + repeat("1, ", 100000) + "1)", "100000 arguments");
  checker.expect_parses("let s = \"" + std::string(1 << 20, 'a') + "\"", "1 MiB string");
  checker.expect_parses("let " + std::string(1 << 20, 'v') + " = 1", "1 MiB identifier");
  checker.expect_parses(repeat("\n", 1 << 20), "1 MiB of newlines");
  checker.expect_parses(repeat("# comment\n", 100000), "100000 comments");
  checker.run("let x = " + std::string(1 << 20, '9'), "1 MiB integer literal");
  checker.run("let x = 1." + std::string(1 << 20, '5') + "e9999", "1 MiB float literal");
  checker.report();
}

TEST(Robustness, RandomMegabytes) {
  Checker checker(kSlowMs * 5);
  Rng rng(7);
  std::string bytes(1 << 20, '\0');
  for (char& c : bytes) {
    c = static_cast<char>(rng.below(256));
  }
  checker.run(bytes, "1 MiB of random bytes");
  // Random token soup reaches deeper into the grammar than random bytes do.
  std::string soup;
  while (soup.size() < (1 << 20)) {
    std::size_t k = rng.below(std::size(kTokens));
    soup += kTokens[k];
    soup += rng.below(3) == 0 ? " " : "";
  }
  checker.run(soup, "1 MiB of random tokens");
  // Printable ASCII without newlines: one enormous line.
  std::string line(1 << 20, ' ');
  for (char& c : line) {
    c = static_cast<char>(0x20 + rng.below(0x5f));
  }
  checker.run(line, "1 MiB of printable ASCII");
  checker.report();
}

TEST(Robustness, StrayQuotesNulsAndEncodings) {
  Checker checker(kSlowMs);
  const std::string nul(1, '\0');
  for (const std::string& text : {std::string("\""),
                                  std::string("\"\\"),
                                  std::string("\"\\\n\""),
                                  std::string("\\"),
                                  std::string("let s = \"abc\nlet t = 1"),
                                  std::string("let s = \"\\q\""),
                                  nul,
                                  "let x = 1" + nul,
                                  "let s = \"a" + nul + "b\"",
                                  "x" + nul + "= 1",
                                  "# " + nul + "\nlet x = 1",
                                  repeat(nul, 1000),
                                  std::string("\xff\xfe let"),
                                  std::string("let \xc3\xa9 = 1"),
                                  std::string("let s = \"\xc3\xa9\""),
                                  std::string("# \xc3\xa9\nlet x = 1"),
                                  std::string("let x = 1\r\nlet y = 2\r\n"),
                                  std::string("\r"),
                                  std::string("\t\t\n"),
                                  std::string("@"),
                                  std::string("@@unchecked"),
                                  std::string(".."),
                                  std::string("0.."),
                                  std::string("1e"),
                                  std::string("1e+"),
                                  std::string("0x10"),
                                  std::string("1i8"),
                                  std::string("1f16"),
                                  std::string("1_000")}) {
    checker.run(text, "special input " + c_literal(text));
  }
  checker.report();
}

}  // namespace
}  // namespace kestrel::parser::testing
