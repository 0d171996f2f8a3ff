#pragma once
// Exact fast paths for reading a plain decimal number as a double, for t.f64's common field
// (csv.cpp): "-17.620005290234243", "0.5", "1e-05". Each gives the correctly rounded double,
// the same bits as std::from_chars, and accepts only text that from_chars reads whole; anything
// else (more than 19 significant digits, an exponent out of their ranges, "inf", "nan", hex,
// a '+', a blank) is left to from_chars (false). The text is read into w (up to 19 significant
// digits, a u64) and a decimal exponent q, the value being w * 10^q; the usual field,
// `-?d{1,3}.d{8,16}`, without a loop over its digits (two 8-byte SWAR reads), any other
// digit by digit. Then
//  - Clinger's path: w <= 2^53 and |q| <= 22. Both w and 10^|q| are exact doubles, so
//    w * 10^q or w / 10^-q is one correctly rounded operation.
//  - the division path: -19 <= q < 0 (any w). w / 10^-q in integers: w and 10^-q, shifted to
//    put their top bits at bit 63, give a 64-bit quotient Q and a remainder R (128 by 64 bits);
//    Q's low 11 bits and whether R is 0 round Q to 53 bits, to nearest, ties to even, exactly.
// libstdc++'s from_chars is already an Eisel-Lemire parser; on 2x10^6 fields of
// bench/stream/csv_groupby.py's file (16 to 17 digits, 42% of them past 2^53) this reads one in
// 19 to 22 ns of CPU against its 20 to 30 (the best of many short runs, machine load 7.6 to
// 9.4): the usual field's loop-free read takes 10 ns, and the 128-bit division (divq) about 10
// more where it is needed. tests/runtime/decimal_to_double_test.cpp checks it against from_chars.
#include <bit>
#include <cstdint>
#include <cstring>

