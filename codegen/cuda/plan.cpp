// Which parallel loops and launches run on the GPU, what each one takes, and where a run of GPU
// statements ends (cuda.hpp).
//
// A region runs on the GPU when everything its body does has a device form: scalar arithmetic,
// conversions and math on bool/i32/i64/f32/f64, element reads and writes of arrays it captures
// (or a kernel's array parameters), len/shape, random numbers, and calls of non-recursive user
// functions that do the same. Anything else (creating or slicing arrays, whole-array operations,
// printing, strings, tuples, array reductions, a nested parallel loop) keeps the region on the
// CPU, and the plan says why (`kestrel emit --cuda` prints it).
#include <algorithm>
#include <functional>

#include "codegen/cuda/cuda.hpp"
#include "dsl/ir/locals.hpp"
#include "dsl/ir/param_writes.hpp"
#include "dsl/ir/stream_use.hpp"
#include "dsl/ir/walk.hpp"

namespace kestrel::cuda {

std::string kernel_name(std::uint32_t id) { return "kr_" + std::to_string(id); }

namespace detail {

namespace {

using ir::ExprId;
using ir::Type;

bool device_scalar(Type t) { return t.is_scalar() && t.scalar != ir::Scalar::Str; }
bool device_array(Type t) {
  return t.is_array() && t.scalar != ir::Scalar::Str && (t.rank == 1 || t.rank == 2);
}

class Planner {
 public:
  explicit Planner(const ir::Program& p)
      : p_(p),
        fn_state_(p.functions.size(), 0),
        fn_reason_(p.functions.size()),
        writes_(ir::written_params(p)),
        streams_(ir::functions_using_stream(p)) {
    out_.device_fns.assign(p.functions.size(), 0);
  }

  Planned run(ir::FnId also) {
    for (std::uint32_t f = 0; f < p_.functions.size(); ++f) {
      if (!p_.functions[f].is_kernel) {
        find_regions(ir::FnId{f}, p_.functions[f].body);
      }
    }
    if (also.valid() && !p_.fn(also).is_main) {
      out_.also_reason = fn_ok(also);
    }
    for (std::uint32_t f = 0; f < p_.functions.size(); ++f) {
      place_syncs(p_.functions[f].body);
    }
    return std::move(out_);
  }

 private:
  // ---- whether code has a device form (an empty string: it has) ----

  /// Why function `id` cannot be a __device__ function ("" when it can).
  std::string fn_ok(ir::FnId id) {
    std::uint8_t& st = fn_state_[id.v];
    if (st == 2) {
      return "";
    }
    if (st == 1) {
      return "recursive function '" + p_.fn(id).name + "'";
    }
    if (st == 3) {
      return fn_reason_[id.v];
    }
    st = 1;
    const ir::Function& f = p_.fn(id);
    std::string why;
    if (!f.ret.is_void() && !device_scalar(f.ret)) {
      why = "'" + f.name + "' returns " + ir::type_name(p_.types, f.ret);
    }
    for (std::uint32_t k = 0; k < f.locals.size() && why.empty(); ++k) {
      Type t = f.locals[k].type;
      bool ok = device_scalar(t) || (k < f.param_count && device_array(t));
      if (!ok) {
        why = "'" + f.name + "' has " + (k < f.param_count ? "a parameter" : "a local") + " '" +
              f.locals[k].name + "' of type " + ir::type_name(p_.types, t);
      }
    }
    if (why.empty()) {
      why = block_ok(f, f.body);
    }
    st = why.empty() ? 2 : 3;
    fn_reason_[id.v] = why;
    if (why.empty()) {
      out_.device_fns[id.v] = 1;
    }
    return why;
  }

  std::string block_ok(const ir::Function& f, const ir::Block& b) {
    for (ir::StmtId s : b.stmts) {
      if (std::string why = stmt_ok(f, s); !why.empty()) {
        return why;
      }
    }
    return "";
  }

