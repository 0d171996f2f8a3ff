// The JIT's on-disk object cache (see object_cache.hpp): the key, the entry format and the
// atomic write.
#include "codegen/llvm/object_cache.hpp"

#include <dlfcn.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Support/xxhash.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

namespace kestrel::jit::cache {

namespace {

constexpr char kMagic[8] = {'K', 'S', 'T', 'R', 'L', 'J', 'I', 'T'};
// Bump when the entry layout or anything the cached code assumes changes.
constexpr std::uint32_t kFormatVersion = 2;
constexpr std::size_t kHeaderSize = 8 + 4 + 4 + 8 + 8;  // magic, version, 0, length, checksum
// What the folder may hold before store() trims it to half.
constexpr std::uintmax_t kMaxCacheBytes = std::uintmax_t{256} << 20;

/// Appends fixed-width little-endian integers and length-prefixed strings.
class Writer {
 public:
  template <class T>
  void num(T v) {
    static_assert(std::is_integral_v<T>);
    auto u = static_cast<std::uint64_t>(v);
    for (std::size_t k = 0; k < sizeof(T); ++k) {
      out_.push_back(static_cast<char>((u >> (8 * k)) & 0xff));
    }
  }
  void str(std::string_view s) {
    num<std::uint64_t>(s.size());
    out_.append(s);
  }
  void span(const diag::Span& s) {
    num(s.file);
    num(s.begin);
    num(s.end);
  }
  void type(const ir::Type& t) {
    num(static_cast<std::uint8_t>(t.kind));
    num(static_cast<std::uint8_t>(t.scalar));
    num(t.rank);
    num(t.tuple);
  }
  void types(const std::vector<ir::Type>& ts) {
    num<std::uint64_t>(ts.size());
    for (const ir::Type& t : ts) {
      type(t);
    }
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

/// Reads what Writer wrote; every read is bounds-checked and sets ok() false past the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }

  template <class T>
  T num() {
    if (!ok_ || in_.size() - pos_ < sizeof(T)) {
      ok_ = false;
      return T{};
    }
    std::uint64_t u = 0;
    for (std::size_t k = 0; k < sizeof(T); ++k) {
      u |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[pos_ + k])) << (8 * k);
    }
    pos_ += sizeof(T);
    return static_cast<T>(u);
  }
  std::string str() {
    auto n = num<std::uint64_t>();
    if (!ok_ || in_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  /// A count of items each at least `min_size` bytes long; 0 (and not ok) when it cannot fit.
  std::size_t count(std::size_t min_size) {
    auto n = num<std::uint64_t>();
    if (!ok_ || n > (in_.size() - pos_) / std::max<std::size_t>(min_size, 1)) {
      ok_ = false;
      return 0;
    }
    return static_cast<std::size_t>(n);
  }
  diag::Span span() {
    diag::Span s;
    s.file = num<std::uint32_t>();
    s.begin = num<std::uint32_t>();
    s.end = num<std::uint32_t>();
    return s;
  }
  ir::Type type() {
    ir::Type t;
    auto kind = num<std::uint8_t>();
    auto scalar = num<std::uint8_t>();
    if (kind > static_cast<std::uint8_t>(ir::TypeKind::Table) ||
        scalar > static_cast<std::uint8_t>(ir::Scalar::Str)) {
      ok_ = false;
    }
    t.kind = static_cast<ir::TypeKind>(kind);
    t.scalar = static_cast<ir::Scalar>(scalar);
    t.rank = num<std::uint8_t>();
    t.tuple = num<std::uint32_t>();
    return t;
  }
  std::vector<ir::Type> types() {
    std::vector<ir::Type> ts(count(7));
    for (ir::Type& t : ts) {
      t = type();
    }
    return ts;
  }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

/// Identifies the compiler that produced the code (lowering changes between builds): the path,
/// size and modification time of the binary or shared library holding this function.
std::string compiler_identity() {
  static const std::string identity = [] {
    std::string path = "/proc/self/exe";
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&compiler_identity), &info) != 0 &&
        info.dli_fname != nullptr && info.dli_fname[0] == '/') {
      path = info.dli_fname;
    }
    struct stat st {};
    std::string id = path;
    if (::stat(path.c_str(), &st) == 0) {
      id += ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
            std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ino);
    }
    return id;
  }();
  return identity;
}

