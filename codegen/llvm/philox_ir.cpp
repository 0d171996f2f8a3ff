// Philox draws as LLVM IR (philox_ir.hpp).
#include "codegen/llvm/philox_ir.hpp"

#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <array>
#include <cstdint>
#include <map>
#include <vector>

namespace kestrel::jit::philox_ir {
namespace {
constexpr std::uint64_t kMask = 0xFFFFFFFF;
constexpr std::uint64_t kM0 = 0xD2511F53;
constexpr std::uint64_t kM1 = 0xCD9E8D57;
constexpr std::uint64_t kW0 = 0x9E3779B9;
constexpr std::uint64_t kW1 = 0xBB67AE85;
}  // namespace

llvm::Value* random_bits(llvm::IRBuilderBase& b, llvm::Value* key, llvm::Value* counter) {
  // Philox4x32-10 (runtime/rules/philox.hpp), counter {c lo, c hi, 0, 0}, key {k lo, k hi}, with
  // each 32-bit word in the low half of an i64 whose high half is left as it falls: only the low
  // halves are read (the multiplies' operands are masked, which x86's 32x32->64 multiply does
  // by itself, and the result is assembled from masked words), so a vectorized loop keeps every
  // word in 64-bit lanes instead of packing and unpacking 32-bit lanes around each multiply
  // (bench/parallel_bench's pi: 58 vpmovqd and 56 vpermt2d per iteration before, none after).
  llvm::Type* t = counter->getType();
  auto k = [&](std::uint64_t v) { return llvm::ConstantInt::get(t, v); };
  auto low = [&](llvm::Value* v) { return b.CreateAnd(v, k(kMask)); };
  auto high = [&](llvm::Value* v) { return b.CreateLShr(v, k(32)); };
  llvm::Value* ctr[4] = {counter, high(counter), k(0), k(0)};
  llvm::Value* k0 = key;
  llvm::Value* k1 = high(key);
  for (int r = 0; r < 10; ++r) {
    if (r > 0) {
      k0 = b.CreateAdd(k0, k(kW0));
      k1 = b.CreateAdd(k1, k(kW1));
    }
    llvm::Value* p0 = b.CreateMul(low(ctr[0]), k(kM0));
    llvm::Value* p1 = b.CreateMul(low(ctr[2]), k(kM1));
    llvm::Value* n0 = b.CreateXor(b.CreateXor(high(p1), ctr[1]), k0);
    llvm::Value* n2 = b.CreateXor(b.CreateXor(high(p0), ctr[3]), k1);
    ctr[0] = n0;
    ctr[1] = p1;
    ctr[2] = n2;
    ctr[3] = p0;
  }
  llvm::Value* w = b.CreateOr(b.CreateShl(ctr[0], k(32)), low(ctr[1]));
  return b.CreateLShr(w, k(11));
}

llvm::Value* draw_of_bits(llvm::IRBuilderBase& b, llvm::Value* bits) {
  llvm::Type* f = llvm::Type::getDoubleTy(b.getContext());
  if (auto* v = llvm::dyn_cast<llvm::FixedVectorType>(bits->getType())) {
    f = llvm::FixedVectorType::get(f, v->getNumElements());
  }
  return b.CreateFMul(b.CreateUIToFP(bits, f), llvm::ConstantFP::get(f, 1.0 / 9007199254740992.0));
}

llvm::Value* random(llvm::IRBuilderBase& b, llvm::Value* key, llvm::Value* counter) {
  return draw_of_bits(b, random_bits(b, key, counter));
}

llvm::Function* random_function(llvm::Module& m) {
  if (llvm::Function* f = m.getFunction(kRandomFunction)) {
    return f;
  }
  llvm::LLVMContext& c = m.getContext();
  llvm::Type* i64 = llvm::Type::getInt64Ty(c);
  auto* type = llvm::FunctionType::get(llvm::Type::getDoubleTy(c), {i64, i64}, false);
  auto* f = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage, kRandomFunction, m);
  f->addFnAttr(llvm::Attribute::Speculatable);
  f->setDoesNotThrow();
  f->setWillReturn();
  f->setDoesNotAccessMemory();
  f->setDoesNotFreeMemory();
  f->setNoSync();
  return f;
}

