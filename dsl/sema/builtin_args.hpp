#pragma once
// The positional arguments of one builtin call as the checker checks them: each builtin family
// (builtins.cpp, numpy_builtins.cpp, data_builtins.cpp, stream_check.cpp) asks for "an integer",
// "an array of numbers", … and every one of them says the same thing when an argument is not:
// "argument K of 'NAME' must be …, found …". Internal to dsl/sema.
#include <string>
#include <vector>

#include "dsl/sema/checker.hpp"

namespace kestrel::sema {

/// Element-type tests for BuiltinArgs::array.
bool any_elem(ir::Scalar s);
bool num_elem(ir::Scalar s);
bool num_or_bool(ir::Scalar s);
bool bool_elem(ir::Scalar s);

class BuiltinArgs {
 public:
  BuiltinArgs(Checker& checker, const std::string& name, std::vector<const ast::Expr*> pos,
              diag::Span at);

  /// "argument K of 'NAME'", K counted from 1.
  std::string what(std::size_t k) const;
  /// Reports that argument k must be `must` (and was `found`); the call is then in error.
  void fail(std::size_t k, const std::string& must, Type found,
            diag::Kind kind = diag::Kind::ArgumentType);

  /// Checks argument k as a value; its type (error when it had one).
  Type value(std::size_t k);
  /// An integer scalar, converted to i64.
  void integer(std::size_t k);
  /// A str.
  void string(std::size_t k);
  /// A numeric scalar or array (bool too when allow_bool); error otherwise.
  Type numeric(std::size_t k, bool allow_bool = false);
  /// An array whose element type passes `elem_ok` (described by `must`); error otherwise.
  Type array(std::size_t k, const char* must, bool (*elem_ok)(ir::Scalar));
  /// Argument k (not yet checked) checked as a value that must pass `good`; `must` says what.
  template <typename Good>
  ExprId expect(std::size_t k, const std::string& must, Good good) {
    Type t = value(k);
    if (!t.is_error() && !good(t)) {
      fail(k, must, t);
    }
    return args[k];
  }

  /// `axis=`: a literal 0 or 1 (-1 without one); anything else is reported.
  int parse_axis(const ast::Arg* axis_arg);
  /// An `axis=` given needs a matrix.
  void check_axis(const ast::Arg* axis_arg, Type t);

  /// The call of builtin `b` over the checked arguments with result type t, or an error
  /// expression when anything was wrong. Consumes `args`.
  ExprId make(ir::Builtin b, Type t, int axis = -1);

  Checker& c;
  const std::string& name;
  std::vector<const ast::Expr*> pos;
  diag::Span at;
  std::vector<ExprId> args;
  bool ok = true;
};

}  // namespace kestrel::sema