  std::string stmt_ok(const ir::Function& f, ir::StmtId id) {
    const ir::Stmt& s = p_.stmt(id);
    return std::visit(
        ir::overloaded{
            [&](const ir::Let& l) -> std::string {
              if (!device_scalar(f.locals[l.local.v].type)) {
                return "an array or other non-scalar local ('" + f.locals[l.local.v].name + "')";
              }
              return expr_ok(f, l.init);
            },
            [&](const ir::LetTuple&) -> std::string { return "a tuple"; },
            [&](const ir::Assign& a) -> std::string {
              if (!device_scalar(f.locals[a.local.v].type)) {
                return "an array assignment";
              }
              return expr_ok(f, a.value);
            },
            [&](const ir::StoreIndex& st) -> std::string {
              if (ir::is_fancy_store(p_, st)) {
                return "a store through a mask or an index array";
              }
              if (std::string why = array_ref_ok(st.base); !why.empty()) {
                return why;
              }
              for (ExprId i : st.indices) {
                if (std::string why = expr_ok(f, i); !why.empty()) {
                  return why;
                }
              }
              return expr_ok(f, st.value);
            },
            [&](const ir::StoreView&) -> std::string { return "a whole-array store"; },
            [&](const ir::ExprStmt& e) -> std::string { return expr_ok(f, e.expr); },
            [&](const ir::If& i) -> std::string {
              std::string why = expr_ok(f, i.cond);
              if (why.empty()) {
                why = block_ok(f, i.then_body);
              }
              return why.empty() ? block_ok(f, i.else_body) : why;
            },
            [&](const ir::While& w) -> std::string {
              std::string why = expr_ok(f, w.cond);
              return why.empty() ? block_ok(f, w.body) : why;
            },
            [&](const ir::For& fo) -> std::string {
              if (fo.parallel) {
                return "a parallel for inside it";
              }
              for (ExprId e : {fo.lo, fo.hi, fo.step}) {
                if (e.valid()) {
                  if (std::string why = expr_ok(f, e); !why.empty()) {
                    return why;
                  }
                }
              }
              return block_ok(f, fo.body);
            },
            [&](const ir::Break&) -> std::string { return ""; },
            [&](const ir::Continue&) -> std::string { return ""; },
            [&](const ir::Return& r) -> std::string {
              return r.value.valid() ? expr_ok(f, r.value) : "";
            },
        },
        s.kind);
  }

  /// An array operand of an element read or write: a local (a captured array or a parameter).
  std::string array_ref_ok(ExprId base) {
    const ir::Expr& e = p_.expr(base);
    const auto* r = std::get_if<ir::LocalRef>(&e.kind);
    if (r == nullptr || !device_array(e.type)) {
      return "an element access of an array expression (only of a named array)";
    }
    return "";
  }

  std::string exprs_ok(const ir::Function& f, const std::vector<ExprId>& ids) {
    for (ExprId a : ids) {
      if (std::string why = expr_ok(f, a); !why.empty()) {
        return why;
      }
    }
    return "";
  }

