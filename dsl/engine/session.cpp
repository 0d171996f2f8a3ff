// kestrel::Session, the REPL's engine. How state persists between entries, without changing
// the interpreter:
//
//  * Definitions (fn, kernel, import) are kept as source text, in the order they were accepted;
//    a new definition of the same name replaces the old one.
//  * Top-level variables are kept as values (codegen::Value). Each entry is compiled as one
//    program:
//
//        <accepted definitions>
//        <the entry's own definitions>
//        fn __repl_entry(__repl_p0: T0, __repl_p1: T1, ...) {
//            let x = __repl_p0; var y = __repl_p1; let s = "persisted string"
//            <the entry's statements>
//            return (x, y, s, <the entry's new top-level variables>)
//        }
//
//    and run with the backend's call(), passing the persisted values in and taking the new ones
//    out. In JIT mode every entry is compiled into the session's one LLJIT (jit::Host, made at
//    the first JIT entry), its code in a ResourceTracker of its own that is removed once the
//    entry has run: entries pay for no LLJIT or TargetMachine, and code does not pile up.
//    Only the entry's function and the definitions it calls are compiled. Those are compiled
//    again for each entry that calls them, not called in an earlier entry's code: each entry's
//    program is checked afresh from source, so its function ids, error sites (spans in this
//    entry's synthesized text) and string constants are its own.
//    Scalars and arrays travel as arguments (arrays by reference: no copy); strings are written
//    back into the prelude as literals; a tuple of those travels as its elements and is built
//    again in the prelude (`let t = (__repl_p2, "text")`). Table variables do not persist
//    (interp::call does not take them yet): the REPL says so when an entry defines one.
//  * An entry that declares a persisted name again (`let x = x + 1`) shadows it, as Python's and
//    Julia's REPLs do: its statements run inside `while true { … return … }`, a scope nested in
//    the prelude's, so the new initializer reads the old value.
//  * The seeded random stream (seed(s); random()) continues from one entry to the next.
//  * An entry is checked first without the return (a probe: it gives the types of the entry's
//    top-level declarations and of a final expression), then compiled for real: with the return,
//    and with a final non-void expression wrapped in print() so its value is shown.
//  * A syntax or type error leaves the session as it was. A runtime error (or Ctrl-C) keeps
//    every write the entry made before it, as Python's REPL does: array elements (written in
//    place) and the persisted `var`s' new values, scalars, strs, arrays and tuples of them
//    (after every assignment to one, each of its values is handed to the session: a scalar or
//    str written to a one-element array passed in, its "box"; an array, rebound, kept by the run
//    in a slot of rt::Limits::kept through the ir::Builtin::ReplKeep builtin, which no source
//    name reaches: Impl::boxed, session_boxes.hpp). The same in every mode. The entry's new
//    definitions and variables, and the seeded stream's position, are committed only when it
//    completes.
//  * Diagnostics are mapped back from the synthesized program onto the entry's own text
//    (`<repl>:line:col`), or onto the entry that defined a function (`<repl:N>`).
//
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>

#include "codegen/common/rt_ops.hpp"
#include "dsl/diag/diagnostic.hpp"
#include "dsl/engine/backend.hpp"
#include "dsl/engine/gpu.hpp"
#include "dsl/engine/loaded.hpp"
#include "dsl/engine/session_boxes.hpp"
#include "dsl/engine/tiered.hpp"
#include "dsl/sema/check.hpp"
#include "kestrel/dynamic.hpp"
#include "kestrel/kestrel.hpp"
#include "parser/ast_visit.hpp"
#include "parser/continuation.hpp"
#include "parser/parse.hpp"
#include "runtime/array.hpp"
#include "runtime/error.hpp"
#include "runtime/limits.hpp"

namespace kestrel {

namespace {

namespace ast = parser::ast;

using engine::repl::kBoxPrefix;
using engine::repl::kEntryFn;
using engine::repl::load_scalar;
using engine::repl::store_scalar;

constexpr const char* kParamPrefix = "__repl_p";

/// The first name in `text` that begins with the REPL's reserved prefix (a declaration or a
/// use; strings and comments skipped), as [begin, end), or begin = npos. A user's
/// `let __repl_p0 = 5` once collided with the synthesized parameter of a persisted variable, and
/// every later entry of the session failed.
std::pair<std::size_t, std::size_t> reserved_name(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '#' || c == '"') {
      i = parser::comment_or_string_end(text, i);
    } else if (parser::is_ident_char(c)) {
      std::size_t end = i;
      while (end < text.size() && parser::is_ident_char(text[end])) {
        ++end;
      }
      if (text.substr(i, end - i).starts_with(engine::repl::kReservedPrefix)) {
        return {i, end};
      }
      i = end - 1;
    }
  }
  return {std::string_view::npos, 0};
}
/// The REPL's last value shown (Python's `_`), kept as a session variable.
constexpr const char* kLastValue = "_";

