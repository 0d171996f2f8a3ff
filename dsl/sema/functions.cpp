// Functions and kernels: declaring signatures (so that any function can call any other),
// checking bodies (on demand when a caller needs an inferred return type), and return rules.
#include "dsl/sema/checker.hpp"

namespace kestrel::sema {

Type Checker::resolve_type(const ast::Type& type, diag::FileId file) {
  diag::FileId saved = cur_file_;
  cur_file_ = file;
  Type result = visit_ast<Type>(type, [&](const auto& t) -> Type {
    using T = std::decay_t<decltype(t)>;
    if constexpr (std::is_same_v<T, ast::NamedType>) {
      ir::Scalar s;
      if (t.name == "table" && t.rank == 0) {
        return Type::table();
      }
      if (!ir::parse_scalar_name(t.name, s)) {
        error(diag::Kind::UnknownType, span(t), "unknown type '" + t.name + "'")
            .notes.push_back({span(t),
                              "types are bool, i32, i64, f32, f64, str, table, arrays such as "
                              "f64[:] and f64[:,:], and tuples such as (i64, f64)"});
        return Type::error();
      }
      if (t.rank == 0) {
        return Type::scalar_of(s);
      }
      if (t.rank > 2) {
        error(diag::Kind::UnknownType, span(t),
              "arrays have rank 1 or 2, found rank " + std::to_string(t.rank));
        return Type::error();
      }
      return Type::array_of(s, t.rank);
    } else {
      std::vector<Type> elems;
      for (const ast::Type& e : t.elems) {
        Type et = resolve_type(e, file);
        if (et.is_error()) {
          return Type::error();
        }
        elems.push_back(et);
      }
      return program_.types.tuple(elems);
    }
  });
  cur_file_ = saved;
  return result;
}

void Checker::declare_functions(FileCtx& file) {
  for (const ast::Stmt& s : file.tree->stmts) {
    const auto* def = ast_if<ast::FnDef>(s);
    if (!def) {
      continue;
    }
    FnId id{static_cast<std::uint32_t>(program_.functions.size())};
    ir::Function f;
    f.name = file.prefix + def->name.name;
    f.is_kernel = def->is_kernel;
    f.span = span(def->name);
    for (const ast::Decorator& d : def->decorators) {
      if (d.name == "unchecked") {
        f.unchecked = true;
      } else {
        error(diag::Kind::InvalidDecorator, span(d), "unknown decorator '@" + d.name + "'")
            .notes.push_back({span(d), "the only decorator is '@unchecked'"});
      }
    }
    for (const ast::Param& p : def->params) {
      for (std::uint32_t i = 0; i < f.locals.size(); ++i) {
        if (f.locals[i].name == p.name.name) {
          error(diag::Kind::Redefinition, span(p.name),
                "parameter '" + p.name.name + "' is already defined")
              .notes.push_back({f.locals[i].span, "first defined here"});
        }
      }
      f.locals.push_back(
          ir::Local{p.name.name, resolve_type(p.type, file.file), true, span(p.name)});
    }
    f.param_count = static_cast<std::uint32_t>(f.locals.size());
    bool ret_declared = def->ret.has_value();
    if (ret_declared) {
      if (def->is_kernel) {
        error(diag::Kind::KernelMisuse, span(ast::span_of(*def->ret)),
              "a kernel returns nothing; remove the return type");
        f.ret = Type::void_();
      } else {
        f.ret = resolve_type(*def->ret, file.file);
      }
    }
    if (def->is_kernel) {
      ret_declared = true;
    }
    program_.functions.push_back(std::move(f));
    FnInfo info;
    info.def = def;
    info.file = &file;
    info.ret_declared = ret_declared;
    fn_info_.push_back(std::move(info));
    fn_by_def_[def] = id;

    ir::Scalar reserved;
    if (ir::parse_scalar_name(def->name.name, reserved) || def->name.name == "table") {
      error(diag::Kind::Redefinition, span(def->name),
            "'" + def->name.name + "' is a type name; choose another name");
    }
    Symbol sym{Symbol::Kind::Function, id.v, span(def->name)};
    auto [it, inserted] = file.globals.emplace(def->name.name, sym);
    if (!inserted) {
      error(diag::Kind::Redefinition, span(def->name),
            "'" + def->name.name + "' is already defined")
          .notes.push_back({it->second.span, "first defined here"});
    }
  }
}

void Checker::ensure_checked(FnId id, diag::Span use) {
  FnInfo& info = fn_info_[id.v];
  if (info.state == FnInfo::State::Done) {
    return;
  }
  if (info.state == FnInfo::State::InProgress) {
    if (!info.ret_declared) {
      const std::string& name = program_.functions[id.v].name;
      error(diag::Kind::CannotInfer, use,
            "cannot infer the return type of recursive function '" + name + "'; declare it: fn " +
                info.def->name.name + "(…) -> T")
          .notes.push_back({program_.functions[id.v].span, "'" + name + "' is defined here"});
    }
    return;
  }
  if (infer_depth_ >= kMaxInferDepth) {
    const std::string& name = program_.functions[id.v].name;
    error(diag::Kind::CannotInfer, use,
          "cannot infer the return type of '" + name +
              "': the chain of calls to infer it is too long; declare it with '-> T'");
    info.state = FnInfo::State::Done;
    program_.functions[id.v].ret = Type::error();
    return;
  }
  ++infer_depth_;
  check_function(id);
  --infer_depth_;
}

void Checker::check_function(FnId id) {
  FnInfo& info = fn_info_[id.v];
  info.state = FnInfo::State::InProgress;
  FnState* saved_fn = fn_;
  diag::FileId saved_file = cur_file_;
  bool saved_complex = reported_too_complex_;

  FnState st;
  st.id = id;
  st.file = info.file;
  st.is_kernel = info.def->is_kernel;
  st.ret_declared = info.ret_declared;
  st.inferring_ret = !info.ret_declared;
  st.scopes.push();
  fn_ = &st;
  cur_file_ = info.file->file;
  for (std::uint32_t i = 0; i < fn().param_count; ++i) {
    st.scopes.define(fn().locals[i].name, Symbol{Symbol::Kind::Local, i, fn().locals[i].span});
  }
  ir::Block body = check_block(info.def->body, false);
  program_.functions[id.v].body = std::move(body);
  finish_returns(st, program_.functions[id.v], span(info.def->name));

  info.state = FnInfo::State::Done;
  fn_ = saved_fn;
  cur_file_ = saved_file;
  reported_too_complex_ = saved_complex;
}

void Checker::finish_returns(FnState& st, ir::Function& f, diag::Span name_span) {
  // An inferred return type is the join of the returns; convert the narrower ones to it.
  if (st.inferring_ret) {
    for (StmtId sid : st.value_returns) {
      auto& ret = std::get<ir::Return>(program_.stmts[sid.v].kind);
      ret.value =
          coerce(ret.value, f.ret, "return value of '" + f.name + "'", diag::Kind::ReturnType);
      program_.stmts[sid.v].kind = ret;
    }
  }
  if (!f.ret.is_void() && !f.ret.is_error() && !always_returns(f.body)) {
    error(diag::Kind::MissingReturn, name_span,
          "'" + f.name + "' must return " + tname(f.ret) +
              " on every path, but its end can be reached without a return")
        .notes.push_back({name_span, "add a 'return' at the end of the function"});
  }
}

namespace {

bool has_break(const ir::Program& p, const ir::Block& block) {
  for (StmtId id : block.stmts) {
    const ir::Stmt& s = p.stmt(id);
    if (std::holds_alternative<ir::Break>(s.kind)) {
      return true;
    }
    if (const auto* i = std::get_if<ir::If>(&s.kind)) {
      if (has_break(p, i->then_body) || has_break(p, i->else_body)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

bool Checker::always_returns(const ir::Block& block) const {
  for (StmtId id : block.stmts) {
    const ir::Stmt& s = program_.stmt(id);
    if (std::holds_alternative<ir::Return>(s.kind)) {
      return true;
    }
    if (const auto* i = std::get_if<ir::If>(&s.kind)) {
      if (!i->else_body.stmts.empty() && always_returns(i->then_body) &&
          always_returns(i->else_body)) {
        return true;
      }
    }
    if (const auto* w = std::get_if<ir::While>(&s.kind)) {
      const auto* c = std::get_if<ir::BoolConst>(&program_.expr(w->cond).kind);
      if (c && c->value && !has_break(program_, w->body)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace kestrel::sema