std::vector<llvm::Value*> random_rounds(llvm::IRBuilderBase& b, std::span<llvm::Value* const> keys,
                                        std::span<llvm::Value* const> counters) {
  llvm::Type* t = counters[0]->getType();
  auto k = [&](std::uint64_t v) { return llvm::ConstantInt::get(t, v); };
  auto low = [&](llvm::Value* v) { return b.CreateAnd(v, k(kMask)); };
  auto high = [&](llvm::Value* v) { return b.CreateLShr(v, k(32)); };
  using Words = std::array<llvm::Value*, 4>;
  using Key = std::array<llvm::Value*, 2>;
  auto round = [&](const Words& c, const Key& kk) -> Words {
    llvm::Value* p0 = b.CreateMul(low(c[0]), k(kM0));
    llvm::Value* p1 = b.CreateMul(low(c[2]), k(kM1));
    return {b.CreateXor(b.CreateXor(high(p1), c[1]), kk[0]), p1,
            b.CreateXor(b.CreateXor(high(p0), c[3]), kk[1]), p0};
  };
  auto next_key = [&](const Key& kk) -> Key {
    return {b.CreateAdd(kk[0], k(kW0)), b.CreateAdd(kk[1], k(kW1))};
  };
  const std::size_t n = counters.size();
  // The keys, each once (draws of one key share its schedule), as vectors.
  std::map<llvm::Value*, std::size_t> key_index;
  std::vector<Key> key;
  std::vector<std::size_t> key_of(n);
  for (std::size_t j = 0; j < n; ++j) {
    auto [it, fresh] = key_index.emplace(keys[j], key.size());
    if (fresh) {
      llvm::Value* v = keys[j];
      if (v->getType() != t) {
        v = b.CreateVectorSplat(llvm::cast<llvm::FixedVectorType>(t)->getNumElements(), v);
      }
      key.push_back({v, high(v)});
    }
    key_of[j] = it->second;
  }
  // Rounds 1 (where counter words 2 and 3 are zero) and 2 before the loop, then two rounds an
  // iteration (the words' registers alternate between them rather than being copied).
  std::vector<Words> ctr(n);
  for (std::size_t j = 0; j < n; ++j) {
    llvm::Value* c = counters[j];
    const Key& kk = key[key_of[j]];
    llvm::Value* p0 = b.CreateMul(low(c), k(kM0));
    ctr[j] = {b.CreateXor(high(c), kk[0]), k(0), b.CreateXor(high(p0), kk[1]), p0};
  }
  for (Key& kk : key) {
    kk = next_key(kk);
  }
  for (std::size_t j = 0; j < n; ++j) {
    ctr[j] = round(ctr[j], key[key_of[j]]);
  }
  for (Key& kk : key) {
    kk = next_key(kk);
  }
  llvm::BasicBlock* pre = b.GetInsertBlock();
  llvm::Function* f = pre->getParent();
  llvm::LLVMContext& cx = b.getContext();
  llvm::BasicBlock* after =
      pre->splitBasicBlock(b.GetInsertPoint(), pre->getName() + ".philox.done");
  llvm::BasicBlock* body = llvm::BasicBlock::Create(cx, pre->getName() + ".philox", f, after);
  pre->getTerminator()->setSuccessor(0, body);
  b.SetInsertPoint(body);
  llvm::Type* i32 = llvm::Type::getInt32Ty(cx);
  llvm::PHINode* it = b.CreatePHI(i32, 2, "rounds");
  it->addIncoming(llvm::ConstantInt::get(i32, 0), pre);
  auto phi = [&](llvm::Value* start) {
    llvm::PHINode* p = b.CreatePHI(t, 2);
    p->addIncoming(start, pre);
    return p;
  };
  std::vector<std::array<llvm::PHINode*, 4>> ctr_phi(n);
  for (std::size_t j = 0; j < n; ++j) {
    for (int w = 0; w < 4; ++w) {
      ctr_phi[j][w] = phi(ctr[j][w]);
    }
  }
  std::vector<std::array<llvm::PHINode*, 2>> key_phi(key.size());
  for (std::size_t q = 0; q < key.size(); ++q) {
    key_phi[q] = {phi(key[q][0]), phi(key[q][1])};
  }
  std::vector<Key> key_b(key.size());
  for (std::size_t q = 0; q < key.size(); ++q) {
    key_b[q] = next_key({key_phi[q][0], key_phi[q][1]});
  }
  std::vector<Words> next(n);
  for (std::size_t j = 0; j < n; ++j) {
    const auto& p = ctr_phi[j];
    const auto& kk = key_phi[key_of[j]];
    next[j] = round(round({p[0], p[1], p[2], p[3]}, {kk[0], kk[1]}), key_b[key_of[j]]);
  }
  for (std::size_t q = 0; q < key.size(); ++q) {
    Key kn = next_key(key_b[q]);
    key_phi[q][0]->addIncoming(kn[0], body);
    key_phi[q][1]->addIncoming(kn[1], body);
  }
  for (std::size_t j = 0; j < n; ++j) {
    for (int w = 0; w < 4; ++w) {
      ctr_phi[j][w]->addIncoming(next[j][w], body);
    }
  }
  llvm::Value* it_next = b.CreateAdd(it, llvm::ConstantInt::get(i32, 1));
  it->addIncoming(it_next, body);
  // Rounds 3..10: four iterations.
  b.CreateCondBr(b.CreateICmpULT(it_next, llvm::ConstantInt::get(i32, 4)), body, after);
  b.SetInsertPoint(after, after->getFirstInsertionPt());
  std::vector<llvm::Value*> draws;
  for (std::size_t j = 0; j < n; ++j) {
    llvm::Value* w = b.CreateOr(b.CreateShl(next[j][0], k(32)), low(next[j][1]));
    draws.push_back(draw_of_bits(b, b.CreateLShr(w, k(11))));
  }
  return draws;
}

}  // namespace kestrel::jit::philox_ir
