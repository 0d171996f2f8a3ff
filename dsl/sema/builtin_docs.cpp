#include "dsl/sema/builtin_docs.hpp"

namespace kestrel::sema {

namespace {

// Add an entry with each new builtin (at the end, as the builtin table grows at its end).
constexpr BuiltinDoc kDocs[] = {
    {"print", "print(x, ... [, sep=\" \"] [, end=\"\\n\"])",
     "prints its arguments separated by sep, then end (sep and end are string literals)"},
    {"len", "len(a) -> i64", "the length of an array along axis 0"},
    {"shape", "shape(a, k) -> i64", "the size of an array along axis k (0 or 1)"},
    {"copy", "copy(a)", "a new array with the elements of a (assignment shares the buffer)"},
    {"zeros", "zeros(n | m, n [, elem])", "an array of zeros, f64 unless an element type is given"},
    {"ones", "ones(n | m, n [, elem])", "an array of ones, f64 unless an element type is given"},
    {"empty", "empty(n | m, n [, elem])", "an array whose elements are not initialised"},
    {"full", "full(n | m, n, value [, elem])", "an array with every element equal to value"},
    {"arange", "arange([start,] stop [, step] [, elem])",
     "start, start + step, ... up to but not including stop (f64 unless an element type is given); "
     "integer bounds are exact, a float bound or step follows numpy's float arange (f32 or f64)"},
    {"linspace", "linspace(start, stop, n [, elem])",
     "n evenly spaced values from start to stop, both included"},
    {"exp", "exp(x)", "e to the x, elementwise on arrays"},
    {"log", "log(x)", "the natural logarithm, elementwise on arrays"},
    {"sqrt", "sqrt(x)", "the square root, elementwise on arrays"},
    {"abs", "abs(x)", "the absolute value, elementwise on arrays"},
    {"sin", "sin(x)", "the sine (radians), elementwise on arrays"},
    {"cos", "cos(x)", "the cosine (radians), elementwise on arrays"},
    {"tanh", "tanh(x)", "the hyperbolic tangent, elementwise on arrays"},
    {"sigmoid", "sigmoid(x)", "1 / (1 + exp(-x)), elementwise on arrays"},
    {"floor", "floor(x)", "the largest integer not above x, as a float"},
    {"min", "min(a [, axis=k]) | min(a, b)",
     "the smallest element (per axis), or the elementwise minimum of two values"},
    {"max", "max(a [, axis=k]) | max(a, b)",
     "the largest element (per axis), or the elementwise maximum of two values"},
    {"clip", "clip(x, lo, hi)", "x limited to [lo, hi], elementwise"},
    {"where", "where(cond, a, b)", "a where cond is true, else b, elementwise with broadcasting"},
    {"sum", "sum(a [, axis=k])", "the sum of the elements (per axis); bools count as 1"},
    {"mean", "mean(a [, axis=k])", "the arithmetic mean of the elements (per axis)"},
    {"argmin", "argmin(a [, axis=k]) -> i64", "the index of the first smallest element"},
    {"argmax", "argmax(a [, axis=k]) -> i64", "the index of the first largest element"},
    {"count", "count(mask [, axis=k]) -> i64", "the number of true elements of a bool array"},
    {"any", "any(mask [, axis=k]) -> bool", "whether any element of a bool array is true"},
    {"all", "all(mask [, axis=k]) -> bool", "whether every element of a bool array is true"},
    {"dot", "dot(a, b [, axis=k])", "the dot product of two vectors (of matrices along axis=)"},
    {"random", "random() | random(key, counter) -> f64",
     "a uniform draw in [0, 1): the next of the seeded stream, or a pure function of its two "
     "integers"},
    {"randn", "randn() | randn(key, counter) | randn(n | m, n, seed=k)",
     "a standard normal draw (stream or pure), or an array of them keyed by seed="},
    {"rand", "rand(n | m, n, seed=k)", "an array of uniform draws in [0, 1) keyed by seed="},
    {"seed", "seed(s)", "restarts the random stream at key s"},
    {"index", "index(k) -> i64", "inside a kernel: the instance's position along grid axis k"},
    {"read_csv", "read_csv(path, sep=\",\", fill=nan) -> table",
     "reads a CSV file with a header line; columns by t.f64(\"x\"), t.i64, t.codes, t.labels; "
     "missing floats read as fill (nan by default)"},
    {"load_npy", "load_npy(path, elem, rank)",
     "memory-maps a .npy file of that element type and rank"},
    {"save_npy", "save_npy(path, a)", "writes an array to a .npy file"},
    {"clock", "clock() -> f64", "seconds on a monotonic clock, for timing a piece of work"},
    {"str", "str(x) -> str", "the text print gives for x (a scalar, an array or a table)"},
    {"format", "format(x, spec) -> str",
     "x formatted by Python's format-spec mini-language, e.g. format(3.14159, \".2f\") is 3.14"},
    {"write_csv", "write_csv(path, t)",
     "writes a table as CSV (floats in their shortest round-trip form, text quoted as needed)"},
    {"table", "table(name=column, ...) -> table",
     "a table of 1-D array columns, in the order written"},
    {"with_column", "with_column(t, name, column) -> table", "t with the column added at the end"},
    {"subtable", "subtable(t, columns: str[:], rows: i64[:]) -> table",
     "those columns of t at those rows"},
    {"tan", "tan(x)", "the tangent, elementwise on arrays"},
    {"log10", "log10(x)", "the base-10 logarithm, elementwise on arrays"},
    {"log2", "log2(x)", "the base-2 logarithm, elementwise on arrays"},
    {"ceil", "ceil(x)", "the smallest integral value not below x, elementwise on arrays"},
    {"round", "round(x)", "x rounded to the nearest integral value, halves to even (numpy's)"},
    {"isnan", "isnan(x) -> bool", "whether x is nan, elementwise on arrays"},
    {"isfinite", "isfinite(x) -> bool", "whether x is neither nan nor infinite, elementwise"},
    {"prod", "prod(a, axis=k)", "the product of the elements (of each column or row with axis=)"},
    {"std", "std(a, axis=k, ddof=0) -> f64", "the standard deviation (population unless ddof=)"},
    {"var", "var(a, axis=k, ddof=0) -> f64", "the variance (population unless ddof=)"},
    {"median", "median(a, axis=k) -> f64", "the median (the mean of the middle two when even)"},
    {"cumsum", "cumsum(a, axis=k)", "the running sums (a matrix without axis= is flattened)"},
    {"sort", "sort(a, axis=k)", "a sorted copy, nan last, along the last axis or axis="},
    {"argsort", "argsort(a, axis=k) -> i64[:]",
     "the indices that sort a (stable: ties keep their order)"},
    {"unique", "unique(a)", "the sorted distinct values of a, flattened"},
    {"concatenate", "concatenate(a, b, ..., axis=0)", "the arrays joined in order"},
    {"reshape", "reshape(a, n) | reshape(a, m, n)",
     "a view of a contiguous array with that shape (else of a copy)"},
    {"normal", "normal(key, counter) -> f64",
     "the pure standard normal draw (the stream's randn() after seed(key) is normal(key, n))"},
    {"npy_blocks", "for b in npy_blocks(path, elem, rank, rows)",
     "a .npy file read by blocks of rows, read ahead on another thread, in bounded memory"},
    {"csv_blocks", "for t in csv_blocks(path, rows) or csv_blocks(path, rows, part, parts)",
     "a CSV file (or part `part` of `parts` of its bytes) read as a table per block of rows"},
    {"npy_append", "npy_append(path, a)", "appends rows to a .npy file being written by blocks"},
    {"npy_finish", "npy_finish(path)", "writes the header of a .npy file built by npy_append"},
    {"assert", "assert(cond, message)",
     "a runtime error saying message when cond is false (located at the caller's line for a "
     "module's code)"},
    {"rank", "rank() -> i64", "this process's rank under mpirun, 0 to ranks() - 1 (else 0)"},
    {"ranks", "ranks() -> i64", "how many ranks run the program (mpirun -np N; else 1)"},
    {"allreduce", "allreduce(x, \"sum\" | \"min\" | \"max\")",
     "x combined over every rank in rank order (sum by default); every rank gets the same bits"},
    {"broadcast", "broadcast(x, root)", "root's x, on every rank"},
    {"gather", "gather(x)",
     "every rank's x stacked in rank order, on every rank: a scalar gives ranks() elements, "
     "arrays are joined along their first axis"},
};

}  // namespace

std::vector<BuiltinDoc> builtin_docs() { return {std::begin(kDocs), std::end(kDocs)}; }

const BuiltinDoc* find_builtin_doc(std::string_view name) {
  for (const BuiltinDoc& d : kDocs) {
    if (name == d.name) {
      return &d;
    }
  }
  return nullptr;
}

}  // namespace kestrel::sema