/// A piece of the synthesized program that came from a user's text.
struct Segment {
  std::uint32_t begin = 0;  // in the synthesized program
  std::uint32_t end = 0;
  std::shared_ptr<const std::string> text;  // the entry it came from
  std::string name;                         // `<repl>` or `<repl:N>`
  std::uint32_t offset = 0;                 // where [begin, end) starts in *text
};

/// Builds the synthesized program and remembers which parts map back to user text.
class Builder {
 public:
  void raw(std::string_view s) { out_ += s; }
  void mapped(const std::shared_ptr<const std::string>& text, const std::string& name,
              std::uint32_t begin, std::uint32_t end) {
    Segment seg;
    seg.begin = static_cast<std::uint32_t>(out_.size());
    out_.append(*text, begin, end - begin);
    seg.end = static_cast<std::uint32_t>(out_.size());
    seg.text = text;
    seg.name = name;
    seg.offset = begin;
    segments_.push_back(std::move(seg));
  }
  const std::string& text() const { return out_; }
  const std::vector<Segment>& segments() const { return segments_; }

 private:
  std::string out_;
  std::vector<Segment> segments_;
};

struct Def {
  std::string name;  // function, kernel or module name
  std::shared_ptr<const std::string> text;
  std::string source_name;
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

struct Var {
  std::string name;
  bool is_var = false;
  ir::Type type;  // in the TypeTable of the program that produced it
  std::string type_text;
  std::vector<ir::Type> elems;  // a tuple's element types (same table); empty for the rest
  std::vector<std::string> elem_texts;
  codegen::Value value;  // a tuple's elements in value.elems
  /// Where the user declared it: its name in the entry that did (`<repl:N>`), so that a
  /// diagnostic about the declaration shows what the user typed, not the prelude's
  /// `let x = __repl_p0`.
  std::shared_ptr<const std::string> decl_text;
  std::string decl_source;
  std::uint32_t decl_begin = 0;
  std::uint32_t decl_end = 0;
};

/// A Kestrel string literal holding `s`, escaped as `kestrel fmt` escapes it.
std::string quote(const std::string& s) {
  parser::ast::StrLit literal;
  literal.value = s;
  return parser::format_expr(parser::ast::Expr(literal));
}

bool is_str(ir::Type t) { return t.is_scalar() && t.scalar == ir::Scalar::Str; }

/// Scalars (str too), arrays, and tuples of them.
bool persistable(const ir::TypeTable& types, ir::Type t) {
  if (t.is_tuple()) {
    for (ir::Type e : types.elems(t)) {
      if (!e.is_array() && !e.is_scalar()) {
        return false;
      }
    }
    return true;
  }
  return t.is_array() || t.is_scalar();
}

/// Whether a top-level statement is `break` or `continue` (an error outside a loop, which it
/// must stay: the entry is then not wrapped in a loop).
bool is_loop_jump(const ast::Stmt& s) {
  return ast::ast_if<ast::BreakStmt>(s) != nullptr || ast::ast_if<ast::ContinueStmt>(s) != nullptr;
}

std::string def_name(const ast::Stmt& s) {
  if (const auto* f = ast::ast_if<ast::FnDef>(s)) {
    return f->name.name;
  }
  if (const auto* i = ast::ast_if<ast::ImportStmt>(s)) {
    return i->module.name;
  }
  return {};
}

}  // namespace

struct Session::Impl {
  const Engine& engine;
  std::vector<Def> defs;
  std::vector<Var> vars;
  int entry_count = 0;
  codegen::StreamState stream;          // where the seeded stream stands after the last entry
  EngineOptions engine_options;         // the mode entries run in (`:mode`), the JIT's cache
  std::shared_ptr<jit::Host> jit_host;  // the LLJIT JIT-mode entries are compiled into
  /// The persisted `var`s the entry being run may assign: every assignment to one also hands
  /// its new values to the session (a scalar to its box parameter `__repl_b<k>`, an array to
  /// the run's kept slot k: session_boxes.hpp), so a failed entry keeps the writes and
  /// rebindings it made before the error, as it keeps its writes to array elements.
  std::vector<std::string> boxed;

