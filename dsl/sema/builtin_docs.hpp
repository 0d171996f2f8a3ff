#pragma once
// One line of documentation per builtin, beside the checker's table of builtins (builtins.cpp):
// what the REPL's `:help NAME` prints. tests/sema/builtin_docs_test.cpp fails when a builtin has
// no entry here (or an entry names no builtin), so a new builtin cannot land undocumented.
#include <string>
#include <string_view>
#include <vector>

namespace kestrel::sema {

struct BuiltinDoc {
  const char* name;
  const char* signature;  // as a user calls it: "zeros(n | m, n [, elem])"
  const char* doc;        // one line
};

/// The builtins the checker knows, in its table's order.
std::vector<std::string> builtin_names();
/// Every entry of the docs table.
std::vector<BuiltinDoc> builtin_docs();
/// The doc of builtin `name`, or nullptr.
const BuiltinDoc* find_builtin_doc(std::string_view name);

}  // namespace kestrel::sema
