// Prints the JIT's optimised LLVM IR of a Kestrel file (or of one function): llvm_emit FILE [FN]
#include <cstdio>

#include "codegen/llvm/jit.hpp"
#include "dsl/diag/diagnostic.hpp"
#include "dsl/sema/check.hpp"
using namespace kestrel;
int main(int argc, char** argv) {
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  sema::CheckOptions o;
  o.import_paths.push_back(KESTREL_SOURCE_DIR "/stdlib");
  auto p = sema::check_file(sources, argv[1], o, diags);
  if (!p) {
    std::printf("%s", diag::render(sources, diags).c_str());
    return 1;
  }
  auto c = jit::compile(*p);
  if (argc > 2) {
    std::printf("%s", jit::emit_llvm_function(*c, p->find_function(argv[2])).c_str());
  } else
    std::printf("%s", jit::emit_llvm(*c).c_str());
}
