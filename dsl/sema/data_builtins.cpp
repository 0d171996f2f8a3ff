// The table builtins: read_csv(path, sep=…, fill=…), write_csv(path, t), table(a=x, b=y) and
// with_column(t, name, column), and the table methods of column access (postfix_check.cpp asks
// column_method). Their runtime is runtime/csv.hpp.
#include <limits>

#include "dsl/sema/builtin_args.hpp"

namespace kestrel::sema {

using ir::Builtin;
using ir::Scalar;

bool Checker::column_method(const std::string& name, ir::ColumnKind& kind) {
  static const std::pair<const char*, ir::ColumnKind> kMethods[] = {
      {"f64", ir::ColumnKind::F64},
      {"i64", ir::ColumnKind::I64},
      {"codes", ir::ColumnKind::Codes},
      {"labels", ir::ColumnKind::Labels},
      {"group_codes", ir::ColumnKind::GroupCodes},
      {"group_labels", ir::ColumnKind::GroupLabels},
  };
  for (const auto& [n, k] : kMethods) {
    if (name == n) {
      kind = k;
      return true;
    }
  }
  return false;
}

bool Checker::is_data_builtin(const std::string& name) {
  return name == "read_csv" || name == "write_csv" || name == "table" || name == "with_column" ||
         name == "subtable" || name == "assert";
}

ExprId Checker::check_data_builtin(const std::string& name, const ast::CallSuffix& call,
                                   diag::Span at) {
  std::vector<const ast::Arg*> pos;
  std::vector<const ast::Arg*> kw;
  std::vector<const ast::Expr*> values;
  for (const ast::Arg& a : call.args) {
    (a.keyword ? kw : pos).push_back(&a);
    if (!a.keyword) {
      values.push_back(&a.value);
    }
  }
  BuiltinArgs checked(*this, name, std::move(values), at);
  bool& ok = checked.ok;
  auto arity = [&](std::size_t n) {
    if (pos.size() != n) {
      error(diag::Kind::ArityMismatch, at,
            "'" + name + "' takes " + plural(n, "argument") + " but " + std::to_string(pos.size()) +
                (pos.size() == 1 ? " was given" : " were given"));
      ok = false;
    }
  };
  auto no_keywords = [&]() {
    for (const ast::Arg* a : kw) {
      ok = !reject_keyword(name, *a) && ok;
    }
  };
  auto is_str = [](Type t) { return t == Type::str(); };
  auto is_table = [](Type t) { return t.is_table(); };
  auto is_column = [](Type t) { return t.is_array() && t.rank == 1; };
  auto make = [&](Builtin b, std::vector<ExprId> args, Type t) -> ExprId {
    if (!ok) {
      return error_expr(at);
    }
    return add_expr(ir::BuiltinCall{b, std::move(args), -1}, t, at);
  };

  if (name == "read_csv") {
    // read_csv(path, sep=",", fill=nan): the IR always holds all three.
    arity(1);
    ExprId sep = add_expr(ir::StrConst{","}, Type::str(), at);
    ExprId fill =
        add_expr(ir::FloatConst{std::numeric_limits<double>::quiet_NaN()}, Type::f64(), at);
    bool seen_sep = false, seen_fill = false;
    for (const ast::Arg* a : kw) {
      const std::string& k = *a->keyword;
      if (k == "sep" && !seen_sep) {
        seen_sep = true;
        sep = check_value(a->value);
        Type t = type_of(sep);
        if (t.is_error()) {
          ok = false;
        } else if (t != Type::str()) {
          error(diag::Kind::ArgumentType, span_of(a->value),
                "'sep' of 'read_csv' must be a str of one character, found " + tname(t));
          ok = false;
        } else if (const auto* c = std::get_if<ir::StrConst>(&program_.exprs[sep.v].kind);
                   c && (c->value.size() != 1 || c->value == "\"" || c->value == "\n" ||
                         c->value == "\r")) {
          error(diag::Kind::ArgumentType, span_of(a->value),
                "'sep' of 'read_csv' must be one byte, not a quote or a line end (\",\", \";\", "
                "\"\\t\", …)");
          ok = false;
        }
      } else if (k == "fill" && !seen_fill) {
        seen_fill = true;
        fill = check_value(a->value);
        Type t = type_of(fill);
        if (t.is_error()) {
          ok = false;
        } else if (!t.is_scalar() || !ir::is_numeric(t.scalar)) {
          error(diag::Kind::ArgumentType, span_of(a->value),
                "'fill' of 'read_csv' must be a number, found " + tname(t));
          ok = false;
        } else {
          fill = convert_elements(fill, Scalar::F64);
        }
      } else {
        error(diag::Kind::UnknownKeyword, span(*a),
              (k == "sep" || k == "fill" ? "'" + k + "=' is given twice to 'read_csv'"
                                         : "unknown keyword '" + k +
                                               "' for 'read_csv'; its keywords are 'sep' and "
                                               "'fill'"));
        ok = false;
      }
    }
    if (!ok) {
      return error_expr(at);
    }
    ExprId path = checked.expect(0, "a str", is_str);
    return make(Builtin::ReadCsv, {path, sep, fill}, Type::table());
  }
  if (name == "write_csv") {
    arity(2);
    no_keywords();
    if (!ok) {
      return error_expr(at);
    }
    ExprId path = checked.expect(0, "a str", is_str);
    ExprId t = check_value(pos[1]->value);
    Type tt = type_of(t);
    if (tt.is_error()) {
      ok = false;
    } else if (!tt.is_table()) {
      auto& d = error(diag::Kind::ArgumentType, span_of(pos[1]->value),
                      checked.what(1) + " must be a table, found " + tname(tt));
      if (tt.is_array()) {
        d.notes.push_back({span_of(pos[1]->value),
                           "make a table of named columns: write_csv(path, table(x=a, y=b))"});
      }
      ok = false;
    }
    return make(Builtin::WriteCsv, {path, t}, Type::void_());
  }
  if (name == "with_column") {
    arity(3);
    no_keywords();
    if (!ok) {
      return error_expr(at);
    }
    ExprId t = checked.expect(0, "a table", is_table);
    ExprId col_name = checked.expect(1, "a str", is_str);
    ExprId col = checked.expect(2, "a 1-D array", is_column);
    return make(Builtin::WithColumn, {t, col_name, col}, Type::table());
  }
  if (name == "assert") {
    // assert(cond, message): lets Kestrel code (the standard library's checks of its arguments)
    // stop the run with a message of its own; there is no other way to raise one.
    arity(2);
    no_keywords();
    if (!ok) {
      return error_expr(at);
    }
    ExprId cond = checked.expect(0, "a bool", [](Type c) { return c == Type::boolean(); });
    ExprId message = checked.expect(1, "a str", is_str);
    return make(Builtin::Assert, {cond, message}, Type::void_());
  }
  if (name == "subtable") {
    arity(3);
    no_keywords();
    if (!ok) {
      return error_expr(at);
    }
    ExprId t = checked.expect(0, "a table", is_table);
    ExprId cols = checked.expect(1, "a str vector (the column names)", [](Type c) {
      return c.is_array() && c.rank == 1 && c.scalar == Scalar::Str;
    });
    ExprId rows = checked.expect(2, "an integer vector (the rows)", [](Type r) {
      return r.is_array() && r.rank == 1 && ir::is_integer(r.scalar);
    });
    if (ok) {
      rows = convert_elements(rows, Scalar::I64);
    }
    return make(Builtin::SubTable, {t, cols, rows}, Type::table());
  }
  // table(a=x, b=y, …): columns in the order written, each a 1-D array.
  for (const ast::Arg* a : pos) {
    error(diag::Kind::ArgumentType, span_of(a->value),
          "'table' takes its columns as keywords, name=array: table(id=ids, value=v)");
    return error_expr(at);
  }
  ExprId t = add_expr(ir::BuiltinCall{Builtin::TableNew, {}, -1}, Type::table(), at);
  std::vector<std::string> seen;
  for (const ast::Arg* a : kw) {
    const std::string& k = *a->keyword;
    for (const std::string& s : seen) {
      if (s == k) {
        error(diag::Kind::Redefinition, span(*a), "column '" + k + "' is given twice to 'table'");
        ok = false;
      }
    }
    seen.push_back(k);
    ExprId col = check_value(a->value);
    Type ct = type_of(col);
    if (ct.is_error()) {
      ok = false;
      continue;
    }
    if (!ct.is_array() || ct.rank != 1) {
      error(diag::Kind::ArgumentType, span_of(a->value),
            "column '" + k + "' of 'table' must be a 1-D array, found " + tname(ct));
      ok = false;
      continue;
    }
    if (ok) {
      ExprId col_name = add_expr(ir::StrConst{k}, Type::str(), span(*a));
      t = add_expr(ir::BuiltinCall{Builtin::WithColumn, {t, col_name, col}, -1}, Type::table(), at);
    }
  }
  return ok ? t : error_expr(at);
}

}  // namespace kestrel::sema
