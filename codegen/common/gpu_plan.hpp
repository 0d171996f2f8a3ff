#pragma once
// What the CUDA backend (codegen/cuda) decided about a program, in the terms a CPU backend needs
// to hand its GPU regions over (the JIT reads this; it never includes codegen/cuda): which
// `parallel for` statements and kernel launches run on the GPU, the values each one takes, in
// the order of its kernel's parameters, and where the runs of GPU statements end (there the CPU
// backend calls kestrel_rt_gpu_sync, so arrays the GPU wrote are copied back before host code
// can read them). runtime/gpu/kernel_abi.hpp is the kernel side of the same contract.
#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dsl/diag/source.hpp"
#include "dsl/ir/ir.hpp"

namespace kestrel::codegen {

/// One kernel parameter and where its value comes from.
struct GpuSlot {
  enum class From : std::uint8_t {
    Local,          // a local of the enclosing function (captured by a parallel for): `local`
    Arg,            // argument `index` of a launch (a scalar or an array)
    Lo,             // a parallel for's first value, as i64
    Step,           // its step, as i64 (1 when absent)
    StreamKey,      // the seeded stream's key and counter on entry (the substreams' base)
    StreamCounter,  //
    Cols,           // a 2-D launch's second extent (1 for a 1-D launch)
  };
  From from = From::Local;
  ir::LocalId local;
  std::uint32_t index = 0;
  ir::Type type;         // a scalar or an array type
  bool written = false;  // an array the region may write (copied back at the next sync)
};

/// One `parallel for` or kernel launch that runs on the GPU as kernel `kr_<id>`.
struct GpuRegion {
  std::uint32_t id = 0;
  ir::FnId fn;                  // the function it is in
  bool is_loop = false;         // a parallel for (else a launch)
  ir::StmtId stmt;              // the parallel for
  ir::ExprId launch;            // the launch
  std::vector<GpuSlot> params;  // the kernel's Params, in order
  /// A loop's scalar reductions (For::reductions order): passed after the iteration count,
  /// and written back.
  std::vector<ir::LocalId> reductions;
  bool uses_stream = false;  // the region draws from the seeded stream (random(), randn())
};

/// A program's GPU plan. Empty when nothing runs on the GPU.
struct GpuPlan {
  std::vector<GpuRegion> regions;
  /// The source location of each GPU site id a kernel can fail at (Status::site).
  std::vector<diag::Span> sites;
  /// Statements after which a run of GPU statements ends: the CPU backend syncs there.
  std::unordered_set<std::uint32_t> sync_after;
  std::unordered_map<std::uint32_t, std::uint32_t> loop_region;    // StmtId -> region
  std::unordered_map<std::uint32_t, std::uint32_t> launch_region;  // ExprId -> region

  bool empty() const { return regions.empty(); }
  const GpuRegion* loop(ir::StmtId s) const {
    auto it = loop_region.find(s.v);
    return it == loop_region.end() ? nullptr : &regions[it->second];
  }
  const GpuRegion* launch_of(ir::ExprId e) const {
    auto it = launch_region.find(e.v);
    return it == launch_region.end() ? nullptr : &regions[it->second];
  }
};

}  // namespace kestrel::codegen