/// Feeds every span of the program (they end up in the site table and so in error messages).
void hash_spans(llvm::SHA256& h, const ir::Program& program) {
  Writer w;
  for (const ir::Expr& e : program.exprs) {
    w.span(e.span);
  }
  for (const ir::Stmt& s : program.stmts) {
    w.span(s.span);
  }
  for (const ir::Function& f : program.functions) {
    w.span(f.span);
    for (const ir::Local& l : f.locals) {
      w.span(l.span);
    }
  }
  for (const ir::Module& m : program.modules) {
    w.str(m.name);
    w.num(m.file);
  }
  h.update(w.bytes());
}

void hash_field(llvm::SHA256& h, std::string_view field) {
  Writer w;
  w.str(field);
  h.update(w.bytes());
}

}  // namespace

std::string key_of(const ir::Program& program, const Options& options, std::string_view cpu,
                   std::string_view features) {
  llvm::SHA256 h;
  hash_field(h, "kestrel-jit-object");
  hash_field(h, std::to_string(kFormatVersion));
  hash_field(h, LLVM_VERSION_STRING);
  hash_field(h, compiler_identity());
  hash_field(h, cpu);
  hash_field(h, features);
  hash_field(h, std::to_string(options.opt_level));
  std::string roots;  // a program compiled for some roots lacks the other functions
  for (ir::FnId fn : options.roots) {
    roots += std::to_string(fn.v) + ",";
  }
  hash_field(h, roots);
  std::string pipeline = std::to_string(static_cast<int>(options.pipeline)) + ":";
  for (ir::FnId fn : options.hot) {  // the functions optimised in full
    pipeline += std::to_string(fn.v) + ",";
  }
  hash_field(h, pipeline);
  hash_field(h, options.gpu != nullptr && !options.gpu->empty() ? "gpu" : "cpu");
  hash_field(h, ir::dump(program));
  hash_spans(h, program);
  auto digest = h.final();
  static const char* kHex = "0123456789abcdef";
  std::string key;
  for (std::uint8_t b : digest) {
    key.push_back(kHex[b >> 4]);
    key.push_back(kHex[b & 15]);
  }
  return key;
}

std::filesystem::path entry_path(const std::filesystem::path& dir, const std::string& key) {
  return dir / (key + ".kjo");
}

std::optional<Entry> load(const std::filesystem::path& dir, const std::string& key) {
  if (dir.empty()) {
    return std::nullopt;
  }
  std::ifstream in(entry_path(dir, key), std::ios::binary | std::ios::ate);
  if (!in) {
    return std::nullopt;
  }
  std::string file(static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0)), '\0');
  in.seekg(0);
  if (!in.read(file.data(), static_cast<std::streamsize>(file.size()))) {
    return std::nullopt;
  }
  if (file.size() < kHeaderSize || std::memcmp(file.data(), kMagic, sizeof(kMagic)) != 0) {
    return std::nullopt;
  }
  Reader header(std::string_view(file).substr(sizeof(kMagic), kHeaderSize - sizeof(kMagic)));
  auto version = header.num<std::uint32_t>();
  header.num<std::uint32_t>();
  auto length = header.num<std::uint64_t>();
  auto checksum = header.num<std::uint64_t>();
  std::string_view payload = std::string_view(file).substr(kHeaderSize);
  if (!header.ok() || version != kFormatVersion || length != payload.size() ||
      checksum != llvm::xxh3_64bits(llvm::StringRef(payload.data(), payload.size()))) {
    return std::nullopt;
  }
  Reader r(payload);
  if (r.str() != key) {
    return std::nullopt;
  }
  Entry e;
  e.object = r.str();
  e.data_layout = r.str();
  e.tables.sites.resize(r.count(12));
  for (diag::Span& s : e.tables.sites) {
    s = r.span();
  }
  for (std::size_t n = r.count(8); n > 0 && r.ok(); --n) {
    e.tables.strings.push_back(r.str());
  }
  e.tables.sigs.resize(r.count(8 * 3));
  for (FnSig& sig : e.tables.sigs) {
    sig.name = r.str();
    sig.symbol = r.str();
    sig.entry = r.str();
    sig.params = r.types();
    sig.flat_params = r.types();
    sig.ret = r.type();
    sig.flat_ret = r.types();
  }
  e.module_text = r.str();
  e.function_text.resize(r.count(8));
  for (std::string& t : e.function_text) {
    t = r.str();
  }
  if (!r.ok() || !r.at_end() || e.object.empty()) {
    return std::nullopt;
  }
  // A hit makes the entry the most recently used one, for trim().
  std::error_code ec;
  std::filesystem::last_write_time(entry_path(dir, key),
                                   std::filesystem::file_time_type::clock::now(), ec);
  return e;
}

