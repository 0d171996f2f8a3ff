// MPI ranks and collectives (runtime/mpi.hpp): the session, the agreement step and combining in
// rank order. MPI itself is behind libkestrel_mpi.so (runtime/mpi_module.hpp), dlopened here.
#include "runtime/mpi.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/library_dir.hpp"
#include "runtime/mpi_module.hpp"
#include "runtime/rules/arith.hpp"

namespace kestrel::rt {

namespace {

enum class State { Off, Ready, Dead, Ended };

struct Session {
  std::mutex mutex;
  State state = State::Off;
  const MpiModuleApi* api = nullptr;
  int rank = 0;
  int size = 1;
};

Session& session() {
  static Session s;
  return s;
}

/// What a rank is doing at an exchange.
enum class Status : std::int32_t { Collective, Failed, Ended };

/// One rank's contribution to the agreement step: 512 bytes, the same layout on every rank (the
/// same binary).
struct Header {
  Status status = Status::Collective;
  std::int32_t fn = 0;    // MpiFn
  std::int32_t elem = 0;  // Elem
  std::int32_t rank = 0;  // 0 a scalar, 1 or 2 an array
  std::int64_t dims[2] = {0, 0};
  std::int64_t root = 0;
  char text[472] = {0};  // Failed: the rank's error
};
static_assert(sizeof(Header) == 512);

std::vector<std::filesystem::path> module_candidates() {
  if (const char* env = std::getenv("KESTREL_MPI_MODULE"); env != nullptr && env[0] != '\0') {
    return {std::filesystem::path(env)};
  }
  std::vector<std::filesystem::path> out;
  std::filesystem::path dir = library_dir(reinterpret_cast<const void*>(&module_candidates));
  if (!dir.empty()) {
    out.push_back(dir / kMpiModuleFile);
    out.push_back(dir.parent_path() / "lib" / kMpiModuleFile);
  }
#ifdef KESTREL_MPI_BUILD_DIR
  out.push_back(std::filesystem::path(KESTREL_MPI_BUILD_DIR) / kMpiModuleFile);
#endif
  return out;
}

const MpiModuleApi* load_module() {
  std::vector<std::filesystem::path> candidates = module_candidates();
  const std::filesystem::path* chosen = nullptr;
  for (const std::filesystem::path& c : candidates) {
    std::error_code ec;
    if (std::filesystem::exists(c, ec)) {
      chosen = &c;
      break;
    }
  }
  if (chosen == nullptr) {
    raise("running under mpirun, but this kestrel was built without MPI (no " +
          std::string(kMpiModuleFile) + "; install libopenmpi-dev and rebuild)");
  }
  // RTLD_GLOBAL: Open MPI before 3.0 loaded its plugins expecting libmpi's symbols in the global
  // scope (open-mpi/ompi#3705, fixed by #4140); global costs nothing here and keeps older
  // installations working.
  void* handle = dlopen(chosen->c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    raise("cannot load " + chosen->string() + ": " + (why != nullptr ? why : "dlopen failed"));
  }
  auto entry = reinterpret_cast<KestrelMpiModuleEntry>(dlsym(handle, kMpiModuleEntry));
  const MpiModuleApi* api = entry != nullptr ? entry() : nullptr;
  if (api == nullptr || api->version != kMpiModuleVersion) {
    raise(chosen->string() + " comes from another build of kestrel");
  }
  return api;
}

/// The session, begun (under mpirun) or Off; raises when it ended after a failure.
Session& ready() {
  mpi_begin();
  Session& s = session();
  if (s.state == State::Dead || s.state == State::Ended) {
    raise("the ranks stopped communicating after an earlier error");
  }
  return s;
}

[[noreturn]] void die(Session& s, const std::string& message) {
  s.state = State::Dead;
  raise(message);
}

void check(Session& s, int rc, const char* err) {
  if (rc != 0) {
    die(s, std::string("MPI: ") + err);
  }
}

std::vector<Header> exchange(Session& s, const Header& mine) {
  std::vector<Header> all(static_cast<std::size_t>(s.size));
  char err[256] = {0};
  check(s, s.api->allgather(&mine, sizeof(Header), all.data(), err, sizeof err), err);
  return all;
}

const char* fn_name(std::int32_t fn) {
  switch (static_cast<MpiFn>(fn)) {
    case MpiFn::AllreduceSum:
      return "allreduce";
    case MpiFn::AllreduceMin:
      return "allreduce(…, \"min\")";
    case MpiFn::AllreduceMax:
      return "allreduce(…, \"max\")";
    case MpiFn::Broadcast:
      return "broadcast";
    case MpiFn::Gather:
      return "gather";
  }
  return "a collective";
}

std::string type_text(const Header& h, bool dims) {
  std::string t = elem_name(static_cast<Elem>(h.elem));
  if (h.rank == 0) {
    return "a scalar " + t;
  }
  if (!dims) {
    return std::string(h.rank == 1 ? "a 1-D " : "a 2-D ") + t + " array";
  }
  std::string shape =
      h.rank == 1 ? "(" + std::to_string(h.dims[0]) + ",)"
                  : "(" + std::to_string(h.dims[0]) + ", " + std::to_string(h.dims[1]) + ")";
  return "an " + t + " array of shape " + shape;
}

/// The verdict on one exchange, the same on every rank: an error message, or nothing when every
/// rank calls the same collective on compatible values (or every rank ended).
std::optional<std::string> verdict(const std::vector<Header>& h) {
  const std::size_t n = h.size();
  for (std::size_t k = 0; k < n; ++k) {
    if (h[k].status == Status::Failed) {
      return "rank " + std::to_string(k) +
             " failed: " + std::string(h[k].text, strnlen(h[k].text, sizeof h[k].text));
    }
  }
  std::size_t ended = n;
  std::size_t calling = n;
  for (std::size_t k = n; k-- > 0;) {
    if (h[k].status == Status::Ended) {
      ended = k;
    } else {
      calling = k;
    }
  }
  if (calling == n) {
    return std::nullopt;  // every rank ended
  }
  if (ended != n) {
    return "rank " + std::to_string(ended) + " reached the end of its program while rank " +
           std::to_string(calling) + " called " + fn_name(h[calling].fn) +
           " (every rank must call the same collectives in the same order)";
  }
  const Header& a = h[0];
  for (std::size_t k = 1; k < n; ++k) {
    if (h[k].fn != a.fn) {
      return std::string("rank 0 called ") + fn_name(a.fn) + " but rank " + std::to_string(k) +
             " called " + fn_name(h[k].fn) +
             " (every rank must call the same collectives in the same order)";
    }
  }
  auto fn = static_cast<MpiFn>(a.fn);
  std::string name = fn_name(a.fn);
  for (std::size_t k = 1; k < n; ++k) {
    const Header& b = h[k];
    bool same_kind = b.elem == a.elem && b.rank == a.rank;
    bool same_shape = b.dims[0] == a.dims[0] && b.dims[1] == a.dims[1];
    bool ok = same_kind;
    if (fn == MpiFn::AllreduceSum || fn == MpiFn::AllreduceMin || fn == MpiFn::AllreduceMax) {
      ok = ok && same_shape;
    } else if (fn == MpiFn::Gather && a.rank == 2) {
      ok = ok && b.dims[1] == a.dims[1];
    }
    if (!ok) {
      bool dims = same_kind;
      std::string why = fn == MpiFn::Gather && same_kind ? " (gather stacks rows: the column "
                                                           "counts must agree)"
                                                         : "";
      return name + ": rank 0 has " + type_text(a, dims) + " but rank " + std::to_string(k) +
             " has " + type_text(b, dims) + why;
    }
    if (fn == MpiFn::Broadcast && b.root != a.root) {
      return "broadcast: rank 0 names root " + std::to_string(a.root) + " but rank " +
             std::to_string(k) + " names root " + std::to_string(b.root);
    }
  }
  if (fn == MpiFn::Broadcast && (a.root < 0 || a.root >= static_cast<std::int64_t>(n))) {
    return "broadcast: root " + std::to_string(a.root) + " is not a rank (0 to " +
           std::to_string(n - 1) + ")";
  }
  return std::nullopt;
}

/// The agreement step of a collective: raises the verdict's error on every rank.
std::vector<Header> agree(Session& s, const Header& mine) {
  std::vector<Header> all = exchange(s, mine);
  if (std::optional<std::string> bad = verdict(all)) {
    die(s, *bad);
  }
  return all;
}

Header header_of(MpiFn fn, Elem elem, int rank, std::int64_t d0, std::int64_t d1,
                 std::int64_t root) {
  Header h;
  h.fn = static_cast<std::int32_t>(fn);
  h.elem = static_cast<std::int32_t>(elem);
  h.rank = rank;
  h.dims[0] = d0;
  h.dims[1] = d1;
  h.root = root;
  return h;
}

/// Combines `n` contiguous contributions of `count` elements each, in rank order, into `out`
/// (a left fold: ((c0 op c1) op c2) …), the same code on every rank.
template <class T>
void fold(MpiFn fn, const T* in, std::int64_t count, int n, T* out) {
  std::copy(in, in + count, out);
  for (int k = 1; k < n; ++k) {
    const T* c = in + static_cast<std::int64_t>(k) * count;
    switch (fn) {
      case MpiFn::AllreduceMin:
        for (std::int64_t i = 0; i < count; ++i) {
          out[i] = min_value(out[i], c[i]);
        }
        break;
      case MpiFn::AllreduceMax:
        for (std::int64_t i = 0; i < count; ++i) {
          out[i] = max_value(out[i], c[i]);
        }
        break;
      default:
        for (std::int64_t i = 0; i < count; ++i) {
          out[i] = num_add(out[i], c[i]);
        }
        break;
    }
  }
}

void fold_elems(MpiFn fn, Elem elem, const void* in, std::int64_t count, int n, void* out) {
  switch (elem) {
    case Elem::I32:
      return fold(fn, static_cast<const std::int32_t*>(in), count, n,
                  static_cast<std::int32_t*>(out));
    case Elem::I64:
      return fold(fn, static_cast<const std::int64_t*>(in), count, n,
                  static_cast<std::int64_t*>(out));
    case Elem::F32:
      return fold(fn, static_cast<const float*>(in), count, n, static_cast<float*>(out));
    case Elem::F64:
      return fold(fn, static_cast<const double*>(in), count, n, static_cast<double*>(out));
    default:
      raise(std::string("collectives take numeric values, not ") + elem_name(elem));
  }
}

void check_numeric(Elem elem, const char* what) {
  if (elem != Elem::I32 && elem != Elem::I64 && elem != Elem::F32 && elem != Elem::F64) {
    raise(std::string(what) + " takes numeric values, not " + elem_name(elem));
  }
}

const char* what_of(MpiFn fn) { return fn == MpiFn::Broadcast ? "broadcast" : "allreduce"; }

/// A contiguous array with a's elements (a itself when it already is one).
ArrayRef dense(const Array& a) {
  return a.is_contiguous() ? ArrayRef(const_cast<Array*>(&a)) : copy(a);
}

}  // namespace

bool mpi_launched() {
  const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
  return size != nullptr && size[0] != '\0';
}

void mpi_begin() {
  Session& s = session();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.state != State::Off || !mpi_launched()) {
    return;
  }
  s.api = load_module();
  char err[256] = {0};
  if (s.api->init(&s.rank, &s.size, err, sizeof err) != 0) {
    raise(std::string("MPI: ") + err);
  }
  s.state = State::Ready;
  if (s.rank != 0) {
    // Only rank 0 prints (README: MPI): every rank runs the same program.
    std::fflush(stdout);
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
      ::dup2(null, STDOUT_FILENO);
      ::close(null);
    }
  }
}

