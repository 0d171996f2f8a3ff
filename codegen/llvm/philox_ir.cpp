// Philox draws as LLVM IR (philox_ir.hpp).
#include "codegen/llvm/philox_ir.hpp"

#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "codegen/llvm/abi_decls.hpp"

namespace kestrel::jit::philox_ir {
namespace {
constexpr std::uint64_t kMask = 0xFFFFFFFF;
constexpr std::uint64_t kM0 = 0xD2511F53;
constexpr std::uint64_t kM1 = 0xCD9E8D57;
constexpr std::uint64_t kW0 = 0x9E3779B9;
constexpr std::uint64_t kW1 = 0xBB67AE85;

using Words = std::array<llvm::Value*, 4>;
using Key = std::array<llvm::Value*, 2>;

/// Philox's arithmetic on words of type `t` (i64, or a vector of them), written by `b`.
struct Rounds {
  llvm::IRBuilderBase& b;
  llvm::Type* t;

  llvm::Value* k(std::uint64_t v) const { return llvm::ConstantInt::get(t, v); }
  llvm::Value* low(llvm::Value* v) const { return b.CreateAnd(v, k(kMask)); }
  llvm::Value* high(llvm::Value* v) const { return b.CreateLShr(v, k(32)); }
  /// One round of counter `c` under key `kk`.
  Words round(const Words& c, const Key& kk) const {
    llvm::Value* p0 = b.CreateMul(low(c[0]), k(kM0));
    llvm::Value* p1 = b.CreateMul(low(c[2]), k(kM1));
    return {b.CreateXor(b.CreateXor(high(p1), c[1]), kk[0]), p1,
            b.CreateXor(b.CreateXor(high(p0), c[3]), kk[1]), p0};
  }
  /// The key of the next round.
  Key next_key(const Key& kk) const {
    return {b.CreateAdd(kk[0], k(kW0)), b.CreateAdd(kk[1], k(kW1))};
  }
  /// The 53 bits of the block `c` after ten rounds.
  llvm::Value* bits(const Words& c) const {
    return b.CreateLShr(b.CreateOr(b.CreateShl(c[0], k(32)), low(c[1])), k(11));
  }
};
}  // namespace

llvm::Value* random_bits(llvm::IRBuilderBase& b, llvm::Value* key, llvm::Value* counter) {
  // Philox4x32-10 (runtime/rules/philox.hpp), counter {c lo, c hi, 0, 0}, key {k lo, k hi}, with
  // each 32-bit word in the low half of an i64 whose high half is left as it falls: only the low
  // halves are read (the multiplies' operands are masked, which x86's 32x32->64 multiply does
  // by itself, and the result is assembled from masked words), so a vectorized loop keeps every
  // word in 64-bit lanes instead of packing and unpacking 32-bit lanes around each multiply
  // (bench/parallel_bench's pi: 58 vpmovqd and 56 vpermt2d per iteration before, none after).
  const Rounds x{b, counter->getType()};
  Words ctr = {counter, x.high(counter), x.k(0), x.k(0)};
  Key kk = {key, x.high(key)};
  for (int r = 0; r < 10; ++r) {
    if (r > 0) {
      kk = x.next_key(kk);
    }
    ctr = x.round(ctr, kk);
  }
  return x.bits(ctr);
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
  llvm::LLVMContext& c = m.getContext();
  llvm::Type* i64 = llvm::Type::getInt64Ty(c);
  return pure_declaration(m, kRandomFunction,
                          llvm::FunctionType::get(llvm::Type::getDoubleTy(c), {i64, i64}, false));
}

std::vector<llvm::Value*> random_rounds(llvm::IRBuilderBase& b, std::span<llvm::Value* const> keys,
                                        std::span<llvm::Value* const> counters) {
  llvm::Type* t = counters[0]->getType();
  const Rounds x{b, t};
  const unsigned lanes =
      t->isVectorTy() ? llvm::cast<llvm::FixedVectorType>(t)->getNumElements() : 1;
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
        v = b.CreateVectorSplat(lanes, v);
      }
      key.push_back({v, x.high(v)});
    }
    key_of[j] = it->second;
  }
  // Round 1 (where counter words 2 and 3 are zero) before the loop, rounds 2..9 in it, one an
  // iteration, and after it the half of round 10 that the draw reads. (Two rounds an iteration
  // spare the register copies of the words' rotation, but cost instruction selection 8 million
  // instructions more for Monte Carlo pi's four draws, and ran no faster: 2565 ms either way.)
  std::vector<Words> ctr(n);
  for (std::size_t j = 0; j < n; ++j) {
    llvm::Value* c = counters[j];
    const Key& kk = key[key_of[j]];
    llvm::Value* p0 = b.CreateMul(x.low(c), x.k(kM0));
    ctr[j] = {b.CreateXor(x.high(c), kk[0]), x.k(0), b.CreateXor(x.high(p0), kk[1]), p0};
  }
  llvm::BasicBlock* pre = b.GetInsertBlock();
  llvm::Function* f = pre->getParent();
  llvm::LLVMContext& cx = b.getContext();
  llvm::Type* i64 = llvm::Type::getInt64Ty(cx);
  llvm::Type* i32 = llvm::Type::getInt32Ty(cx);
  // A key that is one i64 for every lane of vector draws gets the words of rounds 2..10 in a
  // table on the stack, which the loop reads as broadcasts (no vector addition a round); other
  // keys are added to in the loop, from round 2's.
  auto* table_type = llvm::ArrayType::get(i64, 18);
  std::vector<llvm::AllocaInst*> table(key.size(), nullptr);
  if (lanes > 1) {
    for (std::size_t j = 0; j < n; ++j) {
      const std::size_t q = key_of[j];
      if (keys[j]->getType() != i64 || table[q] != nullptr) {
        continue;
      }
      llvm::IRBuilder<> entry(&f->getEntryBlock(), f->getEntryBlock().getFirstInsertionPt());
      table[q] = entry.CreateAlloca(table_type, nullptr, "philox.keys");
      // Filled where the key is defined (once, not at each vector iteration).
      llvm::IRBuilder<> fill(entry.GetInsertBlock(), entry.GetInsertPoint());
      if (auto* def = llvm::dyn_cast<llvm::Instruction>(keys[j])) {
        if (llvm::isa<llvm::PHINode>(def)) {
          fill.SetInsertPoint(def->getParent(), def->getParent()->getFirstInsertionPt());
        } else {
          fill.SetInsertPoint(def->getNextNode());
        }
      }
      llvm::Value* k0 = keys[j];
      llvm::Value* k1 = fill.CreateLShr(k0, 32);
      for (int r = 2; r <= 10; ++r) {  // the key of round r at 2 * (r - 2)
        k0 = fill.CreateAdd(k0, fill.getInt64(kW0));
        k1 = fill.CreateAdd(k1, fill.getInt64(kW1));
        fill.CreateStore(k0, fill.CreateConstInBoundsGEP2_64(table_type, table[q], 0, 2 * (r - 2)));
        fill.CreateStore(k1,
                         fill.CreateConstInBoundsGEP2_64(table_type, table[q], 0, 2 * (r - 2) + 1));
      }
    }
  }
  for (std::size_t q = 0; q < key.size(); ++q) {
    if (table[q] == nullptr) {
      key[q] = x.next_key(key[q]);
    }
  }
  llvm::BasicBlock* after =
      pre->splitBasicBlock(b.GetInsertPoint(), pre->getName() + ".philox.done");
  llvm::BasicBlock* body = llvm::BasicBlock::Create(cx, pre->getName() + ".philox", f, after);
  pre->getTerminator()->setSuccessor(0, body);
  b.SetInsertPoint(body);
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
  // The key of the iteration's round: a phi, or the table's words.
  std::vector<std::array<llvm::PHINode*, 2>> key_phi(key.size(), {nullptr, nullptr});
  std::vector<Key> key_now(key.size());
  for (std::size_t q = 0; q < key.size(); ++q) {  // the phis first, at the block's top
    if (table[q] == nullptr) {
      key_phi[q] = {phi(key[q][0]), phi(key[q][1])};
    }
  }
  for (std::size_t q = 0; q < key.size(); ++q) {
    if (table[q] == nullptr) {
      key_now[q] = {key_phi[q][0], key_phi[q][1]};
      continue;
    }
    llvm::Value* at = b.CreateShl(b.CreateZExt(it, i64), 1);
    for (int w = 0; w < 2; ++w) {
      llvm::Value* slot = b.CreateInBoundsGEP(table_type, table[q],
                                              {b.getInt64(0), b.CreateAdd(at, b.getInt64(w))});
      key_now[q][w] = b.CreateVectorSplat(lanes, b.CreateLoad(i64, slot));
    }
  }
  std::vector<Words> next(n);
  for (std::size_t j = 0; j < n; ++j) {
    const auto& p = ctr_phi[j];
    next[j] = x.round({p[0], p[1], p[2], p[3]}, key_now[key_of[j]]);
  }
  std::vector<Key> key_last(key.size());  // round 10's, for the keys added to
  for (std::size_t q = 0; q < key.size(); ++q) {
    if (key_phi[q][0] != nullptr) {
      key_last[q] = x.next_key(key_now[q]);
      key_phi[q][0]->addIncoming(key_last[q][0], body);
      key_phi[q][1]->addIncoming(key_last[q][1], body);
    }
  }
  for (std::size_t j = 0; j < n; ++j) {
    for (int w = 0; w < 4; ++w) {
      ctr_phi[j][w]->addIncoming(next[j][w], body);
    }
  }
  llvm::Value* it_next = b.CreateAdd(it, llvm::ConstantInt::get(i32, 1));
  it->addIncoming(it_next, body);
  // Rounds 2..9: eight iterations.
  b.CreateCondBr(b.CreateICmpULT(it_next, llvm::ConstantInt::get(i32, 8)), body, after);
  b.SetInsertPoint(after, after->getFirstInsertionPt());
  for (std::size_t q = 0; q < key.size(); ++q) {
    if (table[q] != nullptr) {
      for (int w = 0; w < 2; ++w) {
        key_last[q][w] = b.CreateVectorSplat(
            lanes,
            b.CreateLoad(i64, b.CreateConstInBoundsGEP2_64(table_type, table[q], 0, 16 + w)));
      }
    }
  }
  std::vector<llvm::Value*> draws;
  for (std::size_t j = 0; j < n; ++j) {
    // Round 10: the draw reads words 0 and 1 only, which need the one multiply.
    const Words& c = next[j];
    llvm::Value* p1 = b.CreateMul(x.low(c[2]), x.k(kM1));
    llvm::Value* n0 = b.CreateXor(b.CreateXor(x.high(p1), c[1]), key_last[key_of[j]][0]);
    draws.push_back(draw_of_bits(b, x.bits({n0, p1, nullptr, nullptr})));
  }
  return draws;
}

