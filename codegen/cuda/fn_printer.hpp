#pragma once
// The CUDA printer's function-body printer (print.cpp prints the program around it): one
// user function or region body as CUDA C++ statements, each operation the call of its rule in
// runtime/rules/, one temporary per operation in the CPU's evaluation order, each fault tested
// and recorded at the site the CPU would report (kernel_abi.hpp's fail()).
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "codegen/common/gpu_plan.hpp"
#include "codegen/common/rt_ops.hpp"
#include "dsl/ir/ir.hpp"

namespace kestrel::cuda::detail {

using ir::BinaryOp;
using ir::ExprId;
using ir::Scalar;
using ir::Type;

inline const char* ctype(Scalar s) {
  switch (s) {
    case Scalar::Bool:
      return "bool";
    case Scalar::I32:
      return "i32";
    case Scalar::I64:
      return "i64";
    case Scalar::F32:
      return "float";
    case Scalar::F64:
      return "double";
    case Scalar::Str:
      break;
  }
  return "void";
}

inline std::string ctype(Type t) {
  if (t.is_void()) {
    return "void";
  }
  if (t.is_array()) {
    return std::string("View<") + ctype(t.scalar) + ">";
  }
  return ctype(t.scalar);
}

inline std::string local_name(ir::LocalId l) { return "l" + std::to_string(l.v); }
inline std::string fn_name(ir::FnId f) { return "f" + std::to_string(f.v); }

/// A double constant that reads back to the same bits.
inline std::string float_literal(double v, bool f32) {
  std::string s;
  if (v != v) {
    s = "rt::hd::quiet_nan(0.0)";
  } else if (v == 1.0 / 0.0) {
    s = "rt::hd::inf(0.0)";
  } else if (v == -1.0 / 0.0) {
    s = "(-rt::hd::inf(0.0))";
  } else {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a", v);
    s = std::string("(") + buf + ")";
  }
  return f32 ? "static_cast<float>" + s : s;
}

/// Prints one function body (a __device__ function, or a region's body).
class FnPrinter {
 public:
  FnPrinter(const ir::Program& p, const ir::Function& f, codegen::GpuPlan& plan,
            std::string fail_return)
      : p_(p), f_(f), plan_(plan), ret_(std::move(fail_return)) {}

  std::string& out() { return out_; }
  void indent(int n) { depth_ = n; }

  void line(const std::string& s) {
    out_.append(static_cast<std::size_t>(depth_) * 2, ' ');
    out_ += s;
    out_ += '\n';
  }

  void block(const ir::Block& b) {
    for (ir::StmtId s : b.stmts) {
      stmt(s);
    }
  }

  /// The source location of a new fault site.
  std::uint32_t site(diag::Span span) {
    plan_.sites.push_back(span);
    return static_cast<std::uint32_t>(plan_.sites.size() - 1);
  }

  /// `if (cond) { fail; return; }`.
  void fault_if(const std::string& cond, diag::Span span, const char* fault,
                const std::string& a = "0", const std::string& b = "0",
                const std::string& c = "0") {
    line("if (" + cond + ") {");
    line("  gpu::fail(c.st, c.instance, " + std::to_string(site(span)) + "u, gpu::" + fault + ", " +
         a + ", " + b + ", " + c + ");");
    line("  c.failed = true;");
    line("  return" + ret_ + ";");
    line("}");
  }

  std::string temp(Type t, const std::string& value) {
    std::string name = "t" + std::to_string(temps_++);
    line("const " + ctype(t) + " " + name + " = " + value + ";");
    return name;
  }

  // ---- expressions ----

