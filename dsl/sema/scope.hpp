#pragma once
// Lexical scopes: a stack of name tables. Inner scopes shadow outer ones; a name defined twice in
// one scope is the caller's error to report (define returns the first definition).
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "dsl/diag/source.hpp"

namespace kestrel::sema {

/// What a name means: a local of the current function, a function or kernel, or a module.
struct Symbol {
  enum class Kind : std::uint8_t { Local, Function, Module };
  Kind kind = Kind::Local;
  std::uint32_t id = 0;  // LocalId, FnId or module index
  diag::Span span;       // where it was defined
};

class Scopes {
 public:
  void push() { frames_.emplace_back(); }
  void pop() { frames_.pop_back(); }
  std::size_t depth() const { return frames_.size(); }

  /// The innermost definition of `name`, or null.
  const Symbol* lookup(const std::string& name) const;
  /// Defines `name` in the innermost scope; returns the existing definition there if there is
  /// one (and then defines nothing).
  const Symbol* define(const std::string& name, Symbol symbol);

 private:
  std::vector<std::unordered_map<std::string, Symbol>> frames_;
};

}  // namespace kestrel::sema
