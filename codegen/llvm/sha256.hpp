#pragma once
// SHA-256 (FIPS 180-4), for the object cache's keys: the engine computes a key without loading
// LLVM (whose llvm::SHA256 the key used before), and the JIT module computes the same one.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace kestrel::jit {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view bytes);
  /// The digest of everything updated so far; the object is spent afterwards.
  std::array<std::uint8_t, 32> final();
  /// final() as 64 lower-case hex digits.
  std::string hex();

 private:
  void block(const unsigned char* p);
  std::array<std::uint32_t, 8> h_;
  unsigned char buf_[64];
  std::size_t used_ = 0;
  std::uint64_t length_ = 0;  // bytes
};

}  // namespace kestrel::jit
