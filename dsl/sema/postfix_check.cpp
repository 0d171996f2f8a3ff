// Postfix chains: names that are not values (functions, kernels, modules, builtins, type
// names) become callees; then calls, launches `k[n](…)`, indexing and slicing, attributes
// (`.T`, `.rows`, table columns, module members) apply left to right.
#include <limits>
#include <numbers>

#include "dsl/sema/checker.hpp"

namespace kestrel::sema {

Callee Checker::resolve_name(const ast::Name& n) {
  Callee c;
  c.name = n.name;
  diag::Span at = span(n);
  if (const Symbol* sym = fn_->scopes.lookup(n.name)) {
    LocalId id{sym->id};
    note_read(id, at);
    c.kind = Callee::Kind::Value;
    c.value = add_expr(ir::LocalRef{id}, local(id).type, at);
    return c;
  }
  auto it = fn_->file->globals.find(n.name);
  if (it != fn_->file->globals.end()) {
    if (it->second.kind == Symbol::Kind::Function) {
      c.kind = Callee::Kind::Function;
      c.fn = FnId{it->second.id};
    } else {
      c.kind = Callee::Kind::Module;
      c.module = it->second.id;
    }
    return c;
  }
  if (is_builtin_name(n.name)) {
    c.kind = Callee::Kind::Builtin;
    return c;
  }
  // numpy's constants, f64 that adapt to an f32 beside them as a float literal does; a local or
  // a function of the same name (stdlib's montecarlo.pi) comes first.
  if (n.name == "pi" || n.name == "inf" || n.name == "nan") {
    double v = n.name == "pi"    ? std::numbers::pi
               : n.name == "inf" ? std::numeric_limits<double>::infinity()
                                 : std::numeric_limits<double>::quiet_NaN();
    c.kind = Callee::Kind::Value;
    c.value = add_expr(ir::FloatConst{v}, Type::f64(), at);
    untyped_[c.value.v] = 1;
    return c;
  }
  if (n.name != "str" && ir::parse_scalar_name(n.name, c.scalar)) {
    c.kind = Callee::Kind::TypeName;
    return c;
  }
  auto& d = error(diag::Kind::UndefinedName, at, "undefined name '" + n.name + "'");
  if (!fn_->is_main && fn_->file->top_level_names.count(n.name)) {
    d.notes.push_back({at, "top-level variables are not visible inside functions; pass '" + n.name +
                               "' as a parameter"});
  }
  c.kind = Callee::Kind::Error;
  return c;
}

Callee Checker::resolve_callee(const ast::Expr& primary) {
  if (const auto* n = ast_if<ast::Name>(primary)) {
    return resolve_name(*n);
  }
  Callee c;
  c.kind = Callee::Kind::Value;
  c.value = check_value(primary);
  if (type_of(c.value).is_error()) {
    c.kind = Callee::Kind::Error;
  }
  return c;
}

ExprId Checker::value_of(Callee c, diag::Span at) {
  switch (c.kind) {
    case Callee::Kind::Value:
      return c.value;
    case Callee::Kind::Error:
      return error_expr(at);
    case Callee::Kind::Function:
      if (program_.functions[c.fn.v].is_kernel) {
        error(diag::Kind::KernelMisuse, at,
              "kernel '" + c.name + "' is not a value; launch it: " + c.name + "[n](…)");
      } else {
        error(diag::Kind::NotAValue, at,
              "function '" + c.name + "' is not a value; call it: " + c.name + "(…)");
      }
      break;
    case Callee::Kind::Module:
      error(diag::Kind::NotAValue, at,
            "module '" + c.name + "' is not a value; use its functions: " + c.name + ".f(…)");
      break;
    case Callee::Kind::Builtin:
      error(diag::Kind::NotAValue, at,
            "builtin '" + c.name + "' is not a value; call it: " + c.name + "(…)");
      break;
    case Callee::Kind::TypeName:
      error(diag::Kind::NotAValue, at,
            "'" + c.name + "' is a type, not a value; convert with " + c.name + "(x)");
      break;
  }
  return error_expr(at);
}

ExprId Checker::check_postfix(const ast::Postfix& p, std::size_t n) {
  n = std::min(n, p.suffixes.size());
  Callee head = resolve_callee(p.primary);
  std::uint32_t begin = ast::span_of(p.primary).begin;
  for (std::size_t i = 0; i < n; ++i) {
    if (head.kind == Callee::Kind::Error) {
      return error_expr(span(p));
    }
    const ast::Suffix& suffix = p.suffixes[i];
    diag::Span at{cur_file_, begin,
                  visit_ast<ast::Node>(suffix, [](const auto& x) -> ast::Node { return x; }).end};
    const auto* call = ast_if<ast::CallSuffix>(suffix);
    const auto* index = ast_if<ast::IndexSuffix>(suffix);
    const auto* attr = ast_if<ast::AttrSuffix>(suffix);
    const ast::CallSuffix* next_call =
        i + 1 < n ? ast_if<ast::CallSuffix>(p.suffixes[i + 1]) : nullptr;
    Callee next;
    next.kind = Callee::Kind::Value;
    switch (head.kind) {
      case Callee::Kind::Module: {
        ModuleInfo& m = *modules_[head.module];
        if (!attr) {
          error(diag::Kind::NotCallable, at,
                "module '" + head.name +
                    "' is not callable; call one of its functions: " + head.name + ".f(…)");
          return error_expr(at);
        }
        if (m.failed) {
          return error_expr(at);
        }
        auto it = m.ctx->globals.find(attr->name);
        if (it == m.ctx->globals.end() || it->second.kind != Symbol::Kind::Function) {
          error(diag::Kind::UnknownAttribute, at,
                "module '" + head.name + "' has no function '" + attr->name + "'");
          return error_expr(at);
        }
        next.kind = Callee::Kind::Function;
        next.fn = FnId{it->second.id};
        next.name = head.name + "." + attr->name;
        break;
      }
      case Callee::Kind::Function: {
        bool kernel = program_.functions[head.fn.v].is_kernel;
        if (call && kernel) {
          error(diag::Kind::KernelMisuse, at,
                "kernel '" + head.name + "' must be launched with a grid: " + head.name + "[n](…)");
          return error_expr(at);
        }
        if (call) {
          next.value = check_user_call(head.fn, head.name, *call, at);
        } else if (index && !kernel) {
          error(diag::Kind::KernelMisuse, at,
                "'" + head.name +
                    "' is a function, not a kernel; call it without a grid: " + head.name + "(…)");
          return error_expr(at);
        } else if (index && next_call) {
          diag::Span whole{cur_file_, begin, span(*next_call).end};
          next.value = check_launch(head.fn, head.name, *index, *next_call, whole);
          ++i;
        } else if (index) {
          error(diag::Kind::KernelMisuse, at,
                "a kernel launch needs its arguments: " + head.name + "[n](…)");
          return error_expr(at);
        } else {
          error(diag::Kind::UnknownAttribute, at,
                "'" + head.name + "' is a function; it has no attribute '" + attr->name + "'");
          return error_expr(at);
        }
        break;
      }
      case Callee::Kind::Builtin:
      case Callee::Kind::TypeName:
        if (!call) {
          return value_of(head, at);
        }
        next.value = head.kind == Callee::Kind::Builtin
                         ? check_builtin(head.name, *call, at)
                         : check_conversion(head.scalar, head.name, *call, at);
        break;
      case Callee::Kind::Value: {
        Type t = type_of(head.value);
        if (call) {
          error(diag::Kind::NotCallable, at,
                ast_if<ast::Name>(p.primary) && i == 0
                    ? "'" + head.name + "' is a variable of type " + tname(t) + ", not a function"
                    : "a value of type " + tname(t) + " is not callable");
          return error_expr(at);
        }
        if (index) {
          next.value = check_index(head.value, *index, at);
          break;
        }
        // Attributes of values.
        if (attr->name == "T" && t.is_array() && t.rank == 2) {
          next.value = add_expr(ir::Transpose{head.value}, t, at);
        } else if (attr->name == "T" && t.is_array()) {
          error(diag::Kind::UnknownAttribute, at,
                "'.T' needs a matrix (rank 2), found " + tname(t));
          return error_expr(at);
        } else if (t.is_table() && attr->name == "rows") {
          next.value = add_expr(ir::TableRows{head.value}, Type::i64(), at);
        } else if (ir::ColumnKind kind; t.is_table() && column_method(attr->name, kind)) {
          if (!next_call) {
            error(diag::Kind::NotAValue, at,
                  "'." + attr->name + "' is a table method; call it with a column name: ." +
                      attr->name + "(\"name\")");
            return error_expr(at);
          }
          diag::Span whole{cur_file_, begin, span(*next_call).end};
          std::string what = "'." + attr->name + "'";
          if (next_call->args.size() != 1 || next_call->args[0].keyword) {
            error(diag::Kind::ArityMismatch, whole,
                  what + " takes 1 argument (the column name) but " +
                      std::to_string(next_call->args.size()) +
                      (next_call->args.size() == 1 ? " was given" : " were given"));
            return error_expr(whole);
          }
          ExprId name = coerce(check_value(next_call->args[0].value), Type::str(),
                               "argument 1 of " + what, diag::Kind::ArgumentType);
          Type ct =
              Type::array_of(kind == ir::ColumnKind::F64 ? ir::Scalar::F64
                             : kind == ir::ColumnKind::Labels || kind == ir::ColumnKind::GroupLabels
                                 ? ir::Scalar::Str
                                 : ir::Scalar::I64,
                             1);
          if (type_of(name).is_error()) {
            return error_expr(whole);
          }
          next.value = add_expr(ir::TableColumn{kind, head.value, name}, ct, whole);
          ++i;
        } else {
          auto& d = error(diag::Kind::UnknownAttribute, at,
                          tname(t) + " has no attribute '" + attr->name + "'");
          if (t.is_table()) {
            d.notes.push_back({at,
                               "tables have .rows, .f64(name), .i64(name), .codes(name), "
                               ".labels(name), .group_codes(name) and .group_labels(name)"});
          } else if (t.is_array()) {
            d.notes.push_back({at,
                               "arrays have .T (matrices); use len(a) and "
                               "shape(a, k) for sizes"});
          }
          return error_expr(at);
        }
        break;
      }
      case Callee::Kind::Error:
        return error_expr(at);
    }
    if (next.kind == Callee::Kind::Value && type_of(next.value).is_error()) {
      next.kind = Callee::Kind::Error;
    }
    head = next;
  }
  return value_of(head, span(p));
}

ExprId Checker::check_index(ExprId base, const ast::IndexSuffix& idx, diag::Span at) {
  Type t = type_of(base);
  if (t.is_error()) {
    return error_expr(at);  // reported where the base went wrong: no second error here
  }
  if (!t.is_array()) {
    auto& d = error(diag::Kind::NotIndexable, at, "cannot index a value of type " + tname(t));
    if (t.is_tuple()) {
      d.notes.push_back({at, "unpack a tuple instead: let (a, b) = …"});
    }
    return error_expr(at);
  }
  // m[mask], m[idx]: one array index selects rows of a matrix (fancy_check.cpp).
  if (idx.items.size() == 1 && t.rank == 2 && ast_if<ast::Expr>(idx.items[0])) {
    ExprId first = check_value(*ast_if<ast::Expr>(idx.items[0]));
    if (type_of(first).is_error()) {
      return error_expr(at);
    }
    if (type_of(first).is_array()) {
      return check_fancy_index(base, {ir::SliceDim{false, first, {}, {}, {}}}, 0,
                               span_of(*ast_if<ast::Expr>(idx.items[0])), at);
    }
  }
  if (idx.items.size() != t.rank) {
    error(diag::Kind::RankMismatch, at,
          tname(t) + " needs " + (t.rank == 1 ? "1 index" : "2 indices") + " but " +
              std::to_string(idx.items.size()) +
              (idx.items.size() == 1 ? " was given" : " were given"));
    return error_expr(at);
  }
  bool ok = true;
  std::vector<ir::SliceDim> dims;
  std::size_t fancy = idx.items.size();  // the dimension indexed by an array, if any
  diag::Span fancy_at;
  auto index_expr = [&](const ast::Expr& e, bool alone) {
    ExprId id = check_value(e);
    Type it = type_of(id);
    if (it.is_error()) {
      ok = false;
      return id;
    }
    if (alone && it.is_array()) {
      if (fancy < idx.items.size()) {
        error(diag::Kind::RankMismatch, span_of(e),
              "only one index may be a mask or an index array");
        ok = false;
      }
      fancy = dims.size();
      fancy_at = span_of(e);
      return id;
    }
    if (!it.is_scalar() || !ir::is_integer(it.scalar)) {
      error(diag::Kind::TypeMismatch, span_of(e),
            "an index must be an integer, found " + tname(it));
      ok = false;
      return id;
    }
    return convert_elements(id, ir::Scalar::I64);
  };
  int ranges = 0;
  for (const ast::Subscript& sub : idx.items) {
    ir::SliceDim d;
    if (const auto* e = ast_if<ast::Expr>(sub)) {
      d.index = index_expr(*e, true);
    } else {
      const auto& sl = *ast_if<ast::Slice>(sub);
      d.is_range = true;
      ++ranges;
      if (sl.lo) {
        d.lo = index_expr(*sl.lo, false);
      }
      if (sl.hi) {
        d.hi = index_expr(*sl.hi, false);
      }
      if (sl.step) {
        d.step = index_expr(*sl.step, false);
      }
    }
    dims.push_back(d);
  }
  if (!ok) {
    return error_expr(at);
  }
  if (fancy < dims.size()) {
    return check_fancy_index(base, std::move(dims), fancy, fancy_at, at);
  }
  if (ranges == 0) {
    std::vector<ExprId> indices;
    for (const ir::SliceDim& d : dims) {
      indices.push_back(d.index);
    }
    return add_expr(ir::Index{base, std::move(indices)}, t.element(), at);
  }
  return add_expr(ir::SliceView{base, std::move(dims)}, Type::array_of(t.scalar, ranges), at);
}

bool Checker::reject_keyword(const std::string& name, const ast::Arg& a) {
  if (a.keyword) {
    error(diag::Kind::UnknownKeyword, span(a),
          "'" + name + "' takes no keyword arguments, found '" + *a.keyword + "='");
  }
  return static_cast<bool>(a.keyword);
}

std::optional<std::vector<ExprId>> Checker::check_args_against(const std::vector<ir::Local>& params,
                                                               std::size_t count,
                                                               const std::string& name,
                                                               const ast::CallSuffix& call,
                                                               diag::Span at) {
  std::vector<ExprId> args;
  bool ok = true;
  for (const ast::Arg& a : call.args) {
    if (reject_keyword(name, a)) {
      ok = false;
    }
    args.push_back(check_value(a.value));
  }
  if (args.size() != count) {
    error(diag::Kind::ArityMismatch, at,
          "'" + name + "' takes " + plural(count, "argument") + " but " +
              std::to_string(args.size()) + (args.size() == 1 ? " was given" : " were given"));
    return std::nullopt;
  }
  for (std::size_t k = 0; k < count; ++k) {
    args[k] =
        coerce(args[k], params[k].type, "argument " + std::to_string(k + 1) + " of '" + name + "'",
               diag::Kind::ArgumentType);
    ok = ok && !type_of(args[k]).is_error();
  }
  if (!ok) {
    return std::nullopt;
  }
  return args;
}

ExprId Checker::check_user_call(FnId id, const std::string& name, const ast::CallSuffix& call,
                                diag::Span at) {
  if (!fn_info_[id.v].ret_declared) {
    ensure_checked(id, at);
  }
  const ir::Function& f = program_.functions[id.v];
  std::vector<ir::Local> params(f.locals.begin(), f.locals.begin() + f.param_count);
  Type ret = f.ret;
  if (fn_info_[id.v].state == FnInfo::State::InProgress && !fn_info_[id.v].ret_declared) {
    ret = Type::error();
  }
  auto args = check_args_against(params, params.size(), name, call, at);
  if (!args || ret.is_error()) {
    return error_expr(at);
  }
  fn_info_[fn_->id.v].calls.emplace_back(id, at);
  if (fn_->is_kernel || !fn_->parallel.empty()) {
    parallel_calls_.push_back({id, at, fn_->is_kernel});
  }
  return add_expr(ir::Call{id, std::move(*args)}, ret, at);
}

ExprId Checker::check_launch(FnId id, const std::string& name, const ast::IndexSuffix& grid,
                             const ast::CallSuffix& call, diag::Span at) {
  std::vector<ExprId> extents;
  bool ok = true;
  if (fn_->is_kernel) {
    error(diag::Kind::KernelMisuse, at, "a kernel cannot launch another kernel");
    ok = false;
  }
  if (grid.items.empty() || grid.items.size() > 2) {
    error(diag::Kind::KernelMisuse, at,
          "a launch grid has 1 or 2 dimensions, found " + std::to_string(grid.items.size()));
    ok = false;
  }
  for (const ast::Subscript& sub : grid.items) {
    const auto* e = ast_if<ast::Expr>(sub);
    if (!e) {
      error(diag::Kind::KernelMisuse, at, "a launch grid takes sizes, not slices");
      ok = false;
      continue;
    }
    ExprId x = check_value(*e);
    Type t = type_of(x);
    if (!t.is_error() && (!t.is_scalar() || !ir::is_integer(t.scalar))) {
      error(diag::Kind::TypeMismatch, span_of(*e),
            "a launch size must be an integer, found " + tname(t));
      ok = false;
    }
    extents.push_back(ok ? convert_elements(x, ir::Scalar::I64) : x);
  }
  const ir::Function& f = program_.functions[id.v];
  std::vector<ir::Local> params(f.locals.begin(), f.locals.begin() + f.param_count);
  auto args = check_args_against(params, params.size(), name, call, at);
  if (!ok || !args) {
    return error_expr(at);
  }
  if (extents.size() == 1) {
    launches_1d_.emplace_back(id, at);
  }
  return add_expr(ir::Launch{id, std::move(extents), std::move(*args)}, Type::void_(), at);
}

}  // namespace kestrel::sema
