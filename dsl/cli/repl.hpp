#pragma once
// The interactive loop of `kestrel repl` (see repl.cpp). Returns the process exit status.
int run_repl();
