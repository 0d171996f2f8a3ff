#pragma once
// `kestrel bench --suite FILE --svg OUT`: the suite's table drawn as a bar chart (SVG, no
// dependency), and the break-even the table prints beside it.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kestrel::cli {

/// One workload of a suite: its label and the median run time of each mode.
struct ChartRow {
  std::string label;
  double interp_ms = 0;
  double jit_ms = 0;
  double baseline_ms = 0;  // 0: none
};

/// A horizontal bar chart of `rows` (interpreter, JIT and, where there is one, baseline bars per
/// workload) on a log-scale time axis, with each bar's time written beside it; `title` heads it,
/// `baseline` names the baseline in the legend. A complete SVG document.
std::string bench_svg(const std::vector<ChartRow>& rows, const std::string& title,
                      const std::string& baseline = "baseline");

/// Runs a suite's baseline `command` (its words; `python3` is $KESTREL_PYTHON when set) in
/// `dir` with `--repeat N` added, and reads the median it prints last as `ms: X`. Nothing, with
/// `why` set, when it fails or prints no such line.
std::optional<double> run_baseline(const std::vector<std::string>& command,
                                   const std::filesystem::path& dir, int repeat, std::string& why);

/// How many calls before the JIT's compile (compile_ms) pays for itself against the interpreter:
/// the smallest n with n * jit_ms + compile_ms <= n * interp_ms, as text; "never" when the JIT
/// is not faster, "1" when the first call already pays.
std::string break_even(double interp_ms, double jit_ms, double compile_ms);

}  // namespace kestrel::cli
