#pragma once
// Errors raised inside an imported module's code (the standard library's, say) are reported at
// the script's call that led to them, not at the module's line: a user of groupby.group_agg who
// passes keys and values of different lengths is told at their own line, with a note at the
// line in groupby.kst where the check failed. The rule, the same in every backend: walking out
// from where the error was raised, frame by frame, the first call made by a function that is
// not a module's (the script's code) to a module's function is where the error is reported,
// and the note names the module function it called. An error in the script's own code, or in
// a module with no script code on the way out (a module's function called through the API),
// stays where it is.
#include <string>
#include <string_view>
#include <vector>

#include "codegen/common/backend.hpp"

namespace kestrel::codegen {

/// Whether a function (by its IR name) is an imported module's: those are qualified,
/// `groupby.group_agg` (a module's top-level statements are `groupby.<main>`).
inline bool is_module_function(const std::string& name) {
  return name.find('.') != std::string::npos;
}

/// The note at the module's line where the error was raised.
inline std::string library_note(const std::string& callee) {
  return "raised here, inside the call of '" + callee + "'";
}

/// A caller on the way out from an error: its function's name and its call of the next one in.
struct CallerFrame {
  std::string_view function;
  diag::Span call;
};

/// `error`, raised in the function `inner` whose callers are `frames` (innermost first), where
/// the rule reports it: at the first call by the script's code, if inner is a module's.
inline RunError relocate(const RunError& error, std::string_view inner,
                         const std::vector<CallerFrame>& frames) {
  if (error.has_note() || !is_module_function(std::string(inner))) {
    return error;
  }
  for (const CallerFrame& f : frames) {
    if (!is_module_function(std::string(f.function))) {
      return RunError(f.call, error.message(), error.span(), library_note(std::string(inner)));
    }
    inner = f.function;
  }
  return error;
}

/// `error` as reported at the script's call `call` of the module function `callee`, with the
/// note at where it was raised; an error that already has its note is left as it is.
inline RunError at_script_call(const RunError& error, diag::Span call, const std::string& callee) {
  if (error.has_note()) {
    return error;
  }
  return RunError(call, error.message(), error.span(), library_note(callee));
}

}  // namespace kestrel::codegen
