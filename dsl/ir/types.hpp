#pragma once
// Kestrel's types as a small value: one 8-byte struct, compared with ==, switched on by kind.
// Tuple types are interned in a TypeTable, so two equal tuple types have the same id.
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kestrel::ir {

/// The element types: scalars, and what arrays hold.
enum class Scalar : std::uint8_t { Bool, I32, I64, F32, F64, Str };

enum class TypeKind : std::uint8_t {
  Error,   // an expression that already failed to check; suppresses follow-on diagnostics
  Void,    // the result of a call that returns nothing
  Scalar,  // `scalar`
  Array,   // `scalar` elements, `rank` 1 or 2
  Tuple,   // `tuple` indexes TypeTable
  Table,   // what read_csv returns
};

/// A type: a kind plus the fields that kind uses (the others are zero).
struct Type {
  TypeKind kind = TypeKind::Error;
  Scalar scalar = Scalar::Bool;
  std::uint8_t rank = 0;
  std::uint32_t tuple = 0;

  static constexpr Type error() { return Type{}; }
  static constexpr Type void_() { return Type{TypeKind::Void, Scalar::Bool, 0, 0}; }
  static constexpr Type table() { return Type{TypeKind::Table, Scalar::Bool, 0, 0}; }
  static constexpr Type scalar_of(Scalar s) { return Type{TypeKind::Scalar, s, 0, 0}; }
  static constexpr Type array_of(Scalar s, int r) {
    return Type{TypeKind::Array, s, static_cast<std::uint8_t>(r), 0};
  }
  static constexpr Type boolean() { return scalar_of(Scalar::Bool); }
  static constexpr Type i32() { return scalar_of(Scalar::I32); }
  static constexpr Type i64() { return scalar_of(Scalar::I64); }
  static constexpr Type f32() { return scalar_of(Scalar::F32); }
  static constexpr Type f64() { return scalar_of(Scalar::F64); }
  static constexpr Type str() { return scalar_of(Scalar::Str); }

  bool is_error() const { return kind == TypeKind::Error; }
  bool is_void() const { return kind == TypeKind::Void; }
  bool is_scalar() const { return kind == TypeKind::Scalar; }
  bool is_array() const { return kind == TypeKind::Array; }
  bool is_tuple() const { return kind == TypeKind::Tuple; }
  bool is_table() const { return kind == TypeKind::Table; }
  /// A scalar or an array (the things elementwise operators take).
  bool has_elements() const { return is_scalar() || is_array(); }
  /// The scalar type of one element (the type itself for scalars).
  Type element() const { return scalar_of(scalar); }
  /// This type's shape with another element type (scalar stays scalar, array keeps its rank).
  Type with_scalar(Scalar s) const {
    Type t = *this;
    t.scalar = s;
    return t;
  }

  friend bool operator==(const Type&, const Type&) = default;
};

inline bool is_integer(Scalar s) { return s == Scalar::I32 || s == Scalar::I64; }
inline bool is_float(Scalar s) { return s == Scalar::F32 || s == Scalar::F64; }
inline bool is_numeric(Scalar s) { return is_integer(s) || is_float(s); }

/// `i64`, `f32`, …
std::string_view scalar_name(Scalar s);
/// Parses a scalar type name (`f64`); false when `name` is not one.
bool parse_scalar_name(std::string_view name, Scalar& out);

/// Interns tuple types: the element lists, indexed by Type::tuple.
class TypeTable {
 public:
  Type tuple(const std::vector<Type>& elems);
  const std::vector<Type>& elems(Type tuple) const { return tuples_.at(tuple.tuple); }
  std::size_t tuple_count() const { return tuples_.size(); }

 private:
  std::vector<std::vector<Type>> tuples_;
};

/// `f64[:,:]`, `(i64[:], f64)`, `table`: the type as a user writes it.
std::string type_name(const TypeTable& table, Type type);

}  // namespace kestrel::ir