  std::string expr_ok(const ir::Function& f, ExprId id) {
    const ir::Expr& e = p_.expr(id);
    auto scalar_only = [&](const std::string& what) -> std::string {
      return device_scalar(e.type) ? "" : "a whole-array " + what;
    };
    return std::visit(
        ir::overloaded{
            [&](const ir::IntConst&) -> std::string { return ""; },
            [&](const ir::FloatConst&) -> std::string { return ""; },
            [&](const ir::BoolConst&) -> std::string { return ""; },
            [&](const ir::StrConst&) -> std::string { return "a string"; },
            [&](const ir::LocalRef&) -> std::string {
              return device_scalar(e.type) || device_array(e.type)
                         ? ""
                         : "a value of type " + ir::type_name(p_.types, e.type);
            },
            [&](const ir::Convert& c) -> std::string {
              std::string why = scalar_only("conversion");
              return why.empty() ? expr_ok(f, c.operand) : why;
            },
            [&](const ir::Unary& u) -> std::string {
              std::string why = scalar_only("operation");
              return why.empty() ? expr_ok(f, u.operand) : why;
            },
            [&](const ir::Binary& b) -> std::string {
              std::string why = scalar_only("operation");
              if (why.empty() && !device_scalar(p_.expr(b.lhs).type)) {
                why = "an operation on strings";
              }
              if (why.empty()) {
                why = expr_ok(f, b.lhs);
              }
              return why.empty() ? expr_ok(f, b.rhs) : why;
            },
            [&](const ir::MatMul&) -> std::string { return "a matrix product"; },
            [&](const ir::Call& c) -> std::string {
              if (std::string why = fn_ok(c.fn); !why.empty()) {
                return why.rfind("recursive", 0) == 0
                           ? why
                           : "a call of " + p_.fn(c.fn).name + ": " + why;
              }
              return exprs_ok(f, c.args);
            },
            [&](const ir::BuiltinCall& c) -> std::string { return builtin_ok(f, e, c); },
            [&](const ir::Launch&) -> std::string { return "a launch inside it"; },
            [&](const ir::Index& ix) -> std::string {
              std::string why = array_ref_ok(ix.base);
              return why.empty() ? exprs_ok(f, ix.indices) : why;
            },
            [&](const ir::SliceView&) -> std::string { return "a slice"; },
            [&](const ir::Transpose&) -> std::string { return "a transpose"; },
            [&](const ir::TableColumn&) -> std::string { return "a table"; },
            [&](const ir::TableRows&) -> std::string { return "a table"; },
            [&](const ir::ArrayLit&) -> std::string { return "an array literal"; },
            [&](const ir::MakeTuple&) -> std::string { return "a tuple"; },
            [&](const ir::ErrorExpr&) -> std::string { return "an error expression"; },
        },
        e.kind);
  }

  std::string builtin_ok(const ir::Function& f, const ir::Expr& e, const ir::BuiltinCall& c) {
    using B = ir::Builtin;
    switch (c.builtin) {
      case B::Len:
        return array_ref_ok(c.args[0]);
      case B::Shape: {
        std::string why = array_ref_ok(c.args[0]);
        if (why.empty() && c.args.size() > 1 &&
            !std::holds_alternative<ir::IntConst>(p_.expr(c.args[1]).kind)) {
          why = "shape(a, k) with a computed k";
        }
        return why;
      }
      case B::Exp:
      case B::Log:
      case B::Sqrt:
      case B::Abs:
      case B::Sin:
      case B::Cos:
      case B::Tanh:
      case B::Sigmoid:
      case B::Floor:
      case B::Minimum:
      case B::Maximum:
      case B::Clip:
      case B::Where:
      case B::Random:
      case B::Randn:
        if (!device_scalar(e.type)) {
          return std::string("a whole-array ") + ir::builtin_name(c.builtin);
        }
        return exprs_ok(f, c.args);
      case B::RandomStream:
      case B::RandnStream:
      case B::Index:
        return "";
      case B::Tan:
      case B::Log10:
      case B::Log2:
      case B::Ceil:
      case B::Round:
        if (!device_scalar(e.type)) {
          return std::string("a whole-array ") + ir::builtin_name(c.builtin);
        }
        return exprs_ok(f, c.args);
      case B::FancyGet:
        return "a mask or an index array";
      default:
        return std::string("'") + ir::builtin_name(c.builtin) + "'";
    }
  }

  // ---- regions ----

  /// Array locals a block writes an element of, or passes to a call that may write it.
  void arrays_written(const ir::Block& b, std::vector<char>& written) {
    std::function<void(ExprId)> ex = [&](ExprId id) {
      const ir::Expr& e = p_.expr(id);
      if (const auto* c = std::get_if<ir::Call>(&e.kind)) {
        for (std::size_t k = 0; k < c->args.size(); ++k) {
          const auto* r = std::get_if<ir::LocalRef>(&p_.expr(c->args[k]).kind);
          if (r != nullptr && ir::writes_param(writes_, c->fn, k)) {
            written[r->local.v] = 1;
          }
        }
      }
      ir::for_each_child(e.kind, ex);
    };
    std::function<void(const ir::Block&)> blk = [&](const ir::Block& bl) {
      for (ir::StmtId s : bl.stmts) {
        const ir::Stmt& st = p_.stmt(s);
        if (const auto* si = std::get_if<ir::StoreIndex>(&st.kind)) {
          if (const auto* r = std::get_if<ir::LocalRef>(&p_.expr(si->base).kind)) {
            written[r->local.v] = 1;
          }
        }
        ir::for_each_child(st.kind, ex, blk);
      }
    };
    blk(b);
  }