  std::string expr(ExprId id) {
    const ir::Expr& e = p_.expr(id);
    Type t = e.type;
    return std::visit(
        ir::overloaded{
            [&](const ir::IntConst& k) -> std::string {
              if (t.scalar == Scalar::I32) {
                return "static_cast<i32>(" + std::to_string(k.value) + ")";
              }
              return "static_cast<i64>(" + std::to_string(static_cast<std::uint64_t>(k.value)) +
                     "ull)";
            },
            [&](const ir::FloatConst& k) -> std::string {
              return float_literal(k.value, t.scalar == Scalar::F32);
            },
            [&](const ir::BoolConst& k) -> std::string { return k.value ? "true" : "false"; },
            [&](const ir::LocalRef& r) -> std::string { return local_name(r.local); },
            [&](const ir::Convert& c) -> std::string {
              std::string v = expr(c.operand);
              return temp(t, std::string("rt::convert_scalar<") + ctype(t.scalar) + ">(" + v + ")");
            },
            [&](const ir::Unary& u) -> std::string {
              std::string v = expr(u.operand);
              switch (u.op) {
                case ir::UnaryOp::Neg:
                  return temp(t, "rt::num_neg(" + v + ")");
                case ir::UnaryOp::Not:
                  return temp(t, "!" + v);
                case ir::UnaryOp::BitNot:
                  return temp(t, "static_cast<" + ctype(t) + ">(~" + v + ")");
              }
              return v;
            },
            [&](const ir::Binary& b) { return binary(e, b); },
            [&](const ir::Call& c) { return call(e, c); },
            [&](const ir::BuiltinCall& c) { return builtin(e, c); },
            [&](const ir::Index& ix) {
              Access x = access(ix.base, ix.indices);
              return temp(t, element(x, e.span));
            },
            [&](const auto&) -> std::string {
              throw std::logic_error("codegen/cuda: an expression the planner rejects");
            },
        },
        e.kind);
  }

  /// An element access: the array and its indices, evaluated (the CPU's order: base, indices).
  struct Access {
    std::string a;
    std::vector<std::string> idx;
  };
  Access access(ExprId base, const std::vector<ExprId>& indices) {
    Access r{expr(base), {}};
    for (ExprId i : indices) {
      r.idx.push_back(temp(Type::i64(), expr(i)));
    }
    return r;
  }

  /// Wraps each negative index (rules/bounds.hpp), checks it against its axis (not in an
  /// @unchecked function) and returns the lvalue. A negative index in a dimension whose bit is
  /// set in `no_wrap` (a parallel for's disjoint store) faults instead.
  std::string element(const Access& x, diag::Span span, std::uint8_t no_wrap = 0) {
    std::vector<std::string> at;
    for (std::size_t d = 0; d < x.idx.size(); ++d) {
      std::string n = x.a + (d == 0 ? ".n0" : ".n1");
      if (((no_wrap >> d) & 1) != 0) {
        fault_if(x.idx[d] + " < 0", span, "kNegStoreFault", x.idx[d]);
      }
      at.push_back(temp(Type::i64(), "rt::wrap_index(" + x.idx[d] + ", " + n + ")"));
      if (!f_.unchecked) {
        fault_if("!rt::index_in_bounds(" + at[d] + ", " + n + ")", span, "kIndexFault", x.idx[d],
                 std::to_string(d), n);
      }
    }
    std::string off = at[0] + " * " + x.a + ".s0";
    if (x.idx.size() > 1) {
      off += " + " + at[1] + " * " + x.a + ".s1";
    }
    return x.a + ".data[" + off + "]";
  }