bool store(const std::filesystem::path& dir, const std::string& key, const Entry& entry) {
  if (dir.empty()) {
    return false;
  }
  Writer p;
  p.str(key);
  p.str(entry.object);
  p.str(entry.data_layout);
  p.num<std::uint64_t>(entry.tables.sites.size());
  for (const diag::Span& s : entry.tables.sites) {
    p.span(s);
  }
  p.num<std::uint64_t>(entry.tables.strings.size());
  for (const std::string& s : entry.tables.strings) {
    p.str(s);
  }
  p.num<std::uint64_t>(entry.tables.sigs.size());
  for (const FnSig& sig : entry.tables.sigs) {
    p.str(sig.name);
    p.str(sig.symbol);
    p.str(sig.entry);
    p.types(sig.params);
    p.types(sig.flat_params);
    p.type(sig.ret);
    p.types(sig.flat_ret);
  }
  p.str(entry.module_text);
  p.num<std::uint64_t>(entry.function_text.size());
  for (const std::string& t : entry.function_text) {
    p.str(t);
  }
  const std::string& payload = p.bytes();
  Writer h;
  h.bytes().append(kMagic, sizeof(kMagic));
  h.num(kFormatVersion);
  h.num<std::uint32_t>(0);
  h.num<std::uint64_t>(payload.size());
  h.num<std::uint64_t>(llvm::xxh3_64bits(llvm::StringRef(payload)));

  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return false;
  }
  // A name no other writer uses: pid, thread-distinct counter and a random number.
  static std::atomic<std::uint64_t> counter{0};
  std::random_device rd;
  std::filesystem::path tmp = dir / (key + ".tmp." + std::to_string(::getpid()) + "." +
                                     std::to_string(++counter) + "." + std::to_string(rd()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(h.bytes().data(), static_cast<std::streamsize>(h.bytes().size()));
    out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
    out.close();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return false;
    }
  }
  std::filesystem::rename(tmp, entry_path(dir, key), ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return false;
  }
  trim(dir, kMaxCacheBytes);
  return true;
}

void trim(const std::filesystem::path& dir, std::uintmax_t max_bytes) {
  namespace fs = std::filesystem;
  struct Item {
    fs::path path;
    fs::file_time_type time;
    std::uintmax_t size;
  };
  std::vector<Item> items;
  std::uintmax_t total = 0;
  const auto now = fs::file_time_type::clock::now();
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code e;
    fs::file_time_type time = it->last_write_time(e);
    std::uintmax_t size = it->file_size(e);
    if (e || !it->is_regular_file(e)) {
      continue;
    }
    std::string name = it->path().filename().string();
    if (name.find(".tmp.") != std::string::npos) {
      if (now - time > std::chrono::hours(1)) {
        fs::remove(it->path(), e);  // left by a writer that died
      }
    } else if (it->path().extension() == ".kjo") {
      items.push_back({it->path(), time, size});
      total += size;
    }
  }
  if (total <= max_bytes) {
    return;
  }
  std::sort(items.begin(), items.end(),
            [](const Item& a, const Item& b) { return a.time < b.time; });
  for (const Item& item : items) {
    if (total <= max_bytes / 2) {
      break;
    }
    std::error_code e;
    if (fs::remove(item.path, e)) {
      total -= item.size;
    }
  }
}

