#pragma once
// Large buffers about to be filled ask the kernel for transparent huge pages (the CSV streams'
// block texts and field arrays, csv_stream.cpp and csv_parse.cpp). A 4 KB page's first touch is
// a page fault; on a virtual machine it costs about 12 us, more than parsing the page's bytes, and
// a block of 10^6 records touches some 13,000 new pages. A 2 MB page takes one fault for 512 of
// them. It is a hint: where huge pages are off (or always on) nothing changes but the fault count.
#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace kestrel::rt {

/// Asks for huge pages to back the 2 MB-aligned pages inside [p, p + n): call it before the
/// memory is first touched (a page already mapped stays small until the kernel's own merging).
inline void advise_huge_pages(void* p, std::size_t n) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHuge = std::uintptr_t{1} << 21;
  auto a = reinterpret_cast<std::uintptr_t>(p);
  std::uintptr_t lo = (a + kHuge - 1) & ~(kHuge - 1);
  std::uintptr_t hi = (a + n) & ~(kHuge - 1);
  if (hi > lo) {
    ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);  // a hint: errors ignored
  }
#else
  (void)p;
  (void)n;
#endif
}

}  // namespace kestrel::rt