  std::string binary(const ir::Expr& e, const ir::Binary& b) {
    Type t = e.type;
    if (b.op == BinaryOp::And || b.op == BinaryOp::Or) {
      std::string name = "t" + std::to_string(temps_++);
      line("bool " + name + " = " + expr(b.lhs) + ";");
      line(std::string("if (") + (b.op == BinaryOp::And ? "" : "!") + name + ") {");
      ++depth_;
      std::string r = expr(b.rhs);
      line(name + " = " + r + ";");
      --depth_;
      line("}");
      return name;
    }
    std::string l = expr(b.lhs);
    std::string r = expr(b.rhs);
    Scalar s = p_.expr(b.lhs).type.scalar;
    bool fl = ir::is_float(s);
    auto call2 = [&](const char* fn) {
      return temp(t, std::string("rt::") + fn + "(" + l + ", " + r + ")");
    };
    auto cmp = [&](const char* op) { return temp(t, l + " " + op + " " + r); };
    switch (b.op) {
      case BinaryOp::Add:
        return call2("num_add");
      case BinaryOp::Sub:
        return call2("num_sub");
      case BinaryOp::Mul:
        return call2("num_mul");
      case BinaryOp::Div:
        return temp(t, l + " / " + r);
      case BinaryOp::FloorDiv:
      case BinaryOp::Mod: {
        bool div = b.op == BinaryOp::FloorDiv;
        if (fl) {
          return call2(div ? "floordiv_float" : "mod_float");
        }
        fault_if("rt::divides_by_zero(" + r + ")", e.span, "kDivZeroFault");
        return call2(div ? "floordiv_nonzero" : "mod_nonzero");
      }
      case BinaryOp::Pow:
        if (fl) {
          return call2("fpow");
        }
        fault_if("rt::negative_count(" + r + ")", e.span, "kNegPowFault",
                 "static_cast<i64>(" + r + ")");
        return call2("ipow_nonnegative");
      case BinaryOp::Eq:
        return cmp("==");
      case BinaryOp::Ne:
        return cmp("!=");
      case BinaryOp::Lt:
        return cmp("<");
      case BinaryOp::Le:
        return cmp("<=");
      case BinaryOp::Gt:
        return cmp(">");
      case BinaryOp::Ge:
        return cmp(">=");
      case BinaryOp::BitAnd:
        return temp(t, "static_cast<" + ctype(t) + ">(" + l + " & " + r + ")");
      case BinaryOp::BitOr:
        return temp(t, "static_cast<" + ctype(t) + ">(" + l + " | " + r + ")");
      case BinaryOp::BitXor:
        return temp(t, "static_cast<" + ctype(t) + ">(" + l + " ^ " + r + ")");
      case BinaryOp::Shl:
      case BinaryOp::Shr:
        fault_if("rt::negative_count(" + r + ")", e.span, "kNegShiftFault",
                 "static_cast<i64>(" + r + ")");
        return call2(b.op == BinaryOp::Shl ? "shl_nonnegative" : "shr_nonnegative");
      case BinaryOp::And:
      case BinaryOp::Or:
        break;
    }
    return l;
  }

  std::string call(const ir::Expr& e, const ir::Call& c) {
    std::string args = "c";
    for (ExprId a : c.args) {
      args += ", " + expr(a);
    }
    std::string callee = fn_name(c.fn) + "(" + args + ")";
    if (e.type.is_void()) {
      line(callee + ";");
      line("if (c.failed) return" + ret_ + ";");
      return "";
    }
    std::string r = temp(e.type, callee);
    line("if (c.failed) return" + ret_ + ";");
    return r;
  }

