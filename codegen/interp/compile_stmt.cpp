// Statements: locals and assignment, control flow and its jumps, for loops (parallel loops'
// reductions and substreams), and each function as a whole.

#include <algorithm>

#include "codegen/common/rt_ops.hpp"
#include "codegen/interp/compiler.hpp"
#include "dsl/ir/osr.hpp"
#include "dsl/ir/walk.hpp"

namespace kestrel::interp {

void FnCompiler::run() {
  proto_.name = fn_.name;
  proto_.ret = fn_.ret;
  proto_.nresults = slots(fn_.ret);
  flat_types(fn_.ret, proto_.result_types);
  std::uint32_t next = 0;
  for (std::uint32_t i = 0; i < fn_.locals.size(); ++i) {
    const ir::Local& l = fn_.locals[i];
    local_reg_.push_back(static_cast<std::uint16_t>(next));
    if (i < fn_.param_count) {
      proto_.param_types.push_back(l.type);
    }
    add_ref_slots(l.type, next, i >= fn_.param_count);
    next += slots(l.type);
    if (i + 1 == fn_.param_count) {
      proto_.nparams = next;
    }
  }
  if (next > 60000) {
    throw RunError(fn_.span, "function '" + fn_.name +
                                 "' has more locals than the interpreter supports (60000 slots)");
  }
  free_ = next;
  proto_.nregs = std::max<std::uint32_t>(next, 1);
  span_ = fn_.span;
  block(fn_.body);
  span_ = fn_.span;
  emit(Op::RET, 0, 0, 0);
  find_owned_temps(next);
  if (!loop_regs_.empty()) {
    osr_tables();
  }
}

void FnCompiler::osr_tables() {
  ir::LoopEntryTree tree = ir::loop_entry_tree(p_, id_);
  KESTREL_INTERP_CHECK(tree.loops.size() == loop_regs_.size());
  bool any = false;
  for (const ir::LoopEntryTree::Loop& l : tree.loops) {
    proto_.loops.push_back(OsrLoop{l.entry(), l.last});
    any = any || l.entry();
  }
  for (std::size_t n = 0; n < tree.slots.size(); ++n) {
    const ir::LiveSlot& s = tree.slots[n];
    OsrNode node{tree.parent[n], 0, 1};
    switch (s.kind) {
      case ir::LiveSlot::Kind::Local:
        node.reg = local_reg_[s.local.v];
        node.count = static_cast<std::uint16_t>(slots(s.type));
        break;
      case ir::LiveSlot::Kind::ForIndex:
        node.reg = loop_regs_[s.loop].var;
        break;
      case ir::LiveSlot::Kind::ForHi:
        node.reg = loop_regs_[s.loop].hi;
        break;
      case ir::LiveSlot::Kind::ForStep:
        node.reg = static_cast<std::uint16_t>(loop_regs_[s.loop].hi + 1);
        break;
    }
    proto_.osr_nodes.push_back(node);
  }
  if (!any) {
    proto_.loops.clear();
    proto_.osr_nodes.clear();
    proto_.back_edges.clear();
    return;
  }
  std::sort(proto_.back_edges.begin(), proto_.back_edges.end(),
            [](const BackEdge& a, const BackEdge& b) { return a.at < b.at; });
}

void FnCompiler::block(const ir::Block& b) {
  for (std::size_t k = 0; k < b.stmts.size(); ++k) {
    if (k + 1 < b.stmts.size() && random_pair(b.stmts[k], b.stmts[k + 1])) {
      ++k;
      continue;
    }
    stmt(b.stmts[k]);
  }
}

bool FnCompiler::simple(ExprId id, ir::LocalId avoid) const {
  const ir::Expr& e = ex(id);
  if (!e.type.is_scalar()) {
    return false;
  }
  bool ok = std::visit(ir::overloaded{
                           [&](const ir::IntConst&) { return true; },
                           [&](const ir::FloatConst&) { return true; },
                           [&](const ir::BoolConst&) { return true; },
                           [&](const ir::LocalRef& r) { return !(r.local == avoid); },
                           [&](const ir::Convert&) { return true; },
                           [&](const ir::Unary&) { return true; },
                           [&](const ir::Binary& b) {
                             return b.op == BinaryOp::Add || b.op == BinaryOp::Sub ||
                                    b.op == BinaryOp::Mul;
                           },
                           [&](const ir::StrConst&) { return false; },
                           [&](const ir::ErrorExpr&) { return false; },
                           [&](const ir::MatMul&) { return false; },
                           [&](const ir::Call&) { return false; },
                           [&](const ir::BuiltinCall&) { return false; },
                           [&](const ir::Launch&) { return false; },
                           [&](const ir::Index&) { return false; },
                           [&](const ir::SliceView&) { return false; },
                           [&](const ir::Transpose&) { return false; },
                           [&](const ir::TableColumn&) { return false; },
                           [&](const ir::TableRows&) { return false; },
                           [&](const ir::ArrayLit&) { return false; },
                           [&](const ir::MakeTuple&) { return false; },
                       },
                       e.kind);
  if (!ok) {
    return false;
  }
  bool children = true;
  ir::for_each_child(e.kind, [&](ExprId c) { children = children && simple(c, avoid); });
  return children;
}

bool FnCompiler::random_pair(ir::StmtId s1, ir::StmtId s2) {
  const auto* l1 = std::get_if<ir::Let>(&p_.stmt(s1).kind);
  const auto* l2 = std::get_if<ir::Let>(&p_.stmt(s2).kind);
  if (l1 == nullptr || l2 == nullptr) {
    return false;
  }
  const auto* r1 = std::get_if<ir::BuiltinCall>(&ex(l1->init).kind);
  const auto* r2 = std::get_if<ir::BuiltinCall>(&ex(l2->init).kind);
  if (r1 == nullptr || r2 == nullptr || r1->builtin != Builtin::Random ||
      r2->builtin != Builtin::Random) {
    return false;
  }
  const auto* k1 = std::get_if<ir::LocalRef>(&ex(r1->args[0]).kind);
  const auto* k2 = std::get_if<ir::LocalRef>(&ex(r2->args[0]).kind);
  if (k1 == nullptr || k2 == nullptr || !(k1->local == k2->local) || k1->local == l1->local ||
      local_reg_[l2->local.v] != local_reg_[l1->local.v] + 1 ||
      !simple(r1->args[1], ir::LocalId{}) || !simple(r2->args[1], l1->local)) {
    return false;
  }
  span_ = p_.stmt(s1).span;
  std::uint32_t mark = free_;
  std::uint16_t t = alloc(2);
  into(r1->args[1], t);
  into(r2->args[1], t + 1);
  span_ = ex(l1->init).span;
  emit(Op::RANDOM2, local_reg_[l1->local.v], local_reg_[k1->local.v], t);
  free_ = mark;
  return true;
}

void FnCompiler::move_into(Type t, std::uint16_t dst, std::uint16_t src) {
  std::vector<Type> flat;
  flat_types(t, flat);
  for (std::size_t i = 0; i < flat.size(); ++i) {
    emit(is_ref(flat[i]) ? Op::MOVEA : Op::MOV, dst + i, src + i, flat[i].is_table() ? 1 : 0);
  }
}

void FnCompiler::assign_local(ir::LocalId local, ExprId value) {
  Type t = fn_.locals[local.v].type;
  std::uint16_t reg = local_reg_[local.v];
  std::vector<Type> flat;
  flat_types(t, flat);
  bool any_ref = false;
  for (Type f : flat) {
    any_ref = any_ref || is_ref(f);
  }
  if (!any_ref && !t.is_tuple()) {
    into(value, reg);
    return;
  }
  if (const auto* r = std::get_if<ir::LocalRef>(&ex(value).kind); r && !t.is_tuple()) {
    emit(Op::SETA, reg, local_reg_[r->local.v], t.is_table() ? 1 : 0);
    return;
  }
  std::uint16_t tmp = alloc(slots(t));
  into(value, tmp);
  move_into(t, reg, tmp);
}

void FnCompiler::stmt(ir::StmtId id) {
  const ir::Stmt& s = p_.stmt(id);
  span_ = s.span;
  std::uint32_t mark = free_;
  std::visit(ir::overloaded{
                 [&](const ir::Let& l) { assign_local(l.local, l.init); },
                 [&](const ir::LetTuple& l) {
                   Type t = type(l.init);
                   std::uint16_t tmp = alloc(slots(t));
                   into(l.init, tmp);
                   std::uint16_t at = tmp;
                   const auto& elems = p_.types.elems(t);
                   for (std::size_t i = 0; i < l.locals.size(); ++i) {
                     move_into(elems[i], local_reg_[l.locals[i].v], at);
                     at = static_cast<std::uint16_t>(at + slots(elems[i]));
                   }
                 },
                 [&](const ir::Assign& a) { assign(a); },
                 [&](const ir::StoreIndex& st) { store_index(st); },
                 [&](const ir::StoreView& st) {
                   ArrayInstr ai;
                   ai.kind = ArrayKind::StoreView;
                   ai.op = static_cast<std::uint8_t>(codegen::rt_store_op(st.op));
                   std::vector<Operand> ops = array_args({st.target, st.value}, ai);
                   array_op(0, std::move(ai));
                   for (Operand o : ops) {
                     drop(o);
                   }
                 },
                 [&](const ir::ExprStmt& e) {
                   Type t = type(e.expr);
                   std::uint16_t tmp = alloc(std::max<std::uint32_t>(slots(t), 1));
                   into(e.expr, tmp);
                   std::vector<Type> flat;
                   flat_types(t, flat);
                   for (std::size_t i = 0; i < flat.size(); ++i) {
                     if (is_ref(flat[i])) {
                       emit(Op::RELEASE, tmp + i, 0, flat[i].is_table() ? 1 : 0);
                     }
                   }
                 },
                 [&](const ir::If& i) {
                   std::vector<std::size_t> to_else;
                   jump_if_false(i.cond, to_else);
                   block(i.then_body);
                   if (i.else_body.stmts.empty()) {
                     for (std::size_t j : to_else) {
                       patch(j, here());
                     }
                   } else {
                     std::size_t to_end = emit_bx(Op::JMP, 0, 0);
                     for (std::size_t j : to_else) {
                       patch(j, here());
                     }
                     block(i.else_body);
                     patch(to_end, here());
                   }
                 },
                 [&](const ir::While& w) {
                   auto number = static_cast<std::uint32_t>(loop_regs_.size());
                   loop_regs_.emplace_back();
                   std::size_t top = here();
                   std::vector<std::size_t> to_exit;
                   jump_if_false(w.cond, to_exit);
                   loops_.push_back(Loop{});
                   block(w.body);
                   std::size_t back = emit_bx(Op::JMP, 0, 0);
                   patch(back, top);
                   Loop loop = std::move(loops_.back());
                   loops_.pop_back();
                   // The back-edges (the VM polls backward jumps): the end of the body and
                   // each `continue`.
                   proto_.back_edges.push_back(BackEdge{static_cast<std::uint32_t>(back), number});
                   for (std::size_t j : loop.continues) {
                     proto_.back_edges.push_back(BackEdge{static_cast<std::uint32_t>(j), number});
                   }
                   for (std::size_t j : to_exit) {
                     patch(j, here());
                   }
                   for (std::size_t j : loop.breaks) {
                     patch(j, here());
                   }
                   for (std::size_t j : loop.continues) {
                     patch(j, top);
                   }
                 },
                 [&](const ir::For& f) { for_loop(f, s.span); },
                 [&](const ir::Break&) {
                   KESTREL_INTERP_CHECK(!loops_.empty());
                   loops_.back().breaks.push_back(emit_bx(Op::JMP, 0, 0));
                 },
                 [&](const ir::Continue&) {
                   KESTREL_INTERP_CHECK(!loops_.empty());
                   loops_.back().continues.push_back(emit_bx(Op::JMP, 0, 0));
                 },
                 [&](const ir::Return& r) {
                   if (!r.value.valid()) {
                     emit(Op::RET, 0, 0, 0);
                     return;
                   }
                   Type t = type(r.value);
                   std::uint16_t tmp = alloc(slots(t));
                   into(r.value, tmp);
                   span_ = s.span;
                   emit(Op::RET, tmp, slots(t), 0);
                 },
             },
             s.kind);
  free_ = mark;
}

void FnCompiler::assign(const ir::Assign& a) {
  if (a.op == ir::AssignOp::Set) {
    assign_local(a.local, a.value);
    return;
  }
  Type t = fn_.locals[a.local.v].type;
  std::uint16_t reg = local_reg_[a.local.v];
  BinaryOp bop = codegen::assign_binop(a.op).value();
  if (t.is_array()) {
    // Sema turns in-place array updates into StoreView; this is a rebinding `x = x op e`.
    std::uint16_t tmp = alloc(1);
    ArrayInstr ai;
    ai.kind = ArrayKind::Binary;
    ai.op = static_cast<std::uint8_t>(codegen::rt_binop(bop).value());
    ai.result = t;
    Operand v = operand(a.value);
    ai.args = {{reg, t}, {v.reg, type(a.value)}};
    array_op(tmp, std::move(ai));
    drop(v);
    emit(Op::MOVEA, reg, tmp, 0);
    return;
  }
  Op op = arith_op(bop, t.scalar);
  Op kop;
  Slot ks{};
  if (k_op(op, kop) && const_slot(a.value, ks)) {
    emit(kop, reg, reg, konst(ks));
    return;
  }
  Operand v = operand(a.value);
  emit(op, reg, reg, v.reg);
}

void FnCompiler::store_index(const ir::StoreIndex& st) {
  ArrayInstr ai;
  ai.kind = ArrayKind::Set;
  ai.op = static_cast<std::uint8_t>(st.op);
  if (ir::is_fancy_store(p_, st)) {  // a[mask] op= v, a[idx] op= v
    ai.kind = ArrayKind::Fancy;
    ai.op = static_cast<std::uint8_t>(1 + static_cast<int>(codegen::rt_store_op(st.op)));
  }
  ai.no_wrap = st.no_wrap;
  std::vector<ExprId> ids{st.base};
  ids.insert(ids.end(), st.indices.begin(), st.indices.end());
  ids.push_back(st.value);
  std::vector<Operand> ops = array_args(ids, ai);
  array_op(0, std::move(ai));
  for (Operand o : ops) {
    drop(o);
  }
}

bool FnCompiler::float_sensitive(Type t, ir::ReduceOp op) {
  (void)op;
  return t.scalar == Scalar::F64 || t.scalar == Scalar::F32;
}

void FnCompiler::for_loop(const ir::For& f, diag::Span span) {
  auto number = static_cast<std::uint32_t>(loop_regs_.size());
  std::uint16_t v = local_reg_[f.var.v];
  std::uint16_t h = alloc(2);  // hi, step
  loop_regs_.push_back(LoopRegs{v, h});
  into(f.lo, v);
  into(f.hi, h);
  bool unit = !f.step.valid();
  if (!unit) {
    Slot ks{};
    if (const_slot(f.step, ks) && ks.i == 1) {
      unit = true;
    } else {
      into(f.step, h + 1);
    }
  }
  // A parallel loop's float reductions combine per-chunk partials in the runtime's fixed
  // order (rt::kReduceChunk iterations per chunk, then rt::combine_tree), so the JIT's
  // threaded loop gives the same bits. Integer reductions wrap and are order-free.
  // An outermost parallel loop is an entry point at its start only (dsl/ir/osr.hpp): its
  // iterations run as one unit, so its back-edges are not.
  bool entry_at_start = f.parallel && parallel_depth_ == 0 && !fn_.is_kernel;
  if (entry_at_start) {
    emit(Op::PENTRY, v, h, static_cast<std::uint16_t>(number));
  }
  std::vector<ReductionSlot> reds;
  if (f.parallel) {
    for (const ir::Reduction& r : f.reductions) {
      Type t = fn_.locals[r.local.v].type;
      if (float_sensitive(t, r.op)) {
        reds.push_back(ReductionSlot{local_reg_[r.local.v], alloc(1), t.scalar, r.op});
      }
    }
  }
  std::uint32_t red_desc = 0;
  std::uint16_t counter = 0;
  if (!reds.empty()) {
    out_.reductions.push_back(reds);
    red_desc = static_cast<std::uint32_t>(out_.reductions.size() - 1);
    counter = alloc(1);
    emit(Op::PFOR_BEGIN, counter, red_desc, 0);
  }
  // Array reductions: each chunk writes private copies (runtime/array_reduction.hpp).
  std::uint32_t ared_desc = 0;
  std::uint16_t ared_counter = 0;
  bool ared = f.parallel && !f.array_reductions.empty();
  if (ared) {
    ArrayReductionDesc d;
    for (const ir::Reduction& r : f.array_reductions) {
      Type t = fn_.locals[r.local.v].type;
      d.regs.push_back(local_reg_[r.local.v]);
      d.ops.push_back(r.op);
      d.chunked = d.chunked || t.scalar == Scalar::F64 || t.scalar == Scalar::F32;
    }
    out_.array_reductions.push_back(std::move(d));
    ared_desc = static_cast<std::uint32_t>(out_.array_reductions.size() - 1);
    ared_counter = alloc(1);
    emit(Op::ARED_BEGIN, ared_counter, ared_desc, 0);
  }
  // random() in a parallel loop draws from the iteration's own substream (rt::substream).
  bool streams = f.parallel && out_.block_uses_stream(p_, f.body);
  std::uint16_t sbase = 0;
  span_ = span;
  if (streams) {
    sbase = alloc(2);
    emit(Op::PSTREAM_BEGIN, sbase, 0, 0);
  }
  std::size_t prep = emit(unit ? Op::FORPREP1 : Op::FORPREP, v, h, 0);
  // Long jumps: FORPREP skips to `JMP exit` when the range is empty, else falls into
  // `JMP body`; FORLOOP likewise below.
  std::size_t exit_jump = 0;
  if (long_jumps_) {
    std::size_t to_body = emit_bx(Op::JMP, 0, 0);
    exit_jump = emit_bx(Op::JMP, 0, 0);
    patch(prep, exit_jump);
    patch(to_body, here());
  }
  std::size_t body = here();
  if (streams) {
    emit(Op::PSTREAM_ITER, sbase, v, 0);
  }
  const bool outermost = loops_.empty();
  loops_.push_back(Loop{});
  parallel_depth_ += f.parallel ? 1 : 0;
  block(f.body);
  parallel_depth_ -= f.parallel ? 1 : 0;
  span_ = span;
  Loop loop = std::move(loops_.back());
  loops_.pop_back();
  std::size_t cont = here();
  if (!reds.empty()) {
    emit(Op::PFOR_STEP, counter, red_desc, 0);
  }
  if (ared) {
    emit(Op::ARED_STEP, ared_counter, ared_desc, 0);
  }
  std::size_t back = emit(unit ? Op::FORLOOP1 : Op::FORLOOP, v, h, 0);
  if (!f.parallel) {
    proto_.back_edges.push_back(BackEdge{static_cast<std::uint32_t>(back), number, outermost});
  }
  if (long_jumps_) {
    std::size_t done = emit_bx(Op::JMP, 0, 0);
    std::size_t again = emit_bx(Op::JMP, 0, 0);
    patch(back, again);
    patch(again, body);
    patch(done, here());
    patch(exit_jump, here());
  } else {
    patch(back, body);
    patch(prep, here());
  }
  for (std::size_t j : loop.breaks) {
    patch(j, here());
  }
  for (std::size_t j : loop.continues) {
    patch(j, cont);
  }
  if (!reds.empty()) {
    emit(Op::PFOR_END, counter, red_desc, 0);
  }
  if (ared) {
    emit(Op::ARED_END, ared_counter, ared_desc, 0);
  }
  if (streams) {
    emit(Op::PSTREAM_END, sbase, 0, 0);
  }
}

void compile_function(const ir::Program& program, ir::FnId id, CompiledProgram::Impl& out) {
  try {
    FnCompiler(program, id, out, false).run();
  } catch (const JumpTooFar&) {
    // Rare (a block of more than 32K instructions): start over with long jumps. The descriptors
    // the first attempt added to `out` stay, unused.
    out.protos[id.v] = Proto{};
    FnCompiler(program, id, out, true).run();
  }
}

}  // namespace kestrel::interp
