#pragma once
// The CSV readers' byte scan (csv_parse.cpp, csv_stream.cpp): the positions of one or two
// bytes, 16 at a time with SSE2 compares and a bit mask where the target has them, else byte by
// byte. The order of the calls, and so every result, is the same either way.
#include <cstddef>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace kestrel::rt::csv_detail {

/// Calls on(p) for each p in [from, to), in order, where s[p] is `a` or `b`, until on returns
/// false; returns that p, or `to` when on never did.
template <class On>
inline std::size_t scan_for(const char* s, std::size_t from, std::size_t to, char a, char b,
                            On&& on) {
  std::size_t i = from;
#if defined(__SSE2__)
  const __m128i va = _mm_set1_epi8(a);
  const __m128i vb = _mm_set1_epi8(b);
  while (i + 16 <= to) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    auto m = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb))));
    while (m != 0) {
      std::size_t p = i + static_cast<std::size_t>(__builtin_ctz(m));
      m &= m - 1;
      if (!on(p)) {
        return p;
      }
    }
    i += 16;
  }
#endif
  for (; i < to; ++i) {
    if (s[i] == a || s[i] == b) {
      if (!on(i)) {
        return i;
      }
    }
  }
  return to;
}

}  // namespace kestrel::rt::csv_detail
