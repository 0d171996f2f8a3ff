// The IR's text form: one line per statement, expressions as `(op:type args…)`. Tests compare it.
#include <charconv>
#include <cmath>

#include "dsl/ir/ir.hpp"

namespace kestrel::ir {

const char* builtin_name(Builtin b) {
  switch (b) {
    case Builtin::Print:
      return "print";
    case Builtin::Len:
      return "len";
    case Builtin::Shape:
      return "shape";
    case Builtin::Copy:
      return "copy";
    case Builtin::Zeros:
      return "zeros";
    case Builtin::Ones:
      return "ones";
    case Builtin::Full:
      return "full";
    case Builtin::Empty:
      return "empty";
    case Builtin::Arange:
      return "arange";
    case Builtin::Linspace:
      return "linspace";
    case Builtin::Exp:
      return "exp";
    case Builtin::Log:
      return "log";
    case Builtin::Sqrt:
      return "sqrt";
    case Builtin::Abs:
      return "abs";
    case Builtin::Sin:
      return "sin";
    case Builtin::Cos:
      return "cos";
    case Builtin::Tanh:
      return "tanh";
    case Builtin::Sigmoid:
      return "sigmoid";
    case Builtin::Floor:
      return "floor";
    case Builtin::Minimum:
      return "minimum";
    case Builtin::Maximum:
      return "maximum";
    case Builtin::Clip:
      return "clip";
    case Builtin::Where:
      return "where";
    case Builtin::Sum:
      return "sum";
    case Builtin::Mean:
      return "mean";
    case Builtin::Min:
      return "min";
    case Builtin::Max:
      return "max";
    case Builtin::Argmin:
      return "argmin";
    case Builtin::Argmax:
      return "argmax";
    case Builtin::Count:
      return "count";
    case Builtin::Any:
      return "any";
    case Builtin::All:
      return "all";
    case Builtin::Dot:
      return "dot";
    case Builtin::Random:
      return "random";
    case Builtin::Randn:
      return "randn";
    case Builtin::RandomStream:
      return "random_stream";
    case Builtin::RandnStream:
      return "randn_stream";
    case Builtin::Seed:
      return "seed";
    case Builtin::RandArray:
      return "rand";
    case Builtin::RandnArray:
      return "randn_array";
    case Builtin::Index:
      return "index";
    case Builtin::ReadCsv:
      return "read_csv";
    case Builtin::LoadNpy:
      return "load_npy";
    case Builtin::Clock:
      return "clock";
    case Builtin::SaveNpy:
      return "save_npy";
    case Builtin::WriteCsv:
      return "write_csv";
    case Builtin::TableNew:
      return "table";
    case Builtin::WithColumn:
      return "with_column";
    case Builtin::SubTable:
      return "subtable";
    case Builtin::Assert:
      return "assert";
    case Builtin::Str:
      return "str";
    case Builtin::StrConcat:
      return "str_concat";
    case Builtin::Format:
      return "format";
    case Builtin::StrEq:
      return "str_eq";
    case Builtin::StrNe:
      return "str_ne";
    case Builtin::PrintWith:
      return "print_with";
    case Builtin::Tan:
      return "tan";
    case Builtin::Log10:
      return "log10";
    case Builtin::Log2:
      return "log2";
    case Builtin::Ceil:
      return "ceil";
    case Builtin::Round:
      return "round";
    case Builtin::Prod:
      return "prod";
    case Builtin::Std:
      return "std";
    case Builtin::Var:
      return "var";
    case Builtin::Median:
      return "median";
    case Builtin::Cumsum:
      return "cumsum";
    case Builtin::Sort:
      return "sort";
    case Builtin::Argsort:
      return "argsort";
    case Builtin::Unique:
      return "unique";
    case Builtin::Concatenate:
      return "concatenate";
    case Builtin::Reshape:
      return "reshape";
    case Builtin::NpyBlocks:
      return "npy_blocks";
    case Builtin::CsvBlocks:
      return "csv_blocks";
    case Builtin::StreamNext:
      return "stream_next";
    case Builtin::StreamBlock:
      return "stream_block";
    case Builtin::StreamClose:
      return "stream_close";
    case Builtin::NpyAppend:
      return "npy_append";
    case Builtin::NpyFinish:
      return "npy_finish";
    case Builtin::MpiRank:
      return "rank";
    case Builtin::MpiRanks:
      return "ranks";
    case Builtin::Allreduce:
      return "allreduce";
    case Builtin::Broadcast:
      return "broadcast";
    case Builtin::Gather:
      return "gather";
    case Builtin::FancyGet:
      return "fancy_get";
    case Builtin::ReplKeep:
      return "__repl_keep";
  }
  return "?";
}

FnId Program::find_function(std::string_view name) const {
  for (std::uint32_t i = 0; i < functions.size(); ++i) {
    if (functions[i].name == name) {
      return FnId{i};
    }
  }
  return FnId{};
}

namespace {

const char* unary_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg:
      return "neg";
    case UnaryOp::Not:
      return "not";
    case UnaryOp::BitNot:
      return "~";
  }
  return "?";
}

