#pragma once
// clock(): seconds on a monotonic clock, for scripts that time their own work (as Python's
// time.perf_counter). Only differences mean anything; a value is never reproducible, so a program
// that prints one prints something different on every run, in every mode.
#include <chrono>

namespace kestrel::rt {

inline double clock_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace kestrel::rt
