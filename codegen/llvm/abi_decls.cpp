// LLVM function types computed from the runtime's C declarations (runtime/abi_list.hpp): a C++
// type maps to the LLVM type of the same size and kind (every pointer to `ptr`), and a C type the
// mapping does not know fails to compile.
#include "codegen/llvm/abi_decls.hpp"

#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Module.h>

#include <array>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "runtime/abi.hpp"
#include "runtime/array_reduction.hpp"
#include "runtime/parallel.hpp"

namespace kestrel::jit {
namespace {

/// The LLVM type of a C parameter or result type of the ABI.
template <class T>
llvm::Type* llvm_type(llvm::LLVMContext& c) {
  if constexpr (std::is_void_v<T>) {
    return llvm::Type::getVoidTy(c);
  } else if constexpr (std::is_pointer_v<T>) {
    return llvm::PointerType::getUnqual(c);
  } else if constexpr (std::is_same_v<T, double>) {
    return llvm::Type::getDoubleTy(c);
  } else if constexpr (std::is_same_v<T, float>) {
    return llvm::Type::getFloatTy(c);
  } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return llvm::IntegerType::get(c, sizeof(T) * 8);
  } else {
    static_assert(sizeof(T) == 0, "a C type of the runtime ABI with no LLVM type");
  }
}

template <class R, class... A>
llvm::FunctionType* function_type(llvm::LLVMContext& c, R (*)(A...)) {
  std::vector<llvm::Type*> params{llvm_type<A>(c)...};
  return llvm::FunctionType::get(llvm_type<R>(c), params, false);
}

struct Entry {
  const char* name;
  llvm::FunctionType* (*type)(llvm::LLVMContext&);
};

#define KESTREL_ABI_FN(ret, name, ...) \
  {#name, [](llvm::LLVMContext& c) { return function_type(c, &::name); }},
#define KESTREL_ABI_EXTERN(name) KESTREL_ABI_FN(void, name)
const Entry kEntries[] = {
#include "runtime/abi_list.hpp"
};
#undef KESTREL_ABI_FN
#undef KESTREL_ABI_EXTERN

}  // namespace

const char* abi_name(Abi f) { return kEntries[static_cast<unsigned>(f)].name; }

llvm::FunctionType* abi_type(llvm::LLVMContext& c, Abi f) {
  return kEntries[static_cast<unsigned>(f)].type(c);
}

Abi abi_named(std::string_view name) {
  for (unsigned k = 0; k < std::size(kEntries); ++k) {
    if (name == kEntries[k].name) {
      return static_cast<Abi>(k);
    }
  }
  throw std::logic_error("not a runtime ABI function: " + std::string(name));
}

llvm::FunctionCallee declare_abi(llvm::Module& m, Abi f) {
  return m.getOrInsertFunction(abi_name(f), abi_type(m.getContext(), f));
}

llvm::Function* pure_declaration(llvm::Module& m, const char* name, llvm::FunctionType* type) {
  if (llvm::Function* f = m.getFunction(name)) {
    return f;
  }
  auto* f = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, name, m);
  f->addFnAttr(llvm::Attribute::Speculatable);
  f->setDoesNotThrow();
  f->setWillReturn();
  f->setDoesNotAccessMemory();
  f->setDoesNotFreeMemory();
  f->setNoSync();
  return f;
}

}  // namespace kestrel::jit