const char* binary_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add:
      return "+";
    case BinaryOp::Sub:
      return "-";
    case BinaryOp::Mul:
      return "*";
    case BinaryOp::Div:
      return "/";
    case BinaryOp::FloorDiv:
      return "//";
    case BinaryOp::Mod:
      return "%";
    case BinaryOp::Pow:
      return "**";
    case BinaryOp::Eq:
      return "==";
    case BinaryOp::Ne:
      return "!=";
    case BinaryOp::Lt:
      return "<";
    case BinaryOp::Le:
      return "<=";
    case BinaryOp::Gt:
      return ">";
    case BinaryOp::Ge:
      return ">=";
    case BinaryOp::And:
      return "and";
    case BinaryOp::Or:
      return "or";
    case BinaryOp::BitAnd:
      return "&";
    case BinaryOp::BitOr:
      return "|";
    case BinaryOp::BitXor:
      return "^";
    case BinaryOp::Shl:
      return "<<";
    case BinaryOp::Shr:
      return ">>";
  }
  return "?";
}

const char* assign_name(AssignOp op) {
  switch (op) {
    case AssignOp::Set:
      return "=";
    case AssignOp::Add:
      return "+=";
    case AssignOp::Sub:
      return "-=";
    case AssignOp::Mul:
      return "*=";
    case AssignOp::Div:
      return "/=";
  }
  return "?";
}

const char* reduce_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Add:
      return "+";
    case ReduceOp::Mul:
      return "*";
    case ReduceOp::Min:
      return "min";
    case ReduceOp::Max:
      return "max";
  }
  return "?";
}

const char* column_name(ColumnKind c) {
  switch (c) {
    case ColumnKind::F64:
      return "f64";
    case ColumnKind::I64:
      return "i64";
    case ColumnKind::Codes:
      return "codes";
    case ColumnKind::Labels:
      return "labels";
    case ColumnKind::GroupCodes:
      return "group_codes";
    case ColumnKind::GroupLabels:
      return "group_labels";
  }
  return "?";
}

std::string float_text(double v, bool is_f32) {
  if (std::isnan(v)) {
    return "nan";
  }
  if (std::isinf(v)) {
    return v < 0 ? "-inf" : "inf";
  }
  char buf[64];
  auto res = is_f32 ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v))
                    : std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos) {
    s += ".0";
  }
  return is_f32 ? s + "f32" : s;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

/// Prints one function's statements and expressions.
class Printer {
 public:
  Printer(const Program& p, const Function& fn) : p_(p), fn_(fn) {}

  std::string type(Type t) const { return type_name(p_.types, t); }

