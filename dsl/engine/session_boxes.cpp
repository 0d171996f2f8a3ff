// The REPL's boxes (see session_boxes.hpp).
#include "dsl/engine/session_boxes.hpp"

#include <functional>
#include <map>

#include "runtime/error.hpp"

namespace kestrel::engine::repl {

std::size_t box_count(const ir::TypeTable& types, ir::Type t) {
  return t.is_tuple() ? types.elems(t).size() : 1;
}

void store_scalar(const rt::Array& box, const codegen::Value& v) {
  switch (box.elem) {
    case rt::Elem::Bool:
      box.at<bool>(0) = v.i != 0;
      break;
    case rt::Elem::I32:
      box.at<std::int32_t>(0) = static_cast<std::int32_t>(v.i);
      break;
    case rt::Elem::I64:
      box.at<std::int64_t>(0) = v.i;
      break;
    case rt::Elem::F32:
      box.at<float>(0) = static_cast<float>(v.f);
      break;
    case rt::Elem::Str:
      box.at<std::string>(0) = v.str;
      break;
    default:
      box.at<double>(0) = v.f;
      break;
  }
}

void load_scalar(const rt::Array& box, codegen::Value& v) {
  switch (box.elem) {
    case rt::Elem::Bool:
      v.i = box.at<bool>(0) ? 1 : 0;
      break;
    case rt::Elem::I32:
      v.i = box.at<std::int32_t>(0);
      break;
    case rt::Elem::I64:
      v.i = box.at<std::int64_t>(0);
      break;
    case rt::Elem::F32:
      v.f = box.at<float>(0);
      break;
    case rt::Elem::Str:
      v.str = box.at<std::string>(0);
      break;
    default:
      v.f = box.at<double>(0);
      break;
  }
}

void box_writes(ir::Program& program, const std::vector<std::string>& boxed) {
  ir::FnId id = program.find_function(kEntryFn);
  std::map<std::uint32_t, std::size_t> first_of;  // a boxed variable's local -> its first value
  std::map<std::size_t, ir::LocalId> box_param;   // a scalar value -> its box parameter
  {
    const ir::Function& f = program.fn(id);
    const std::string prefix = kBoxPrefix;
    for (std::uint32_t l = 0; l < f.param_count; ++l) {
      const std::string& name = f.locals[l].name;
      if (name.starts_with(prefix)) {
        box_param.emplace(std::stoul(name.substr(prefix.size())), ir::LocalId{l});
      }
    }
    std::size_t k = 0;
    for (const std::string& name : boxed) {
      // The prelude's `var x = __repl_pN`: the first top-level declaration of the name.
      bool found = false;
      for (ir::StmtId sid : f.body.stmts) {
        const auto* let = std::get_if<ir::Let>(&program.stmt(sid).kind);
        if (let != nullptr && f.locals[let->local.v].name == name) {
          first_of.emplace(let->local.v, k);
          k += box_count(program.types, f.locals[let->local.v].type);
          found = true;
          break;
        }
      }
      KESTREL_ASSERT(found, "a boxed REPL variable has no declaration in the entry's prelude");
    }
  }
  auto add_expr = [&](ir::ExprKind kind, ir::Type t, diag::Span span) {
    program.exprs.push_back(ir::Expr{std::move(kind), t, span});
    return ir::ExprId{static_cast<std::uint32_t>(program.exprs.size() - 1)};
  };
  auto add_stmt = [&](ir::StmtKind kind, diag::Span span) {
    program.stmts.push_back(ir::Stmt{std::move(kind), span});
    return ir::StmtId{static_cast<std::uint32_t>(program.stmts.size() - 1)};
  };
  auto local_type = [&](ir::LocalId l) { return program.functions[id.v].locals[l.v].type; };
  auto local_ref = [&](ir::LocalId l, diag::Span span) {
    return add_expr(ir::LocalRef{l}, local_type(l), span);
  };
  // Value k, held in `local`, handed to the session: kept (an array) or stored in its box.
  auto hand = [&](std::size_t k, ir::LocalId local, diag::Span span) {
    if (local_type(local).is_array()) {
      ir::BuiltinCall keep{
          ir::Builtin::ReplKeep,
          {add_expr(ir::IntConst{static_cast<std::int64_t>(k)}, ir::Type::i64(), span),
           local_ref(local, span)}};
      return add_stmt(ir::ExprStmt{add_expr(std::move(keep), ir::Type::void_(), span)}, span);
    }
    ir::StoreIndex st;
    ir::LocalId box = box_param.at(k);
    st.base = local_ref(box, span);
    st.indices.push_back(add_expr(ir::IntConst{0}, ir::Type::i64(), span));
    st.op = ir::AssignOp::Set;
    st.value = local_ref(local, span);
    return add_stmt(std::move(st), span);
  };
  // What follows an assignment to a boxed variable's local: its values handed over, a tuple's
  // taken apart first into locals of their own.
  auto hand_all = [&](ir::LocalId local, diag::Span span, std::vector<ir::StmtId>& out) {
    std::size_t k = first_of.at(local.v);
    ir::Type t = local_type(local);
    if (!t.is_tuple()) {
      out.push_back(hand(k, local, span));
      return;
    }
    std::vector<ir::Type> elems = program.types.elems(t);
    std::vector<ir::LocalId> parts;
    for (std::size_t j = 0; j < elems.size(); ++j) {
      std::vector<ir::Local>& locals = program.functions[id.v].locals;
      parts.push_back(ir::LocalId{static_cast<std::uint32_t>(locals.size())});
      locals.push_back(ir::Local{std::string(kBoxPrefix) + "_part" + std::to_string(k + j),
                                 elems[j], false, span});
    }
    out.push_back(add_stmt(ir::LetTuple{parts, local_ref(local, span)}, span));
    for (std::size_t j = 0; j < parts.size(); ++j) {
      out.push_back(hand(k + j, parts[j], span));
    }
  };
  std::function<void(ir::Block&)> walk = [&](ir::Block& b) {
    std::vector<ir::StmtId> out;
    for (ir::StmtId sid : b.stmts) {
      out.push_back(sid);
      diag::Span span = program.stmt(sid).span;
      // Copies of what the statement holds: the writes grow program.stmts.
      if (const auto* a = std::get_if<ir::Assign>(&program.stmt(sid).kind)) {
        if (first_of.contains(a->local.v)) {
          hand_all(a->local, span, out);
        }
      } else if (auto* i = std::get_if<ir::If>(&program.stmts[sid.v].kind)) {
        ir::Block then_body = std::move(i->then_body);
        ir::Block else_body = std::move(i->else_body);
        walk(then_body);
        walk(else_body);
        auto& again = std::get<ir::If>(program.stmts[sid.v].kind);
        again.then_body = std::move(then_body);
        again.else_body = std::move(else_body);
      } else if (auto* w = std::get_if<ir::While>(&program.stmts[sid.v].kind)) {
        ir::Block body = std::move(w->body);
        walk(body);
        std::get<ir::While>(program.stmts[sid.v].kind).body = std::move(body);
      } else if (auto* fl = std::get_if<ir::For>(&program.stmts[sid.v].kind)) {
        if (fl->parallel) {
          std::vector<ir::LocalId> reduced;
          for (const ir::Reduction& r : fl->reductions) {
            if (first_of.contains(r.local.v)) {
              reduced.push_back(r.local);
            }
          }
          for (ir::LocalId l : reduced) {
            hand_all(l, span, out);
          }
        } else {
          ir::Block body = std::move(fl->body);
          walk(body);
          std::get<ir::For>(program.stmts[sid.v].kind).body = std::move(body);
        }
      }
    }
    b.stmts = std::move(out);
  };
  ir::Block body = std::move(program.functions[id.v].body);
  walk(body);
  program.functions[id.v].body = std::move(body);
}

}  // namespace kestrel::engine::repl
