#pragma once
// Links a relocatable object file that the JIT's code generator made (x86-64 ELF, LLVM's large
// code model: every reference an absolute or PC-relative 64-bit word) into this process without
// LLVM: its sections mapped, its relocations applied, its unwind tables registered, its code made
// executable. The object cache's hits go through it, so a run whose code is all cached never
// loads the JIT module (issue 16: nothing that does not compile loads LLVM). It takes only what
// it knows; anything else (another machine, a relocation kind it does not apply, a malformed
// file) is refused with the reason, and the caller links the object with ORC instead.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kestrel::jit {

class LoadedObject {
 public:
  /// What an undefined symbol binds to: its address, or null when there is none.
  using Resolver = std::function<void*(std::string_view name)>;

  /// `object` linked into memory of its own, or null with `why` set. Every offset, size and
  /// index in the file is checked: a truncated or hostile file is refused, never followed.
  static std::unique_ptr<LoadedObject> load(std::string_view object, const Resolver& resolve,
                                            std::string* why);
  /// Unregisters the unwind tables and unmaps the code.
  ~LoadedObject();
  LoadedObject(const LoadedObject&) = delete;
  LoadedObject& operator=(const LoadedObject&) = delete;

  /// The address of the global symbol `name` the object defines, or null.
  void* symbol(const std::string& name) const;

 private:
  LoadedObject() = default;
  void* base_ = nullptr;
  std::size_t size_ = 0;
  void* eh_frame_ = nullptr;  // registered with the unwinder, or null
  std::unordered_map<std::string, void*> symbols_;
};

}  // namespace kestrel::jit