std::vector<llvm::Value*> random_lanes(llvm::IRBuilderBase& b, std::span<llvm::Value* const> keys,
                                       std::span<llvm::Value* const> counters) {
  std::vector<llvm::Value*> draws;
  for (std::size_t at = 0; at < counters.size(); at += 4) {
    const std::size_t n = std::min<std::size_t>(4, counters.size() - at);
    if (n == 1) {
      draws.push_back(random(b, keys[at], counters[at]));
      continue;
    }
    const unsigned lanes = n == 2 ? 2 : 4;  // a third draw's lanes padded with the last
    auto* t = llvm::FixedVectorType::get(b.getInt64Ty(), lanes);
    llvm::Value* key = llvm::PoisonValue::get(t);
    llvm::Value* counter = llvm::PoisonValue::get(t);
    for (unsigned l = 0; l < lanes; ++l) {
      const std::size_t j = at + std::min<std::size_t>(l, n - 1);
      key = b.CreateInsertElement(key, keys[j], l);
      counter = b.CreateInsertElement(counter, counters[j], l);
    }
    llvm::Value* v = random(b, key, counter);
    for (std::size_t l = 0; l < n; ++l) {
      draws.push_back(b.CreateExtractElement(v, l));
    }
  }
  return draws;
}

}  // namespace kestrel::jit::philox_ir
