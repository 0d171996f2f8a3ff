#pragma once
// The engine's side of `--target gpu` and `kestrel emit --cuda`: the CUDA backend's listing of a
// program, and (gpu.cpp) the GPU program a JIT-compiled module hands its regions to.
#include <string>

#include "dsl/diag/source.hpp"
#include "dsl/ir/ir.hpp"

namespace kestrel::engine {

/// `kestrel emit --cuda`: which parallel loops and launches run on the GPU (and why the others
/// stay on the CPU) as a comment, then the generated CUDA C++ (of one function when `fn` is
/// valid: its regions' kernels, and its __device__ form if a region calls it).
std::string cuda_listing(const diag::SourceManager& sources, const ir::Program& program,
                         ir::FnId fn);

}  // namespace kestrel::engine
