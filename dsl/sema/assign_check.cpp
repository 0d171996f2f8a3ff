// Assignment: to a variable (respecting `let`), to an element `a[i, j]`, or to a slice
// `a[i:j]`; `a op= b` on an array variable updates it in place. Compound assignment computes in
// the target's type, so the value must convert to it.
#include "dsl/sema/checker.hpp"

namespace kestrel::sema {

namespace {

ir::AssignOp to_ir(ast::AssignOp op) {
  switch (op) {
    case ast::AssignOp::Set:
      return ir::AssignOp::Set;
    case ast::AssignOp::Add:
      return ir::AssignOp::Add;
    case ast::AssignOp::Sub:
      return ir::AssignOp::Sub;
    case ast::AssignOp::Mul:
      return ir::AssignOp::Mul;
    case ast::AssignOp::Div:
      return ir::AssignOp::Div;
  }
  return ir::AssignOp::Set;
}

}  // namespace

void Checker::check_assign(const ast::AssignStmt& s, std::vector<StmtId>& out) {
  diag::Span at = span(s);
  ir::AssignOp op = to_ir(s.op);
  std::string op_text = std::string("'") + ast::spelling(s.op) + "'";

  // What a compound assignment needs of the element type it computes in.
  // `target` is how messages name the target: a variable name, or empty for an element.
  auto check_compound = [&](ir::Scalar elem, const std::string& target) -> bool {
    std::string named = target.empty() ? "the element" : "'" + target + "'";
    if (op == ir::AssignOp::Set) {
      return true;
    }
    if (!ir::is_numeric(elem)) {
      error(diag::Kind::InvalidOperands, at,
            op_text + " needs a numeric target, but " + named + " holds " +
                std::string(ir::scalar_name(elem)));
      return false;
    }
    if (op == ir::AssignOp::Div && ir::is_integer(elem)) {
      error(diag::Kind::Narrowing, at,
            "'/=' would store a float into " + named + " of type " +
                std::string(ir::scalar_name(elem)) + "; use floor division: " +
                (target.empty() ? "a[i] = a[i] // d" : target + " = " + target + " // d"))
          .notes.push_back({at, "'/' is true division and always gives a float"});
      return false;
    }
    return true;
  };

  // x = e, x op= e
  if (const auto* name = ast_if<ast::Name>(s.target)) {
    const Symbol* sym = fn_->scopes.lookup(name->name);
    if (!sym) {
      auto it = fn_->file->globals.find(name->name);
      if (it != fn_->file->globals.end() || is_builtin_name(name->name)) {
        error(diag::Kind::InvalidAssignTarget, span(*name),
              "cannot assign to '" + name->name + "': it is a " +
                  (it == fn_->file->globals.end()            ? "builtin function"
                   : it->second.kind == Symbol::Kind::Module ? "module"
                                                             : "function"));
        check_value(s.value);
        return;
      }
      if (op == ir::AssignOp::Set && !fn_->file->top_level_names.count(name->name)) {
        // A numpy user's first line: `z = 5` declares nothing in Kestrel; say how to.
        std::string value = snippet(span_of(s.value));
        error(diag::Kind::UndefinedName, span(*name), "undefined name '" + name->name + "'")
            .notes.push_back({at, "to declare it, write `let " + name->name + " = " + value +
                                      "` (or `var " + name->name + " = " + value +
                                      "` to reassign it later)"});
      } else {
        resolve_name(*name);  // reports the undefined name
      }
      check_value(s.value);
      return;
    }
    LocalId id{sym->id};
    const ir::Local l = local(id);
    diag::Span self_span;
    int minmax = minmax_reduction_pattern(s, id, self_span);
    if (minmax) {
      for (ParallelFrame& frame : fn_->parallel) {
        frame.skip_reads.push_back(self_span);
      }
    }
    ExprId value = check_value(s.value);
    if (l.type.is_error()) {
      return;
    }
    if (l.type.is_array() && op != ir::AssignOp::Set) {
      // In place: a op= b updates every element of a (allowed for `let`: contents, not binding).
      if (!check_compound(l.type.scalar, l.name)) {
        return;
      }
      note_array_update(id, op, at);
      ExprId target = add_expr(ir::LocalRef{id}, l.type, span(*name));
      Type vt = type_of(value);
      if (vt.is_error()) {
        return;
      }
      if (!vt.has_elements() || (vt.is_array() && vt.rank > l.type.rank)) {
        coerce(value, l.type, "");
        return;
      }
      value = coerce_elements(value, l.type.scalar, "value assigned to '" + l.name + "'");
      if (type_of(value).is_error()) {
        return;
      }
      out.push_back(add_stmt(ir::StoreView{target, op, value}, at));
      return;
    }
    if (!l.is_mutable) {
      bool loop_var = fn_->loop_vars.count(id.v) > 0;
      auto& d = error(diag::Kind::AssignToLet, span(*name),
                      "cannot assign to '" + l.name + "': " +
                          (loop_var ? "it is a loop variable" : "it was declared with 'let'"));
      d.notes.push_back({l.span, "declared here"});
      if (!loop_var) {
        d.notes.push_back({l.span, "use 'var' to make it mutable"});
      }
      return;
    }
    if (op == ir::AssignOp::Add && l.type == Type::str()) {
      // s += t appends: s = s + t.
      ExprId self = add_expr(ir::LocalRef{id}, l.type, span(*name));
      value = fold_binary(ast::BinOp::Add, self, value, at);
      if (type_of(value).is_error()) {
        return;
      }
      note_write(id, ir::AssignOp::Set, minmax, at);
      out.push_back(add_stmt(ir::Assign{id, ir::AssignOp::Set, value}, at));
      return;
    }
    if (op != ir::AssignOp::Set &&
        (!l.type.is_scalar() || !check_compound(l.type.scalar, l.name))) {
      if (!l.type.is_scalar()) {
        error(diag::Kind::InvalidOperands, at,
              op_text + " needs a numeric variable, but '" + l.name + "' is " + tname(l.type));
      }
      return;
    }
    value = coerce(value, l.type, "value assigned to '" + l.name + "'");
    note_write(id, op, minmax, at);
    out.push_back(add_stmt(ir::Assign{id, op, value}, at));
    return;
  }

  // a[i, j] op= e, a[i:j] op= e
  const auto* post = ast_if<ast::Postfix>(s.target);
  const ast::IndexSuffix* idx =
      post && !post->suffixes.empty() ? ast_if<ast::IndexSuffix>(post->suffixes.back()) : nullptr;
  if (!idx) {
    error(diag::Kind::InvalidAssignTarget, span_of(s.target),
          "cannot assign to this expression; assign to a variable, an element a[i] or a slice "
          "a[i:j]");
    check_value(s.value);
    return;
  }
  std::uint8_t no_wrap = 0;
  note_array_store(s, *post, op, &no_wrap);
  ExprId base = check_postfix(*post, post->suffixes.size() - 1);
  ExprId target = error_expr(span_of(s.target));
  if (!type_of(base).is_error()) {
    target = check_index(base, *idx, span_of(s.target));
  }
  ExprId value = check_value(s.value);
  Type tt = type_of(target);
  if (tt.is_error()) {
    return;
  }
  if (!check_compound(tt.scalar, "")) {
    return;
  }
  if (check_fancy_store(s, *post, target, op, value, out)) {
    return;
  }
  if (const auto* found = std::get_if<ir::Index>(&expr(target).kind)) {
    ir::Index index = *found;  // a copy: coerce may grow the expression arena
    ExprId v = coerce(value, tt, "value stored into an element of " + tname(type_of(base)));
    out.push_back(
        add_stmt(ir::StoreIndex{index.base, std::move(index.indices), op, v, no_wrap}, at));
    return;
  }
  Type vt = type_of(value);
  if (vt.is_error()) {
    return;
  }
  if (!vt.has_elements() || (vt.is_array() && vt.rank > tt.rank)) {
    coerce(value, tt, "value stored into a slice");
    return;
  }
  value = coerce_elements(value, tt.scalar, "value stored into a slice");
  if (type_of(value).is_error()) {
    return;
  }
  out.push_back(add_stmt(ir::StoreView{target, op, value}, at));
}

}  // namespace kestrel::sema
