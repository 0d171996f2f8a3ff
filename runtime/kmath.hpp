#pragma once
// Kestrel's exp and sigmoid are defined in runtime/rules/kmath.hpp (the rules every backend
// shares); this name stays for the code that includes it.
#include "runtime/rules/kmath.hpp"