std::int64_t mpi_rank() {
  mpi_begin();
  return session().rank;
}

std::int64_t mpi_ranks() {
  mpi_begin();
  return session().size;
}

Value mpi_scalar(MpiFn fn, Value x, std::int64_t root) {
  check_numeric(x.elem, what_of(fn));
  Session& s = ready();
  if (s.state == State::Off) {
    if (fn == MpiFn::Broadcast && root != 0) {
      raise("broadcast: root " + std::to_string(root) + " is not a rank (0 to 0)");
    }
    return x;
  }
  agree(s, header_of(fn, x.elem, 0, 0, 0, root));
  Value out = x;
  std::size_t bytes = elem_size(x.elem);
  char err[256] = {0};
  if (fn == MpiFn::Broadcast) {
    check(s,
          s.api->bcast(&out.f64, static_cast<std::int64_t>(bytes), static_cast<int>(root), err,
                       sizeof err),
          err);
    return out;
  }
  std::vector<unsigned char> all(bytes * static_cast<std::size_t>(s.size));
  check(s, s.api->allgather(&x.f64, static_cast<std::int64_t>(bytes), all.data(), err, sizeof err),
        err);
  fold_elems(fn, x.elem, all.data(), 1, s.size, &out.f64);
  return out;
}

ArrayRef mpi_array(MpiFn fn, const Array& a, std::int64_t root) {
  check_numeric(a.elem, fn == MpiFn::Gather ? "gather" : what_of(fn));
  Session& s = ready();
  if (s.state == State::Off) {
    if (fn == MpiFn::Broadcast && root != 0) {
      raise("broadcast: root " + std::to_string(root) + " is not a rank (0 to 0)");
    }
    return copy(a);
  }
  std::vector<Header> h = agree(s, header_of(fn, a.elem, a.rank, a.shape[0], a.shape[1], root));
  ArrayRef in = dense(a);
  const std::size_t esize = elem_size(a.elem);
  const auto bytes = static_cast<std::int64_t>(static_cast<std::size_t>(a.size()) * esize);
  char err[256] = {0};
  if (fn == MpiFn::Broadcast) {
    const Header& r = h[static_cast<std::size_t>(root)];
    ArrayRef out = alloc(r.rank == 1 ? Shape(r.dims[0]) : Shape(r.dims[0], r.dims[1]), a.elem);
    if (s.rank == root) {
      std::memcpy(out->data, in->data, static_cast<std::size_t>(bytes));
    }
    check(s,
          s.api->bcast(out->data,
                       static_cast<std::int64_t>(out->size()) * static_cast<std::int64_t>(esize),
                       static_cast<int>(root), err, sizeof err),
          err);
    return out;
  }
  if (fn == MpiFn::Gather) {
    std::vector<int> counts(h.size());
    std::vector<int> displs(h.size());
    std::int64_t rows = 0;
    std::int64_t total = 0;
    for (std::size_t k = 0; k < h.size(); ++k) {
      std::int64_t b = h[k].dims[0] * h[k].dims[1] * static_cast<std::int64_t>(esize);
      if (total + b > INT_MAX) {
        die(s, "gather: the ranks' arrays together exceed 2 GB (MPI's int counts)");
      }
      counts[k] = static_cast<int>(b);
      displs[k] = static_cast<int>(total);
      total += b;
      rows += h[k].dims[0];
    }
    ArrayRef out = alloc(a.rank == 1 ? Shape(rows) : Shape(rows, a.shape[1]), a.elem);
    check(s,
          s.api->allgatherv(in->data, bytes, out->data, counts.data(), displs.data(), err,
                            sizeof err),
          err);
    return out;
  }
  if (bytes > 0 && static_cast<std::int64_t>(s.size) * bytes > INT_MAX) {
    // Allreduce gathers every rank's copy: fine for gradients, not for gigabytes.
    die(s, "allreduce: " + std::to_string(s.size) + " copies of " + std::to_string(bytes) +
               " bytes exceed 2 GB (MPI's int counts)");
  }
  std::vector<unsigned char> all(static_cast<std::size_t>(bytes) *
                                 static_cast<std::size_t>(s.size));
  check(s, s.api->allgather(in->data, bytes, all.data(), err, sizeof err), err);
  ArrayRef out = alloc(shape_of(a), a.elem);
  fold_elems(fn, a.elem, all.data(), a.size(), s.size, out->data);
  return out;
}

