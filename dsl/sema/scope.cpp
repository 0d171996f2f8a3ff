#include "dsl/sema/scope.hpp"

namespace kestrel::sema {

const Symbol* Scopes::lookup(const std::string& name) const {
  for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
    auto found = it->find(name);
    if (found != it->end()) {
      return &found->second;
    }
  }
  return nullptr;
}

const Symbol* Scopes::define(const std::string& name, Symbol symbol) {
  auto [it, inserted] = frames_.back().emplace(name, symbol);
  return inserted ? nullptr : &it->second;
}

}  // namespace kestrel::sema
