// libkestrel.so is the engine archive linked whole (see CMakeLists.txt); this file only gives the
// shared library target a source of its own.
#include "kestrel/kestrel.hpp"
