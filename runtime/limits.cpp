#include "runtime/limits.hpp"

#include <time.h>

#include "runtime/array.hpp"
#include "runtime/error.hpp"

namespace kestrel::rt {

namespace {
thread_local const Limits* t_limits = nullptr;
}  // namespace

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

const Limits* current_limits() { return t_limits; }

const Limits* exchange_limits(const Limits* limits) {
  const Limits* saved = t_limits;
  t_limits = limits;
  return saved;
}

LimitsScope::LimitsScope(const Limits* limits) : saved_(t_limits) { t_limits = limits; }
LimitsScope::~LimitsScope() { t_limits = saved_; }

std::string stop_message(const Limits& limits) {
  if (limits.interrupt != nullptr && limits.interrupt->load(std::memory_order_relaxed)) {
    return "interrupted";
  }
  if (limits.epoch != nullptr &&
      limits.epoch->load(std::memory_order_relaxed) != limits.start_epoch) {
    return "interrupted";
  }
  if (limits.deadline_ns != 0 && monotonic_ns() >= limits.deadline_ns) {
    return "time limit of " + std::to_string(limits.time_limit_ms) + " ms exceeded";
  }
  return {};
}

bool stopping(const Limits& limits) {
  return (limits.interrupt != nullptr && limits.interrupt->load(std::memory_order_relaxed)) ||
         (limits.epoch != nullptr &&
          limits.epoch->load(std::memory_order_relaxed) != limits.start_epoch) ||
         (limits.deadline_ns != 0 && monotonic_ns() >= limits.deadline_ns);
}

void poll() {
  const Limits* l = t_limits;
  if (l != nullptr && stopping(*l)) {
    raise(stop_message(*l));
  }
}
void check_io(const char* what, const std::string& path) {
  const Limits* l = t_limits;
  if (l != nullptr && !l->allow_io) {
    raise(std::string(what) + ": file access is disabled (EngineOptions::allow_io is false)");
  }
  if (path.find('\0') != std::string::npos) {  // the system would read the name up to it
    raise(std::string(what) + ": the file name '" + path + "' holds a NUL byte");
  }
}

void check_memory(std::int64_t live, std::int64_t bytes) {
  const Limits* l = t_limits;
  if (l == nullptr || l->memory_limit <= 0) {
    return;
  }
  if (bytes > l->memory_limit - live) {
    raise("memory limit of " + std::to_string(l->memory_limit) + " bytes exceeded: allocating " +
          std::to_string(bytes) + " bytes with " + std::to_string(live) + " in use");
  }
}

void keep_array(std::int64_t slot, Array* a) {
  const Limits* l = t_limits;
  if (l != nullptr && l->kept != nullptr && slot >= 0 &&
      static_cast<std::size_t>(slot) < l->kept->size()) {
    (*l->kept)[static_cast<std::size_t>(slot)] = ArrayRef(a);
  }
}

}  // namespace kestrel::rt
