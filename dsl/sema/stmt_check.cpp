// Statements: declarations, assignment rules (`let` immutability, targets), control flow.
#include "dsl/sema/checker.hpp"

namespace kestrel::sema {

ir::Block Checker::check_block(const ast::Block& block, bool new_scope) {
  if (new_scope) {
    fn_->scopes.push();
  }
  ir::Block out;
  for (const ast::Stmt& s : block.stmts) {
    check_stmt(s, out.stmts);
  }
  if (new_scope) {
    fn_->scopes.pop();
  }
  return out;
}

LocalId Checker::declare_local(const std::string& name, Type type, bool is_mutable, diag::Span at) {
  LocalId id{static_cast<std::uint32_t>(fn().locals.size())};
  ir::Scalar ignored;
  if (ir::parse_scalar_name(name, ignored) || name == "table") {
    error(diag::Kind::Redefinition, at, "'" + name + "' is a type name; choose another name");
    fn_->scopes.define(name, Symbol{Symbol::Kind::Local, id.v, at});
  } else if (const Symbol* first =
                 fn_->scopes.define(name, Symbol{Symbol::Kind::Local, id.v, at})) {
    error(diag::Kind::Redefinition, at, "'" + name + "' is already defined in this scope")
        .notes.push_back({first->span, "first defined here"});
  } else if (fn_->is_main && fn_->scopes.depth() == 1) {
    auto it = fn_->file->globals.find(name);
    if (it != fn_->file->globals.end()) {
      error(diag::Kind::Redefinition, at, "'" + name + "' is already defined")
          .notes.push_back({it->second.span, "first defined here"});
    }
  }
  fn().locals.push_back(ir::Local{name, type, is_mutable, at});
  return id;
}

void Checker::check_stmt(const ast::Stmt& stmt, std::vector<StmtId>& out) {
  reported_too_complex_ = false;
  visit_ast<void>(stmt, [&](const auto& s) {
    using T = std::decay_t<decltype(s)>;
    if constexpr (std::is_same_v<T, ast::LetStmt>) {
      check_let(s, out);
    } else if constexpr (std::is_same_v<T, ast::AssignStmt>) {
      check_assign(s, out);
    } else if constexpr (std::is_same_v<T, ast::ExprStmt>) {
      ExprId e = check_expr(s.expr);
      out.push_back(add_stmt(ir::ExprStmt{e}, span(s)));
    } else if constexpr (std::is_same_v<T, ast::IfStmt>) {
      check_if(s, out);
    } else if constexpr (std::is_same_v<T, ast::WhileStmt>) {
      ExprId cond = check_condition(s.cond);
      fn_->loops.push_back(false);
      ir::Block body = check_block(s.body);
      fn_->loops.pop_back();
      out.push_back(add_stmt(ir::While{cond, std::move(body)}, span(s)));
    } else if constexpr (std::is_same_v<T, ast::ForStmt>) {
      check_for(s, out);
    } else if constexpr (std::is_same_v<T, ast::BreakStmt> ||
                         std::is_same_v<T, ast::ContinueStmt>) {
      constexpr bool is_break = std::is_same_v<T, ast::BreakStmt>;
      const char* word = is_break ? "'break'" : "'continue'";
      if (fn_->loops.empty()) {
        error(diag::Kind::LoopControlOutsideLoop, span(s), std::string(word) + " outside a loop");
      } else if (is_break && fn_->loops.back()) {
        error(diag::Kind::LoopControlOutsideLoop, span(s),
              "'break' cannot leave a 'parallel for': its iterations run in no fixed order")
            .notes.push_back({span(s), "use a serial 'for' or 'while' loop to stop early"});
      }
      if constexpr (is_break) {
        close_streams(false, span(s), out);
        out.push_back(add_stmt(ir::Break{}, span(s)));
      } else {
        out.push_back(add_stmt(ir::Continue{}, span(s)));
      }
    } else if constexpr (std::is_same_v<T, ast::ReturnStmt>) {
      check_return(s, out);
    } else if constexpr (std::is_same_v<T, ast::ImportStmt>) {
      error(diag::Kind::DefinitionNotTopLevel, span(s),
            "'import' is only allowed at the top level of a file");
    } else if constexpr (std::is_same_v<T, ast::FnDef>) {
      error(diag::Kind::DefinitionNotTopLevel, span(s.name),
            std::string(s.is_kernel ? "kernel" : "function") + " '" + s.name.name +
                "' must be defined at the top level of a file, not inside a block");
    }
  });
}

void Checker::check_let(const ast::LetStmt& s, std::vector<StmtId>& out) {
  ExprId value = check_value(s.value);
  Type declared = s.type ? resolve_type(*s.type, cur_file_) : Type::error();
  if (s.names.size() == 1 && !(s.destructure && type_of(value).is_tuple())) {
    const ast::Ident& name = s.names[0];
    Type t = type_of(value);
    if (s.type) {
      value = coerce(value, declared, "");
      t = declared;
    }
    LocalId id = declare_local(name.name, t, s.is_var, span(name));
    out.push_back(add_stmt(ir::Let{id, value}, span(s)));
    return;
  }
  // let (a, b) = e
  Type vt = type_of(value);
  std::vector<Type> elems(s.names.size(), Type::error());
  if (!vt.is_error()) {
    if (!vt.is_tuple()) {
      error(diag::Kind::TupleMismatch, span_of(s.value),
            "cannot unpack " + tname(vt) + " into " + plural(s.names.size(), "name") +
                ": it is not a tuple");
    } else if (program_.types.elems(vt).size() != s.names.size()) {
      const auto& te = program_.types.elems(vt);
      error(diag::Kind::TupleMismatch, span_of(s.value),
            "cannot unpack a tuple of " + plural(te.size(), "value") + " into " +
                plural(s.names.size(), "name") + "; the value is " + tname(vt));
    } else {
      if (s.type && declared != vt && !declared.is_error()) {
        error(diag::Kind::TypeMismatch, span_of(s.value),
              "expected " + tname(declared) + " but found " + tname(vt));
      }
      elems = program_.types.elems(vt);
    }
  }
  std::vector<LocalId> ids;
  for (std::size_t i = 0; i < s.names.size(); ++i) {
    ids.push_back(declare_local(s.names[i].name, elems[i], s.is_var, span(s.names[i])));
  }
  out.push_back(add_stmt(ir::LetTuple{std::move(ids), value}, span(s)));
}

void Checker::check_if(const ast::IfStmt& s, std::vector<StmtId>& out) {
  struct Arm {
    ExprId cond;
    ir::Block body;
    diag::Span at;
  };
  std::vector<Arm> arms;
  arms.push_back(Arm{check_condition(s.cond), check_block(s.then_body), span(s)});
  for (const ast::ElseIf& e : s.else_ifs) {
    arms.push_back(Arm{check_condition(e.cond), check_block(e.body), span(e)});
  }
  ir::Block else_body;
  if (s.else_body) {
    else_body = check_block(*s.else_body);
  }
  // `if a {…} else if b {…} else {…}` nests: the else block of each arm holds the next If.
  for (std::size_t i = arms.size(); i-- > 0;) {
    StmtId id =
        add_stmt(ir::If{arms[i].cond, std::move(arms[i].body), std::move(else_body)}, arms[i].at);
    if (i == 0) {
      out.push_back(id);
    } else {
      else_body = ir::Block{{id}};
    }
  }
}

ExprId Checker::check_condition(const ast::Expr& cond) {
  ExprId e = check_value(cond);
  Type t = type_of(e);
  if (!t.is_error() && t != Type::boolean()) {
    auto& d = error(diag::Kind::ConditionNotBool, span_of(cond),
                    "condition must be bool, found " + tname(t));
    if (t.is_scalar() && ir::is_numeric(t.scalar)) {
      d.notes.push_back(
          {span_of(cond), "compare explicitly, e.g. '" + snippet(span_of(cond)) + " != 0'"});
    } else if (t.is_array() && t.scalar == ir::Scalar::Bool) {
      d.notes.push_back({span_of(cond), "reduce the array with any(…) or all(…)"});
    }
    return error_expr(span_of(cond));
  }
  return e;
}

void Checker::check_for(const ast::ForStmt& s, std::vector<StmtId>& out) {
  if (s.each) {
    check_for_blocks(s, out);
    return;
  }
  ExprId lo = check_value(s.lo);
  ExprId hi = check_value(s.hi);
  ExprId step = s.step ? check_value(*s.step) : ExprId{};
  std::vector<ExprId> bounds{lo, hi};
  if (step.valid()) {
    bounds.push_back(step);
  }
  Type var_type = Type::i64();
  bool ok = true;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    Type t = type_of(bounds[i]);
    if (t.is_error()) {
      ok = false;
    } else if (!t.is_scalar() || !ir::is_integer(t.scalar)) {
      error(diag::Kind::TypeMismatch, expr(bounds[i]).span,
            std::string(i < 2 ? "range bounds" : "the step") + " must be integers, found " +
                tname(t));
      ok = false;
      break;
    }
  }
  if (ok) {
    ir::Scalar s32 = common_scalar(lo, hi);
    if (step.valid()) {
      // A literal step adapts to the bounds; a typed step can widen them.
      if (!is_untyped_literal(step) && type_of(step).scalar == ir::Scalar::I64) {
        s32 = ir::Scalar::I64;
      }
    }
    var_type = Type::scalar_of(s32);
    for (ExprId& b : bounds) {
      b = convert_elements(b, s32);
    }
    lo = bounds[0];
    hi = bounds[1];
    if (step.valid()) {
      step = bounds[2];
    }
  }
  fn_->scopes.push();
  std::uint32_t first_local = static_cast<std::uint32_t>(fn().locals.size());
  LocalId var = declare_local(s.var.name, var_type, false, span(s.var));
  fn_->loop_vars.insert(var.v);
  if (s.parallel) {
    ParallelFrame frame;
    frame.first_local = first_local;
    frame.var = var;
    frame.loop_span = span(s);
    fn_->parallel.push_back(std::move(frame));
  }
  fn_->loops.push_back(s.parallel);
  ir::Block body = check_block(s.body);
  fn_->loops.pop_back();
  std::vector<ir::Reduction> reductions;
  std::vector<ir::Reduction> array_reductions;
  if (s.parallel) {
    ParallelFrame frame = std::move(fn_->parallel.back());
    fn_->parallel.pop_back();
    close_parallel(frame, reductions, array_reductions);
  }
  fn_->scopes.pop();
  out.push_back(add_stmt(ir::For{s.parallel, var, lo, hi, step, std::move(body),
                                 std::move(reductions), std::move(array_reductions)},
                         span(s)));
}

