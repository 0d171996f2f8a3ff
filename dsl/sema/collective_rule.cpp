// No collective is reached from a `parallel for` or a kernel (issue 18): every rank calls its
// collectives once, in the same order, so a collective called per iteration -- directly (caught
// where it is checked, mpi_builtins.cpp) or through user functions (here) -- would make the ranks
// disagree or wait for each other forever. Found once every function is checked, because a
// callee may be checked after its caller.
#include <string>
#include <vector>

#include "dsl/sema/checker.hpp"

namespace kestrel::sema {

void Checker::check_collectives_reached() {
  if (parallel_calls_.empty()) {
    return;
  }
  // next[f]: f itself when f calls a collective, else the first callee of f that reaches one
  // (a fixpoint over the call graph; recursion is fine), else none.
  constexpr std::uint32_t kNone = ~0u;
  std::vector<std::uint32_t> next(fn_info_.size(), kNone);
  for (std::size_t f = 0; f < fn_info_.size(); ++f) {
    if (fn_info_[f].collective) {
      next[f] = static_cast<std::uint32_t>(f);
    }
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t f = 0; f < fn_info_.size(); ++f) {
      if (next[f] != kNone) {
        continue;
      }
      for (const auto& [callee, at] : fn_info_[f].calls) {
        if (next[callee.v] != kNone) {
          next[f] = callee.v;
          changed = true;
          break;
        }
      }
    }
  }
  for (const auto& [callee, at, in_kernel] : parallel_calls_) {
    if (next[callee.v] == kNone) {
      continue;
    }
    // The chain of calls, callee first, to the function that calls the collective.
    std::string chain = "it calls";
    std::uint32_t f = callee.v;
    for (int hops = 0; next[f] != f && hops < 8; ++hops) {
      f = next[f];
      chain += " '" + program_.functions[f].name + "', which calls";
    }
    while (next[f] != f) {  // a longer chain: name its end only
      f = next[f];
    }
    const FnInfo& end = fn_info_[f];
    chain += " '" + end.collective_name + "'";
    error(diag::Kind::KernelMisuse, at,
          "'" + program_.functions[callee.v].name + "' cannot be called inside a " +
              (in_kernel ? "kernel: " : "'parallel for': ") + chain +
              ", and every rank calls its collectives once, in the same order (call it " +
              (in_kernel ? "before or after the launch)" : "after the loop)"))
        .notes.push_back({*end.collective, "'" + end.collective_name + "' is called here"});
  }
}

}  // namespace kestrel::sema
