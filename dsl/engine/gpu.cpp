// `kestrel emit --cuda` (gpu.hpp).
#include "dsl/engine/gpu.hpp"

#include "codegen/cuda/cuda.hpp"

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
  cuda::Generated g = cuda::generate(program);
  std::string out;
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
  if (g.plan.regions.empty() && g.left.empty()) {
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

}  // namespace kestrel::engine
