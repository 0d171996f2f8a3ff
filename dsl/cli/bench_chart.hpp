#pragma once
// `kestrel bench --suite FILE --svg OUT`: the suite's table drawn as a bar chart (SVG, no
// dependency), and the break-even the table prints beside it.
#include <string>
#include <vector>

namespace kestrel::cli {

/// One workload of a suite: its label and the median run time of each mode.
struct ChartRow {
  std::string label;
  double interp_ms = 0;
  double jit_ms = 0;
};

/// A horizontal bar chart of `rows` (interpreter and JIT bars per workload) on a log-scale time
/// axis, with each bar's time written beside it; `title` heads it. A complete SVG document.
std::string bench_svg(const std::vector<ChartRow>& rows, const std::string& title);

/// How many calls before the JIT's compile (compile_ms) pays for itself against the interpreter:
/// the smallest n with n * jit_ms + compile_ms <= n * interp_ms, as text; "never" when the JIT
/// is not faster, "1" when the first call already pays.
std::string break_even(double interp_ms, double jit_ms, double compile_ms);

}  // namespace kestrel::cli
