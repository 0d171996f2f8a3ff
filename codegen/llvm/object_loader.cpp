// The object loader (object_loader.hpp): an ELF64 x86-64 ET_REL file, read with every field
// bounds-checked, laid out in one mapping (code, then read-only data, then writable data, each
// page-aligned so each gets its own protection), relocated, and its .eh_frame registered with the
// C++ unwinder as ORC's JITLink does (with the zero terminator libgcc's walk expects).
#include "codegen/llvm/object_loader.hpp"

#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

extern "C" void __register_frame(void*);    // libgcc / libunwind
extern "C" void __deregister_frame(void*);  // NOLINT(bugprone-reserved-identifier)

namespace kestrel::jit {

namespace {

#ifndef SHT_X86_64_UNWIND
constexpr std::uint32_t SHT_X86_64_UNWIND = 0x70000001;
#endif

/// A copy of the T at `offset` in `file`, or false when it does not fit.
template <class T>
[[maybe_unused]] bool read_at(std::string_view file, std::uint64_t offset, T* out) {
  if (offset > file.size() || file.size() - offset < sizeof(T)) {
    return false;
  }
  std::memcpy(out, file.data() + offset, sizeof(T));
  return true;
}

/// The NUL-terminated name at `offset` of string table `table`, or nothing.
[[maybe_unused]] std::string_view name_at(std::string_view file, const Elf64_Shdr& table,
                                          std::uint64_t offset) {
  if (table.sh_type != SHT_STRTAB || table.sh_offset > file.size() ||
      file.size() - table.sh_offset < table.sh_size || offset >= table.sh_size) {
    return {};
  }
  std::string_view names = file.substr(table.sh_offset, table.sh_size);
  std::size_t end = names.find('\0', offset);
  return end == std::string_view::npos ? std::string_view() : names.substr(offset, end - offset);
}

[[maybe_unused]] std::uint64_t align_up(std::uint64_t v, std::uint64_t a) {
  return (v + a - 1) & ~(a - 1);
}

}  // namespace

std::unique_ptr<LoadedObject> LoadedObject::load(std::string_view file, const Resolver& resolve,
                                                 std::string* why) {
  auto fail = [&](std::string reason) -> std::unique_ptr<LoadedObject> {
    *why = std::move(reason);
    return nullptr;
  };
#if !defined(__x86_64__) || !defined(__linux__)
  (void)file;
  (void)resolve;
  return fail("the object loader links x86-64 Linux code only");
#else
  Elf64_Ehdr eh;
  if (!read_at(file, 0, &eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
      eh.e_type != ET_REL || eh.e_machine != EM_X86_64 || eh.e_shentsize != sizeof(Elf64_Shdr)) {
    return fail("not an x86-64 ELF relocatable object");
  }
  if (eh.e_shnum == 0 || eh.e_shnum >= SHN_LORESERVE || eh.e_shoff > file.size() ||
      (file.size() - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum) {
    return fail("its section headers do not fit in the file");
  }
  const std::size_t nsec = eh.e_shnum;
  std::vector<Elf64_Shdr> sec(nsec);
  for (std::size_t k = 0; k < nsec; ++k) {
    read_at(file, eh.e_shoff + k * sizeof(Elf64_Shdr), &sec[k]);
  }
  const Elf64_Shdr* names = eh.e_shstrndx < nsec ? &sec[eh.e_shstrndx] : nullptr;

  // Layout: three page-aligned parts, code, read-only data (with .eh_frame, relocated before
  // the part is made read-only) and writable data.
  const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  std::vector<std::uint64_t> offset(nsec, 0);
  std::vector<char> loaded(nsec, 0);
  std::uint64_t part_size[3] = {0, 0, 0};
  std::size_t eh_frame = nsec;
  for (int part = 0; part < 3; ++part) {
    for (std::size_t k = 1; k < nsec; ++k) {
      const Elf64_Shdr& s = sec[k];
      if ((s.sh_flags & SHF_ALLOC) == 0) {
        continue;
      }
      const int p = (s.sh_flags & SHF_EXECINSTR) != 0 ? 0 : (s.sh_flags & SHF_WRITE) != 0 ? 2 : 1;
      if (p != part) {
        continue;
      }
      if ((s.sh_flags & SHF_TLS) != 0 || (s.sh_flags & SHF_GROUP) != 0) {
        return fail("a thread-local or grouped section");
      }
      std::uint64_t align = std::max<std::uint64_t>(s.sh_addralign, 1);
      if ((align & (align - 1)) != 0 || align > page || s.sh_size > (std::uint64_t{1} << 32)) {
        return fail("a section's alignment or size is out of range");
      }
      if (s.sh_type != SHT_NOBITS &&
          (s.sh_offset > file.size() || file.size() - s.sh_offset < s.sh_size)) {
        return fail("a section's contents do not fit in the file");
      }
      std::string_view name = names != nullptr ? name_at(file, *names, s.sh_name) : "";
      offset[k] = align_up(part_size[part], align);
      part_size[part] = offset[k] + s.sh_size;
      loaded[k] = 1;
      if (s.sh_type == SHT_X86_64_UNWIND || name == ".eh_frame") {
        if (eh_frame != nsec) {
          return fail("two .eh_frame sections");
        }
        eh_frame = k;
        part_size[part] += 4;  // the terminator the unwinder's walk stops at
      }
    }
  }
  std::uint64_t part_start[3];
  std::uint64_t total = 0;
  for (int part = 0; part < 3; ++part) {
    part_start[part] = total;
    total += align_up(part_size[part], page);
  }
  if (total == 0) {
    return fail("no code");
  }

  std::unique_ptr<LoadedObject> obj(new LoadedObject);
  void* base = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    return fail("out of memory for the code");
  }
  obj->base_ = base;
  obj->size_ = total;
  auto* bytes = static_cast<unsigned char*>(base);
  std::vector<std::uint64_t> address(nsec, 0);
  for (std::size_t k = 1; k < nsec; ++k) {
    if (loaded[k] == 0) {
      continue;
    }
    const Elf64_Shdr& s = sec[k];
    const int p = (s.sh_flags & SHF_EXECINSTR) != 0 ? 0 : (s.sh_flags & SHF_WRITE) != 0 ? 2 : 1;
    offset[k] += part_start[p];
    address[k] = reinterpret_cast<std::uint64_t>(bytes + offset[k]);
    if (s.sh_type != SHT_NOBITS && s.sh_size > 0) {
      std::memcpy(bytes + offset[k], file.data() + s.sh_offset, s.sh_size);
    }
  }

  // Symbols: the one symbol table, and the string table it names.
  std::size_t symtab = nsec;
  for (std::size_t k = 1; k < nsec; ++k) {
    if (sec[k].sh_type == SHT_SYMTAB) {
      if (symtab != nsec) {
        return fail("two symbol tables");
      }
      symtab = k;
    }
  }
  if (symtab == nsec || sec[symtab].sh_entsize != sizeof(Elf64_Sym) ||
      sec[symtab].sh_link >= nsec || sec[symtab].sh_offset > file.size() ||
      file.size() - sec[symtab].sh_offset < sec[symtab].sh_size) {
    return fail("no usable symbol table");
  }
  const Elf64_Shdr& strtab = sec[sec[symtab].sh_link];
  const std::size_t nsym = sec[symtab].sh_size / sizeof(Elf64_Sym);
  std::vector<Elf64_Sym> sym(nsym);
  std::vector<std::uint64_t> value(nsym, 0);
  std::vector<char> bound(nsym, 0);  // 1: value holds its address; 2: undefined, not looked up
  for (std::size_t i = 0; i < nsym; ++i) {
    read_at(file, sec[symtab].sh_offset + i * sizeof(Elf64_Sym), &sym[i]);
    const Elf64_Sym& s = sym[i];
    const unsigned type = ELF64_ST_TYPE(s.st_info);
    const unsigned binding = ELF64_ST_BIND(s.st_info);
    if (type == STT_TLS || type == STT_GNU_IFUNC) {
      return fail("a thread-local or indirect symbol");
    }
    if (s.st_shndx == SHN_UNDEF) {
      bound[i] = i == 0 ? 1 : 2;
    } else if (s.st_shndx == SHN_ABS) {
      value[i] = s.st_value;
      bound[i] = 1;
    } else if (s.st_shndx >= SHN_LORESERVE || s.st_shndx >= nsec) {
      return fail("a common or out-of-range symbol");
    } else if (loaded[s.st_shndx] != 0) {
      if (s.st_value > sec[s.st_shndx].sh_size) {
        return fail("a symbol outside its section");
      }
      value[i] = address[s.st_shndx] + s.st_value;
      bound[i] = 1;
      if ((binding == STB_GLOBAL || binding == STB_WEAK) && type != STT_SECTION) {
        std::string_view name = name_at(file, strtab, s.st_name);
        if (!name.empty()) {
          obj->symbols_[std::string(name)] = reinterpret_cast<void*>(value[i]);
        }
      }
    }  // else: defined in a section that is not loaded; only its relocations could use it
  }

  // Relocations of the loaded sections.
  for (std::size_t k = 1; k < nsec; ++k) {
    const Elf64_Shdr& r = sec[k];
    if (r.sh_type == SHT_REL) {
      return fail("SHT_REL relocations");
    }
    if (r.sh_type != SHT_RELA || r.sh_info >= nsec || loaded[r.sh_info] == 0) {
      continue;
    }
    if (r.sh_link != symtab || r.sh_entsize != sizeof(Elf64_Rela) || r.sh_offset > file.size() ||
        file.size() - r.sh_offset < r.sh_size) {
      return fail("a malformed relocation section");
    }
    const Elf64_Shdr& target = sec[r.sh_info];
    if (target.sh_type == SHT_NOBITS) {
      return fail("relocations in a section without contents");
    }
    for (std::uint64_t off = 0; off + sizeof(Elf64_Rela) <= r.sh_size; off += sizeof(Elf64_Rela)) {
      Elf64_Rela rela;
      read_at(file, r.sh_offset + off, &rela);
      const std::size_t i = ELF64_R_SYM(rela.r_info);
      const std::uint32_t type = ELF64_R_TYPE(rela.r_info);
      if (type == R_X86_64_NONE) {
        continue;
      }
      if (i >= nsym || bound[i] == 0) {
        return fail("a relocation against a symbol it cannot place");
      }
      if (bound[i] == 2) {
        std::string_view name = name_at(file, strtab, sym[i].st_name);
        void* to = name.empty() ? nullptr : resolve(name);
        if (to == nullptr) {
          return fail("undefined symbol '" + std::string(name) + "'");
        }
        value[i] = reinterpret_cast<std::uint64_t>(to);
        bound[i] = 1;
      }
      const std::size_t width = type == R_X86_64_64 || type == R_X86_64_PC64 ? 8 : 4;
      if (rela.r_offset > target.sh_size || target.sh_size - rela.r_offset < width) {
        return fail("a relocation outside its section");
      }
      unsigned char* at = bytes + offset[r.sh_info] + rela.r_offset;
      const std::uint64_t s = value[i] + static_cast<std::uint64_t>(rela.r_addend);
      const std::uint64_t p = reinterpret_cast<std::uint64_t>(at);
      std::uint64_t word = 0;
      switch (type) {
        case R_X86_64_64:
          word = s;
          break;
        case R_X86_64_PC64:
          word = s - p;
          break;
        case R_X86_64_PC32:
        case R_X86_64_PLT32: {
          const auto d = static_cast<std::int64_t>(s - p);
          if (d < std::numeric_limits<std::int32_t>::min() ||
              d > std::numeric_limits<std::int32_t>::max()) {
            return fail("a 32-bit PC-relative reference out of range");
          }
          word = static_cast<std::uint64_t>(d);
          break;
        }
        case R_X86_64_32:
          if (s > std::numeric_limits<std::uint32_t>::max()) {
            return fail("a 32-bit reference out of range");
          }
          word = s;
          break;
        case R_X86_64_32S: {
          const auto v = static_cast<std::int64_t>(s);
          if (v < std::numeric_limits<std::int32_t>::min() ||
              v > std::numeric_limits<std::int32_t>::max()) {
            return fail("a 32-bit reference out of range");
          }
          word = s;
          break;
        }
        default:
          return fail("relocation type " + std::to_string(type));
      }
      std::memcpy(at, &word, width);  // little-endian: the low `width` bytes
    }
  }

  if (part_size[0] > 0 &&
      ::mprotect(bytes + part_start[0], align_up(part_size[0], page), PROT_READ | PROT_EXEC) != 0) {
    return fail("the code cannot be made executable");
  }
  if (part_size[1] > 0 &&
      ::mprotect(bytes + part_start[1], align_up(part_size[1], page), PROT_READ) != 0) {
    return fail("the read-only data cannot be protected");
  }
  if (eh_frame != nsec && sec[eh_frame].sh_size >= 4) {
    std::uint32_t first = 0;
    std::memcpy(&first, bytes + offset[eh_frame], 4);
    if (first != 0) {  // the terminator after it is zero already (fresh mapping)
      obj->eh_frame_ = bytes + offset[eh_frame];
      __register_frame(obj->eh_frame_);
    }
  }
  return obj;
#endif
}

LoadedObject::~LoadedObject() {
  if (eh_frame_ != nullptr) {
    __deregister_frame(eh_frame_);
  }
  if (base_ != nullptr) {
    ::munmap(base_, size_);
  }
}

void* LoadedObject::symbol(const std::string& name) const {
  auto it = symbols_.find(name);
  return it == symbols_.end() ? nullptr : it->second;
}

}  // namespace kestrel::jit