  std::string builtin(const ir::Expr& e, const ir::BuiltinCall& c) {
    using B = ir::Builtin;
    Type t = e.type;
    auto arg = [&](std::size_t k) { return expr(c.args[k]); };
    auto math = [&](const char* fn) {
      std::string x = arg(0);
      if (!ir::is_float(t.scalar)) {
        return temp(t, "rt::wrap_abs(" + x + ")");
      }
      return temp(t, std::string("rt::math_fn<rt::MathFn::") + fn + ">(" + x + ")");
    };
    switch (c.builtin) {
      case B::Len:
        return temp(t, arg(0) + ".n0");
      case B::Shape: {
        std::string a = arg(0);
        if (c.args.size() < 2) {
          return temp(t, a + ".n0");
        }
        const auto& k = std::get<ir::IntConst>(p_.expr(c.args[1]).kind);
        return temp(t, a + (k.value == 0 ? ".n0" : ".n1"));
      }
      case B::Exp:
        return math("Exp");
      case B::Log:
        return math("Log");
      case B::Sqrt:
        return math("Sqrt");
      case B::Abs:
        return math("Abs");
      case B::Sin:
        return math("Sin");
      case B::Cos:
        return math("Cos");
      case B::Tanh:
        return math("Tanh");
      case B::Sigmoid:
        return math("Sigmoid");
      case B::Floor:
        return math("Floor");
      case B::Minimum:
      case B::Maximum: {
        std::string a = arg(0);
        std::string b = arg(1);
        return temp(t, std::string(c.builtin == B::Minimum ? "rt::min_value(" : "rt::max_value(") +
                           a + ", " + b + ")");
      }
      case B::Clip: {
        std::string x = arg(0);
        std::string lo = arg(1);
        std::string hi = arg(2);
        return temp(t, "rt::min_value(rt::max_value(" + x + ", " + lo + "), " + hi + ")");
      }
      case B::Where: {
        std::string k = arg(0);
        std::string a = arg(1);
        std::string b = arg(2);
        return temp(t, k + " ? " + a + " : " + b);
      }
      case B::Random:
      case B::Randn: {
        std::string k = arg(0);
        std::string n = arg(1);
        return temp(t, std::string(c.builtin == B::Random ? "rt::random(" : "rt::randn(") + k +
                           ", " + n + ")");
      }
      case B::RandomStream:
        return temp(t, "rt::next_random(c.stream)");
      case B::RandnStream:
        return temp(t, "rt::next_randn(c.stream)");
      case B::Index:
        return temp(t, c.axis == 1 ? "c.index1" : "c.index0");
      case B::Tan:
        return math("Tan");
      case B::Log10:
        return math("Log10");
      case B::Log2:
        return math("Log2");
      case B::Ceil:
        return math("Ceil");
      case B::Round:
        return math("Round");
      default:
        throw std::logic_error("codegen/cuda: a builtin the planner rejects");
    }
  }

  // ---- statements ----

  void stmt(ir::StmtId id) {
    const ir::Stmt& s = p_.stmt(id);
    std::visit(
        ir::overloaded{
            [&](const ir::Let& l) { line(local_name(l.local) + " = " + expr(l.init) + ";"); },
            [&](const ir::Assign& a) {
              std::string v = expr(a.value);
              std::string x = local_name(a.local);
              line(x + " = " + update(f_.locals[a.local.v].type.scalar, a.op, x, v) + ";");
            },
            [&](const ir::StoreIndex& st) {
              if (const ir::Reduction* r = atomic_target(st.base)) {
                atomic_store(st, *r, s.span);
                return;
              }
              // The CPU evaluates base, indices and value, then checks the bounds.
              Access x = access(st.base, st.indices);
              std::string v = expr(st.value);
              std::string el = element(x, s.span, st.no_wrap);
              Scalar es = p_.expr(st.base).type.scalar;
              line(el + " = " + update(es, st.op, el, v) + ";");
            },
            [&](const ir::ExprStmt& e) { expr(e.expr); },
            [&](const ir::If& i) {
              line("if (" + expr(i.cond) + ") {");
              nested(i.then_body);
              if (!i.else_body.stmts.empty()) {
                line("} else {");
                nested(i.else_body);
              }
              line("}");
            },
            [&](const ir::While& w) {
              line("while (true) {");
              ++depth_;
              line("if (!" + expr(w.cond) + ") break;");
              block(w.body);
              --depth_;
              line("}");
            },
            [&](const ir::For& fo) { serial_for(fo, s.span); },
            [&](const ir::Break&) { line("break;"); },
            [&](const ir::Continue&) { line("continue;"); },
            [&](const ir::Return& r) {
              if (r.value.valid()) {
                line("return " + expr(r.value) + ";");
              } else {
                line("return;");
              }
            },
            [&](const auto&) {
              throw std::logic_error("codegen/cuda: a statement the planner rejects");
            },
        },
        s.kind);
  }

  const ir::Reduction* atomic_target(ExprId base) const {
    const auto* r = std::get_if<ir::LocalRef>(&p_.expr(base).kind);
    for (const ir::Reduction& red : atomics_) {
      if (r != nullptr && r->local == red.local) {
        return &red;
      }
    }
    return nullptr;
  }