  explicit Impl(const Engine& e) : engine(e), engine_options(e.options()) {}

  /// One compiled attempt: the sources (kept for rendering errors), the IR and the segments.
  struct Attempt {
    diag::SourceManager sources;
    diag::DiagnosticList diags;
    diag::FileId file = diag::kNoFile;
    std::vector<Segment> segments;
    std::optional<ir::Program> program;
  };

  /// Renders `diags` with spans in the synthesized program moved onto the user's text.
  [[noreturn]] void fail(Attempt& a) {
    std::map<std::string, diag::FileId> files;
    auto remap = [&](diag::Span& span) {
      if (span.file != a.file) {
        return;
      }
      for (const Segment& seg : a.segments) {
        if (span.begin >= seg.begin && span.begin <= seg.end) {
          auto [it, fresh] = files.emplace(seg.name, diag::kNoFile);
          if (fresh) {
            it->second = a.sources.add(seg.name, *seg.text).id();
          }
          std::uint32_t len = span.end >= span.begin ? span.end - span.begin : 0;
          span.file = it->second;
          span.begin = span.begin - seg.begin + seg.offset;
          span.end = std::min<std::uint32_t>(span.begin + len,
                                             static_cast<std::uint32_t>(seg.text->size()));
          return;
        }
      }
    };
    diag::DiagnosticList out;
    for (const diag::Diagnostic& d : a.diags.all()) {
      diag::Span span = d.span;
      remap(span);
      diag::Diagnostic& copy = out.report(d.kind, span, d.message);
      copy.notes = d.notes;
      for (diag::Note& n : copy.notes) {
        remap(n.span);
      }
    }
    throw Error(diag::render(a.sources, out), out.error_count());
  }

  struct Plan {
    std::shared_ptr<const std::string> text;
    ast::Program tree;
    std::vector<std::size_t> def_stmts;    // indexes of definitions in tree.stmts
    std::vector<std::size_t> other_stmts;  // the rest
    std::vector<std::string> new_names;    // top-level let/var names, in order
    bool shadows = false;  // declares a persisted name again: the statements run in a nested scope
  };

  /// The entry's own statements in `program`: the entry function's body, or the body of the
  /// loop that wraps them when the entry shadows a persisted name.
  const ir::Block& entry_block(const ir::Program& program, const Plan& plan) {
    const ir::Function& f = entry_fn(program);
    if (plan.shadows && !f.body.stmts.empty()) {
      if (const auto* w = std::get_if<ir::While>(&program.stmt(f.body.stmts.back()).kind)) {
        return w->body;
      }
    }
    return f.body;
  }