std::string string_slot(std::size_t n) { return "kestrel.str." + std::to_string(n); }

bool externalise_strings(llvm::Module& module, const std::deque<std::string>& strings) {
  std::unordered_map<std::uint64_t, std::size_t> index;  // address -> string number
  for (std::size_t n = 0; n < strings.size(); ++n) {
    index.emplace(reinterpret_cast<std::uintptr_t>(&strings[n]), n);
  }
  auto* ptr = llvm::PointerType::get(module.getContext(), 0);
  std::vector<llvm::GlobalVariable*> slots;
  for (std::size_t n = 0; n < strings.size(); ++n) {
    // Exported and written after linking, so the optimiser must not assume its value.
    slots.push_back(new llvm::GlobalVariable(module, ptr, false, llvm::GlobalValue::ExternalLinkage,
                                             llvm::ConstantPointerNull::get(ptr), string_slot(n)));
  }
  // The address of a string constant, when `v` is `inttoptr (i64 address)`.
  auto string_of = [&](llvm::Value* v) -> std::optional<std::size_t> {
    auto* ce = llvm::dyn_cast<llvm::ConstantExpr>(v);
    if (ce == nullptr || ce->getOpcode() != llvm::Instruction::IntToPtr) {
      return std::nullopt;
    }
    auto* ci = llvm::dyn_cast<llvm::ConstantInt>(ce->getOperand(0));
    if (ci == nullptr || ci->getBitWidth() > 64) {
      return std::nullopt;
    }
    auto it = index.find(ci->getZExtValue());
    if (it == index.end()) {
      return std::nullopt;
    }
    return it->second;
  };
  bool complete = true;
  for (llvm::Function& f : module) {
    if (f.isDeclaration()) {
      continue;
    }
    // One load per string per function, at the top of the entry block: it dominates every use.
    std::unordered_map<std::size_t, llvm::Value*> loaded;
    llvm::IRBuilder<> b(&f.getEntryBlock(), f.getEntryBlock().getFirstInsertionPt());
    for (llvm::BasicBlock& bb : f) {
      for (llvm::Instruction& inst : bb) {
        for (llvm::Use& use : inst.operands()) {
          std::optional<std::size_t> n = string_of(use.get());
          if (!n) {
            continue;
          }
          llvm::Value*& v = loaded[*n];
          if (v == nullptr) {
            v = b.CreateLoad(ptr, slots[*n], "str");
          }
          use.set(v);
        }
      }
    }
  }
  // Anything still holding an address makes the object process-specific: a string's address
  // in another form, or any other pointer made from a constant (lowering must embed no other
  // address of this process; should it start to, such programs are simply not cached).
  for (llvm::Function& f : module) {
    for (llvm::BasicBlock& bb : f) {
      for (llvm::Instruction& inst : bb) {
        for (llvm::Value* op : inst.operand_values()) {
          auto* c = llvm::dyn_cast<llvm::Constant>(op);
          if (c == nullptr || llvm::isa<llvm::GlobalValue>(c)) {
            continue;
          }
          std::vector<llvm::Constant*> work{c};
          while (!work.empty() && complete) {
            llvm::Constant* k = work.back();
            work.pop_back();
            if (auto* ci = llvm::dyn_cast<llvm::ConstantInt>(k)) {
              if (ci->getBitWidth() <= 64 && index.count(ci->getZExtValue()) != 0) {
                complete = false;
              }
            } else if (auto* ce = llvm::dyn_cast<llvm::ConstantExpr>(k)) {
              if (ce->getOpcode() == llvm::Instruction::IntToPtr &&
                  !llvm::cast<llvm::Constant>(ce->getOperand(0))->isNullValue()) {
                complete = false;
              }
              for (llvm::Value* o : k->operand_values()) {
                work.push_back(llvm::cast<llvm::Constant>(o));
              }
            }
          }
        }
      }
    }
  }
  return complete;
}

}  // namespace kestrel::jit::cache
