#pragma once
// Philox and the random/randn draws are defined in runtime/rules/philox.hpp (the rules every
// backend shares); this name stays for the code that includes it.
#include "runtime/rules/philox.hpp"