  /// Synthesizes the program for `plan`. `returns`: the variables to return (none: no return);
  /// `print_last`: wrap the last statement (an expression) in print().
  void build(Builder& b, const Plan& plan, const std::vector<std::string>& returns, bool print_last,
             const std::string* type_expr) {
    for (const Def& d : defs) {
      bool replaced = false;
      for (std::size_t k : plan.def_stmts) {
        replaced = replaced || def_name(plan.tree.stmts[k]) == d.name;
      }
      if (!replaced) {
        b.mapped(d.text, d.source_name, d.begin, d.end);
        b.raw("\n");
      }
    }
    for (std::size_t k : plan.def_stmts) {
      ast::Node n = ast::span_of(plan.tree.stmts[k]);
      b.mapped(plan.text, "<repl>", n.begin, n.end);
      b.raw("\n");
    }
    b.raw(std::string("fn ") + kEntryFn + "(");
    std::size_t p = 0;
    auto param = [&](ir::Type t, const std::string& text) {
      if (!is_str(t)) {
        b.raw((p ? ", " : "") + std::string(kParamPrefix) + std::to_string(p) + ": " + text);
        ++p;
      }
    };
    for (const Var& v : vars) {
      if (v.type.is_tuple()) {
        for (std::size_t k = 0; k < v.elems.size(); ++k) {
          param(v.elems[k], v.elem_texts[k]);
        }
      } else {
        param(v.type, v.type_text);
      }
    }
    // The scalar boxes, numbered over the boxed variables' values (session_boxes.hpp).
    std::size_t at = 0;
    auto box = [&](ir::Type t, const std::string& text) {
      if (t.is_scalar()) {
        b.raw((p ? ", " : "") + std::string(kBoxPrefix) + std::to_string(at) + ": " + text + "[:]");
        ++p;
      }
      ++at;
    };
    for (const std::string& name : boxed) {
      for (const Var& v : vars) {
        if (v.name != name) {
          continue;
        }
        if (v.type.is_tuple()) {
          for (std::size_t e = 0; e < v.elems.size(); ++e) {
            box(v.elems[e], v.elem_texts[e]);
          }
        } else {
          box(v.type, v.type_text);
        }
      }
    }
    b.raw(") {\n");
    p = 0;
    auto init = [&](ir::Type t, const codegen::Value& value) {
      return is_str(t) ? quote(value.str) : std::string(kParamPrefix) + std::to_string(p++);
    };
    for (const Var& v : vars) {
      if (!plan.shadows &&
          std::find(plan.new_names.begin(), plan.new_names.end(), v.name) != plan.new_names.end()) {
        continue;  // replaced at the same level (the entry could not be wrapped)
      }
      std::string text;
      if (v.type.is_tuple()) {
        for (std::size_t k = 0; k < v.elems.size(); ++k) {
          text += (k ? ", " : "(") + init(v.elems[k], v.value.elems[k]);
        }
        text += ")";
      } else {
        text = init(v.type, v.value);
      }
      b.raw(v.is_var ? "var " : "let ");
      if (v.decl_text != nullptr) {
        b.mapped(v.decl_text, v.decl_source, v.decl_begin, v.decl_end);  // the name, as declared
      } else {
        b.raw(v.name);
      }
      b.raw(" = " + text + "\n");
    }
    if (plan.shadows) {
      b.raw("while true {\n");
    }
    if (type_expr != nullptr) {
      b.mapped(plan.text, "<repl>", 0, static_cast<std::uint32_t>(plan.text->size()));
      b.raw("\n");
    } else {
      for (std::size_t i = 0; i < plan.other_stmts.size(); ++i) {
        ast::Node n = ast::span_of(plan.tree.stmts[plan.other_stmts[i]]);
        bool wrap = print_last && i + 1 == plan.other_stmts.size();
        // The value shown is kept as `_` (the REPL's last value) when it can persist.
        bool keep = wrap && std::find(plan.new_names.begin(), plan.new_names.end(), kLastValue) !=
                                plan.new_names.end();
        if (keep) {
          b.raw(std::string("let ") + kLastValue + " = ");
        } else if (wrap) {
          b.raw("print(");
        }
        b.mapped(plan.text, "<repl>", n.begin, n.end);
        b.raw(keep ? std::string("\nprint(") + kLastValue + ")\n" : wrap ? ")\n" : "\n");
      }
    }
    if (returns.size() == 1) {
      b.raw("return " + returns[0] + "\n");
    } else if (returns.size() > 1) {
      b.raw("return (");
      for (std::size_t i = 0; i < returns.size(); ++i) {
        b.raw((i ? ", " : "") + returns[i]);
      }
      b.raw(")\n");
    } else if (plan.shadows) {
      b.raw("break\n");  // leaves the wrapping loop (the probe, or nothing to return)
    }
    b.raw(plan.shadows ? "}\n}\n" : "}\n");
  }

  /// The session's definitions checked as a program, and `function` in it (Error if it is not
  /// defined here): what :llvm and :cuda print.
  std::unique_ptr<Attempt> defined_function(const std::string& function, ir::FnId& fn) {
    Plan plan;
    plan.text = std::make_shared<const std::string>("");
    Builder b;
    build(b, plan, {}, false, nullptr);
    std::unique_ptr<Attempt> a = check(b);
    fn = a->program->find_function(function);
    if (!fn.valid() || function == kEntryFn) {
      throw Error("error: no function or kernel '" + function + "' defined in this session\n");
    }
    return a;
  }

  std::unique_ptr<Attempt> check(const Builder& b) {
    auto a = std::make_unique<Attempt>();
    a->segments = b.segments();
    const diag::SourceFile& file = a->sources.add("<repl>", b.text());
    a->file = file.id();
    std::optional<ast::Program> tree = parser::parse_program(file, a->diags);
    if (!tree) {
      fail(*a);
    }
    sema::CheckOptions options;
    options.import_paths.push_back(engine.stdlib_dir());
    a->program = sema::check_program(a->sources, file.id(), *tree, options, a->diags);
    if (!a->program) {
      fail(*a);
    }
    return a;
  }