  /// `h[k] op= x` or `h[k] = min(h[k], x)` into an integer reduction array, in the CPU's order
  /// of evaluation and checks (the read of h[k] is checked, not made: the CPU reads its chunk's
  /// private copy there), then one atomic update of h[k].
  void atomic_store(const ir::StoreIndex& st, const ir::Reduction& red, diag::Span span) {
    Access x = access(st.base, st.indices);
    std::string v;
    Scalar es = p_.expr(st.base).type.scalar;
    if (st.op == ir::AssignOp::Set) {
      const auto& b = std::get<ir::BuiltinCall>(p_.expr(st.value).kind);
      bool read_done = false;
      for (ExprId a : b.args) {
        const auto* ix = std::get_if<ir::Index>(&p_.expr(a).kind);
        const auto* base =
            ix != nullptr ? std::get_if<ir::LocalRef>(&p_.expr(ix->base).kind) : nullptr;
        if (!read_done && base != nullptr && base->local == red.local) {
          Access rd = access(ix->base, ix->indices);
          element(rd, p_.expr(a).span);
          read_done = true;
        } else {
          v = expr(a);
        }
      }
    } else {
      v = expr(st.value);
      if (st.op == ir::AssignOp::Sub) {
        v = temp(Type::scalar_of(es), "rt::num_neg(" + v + ")");
      }
    }
    std::string el = element(x, span, st.no_wrap);
    line("atomic_combine(&" + el + ", " + v + ", static_cast<rt::CombineOp>(" +
         std::to_string(static_cast<int>(codegen::rt_combine(red.op))) + "));");
  }

  /// x op= v in x's type: the CPU's rule for each operator.
  static std::string update(Scalar s, ir::AssignOp op, const std::string& x, const std::string& v) {
    switch (op) {
      case ir::AssignOp::Set:
        return v;
      case ir::AssignOp::Add:
        return "rt::num_add(" + x + ", " + v + ")";
      case ir::AssignOp::Sub:
        return "rt::num_sub(" + x + ", " + v + ")";
      case ir::AssignOp::Mul:
        return "rt::num_mul(" + x + ", " + v + ")";
      case ir::AssignOp::Div:
        return std::string("static_cast<") + ctype(s) + ">(" + x + " / " + v + ")";
    }
    return v;
  }

  void nested(const ir::Block& b) {
    ++depth_;
    block(b);
    --depth_;
  }

  void serial_for(const ir::For& fo, diag::Span span) {
    Type vt = f_.locals[fo.var.v].type;
    std::string v = local_name(fo.var);
    std::string lo = temp(vt, expr(fo.lo));
    std::string hi = temp(vt, expr(fo.hi));
    std::string step = "static_cast<" + ctype(vt) + ">(1)";
    if (fo.step.valid()) {
      step = temp(vt, expr(fo.step));
      fault_if(step + " == 0", span, "kStepFault");
    }
    line(v + " = " + lo + ";");
    line("for (bool go = for_first(" + lo + ", " + step + ", " + hi + "); go; go = for_next(" + v +
         ", " + step + ", " + hi + ")) {");
    nested(fo.body);
    line("}");
  }

  /// Declarations of every local but the parameters (and those `skip` names).
  void declare_locals(std::uint32_t first, const std::vector<char>& skip) {
    for (std::uint32_t l = first; l < f_.locals.size(); ++l) {
      if (l < skip.size() && skip[l]) {
        continue;
      }
      Type t = f_.locals[l].type;
      if (t.is_scalar()) {
        line("[[maybe_unused]] " + ctype(t) + " " + local_name(ir::LocalId{l}) + "{};");
      }
    }
  }

  int temps() const { return temps_; }

  /// The loop's integer array reductions: their element writes become atomic updates.
  void set_atomics(const std::vector<ir::Reduction>& reductions) { atomics_ = reductions; }

 private:
  const ir::Program& p_;
  const ir::Function& f_;
  codegen::GpuPlan& plan_;
  std::string ret_;  // what a failing function returns: "" or " {}"
  std::string out_;
  int depth_ = 1;
  int temps_ = 0;
  std::vector<ir::Reduction> atomics_;
};

}  // namespace kestrel::cuda::detail
