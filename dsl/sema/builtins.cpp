// The builtin functions of DESIGN.md and their signatures: constructors, elementwise math,
// reductions (with `axis=`), random numbers, I/O, `index()` and the conversions f64(x) etc.
#include <array>
#include <span>

#include "dsl/sema/builtin_args.hpp"
#include "dsl/sema/builtin_docs.hpp"
#include "dsl/sema/checker.hpp"

namespace kestrel::sema {

using ir::Builtin;
using ir::Scalar;

namespace {

/// A builtin's name, how many positional arguments it takes, and whether it takes `axis=`.
struct BuiltinSpec {
  const char* name;
  int min_args;
  int max_args;  // -1: any number
  bool axis;
};

constexpr BuiltinSpec kBuiltins[] = {
    {"print", 0, -1, false},
    {"len", 1, 1, false},
    {"shape", 2, 2, false},
    {"copy", 1, 1, false},
    {"zeros", 1, 3, false},
    {"ones", 1, 3, false},
    {"empty", 1, 3, false},
    {"full", 2, 4, false},
    {"arange", 1, 4, false},
    {"linspace", 3, 4, false},
    {"exp", 1, 1, false},
    {"log", 1, 1, false},
    {"sqrt", 1, 1, false},
    {"abs", 1, 1, false},
    {"sin", 1, 1, false},
    {"cos", 1, 1, false},
    {"tanh", 1, 1, false},
    {"sigmoid", 1, 1, false},
    {"floor", 1, 1, false},
    {"min", 1, 2, true},
    {"max", 1, 2, true},
    {"clip", 3, 3, false},
    {"where", 3, 3, false},
    {"sum", 1, 1, true},
    {"mean", 1, 1, true},
    {"argmin", 1, 1, true},
    {"argmax", 1, 1, true},
    {"count", 1, 1, true},
    {"any", 1, 1, true},
    {"all", 1, 1, true},
    {"dot", 2, 2, true},
    {"random", 0, 2, false},
    {"randn", 0, 3, false},
    {"rand", 2, 3, false},
    {"seed", 1, 1, false},
    {"index", 0, 1, false},
    {"read_csv", 1, 1, false},
    {"load_npy", 3, 3, false},
    {"save_npy", 2, 2, false},
    {"clock", 0, 0, false},
    // Tables (data_builtins.cpp checks them).
    {"write_csv", 2, 2, false},
    {"table", 0, -1, false},
    {"with_column", 3, 3, false},
    {"subtable", 3, 3, false},
    {"assert", 2, 2, false},
    // Strings (str_check and the backends' str ops).
    {"str", 1, 1, false},
    {"format", 2, 2, false},
};

/// numpy's functions (issue 17): numpy_builtins.cpp checks all but tan … round.
constexpr BuiltinSpec kNumpyBuiltins[] = {
    {"tan", 1, 1, false},         {"log10", 1, 1, false},   {"log2", 1, 1, false},
    {"ceil", 1, 1, false},        {"round", 1, 1, false},   {"isnan", 1, 1, false},
    {"isfinite", 1, 1, false},    {"prod", 1, 1, true},     {"std", 1, 1, true},
    {"var", 1, 1, true},          {"median", 1, 1, true},   {"cumsum", 1, 1, true},
    {"sort", 1, 1, true},         {"argsort", 1, 1, true},  {"unique", 1, 1, false},
    {"concatenate", 2, -1, true}, {"reshape", 2, 3, false}, {"normal", 2, 2, false},
};

// Streams (stream_check.cpp): only as the source of a for loop.
constexpr BuiltinSpec kStreamBuiltins[] = {
    {"npy_blocks", 4, 4, false},
    {"csv_blocks", 2, 4, false},
    {"npy_append", 2, 2, false},
    {"npy_finish", 1, 1, false},
};

const BuiltinSpec* find_spec(const std::string& name) {
  for (const BuiltinSpec& s : kBuiltins) {
    if (name == s.name) {
      return &s;
    }
  }
  for (const BuiltinSpec& s : kNumpyBuiltins) {
    if (name == s.name) {
      return &s;
    }
  }
  for (const BuiltinSpec& s : kStreamBuiltins) {
    if (name == s.name) {
      return &s;
    }
  }
  return nullptr;
}

std::string arity_text(const BuiltinSpec& s) {
  if (s.min_args == s.max_args) {
    return plural(static_cast<std::size_t>(s.min_args), "argument");
  }
  if (s.max_args == s.min_args + 1) {
    return std::to_string(s.min_args) + " or " + std::to_string(s.max_args) + " arguments";
  }
  return std::to_string(s.min_args) + " to " + std::to_string(s.max_args) + " arguments";
}

}  // namespace

bool Checker::is_builtin_name(const std::string& name) {
  return find_spec(name) != nullptr || is_mpi_builtin(name);
}

std::vector<std::string> mpi_builtin_names();  // mpi_builtins.cpp

std::vector<std::string> builtin_names() {
  std::vector<std::string> names;
  for (std::span<const BuiltinSpec> table :
       {std::span<const BuiltinSpec>(kBuiltins), std::span<const BuiltinSpec>(kNumpyBuiltins),
        std::span<const BuiltinSpec>(kStreamBuiltins)}) {
    for (const BuiltinSpec& s : table) {
      names.emplace_back(s.name);
    }
  }
  for (std::string& n : mpi_builtin_names()) {
    names.push_back(std::move(n));
  }
  return names;
}

ExprId Checker::check_builtin(const std::string& name, const ast::CallSuffix& call, diag::Span at) {
  if (is_data_builtin(name)) {
    return check_data_builtin(name, call, at);
  }
  if (is_mpi_builtin(name)) {
    return check_mpi_builtin(name, call, at);
  }
  const BuiltinSpec& spec = *find_spec(name);
  std::vector<const ast::Expr*> pos;
  const ast::Arg* axis_arg = nullptr;
  // rand/randn's array forms take their key as `seed=` (DESIGN.md), after the dimensions.
  const ast::Arg* seed_arg = nullptr;
  bool seeded = name == "rand" || name == "randn";
  // print's sep= and end= (Python's meaning), each a string literal.
  const ast::Arg* sep_arg = nullptr;
  const ast::Arg* end_arg = nullptr;
  const ast::Arg* ddof_arg = nullptr;  // var's and std's
  bool has_ddof = name == "var" || name == "std";
  bool ok = true;
  for (const ast::Arg& a : call.args) {
    if (!a.keyword) {
      pos.push_back(&a.value);
    } else if (name == "print" && *a.keyword == "sep" && !sep_arg) {
      sep_arg = &a;
    } else if (name == "print" && *a.keyword == "end" && !end_arg) {
      end_arg = &a;
    } else if (name == "print") {
      error(diag::Kind::UnknownKeyword, span(a),
            "unknown keyword '" + *a.keyword + "' for 'print'; the keywords are 'sep' and 'end'");
      ok = false;
    } else if (spec.axis && *a.keyword == "axis" && !axis_arg) {
      axis_arg = &a;
    } else if (seeded && *a.keyword == "seed" && !seed_arg) {
      seed_arg = &a;
    } else if (has_ddof && *a.keyword == "ddof" && !ddof_arg) {
      ddof_arg = &a;
    } else if (has_ddof) {
      error(diag::Kind::UnknownKeyword, span(a),
            "unknown keyword '" + *a.keyword + "' for '" + name +
                "'; the keywords are 'axis' and 'ddof'");
      ok = false;
    } else if (seeded) {
      error(diag::Kind::UnknownKeyword, span(a),
            "unknown keyword '" + *a.keyword + "' for '" + name + "'; the only keyword is 'seed'");
      ok = false;
    } else {
      error(diag::Kind::UnknownKeyword, span(a),
            spec.axis ? "unknown keyword '" + *a.keyword + "' for '" + name +
                            "'; the only keyword is 'axis'"
                      : "'" + name + "' takes no keyword arguments, found '" + *a.keyword + "='");
      ok = false;
    }
  }
  // rand(3, 4) or randn(2, 3, 7) without seed= would read as a matrix where they are not one
  // (or, for randn(2, 3), a pure draw): the array forms need the keyword.
  std::size_t ndims = pos.size();
  if (seeded && !ok) {
    return error_expr(at);
  }
  if ((name == "rand" || (name == "randn" && ndims > 2)) && seed_arg == nullptr) {
    error(diag::Kind::ArityMismatch, at,
          "'" + name + "' needs its key as the keyword seed=: " + name + "(n, seed=k) or " + name +
              "(m, n, seed=k)");
    return error_expr(at);
  }
  if (seed_arg != nullptr && (ndims < 1 || ndims > 2)) {
    error(diag::Kind::ArityMismatch, at,
          "'" + name + "(..., seed=k)' takes 1 or 2 dimensions (n, or m, n), but " +
              std::to_string(ndims) + (ndims == 1 ? " was given" : " were given"));
    return error_expr(at);
  }
  if (seed_arg != nullptr) {
    pos.push_back(&seed_arg->value);  // the IR takes the key after the dimensions
  }
  int n = static_cast<int>(pos.size());
  // Too many sizes for a constructor is a 3-D (or more) array: constructor() says so.
  bool sized = name == "zeros" || name == "ones" || name == "empty" || name == "full";
  if (n < spec.min_args || (spec.max_args >= 0 && n > spec.max_args && !sized)) {
    error(diag::Kind::ArityMismatch, at,
          "'" + name + "' takes " + arity_text(spec) + " but " + std::to_string(n) +
              (n == 1 ? " was given" : " were given"));
    return error_expr(at);
  }
  if (!ok) {
    return error_expr(at);
  }
  BuiltinArgs ba(*this, name, pos, at);
  if (is_numpy_builtin(name)) {
    return check_numpy_builtin(ba, axis_arg, ddof_arg);
  }
  // An element-type argument: `f32` in zeros(n, f32).
  auto type_arg = [&](std::size_t k, Scalar& s) {
    const auto* nm = ast_if<ast::Name>(*pos[k]);
    return nm && nm->name != "str" && !fn_->scopes.lookup(nm->name) &&
           ir::parse_scalar_name(nm->name, s);
  };
  std::vector<ExprId>& args = ba.args;
  // `axis=` of a reduction: a literal 0 or 1, on a matrix.
  int axis = ba.parse_axis(axis_arg);
  // The result of a reduction to element type s: a scalar, or a vector along `axis`.
  auto reduced = [&](Scalar s) { return axis >= 0 ? Type::array_of(s, 1) : Type::scalar_of(s); };

  // zeros(n), zeros(m, n), zeros(n, f32), … : sizes then an optional element type.
  auto constructor = [&](Builtin b, int values) -> ExprId {
    Scalar elem = Scalar::F64;
    std::size_t count = pos.size();
    bool typed = count > 0 && type_arg(count - 1, elem);
    std::size_t given = (typed ? count - 1 : count) - std::min<std::size_t>(count, values);
    if (given >= 3) {
      // zeros(2, 3, 4): three integer sizes mean a 3-D array, which Kestrel does not have.
      bool sizes = true;
      for (std::size_t k = 0; k < given; ++k) {
        Type t = ba.value(k);
        if (t.is_error()) {
          return error_expr(at);
        }
        sizes = sizes && t.is_scalar() && ir::is_integer(t.scalar);
      }
      if (sizes) {
        error(diag::Kind::ArgumentType, span_of(*pos[2]),
              std::to_string(given) + "-D arrays are not supported; Kestrel arrays are 1-D or 2-D");
        return error_expr(at);
      }
    }
    if (typed) {
      --count;
    } else if (count == static_cast<std::size_t>(values) + 3) {
      Type t = args[count - 1].valid() ? type_of(args[count - 1]) : ba.value(count - 1);
      if (!t.is_error()) {
        ba.fail(count - 1, "an element type", t);
      }
      return error_expr(at);
    }
    std::size_t dims = count - static_cast<std::size_t>(values);
    if (dims < 1 || dims > 2) {
      error(diag::Kind::ArityMismatch, at,
            "'" + name + "' takes 1 or 2 sizes" + (values ? ", a fill value," : "") +
                " and an optional element type");
      return error_expr(at);
    }
    for (std::size_t k = 0; k < dims; ++k) {
      Scalar ignored;
      if (type_arg(k, ignored)) {
        error(diag::Kind::ArgumentType, span_of(*pos[k]),
              ba.what(k) + " must be a size; the element type comes last");
        return error_expr(at);
      }
      Type t = ba.value(k);
      if (!t.is_error() && (!t.is_scalar() || !ir::is_integer(t.scalar))) {
        if (k + 1 == count && count == 2 && values == 0) {
          ba.fail(k, "an element type", t);
        } else {
          ba.fail(k, "an integer size", t);
        }
      } else if (!t.is_error()) {
        args[k] = convert_elements(args[k], Scalar::I64);
      }
    }
    if (values) {
      ba.value(dims);
      if (ba.ok) {
        args[dims] =
            coerce(args[dims], Type::scalar_of(elem), ba.what(dims), diag::Kind::ArgumentType);
        ba.ok = !type_of(args[dims]).is_error();
      }
    }
    args.resize(count);
    return ba.make(b, Type::array_of(elem, static_cast<int>(dims)));
  };

  if (name == "print") {
    for (std::size_t k = 0; k < pos.size(); ++k) {
      ba.value(k);
    }
    if (sep_arg || end_arg) {
      return print_with(sep_arg, end_arg, std::move(args), ba.ok, at);
    }
    return ba.make(Builtin::Print, Type::void_());
  }
  if (name == "str" || name == "format") {
    return check_str_builtin(name, pos, at);
  }
  // len(h) and shape(h, k) of a parallel for's reduction array are not reads of its elements:
  // each chunk's private copy has the array's shape.
  if ((name == "len" || name == "shape") && !pos.empty() && !fn_->parallel.empty()) {
    if (const auto* nm = ast_if<ast::Name>(*pos[0])) {
      for (ParallelFrame& frame : fn_->parallel) {
        frame.skip_reads.push_back(span(*nm));
      }
    }
  }
  if (name == "len" || name == "copy") {
    Type t = ba.array(0, "an array", any_elem);
    return name == "len" ? ba.make(Builtin::Len, Type::i64()) : ba.make(Builtin::Copy, t);
  }
  if (name == "shape") {
    Type t = ba.array(0, "an array", any_elem);
    ba.integer(1);
    if (const auto* lit = ast_if<ast::IntLit>(*pos[1]); lit && t.is_array() && ba.ok) {
      if (lit->text != "0" && !(lit->text == "1" && t.rank == 2)) {
        error(diag::Kind::ArgumentType, span_of(*pos[1]),
              "argument 2 of 'shape' must be a dimension of " + tname(t) + ": " +
                  (t.rank == 1 ? "0" : "0 or 1"));
        ba.ok = false;
      }
    }
    return ba.make(Builtin::Shape, Type::i64());
  }
  if (name == "zeros") return constructor(Builtin::Zeros, 0);
  if (name == "ones") return constructor(Builtin::Ones, 0);
  if (name == "empty") return constructor(Builtin::Empty, 0);
  if (name == "full") return constructor(Builtin::Full, 1);
  if (name == "arange") {
    Scalar elem = Scalar::F64;
    std::size_t count = pos.size();
    if (type_arg(count - 1, elem)) {
      --count;
    }
    if (count < 1 || count > 3) {
      error(diag::Kind::ArityMismatch, at,
            "'arange' takes (stop), (start, stop) or (start, stop, step), then an optional "
            "element type");
      return error_expr(at);
    }
    // Integer bounds and step (exact), or, when any is a float, all of them in f64 (numpy's
    // float arange: runtime/array.hpp's arange_f), which makes f32 or f64 elements.
    bool floats = false;
    for (std::size_t k = 0; k < count; ++k) {
      Type t = ba.value(k);
      if (t.is_error()) {
        continue;
      }
      if (!t.is_scalar() || !ir::is_numeric(t.scalar)) {
        ba.fail(k, "a number", t);
      } else if (ir::is_float(t.scalar)) {
        floats = true;
      }
    }
    if (!ba.ok) {
      return error_expr(at);
    }
    if (floats && !ir::is_float(elem)) {
      error(diag::Kind::ArgumentType, at,
            "'arange' with float bounds or step makes f32 or f64 elements, not " +
                std::string(ir::scalar_name(elem)) + " (convert the result, or give integers)");
      return error_expr(at);
    }
    for (std::size_t k = 0; k < count; ++k) {
      args[k] = convert_elements(args[k], floats ? Scalar::F64 : Scalar::I64);
    }
    args.resize(count);
    return ba.make(Builtin::Arange, Type::array_of(elem, 1));
  }
  if (name == "linspace") {
    Scalar elem = Scalar::F64;
    if (pos.size() == 4 && !type_arg(3, elem)) {
      Type t = ba.value(3);
      if (!t.is_error()) {
        ba.fail(3, "an element type", t);
      }
      return error_expr(at);
    }
    if (!ir::is_float(elem)) {
      error(diag::Kind::ArgumentType, span_of(*pos[3]),
            "argument 4 of 'linspace' must be a float type (f32 or f64)");
      return error_expr(at);
    }
    for (std::size_t k = 0; k < 2; ++k) {
      Type t = ba.value(k);
      if (!t.is_error() && (!t.is_scalar() || !ir::is_numeric(t.scalar))) {
        ba.fail(k, "a number", t);
      } else if (!t.is_error()) {
        args[k] = coerce(args[k], Type::f64(), ba.what(k), diag::Kind::ArgumentType);
      }
    }
    ba.integer(2);
    args.resize(3);
    return ba.make(Builtin::Linspace, Type::array_of(elem, 1));
  }

  static const std::array<std::pair<const char*, Builtin>, 13> kFloatMath{{
      {"exp", Builtin::Exp},
      {"log", Builtin::Log},
      {"sqrt", Builtin::Sqrt},
      {"sin", Builtin::Sin},
      {"cos", Builtin::Cos},
      {"tanh", Builtin::Tanh},
      {"sigmoid", Builtin::Sigmoid},
      {"floor", Builtin::Floor},
      {"tan", Builtin::Tan},
      {"log10", Builtin::Log10},
      {"log2", Builtin::Log2},
      {"ceil", Builtin::Ceil},
      {"round", Builtin::Round},
  }};
  for (const auto& [fname, b] : kFloatMath) {
    if (name == fname) {
      Type t = ba.numeric(0);
      if (!ba.ok) {
        return error_expr(at);
      }
      Scalar s = ir::is_float(t.scalar) ? t.scalar : Scalar::F64;
      args[0] = convert_elements(args[0], s);
      return ba.make(b, t.with_scalar(s));
    }
  }
  if (name == "abs") {
    Type t = ba.numeric(0);
    return ba.make(Builtin::Abs, t);
  }
  if ((name == "min" || name == "max") && pos.size() == 2) {
    if (axis_arg) {
      error(diag::Kind::UnknownKeyword, span(*axis_arg),
            "axis= applies to '" + name + "' of one array, not to the elementwise " + name +
                "(a, b)");
      return error_expr(at);
    }
    Type a = ba.numeric(0);
    Type b = ba.numeric(1);
    if (!ba.ok) {
      return error_expr(at);
    }
    Scalar s = common_scalar(args[0], args[1]);
    args[0] = convert_elements(args[0], s);
    args[1] = convert_elements(args[1], s);
    int rank = broadcast_rank(a, b);
    return ba.make(name == "min" ? Builtin::Minimum : Builtin::Maximum,
                   rank ? Type::array_of(s, rank) : Type::scalar_of(s));
  }
  if (name == "clip" || name == "where") {
    bool is_where = name == "where";
    Type c = Type::error();
    if (is_where) {
      c = ba.value(0);
      if (!c.is_error() && (!c.has_elements() || c.scalar != Scalar::Bool)) {
        ba.fail(0, "a bool or a bool array", c);
      }
    } else {
      c = ba.numeric(0);
    }
    Type a = ba.numeric(1, is_where);
    Type b = ba.numeric(2, is_where);
    if (!ba.ok) {
      return error_expr(at);
    }
    Scalar s;
    if (is_where) {
      if ((a.scalar == Scalar::Bool) != (b.scalar == Scalar::Bool)) {
        error(diag::Kind::ArgumentType, at,
              "arguments 2 and 3 of 'where' must both be numbers or both be bools, found " +
                  tname(a) + " and " + tname(b));
        return error_expr(at);
      }
      s = a.scalar == Scalar::Bool ? Scalar::Bool : common_scalar(args[1], args[2]);
    } else {
      s = common_scalar(args[0], args[1]);
      s = is_untyped_literal(args[2]) ? s : promote(s, b.scalar);
      args[0] = convert_elements(args[0], s);
    }
    args[1] = convert_elements(args[1], s);
    args[2] = convert_elements(args[2], s);
    int rank = std::max({broadcast_rank(c, a), broadcast_rank(a, b)});
    return ba.make(is_where ? Builtin::Where : Builtin::Clip,
                   rank ? Type::array_of(s, rank) : Type::scalar_of(s));
  }
  if (name == "sum" || name == "mean" || name == "min" || name == "max" || name == "argmin" ||
      name == "argmax") {
    bool arg_reduce = name == "argmin" || name == "argmax";
    Type t =
        ba.array(0, "a numeric array", name == "sum" || name == "mean" ? +num_or_bool : +num_elem);
    ba.check_axis(axis_arg, t);
    if (!ba.ok) {
      return error_expr(at);
    }
    std::int8_t ax = static_cast<std::int8_t>(axis);
    if (name == "sum") {
      Scalar s = ir::is_float(t.scalar) ? t.scalar : Scalar::I64;
      return ba.make(Builtin::Sum, reduced(s), ax);
    }
    if (name == "mean") {
      Scalar s = ir::is_float(t.scalar) ? t.scalar : Scalar::F64;
      return ba.make(Builtin::Mean, reduced(s), ax);
    }
    if (arg_reduce) {
      return ba.make(name == "argmin" ? Builtin::Argmin : Builtin::Argmax, reduced(Scalar::I64),
                     ax);
    }
    return ba.make(name == "min" ? Builtin::Min : Builtin::Max, reduced(t.scalar), ax);
  }
  if (name == "count" || name == "any" || name == "all") {
    Type t = ba.array(0, "a bool array", bool_elem);
    ba.check_axis(axis_arg, t);
    std::int8_t ax = static_cast<std::int8_t>(axis);
    if (name == "count") {
      return ba.make(Builtin::Count, reduced(Scalar::I64), ax);
    }
    return ba.make(name == "any" ? Builtin::Any : Builtin::All, reduced(Scalar::Bool), ax);
  }
  if (name == "dot") {
    Type a = ba.array(0, "a numeric array", num_elem);
    Type b = ba.array(1, "a numeric array", num_elem);
    if (!ba.ok) {
      return error_expr(at);
    }
    if (a.rank != b.rank) {
      error(diag::Kind::RankMismatch, at,
            "'dot' takes two arrays of the same rank, found " + tname(a) + " and " + tname(b));
      return error_expr(at);
    }
    if (a.rank == 2 && !axis_arg) {
      error(diag::Kind::ArgumentType, at,
            "'dot' of two matrices needs axis=0 or axis=1 (column- or row-wise)")
          .notes.push_back({at, "use a @ b for the matrix product"});
      return error_expr(at);
    }
    ba.check_axis(axis_arg, a);
    Scalar s = common_scalar(args[0], args[1]);
    args[0] = convert_elements(args[0], s);
    args[1] = convert_elements(args[1], s);
    return ba.make(Builtin::Dot, reduced(s), static_cast<std::int8_t>(axis));
  }
  if (name == "random" || (name == "randn" && seed_arg == nullptr)) {
    bool normal = name == "randn";
    if (pos.size() == 0) {
      return ba.make(normal ? Builtin::RandnStream : Builtin::RandomStream, Type::f64());
    }
    if (pos.size() == 1) {
      error(diag::Kind::ArityMismatch, at,
            "'" + name +
                "' takes 0 arguments (the seeded stream) or 2 (key, counter), but 1 "
                "was given");
      return error_expr(at);
    }
    ba.integer(0);
    ba.integer(1);
    return ba.make(normal ? Builtin::Randn : Builtin::Random, Type::f64());
  }
  if (name == "randn" || name == "rand") {
    for (std::size_t k = 0; k < pos.size(); ++k) {
      ba.integer(k);
    }
    return ba.make(name == "rand" ? Builtin::RandArray : Builtin::RandnArray,
                   Type::array_of(Scalar::F64, static_cast<int>(pos.size()) - 1));
  }
  if (name == "clock") {
    return ba.make(Builtin::Clock, Type::f64());
  }
  if (name == "seed") {
    ba.integer(0);
    return ba.make(Builtin::Seed, Type::void_());
  }
  if (name == "index") {
    std::int8_t dim = 0;
    if (!pos.empty()) {
      const auto* lit = ast_if<ast::IntLit>(*pos[0]);
      if (!lit || (lit->text != "0" && lit->text != "1")) {
        error(diag::Kind::ArgumentType, span_of(*pos[0]),
              "argument 1 of 'index' must be the dimension 0 or 1");
        return error_expr(at);
      }
      dim = static_cast<std::int8_t>(lit->text[0] - '0');
    }
    if (!fn_->is_kernel) {
      error(diag::Kind::IndexOutsideKernel, at, "'index()' can only be used inside a kernel")
          .notes.push_back({at,
                            "a kernel instance's position exists only in a launch "
                            "k[n](…); in a loop, use the loop variable"});
      return error_expr(at);
    }
    if (dim == 1 && !fn_info_[fn_->id.v].index1) {
      fn_info_[fn_->id.v].index1 = at;
    }
    args.clear();
    return ba.make(Builtin::Index, Type::i64(), dim);
  }
  if (name == "load_npy") {
    ba.string(0);
    Scalar elem;
    if (!type_arg(1, elem)) {
      Type t = ba.value(1);
      if (!t.is_error()) {
        ba.fail(1, "an element type", t);
      }
      return error_expr(at);
    }
    const auto* lit = ast_if<ast::IntLit>(*pos[2]);
    if (!lit || (lit->text != "1" && lit->text != "2")) {
      error(diag::Kind::ArgumentType, span_of(*pos[2]),
            "argument 3 of 'load_npy' must be the rank, 1 or 2");
      return error_expr(at);
    }
    args.resize(1);
    return ba.make(Builtin::LoadNpy, Type::array_of(elem, lit->text[0] - '0'));
  }
  if (name == "npy_blocks" || name == "csv_blocks") {
    return check_block_source(name, pos, at);
  }
  if (name == "npy_append") {
    ba.string(0);
    ba.array(1, "a numeric array", num_or_bool);
    return ba.make(Builtin::NpyAppend, Type::void_());
  }
  if (name == "npy_finish") {
    ba.string(0);
    return ba.make(Builtin::NpyFinish, Type::void_());
  }
  if (name == "save_npy") {
    ba.string(0);
    ba.array(1, "a numeric array", num_or_bool);
    return ba.make(Builtin::SaveNpy, Type::void_());
  }
  return error_expr(at);
}

ExprId Checker::check_conversion(Scalar to, const std::string& name, const ast::CallSuffix& call,
                                 diag::Span at) {
  if (call.args.size() != 1 || call.args[0].keyword) {
    if (call.args.size() == 1) {
      error(diag::Kind::UnknownKeyword, span(call.args[0]),
            "'" + name + "' takes no keyword arguments");
    } else {
      error(diag::Kind::ArityMismatch, at,
            "'" + name + "' takes 1 argument but " + std::to_string(call.args.size()) +
                (call.args.size() == 1 ? " was given" : " were given"));
    }
    return error_expr(at);
  }
  ExprId x = check_value(call.args[0].value);
  Type t = type_of(x);
  if (t.is_error()) {
    return x;
  }
  if (!t.has_elements() || !(ir::is_numeric(t.scalar) || t.scalar == Scalar::Bool)) {
    error(diag::Kind::ArgumentType, span_of(call.args[0].value),
          "cannot convert " + tname(t) + " to " + name);
    return error_expr(at);
  }
  // An explicit conversion gives a typed value, so a literal beside it adapts to it: i32(5) - 1
  // is i32 (a folded literal would otherwise stay untyped and make it i64).
  if (t.scalar == to) {
    untyped_[x.v] = 0;
    return x;
  }
  ExprId converted = convert_elements(x, to);
  program_.exprs[converted.v].span = at;
  untyped_[converted.v] = 0;
  return converted;
}

}  // namespace kestrel::sema
