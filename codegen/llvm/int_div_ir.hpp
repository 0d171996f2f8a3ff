#pragma once
// An i64 division by a constant in vector lanes. x86 has no 64-bit multiply-high for vectors, so
// LLVM's selection DAG splits `sdiv <N x i64> X, splat(D)` into one scalar division a lane
// (16 multiplies and the moves between vector and scalar registers for eight lanes), and its
// vectoriser, seeing that cost, leaves a loop of `i % 100` scalar. In a loop the IR says may be
// vectorised (ir_queries.hpp's DivisionPlan), Kestrel's `a // D` and `a % D` with a constant D
// lower to calls of `kestrel.sdiv` and `kestrel.srem`,
// declarations the vectoriser widens to vector variants (passes.hpp's add_division_variants);
// after optimisation expand_division_calls writes a scalar call as LLVM's `sdiv` or `srem`, and a
// vector one as the multiply by D's magic number (Hacker's Delight, 10-4, as LLVM's own BuildSDIV
// does it), its 128-bit product's high half made of four 32x32->64-bit products, which x86 has in
// vector lanes (and the remainder as a - q * D).
#include <cstdint>

namespace llvm {
class Function;
class IRBuilderBase;
class Module;
class Value;
}  // namespace llvm

namespace kestrel::jit::int_div_ir {

/// The functions' names, and what the names of their vector variants begin with.
inline constexpr const char* kSDivFunction = "kestrel.sdiv";
inline constexpr const char* kSRemFunction = "kestrel.srem";
inline constexpr const char* kSDivVariantPrefix = "kestrel.sdiv.";
inline constexpr const char* kSRemVariantPrefix = "kestrel.srem.";

/// Whether a division by `d` gets the call: |d| >= 3 and not a power of two (LLVM divides
/// vectors by a power of two with shifts, and by 1, -1 or 2 needs no multiply).
bool wants_call(std::int64_t d);

/// `kestrel.sdiv` (a / d rounded toward zero: LLVM's sdiv) or, `remainder`, `kestrel.srem` (LLVM's
/// srem) of `m`, declared at the first request: i64(i64 a, i64 d); pure and speculatable, since
/// their callers pass only a constant d for which wants_call holds (never 0 or -1).
llvm::Function* division_function(llvm::Module& m, bool remainder);

/// a / d rounded toward zero, lane by lane, for `a` a vector of i64 and wants_call(d).
llvm::Value* sdiv_vector(llvm::IRBuilderBase& b, llvm::Value* a, std::int64_t d);

}  // namespace kestrel::jit::int_div_ir