  /// Whether an expression has no effect and draws nothing (an index the CPU evaluates twice in
  /// `h[k] = min(h[k], x)`, and the GPU once).
  bool pure(ExprId id) const {
    const ir::Expr& e = p_.expr(id);
    if (std::holds_alternative<ir::Call>(e.kind)) {
      return false;
    }
    if (const auto* b = std::get_if<ir::BuiltinCall>(&e.kind);
        b != nullptr &&
        (b->builtin == ir::Builtin::RandomStream || b->builtin == ir::Builtin::RandnStream)) {
      return false;
    }
    bool ok = true;
    ir::for_each_child(e.kind, [&](ExprId c) { ok = ok && pure(c); });
    return ok;
  }

  /// An integer array reduction runs as atomic updates: every write to the array is
  /// `h[k] op= x` or `h[k] = min(h[k], x)` / max with pure indices. Why not ("" when it is).
  std::string atomic_forms(const ir::For& fo) {
    std::string why;
    std::function<void(const ir::Block&)> blk = [&](const ir::Block& bl) {
      for (ir::StmtId s : bl.stmts) {
        const ir::Stmt& st = p_.stmt(s);
        if (const auto* si = std::get_if<ir::StoreIndex>(&st.kind)) {
          const auto* r = std::get_if<ir::LocalRef>(&p_.expr(si->base).kind);
          bool target = false;
          for (const ir::Reduction& ar : fo.array_reductions) {
            target = target || (r != nullptr && r->local == ar.local);
          }
          if (target) {
            bool ok = std::all_of(si->indices.begin(), si->indices.end(),
                                  [&](ExprId i) { return pure(i); });
            if (si->op == ir::AssignOp::Set) {
              const auto* b = std::get_if<ir::BuiltinCall>(&p_.expr(si->value).kind);
              ok = ok && b != nullptr &&
                   (b->builtin == ir::Builtin::Minimum || b->builtin == ir::Builtin::Maximum) &&
                   std::any_of(b->args.begin(), b->args.end(), [&](ExprId a) {
                     const auto* ix = std::get_if<ir::Index>(&p_.expr(a).kind);
                     const auto* base = ix != nullptr
                                            ? std::get_if<ir::LocalRef>(&p_.expr(ix->base).kind)
                                            : nullptr;
                     return base != nullptr && base->local == r->local &&
                            std::all_of(ix->indices.begin(), ix->indices.end(),
                                        [&](ExprId i) { return pure(i); });
                   });
            } else {
              ok = ok && si->op != ir::AssignOp::Div;
            }
            if (!ok && why.empty()) {
              why = "an array reduction written in a form the GPU does not take";
            }
          }
        }
        ir::for_each_child(
            st.kind, [](ExprId) {}, blk);
      }
    };
    blk(fo.body);
    return why;
  }

  void left(diag::Span span, std::string why) { out_.left.push_back({span, std::move(why)}); }

