#pragma once
// Counter-based random numbers: Philox4x32-10 exactly as Random123 defines it (Salmon et al.,
// "Parallel random numbers: as easy as 1, 2, 3", SC'11), and Kestrel's random/randn built on it.
// Everything here is a pure function of its arguments, header-only and inlinable: the
// interpreter and the runtime call it, the CUDA backend compiles it as it is, the JIT emits the
// same arithmetic (tests/llvm/rules_table_test.cpp holds its draws to these).
//
// The mapping from Kestrel's integers to Philox (normative; every backend does exactly this):
//   random(key, counter): key as a u64 (two's complement) gives the Philox key {low 32, high 32};
//     counter as a u64 gives the counter {low 32, high 32, 0, 0}; with the four output words
//     x0..x3, the result is ((x0 << 32 | x1) >> 11) * 2^-53, in [0, 1) with 53 random bits.
//   randn(key, counter): the same key, the counter {low 32, high 32, 1, 0} (word 2 = 1 keeps the
//     normal draws independent of the uniform ones); u1 = (((x0 << 32 | x1) >> 11) + 1) * 2^-53
//     in (0, 1], u2 = ((x2 << 32 | x3) >> 11) * 2^-53 in [0, 1);
//     result = sqrt(-2 * log(u1)) * cos(2π * u2)  (Box-Muller, first output only; the
//     platform's log, sqrt and cos in f64: libm's on the host).
//   rand(n, key) / rand(m, n, key): element k in row-major order is random(key, k); randn alike.
//   Streams: seed(s) sets the stream to {key s, counter 0}; each random() or randn() returns
//     random(key, counter) or randn(key, counter) and then increments the counter, so the k-th
//     draw (from 0) of a stream seeded with s is random(s, k) (or randn(s, k)). A program starts
//     with the stream {0, 0}.
//   parallel for: on entry the loop takes the stream's state as `base` and advances the stream's
//     counter by one (the loop consumes one draw); iteration i draws from substream(base, i),
//     whose key is the first two words (x0 << 32 | x1) of Philox with counter
//     {i low, i high, base.counter low, base.counter high} and key
//     {base.key low ^ 0x85a308d3, base.key high ^ 0x13198a2e}, and whose counter starts at 0.
//     So a result never depends on which thread ran iteration i.
#include "runtime/rules/hd.hpp"