  std::string expr(ExprId id) const {
    const Expr& e = p_.expr(id);
    auto head = [&](const char* name) { return std::string("(") + name + ":" + type(e.type); };
    return std::visit(
        overloaded{
            [&](const IntConst& c) {
              return std::to_string(c.value) + (e.type == Type::i32() ? "i32" : "");
            },
            [&](const FloatConst& c) { return float_text(c.value, e.type == Type::f32()); },
            [&](const BoolConst& c) { return std::string(c.value ? "true" : "false"); },
            [&](const StrConst& c) { return quoted(c.value); },
            [&](const LocalRef& r) { return fn_.locals[r.local.v].name; },
            [&](const Convert& c) { return head("convert") + " " + expr(c.operand) + ")"; },
            [&](const Unary& u) { return head(unary_name(u.op)) + " " + expr(u.operand) + ")"; },
            [&](const Binary& b) {
              return head(binary_name(b.op)) + " " + expr(b.lhs) + " " + expr(b.rhs) + ")";
            },
            [&](const MatMul& m) {
              return head("@") + " " + expr(m.lhs) + " " + expr(m.rhs) + ")";
            },
            [&](const Call& c) {
              return head("call") + " " + p_.fn(c.fn).name + list(c.args) + ")";
            },
            [&](const BuiltinCall& c) {
              std::string s = head(builtin_name(c.builtin)) + list(c.args);
              if (c.axis >= 0) {
                s += (c.builtin == Builtin::Index ? " dim=" : " axis=") + std::to_string(c.axis);
              }
              return s + ")";
            },
            [&](const Launch& l) {
              return "(launch " + p_.fn(l.kernel).name + " [" + join(l.grid) + "]" + list(l.args) +
                     ")";
            },
            [&](const Index& i) {
              return head("index") + " " + expr(i.base) + list(i.indices) + ")";
            },
            [&](const SliceView& s) {
              std::string out = head("slice") + " " + expr(s.base);
              for (const SliceDim& d : s.dims) {
                out += " ";
                if (!d.is_range) {
                  out += expr(d.index);
                } else {
                  out += (d.lo.valid() ? expr(d.lo) : "") + ":" + (d.hi.valid() ? expr(d.hi) : "");
                  if (d.step.valid()) {
                    out += ":" + expr(d.step);
                  }
                }
              }
              return out + ")";
            },
            [&](const Transpose& t) { return head("T") + " " + expr(t.base) + ")"; },
            [&](const TableColumn& c) {
              return head((std::string("column.") + column_name(c.column)).c_str()) + " " +
                     expr(c.table) + " " + expr(c.name) + ")";
            },
            [&](const TableRows& r) { return head("rows") + " " + expr(r.table) + ")"; },
            [&](const ArrayLit& a) {
              std::string shape = a.rows ? std::to_string(a.rows) + "x" + std::to_string(a.cols)
                                         : std::to_string(a.elems.size());
              return head("array") + " " + shape + list(a.elems) + ")";
            },
            [&](const MakeTuple& t) { return head("tuple") + list(t.elems) + ")"; },
            [&](const ErrorExpr&) { return std::string("<error>"); },
        },
        e.kind);
  }

  void block(const Block& b, int depth, std::string& out) const {
    for (StmtId id : b.stmts) {
      stmt(id, depth, out);
    }
  }

