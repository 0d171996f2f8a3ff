// Backend selection: the interpreter or the LLVM JIT, each behind codegen::Backend. The JIT is
// reached through the module jit_loader.hpp loads on the first compile, never linked in.
#include "dsl/engine/backend.hpp"

#include <algorithm>

#include "codegen/interp/interp.hpp"
#include "codegen/llvm/native_program.hpp"
#include "dsl/engine/gpu.hpp"
#include "dsl/engine/jit_loader.hpp"
#include "dsl/engine/tiered.hpp"
#include "runtime/parallel.hpp"

namespace kestrel::engine {

namespace {

bool has_parallel_loop(const ir::Program& program) {
  return std::any_of(program.stmts.begin(), program.stmts.end(), [](const ir::Stmt& s) {
    const auto* f = std::get_if<ir::For>(&s.kind);
    return f != nullptr && f->parallel;
  });
}

}  // namespace

std::unique_ptr<Backend> compile(const ir::Program& program, Mode mode,
                                 const EngineOptions& options, std::shared_ptr<jit::Host>* jit_host,
                                 std::vector<ir::FnId> roots, bool llvm_text) {
  if (has_parallel_loop(program)) {
    rt::warm_up_threads(options.threads);  // the pool starts while this compiles
  }
  if (options.target == Target::Gpu) {
    // The GPU backend needs native code: a tiered program runs there as the JIT's.
    return compile_gpu(program, mode == Mode::Tiered ? Mode::Jit : mode, options, jit_host,
                       std::move(roots), llvm_text);
  }
  if (mode == Mode::Tiered || options.crosscheck) {
    return compile_tiered(program, options, std::move(roots));
  }
  return compile_cpu(program, mode, options, jit_host, std::move(roots), nullptr, JitTier::Full,
                     llvm_text);
}

namespace {
/// The JIT's options for compile_cpu's and cached_cpu's arguments.
jit::Options jit_options_of(const EngineOptions& options, std::vector<ir::FnId> roots,
                            const codegen::GpuPlan* gpu, JitTier tier, bool text) {
  jit::Options jit_options;
  jit_options.pipeline = tier == JitTier::Baseline ? jit::Pipeline::Baseline : jit::Pipeline::Full;
  jit_options.keep_text = text;
  jit_options.use_cache = options.use_cache;
  jit_options.cache_dir = options.cache_dir;
  jit_options.roots = std::move(roots);
  jit_options.gpu = gpu;
  jit_options.jit_module = jit_module_identity();
  return jit_options;
}
}  // namespace

std::unique_ptr<Backend> cached_cpu(const ir::Program& program, const EngineOptions& options,
                                    std::vector<ir::FnId> roots, JitTier tier) {
  jit::Options jit_options = jit_options_of(options, std::move(roots), nullptr, tier, false);
  return jit::load_from_cache(program, jit_options);
}

std::unique_ptr<Backend> compile_cpu(const ir::Program& program, Mode mode,
                                     const EngineOptions& options,
                                     std::shared_ptr<jit::Host>* jit_host,
                                     std::vector<ir::FnId> roots, const codegen::GpuPlan* gpu,
                                     JitTier tier, bool text) {
  if (mode == Mode::Jit) {
    jit::Options jit_options = jit_options_of(options, std::move(roots), gpu, tier, text);
    // A cached program links without LLVM: the module loads only for what must compile.
    if (gpu == nullptr) {
      if (std::unique_ptr<Backend> hit = jit::load_from_cache(program, jit_options)) {
        return hit;
      }
    }
    const jit::ModuleApi& jit_api = jit_module();  // throws Error, one line, when it cannot load
    try {
      std::shared_ptr<jit::Host> host;
      if (jit_host != nullptr) {
        if (!*jit_host) {
          *jit_host = jit_api.make_host(jit_options.opt_level);
        }
        host = *jit_host;
      }
      return jit_api.compile(program, jit_options, std::move(host));
    } catch (const codegen::RunError&) {
      throw;
    } catch (const std::exception& e) {
      throw Error(std::string("error: internal error in the JIT: ") + e.what() + "\n");
    }
  }
  return interp::compile(program);
}

}  // namespace kestrel::engine
