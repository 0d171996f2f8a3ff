#pragma once
// The REPL's boxes (kestrel::Session; see session.cpp's header). A persisted `var` that an entry
// may assign has one or more values: its own (a scalar or an array), or a tuple's elements. They
// are numbered over the entry's boxed variables in order (box_count), and every assignment to
// the variable also hands each of its new values to the session: a scalar or str k is stored in
// its box, a one-element array passed in as the parameter `__repl_b<k>`; an array k is kept in
// slot k of the run's rt::Limits::kept (the ir::Builtin::ReplKeep builtin, so it stays alive).
// An entry that fails keeps the writes it made before the error, rebindings included, as it keeps
// its writes to array elements.
#include <string>
#include <vector>

#include "codegen/common/backend.hpp"
#include "dsl/ir/ir.hpp"
#include "runtime/array.hpp"

namespace kestrel::engine::repl {

/// The prefix of every name the REPL synthesizes, which an entry may not use; the synthesized
/// entry function; and the prefix of its box parameters (`__repl_b<k>`).
constexpr std::string_view kReservedPrefix = "__repl_";
constexpr const char* kEntryFn = "__repl_entry";
constexpr const char* kBoxPrefix = "__repl_b";

/// How many values a boxed variable of type `t` has: a tuple's element count, else 1.
std::size_t box_count(const ir::TypeTable& types, ir::Type t);

/// box[0] = v (a scalar Value: i for bool and integers, f for floats, str for a str).
void store_scalar(const rt::Array& box, const codegen::Value& v);
/// v = box[0], the inverse of store_scalar.
void load_scalar(const rt::Array& box, codegen::Value& v);

/// After each assignment to a boxed variable's local in the entry function (`boxed` names the
/// variables, in the numbering's order), its new values handed over: `__repl_b<k>[0] = x` for a
/// scalar, `__repl_keep(k, a)` for an array, and for a tuple `let (e0, e1, …) = t` and one of
/// those per element. A parallel loop's reductions are stored after the loop (its iterations
/// write no outer scalar but through the reduction, and rebind no outer array or tuple).
void box_writes(ir::Program& program, const std::vector<std::string>& boxed);

}  // namespace kestrel::engine::repl
