#pragma once
// The stack a run executes on: the JIT's runs and a tiered run's top level (whose calls may
// switch to native code) use a thread of their own with a 512 MiB stack, so the documented call
// depth (10000) fits with frames of up to 50 KB, where the process's main stack (8 MiB) ran out
// near depth 7000 of a function with large frames. Reserved, not committed: pages are touched as
// the recursion reaches them. Deeper, the generated code's stack check makes it an error.
#include <pthread.h>

#include <cstddef>

namespace kestrel::rt {

constexpr std::size_t kRunStack = std::size_t{512} << 20;

/// Runs `f` (which throws nothing) on a thread with a stack of kRunStack bytes, or here when no
/// such thread can be made (the stack check still guards it).
template <class F>
void on_run_stack(F& f) {
  pthread_attr_t attr;
  pthread_t thread;
  bool made = pthread_attr_init(&attr) == 0;
  made = made && pthread_attr_setstacksize(&attr, kRunStack) == 0 &&
         pthread_create(
             &thread, &attr,
             [](void* p) -> void* {
               (*static_cast<F*>(p))();
               return nullptr;
             },
             &f) == 0;
  pthread_attr_destroy(&attr);
  if (made) {
    pthread_join(thread, nullptr);
  } else {
    f();
  }
}

}  // namespace kestrel::rt
