// `kestrel emit --cuda` and the GPU side of a --target gpu program (gpu.hpp).
#include "dsl/engine/gpu.hpp"

#include <cstdio>

#include "codegen/common/rt_ops.hpp"
#include "codegen/cuda/cuda.hpp"
#include "codegen/llvm/object_cache.hpp"
#include "runtime/gpu/cuda_api.hpp"
#include "runtime/gpu/nvrtc.hpp"
#include "runtime/gpu/program.hpp"

namespace kestrel::engine {

namespace {

std::string where(const diag::SourceManager& sources, diag::Span span) {
  if (span.file == diag::kNoFile) {
    return "?";
  }
  const diag::SourceFile& f = sources.file(span.file);
  diag::LineCol lc = f.line_col(span.begin);
  return f.name() + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.col);
}

}  // namespace

std::string cuda_listing(const diag::SourceManager& sources, const ir::Program& program,
                         ir::FnId fn) {
  cuda::Generated g = cuda::generate(program, fn);
  std::string out;
  if (fn.valid() && !g.also_reason.empty()) {
    out += "// " + program.fn(fn).name + " has no device form: " + g.also_reason + "\n";
  }
  for (const codegen::GpuRegion& r : g.plan.regions) {
    if (fn.valid() && !(r.fn == fn)) {
      continue;
    }
    diag::Span span = r.is_loop ? program.stmt(r.stmt).span : program.expr(r.launch).span;
    out += "// on the GPU: " + cuda::kernel_name(r.id) + ", the " +
           (r.is_loop ? std::string("parallel for") : std::string("launch")) + " at " +
           where(sources, span) + " in " + program.fn(r.fn).name + "\n";
  }
  for (const cuda::LeftOnCpu& l : g.left) {
    if (fn.valid() && l.span.file != diag::kNoFile) {
      // Only the chosen function's: its span lies inside the function's.
      diag::Span fs = program.fn(fn).span;
      if (l.span.file != fs.file || l.span.begin < fs.begin || l.span.end > fs.end) {
        continue;
      }
    }
    out += "// on the CPU: " + where(sources, l.span) + ": " + l.reason + "\n";
  }
  if (g.plan.regions.empty() && g.left.empty() && !fn.valid()) {
    out += "// no parallel loop or kernel launch: everything runs on the CPU\n";
  }
  if (!fn.valid()) {
    return out + (g.source.empty() ? "" : "\n" + g.source);
  }
  for (const auto& [piece_fn, text] : g.pieces) {
    if (piece_fn == fn) {
      out += "\n" + text;
    }
  }
  return out;
}

std::string gpu_unavailable_reason() { return gpu::gpu_unavailable_reason(); }

std::string cuda_compiled(const ir::Program& program, bool cubin) {
  cuda::Generated g = cuda::generate(program);
  if (g.plan.empty()) {
    return "// no parallel loop or kernel launch runs on the GPU: nothing to compile\n";
  }
  gpu::CompileOptions o;
  o.arch = 90;
  o.output = cubin ? gpu::Output::Cubin : gpu::Output::Ptx;
  gpu::Compiled c;
  try {
    c = gpu::compile_cuda(g.source, o);
  } catch (const std::exception& e) {
    throw Error(std::string("error: NVRTC: ") + e.what() + "\n");
  }
  if (!cubin) {
    return c.image;
  }
  std::string found;
  for (const codegen::GpuRegion& r : g.plan.regions) {
    std::string name = cuda::kernel_name(r.id);
    found += (c.image.find(name) != std::string::npos ? " " : " missing:") + name;
  }
  return "// cubin for sm_90: " + std::to_string(c.image.size()) + " bytes; kernels:" + found +
         "\n";
}

namespace {

/// The runtime's descriptors of the plan's regions.
gpu::ProgramDesc program_desc(const ir::Program& program, const cuda::Generated& g) {
  gpu::ProgramDesc desc;
  desc.source = g.source;
  for (const codegen::GpuRegion& r : g.plan.regions) {
    gpu::RegionDesc rd;
    rd.kernel = cuda::kernel_name(r.id);
    for (const codegen::GpuSlot& slot : r.params) {
      gpu::ParamDesc pd;
      pd.kind = slot.type.is_array() ? gpu::ParamDesc::Array : gpu::ParamDesc::Scalar;
      pd.elem = codegen::rt_elem(slot.type.scalar);
      pd.rank = slot.type.rank;
      pd.written = slot.written;
      rd.params.push_back(pd);
    }
    if (r.is_loop) {
      const auto& fo = std::get<ir::For>(program.stmt(r.stmt).kind);
      const ir::Function& f = program.fn(r.fn);
      for (const ir::Reduction& red : fo.reductions) {
        gpu::ReductionDesc d;
        d.op = codegen::rt_combine(red.op);
        d.elem = codegen::rt_elem(f.locals[red.local.v].type.scalar);
        rd.reductions.push_back(d);
      }
    }
    desc.regions.push_back(std::move(rd));
  }
  return desc;
}

/// The JIT's cache folder (its rule: cache_dir, else the XDG default; empty when off): the GPU's
/// compiled kernels go in its cuda/ subfolder.
std::string cache_dir_of(const EngineOptions& options) {
  jit::Options o;
  o.use_cache = options.use_cache;
  o.cache_dir = options.cache_dir;
  return jit::cache::dir_of(o).string();
}

/// Native code whose regions run on the GPU.
class GpuBackend final : public Backend {
 public:
  GpuBackend(std::unique_ptr<Backend> cpu, std::shared_ptr<gpu::Program> program,
             std::string summary)
      : cpu_(std::move(cpu)), gpu_(std::move(program)), summary_(std::move(summary)) {}