  Plan parse_entry(const std::string& entry) {
    Plan plan;
    plan.text = std::make_shared<const std::string>(entry);
    diag::SourceManager sources;
    diag::DiagnosticList diags;
    const diag::SourceFile& file = sources.add("<repl>", entry);
    std::optional<ast::Program> tree = parser::parse_program(file, diags);
    if (!tree) {
      throw Error(diag::render(sources, diags), diags.error_count());
    }
    if (auto [begin, end] = reserved_name(entry); begin != std::string_view::npos) {
      diags.report(
          diag::Kind::ReservedName,
          diag::Span{file.id(), static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end)},
          "'" + entry.substr(begin, end - begin) + "': names beginning with '" +
              std::string(engine::repl::kReservedPrefix) + "' are the REPL's own");
      throw Error(diag::render(sources, diags), diags.error_count());
    }
    plan.tree = std::move(*tree);
    for (std::size_t k = 0; k < plan.tree.stmts.size(); ++k) {
      const ast::Stmt& s = plan.tree.stmts[k];
      if (!def_name(s).empty()) {
        plan.def_stmts.push_back(k);
        continue;
      }
      plan.other_stmts.push_back(k);
      if (const auto* let = ast::ast_if<ast::LetStmt>(s)) {
        for (const ast::Ident& id : let->names) {
          plan.new_names.push_back(id.name);
          for (const Var& v : vars) {
            plan.shadows = plan.shadows || v.name == id.name;
          }
        }
      }
    }
    for (const ast::Stmt& st : plan.tree.stmts) {
      plan.shadows = plan.shadows && !is_loop_jump(st);
    }
    return plan;
  }

  const ir::Function& entry_fn(const ir::Program& program) {
    return program.fn(program.find_function(kEntryFn));
  }
};

Session::Session(const Engine& engine) : impl_(std::make_unique<Impl>(engine)) {}
Session::~Session() = default;

Timings Session::run(const std::string& entry, std::string* out,
                     const std::atomic<bool>* interrupt) {
  return engine::at_boundary(nullptr, [&] { return run_entry(entry, out, interrupt); });
}

