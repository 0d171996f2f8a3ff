// libkestrel_jit.so's entry (codegen/llvm/jit_module.hpp): the table of the JIT's entry points.
#include "codegen/llvm/jit_module.hpp"

namespace {

std::shared_ptr<kestrel::jit::Host> module_make_host(unsigned opt_level) {
  return kestrel::jit::make_host(opt_level);
}

std::unique_ptr<kestrel::codegen::Backend> module_compile(
    const kestrel::ir::Program& program, const kestrel::jit::Options& options,
    std::shared_ptr<kestrel::jit::Host> host) {
  return kestrel::jit::compile(program, options, std::move(host));
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const kestrel::jit::ModuleApi*
kestrel_jit_module() {
  static const kestrel::jit::ModuleApi api{
      kestrel::jit::kModuleAbiVersion, sizeof(kestrel::jit::Options), sizeof(kestrel::ir::Program),
      &module_make_host, &module_compile};
  return &api;
}
