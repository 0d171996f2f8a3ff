#pragma once
// On-stack replacement (issue 16): the continuation of a function at one of its loop headers,
// as an ordinary IR function that every backend compiles like any other. A run that is inside
// loop k of function F (the interpreter, at one of the loop's back-edges) hands its live values
// to the continuation, which runs the rest of that call of F and returns F's result.
//
// Loops are numbered per function as codegen::LoopRef says: the `for` and `while` statements in
// pre-order (source order, an outer loop before the loops in its body), from 0, parallel loops
// and the loops inside them included (they are counted, but are not entry points).
//
// The header of a loop is where an iteration is about to start: for a `while`, before its
// condition is tested; for a `for`, with the loop variable already holding the next iteration's
// value (the increment done and found in range). The continuation of loop k is, structurally:
//   - loop k itself, resumed: `while cond {body}` again, or `for v in index..hi by step {body}`
//     with the index and the bound and step the loop evaluated on entry;
//   - then the rest of each enclosing block, innermost first; an enclosing loop continues with
//     its current iteration's rest and then its next iterations, as
//       var first = true
//       while first or cond { if first { first = false; <rest> } else { <body> } }
//       for v in index..hi by step { if first { first = false; <rest> } else { <body> } }
//     so `break` and `continue` in the rest keep their meaning;
//   - up to the end of F (F's `return`s return from the continuation).
// The seeded stream is not a parameter: whoever runs the continuation continues the stream
// where the interrupted run left it.
//
// A kernel launch is a switch point of its own (add_launcher): the launch as a function.
#include <cstdint>
#include <string>
#include <vector>

#include "dsl/ir/ir.hpp"

namespace kestrel::ir {

/// One parameter of a continuation: a variable of F in scope at the loop header, or the hidden
/// state of a `for` loop around (or at) the header.
struct LiveSlot {
  enum class Kind : std::uint8_t {
    Local,     // F's variable `local` (F's parameters and the `let`/`var`s in scope)
    ForIndex,  // the current value of the variable `local` of `for` loop number `loop`
    ForHi,     // that loop's bound, as evaluated on entry
    ForStep,   // its step as evaluated on entry (only when `by` is not an integer literal)
  };
  Kind kind = Kind::Local;
  LocalId local;
  std::uint32_t loop = 0;  // the For kinds: the loop's number
  Type type;               // the parameter's type; it takes word_count(type) words
};

/// What one loop of a function offers as an entry point.
struct LoopEntry {
  /// Why the loop is not an entry point ("" when it is).
  std::string not_entry;
  /// The continuation's parameters, in order: what is in scope at the header, in the order it
  /// was declared: F's parameters, then each `let`/`var` (a tuple is one parameter of several
  /// words) and each `for` loop's hidden state (ForIndex, ForHi, then ForStep if any, declared
  /// at the loop, before its body) on the way from F's body to the header, the loop's own last
  /// when it is a `for`. Empty when not an entry point.
  std::vector<LiveSlot> live;
  bool entry() const { return not_entry.empty(); }
};

/// Every loop of `fn`, by number.
std::vector<LoopEntry> loop_entries(const Program& program, FnId fn);

/// The same in a form linear in the function's size (what a backend keeps for every loop):
/// the loops' parameter lists share a tree, each slot naming the slot declared before it.
struct LoopEntryTree {
  std::vector<LiveSlot> slots;
  std::vector<std::uint32_t> parent;  // per slot: the one before it, kNoId for the first
  struct Loop {
    std::string not_entry;       // as LoopEntry's
    std::uint32_t last = kNoId;  // the loop's last parameter (kNoId: none, or not an entry)
    bool entry() const { return not_entry.empty(); }
  };
  std::vector<Loop> loops;  // by number
  /// Loop `loop`'s parameters in order: the chain from its last slot, reversed.
  std::vector<LiveSlot> live(std::uint32_t loop) const;
};
LoopEntryTree loop_entry_tree(const Program& program, FnId fn);

/// How many 8-byte words a parameter of type `t` takes (codegen/common/marshal.hpp's layout;
/// a tuple one per flattened element).
std::uint32_t word_count(const TypeTable& types, Type t);

/// A continuation function added to a program.
struct Continuation {
  FnId fn;                     // its id in the program
  std::vector<LiveSlot> live;  // its parameters, in order (loop_entries(...)[loop].live)
};

/// Appends the continuation of `fn` at loop number `loop` to `program` (its name is F's with
/// `#loopK` appended; it returns F's result). Throws std::invalid_argument when there is no such
/// loop or it is not an entry point (the message says why).
Continuation add_continuation(Program& program, FnId fn, std::uint32_t loop);

/// A kernel launch as a function of its own, for a tiered run's switch at a launch: appends to
/// `program` the function `F#launchN` (F the function holding the launch, N the launch's
/// ExprId) whose parameters are the launch's grid
/// sizes (i64, one per dimension) and then its arguments (of the argument expressions' types),
/// and whose body is that launch of K, with the launch's span (where its own errors point).
/// Run at the depth of the function that launched, it does exactly what the launch did there:
/// the same instances, depth, stream draws and errors. Throws std::invalid_argument when
/// `launch` is not a Launch expression.
FnId add_launcher(Program& program, ExprId launch);

}  // namespace kestrel::ir
