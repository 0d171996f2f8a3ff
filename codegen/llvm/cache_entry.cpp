// The JIT's on-disk object cache (see object_cache.hpp): the key, the entry format and the
// atomic write. No LLVM here (kestrel_jit_host): the engine reads entries without loading the JIT.
#include <dlfcn.h>
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

#include "codegen/llvm/object_cache.hpp"
#include "codegen/llvm/sha256.hpp"

namespace kestrel::jit::cache {

namespace {

constexpr char kMagic[8] = {'K', 'S', 'T', 'R', 'L', 'J', 'I', 'T'};
// Bump when the entry layout or anything the cached code assumes changes.
constexpr std::uint32_t kFormatVersion = 4;  // 4: which functions are compiled, text optional
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

/// Identifies the engine that produced the code and runs it (lowering and the runtime's ABI change
/// between builds): the path, size, modification time and inode of the binary or shared library
/// holding this function (the engine's, which the JIT module binds to as well).
std::string engine_identity() {
  static const std::string identity = [] {
    std::string path = "/proc/self/exe";
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&engine_identity), &info) != 0 &&
        info.dli_fname != nullptr && info.dli_fname[0] == '/') {
      path = info.dli_fname;
    }
    return file_identity(path);
  }();
  return identity;
}

/// A checksum of an entry's payload (not a key: it only has to catch a damaged file): 64-bit
/// words mixed in as in a multiply-xorshift hash.
std::uint64_t checksum_of(std::string_view bytes) {
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ bytes.size();
  std::size_t k = 0;
  auto mix = [&](std::uint64_t w) {
    h ^= w;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  };
  for (; k + 8 <= bytes.size(); k += 8) {
    std::uint64_t w;
    std::memcpy(&w, bytes.data() + k, 8);
    mix(w);
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, bytes.data() + k, bytes.size() - k);
  mix(tail);
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 29);
}

/// Feeds every span of the program (they end up in the site table and so in error messages).
void hash_spans(Sha256& h, const ir::Program& program) {
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

void hash_field(Sha256& h, std::string_view field) {
  Writer w;
  w.str(field);
  h.update(w.bytes());
}

}  // namespace

std::string key_of(const ir::Program& program, const Options& options, std::string_view cpu) {
  Sha256 h;
  hash_field(h, "kestrel-jit-object");
  hash_field(h, std::to_string(kFormatVersion));
  hash_field(h, KESTREL_LLVM_VERSION);
  hash_field(h, engine_identity());
  hash_field(h, options.jit_module);
  hash_field(h, cpu);
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
  return h.hex();
}

std::string file_identity(const std::string& path) {
  struct stat st {};
  std::string id = path;
  if (::stat(path.c_str(), &st) == 0) {
    id += ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
          std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ino);
  }
  return id;
}

std::string host_cpu() {
#if defined(__x86_64__)
  // What decides the code LLVM generates for this CPU (its name and features, as LLVM's host
  // detection reads them): the vendor, the family, model and stepping, the feature leaves, and
  // which register states the OS saves. Not leaf 1's EBX: it holds the APIC id, which differs
  // from core to core.
  auto leaf = [](std::uint32_t l, std::uint32_t sub, std::uint32_t r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(l), "c"(sub));
  };
  std::uint32_t r[4];
  leaf(0, 0, r);
  const std::uint32_t max = r[0];
  std::string id = "x86-64";
  auto add = [&](std::uint32_t v) { id += ":" + std::to_string(v); };
  add(r[1]);
  add(r[3]);
  add(r[2]);
  leaf(1, 0, r);
  add(r[0]);
  add(r[2]);
  add(r[3]);
  const bool osxsave = ((r[2] >> 27) & 1) != 0;
  for (std::uint32_t l : {0x7u, 0x14u, 0x19u, 0x24u}) {
    for (std::uint32_t sub : {0u, 1u}) {
      if (l <= max) {
        leaf(l, sub, r);
        add(r[0]);
        add(r[1]);
        add(r[2]);
        add(r[3]);
      }
    }
  }
  leaf(0x80000000u, 0, r);
  const std::uint32_t ext = r[0];
  for (std::uint32_t l : {0x80000001u, 0x80000008u}) {
    if (l <= ext) {
      leaf(l, 0, r);
      add(r[2]);
      add(r[3]);
    }
  }
  if (osxsave) {
    std::uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    add(lo);
    add(hi);
  }
  return id;
#else
  return {};
#endif
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
      checksum != checksum_of(payload)) {
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
  e.compiled.resize(r.count(1));
  for (char& c : e.compiled) {
    c = static_cast<char>(r.num<std::uint8_t>());
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

bool serves(const Entry& entry, const Options& options) {
  return !options.keep_text || !entry.module_text.empty();
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
  p.num<std::uint64_t>(entry.compiled.size());
  for (char c : entry.compiled) {
    p.num<std::uint8_t>(c != 0 ? 1 : 0);
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
  h.num<std::uint64_t>(checksum_of(payload));

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

}  // namespace kestrel::jit::cache
