// Backend selection: the interpreter behind the engine's Backend interface.
#include "dsl/engine/backend.hpp"

#include "codegen/interp/interp.hpp"

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

}  // namespace

std::unique_ptr<Backend> compile(const ir::Program& program, Mode mode) {
  if (mode == Mode::Jit) {
    throw Error("error: the JIT backend is not available in this build; use the interpreter\n");
  }
  return std::make_unique<InterpBackend>(program);
}

}  // namespace kestrel::engine