  void run_main(const codegen::RunOptions& options) override {
    with_gpu(options, [&](const codegen::RunOptions& o) { cpu_->run_main(o); });
  }
  codegen::Value call(ir::FnId fn, std::span<const codegen::Value> args,
                      const codegen::RunOptions& options) override {
    codegen::Value r;
    with_gpu(options, [&](const codegen::RunOptions& o) { r = cpu_->call(fn, args, o); });
    return r;
  }
  codegen::StreamState stream_state() const override { return cpu_->stream_state(); }
  void set_stream_state(codegen::StreamState s) override { cpu_->set_stream_state(s); }
  std::string emit_llvm() override { return cpu_->emit_llvm(); }
  std::string emit_llvm_function(ir::FnId fn) override { return cpu_->emit_llvm_function(fn); }
  // No direct native calls: they would bypass the GPU program and the sync after the run.
  bool cached() const override { return cpu_->cached(); }
  bool cache_hit() const override { return cpu_->cache_hit(); }
  std::string gpu_summary() const override { return summary_; }

 private:
  /// Runs `f` with the GPU program in its options; whatever the device wrote is copied back when
  /// it ends, failed or not (the JIT syncs at the end of each run of GPU statements already;
  /// this catches a run that stopped between).
  template <class F>
  void with_gpu(const codegen::RunOptions& options, F&& f) {
    codegen::RunOptions o = options;
    o.gpu = gpu_.get();
    try {
      f(o);
    } catch (...) {
      sync_quietly();
      throw;
    }
    if (gpu_) {
      gpu_->sync();
    }
  }
  void sync_quietly() noexcept {
    try {
      if (gpu_) {
        gpu_->sync();
      }
    } catch (...) {  // the run's own error is the one to report
    }
  }

  std::unique_ptr<Backend> cpu_;
  std::shared_ptr<gpu::Program> gpu_;
  std::string summary_;
};

}  // namespace

std::unique_ptr<Backend> compile_gpu(const ir::Program& program, Mode mode,
                                     const EngineOptions& options,
                                     std::shared_ptr<jit::Host>* jit_host,
                                     std::vector<ir::FnId> roots, bool llvm_text) {
  if (mode != Mode::Jit) {
    throw Error(
        "error: --target gpu runs with the JIT; the interpreter (--interp) runs everything on "
        "the CPU\n");
  }
  if (std::string why = gpu::gpu_unavailable_reason(); !why.empty()) {
    throw Error("error: --target gpu: " + why + "\n");
  }
  auto g = std::make_shared<cuda::Generated>(cuda::generate(program));
  std::shared_ptr<gpu::Program> device_program;
  std::string summary;
  if (!g->plan.empty()) {
    try {
      device_program = gpu::Program::load(program_desc(program, *g), cache_dir_of(options));
    } catch (const std::exception& e) {
      throw Error(std::string("error: --target gpu: ") + e.what() + "\n");
    }
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%s: %zu region(s) on the GPU, %zu on the CPU; gpu compile %.3f ms%s",
                  device_program->device_name().c_str(), g->plan.regions.size(), g->left.size(),
                  device_program->compile_ms(),
                  device_program->cache_hit() ? " (cache hit)" : " (cache miss)");
    summary = buf;
  } else {
    summary = "no parallel loop or launch runs on the GPU (" + std::to_string(g->left.size()) +
              " on the CPU: kestrel emit --cuda says why)";
  }
  std::unique_ptr<Backend> cpu = compile_cpu(program, mode, options, jit_host, std::move(roots),
                                             &g->plan, JitTier::Full, llvm_text);
  return std::make_unique<GpuBackend>(std::move(cpu), std::move(device_program),
                                      std::move(summary));
}

}  // namespace kestrel::engine
