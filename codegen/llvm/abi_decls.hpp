#pragma once
// The JIT's declarations of the runtime's C ABI, all from runtime/abi_list.hpp: one enumerator per
// function, and its LLVM function type computed from the C declaration's own type (abi_decls.cpp),
// so generated code cannot call a runtime function with a signature it does not have.
#include <string_view>

namespace llvm {
class Function;
class FunctionType;
class LLVMContext;
class Module;
class FunctionCallee;
}  // namespace llvm

namespace kestrel::jit {

/// A function of the runtime's C ABI (named as in runtime/abi_list.hpp).
enum class Abi : unsigned {
#define KESTREL_ABI_FN(ret, name, ...) name,
#define KESTREL_ABI_EXTERN(name) name,
#include "runtime/abi_list.hpp"
#undef KESTREL_ABI_FN
#undef KESTREL_ABI_EXTERN
};

/// The C name of `f`.
const char* abi_name(Abi f);
/// The LLVM type of `f`'s C declaration.
llvm::FunctionType* abi_type(llvm::LLVMContext& c, Abi f);
/// The function named `name` (kestrel_rt_log_f64, …); throws std::logic_error for a name that
/// is not in the list.
Abi abi_named(std::string_view name);
/// Declares `f` in `m` (once) with its C type.
llvm::FunctionCallee declare_abi(llvm::Module& m, Abi f);
/// The function `name` of type `type` in `m`, declared at the first request as the JIT's own
/// pure functions are (kestrel.random, kestrel.sdiv, ...: no body, replaced after optimisation):
/// no memory access, no unwinding, always returning, speculatable.
llvm::Function* pure_declaration(llvm::Module& m, const char* name, llvm::FunctionType* type);

}  // namespace kestrel::jit
