// An i64 division by a constant in vector lanes (int_div_ir.hpp).
#include "codegen/llvm/int_div_ir.hpp"

#include <llvm/ADT/APInt.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/DivisionByConstantInfo.h>

#include "codegen/llvm/abi_decls.hpp"

namespace kestrel::jit::int_div_ir {

bool wants_call(std::int64_t d) {
  const auto magnitude =
      d < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(d) : static_cast<std::uint64_t>(d);
  return magnitude >= 3 && (magnitude & (magnitude - 1)) != 0;
}

llvm::Function* division_function(llvm::Module& m, bool remainder) {
  llvm::Type* i64 = llvm::Type::getInt64Ty(m.getContext());
  return pure_declaration(m, remainder ? kSRemFunction : kSDivFunction,
                          llvm::FunctionType::get(i64, {i64, i64}, false));
}

llvm::Value* sdiv_vector(llvm::IRBuilderBase& b, llvm::Value* a, std::int64_t d) {
  llvm::Type* t = a->getType();
  auto k = [&](std::uint64_t v) { return llvm::ConstantInt::get(t, v); };
  const llvm::SignedDivisionByConstantInfo magic =
      llvm::SignedDivisionByConstantInfo::get(llvm::APInt(64, static_cast<std::uint64_t>(d), true));
  const std::uint64_t m = magic.Magic.getZExtValue();
  const auto m_signed = static_cast<std::int64_t>(m);
  // The unsigned 128-bit product a * m from 32-bit halves: the four partial products fit in 64
  // bits each (x86's 32x32->64 multiply, as the masks and shifts tell instruction selection),
  // and the middle column's sum of three 32-bit numbers fits too.
  const std::uint64_t mask = 0xFFFFFFFF;
  llvm::Value* a0 = b.CreateAnd(a, k(mask));
  llvm::Value* a1 = b.CreateLShr(a, k(32));
  llvm::Value* p00 = b.CreateMul(a0, k(m & mask));
  llvm::Value* p01 = b.CreateMul(a0, k(m >> 32));
  llvm::Value* p10 = b.CreateMul(a1, k(m & mask));
  llvm::Value* p11 = b.CreateMul(a1, k(m >> 32));
  llvm::Value* middle = b.CreateAdd(
      b.CreateAdd(b.CreateLShr(p00, k(32)), b.CreateAnd(p01, k(mask))), b.CreateAnd(p10, k(mask)));
  llvm::Value* high =
      b.CreateAdd(b.CreateAdd(b.CreateAdd(p11, b.CreateLShr(p01, k(32))), b.CreateLShr(p10, k(32))),
                  b.CreateLShr(middle, k(32)));
  // The signed product's high half: less m where a is negative, less a where m is.
  high = b.CreateSub(high, b.CreateAnd(b.CreateAShr(a, k(63)), k(m)));
  if (m_signed < 0) {
    high = b.CreateSub(high, a);
  }
  // BuildSDIV's correction, shift and rounding toward zero.
  if (d > 0 && m_signed < 0) {
    high = b.CreateAdd(high, a);
  } else if (d < 0 && m_signed > 0) {
    high = b.CreateSub(high, a);
  }
  llvm::Value* q = b.CreateAShr(high, k(magic.ShiftAmount));
  return b.CreateAdd(q, b.CreateLShr(q, k(63)));
}

}  // namespace kestrel::jit::int_div_ir