  void stmt(StmtId id, int depth, std::string& out) const {
    std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
    out += pad;
    std::visit(overloaded{
                   [&](const Let& l) { out += decl(l.local) + " = " + expr(l.init) + "\n"; },
                   [&](const LetTuple& l) {
                     out += "let (";
                     for (std::size_t i = 0; i < l.locals.size(); ++i) {
                       out += (i ? ", " : "") + decl(l.locals[i], false);
                     }
                     out += ") = " + expr(l.init) + "\n";
                   },
                   [&](const Assign& a) {
                     out += fn_.locals[a.local.v].name + " " + assign_name(a.op) + " " +
                            expr(a.value) + "\n";
                   },
                   [&](const StoreIndex& s) {
                     out += "store " + expr(s.base) + "[" + join(s.indices) + "] " +
                            assign_name(s.op) + " " + expr(s.value) + "\n";
                   },
                   [&](const StoreView& s) {
                     out += "store " + expr(s.target) + "[…] " + assign_name(s.op) + " " +
                            expr(s.value) + "\n";
                   },
                   [&](const ExprStmt& e) { out += expr(e.expr) + "\n"; },
                   [&](const If& i) {
                     out += "if " + expr(i.cond) + " {\n";
                     block(i.then_body, depth + 1, out);
                     if (!i.else_body.stmts.empty()) {
                       out += pad + "} else {\n";
                       block(i.else_body, depth + 1, out);
                     }
                     out += pad + "}\n";
                   },
                   [&](const While& w) {
                     out += "while " + expr(w.cond) + " {\n";
                     block(w.body, depth + 1, out);
                     out += pad + "}\n";
                   },
                   [&](const For& f) {
                     out += std::string(f.parallel ? "parallel for " : "for ") +
                            decl(f.var, false) + " in " + expr(f.lo) + ".." + expr(f.hi);
                     if (f.step.valid()) {
                       out += " by " + expr(f.step);
                     }
                     for (const Reduction& r : f.reductions) {
                       out += std::string(" reduce(") + reduce_name(r.op) + " " +
                              fn_.locals[r.local.v].name + ")";
                     }
                     for (const Reduction& r : f.array_reductions) {
                       out += std::string(" reduce_array(") + reduce_name(r.op) + " " +
                              fn_.locals[r.local.v].name + ")";
                     }
                     out += " {\n";
                     block(f.body, depth + 1, out);
                     out += pad + "}\n";
                   },
                   [&](const Break&) { out += "break\n"; },
                   [&](const Continue&) { out += "continue\n"; },
                   [&](const Return& r) {
                     out += r.value.valid() ? "return " + expr(r.value) + "\n" : "return\n";
                   },
               },
               p_.stmt(id).kind);
  }

  std::string decl(LocalId id, bool with_keyword = true) const {
    const Local& l = fn_.locals[id.v];
    std::string s = with_keyword ? (l.is_mutable ? "var " : "let ") : "";
    return s + l.name + ": " + type(l.type);
  }

 private:
  std::string list(const std::vector<ExprId>& ids) const {
    std::string s;
    for (ExprId id : ids) {
      s += " " + expr(id);
    }
    return s;
  }
  std::string join(const std::vector<ExprId>& ids) const {
    std::string s;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      s += (i ? ", " : "") + expr(ids[i]);
    }
    return s;
  }

  const Program& p_;
  const Function& fn_;
};

}  // namespace

std::string dump_expr(const Program& program, const Function& fn, ExprId id) {
  return Printer(program, fn).expr(id);
}

std::string dump_function(const Program& program, FnId id) {
  std::string out;
  const Function& fn = program.fn(id);
  {
    Printer pr(program, fn);
    if (fn.unchecked) {
      out += "@unchecked ";
    }
    out += fn.is_kernel ? "kernel " : "fn ";
    out += fn.name + "(";
    for (std::uint32_t i = 0; i < fn.param_count; ++i) {
      out += (i ? ", " : "") + fn.locals[i].name + ": " + pr.type(fn.locals[i].type);
    }
    out += ")";
    if (!fn.ret.is_void()) {
      out += " -> " + pr.type(fn.ret);
    }
    out += " {\n";
    pr.block(fn.body, 1, out);
    out += "}\n";
  }
  return out;
}

std::string dump(const Program& program) {
  std::string out;
  for (std::uint32_t k = 0; k < program.functions.size(); ++k) {
    out += dump_function(program, FnId{k});
  }
  return out;
}

}  // namespace kestrel::ir