namespace kestrel::rt {

/// Philox's four-word counter (and block), and its two-word key.
struct PhiloxCounter {
  hd::u32 w[4];
  KESTREL_HD constexpr hd::u32& operator[](int k) { return w[k]; }
  KESTREL_HD constexpr hd::u32 operator[](int k) const { return w[k]; }
  KESTREL_HD friend constexpr bool operator==(const PhiloxCounter& a, const PhiloxCounter& b) {
    return a.w[0] == b.w[0] && a.w[1] == b.w[1] && a.w[2] == b.w[2] && a.w[3] == b.w[3];
  }
};
struct PhiloxKey {
  hd::u32 w[2];
  KESTREL_HD constexpr hd::u32& operator[](int k) { return w[k]; }
  KESTREL_HD constexpr hd::u32 operator[](int k) const { return w[k]; }
};

namespace philox_detail {
inline constexpr hd::u32 kM0 = 0xD2511F53;
inline constexpr hd::u32 kM1 = 0xCD9E8D57;
inline constexpr hd::u32 kW0 = 0x9E3779B9;  // golden ratio
inline constexpr hd::u32 kW1 = 0xBB67AE85;  // sqrt(3) - 1

KESTREL_HD constexpr PhiloxCounter round(PhiloxCounter ctr, PhiloxKey key) {
  hd::u64 p0 = static_cast<hd::u64>(kM0) * ctr[0];
  hd::u64 p1 = static_cast<hd::u64>(kM1) * ctr[2];
  auto hi0 = static_cast<hd::u32>(p0 >> 32);
  auto lo0 = static_cast<hd::u32>(p0);
  auto hi1 = static_cast<hd::u32>(p1 >> 32);
  auto lo1 = static_cast<hd::u32>(p1);
  return {hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
}
}  // namespace philox_detail

/// Philox4x32 with 10 rounds: Random123's philox4x32(ctr, key).
KESTREL_HD constexpr PhiloxCounter philox4x32_10(PhiloxCounter ctr, PhiloxKey key) {
  for (int r = 0; r < 10; ++r) {
    if (r > 0) {
      key[0] += philox_detail::kW0;
      key[1] += philox_detail::kW1;
    }
    ctr = philox_detail::round(ctr, key);
  }
  return ctr;
}

/// The Philox block of (key, counter) in domain 0 (random) or 1 (randn).
KESTREL_HD constexpr PhiloxCounter philox_block(hd::i64 key, hd::i64 counter, hd::u32 domain) {
  auto k = static_cast<hd::u64>(key);
  auto c = static_cast<hd::u64>(counter);
  return philox4x32_10({static_cast<hd::u32>(c), static_cast<hd::u32>(c >> 32), domain, 0},
                       {static_cast<hd::u32>(k), static_cast<hd::u32>(k >> 32)});
}

/// 53 bits from two words: (hi << 32 | lo) >> 11.
KESTREL_HD constexpr hd::u64 bits53(hd::u32 hi, hd::u32 lo) {
  return ((static_cast<hd::u64>(hi) << 32) | lo) >> 11;
}

inline constexpr double kTwoPow53Inv = 1.0 / 9007199254740992.0;  // 2^-53
inline constexpr double kTwoPi = 6.283185307179586;

/// The uniform draw of a block: its first two words' 53 bits times 2^-53, in [0, 1).
KESTREL_HD constexpr double uniform_of(const PhiloxCounter& x) {
  return static_cast<double>(bits53(x[0], x[1])) * kTwoPow53Inv;
}
/// The normal draw of a block: Box-Muller's first output, with u1 in (0, 1] from words 0 and 1
/// and u2 in [0, 1) from words 2 and 3.
KESTREL_HD inline double normal_of(const PhiloxCounter& x) {
  double u1 = static_cast<double>(bits53(x[0], x[1]) + 1) * kTwoPow53Inv;
  double u2 = static_cast<double>(bits53(x[2], x[3])) * kTwoPow53Inv;
  return hd::sqrt(-2.0 * hd::log(u1)) * hd::cos(kTwoPi * u2);
}

/// random(key, counter): uniform in [0, 1).
KESTREL_HD constexpr double random(hd::i64 key, hd::i64 counter) {
  return uniform_of(philox_block(key, counter, 0));
}
/// randn(key, counter): standard normal.
KESTREL_HD inline double randn(hd::i64 key, hd::i64 counter) {
  return normal_of(philox_block(key, counter, 1));
}

/// The seeded stream behind seed(s), random() and randn().
struct Stream {
  hd::i64 key = 0;
  hd::i64 counter = 0;
};

/// seed(s).
KESTREL_HD inline void seed(Stream& s, hd::i64 key) { s = Stream{key, 0}; }
/// random() / randn(): the next draw.
KESTREL_HD inline double next_random(Stream& s) { return random(s.key, s.counter++); }
KESTREL_HD inline double next_randn(Stream& s) { return randn(s.key, s.counter++); }

/// Entering a parallel for: returns the base the iterations' substreams derive from and
/// advances `s` by one draw.
KESTREL_HD inline Stream begin_parallel(Stream& s) {
  Stream base = s;
  ++s.counter;
  return base;
}
/// The stream of iteration i of a parallel for entered with `base`.
KESTREL_HD constexpr Stream substream(const Stream& base, hd::i64 i) {
  auto k = static_cast<hd::u64>(base.key);
  auto c = static_cast<hd::u64>(base.counter);
  auto u = static_cast<hd::u64>(i);
  PhiloxCounter x = philox4x32_10(
      {static_cast<hd::u32>(u), static_cast<hd::u32>(u >> 32), static_cast<hd::u32>(c),
       static_cast<hd::u32>(c >> 32)},
      {static_cast<hd::u32>(k) ^ 0x85a308d3u, static_cast<hd::u32>(k >> 32) ^ 0x13198a2eu});
  return Stream{static_cast<hd::i64>((static_cast<hd::u64>(x[0]) << 32) | x[1]), 0};
}

}  // namespace kestrel::rt
