#pragma once
// The REPL's scalar boxes (kestrel::Session; see session.cpp's header). A persisted `var` scalar
// or str that an entry may assign is also passed in as a one-element array, its box, and every
// assignment to it in the entry stores the new value there too, so that an entry that fails
// keeps the scalar writes it made before the error, as it keeps its array writes.
#include <string>
#include <vector>

#include "codegen/common/backend.hpp"
#include "dsl/ir/ir.hpp"
#include "runtime/array.hpp"

namespace kestrel::engine::repl {

/// The synthesized entry function, and the prefix of its box parameters (`__repl_b<k>`).
constexpr const char* kEntryFn = "__repl_entry";
constexpr const char* kBoxPrefix = "__repl_b";

/// box[0] = v (a scalar Value: i for bool and integers, f for floats, str for a str).
void store_scalar(const rt::Array& box, const codegen::Value& v);
/// v = box[0], the inverse of store_scalar.
void load_scalar(const rt::Array& box, codegen::Value& v);

/// After each assignment to a boxed variable's local in the entry function, a store of its
/// new value into its box (`__repl_b<k>[0] = x`, `boxed[k]` naming the variable). A parallel
/// loop's reductions are stored after the loop (its iterations write no outer scalar but
/// through the reduction).
void box_writes(ir::Program& program, const std::vector<std::string>& boxed);

}  // namespace kestrel::engine::repl