  void plan_loop(ir::FnId fid, ir::StmtId sid, const ir::For& fo) {
    const ir::Function& f = p_.fn(fid);
    diag::Span span = p_.stmt(sid).span;
    for (const ir::Reduction& r : fo.array_reductions) {
      if (!ir::is_integer(f.locals[r.local.v].type.scalar)) {
        left(span, "a float array reduction ('" + f.locals[r.local.v].name +
                       "': its fixed chunked combine order has no atomic form) runs on the CPU");
        return;
      }
    }
    if (!fo.array_reductions.empty()) {
      if (std::string why = atomic_forms(fo); !why.empty()) {
        left(span, why);
        return;
      }
    }
    for (const ir::Reduction& r : fo.reductions) {
      if (!device_scalar(f.locals[r.local.v].type) ||
          f.locals[r.local.v].type.scalar == ir::Scalar::Bool) {
        left(span, "a reduction of type " + ir::type_name(p_.types, f.locals[r.local.v].type));
        return;
      }
    }
    if (std::string why = block_ok(f, fo.body); !why.empty()) {
      left(span, why);
      return;
    }
    std::vector<char> used(f.locals.size(), 0);
    std::vector<char> declared(f.locals.size(), 0);
    ir::locals_of(p_, fo.body, used, declared);
    for (const ir::Reduction& r : fo.reductions) {
      used[r.local.v] = 0;
    }
    std::vector<char> written(f.locals.size(), 0);
    arrays_written(fo.body, written);
    codegen::GpuRegion reg;
    reg.id = static_cast<std::uint32_t>(out_.plan.regions.size());
    reg.fn = fid;
    reg.is_loop = true;
    reg.stmt = sid;
    for (std::uint32_t l = 0; l < f.locals.size(); ++l) {
      if (!used[l] || declared[l] || l == fo.var.v) {
        continue;
      }
      Type t = f.locals[l].type;
      if (!device_scalar(t) && !device_array(t)) {
        left(span, "it uses '" + f.locals[l].name + "' of type " + ir::type_name(p_.types, t));
        return;
      }
      codegen::GpuSlot slot;
      slot.from = codegen::GpuSlot::From::Local;
      slot.local = ir::LocalId{l};
      slot.type = t;
      slot.written = t.is_array() && written[l] != 0;
      reg.params.push_back(slot);
    }
    for (auto from : {codegen::GpuSlot::From::Lo, codegen::GpuSlot::From::Step}) {
      codegen::GpuSlot slot;
      slot.from = from;
      slot.type = Type::i64();
      reg.params.push_back(slot);
    }
    reg.uses_stream = ir::block_uses_stream(p_, fo.body, streams_);
    add_stream_slots(reg);
    for (const ir::Reduction& r : fo.reductions) {
      reg.reductions.push_back(r.local);
    }
    if (too_many_params(span, reg)) {
      return;
    }
    out_.plan.loop_region[sid.v] = reg.id;
    out_.plan.regions.push_back(std::move(reg));
  }

  /// A kernel's parameters are passed by value (48 bytes each, kernel_abi.hpp's Param) within
  /// CUDA's 4 KiB parameter limit.
  bool too_many_params(diag::Span span, const codegen::GpuRegion& reg) {
    constexpr std::size_t kMaxParams = 80;
    if (reg.params.size() <= kMaxParams) {
      return false;
    }
    left(span, "it takes " + std::to_string(reg.params.size()) + " values, more than the " +
                   std::to_string(kMaxParams) + " a kernel's parameters hold");
    return true;
  }

  void add_stream_slots(codegen::GpuRegion& reg) {
    if (!reg.uses_stream) {
      return;
    }
    for (auto from : {codegen::GpuSlot::From::StreamKey, codegen::GpuSlot::From::StreamCounter}) {
      codegen::GpuSlot slot;
      slot.from = from;
      slot.type = Type::i64();
      reg.params.push_back(slot);
    }
  }

  void plan_launch(ir::FnId fid, ExprId id, const ir::Launch& l) {
    diag::Span span = p_.expr(id).span;
    if (std::string why = fn_ok(l.kernel); !why.empty()) {
      left(span, why);
      return;
    }
    codegen::GpuRegion reg;
    reg.id = static_cast<std::uint32_t>(out_.plan.regions.size());
    reg.fn = fid;
    reg.launch = id;
    codegen::GpuSlot cols;
    cols.from = codegen::GpuSlot::From::Cols;
    cols.type = Type::i64();
    reg.params.push_back(cols);
    for (std::uint32_t k = 0; k < l.args.size(); ++k) {
      codegen::GpuSlot slot;
      slot.from = codegen::GpuSlot::From::Arg;
      slot.index = k;
      slot.type = p_.expr(l.args[k]).type;
      slot.written = slot.type.is_array() && ir::writes_param(writes_, l.kernel, k);
      reg.params.push_back(slot);
    }
    reg.uses_stream = streams_[l.kernel.v] != 0;
    add_stream_slots(reg);
    if (too_many_params(span, reg)) {
      return;
    }
    out_.plan.launch_region[id.v] = reg.id;
    out_.plan.regions.push_back(std::move(reg));
  }

