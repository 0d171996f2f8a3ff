#pragma once
// expect_error(f, text): f() must throw rt::RuntimeError whose message contains `text` and that
// carries no site (the runtime never knows source locations; backends attach them).
#include <gtest/gtest.h>

#include <string>

#include "runtime/error.hpp"

namespace kestrel::rt {

template <class F>
void expect_error(F f, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing: " << text;
  } catch (const RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    EXPECT_EQ(e.site, kNoSite);
  }
}

}  // namespace kestrel::rt
