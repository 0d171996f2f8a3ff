#pragma once
// The CUDA backend: typed IR to CUDA C++ for NVRTC. It decides which `parallel for` loops and
// kernel launches can run on the GPU (plan.cpp: the regions, what each captures, where the runs
// of GPU statements end), and prints one kernel per region plus a __device__ function per user
// function they call (print.cpp), including runtime/rules/ and runtime/gpu/kernel_abi.hpp
// verbatim so every scalar rule is the CPU's own code. Halide's CodeGen_C / CodeGen_PTX_Dev are
// the model: a C-printing visitor behind one entry point. A CPU backend runs everything else and
// hands the regions over through codegen::GpuPlan.
#include <string>
#include <vector>

#include "codegen/common/gpu_plan.hpp"
#include "dsl/diag/source.hpp"
#include "dsl/ir/ir.hpp"

namespace kestrel::cuda {

/// A parallel loop or launch that stays on the CPU, and why.
struct LeftOnCpu {
  diag::Span span;
  std::string reason;
};

/// A program's GPU side: the CUDA C++ source and the plan the CPU backend follows.
struct Generated {
  std::string source;
  codegen::GpuPlan plan;
  std::vector<LeftOnCpu> left;
  /// The source's pieces by the function they come from: a __device__ function, or a region's
  /// body and kernel (`kestrel emit --cuda --fn NAME`).
  std::vector<std::pair<ir::FnId, std::string>> pieces;
  std::string also_reason;
};

/// Plans and prints the whole program's GPU regions; `also` (when valid) is printed as a
/// __device__ function too if it has a device form, launched or not (`emit --cuda --fn`),
/// else Generated::also_reason says why not.
Generated generate(const ir::Program& program, ir::FnId also = {});

/// The kernel name of region `id`: `kr_<id>`.
std::string kernel_name(std::uint32_t id);

namespace detail {
/// plan.cpp's result, before printing: the plan and what stays on the CPU.
struct Planned {
  codegen::GpuPlan plan;
  std::vector<LeftOnCpu> left;
  std::vector<char> device_fns;  // per FnId: printed as a __device__ function
  std::vector<std::pair<ir::FnId, std::string>> pieces;
  std::string also_reason;  // why generate()'s `also` has no device form ("" when it has)
};
Planned plan_program(const ir::Program& program, ir::FnId also = {});
/// print.cpp: the source for a plan.
std::string print_program(const ir::Program& program, Planned& planned);
}  // namespace detail

}  // namespace kestrel::cuda