Timings Session::run_entry(const std::string& entry, std::string* out,
                           const std::atomic<bool>* interrupt) {
  Impl& s = *impl_;
  Timings timings;
  auto t0 = std::chrono::steady_clock::now();
  Impl::Plan plan = s.parse_entry(entry);
  if (plan.tree.stmts.empty()) {
    return timings;
  }

  // The persisted `var`s this entry can assign (see Impl::boxed).
  s.boxed.clear();
  for (const Var& v : s.vars) {
    bool redeclared =
        std::find(plan.new_names.begin(), plan.new_names.end(), v.name) != plan.new_names.end();
    if (v.is_var && (plan.shadows || !redeclared)) {
      s.boxed.push_back(v.name);
    }
  }

  // Probe: the types of the entry's top-level declarations and of a final expression.
  Builder probe_src;
  s.build(probe_src, plan, {}, false, nullptr);
  std::unique_ptr<Impl::Attempt> probe = s.check(probe_src);
  const ir::Program& pp = *probe->program;
  const ir::Function& pf = s.entry_fn(pp);
  const ir::Block& pbody = s.entry_block(pp, plan);
  std::map<std::string, std::pair<ir::Type, bool>> declared;  // name -> (type, mutable)
  for (ir::StmtId sid : pbody.stmts) {
    const ir::Stmt& st = pp.stmt(sid);
    if (const auto* let = std::get_if<ir::Let>(&st.kind)) {
      const ir::Local& l = pf.locals[let->local.v];
      declared[l.name] = {l.type, l.is_mutable};
    } else if (const auto* lt = std::get_if<ir::LetTuple>(&st.kind)) {
      for (ir::LocalId id : lt->locals) {
        const ir::Local& l = pf.locals[id.v];
        declared[l.name] = {l.type, l.is_mutable};
      }
    }
  }
  bool print_last = false;
  std::size_t nstmts = pbody.stmts.size();
  if (plan.shadows && nstmts > 0 &&
      std::holds_alternative<ir::Break>(pp.stmt(pbody.stmts[nstmts - 1]).kind)) {
    --nstmts;  // the synthesized break
  }
  if (!plan.other_stmts.empty() &&
      ast::ast_if<ast::ExprStmt>(plan.tree.stmts[plan.other_stmts.back()]) != nullptr &&
      nstmts > 0) {
    const ir::Stmt& last = pp.stmt(pbody.stmts[nstmts - 1]);
    if (const auto* es = std::get_if<ir::ExprStmt>(&last.kind)) {
      ir::Type t = pp.expr(es->expr).type;
      print_last = !t.is_void() && !t.is_error();
      if (print_last && persistable(pp.types, t) &&
          std::find(plan.new_names.begin(), plan.new_names.end(), kLastValue) ==
              plan.new_names.end()) {
        plan.new_names.push_back(kLastValue);  // `_`: the last value shown
        declared[kLastValue] = {t, false};
        for (const Var& v : s.vars) {
          // `_ + 1` reads the old `_` while it declares the new one: a nested scope.
          plan.shadows = plan.shadows || v.name == kLastValue;
        }
      }
    }
  }

  // The variables after this entry: the old ones (unless redeclared), then the new ones.
  std::vector<std::string> returns;
  std::vector<std::string> dropped;
  for (const Var& v : s.vars) {
    if (std::find(plan.new_names.begin(), plan.new_names.end(), v.name) == plan.new_names.end()) {
      returns.push_back(v.name);
    }
  }
  for (const std::string& n : plan.new_names) {
    auto it = declared.find(n);
    if (it == declared.end()) {
      continue;
    }
    if (persistable(pp.types, it->second.first)) {
      returns.push_back(n);
    } else {
      dropped.push_back(n);
    }
  }

  Builder real_src;
  s.build(real_src, plan, returns, print_last, nullptr);
  std::unique_ptr<Impl::Attempt> real = s.check(real_src);
  engine::repl::box_writes(*real->program, s.boxed);
  const ir::Program& rp = *real->program;
  const ir::Function& rf = s.entry_fn(rp);
  auto t1 = std::chrono::steady_clock::now();
  std::unique_ptr<engine::Backend> code;
  // A tiered entry's background compile still working is not waited for (engine::end_run).
  struct EndRun {
    std::unique_ptr<engine::Backend>& code;
    ~EndRun() { engine::end_run(std::move(code)); }
  } end_run{code};
  try {
    // Only the entry's function and what it calls are compiled (RunError: what it cannot lower).
    code = engine::compile(rp, s.engine_options.mode, s.engine_options, &s.jit_host,
                           {rp.find_function(kEntryFn)});
  } catch (const codegen::RunError& error) {
    {
      diag::Diagnostic& d =
          real->diags.report(diag::Kind::RuntimeError, error.span(), error.message());
      if (error.has_note()) {
        d.notes.push_back({error.note_span(), error.note()});
      }
    }
    s.fail(*real);
  }
  auto t2 = std::chrono::steady_clock::now();

  std::vector<codegen::Value> args;
  std::size_t p = 0;
  auto pass = [&](ir::Type t, const codegen::Value& value) {
    if (!is_str(t)) {
      codegen::Value a = value;
      a.type = rf.locals[p++].type;  // same scalar/array type, this program's TypeTable
      args.push_back(std::move(a));
    }
  };
  for (const Var& v : s.vars) {
    if (v.type.is_tuple()) {
      for (std::size_t k = 0; k < v.elems.size(); ++k) {
        pass(v.elems[k], v.value.elems[k]);
      }
    } else {
      pass(v.type, v.value);
    }
  }
  // The boxed variables' values (session_boxes.hpp): a scalar's in a one-element array passed
  // in, its box; an array's kept by the run in `kept`, where a rebinding puts the new one.
  struct Boxed {
    codegen::Value* value;  // the variable's, or a tuple element's
    rt::ArrayRef box;       // a scalar's
  };
  std::vector<Boxed> boxed;
  for (const std::string& name : s.boxed) {
    for (Var& v : s.vars) {
      if (v.name != name) {
        continue;
      }
      std::vector<codegen::Value*> values;
      if (v.type.is_tuple()) {
        for (codegen::Value& e : v.value.elems) {
          values.push_back(&e);
        }
      } else {
        values.push_back(&v.value);
      }
      for (std::size_t e = 0; e < values.size(); ++e) {
        ir::Type t = v.type.is_tuple() ? v.elems[e] : v.type;
        Boxed b{values[e], nullptr};
        if (t.is_scalar()) {
          b.box = rt::zeros(rt::Shape(1), codegen::rt_elem(t.scalar));
          store_scalar(*b.box, *values[e]);
          codegen::Value a;
          a.type = rf.locals[p++].type;
          a.array = codegen::ArrayRef(rt::ArrayRef(b.box).detach());
          args.push_back(std::move(a));
        }
        boxed.push_back(std::move(b));
      }
    }
  }
  std::vector<rt::ArrayRef> kept(boxed.size());
  code->set_stream_state(s.stream);
  rt::Limits limits = engine::run_limits(s.engine_options, interrupt);
  limits.kept = &kept;
  engine::CloseRunStreams end_streams{limits.run};
  codegen::RunOptions options;
  options.out = out;
  options.limits = &limits;
  codegen::Value result;
  try {
    result = code->call(rp.find_function(kEntryFn), args, options);
  } catch (const codegen::RunError& error) {
    // What the entry wrote before the error stays, as array elements (written in place) do:
    // the boxes hold the boxed scalars' last values, `kept` the arrays an entry rebound.
    for (std::size_t k = 0; k < boxed.size(); ++k) {
      if (boxed[k].box) {
        load_scalar(*boxed[k].box, *boxed[k].value);
      } else if (kept[k]) {
        boxed[k].value->array = codegen::ArrayRef(kept[k].detach());
      }
    }
    {
      diag::Diagnostic& d =
          real->diags.report(diag::Kind::RuntimeError, error.span(), error.message());
      if (error.has_note()) {
        d.notes.push_back({error.note_span(), error.note()});
      }
    }
    s.fail(*real);
  } catch (const std::invalid_argument& error) {
    throw Error(std::string("error: internal REPL error: ") + error.what() + "\n");
  }
  auto t3 = std::chrono::steady_clock::now();

  // Commit: definitions, then variables.
  int number = ++s.entry_count;
  for (std::size_t k : plan.def_stmts) {
    std::string name = def_name(plan.tree.stmts[k]);
    std::erase_if(s.defs, [&](const Def& d) { return d.name == name; });
    ast::Node n = ast::span_of(plan.tree.stmts[k]);
    s.defs.push_back(Def{name, plan.text, "<repl:" + std::to_string(number) + ">", n.begin, n.end});
  }
  s.stream = code->stream_state();
  // call() gives a tuple result's elements flattened: a tuple variable takes as many as it has.
  std::vector<codegen::Value> values;
  if (returns.size() == 1 && !rf.ret.is_tuple()) {
    values.push_back(std::move(result));
  } else {
    values = std::move(result.elems);
  }
  std::size_t at = 0;
  std::vector<Var> next;
  for (std::size_t i = 0; i < returns.size(); ++i) {
    Var v;
    v.name = returns[i];
    v.type = returns.size() == 1 ? rf.ret : rp.types.elems(rf.ret)[i];
    v.type_text = ir::type_name(rp.types, v.type);
    if (v.type.is_tuple()) {
      v.value.type = v.type;
      for (ir::Type e : rp.types.elems(v.type)) {
        v.elems.push_back(e);
        v.elem_texts.push_back(ir::type_name(rp.types, e));
        KESTREL_ASSERT(at < values.size(), "an entry returned fewer values than it persists");
        v.value.elems.push_back(std::move(values[at++]));
      }
    } else {
      KESTREL_ASSERT(at < values.size(), "an entry returned fewer values than it persists");
      v.value = std::move(values[at++]);
    }
    auto it = declared.find(v.name);
    if (std::find(plan.new_names.begin(), plan.new_names.end(), v.name) != plan.new_names.end()) {
      v.is_var = it->second.second;
      // The name in its (last) declaration in this entry.
      for (std::size_t k : plan.other_stmts) {
        if (const auto* let = ast::ast_if<ast::LetStmt>(plan.tree.stmts[k])) {
          for (const ast::Ident& id : let->names) {
            if (id.name == v.name) {
              v.decl_text = plan.text;
              v.decl_source = "<repl:" + std::to_string(number) + ">";
              v.decl_begin = id.begin;
              v.decl_end = id.end;
            }
          }
        }
      }
    } else {
      for (const Var& old : s.vars) {
        if (old.name == v.name) {
          v.is_var = old.is_var;
          v.decl_text = old.decl_text;
          v.decl_source = old.decl_source;
          v.decl_begin = old.decl_begin;
          v.decl_end = old.decl_end;
        }
      }
    }
    next.push_back(std::move(v));
  }
  s.vars = std::move(next);
  if (!dropped.empty()) {
    std::string note;
    for (const std::string& n : dropped) {
      note += "note: '" + n + "', of type " + ir::type_name(pp.types, declared[n].first) +
              ", does not persist after this entry: only scalars, strings, arrays and tuples of "
              "them do\n";
    }
    if (out != nullptr) {
      *out += note;
    } else {
      std::fputs(note.c_str(), stderr);
    }
  }
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  timings.check_ms = ms(t0, t1);
  timings.compile_ms = ms(t1, t2);
  timings.run_ms = ms(t2, t3);
  engine::tier_timings(*code, timings);  // a tiered entry: what moved to native code
  return timings;
}

