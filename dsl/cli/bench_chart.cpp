// The bench suite's chart and break-even (bench_chart.hpp).
#include "bench_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace kestrel::cli {
namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string num(double v, const char* format = "%.1f") {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

/// A time as the axis and the bars write it: "0.05 ms", "12 ms", "3.4 s".
std::string time_text(double ms) {
  if (ms >= 1000) {
    return num(ms / 1000, ms >= 10000 ? "%.0f s" : "%.1f s");
  }
  return num(ms, ms >= 10 ? "%.0f ms" : ms >= 1 ? "%.1f ms" : "%.2g ms");
}

}  // namespace

std::string bench_svg(const std::vector<ChartRow>& rows, const std::string& title,
                      const std::string& baseline) {
  bool any_baseline = false;
  for (const ChartRow& r : rows) {
    any_baseline = any_baseline || r.baseline_ms > 0;
  }
  const int bars = any_baseline ? 3 : 2;
  constexpr int kLabelW = 250, kPlotW = 440, kValueW = 70, kBar = 13, kTop = 56;
  constexpr int kWidth = kLabelW + kPlotW + kValueW;
  const int kGroup = bars * (kBar + 2) + 10;
  const char* kColours[3] = {"#9aa0a6", "#1a73e8", "#e37400"};
  const std::string kNames[3] = {"interpreter", "JIT", baseline};
  // The axis: whole decades around every positive time.
  double lo = 1e300, hi = 0;
  for (const ChartRow& r : rows) {
    for (double v : {r.interp_ms, r.jit_ms, r.baseline_ms}) {
      if (v > 0) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  }
  if (hi <= 0) {
    lo = 1;
    hi = 10;
  }
  int d0 = static_cast<int>(std::floor(std::log10(lo)));
  int d1 = std::max(d0 + 1, static_cast<int>(std::ceil(std::log10(hi))));
  auto x_of = [&](double ms) {
    double t = (std::log10(std::max(ms, std::pow(10.0, d0))) - d0) / (d1 - d0);
    return kLabelW + t * kPlotW;
  };
  int height = kTop + static_cast<int>(rows.size()) * kGroup + 40;
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(kWidth) +
                  "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
                  std::to_string(kWidth) + " " + std::to_string(height) +
                  "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">" + xml_escape(title) +
       "</text>\n";
  for (int k = 0; k < bars; ++k) {  // the legend
    int x = kLabelW + k * 120;
    s += "<rect x=\"" + std::to_string(x) + "\" y=\"30\" width=\"12\" height=\"12\" fill=\"" +
         kColours[k] + "\"/><text x=\"" + std::to_string(x + 16) + "\" y=\"40\">" +
         xml_escape(kNames[k]) + "</text>\n";
  }
  int axis_y = kTop + static_cast<int>(rows.size()) * kGroup;
  for (int d = d0; d <= d1; ++d) {  // gridlines and their labels, one a decade
    std::string x = num(x_of(std::pow(10.0, d)));
    s += "<line x1=\"" + x + "\" y1=\"" + std::to_string(kTop - 6) + "\" x2=\"" + x + "\" y2=\"" +
         std::to_string(axis_y) + "\" stroke=\"#dadce0\"/>\n";
    s += "<text x=\"" + x + "\" y=\"" + std::to_string(axis_y + 16) +
         "\" text-anchor=\"middle\" fill=\"#5f6368\">" + time_text(std::pow(10.0, d)) + "</text>\n";
  }
  s += "<text x=\"" + std::to_string(kLabelW + kPlotW / 2) + "\" y=\"" +
       std::to_string(axis_y + 34) +
       "\" text-anchor=\"middle\" fill=\"#5f6368\">median run time (log scale)</text>\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    int y = kTop + static_cast<int>(i) * kGroup;
    s += "<text x=\"" + std::to_string(kLabelW - 8) + "\" y=\"" + std::to_string(y + kBar + 4) +
         "\" text-anchor=\"end\">" + xml_escape(rows[i].label) + "</text>\n";
    double values[3] = {rows[i].interp_ms, rows[i].jit_ms, rows[i].baseline_ms};
    for (int k = 0; k < bars; ++k) {
      if (values[k] <= 0) {
        continue;  // no baseline for this workload
      }
      int by = y + k * (kBar + 2);
      double x1 = x_of(values[k]);
      s += "<rect x=\"" + std::to_string(kLabelW) + "\" y=\"" + std::to_string(by) + "\" width=\"" +
           num(std::max(1.0, x1 - kLabelW)) + "\" height=\"" + std::to_string(kBar) + "\" fill=\"" +
           kColours[k] + "\"><title>" + xml_escape(rows[i].label) + ", " + kNames[k] + ": " +
           num(values[k], "%.2f") + " ms</title></rect>\n";
      s += "<text x=\"" + num(x1 + 4) + "\" y=\"" + std::to_string(by + kBar - 2) +
           "\" font-size=\"11\">" + time_text(values[k]) + "</text>\n";
    }
  }
  s += "</svg>\n";
  return s;
}

std::optional<double> run_baseline(const std::vector<std::string>& command,
                                   const std::filesystem::path& dir, int repeat, std::string& why) {
  auto quote = [](const std::string& w) {
    std::string q = "'";
    for (char c : w) {
      q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return q + "'";
  };
  std::string line = "cd " + quote(dir.empty() ? "." : dir.string()) + " &&";
  for (std::size_t k = 0; k < command.size(); ++k) {
    const char* python = std::getenv("KESTREL_PYTHON");
    bool swap = k == 0 && command[k] == "python3" && python != nullptr && python[0] != '\0';
    line += " " + quote(swap ? python : command[k]);
  }
  line += " --repeat " + std::to_string(repeat) + " 2>&1";
  FILE* pipe = ::popen(line.c_str(), "r");
  if (pipe == nullptr) {
    why = "cannot start it";
    return std::nullopt;
  }
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) {
    out.append(buf, n);
  }
  int status = ::pclose(pipe);
  std::size_t at = out.rfind("ms: ");
  if (status != 0 || at == std::string::npos || (at > 0 && out[at - 1] != '\n')) {
    std::string last = out.substr(out.rfind('\n', out.size() >= 2 ? out.size() - 2 : 0) + 1);
    why = (status != 0 ? "it failed" : "it printed no 'ms: X' line") +
          (last.empty() ? std::string() : ": " + last.substr(0, last.find('\n')));
    return std::nullopt;
  }
  return std::strtod(out.c_str() + at + 4, nullptr);
}

std::string break_even(double interp_ms, double jit_ms, double compile_ms) {
  if (!(jit_ms < interp_ms)) {
    return "never";
  }
  double n = std::ceil(compile_ms / (interp_ms - jit_ms));
  return n <= 1 ? "1" : num(n, "%.0f");
}

}  // namespace kestrel::cli
