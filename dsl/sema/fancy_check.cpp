// Boolean masks and integer-array indexing (issue 17): `a[mask]`, `a[idx]`, `m[mask]` (rows),
// `m[mask2]` (elements), `m[idx, j]` and the other mixes with one scalar index or range, and the
// stores `a[mask] op= v`. Reads are ir::Builtin::FancyGet (a new array); stores are
// ir::StoreIndex with the selector as their one index (runtime/fancy_index.hpp does both).
#include "dsl/sema/checker.hpp"

namespace kestrel::sema {

bool Checker::check_selector(ExprId sel, Type base, bool alone, diag::Span at) {
  Type st = type_of(sel);
  if (fn_->is_kernel) {
    error(diag::Kind::KernelMisuse, at,
          "masks and index arrays are not supported in a kernel; index element by element");
    return false;
  }
  if (st.scalar != ir::Scalar::Bool && !ir::is_integer(st.scalar)) {
    error(diag::Kind::TypeMismatch, at,
          "an index array must hold integers or bools, found " + tname(st));
    return false;
  }
  if (st.scalar == ir::Scalar::Bool) {
    if (st.rank == 2 && (!alone || base.rank != 2)) {
      error(
          diag::Kind::RankMismatch, at,
          std::string("a boolean mask ") +
              (alone ? "for " + tname(base) + " must be 1-D" : "beside another index must be 1-D") +
              ", found " + tname(st));
      return false;
    }
    return true;
  }
  if (st.rank != 1) {
    error(diag::Kind::RankMismatch, at,
          "an integer index array must be 1-D (one index per element or row), found " + tname(st));
    return false;
  }
  return true;
}

ExprId Checker::fancy_get(ExprId base, ExprId sel, diag::Span at) {
  Type t = type_of(base);
  Type st = type_of(sel);
  int rank = t.rank == 2 && st.rank == 1 ? 2 : 1;
  return add_expr(ir::BuiltinCall{ir::Builtin::FancyGet, {base, sel}},
                  Type::array_of(t.scalar, rank), at);
}

ExprId Checker::check_fancy_index(ExprId base, std::vector<ir::SliceDim> dims, std::size_t fancy,
                                  diag::Span sel_at, diag::Span at) {
  Type t = type_of(base);
  ExprId sel = dims[fancy].index;
  if (!check_selector(sel, t, dims.size() == 1, sel_at)) {
    return error_expr(at);
  }
  if (dims.size() == 1) {
    return fancy_get(base, sel, at);
  }
  // m[sel, j], m[sel, a:b], m[i, sel], m[a:b, sel]: the selector applies to a view of m with
  // the selector's dimension whole.
  const ir::SliceDim& other = dims[1 - fancy];
  if (!other.is_range) {
    std::vector<ir::SliceDim> vd = dims;
    vd[fancy] = ir::SliceDim{true, ExprId{}, ExprId{}, ExprId{}, ExprId{}};
    ExprId view = add_expr(ir::SliceView{base, std::move(vd)}, Type::array_of(t.scalar, 1), at);
    return fancy_get(view, sel, at);
  }
  std::vector<ir::SliceDim> vd = dims;
  vd[fancy] = ir::SliceDim{true, ExprId{}, ExprId{}, ExprId{}, ExprId{}};
  Type mt = Type::array_of(t.scalar, 2);
  ExprId view = add_expr(ir::SliceView{base, std::move(vd)}, mt, at);
  if (fancy == 0) {
    return fancy_get(view, sel, at);
  }
  // Columns: the rows of the transpose, transposed back.
  ExprId tv = add_expr(ir::Transpose{view}, mt, at);
  return add_expr(ir::Transpose{fancy_get(tv, sel, at)}, mt, at);
}

bool Checker::check_fancy_store(const ast::AssignStmt& s, const ast::Postfix& target, ExprId got,
                                ir::AssignOp op, ExprId value, std::vector<StmtId>& out) {
  const ir::Expr& ge = expr(got);
  bool columns = false;
  const ir::BuiltinCall* call = std::get_if<ir::BuiltinCall>(&ge.kind);
  if (const auto* tr = std::get_if<ir::Transpose>(&ge.kind)) {
    call = std::get_if<ir::BuiltinCall>(&expr(tr->base).kind);
    columns = true;
  }
  if (call == nullptr || call->builtin != ir::Builtin::FancyGet) {
    return false;
  }
  diag::Span at = span(s);
  ExprId base = call->args[0];
  ExprId sel = call->args[1];
  Type tt = ge.type;
  // A store to an array declared outside an enclosing `parallel for`: the elements a mask or
  // an index array picks are not known to differ between iterations.
  const auto* root = ast_if<ast::Name>(target.primary);
  const Symbol* sym = root ? fn_->scopes.lookup(root->name) : nullptr;
  if (sym && sym->kind == Symbol::Kind::Local) {
    for (ParallelFrame& frame : fn_->parallel) {
      if (sym->id < frame.first_local) {
        auto& writes = frame.use(sym->id).array_writes;
        std::erase_if(writes, [&](const ArrayWriteUse& w) {
          return w.span.file == at.file && w.span.begin == at.begin && w.span.end == at.end;
        });
      }
    }
    for (const ParallelFrame& frame : fn_->parallel) {
      if (sym->id < frame.first_local) {
        auto& d = error(diag::Kind::ParallelWrite, at,
                        "cannot store through a mask or an index array into '" + root->name +
                            "' inside 'parallel for': it is declared outside the loop, and the "
                            "elements a mask or an index array selects are not known to differ "
                            "between iterations");
        d.notes.push_back({at,
                           "write it by element at the loop variable (a[i] = …), or build the "
                           "selection's values in the loop and store them after it"});
        return true;
      }
    }
  }
  Type vt = type_of(value);
  if (vt.is_error()) {
    return true;
  }
  if (tt.scalar == ir::Scalar::Str && !vt.is_array()) {
    error(diag::Kind::TypeMismatch, at,
          "a str array's selected elements can only be assigned a str array, found " + tname(vt));
    return true;
  }
  if (!vt.has_elements() || (vt.is_array() && vt.rank > tt.rank)) {
    coerce(value, tt, "value stored through a mask or an index array");
    return true;
  }
  if (columns && vt.is_array() && vt.rank == 1) {
    error(diag::Kind::RankMismatch, at,
          "a row cannot be stored into columns selected by a mask or an index array; store a "
          "scalar or a matrix of the selection's shape");
    return true;
  }
  value = coerce_elements(value, tt.scalar, "value stored through a mask or an index array");
  if (type_of(value).is_error()) {
    return true;
  }
  if (columns && type_of(value).is_array()) {  // base is the transposed view: so is the value
    value = add_expr(ir::Transpose{value}, type_of(value), span_of(s.value));
  }
  out.push_back(add_stmt(ir::StoreIndex{base, {sel}, op, value, 0}, at));
  return true;
}

}  // namespace kestrel::sema