std::string Session::type_of(const std::string& expr) {
  Impl& s = *impl_;
  {
    diag::SourceManager sources;
    diag::DiagnosticList diags;
    const diag::SourceFile& file = sources.add("<repl>", expr);
    if (!parser::parse_expression(file, diags)) {
      throw Error(diag::render(sources, diags), diags.error_count());
    }
  }
  Impl::Plan plan;
  plan.text = std::make_shared<const std::string>(expr);
  Builder b;
  s.build(b, plan, {}, false, &expr);
  std::unique_ptr<Impl::Attempt> a = s.check(b);
  const ir::Program& p = *a->program;
  const ir::Function& f = s.entry_fn(p);
  if (f.body.stmts.empty()) {
    return "void";
  }
  const ir::Stmt& last = p.stmt(f.body.stmts.back());
  if (const auto* es = std::get_if<ir::ExprStmt>(&last.kind)) {
    ir::Type t = p.expr(es->expr).type;
    return t.is_void() ? "void" : ir::type_name(p.types, t);
  }
  return "void";
}

void Session::set_mode(Mode mode) { impl_->engine_options.mode = mode; }

Mode Session::mode() const { return impl_->engine_options.mode; }

void Session::set_target(Target target) { impl_->engine_options.target = target; }

Target Session::target() const { return impl_->engine_options.target; }

