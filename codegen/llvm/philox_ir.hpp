#pragma once
// Philox4x32-10 draws as LLVM IR (runtime/rules/philox.hpp's random(key, counter)), and the form
// a parallel loop of draws takes (passes.hpp's add_random_variants and expand_random_calls).
#include <span>
#include <vector>

namespace llvm {
class Function;
class IRBuilderBase;
class Module;
class Value;
}  // namespace llvm

namespace kestrel::jit::philox_ir {

/// The 53 random bits of random(key, counter) as an i64, straight-line.
llvm::Value* random_bits(llvm::IRBuilderBase& b, llvm::Value* key, llvm::Value* counter);
/// random(key, counter) as an f64, straight-line.
llvm::Value* random(llvm::IRBuilderBase& b, llvm::Value* key, llvm::Value* counter);
/// The 53 random bits times 2^-53 (the draw) of `bits` (an i64 or a vector of them).
llvm::Value* draw_of_bits(llvm::IRBuilderBase& b, llvm::Value* bits);

/// The name of random_function, and what its vector variants' names begin with.
inline constexpr const char* kRandomFunction = "kestrel.random";
inline constexpr const char* kVariantPrefix = "kestrel.random.";
/// `kestrel.random` of `m`, declared at the first request: double(i64 key, i64 counter), pure
/// and speculatable (a tail-folded vector loop may draw for lanes past its end). It has no body:
/// passes.hpp's expand_random_calls replaces its calls after optimisation.
llvm::Function* random_function(llvm::Module& m);

/// The draws random(keys[j], counters[j]) (vectors of i64 of one type, `keys[j]` an i64 or such a
/// vector) computed together in a loop over Philox's rounds inserted at `b`'s insertion point,
/// which it leaves after the loop; returns the draws (vectors of f64).
std::vector<llvm::Value*> random_rounds(llvm::IRBuilderBase& b, std::span<llvm::Value* const> keys,
                                        std::span<llvm::Value* const> counters);

/// The scalar draws random(keys[j], counters[j]) (i64s) computed straight-line in the lanes of
/// vectors of up to four, at `b`'s insertion point; returns the draws (f64s).
std::vector<llvm::Value*> random_lanes(llvm::IRBuilderBase& b, std::span<llvm::Value* const> keys,
                                       std::span<llvm::Value* const> counters);

}  // namespace kestrel::jit::philox_ir
