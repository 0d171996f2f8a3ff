#pragma once
// Counter-based random numbers: Philox4x32-10 exactly as Random123 defines it (Salmon et al.,
// "Parallel random numbers: as easy as 1, 2, 3", SC'11), and Kestrel's random/randn built on it.
// Everything here is a pure function of its arguments, header-only and inlinable: the
// interpreter calls it, the JIT calls or inlines it, the CUDA backend emits the same arithmetic.
//
// The mapping from Kestrel's integers to Philox (normative; every backend does exactly this):
//   random(key, counter): key as a u64 (two's complement) gives the Philox key {low 32, high 32};
//     counter as a u64 gives the counter {low 32, high 32, 0, 0}; with the four output words
//     x0..x3, the result is ((x0 << 32 | x1) >> 11) * 2^-53, in [0, 1) with 53 random bits.
//   randn(key, counter): the same key, the counter {low 32, high 32, 1, 0} (word 2 = 1 keeps the
//     normal draws independent of the uniform ones); u1 = (((x0 << 32 | x1) >> 11) + 1) * 2^-53
//     in (0, 1], u2 = ((x2 << 32 | x3) >> 11) * 2^-53 in [0, 1);
//     result = sqrt(-2 * log(u1)) * cos(2π * u2)  (Box-Muller, first output only; libm's log,
//     sqrt and cos in f64).
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
#include <array>
#include <cmath>
#include <cstdint>

namespace kestrel::rt {

using PhiloxCounter = std::array<std::uint32_t, 4>;
using PhiloxKey = std::array<std::uint32_t, 2>;

namespace philox_detail {
inline constexpr std::uint32_t kM0 = 0xD2511F53;
inline constexpr std::uint32_t kM1 = 0xCD9E8D57;
inline constexpr std::uint32_t kW0 = 0x9E3779B9;  // golden ratio
inline constexpr std::uint32_t kW1 = 0xBB67AE85;  // sqrt(3) - 1

constexpr PhiloxCounter round(PhiloxCounter ctr, PhiloxKey key) {
  std::uint64_t p0 = static_cast<std::uint64_t>(kM0) * ctr[0];
  std::uint64_t p1 = static_cast<std::uint64_t>(kM1) * ctr[2];
  auto hi0 = static_cast<std::uint32_t>(p0 >> 32);
  auto lo0 = static_cast<std::uint32_t>(p0);
  auto hi1 = static_cast<std::uint32_t>(p1 >> 32);
  auto lo1 = static_cast<std::uint32_t>(p1);
  return {hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
}
}  // namespace philox_detail

/// Philox4x32 with 10 rounds: Random123's philox4x32(ctr, key).
constexpr PhiloxCounter philox4x32_10(PhiloxCounter ctr, PhiloxKey key) {
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
constexpr PhiloxCounter philox_block(std::int64_t key, std::int64_t counter, std::uint32_t domain) {
  auto k = static_cast<std::uint64_t>(key);
  auto c = static_cast<std::uint64_t>(counter);
  return philox4x32_10(
      {static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(c >> 32), domain, 0},
      {static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(k >> 32)});
}

/// 53 bits from two words: (hi << 32 | lo) >> 11.
constexpr std::uint64_t bits53(std::uint32_t hi, std::uint32_t lo) {
  return ((static_cast<std::uint64_t>(hi) << 32) | lo) >> 11;
}

inline constexpr double kTwoPow53Inv = 1.0 / 9007199254740992.0;  // 2^-53
inline constexpr double kTwoPi = 6.283185307179586;

/// random(key, counter): uniform in [0, 1).
constexpr double random(std::int64_t key, std::int64_t counter) {
  PhiloxCounter x = philox_block(key, counter, 0);
  return static_cast<double>(bits53(x[0], x[1])) * kTwoPow53Inv;
}

/// randn(key, counter): standard normal (Box-Muller on one Philox block).
inline double randn(std::int64_t key, std::int64_t counter) {
  PhiloxCounter x = philox_block(key, counter, 1);
  double u1 = static_cast<double>(bits53(x[0], x[1]) + 1) * kTwoPow53Inv;
  double u2 = static_cast<double>(bits53(x[2], x[3])) * kTwoPow53Inv;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

/// The seeded stream behind seed(s), random() and randn().
struct Stream {
  std::int64_t key = 0;
  std::int64_t counter = 0;
};

/// seed(s).
inline void seed(Stream& s, std::int64_t key) { s = Stream{key, 0}; }
/// random() / randn(): the next draw.
inline double next_random(Stream& s) { return random(s.key, s.counter++); }
inline double next_randn(Stream& s) { return randn(s.key, s.counter++); }

/// Entering a parallel for: returns the base the iterations' substreams derive from and
/// advances `s` by one draw.
inline Stream begin_parallel(Stream& s) {
  Stream base = s;
  ++s.counter;
  return base;
}
/// The stream of iteration i of a parallel for entered with `base`.
constexpr Stream substream(const Stream& base, std::int64_t i) {
  auto k = static_cast<std::uint64_t>(base.key);
  auto c = static_cast<std::uint64_t>(base.counter);
  auto u = static_cast<std::uint64_t>(i);
  PhiloxCounter x =
      philox4x32_10({static_cast<std::uint32_t>(u), static_cast<std::uint32_t>(u >> 32),
                     static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(c >> 32)},
                    {static_cast<std::uint32_t>(k) ^ 0x85a308d3u,
                     static_cast<std::uint32_t>(k >> 32) ^ 0x13198a2eu});
  return Stream{static_cast<std::int64_t>((static_cast<std::uint64_t>(x[0]) << 32) | x[1]), 0};
}

}  // namespace kestrel::rt