std::string Session::cuda_of(const std::string& function) {
  ir::FnId fn;
  std::unique_ptr<Impl::Attempt> a = impl_->defined_function(function, fn);
  return engine::cuda_listing(a->sources, *a->program, fn);
}

std::string Session::llvm_of(const std::string& function) {
  Impl& s = *impl_;
  ir::FnId fn;
  std::unique_ptr<Impl::Attempt> a = s.defined_function(function, fn);
  const ir::Program& p = *a->program;
  try {
    return engine::compile(p, Mode::Jit, s.engine_options, &s.jit_host, {fn}, true)
        ->emit_llvm_function(fn);
  } catch (const codegen::RunError& error) {
    {
      diag::Diagnostic& d =
          a->diags.report(diag::Kind::RuntimeError, error.span(), error.message());
      if (error.has_note()) {
        d.notes.push_back({error.note_span(), error.note()});
      }
    }
    s.fail(*a);
  }
}

std::vector<std::string> Session::variables() const {
  std::vector<std::string> out;
  for (const Var& v : impl_->vars) {
    out.push_back(v.name + ": " + v.type_text);
  }
  return out;
}

std::vector<std::string> Session::members(const std::string& module) const {
  std::vector<std::string> out;
  for (const Def& d : impl_->defs) {
    std::string_view text(*d.text);
    text = text.substr(d.begin, d.end - d.begin);
    if (d.name != module || !text.starts_with("import")) {
      continue;
    }
    // The import alone, checked and loaded by an interpreter engine (nothing compiles): its
    // functions are the module's, named as a call writes them.
    EngineOptions options = impl_->engine_options;
    options.mode = Mode::Interp;
    options.use_cache = false;
    try {
      Module m = Engine(options).load_source(d.source_name, std::string(text) + "\n");
      for (const FunctionInfo& f : functions(m)) {
        if (f.name.starts_with(module + ".")) {
          out.push_back(f.name);
        }
      }
    } catch (const Error&) {
      // The module changed on disk since it was imported and no longer checks: no names.
    }
  }
  return out;
}

std::vector<std::string> Session::definitions() const {
  std::vector<std::string> out;
  for (const Def& d : impl_->defs) {
    out.push_back(d.name);
  }
  return out;
}

}  // namespace kestrel