namespace kestrel::rt {

namespace decimal_detail {

inline constexpr double kPow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

inline constexpr std::uint64_t kPow10U[20] = {1ULL,
                                              10ULL,
                                              100ULL,
                                              1000ULL,
                                              10000ULL,
                                              100000ULL,
                                              1000000ULL,
                                              10000000ULL,
                                              100000000ULL,
                                              1000000000ULL,
                                              10000000000ULL,
                                              100000000000ULL,
                                              1000000000000ULL,
                                              10000000000000ULL,
                                              100000000000000ULL,
                                              1000000000000000ULL,
                                              10000000000000000ULL,
                                              100000000000000000ULL,
                                              1000000000000000000ULL,
                                              10000000000000000000ULL};

/// 2^e as a double, for -1022 <= e <= 1023.
inline double pow2(int e) {
  return std::bit_cast<double>(static_cast<std::uint64_t>(e + 1023) << 52);
}

/// w / 10^k correctly rounded (1 <= w < 2^64, 1 <= k <= 19).
inline double divide_pow10(std::uint64_t w, int k) {
  std::uint64_t d = kPow10U[k];
  int lw = std::countl_zero(w);
  int ld = std::countl_zero(d);
  std::uint64_t wn = w << lw;  // top bit set
  std::uint64_t dn = d << ld;
  // The numerator wn * 2^e over dn, e chosen so that the quotient is in [2^63, 2^64).
  int e = wn >= dn ? 63 : 64;
  unsigned __int128 num = static_cast<unsigned __int128>(wn) << e;
  std::uint64_t q = 0;
  std::uint64_t r = 0;
#if defined(__x86_64__)
  // One 128-by-64-bit division (the quotient fits: it is below 2^64); __udivti3 is slower.
  asm("divq %4"
      : "=a"(q), "=d"(r)
      : "a"(static_cast<std::uint64_t>(num)), "d"(static_cast<std::uint64_t>(num >> 64)), "rm"(dn));
#else
  q = static_cast<std::uint64_t>(num / dn);
  r = static_cast<std::uint64_t>(num) - q * dn;  // num - q * dn < dn < 2^64
#endif
  std::uint64_t m = q >> 11;
  std::uint64_t low = q & 0x7FF;
  if (low > 0x400 || (low == 0x400 && (r != 0 || (m & 1) != 0))) {
    ++m;  // at most 2^53: still exact
  }
  // w / 10^k = (wn / dn) * 2^(ld - lw) = q_exact * 2^(ld - lw - e), and m = q / 2^11.
  return static_cast<double>(m) * pow2(11 + ld - lw - e);
}

/// Whether the 8 bytes of `v` are all ASCII digits: each byte's high nibble is 3, and adding
/// 6 leaves it 3 (a low nibble of 10 or more carries into it).
inline bool eight_digits(std::uint64_t v) {
  constexpr std::uint64_t kHigh = 0xF0F0F0F0F0F0F0F0ULL;
  constexpr std::uint64_t kThrees = 0x3030303030303030ULL;
  return (v & kHigh) == kThrees && ((v + 0x0606060606060606ULL) & kHigh) == kThrees;
}

/// The number written by 8 ASCII digits, the first in v's lowest byte (a little-endian load).
inline std::uint64_t eight_digits_value(std::uint64_t v) {
  v -= 0x3030303030303030ULL;
  // Byte 2i becomes the two-digit number of digits 2i and 2i+1 (at most 99: no carries).
  v = v * 10 + (v >> 8);
  // Bytes 0, 2, 4 and 6 times 10^6, 10^4, 10^2 and 1, summed in the upper 32 bits.
  std::uint64_t a = (v & 0x000000FF000000FFULL) * (100 + (std::uint64_t{1000000} << 32));
  std::uint64_t b = ((v >> 16) & 0x000000FF000000FFULL) * (1 + (std::uint64_t{10000} << 32));
  return (a + b) >> 32;
}

/// w * 10^q (negated when `negative`) into `out` by Clinger's path or the division path; false
/// when neither applies.
inline bool to_double(std::uint64_t w, int q, bool negative, double& out) {
  double v = 0;
  if (w == 0) {
    v = 0;
  } else if (w <= (std::uint64_t{1} << 53) && q >= -22 && q <= 22) {
    v = q >= 0 ? static_cast<double>(w) * kPow10[q] : static_cast<double>(w) / kPow10[-q];
  } else if (q < 0 && q >= -19) {
    v = divide_pow10(w, -q);
  } else {
    return false;
  }
  out = negative ? -v : v;
  return true;
}

/// The usual field, `d{1,3}.d{8,16}` (after any '-'), read without a loop over its digits: the
/// fraction's first 8 digits and its last 8 (the bytes both hold counted once) by SWAR. False
/// for any other text (decimal_to_double's general reader takes it).
inline bool usual_decimal(const char* p, const char* end, std::uint64_t& w, int& q) {
  auto n = static_cast<std::size_t>(end - p);
  if (n < 10 || n > 20) {
    return false;
  }
  auto d0 = static_cast<unsigned>(static_cast<unsigned char>(p[0]) - '0');
  auto d1 = static_cast<unsigned>(static_cast<unsigned char>(p[1]) - '0');
  auto d2 = static_cast<unsigned>(static_cast<unsigned char>(p[2]) - '0');
  bool two = d1 <= 9;
  bool three = two && d2 <= 9;
  if (d0 > 9 || p[1 + (two ? 1 : 0) + (three ? 1 : 0)] != '.') {
    return false;
  }
  std::uint64_t whole = three ? d0 * 100 + d1 * 10 + d2 : two ? d0 * 10 + d1 : d0;
  const char* f = p + 2 + (two ? 1 : 0) + (three ? 1 : 0);
  auto digits = static_cast<std::size_t>(end - f);
  if (digits < 8 || digits > 16) {
    return false;
  }
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  std::memcpy(&a, f, 8);
  std::memcpy(&b, end - 8, 8);
  if constexpr (std::endian::native == std::endian::big) {
    a = __builtin_bswap64(a);
    b = __builtin_bswap64(b);
  }
  // b's first 16 - digits bytes are a's last ones: read as '0' there.
  std::size_t shared = 16 - digits;
  std::uint64_t mask = ((std::uint64_t{1} << (4 * shared)) << (4 * shared)) - 1;
  b = (b & ~mask) | (0x3030303030303030ULL & mask);
  if (!eight_digits(a) || !eight_digits(b)) {
    return false;
  }
  // At most 3 + 16 = 19 digits: no wrap.
  w = whole * kPow10U[digits] + eight_digits_value(a) * kPow10U[digits - 8] + eight_digits_value(b);
  q = -static_cast<int>(digits);
  return true;
}

}  // namespace decimal_detail

namespace decimal_detail {

/// decimal_to_double's text other than the usual field's (p past any '-'): digits one at a time.
inline bool any_decimal(const char* p, const char* end, bool negative, double& out) {
  std::uint64_t w = 0;  // wraps past 19 digits, but then the text is refused
  int q = 0;
  const char* first = p;
  while (p < end && *p == '0') {
    ++p;  // leading zeros: no significant digits
  }
  const char* significant_from = p;
  for (; p < end; ++p) {
    auto d = static_cast<unsigned>(static_cast<unsigned char>(*p) - '0');
    if (d > 9) {
      break;
    }
    w = w * 10 + d;
  }
  std::size_t significant = static_cast<std::size_t>(p - significant_from);
  bool digits = p != first;
  std::size_t fraction = 0;  // digits after the '.'
  if (p < end && *p == '.') {
    ++p;
    const char* fraction_from = p;
    if (significant == 0) {
      while (p < end && *p == '0') {
        ++p;  // 0.000123: the zeros after the point are not significant either
      }
    }
    const char* from = p;
    while (end - p >= 8) {
      std::uint64_t v = 0;
      std::memcpy(&v, p, 8);
      if constexpr (std::endian::native == std::endian::big) {
        v = __builtin_bswap64(v);
      }
      if (!eight_digits(v)) {
        break;
      }
      w = w * 100000000 + eight_digits_value(v);
      p += 8;
    }
    for (; p < end; ++p) {
      auto d = static_cast<unsigned>(static_cast<unsigned char>(*p) - '0');
      if (d > 9) {
        break;
      }
      w = w * 10 + d;
    }
    significant += static_cast<std::size_t>(p - from);
    fraction = static_cast<std::size_t>(p - fraction_from);
    digits = digits || fraction != 0;
  }
  if (!digits || significant > 19 || fraction > 64) {
    return false;  // no digits; w may have wrapped; or q is out of every path's range
  }
  q = -static_cast<int>(fraction);
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool exp_negative = p < end && *p == '-';
    p += p < end && (*p == '-' || *p == '+') ? 1 : 0;
    int x = 0;
    int exp_digits = 0;
    for (; p < end && exp_digits < 4; ++p, ++exp_digits) {
      auto d = static_cast<unsigned>(static_cast<unsigned char>(*p) - '0');
      if (d > 9) {
        break;
      }
      x = x * 10 + static_cast<int>(d);
    }
    if (exp_digits == 0) {
      return false;  // from_chars stops before the 'e'
    }
    q += exp_negative ? -x : x;
  }
  if (p != end) {
    return false;
  }
  return to_double(w, q, negative, out);
}

}  // namespace decimal_detail

/// Reads [p, end) as `-? digits (. digits)? ([eE] [+-]? digits)?` (digits on at least one side
/// of the '.') into `out`, exactly as std::from_chars would; false, `out` untouched, when the
/// text is not of that form or its value is outside the exact paths (the header says which).
inline bool decimal_to_double(const char* p, const char* end, double& out) {
  bool negative = p < end && *p == '-';
  p += negative ? 1 : 0;
  std::uint64_t w = 0;
  int q = 0;
  if (decimal_detail::usual_decimal(p, end, w, q)) {
    return decimal_detail::to_double(w, q, negative, out);
  }
  return decimal_detail::any_decimal(p, end, negative, out);
}

}  // namespace kestrel::rt
