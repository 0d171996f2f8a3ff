// The REPL's scalar boxes (see session_boxes.hpp).
#include "dsl/engine/session_boxes.hpp"

#include <functional>
#include <map>
#include <optional>

namespace kestrel::engine::repl {

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
  std::map<std::uint32_t, ir::LocalId> box_of;  // the variable's local -> its box parameter
  {
    const ir::Function& f = program.fn(id);
    for (std::size_t k = 0; k < boxed.size(); ++k) {
      std::string box = kBoxPrefix + std::to_string(k);
      std::optional<ir::LocalId> param;
      for (std::uint32_t l = 0; l < f.param_count; ++l) {
        if (f.locals[l].name == box) {
          param = ir::LocalId{l};
        }
      }
      // The prelude's `var x = __repl_pN`: the first top-level declaration of the name.
      for (ir::StmtId sid : f.body.stmts) {
        const auto* let = std::get_if<ir::Let>(&program.stmt(sid).kind);
        if (param && let != nullptr && f.locals[let->local.v].name == boxed[k]) {
          box_of.emplace(let->local.v, *param);
          break;
        }
      }
    }
  }
  auto add_expr = [&](ir::ExprKind kind, ir::Type t, diag::Span span) {
    program.exprs.push_back(ir::Expr{std::move(kind), t, span});
    return ir::ExprId{static_cast<std::uint32_t>(program.exprs.size() - 1)};
  };
  auto store = [&](ir::LocalId local, diag::Span span) {
    ir::LocalId box = box_of.at(local.v);
    const ir::Function& f = program.fn(id);
    ir::StoreIndex st;
    st.base = add_expr(ir::LocalRef{box}, f.locals[box.v].type, span);
    st.indices.push_back(add_expr(ir::IntConst{0}, ir::Type::i64(), span));
    st.op = ir::AssignOp::Set;
    st.value = add_expr(ir::LocalRef{local}, f.locals[local.v].type, span);
    program.stmts.push_back(ir::Stmt{std::move(st), span});
    return ir::StmtId{static_cast<std::uint32_t>(program.stmts.size() - 1)};
  };
  std::function<void(ir::Block&)> walk = [&](ir::Block& b) {
    std::vector<ir::StmtId> out;
    for (ir::StmtId sid : b.stmts) {
      out.push_back(sid);
      diag::Span span = program.stmt(sid).span;
      // Copies of what the statement holds: store() grows program.stmts.
      if (const auto* a = std::get_if<ir::Assign>(&program.stmt(sid).kind)) {
        if (box_of.contains(a->local.v)) {
          out.push_back(store(a->local, span));
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
            if (box_of.contains(r.local.v)) {
              reduced.push_back(r.local);
            }
          }
          for (ir::LocalId l : reduced) {
            out.push_back(store(l, span));
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