void Checker::check_return(const ast::ReturnStmt& s, std::vector<StmtId>& out) {
  ExprId value = s.value ? check_value(*s.value) : ExprId{};
  diag::Span at = span(s);
  close_streams(true, at, out);
  if (fn_->is_main) {
    error(diag::Kind::ReturnOutsideFunction, at, "'return' outside a function");
    return;
  }
  for (bool parallel : fn_->loops) {
    if (parallel) {
      error(diag::Kind::LoopControlOutsideLoop, at,
            "'return' cannot leave a 'parallel for': its iterations run in no fixed order");
      break;
    }
  }
  ir::Function& f = fn();
  if (!value.valid()) {
    if (fn_->ret_declared && !f.ret.is_void() && !f.ret.is_error()) {
      error(diag::Kind::ReturnType, at,
            "'" + f.name + "' must return a value of type " + tname(f.ret));
    } else if (fn_->inferring_ret && !fn_->value_returns.empty()) {
      error(diag::Kind::ReturnType, at,
            "'" + f.name + "' returns a value at another 'return'; this one needs a value too");
    }
    fn_->bare_return = true;
    out.push_back(add_stmt(ir::Return{}, at));
    return;
  }
  Type t = type_of(value);
  if (fn_->is_kernel) {
    error(diag::Kind::ReturnType, span_of(*s.value),
          "a kernel returns nothing; write results into an array argument");
    value = error_expr(span_of(*s.value));
  } else if (fn_->ret_declared) {
    value = coerce(value, f.ret, "return value of '" + f.name + "'", diag::Kind::ReturnType);
  } else if (t.is_error()) {
    if (fn_->value_returns.empty()) {
      f.ret = Type::error();  // unknown: callers see an error type, not a missing value
    }
  } else {
    if (fn_->bare_return) {
      error(diag::Kind::ReturnType, span_of(*s.value),
            "'" + f.name +
                "' returns no value at another 'return'; return a value everywhere "
                "or nowhere");
    } else if (fn_->value_returns.empty()) {
      f.ret = t;
    } else if (t != f.ret && !f.ret.is_error()) {
      bool numeric = t.is_scalar() && f.ret.is_scalar() && ir::is_numeric(t.scalar) &&
                     ir::is_numeric(f.ret.scalar);
      if (numeric && implicitly_converts(f.ret.scalar, t.scalar)) {
        f.ret = t;
      } else if (!(numeric && implicitly_converts(t.scalar, f.ret.scalar))) {
        error(diag::Kind::ReturnType, span_of(*s.value),
              "'" + f.name + "' returns " + tname(t) + " here but " + tname(f.ret) +
                  " at an earlier 'return'")
            .notes.push_back({f.span, "declare its return type: -> T"});
        value = error_expr(span_of(*s.value));
      }
    }
    fn_->value_returns.push_back(StmtId{static_cast<std::uint32_t>(program_.stmts.size())});
  }
  out.push_back(add_stmt(ir::Return{value}, at));
}

}  // namespace kestrel::sema
