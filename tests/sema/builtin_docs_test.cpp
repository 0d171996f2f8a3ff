// Every builtin in the checker's table has a `:help` entry (dsl/sema/builtin_docs.cpp), and every
// entry names a builtin: a builtin added without its doc fails here.
#include "dsl/sema/builtin_docs.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace kestrel::sema {
namespace {

TEST(BuiltinDocs, EveryBuiltinHasADoc) {
  std::vector<std::string> names = builtin_names();
  ASSERT_GT(names.size(), 40u);
  for (const std::string& name : names) {
    const BuiltinDoc* d = find_builtin_doc(name);
    ASSERT_NE(d, nullptr) << "builtin '" << name << "' has no entry in dsl/sema/builtin_docs.cpp";
    EXPECT_NE(std::string(d->signature).find(name), std::string::npos) << name;
    EXPECT_FALSE(std::string(d->doc).empty()) << name;
  }
}

TEST(BuiltinDocs, EveryDocNamesABuiltin) {
  std::vector<std::string> names = builtin_names();
  for (const BuiltinDoc& d : builtin_docs()) {
    EXPECT_NE(std::find(names.begin(), names.end(), d.name), names.end())
        << "dsl/sema/builtin_docs.cpp documents '" << d.name << "', which is no builtin";
  }
}

}  // namespace
}  // namespace kestrel::sema
