#pragma once
// The engine's side of `--target gpu` and `kestrel emit --cuda`: the CUDA backend's listing of a
// program, and (gpu.cpp) the GPU program a JIT-compiled module hands its regions to.
#include <memory>
#include <string>
#include <vector>

#include "dsl/diag/source.hpp"
#include "dsl/engine/backend.hpp"
#include "dsl/ir/ir.hpp"

namespace kestrel::engine {

/// `kestrel emit --cuda`: which parallel loops and launches run on the GPU (and why the others
/// stay on the CPU) as a comment, then the generated CUDA C++ (of one function when `fn` is
/// valid: its regions' kernels, and its __device__ form if a region calls it).
std::string cuda_listing(const diag::SourceManager& sources, const ir::Program& program,
                         ir::FnId fn);

/// Why the GPU target cannot be used ("" when it can): runtime/gpu's reason.
std::string gpu_unavailable_reason();

/// `kestrel emit --ptx / --cubin`: the program's CUDA source compiled by NVRTC for compute_90
/// (the PTX) or sm_90 (a line with the cubin's size and the kernels in it). Throws Error when
/// NVRTC is missing or the source does not compile (an internal error: its log).
std::string cuda_compiled(const ir::Program& program, bool cubin);

/// compile() under Target::Gpu: checks that a GPU can be used (Error with the reason if not),
/// generates and compiles the CUDA side, and JIT-compiles the rest with the regions handed to
/// it. The Backend it returns gives every run the GPU program and copies back what the device
/// wrote when a run ends.
std::unique_ptr<Backend> compile_gpu(const ir::Program& program, Mode mode,
                                     const EngineOptions& options,
                                     std::shared_ptr<jit::Host>* jit_host,
                                     std::vector<ir::FnId> roots, bool llvm_text);

}  // namespace kestrel::engine
