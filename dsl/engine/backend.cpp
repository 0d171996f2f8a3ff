// Backend selection: the interpreter and the LLVM JIT behind the engine's Backend interface.
#include "dsl/engine/backend.hpp"

#include "codegen/interp/interp.hpp"
#include "codegen/llvm/jit.hpp"

namespace kestrel::engine {

namespace {

class InterpBackend final : public Backend {
 public:
  explicit InterpBackend(const ir::Program& program) : code_(interp::compile(program)) {}
  void run_main(const codegen::RunOptions& options) override { interp::run_main(*code_, options); }
  codegen::Value call(ir::FnId fn, std::span<const codegen::Value> args,
                      const codegen::RunOptions& options) override {
    return interp::call(*code_, fn, args, options);
  }

 private:
  std::unique_ptr<interp::CompiledProgram> code_;
};

class JitBackend final : public Backend {
 public:
  explicit JitBackend(const ir::Program& program) : code_(jit::compile(program)) {}
  void run_main(const codegen::RunOptions& options) override { jit::run_main(*code_, options); }
  codegen::Value call(ir::FnId fn, std::span<const codegen::Value> args,
                      const codegen::RunOptions& options) override {
    return jit::call(*code_, fn, args, options);
  }
  std::string emit_llvm() override { return jit::emit_llvm(*code_); }
  std::string emit_llvm_function(ir::FnId fn) override {
    return jit::emit_llvm_function(*code_, fn);
  }

 private:
  std::unique_ptr<jit::CompiledProgram> code_;
};

}  // namespace

std::string Backend::emit_llvm() {
  throw Error(
      "error: LLVM IR exists only in JIT mode (this program was compiled for the "
      "interpreter)\n");
}
std::string Backend::emit_llvm_function(ir::FnId) { return emit_llvm(); }

std::unique_ptr<Backend> compile(const ir::Program& program, Mode mode) {
  if (mode == Mode::Jit) {
    try {
      return std::make_unique<JitBackend>(program);
    } catch (const codegen::RunError&) {
      throw;
    } catch (const std::exception& e) {
      throw Error(std::string("error: internal error in the JIT: ") + e.what() + "\n");
    }
  }
  return std::make_unique<InterpBackend>(program);
}

}  // namespace kestrel::engine
