// decimal_to_double (runtime/decimal_to_double.hpp) against std::from_chars: whatever text the
// fast paths accept, from_chars reads whole, to the same bits. Millions of strings from a fixed
// seed: random digit strings with a '.' anywhere, signs and exponents; the shortest round-trip
// text of random doubles (every exponent, subnormals, CSV-like ranges); printf's %.6f, %g and
// %.17g; zeros and integers with many leading zeros; the halfway points between neighbouring
// doubles that have short decimal forms (ties, to even) and their neighbours; malformed text.
// KESTREL_DECIMAL_CASES=N multiplies the cases (a longer run by hand).
#include "runtime/decimal_to_double.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace kestrel::rt {
namespace {

struct Checker {
  std::int64_t cases = 0;
  std::int64_t accepted = 0;
  std::int64_t failures = 0;

  ~Checker() {
    std::printf("  %lld strings, %lld read by the fast paths, %lld differ from from_chars\n",
                static_cast<long long>(cases), static_cast<long long>(accepted),
                static_cast<long long>(failures));
  }

  void check(const std::string& s) {
    ++cases;
    double fast = 0;
    const char* b = s.data();
    const char* e = s.data() + s.size();
    if (!decimal_to_double(b, e, fast)) {
      return;
    }
    ++accepted;
    double ref = 0;
    auto res = std::from_chars(b, e, ref);
    bool same = res.ec == std::errc{} && res.ptr == e &&
                std::bit_cast<std::uint64_t>(fast) == std::bit_cast<std::uint64_t>(ref);
    if (!same && ++failures <= 20) {
      ADD_FAILURE() << "'" << s << "': fast path " << fast << " (bits "
                    << std::bit_cast<std::uint64_t>(fast) << "), from_chars "
                    << (res.ec == std::errc{} && res.ptr == e ? "" : "(does not read it whole) ")
                    << ref << " (bits " << std::bit_cast<std::uint64_t>(ref) << ")";
    }
  }
};

std::int64_t scale() {
  const char* env = std::getenv("KESTREL_DECIMAL_CASES");
  return env != nullptr ? std::max<std::int64_t>(1, std::atoll(env)) : 1;
}

std::string shortest(double x) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

std::string printf_text(const char* format, double x) {
  char buf[512];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

TEST(DecimalToDouble, RandomDigitStringsWithPointsSignsAndExponents) {
  std::mt19937_64 rng(20240611);
  Checker c;
  const std::int64_t n = 1500000 * scale();
  for (std::int64_t i = 0; i < n; ++i) {
    std::string s;
    std::uint64_t r = rng();
    if (r % 4 == 0) {
      s += '-';
    }
    int len = 1 + static_cast<int>((r >> 2) % 25);
    int point = static_cast<int>((r >> 8) % static_cast<unsigned>(len + 2)) - 1;  // -1: none
    int zeros = (r >> 16) % 3 == 0 ? static_cast<int>((r >> 18) % 8) : 0;         // leading zeros
    for (int k = 0; k < len; ++k) {
      if (k == point) {
        s += '.';
      }
      s += static_cast<char>('0' + (k < zeros ? 0 : rng() % 10));
    }
    if (point == len) {
      s += '.';
    }
    if ((r >> 24) % 2 == 0) {
      s += (r >> 25) % 2 == 0 ? 'e' : 'E';
      int sign = static_cast<int>((r >> 26) % 3);
      s += sign == 0 ? "" : sign == 1 ? "-" : "+";
      int x = static_cast<int>((r >> 28) % 31);
      s += (r >> 33) % 5 == 0 ? "0" + std::to_string(x) : std::to_string(x);
    }
    c.check(s);
  }
  EXPECT_EQ(c.failures, 0);
  EXPECT_GT(c.accepted, c.cases / 4);
}

TEST(DecimalToDouble, ShortestRoundTripTextOfRandomDoubles) {
  std::mt19937_64 rng(7);
  Checker c;
  const std::int64_t n = 250000 * scale();
  std::uniform_real_distribution<double> csv(-25.0, 75.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (std::int64_t i = 0; i < n; ++i) {
    double any = std::bit_cast<double>(rng());  // every exponent, subnormals, inf and nan
    double sub = std::bit_cast<double>(rng() & ((std::uint64_t{1} << 52) - 1));  // subnormal
    double x = csv(rng);
    double small = unit(rng) * std::pow(10.0, -static_cast<double>(rng() % 25));
    double big = unit(rng) * std::pow(10.0, static_cast<double>(rng() % 25));
    for (double v : {any, sub, x, small, big, -small}) {
      c.check(shortest(v));
    }
    c.check(printf_text("%.6f", x));
    c.check(printf_text("%g", x));
    c.check(printf_text("%.17g", x));
    c.check(printf_text("%.6f", small));
    c.check(printf_text("%g", small));
    c.check(printf_text("%.15g", big));
  }
  EXPECT_EQ(c.failures, 0);
  EXPECT_GT(c.accepted, c.cases / 2);
}

TEST(DecimalToDouble, ZerosLeadingZerosAndIntegers) {
  Checker c;
  for (const char* s : {"0",
                        "-0",
                        "0.0",
                        "-0.0",
                        "00",
                        "0.",
                        ".0",
                        "-.0",
                        "0e5",
                        "-0e-5",
                        "0.000",
                        "0000000000000000000000000000000",
                        "0.0000000000000000000001",
                        "-0.00000000000000000000000000000000000000000000000000000000000000000001",
                        "1",
                        "-1",
                        "9007199254740992",
                        "9007199254740993",
                        "9007199254740993.0",
                        "18446744073709551615",
                        "1844674407370955161.5",
                        "9999999999999999999",
                        "0.9999999999999999999",
                        "1e22",
                        "1e23",
                        "1e-22",
                        "1e-23",
                        "4.9e-324",
                        "2.2250738585072014e-308",
                        "1.7976931348623157e308"}) {
    c.check(s);
  }
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200000 * scale(); ++i) {
    std::string s(rng() % 30, '0');
    s += std::to_string(rng() >> (rng() % 64));
    c.check(s);
    c.check("-" + s);
    c.check(s + ".0");
    c.check("0." + s);
    c.check("0.000" + s);
  }
  EXPECT_EQ(c.failures, 0);
}

// The halfway points between neighbouring doubles whose decimal text has at most 19
// significant digits (m + 1/2 for m in [2^52, 2^53); integers halfway between doubles above
// 2^53, written with a fraction) round to even; a little either side rounds to the nearer.
TEST(DecimalToDouble, TiesAndTheirNeighbours) {
  std::mt19937_64 rng(3);
  Checker c;
  for (int i = 0; i < 300000 * scale(); ++i) {
    std::uint64_t m = (std::uint64_t{1} << 52) + (rng() >> 12);
    std::string base = std::to_string(m);
    c.check(base + ".5");
    c.check(base + ".50");
    c.check(base + ".49");
    c.check(base + ".51");
    c.check("-" + base + ".5");
    // Above 2^53 the doubles are 2^shift apart: the tie between m * 2^shift and the next is
    // an integer; a tenth above it rounds up, a tenth below down (the remainder decides where
    // the quotient's low bits alone are a tie).
    int shift = 1 + static_cast<int>(rng() % 10);
    std::uint64_t tie =
        (((std::uint64_t{1} << 52) + (rng() >> 12)) << shift) + (std::uint64_t{1} << (shift - 1));
    if (tie < 1000000000000000000ULL) {
      std::string o = std::to_string(tie);
      c.check(o + ".0");
      c.check(o + ".1");
      c.check(std::to_string(tie - 1) + ".9");
      c.check(o.substr(0, o.size() - 1) + "." + o.substr(o.size() - 1) + "e1");
    }
  }
  EXPECT_EQ(c.failures, 0);
  EXPECT_GT(c.accepted, c.cases / 2);
}

TEST(DecimalToDouble, RefusesWhatFromCharsDoesNotReadWhole) {
  for (const char* s : {"",      "-",     ".",    "-.",      "e5",
                        "-e5",   ".e5",   "1e",   "1e+",     "1e-",
                        "+1",    "1.2.3", "inf",  "-inf",    "nan",
                        "0x10",  " 1",    "1 ",   "1,5",     "--1",
                        "1e5.5", "1e+-5", "1ee5", "1e99999", "12345678901234567890",
                        "1.5f"}) {
    double out = 42;
    const char* b = s;
    const char* e = s + std::char_traits<char>::length(s);
    bool ok = decimal_to_double(b, e, out);
    double ref = 0;
    auto res = std::from_chars(b, e, ref);
    bool whole = res.ec == std::errc{} && res.ptr == e;
    if (ok) {
      EXPECT_TRUE(whole) << s;
      EXPECT_EQ(std::bit_cast<std::uint64_t>(out), std::bit_cast<std::uint64_t>(ref)) << s;
    } else {
      EXPECT_EQ(out, 42) << s;
    }
    if (!whole) {
      EXPECT_FALSE(ok) << s;
    }
  }
}

}  // namespace
}  // namespace kestrel::rt