ArrayRef mpi_gather_scalar(Value x) {
  check_numeric(x.elem, "gather");
  Session& s = ready();
  if (s.state == State::Off) {
    ArrayRef out = alloc(Shape(1), x.elem);
    std::memcpy(out->data, &x.f64, elem_size(x.elem));
    return out;
  }
  agree(s, header_of(MpiFn::Gather, x.elem, 0, 1, 1, 0));
  ArrayRef out = alloc(Shape(s.size), x.elem);
  char err[256] = {0};
  check(s,
        s.api->allgather(&x.f64, static_cast<std::int64_t>(elem_size(x.elem)), out->data, err,
                         sizeof err),
        err);
  return out;
}

std::optional<std::string> mpi_end(const std::string* failure) {
  Session& s = session();
  if (s.state == State::Off && mpi_launched()) {
    // A rank that failed before it began (or whose program never reached a collective) still
    // joins the final exchange, so no other rank waits for it.
    try {
      mpi_begin();
    } catch (const RuntimeError& e) {
      return std::string(e.what());
    }
  }
  std::optional<std::string> out;
  if (s.state == State::Ready) {
    Header mine;
    mine.status = failure != nullptr ? Status::Failed : Status::Ended;
    if (failure != nullptr) {
      std::strncpy(mine.text, failure->c_str(), sizeof mine.text - 1);
    }
    std::vector<Header> all(static_cast<std::size_t>(s.size));
    char err[256] = {0};
    if (s.api->allgather(&mine, sizeof(Header), all.data(), err, sizeof err) != 0) {
      out = std::string("MPI: ") + err;
    } else if (failure == nullptr) {
      out = verdict(all);
    }
  }
  if (s.state == State::Ready) {
    s.state = State::Dead;  // no exchange after the final one
  }
  return out;
}

void mpi_finalize() {
  Session& s = session();
  if (s.state == State::Dead) {
    std::fflush(nullptr);
    s.api->finalize();
    s.state = State::Ended;
  }
}

std::string mpi_diag_prefix() {
  Session& s = session();
  if (s.state == State::Off || s.size <= 1) {
    return "";
  }
  return "rank " + std::to_string(s.rank) + ": ";
}

}  // namespace kestrel::rt
