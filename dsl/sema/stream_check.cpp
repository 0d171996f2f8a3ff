// Block loops: `for block in npy_blocks(path, f64, 2, rows) { … }` and
// `for t in csv_blocks(path, rows) { … }` (runtime/stream.hpp). The checker lowers them to IR the
// backends already run, on a hidden i64 handle, so every mode (and tiered OSR, at the while's
// back-edge) runs them the same way:
//   let h = npy_blocks(path, rows, elem, rank)
//   while stream_next(h) { let block = stream_block(h); body }
// with stream_close(h) before a `break` of this loop and before any `return` inside it.
#include "dsl/sema/builtin_args.hpp"

namespace kestrel::sema {

using ir::Builtin;
using ir::Scalar;

namespace {

const char* const kUsage =
    "for block in npy_blocks(path, f64, 2, rows) { … } or for t in csv_blocks(path, rows) { … }";

}  // namespace

ExprId Checker::check_block_source(const std::string& name,
                                   const std::vector<const ast::Expr*>& pos, diag::Span at) {
  bool allowed = std::exchange(stream_source_, false);
  if (!allowed) {
    error(diag::Kind::NotAValue, at,
          "'" + name + "' is not a value; it is only the source of a for loop: " + kUsage);
    return error_expr(at);
  }
  bool ok = true;
  const BuiltinArgs named(*this, name, pos, at);  // for its messages
  std::vector<ExprId> args;
  ExprId path = check_value(*pos[0]);
  if (type_of(path).is_error()) {
    ok = false;
  } else if (type_of(path) != Type::str()) {
    error(diag::Kind::ArgumentType, span_of(*pos[0]),
          named.what(0) + " must be a str, found " + tname(type_of(path)));
    ok = false;
  }
  // Argument k as an i64: an integer scalar, else "… must be `must`, an integer, found T".
  auto integer = [&](std::size_t k, const char* must) {
    ExprId v = check_value(*pos[k]);
    Type vt = type_of(v);
    if (vt.is_error()) {
      ok = false;
    } else if (!vt.is_scalar() || !ir::is_integer(vt.scalar)) {
      error(diag::Kind::ArgumentType, span_of(*pos[k]),
            named.what(k) + " must be " + must + ", an integer, found " + tname(vt));
      ok = false;
    } else {
      v = convert_elements(v, Scalar::I64);
    }
    return v;
  };
  ExprId rows = integer(name == "npy_blocks" ? 3 : 1, "the rows per block");
  args.push_back(path);
  args.push_back(rows);
  if (name == "npy_blocks") {
    Scalar elem = Scalar::F64;
    const auto* nm = ast_if<ast::Name>(*pos[1]);
    if (!nm || nm->name == "str" || fn_->scopes.lookup(nm->name) ||
        !ir::parse_scalar_name(nm->name, elem)) {
      error(diag::Kind::ArgumentType, span_of(*pos[1]),
            named.what(1) + " must be an element type (bool, i32, i64, f32, f64)");
      ok = false;
    }
    const auto* lit = ast_if<ast::IntLit>(*pos[2]);
    if (!lit || (lit->text != "1" && lit->text != "2")) {
      error(diag::Kind::ArgumentType, span_of(*pos[2]),
            "argument 3 of 'npy_blocks' must be the rank, 1 or 2");
      ok = false;
    }
    if (!ok) {
      return error_expr(at);
    }
    int rank = lit->text[0] - '0';
    args.push_back(add_expr(ir::IntConst{static_cast<std::int64_t>(elem)}, Type::i64(), at));
    args.push_back(add_expr(ir::IntConst{rank}, Type::i64(), at));
    stream_block_type_ = Type::array_of(elem, rank);
    return add_expr(ir::BuiltinCall{Builtin::NpyBlocks, std::move(args)}, Type::i64(), at);
  }
  if (pos.size() == 3) {
    error(
        diag::Kind::ArityMismatch, at,
        "'csv_blocks' takes (path, rows) or (path, rows, part, parts), but 3 arguments were given");
    ok = false;
  }
  for (std::size_t k = 2; k < 4; ++k) {  // part, parts: 0 and 1 (the whole file) when absent
    if (k >= pos.size()) {
      args.push_back(add_expr(ir::IntConst{k == 2 ? 0 : 1}, Type::i64(), at));
      continue;
    }
    args.push_back(integer(k, k == 2 ? "the part" : "the number of parts"));
  }
  if (!ok) {
    return error_expr(at);
  }
  stream_block_type_ = Type::table();
  return add_expr(ir::BuiltinCall{Builtin::CsvBlocks, std::move(args)}, Type::i64(), at);
}

void Checker::check_for_blocks(const ast::ForStmt& s, std::vector<StmtId>& out) {
  diag::Span at = span(s);
  diag::Span src_at = span_of(s.lo);
  bool ok = true;
  if (s.parallel) {
    error(diag::Kind::KernelMisuse, at,
          "a 'parallel for' runs over a range lo..hi; blocks of a file are read in order");
    ok = false;
  } else if (fn_->is_kernel) {
    error(diag::Kind::KernelMisuse, at, "a kernel cannot read files (npy_blocks, csv_blocks)");
    ok = false;
  } else if (!fn_->parallel.empty()) {
    error(diag::Kind::KernelMisuse, at,
          "a block loop cannot be inside a 'parallel for': its blocks are read in order");
    ok = false;
  }
  stream_source_ = true;
  stream_block_type_ = Type::error();
  ExprId open = check_value(s.lo);
  stream_source_ = false;
  const auto* call = std::get_if<ir::BuiltinCall>(&expr(open).kind);
  bool is_source = call != nullptr &&
                   (call->builtin == Builtin::NpyBlocks || call->builtin == Builtin::CsvBlocks);
  if (!is_source && !type_of(open).is_error()) {
    error(diag::Kind::TypeMismatch, src_at,
          "a for loop goes over a range lo..hi or over blocks of a file (" + std::string(kUsage) +
              "), not " + tname(type_of(open)));
    ok = false;
  }
  Type block_type = is_source ? stream_block_type_ : Type::error();
  fn_->scopes.push();
  LocalId handle =
      declare_local("blocks$" + std::to_string(fn().locals.size()), Type::i64(), false, src_at);
  out.push_back(add_stmt(ir::Let{handle, ok ? open : error_expr(src_at)}, at));
  auto handle_ref = [&] { return add_expr(ir::LocalRef{handle}, Type::i64(), src_at); };

  fn_->loops.push_back(false);
  fn_->streams.emplace_back(fn_->loops.size() - 1, handle);
  fn_->scopes.push();
  LocalId var = declare_local(s.var.name, block_type, false, span(s.var));
  ir::Block body;
  ExprId block =
      add_expr(ir::BuiltinCall{Builtin::StreamBlock, {handle_ref()}}, block_type, src_at);
  body.stmts.push_back(add_stmt(ir::Let{var, block}, at));
  ir::Block inner = check_block(s.body);
  body.stmts.insert(body.stmts.end(), inner.stmts.begin(), inner.stmts.end());
  fn_->scopes.pop();
  fn_->streams.pop_back();
  fn_->loops.pop_back();
  ExprId more =
      add_expr(ir::BuiltinCall{Builtin::StreamNext, {handle_ref()}}, Type::boolean(), src_at);
  out.push_back(add_stmt(ir::While{more, std::move(body)}, at));
  fn_->scopes.pop();
}

void Checker::close_streams(bool all, diag::Span at, std::vector<StmtId>& out) {
  for (auto it = fn_->streams.rbegin(); it != fn_->streams.rend(); ++it) {
    if (!all && it->first + 1 != fn_->loops.size()) {
      break;  // a break leaves only the innermost loop
    }
    ExprId h = add_expr(ir::LocalRef{it->second}, Type::i64(), at);
    ExprId close = add_expr(ir::BuiltinCall{Builtin::StreamClose, {h}}, Type::void_(), at);
    out.push_back(add_stmt(ir::ExprStmt{close}, at));
    if (!all) {
      break;
    }
  }
}

}  // namespace kestrel::sema