  /// Regions in a block: parallel loops and launches not inside another parallel loop.
  void find_regions(ir::FnId fid, const ir::Block& b) {
    std::function<void(ExprId)> ex = [&](ExprId id) {
      const ir::Expr& e = p_.expr(id);
      if (const auto* l = std::get_if<ir::Launch>(&e.kind)) {
        plan_launch(fid, id, *l);
      }
      ir::for_each_child(e.kind, ex);
    };
    for (ir::StmtId s : b.stmts) {
      const ir::Stmt& st = p_.stmt(s);
      if (const auto* fo = std::get_if<ir::For>(&st.kind); fo != nullptr && fo->parallel) {
        plan_loop(fid, s, *fo);
        continue;
      }
      ir::for_each_child(st.kind, ex, [&](const ir::Block& inner) { find_regions(fid, inner); });
    }
  }

  // ---- syncs ----

  /// Whether an expression leaves arrays alone (no array-typed value anywhere in it) and
  /// launches nothing on the CPU.
  bool quiet_expr(ExprId id, bool& region) const {
    const ir::Expr& e = p_.expr(id);
    if (std::holds_alternative<ir::Launch>(e.kind)) {
      if (out_.plan.launch_of(id) == nullptr) {
        return false;
      }
      region = true;
      return true;  // its arguments are evaluated on the host but only read
    }
    if (e.type.is_array() || e.type.is_table() || e.type.is_tuple()) {
      return false;
    }
    bool ok = true;
    ir::for_each_child(e.kind, [&](ExprId c) { ok = ok && quiet_expr(c, region); });
    return ok;
  }

  /// Whether a statement keeps the GPU's copies current: regions, and scalar code that reads
  /// and writes no array (a run of such statements needs no copy back until it ends).
  bool quiet_stmt(ir::StmtId id, bool& region) const {
    if (out_.plan.loop(id) != nullptr) {
      region = true;
      return true;
    }
    const ir::Stmt& s = p_.stmt(id);
    bool ok = true;
    auto ex = [&](ExprId e) { ok = ok && quiet_expr(e, region); };
    auto blk = [&](const ir::Block& b) {
      for (ir::StmtId c : b.stmts) {
        ok = ok && quiet_stmt(c, region);
      }
    };
    std::visit(ir::overloaded{
                   [&](const ir::Let& l) { ex(l.init); },
                   [&](const ir::Assign& a) { ex(a.value); },
                   [&](const ir::ExprStmt& e) { ex(e.expr); },
                   [&](const ir::If& i) {
                     ex(i.cond);
                     blk(i.then_body);
                     blk(i.else_body);
                   },
                   [&](const ir::While& w) {
                     ex(w.cond);
                     blk(w.body);
                   },
                   [&](const ir::For& fo) {
                     if (fo.parallel) {
                       ok = false;
                       return;
                     }
                     for (ExprId e : {fo.lo, fo.hi, fo.step}) {
                       if (e.valid()) {
                         ex(e);
                       }
                     }
                     blk(fo.body);
                   },
                   // Leaving a block early would skip the sync after it.
                   [&](const auto&) { ok = false; },
               },
               s.kind);
    return ok;
  }

  /// Marks the end of every run of quiet statements that holds a region.
  void place_syncs(const ir::Block& b) {
    ir::StmtId last;
    bool run_region = false;
    auto end_run = [&] {
      if (run_region) {
        out_.plan.sync_after.insert(last.v);
      }
      run_region = false;
    };
    for (ir::StmtId s : b.stmts) {
      bool region = false;
      if (quiet_stmt(s, region)) {
        run_region = run_region || region;
        last = s;
        continue;
      }
      end_run();
      ir::for_each_child(
          p_.stmt(s).kind, [](ExprId) {}, [&](const ir::Block& inner) { place_syncs(inner); });
    }
    end_run();
  }

  const ir::Program& p_;
  std::vector<std::uint8_t> fn_state_;  // 0 unseen, 1 visiting, 2 ok, 3 not ok
  std::vector<std::string> fn_reason_;
  std::vector<std::uint64_t> writes_;
  std::vector<char> streams_;
  Planned out_;
};

}  // namespace

Planned plan_program(const ir::Program& program, ir::FnId also) {
  return Planner(program).run(also);
}

}  // namespace detail

}  // namespace kestrel::cuda
