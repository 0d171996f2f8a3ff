// Unit tests of the CUDA backend's planner and printer (codegen/cuda): which parallel loops and
// launches become GPU regions, what each captures and writes, why the others stay on the CPU,
// and where a run of GPU statements ends (the sync the JIT emits). No GPU and no NVRTC needed:
// tests/lang's cuda:* tests compile every golden program's source with NVRTC.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>

#include "codegen/cuda/cuda.hpp"
#include "dsl/diag/diagnostic.hpp"
#include "dsl/sema/check.hpp"

namespace kestrel::cuda {
namespace {

struct Planned {
  diag::SourceManager sources;
  std::optional<ir::Program> program;
  Generated g;

  explicit Planned(const std::string& text) {
    sema::CheckOptions options;
    diag::DiagnosticList diags;
    program = sema::check_source(sources, "test.kst", text, options, diags);
    if (!program || diags.has_errors()) {
      ADD_FAILURE() << diag::render(sources, diags);
      program.reset();
      return;
    }
    g = generate(*program);
  }
  std::string reason(std::size_t k = 0) const {
    return k < g.left.size() ? g.left[k].reason : "(none)";
  }
  /// The names of region r's captured locals, in parameter order.
  std::vector<std::string> captured(std::size_t r) const {
    std::vector<std::string> names;
    const codegen::GpuRegion& reg = g.plan.regions.at(r);
    for (const codegen::GpuSlot& s : reg.params) {
      if (s.from == codegen::GpuSlot::From::Local) {
        names.push_back(program->fn(reg.fn).locals[s.local.v].name + (s.written ? "*" : ""));
      }
    }
    return names;
  }
  /// The line number of each statement a sync follows, in order.
  std::vector<std::uint32_t> sync_lines() const {
    std::vector<std::uint32_t> lines;
    for (std::uint32_t s : g.plan.sync_after) {
      diag::Span span = program->stmt(ir::StmtId{s}).span;
      lines.push_back(sources.file(span.file).line_col(span.begin).line);
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  }
};

TEST(CudaPlan, AReductionLoopCapturesWhatItReadsAndReducesItsVariable) {
  Planned p(
      "fn f(a: f64[:], w: f64) -> f64 {\n"
      "  var t = 0.0\n"
      "  let unused = 3\n"
      "  parallel for i in 0..len(a) {\n"
      "    let x = a[i] * w\n"
      "    t += x\n"
      "  }\n"
      "  return t\n"
      "}\n");
  ASSERT_TRUE(p.program);
  ASSERT_EQ(p.g.plan.regions.size(), 1u);
  const codegen::GpuRegion& r = p.g.plan.regions[0];
  EXPECT_TRUE(r.is_loop);
  EXPECT_EQ(p.captured(0), (std::vector<std::string>{"a", "w"}));
  ASSERT_EQ(r.reductions.size(), 1u);
  EXPECT_EQ(p.program->fn(r.fn).locals[r.reductions[0].v].name, "t");
  EXPECT_NE(p.g.source.find("rt::combine_identity<double>"), std::string::npos);
  EXPECT_NE(p.g.source.find("KESTREL_KERNEL void kr_0("), std::string::npos);
}

TEST(CudaPlan, ALaunchMarksTheArraysItsKernelWritesThroughACall) {
  Planned p(
      "fn put(o: f64[:], i: i64, v: f64) { o[i] = v }\n"
      "kernel k(a: f64[:], o: f64[:]) { put(o, index(), a[index()] + 1.0) }\n"
      "let a = zeros(4)\nlet o = zeros(4)\nk[4](a, o)\nprint(o)\n");
  ASSERT_TRUE(p.program);
  ASSERT_EQ(p.g.plan.regions.size(), 1u);
  const codegen::GpuRegion& r = p.g.plan.regions[0];
  EXPECT_FALSE(r.is_loop);
  ASSERT_EQ(r.params.size(), 3u);  // cols, a, o
  EXPECT_FALSE(r.params[1].written);
  EXPECT_TRUE(r.params[2].written);
  // put() becomes a __device__ function the kernel's calls.
  EXPECT_NE(p.g.source.find("// put\nKESTREL_DEV void f"), std::string::npos) << p.g.source;
}

TEST(CudaPlan, WhatHasNoDeviceFormStaysOnTheCpuWithItsReason) {
  struct Case {
    const char* body;
    const char* reason;
  };
  const Case cases[] = {
      {"parallel for i in 0..4 { print(i) }", "'print'"},
      {"parallel for i in 0..4 { let z = zeros(3)\n a[i] = z[0] }",
       "an array or other non-scalar local ('z')"},
      {"parallel for i in 0..4 { a[i] = f64(len(zeros(3))) }",
       "an element access of an array expression (only of a named array)"},
      {"parallel for i in 0..4 { a[i] = sum(a) }", "'sum'"},
      {"parallel for i in 0..4 { let s = a[1:3]\n a[i] = 1.0 }",
       "an array or other non-scalar local ('s')"},
      {"parallel for i in 0..4 { a[i] = f64(r(i)) }", "recursive function 'r'"},
      {"var h = zeros(4)\nparallel for i in 0..4 { h[i % 4] += 1.0 }",
       "a float array reduction ('h': its fixed chunked combine order has no atomic form) runs "
       "on the CPU"},
  };
  for (const Case& c : cases) {
    Planned p(std::string("fn r(n: i64) -> i64 { if n <= 0 { return 0 }\n return r(n - 1) }\n") +
              "let a = zeros(4)\n" + c.body + "\n");
    ASSERT_TRUE(p.program) << c.body;
    EXPECT_TRUE(p.g.plan.regions.empty()) << c.body;
    EXPECT_EQ(p.reason(), c.reason) << c.body;
  }
}

TEST(CudaPlan, AnIntegerArrayReductionIsAtomicUpdates) {
  Planned p(
      "var h = zeros(8, i64)\nvar lo = full(8, 100, i64)\n"
      "parallel for i in 0..100 {\n"
      "  h[i % 8] -= i\n"
      "  lo[i % 8] = min(lo[i % 8], i)\n"
      "}\n");
  ASSERT_TRUE(p.program);
  ASSERT_EQ(p.g.plan.regions.size(), 1u) << p.reason();
  EXPECT_EQ(p.captured(0), (std::vector<std::string>{"h*", "lo*"}));
  EXPECT_NE(p.g.source.find("atomic_combine(&"), std::string::npos);
}

TEST(CudaPlan, AKernelWithMoreParametersThanCudaTakesStaysOnTheCpu) {
  std::string params;
  std::string args;
  for (int k = 0; k < 85; ++k) {
    params += ", p" + std::to_string(k) + ": i64";
    args += ", " + std::to_string(k);
  }
  Planned p("kernel k(a: i64[:]" + params + ") { a[index()] = p0 + p84 }\n" +
            "let a = zeros(4, i64)\nk[4](a" + args + ")\nprint(a)\n");
  ASSERT_TRUE(p.program);
  EXPECT_TRUE(p.g.plan.regions.empty());
  EXPECT_EQ(p.reason(), "it takes 87 values, more than the 80 a kernel's parameters hold");
}

TEST(CudaPlan, ARunOfGpuStatementsSyncsOnceAfterItsLast) {
  Planned p(
      "kernel k(a: f64[:]) { a[index()] += 1.0 }\n"  // 1
      "let a = zeros(4)\n"                           // 2
      "k[4](a)\n"                                    // 3
      "let n = 3\n"                                  // 4: scalar: the run goes on
      "for s in 0..n { k[4](a) }\n"                  // 5: a loop of launches: too
      "print(a)\n"                                   // 6: reads a: the run ended at 5
      "k[4](a)\n"                                    // 7
      "if n > 2 { k[4](a)\n print(a[0]) }\n"         // 8-9: the run inside ends at 8
      "print(1)\n");                                 // 10
  ASSERT_TRUE(p.program);
  EXPECT_EQ(p.g.plan.regions.size(), 4u);
  EXPECT_EQ(p.sync_lines(), (std::vector<std::uint32_t>{5, 7, 8}));
}

TEST(CudaPlan, ABreakOrReturnEndsTheRunBeforeIt) {
  // Leaving a loop or function early would skip a sync placed after it.
  Planned p(
      "kernel k(a: f64[:]) { a[index()] += 1.0 }\n"  // 1
      "fn f(a: f64[:], n: i64) {\n"                  // 2
      "  for s in 0..n {\n"                          // 3
      "    k[4](a)\n"                                // 4
      "    if s == 2 { break }\n"                    // 5
      "  }\n"
      "  k[4](a)\n"  // 7
      "  return\n"   // 8
      "}\n");
  ASSERT_TRUE(p.program);
  EXPECT_EQ(p.sync_lines(), (std::vector<std::uint32_t>{4, 7}));
}

TEST(CudaPrint, FaultSitesAreTheCpuErrorsLocations) {
  Planned p(
      "fn f(a: i64[:], d: i64) {\n"
      "  parallel for i in 0..len(a) {\n"
      "    a[i] = a[i + 1] // d\n"
      "  }\n"
      "}\n");
  ASSERT_TRUE(p.program);
  // Four sites, in evaluation order: the read a[i + 1] (its expression), the division (its
  // expression), the store's negative index (a parallel for's disjoint store does not wrap) and
  // its bounds (the statement).
  ASSERT_EQ(p.g.plan.sites.size(), 4u);
  auto col = [&](std::size_t k) {
    diag::Span s = p.g.plan.sites[k];
    return p.sources.file(s.file).line_col(s.begin).col;
  };
  EXPECT_EQ(col(0), 12u);
  EXPECT_EQ(col(1), 12u);
  EXPECT_EQ(col(2), 5u);
  EXPECT_EQ(col(3), 5u);
  EXPECT_NE(p.g.source.find("gpu::kDivZeroFault"), std::string::npos);
  EXPECT_NE(p.g.source.find("gpu::kNegStoreFault"), std::string::npos);
}

}  // namespace
}  // namespace kestrel::cuda
