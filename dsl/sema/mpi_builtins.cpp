// MPI ranks (issue 18; runtime/mpi.hpp): rank(), ranks(), allreduce(x[, "sum"|"min"|"max"]),
// broadcast(x, root) and gather(x). Each collective lowers to one IR builtin with the arguments
// (x, fn, root), fn an rt::MpiFn constant. Collectives run once per rank, in the same order on
// every rank: never in a kernel or a `parallel for`.
#include "dsl/sema/checker.hpp"
#include "runtime/mpi.hpp"

namespace kestrel::sema {

using ir::Builtin;
using ir::Scalar;

bool Checker::is_mpi_builtin(const std::string& name) {
  return name == "rank" || name == "ranks" || name == "allreduce" || name == "broadcast" ||
         name == "gather";
}

std::vector<std::string> mpi_builtin_names() {
  return {"rank", "ranks", "allreduce", "broadcast", "gather"};
}

ExprId Checker::check_mpi_builtin(const std::string& name, const ast::CallSuffix& call,
                                  diag::Span at) {
  std::vector<const ast::Expr*> pos;
  bool ok = true;
  for (const ast::Arg& a : call.args) {
    if (reject_keyword(name, a)) {
      ok = false;
    } else {
      pos.push_back(&a.value);
    }
  }
  bool collective = name != "rank" && name != "ranks";
  std::size_t lo = !collective ? 0 : 1;
  std::size_t hi = !collective ? 0 : name == "gather" ? 1 : 2;
  if (name == "broadcast") {
    lo = 2;
  }
  if (pos.size() < lo || pos.size() > hi) {
    std::string takes = lo == hi ? plural(lo, "argument") : "1 or 2 arguments";
    error(diag::Kind::ArityMismatch, at,
          "'" + name + "' takes " + takes + " but " + std::to_string(pos.size()) +
              (pos.size() == 1 ? " was given" : " were given"));
    return error_expr(at);
  }
  if (fn_->is_kernel) {
    error(diag::Kind::KernelMisuse, at,
          "'" + name +
              "' cannot be used inside a kernel: ranks and collectives belong to the "
              "host program (call it before or after the launch)");
    return error_expr(at);
  }
  if (collective && !fn_->parallel.empty()) {
    error(diag::Kind::KernelMisuse, at,
          "'" + name +
              "' cannot be called inside a 'parallel for': every rank calls its "
              "collectives once, in the same order (call it after the loop)");
    return error_expr(at);
  }
  if (!ok) {
    return error_expr(at);
  }
  if (collective && !fn_info_[fn_->id.v].collective) {
    fn_info_[fn_->id.v].collective = at;
    fn_info_[fn_->id.v].collective_name = name;
  }
  if (!collective) {
    return add_expr(ir::BuiltinCall{name == "rank" ? Builtin::MpiRank : Builtin::MpiRanks, {}},
                    Type::i64(), at);
  }
  ExprId x = check_value(*pos[0]);
  Type t = type_of(x);
  if (t.is_error()) {
    return error_expr(at);
  }
  bool numeric = t.has_elements() && ir::is_numeric(t.scalar) &&
                 (t.is_scalar() || (t.is_array() && (t.rank == 1 || t.rank == 2)));
  if (!numeric) {
    error(diag::Kind::ArgumentType, span_of(*pos[0]),
          "argument 1 of '" + name + "' must be a number or a numeric array, found " + tname(t));
    return error_expr(at);
  }
  auto fn = rt::MpiFn::Gather;
  ExprId root = add_expr(ir::IntConst{0}, Type::i64(), at);
  if (name == "allreduce") {
    fn = rt::MpiFn::AllreduceSum;
    if (pos.size() == 2) {
      const auto* lit = ast_if<ast::StrLit>(*pos[1]);
      if (lit != nullptr && lit->value == "min") {
        fn = rt::MpiFn::AllreduceMin;
      } else if (lit != nullptr && lit->value == "max") {
        fn = rt::MpiFn::AllreduceMax;
      } else if (lit == nullptr || lit->value != "sum") {
        error(diag::Kind::ArgumentType, span_of(*pos[1]),
              "argument 2 of 'allreduce' must be the operation, \"sum\", \"min\" or \"max\"");
        return error_expr(at);
      }
    }
  } else if (name == "broadcast") {
    fn = rt::MpiFn::Broadcast;
    root = check_value(*pos[1]);
    Type rtype = type_of(root);
    if (rtype.is_error()) {
      return error_expr(at);
    }
    if (!rtype.is_scalar() || !ir::is_integer(rtype.scalar)) {
      error(diag::Kind::ArgumentType, span_of(*pos[1]),
            "argument 2 of 'broadcast' must be the root rank, an integer, found " + tname(rtype));
      return error_expr(at);
    }
    root = convert_elements(root, Scalar::I64);
  }
  Type result = t;
  Builtin b = Builtin::Allreduce;
  if (name == "broadcast") {
    b = Builtin::Broadcast;
  } else if (name == "gather") {
    b = Builtin::Gather;
    result = t.is_scalar() ? Type::array_of(t.scalar, 1) : t;
  }
  ExprId fn_arg = add_expr(ir::IntConst{static_cast<std::int64_t>(fn)}, Type::i64(), at);
  return add_expr(ir::BuiltinCall{b, {x, fn_arg, root}}, result, at);
}

}  // namespace kestrel::sema
