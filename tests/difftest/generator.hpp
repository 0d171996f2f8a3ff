#pragma once
// The random program generator of the differential tester: from a seed, a well-typed,
// terminating Kestrel program that prints its intermediate values.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kestrel::difftest {

/// One switchable part of the language the generator may use.
struct Feature {
  const char* name;
  const char* what;
  bool on_by_default;
};

/// Every feature, in a fixed order (the index is the bit in Features).
const std::vector<Feature>& all_features();

/// Which features a campaign uses.
class Features {
 public:
  Features();  // the defaults
  bool has(std::string_view name) const;
  /// Applies "+name,-name,..." (or "all", "none"); false (with `error` set) for an unknown name.
  bool apply(std::string_view spec, std::string* error);
  std::string describe() const;  // "name=on|off" one a line

 private:
  std::vector<bool> on_;
};

/// The program for `seed`, using only the features in `features`.
std::string generate_program(std::uint64_t seed, const Features& features);

}  // namespace kestrel::difftest
