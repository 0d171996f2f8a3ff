#include "runtime/npy.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "runtime/limits.hpp"
#include "runtime/replace_file.hpp"

namespace kestrel::rt {

namespace {

const char* descr_of(Elem e) {
  switch (e) {
    case Elem::Bool:
      return "|b1";
    case Elem::I32:
      return "<i4";
    case Elem::I64:
      return "<i8";
    case Elem::F32:
      return "<f4";
    case Elem::F64:
      return "<f8";
    case Elem::Str:
      break;
  }
  return "";
}

// The element type of a descr, or false when Kestrel has none for it.
bool elem_of_descr(std::string_view d, Elem& out) {
  static const std::pair<std::string_view, Elem> kKnown[] = {{"|b1", Elem::Bool},
                                                             {"<i4", Elem::I32},
                                                             {"<i8", Elem::I64},
                                                             {"<f4", Elem::F32},
                                                             {"<f8", Elem::F64}};
  for (const auto& [name, e] : kKnown) {
    if (d == name) {
      out = e;
      return true;
    }
  }
  return false;
}

// The text after `'key':` in a header dict, with leading spaces removed.
std::string_view after_key(std::string_view header, std::string_view key) {
  std::string quoted = "'" + std::string(key) + "'";
  std::size_t k = header.find(quoted);
  if (k == std::string_view::npos) {
    return {};
  }
  k = header.find(':', k + quoted.size());
  if (k == std::string_view::npos) {
    return {};
  }
  std::string_view rest = header.substr(k + 1);
  while (!rest.empty() && rest.front() == ' ') {
    rest.remove_prefix(1);
  }
  return rest;
}

struct Mapping {
  void* base = MAP_FAILED;
  std::size_t bytes = 0;
  ~Mapping() {
    if (base != MAP_FAILED) {
      munmap(base, bytes);
    }
  }
};

}  // namespace

NpyLayout npy_layout(const std::string& path, const unsigned char* bytes, std::size_t avail,
                     std::uint64_t file_size, Elem elem, int rank) {
  if (avail < 10 || std::memcmp(bytes, "\x93NUMPY", 6) != 0) {
    raise(path + ": not a .npy file");
  }
  unsigned major = bytes[6];
  std::size_t header_len = 0;
  std::size_t header_start = 0;
  if (major == 1) {
    header_len = bytes[8] | (static_cast<std::size_t>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (avail < 12) {
      raise(path + ": not a .npy file");
    }
    header_len = bytes[8] | (static_cast<std::size_t>(bytes[9]) << 8) |
                 (static_cast<std::size_t>(bytes[10]) << 16) |
                 (static_cast<std::size_t>(bytes[11]) << 24);
    header_start = 12;
  } else {
    raise(path + ": unsupported .npy format version " + std::to_string(major));
  }
  if (header_start + header_len > avail) {
    raise(path + ": truncated .npy header");
  }
  std::string_view header(reinterpret_cast<const char*>(bytes) + header_start, header_len);

  std::string_view descr = after_key(header, "descr");
  if (descr.size() < 2 || (descr[0] != '\'' && descr[0] != '"')) {
    raise(path + ": .npy header has no dtype");
  }
  descr = descr.substr(1, descr.find(descr[0], 1) - 1);
  Elem file_elem;
  if (!elem_of_descr(descr, file_elem)) {
    if (descr.size() == 3 && descr[0] == '>') {
      raise(path + ": holds big-endian data ('" + std::string(descr) +
            "'), which Kestrel cannot load");
    }
    raise(path + ": holds dtype '" + std::string(descr) + "', which Kestrel cannot load");
  }
  if (file_elem != elem) {
    raise(path + ": holds " + elem_name(file_elem) + " data, not " + elem_name(elem));
  }
  std::string_view fortran = after_key(header, "fortran_order");
  if (fortran.substr(0, 4) == "True") {
    raise(path + ": is in Fortran order (Kestrel loads C-order files)");
  }
  std::string_view shape_text = after_key(header, "shape");
  if (shape_text.empty() || shape_text.front() != '(') {
    raise(path + ": .npy header has no shape");
  }
  shape_text = shape_text.substr(1, shape_text.find(')') - 1);
  std::vector<std::int64_t> dims;
  std::size_t k = 0;
  while (k < shape_text.size()) {
    while (k < shape_text.size() && (shape_text[k] == ' ' || shape_text[k] == ',')) {
      ++k;
    }
    if (k >= shape_text.size()) {
      break;
    }
    std::int64_t d = 0;
    bool any = false;
    while (k < shape_text.size() && shape_text[k] >= '0' && shape_text[k] <= '9') {
      if (__builtin_mul_overflow(d, 10, &d) || __builtin_add_overflow(d, shape_text[k] - '0', &d)) {
        raise(path + ": .npy header's shape is larger than the file");
      }
      any = true;
      ++k;
    }
    if (!any) {
      raise(path + ": bad shape in .npy header");
    }
    dims.push_back(d);
  }
  if (static_cast<int>(dims.size()) != rank) {
    raise(path + ": has rank " + std::to_string(dims.size()) + ", not " + std::to_string(rank));
  }
  // The data's size in checked arithmetic: a shape whose product wraps around 64 bits once
  // passed the size test below and the loop read past the mapping.
  std::uint64_t count64 = 1;
  std::uint64_t data_bytes = 0;
  for (std::int64_t d : dims) {
    if (__builtin_mul_overflow(count64, static_cast<std::uint64_t>(d), &count64)) {
      raise(path + ": .npy header's shape is larger than the file");
    }
  }
  if (__builtin_mul_overflow(count64, elem_size(elem), &data_bytes)) {
    raise(path + ": .npy header's shape is larger than the file");
  }
  std::size_t data_offset = header_start + header_len;
  if (data_bytes > file_size - data_offset) {
    raise(path + ": truncated .npy data");
  }
  NpyLayout out;
  out.shape = rank == 2 ? Shape(dims[0], dims[1]) : Shape(dims[0]);
  out.count = count64;
  out.data_offset = data_offset;
  return out;
}

ArrayRef load_npy(const std::string& path, Elem elem, int rank) {
  check_io("load_npy", path);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    raise(path + ": cannot open file");
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    ::close(fd);
    raise(path + ": cannot read file");
  }
  Mapping map;
  map.bytes = static_cast<std::size_t>(st.st_size);
  if (map.bytes < 10) {
    ::close(fd);
    raise(path + ": not a .npy file");
  }
  map.base = mmap(nullptr, map.bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map.base == MAP_FAILED) {
    raise(path + ": cannot map file");
  }
  NpyLayout layout = npy_layout(path, static_cast<const unsigned char*>(map.base), map.bytes,
                                map.bytes, elem, rank);
  Shape shape = layout.shape;
  auto count = static_cast<std::size_t>(layout.count);
  std::size_t data_offset = layout.data_offset;
  void* data = static_cast<unsigned char*>(map.base) + data_offset;
  if (data_offset % elem_size(elem) != 0) {
    // Misaligned data (a header length numpy never writes): copy it out.
    ArrayRef a = alloc(shape, elem);
    std::memcpy(a->data, data, count * elem_size(elem));
    return a;
  }
  Buffer* b = Buffer::adopt_mapping(map.base, map.bytes, data, elem, count);
  map.base = MAP_FAILED;  // the buffer owns the mapping now
  ArrayRef a = wrap(data, shape, elem);
  // wrap() made an External buffer around the same memory; swap in the mapping buffer.
  a->buffer->release();
  a->buffer = b;
  if (elem == Elem::Bool) {
    for (std::size_t i = 0; i < count; ++i) {
      static_cast<unsigned char*>(data)[i] = static_cast<unsigned char*>(data)[i] != 0;
    }
  }
  return a;
}

std::string npy_header(Elem elem, Shape shape) {
  std::string dict = std::string("{'descr': '") + descr_of(elem) +
                     "', 'fortran_order': False, 'shape': (" + std::to_string(shape.dims[0]) +
                     (shape.rank == 2 ? ", " + std::to_string(shape.dims[1]) + ")" : ",)") + ", }";
  std::size_t total = 10 + dict.size() + 1;
  std::size_t padded = (total + 63) / 64 * 64;
  dict.append(padded - total, ' ');
  dict += '\n';
  std::string head = "\x93NUMPY";
  head += static_cast<char>(1);
  head += static_cast<char>(0);
  head += static_cast<char>(dict.size() & 0xff);
  head += static_cast<char>((dict.size() >> 8) & 0xff);
  head += dict;
  return head;
}

void save_npy(const std::string& path, const Array& a) {
  check_io("save_npy", path);
  if (a.elem == Elem::Str) {
    raise(path + ": save_npy takes numeric or bool arrays, not strings");
  }
  std::string head = npy_header(a.elem, shape_of(a));
  ArrayRef dense;
  const Array* src = &a;
  if (!a.is_contiguous()) {
    dense = copy(a);
    src = dense.get();
  }
  std::size_t bytes = static_cast<std::size_t>(src->size()) * elem_size(src->elem);
  replace_file(path, [&](std::FILE* f) {
    return std::fwrite(head.data(), 1, head.size(), f) == head.size() &&
           (bytes == 0 || std::fwrite(src->data, 1, bytes, f) == bytes);
  });
}

}  // namespace kestrel::rt
