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
  codegen::StreamState stream_state() const override { return interp::stream_state(*code_); }
  void set_stream_state(codegen::StreamState state) override {
    interp::set_stream_state(*code_, state);
  }

 private:
  std::unique_ptr<interp::CompiledProgram> code_;
};

class JitBackend final : public Backend {
 public:
  JitBackend(const ir::Program& program, const jit::Options& options,
             std::shared_ptr<jit::Host> host)
      : code_(jit::compile(program, options, std::move(host))) {}
  void run_main(const codegen::RunOptions& options) override { jit::run_main(*code_, options); }
  codegen::Value call(ir::FnId fn, std::span<const codegen::Value> args,
                      const codegen::RunOptions& options) override {
    return jit::call(*code_, fn, args, options);
  }
  void* native_address(ir::FnId fn) override { return jit::native_address(*code_, fn); }
  void* begin_native(const codegen::RunOptions& options) override {
    return jit::begin_direct(*code_, options);
  }
  void end_native(void* ctx) override { jit::end_direct(*code_, ctx); }
  codegen::StreamState stream_state() const override { return jit::stream_state(*code_); }
  void set_stream_state(codegen::StreamState state) override {
    jit::set_stream_state(*code_, state);
  }
  std::string emit_llvm() override { return jit::emit_llvm(*code_); }
  std::string emit_llvm_function(ir::FnId fn) override {
    return jit::emit_llvm_function(*code_, fn);
  }
  bool cached() const override { return jit::cache_enabled(*code_); }
  bool cache_hit() const override { return jit::last_cache_hit(*code_); }

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

std::unique_ptr<Backend> compile(const ir::Program& program, Mode mode,
                                 const EngineOptions& options, std::shared_ptr<jit::Host>* jit_host,
                                 std::vector<ir::FnId> roots) {
  if (mode == Mode::Jit) {
    jit::Options jit_options;
    jit_options.use_cache = options.use_cache;
    jit_options.cache_dir = options.cache_dir;
    jit_options.roots = std::move(roots);
    try {
      std::shared_ptr<jit::Host> host;
      if (jit_host != nullptr) {
        if (!*jit_host) {
          *jit_host = jit::make_host(jit_options.opt_level);
        }
        host = *jit_host;
      }
      return std::make_unique<JitBackend>(program, jit_options, std::move(host));
    } catch (const codegen::RunError&) {
      throw;
    } catch (const std::exception& e) {
      throw Error(std::string("error: internal error in the JIT: ") + e.what() + "\n");
    }
  }
  return std::make_unique<InterpBackend>(program);
}

}  // namespace kestrel::engine
