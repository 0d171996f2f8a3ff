#pragma once
// Comparing what two modes printed, for `kestrel bench`: the scripts' own timing lines are
// recognised, and a real difference is shown as a unified diff.
#include <string>

namespace kestrel::cli {

/// `out` with what follows the word "took" on each line replaced by "…": the examples print their
/// own times from clock() that way ("fib_rec(30) = 832040 took 95.2 ms"), as the golden tests
/// assume (tests/llvm/golden_test.cpp). What comes before "took" is still compared.
std::string mask_timings(const std::string& out);

/// A unified diff (`---`/`+++` headers, `@@` hunks with 2 lines of context) from `a` to `b`,
/// at most `max_lines` lines of it; empty when they are equal.
std::string unified_diff(const std::string& a, const std::string& b, const std::string& a_name,
                         const std::string& b_name, std::size_t max_lines = 60);

}  // namespace kestrel::cli
