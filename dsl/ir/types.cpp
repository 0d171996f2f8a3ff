#include "dsl/ir/types.hpp"

#include <algorithm>

namespace kestrel::ir {

std::string_view scalar_name(Scalar s) {
  switch (s) {
    case Scalar::Bool:
      return "bool";
    case Scalar::I32:
      return "i32";
    case Scalar::I64:
      return "i64";
    case Scalar::F32:
      return "f32";
    case Scalar::F64:
      return "f64";
    case Scalar::Str:
      return "str";
  }
  return "?";
}

bool parse_scalar_name(std::string_view name, Scalar& out) {
  static constexpr Scalar kAll[] = {Scalar::Bool, Scalar::I32, Scalar::I64,
                                    Scalar::F32,  Scalar::F64, Scalar::Str};
  for (Scalar s : kAll) {
    if (scalar_name(s) == name) {
      out = s;
      return true;
    }
  }
  return false;
}

Type TypeTable::tuple(const std::vector<Type>& elems) {
  auto it = std::find(tuples_.begin(), tuples_.end(), elems);
  std::uint32_t index = static_cast<std::uint32_t>(it - tuples_.begin());
  if (it == tuples_.end()) {
    tuples_.push_back(elems);
  }
  Type t;
  t.kind = TypeKind::Tuple;
  t.tuple = index;
  return t;
}

std::string type_name(const TypeTable& table, Type type) {
  switch (type.kind) {
    case TypeKind::Error:
      return "<error>";
    case TypeKind::Void:
      return "void";
    case TypeKind::Table:
      return "table";
    case TypeKind::Scalar:
      return std::string(scalar_name(type.scalar));
    case TypeKind::Array:
      return std::string(scalar_name(type.scalar)) + (type.rank == 1 ? "[:]" : "[:,:]");
    case TypeKind::Tuple: {
      std::string out = "(";
      const auto& elems = table.elems(type);
      for (std::size_t i = 0; i < elems.size(); ++i) {
        out += (i ? ", " : "") + type_name(table, elems[i]);
      }
      return out + ")";
    }
  }
  return "?";
}

}  // namespace kestrel::ir
