#include "runtime/gpu/program.hpp"

#include <algorithm>
#include <cstring>
#include <exception>

#include "runtime/abi.hpp"
#include "runtime/error.hpp"
#include "runtime/gpu/kernel_abi.hpp"
#include "runtime/parallel.hpp"
#include "runtime/rules/messages.hpp"

namespace kestrel::gpu {
namespace {

static_assert(sizeof(Param) == 48, "kernel_abi.hpp: a Param is 48 bytes");

/// The CPU's message for a fault the kernel recorded.
std::string fault_message(const Status& st, bool* internal) {
  *internal = false;
  switch (st.fault) {
    case kIndexFault:
      return rt::index_message(st.a, static_cast<int>(st.b), st.c);
    case kDivZeroFault:
      return rt::division_by_zero_message();
    case kNegPowFault:
      return rt::negative_exponent_message(st.a);
    case kNegShiftFault:
      return rt::negative_shift_message(st.a);
    case kStepFault:
      return rt::zero_step_message();
    case kNegStoreFault:
      return rt::negative_parallel_store_message(st.a);
    default:
      *internal = true;
      return "the GPU reported an unknown fault (" + std::to_string(st.fault) + ")";
  }
}

}  // namespace

Program::Program(ProgramDesc desc, std::shared_ptr<Device> device)
    : desc_(std::move(desc)), device_(std::move(device)) {}

std::shared_ptr<Program> Program::load(ProgramDesc desc, const std::string& cache_dir,
                                       std::shared_ptr<Device> device) {
  if (!device) {
    device = default_device();
  }
  std::shared_ptr<Program> p(new Program(std::move(desc), std::move(device)));
  ModuleImage image = p->device_->build(p->desc_.source, cache_dir);
  p->compile_ms_ = image.compile_ms;
  p->cache_hit_ = image.cache_hit;
  p->module_ = p->device_->load(image);
  p->status_ = p->device_->alloc(sizeof(Status));
  return p;
}

Program::~Program() {
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    sync_locked();
    free_pool();
    if (partials_ != 0) {
      device_->free(partials_);
    }
    if (status_ != 0) {
      device_->free(status_);
    }
    if (module_ != nullptr) {
      device_->unload(module_);
    }
  } catch (const std::exception&) {
    // A destructor cannot report; the driver frees the rest with the context.
  }
}

DevPtr Program::mirror(const rt::Array& a, bool written) {
  if (a.elem == rt::Elem::Str) {
    throw GpuError("an array of str cannot be used on the GPU");
  }
  rt::Buffer* buffer = a.buffer;
  auto it = mirrors_.find(buffer);
  if (it == mirrors_.end()) {
    Mirror m;
    m.bytes = buffer->bytes();
    if (m.bytes > 0) {
      m.dev = pool_alloc(m.bytes, &m.capacity);
      try {
        device_->to_device(m.dev, buffer->data(), m.bytes);
      } catch (...) {
        pool_.emplace(m.capacity, m.dev);
        throw;
      }
      ++uploads_;
    }
    buffer->retain();  // the host may drop the array while its mirror is live
    it = mirrors_.emplace(buffer, m).first;
  }
  it->second.dirty = it->second.dirty || written;
  auto offset = static_cast<const char*>(a.data) - static_cast<const char*>(buffer->data());
  return it->second.dev + static_cast<DevPtr>(offset);
}

DevPtr Program::pool_alloc(std::size_t bytes, std::size_t* capacity) {
  // The smallest free block that fits, if it wastes at most half of itself.
  auto it = pool_.lower_bound(bytes);
  if (it != pool_.end() && it->first / 2 <= bytes) {
    *capacity = it->first;
    DevPtr p = it->second;
    pool_.erase(it);
    return p;
  }
  DevPtr p = 0;
  try {
    p = device_->alloc(bytes);
  } catch (const GpuError&) {
    if (pool_.empty()) {
      throw;
    }
    free_pool();  // out of memory, perhaps only because of the pool: once more without it
    p = device_->alloc(bytes);
  }
  ++allocations_;
  *capacity = bytes;
  return p;
}

void Program::free_pool() {
  std::string error;
  for (auto& [size, p] : pool_) {
    try {
      device_->free(p);
    } catch (const std::exception& e) {
      if (error.empty()) {
        error = e.what();
      }
    }
  }
  pool_.clear();
  if (!error.empty()) {
    throw GpuError(error);
  }
}

void Program::ensure_partials(std::size_t bytes) {
  if (bytes <= partials_bytes_) {
    return;
  }
  if (partials_ != 0) {
    device_->free(partials_);
    partials_ = 0;
    partials_bytes_ = 0;
  }
  partials_ = device_->alloc(bytes);
  partials_bytes_ = bytes;
}

void Program::run(KestrelContext* ctx, std::uint32_t region, std::uint64_t* slots,
                  const std::uint32_t* site_map) {
  std::lock_guard<std::mutex> lock(mutex_);
  try {
    if (region >= desc_.regions.size()) {
      throw GpuError("no GPU region " + std::to_string(region));
    }
    const RegionDesc& rd = desc_.regions[region];
    std::size_t n_params = rd.params.size();
    std::size_t n_red = rd.reductions.size();
    auto n = static_cast<std::int64_t>(slots[n_params]);
    if (n <= 0) {
      return;  // nothing runs; reductions keep their values (the CPU's n == 0)
    }
    std::vector<Param> params(std::max<std::size_t>(n_params, 1));
    for (std::size_t k = 0; k < n_params; ++k) {
      Param& p = params[k];
      std::memset(&p, 0, sizeof p);
      if (rd.params[k].kind == ParamDesc::Scalar) {
        p.bits = slots[k];
        continue;
      }
      const auto* a = reinterpret_cast<const rt::Array*>(static_cast<std::uintptr_t>(slots[k]));
      if (a == nullptr || a->elem != rd.params[k].elem || a->rank != rd.params[k].rank) {
        throw GpuError(rd.kernel + ": parameter " + std::to_string(k) +
                       " is not the array its descriptor says");
      }
      p.data = mirror(*a, rd.params[k].written);
      p.shape[0] = a->shape[0];
      p.shape[1] = a->shape[1];
      p.stride[0] = a->strides[0];
      p.stride[1] = a->strides[1];
    }
    std::int64_t instances = n_red > 0 ? rt::chunks_in(0, n, rt::kReduceChunk) : n;
    if (n_red > 0) {
      ensure_partials(static_cast<std::size_t>(instances) * n_red * sizeof(std::uint64_t));
    }
    Status st{};
    st.first = ~hd::u64{0};
    device_->to_device(status_, &st, sizeof st);
    std::int64_t blocks = (instances + kBlockThreads - 1) / kBlockThreads;
    auto grid = static_cast<unsigned>(std::min<std::int64_t>(
        blocks, static_cast<std::int64_t>(device_->multiprocessors()) * kBlocksPerSm));
    device_->launch(module_, rd.kernel, params.data(), params.size() * sizeof(Param), status_,
                    n_red > 0 ? partials_ : 0, n, grid, kBlockThreads);
    device_->synchronize();
    device_->to_host(&st, status_, sizeof st);
    if (st.failed != 0) {
      bool internal = false;
      std::string message = fault_message(st, &internal);
      rt::record_failure(ctx, site_map != nullptr ? site_map[st.site] : st.site, message, internal);
      sync_locked();
      return;
    }
    if (n_red > 0) {
      std::vector<std::int64_t> parts(static_cast<std::size_t>(instances) * n_red);
      device_->to_host(parts.data(), partials_, parts.size() * sizeof(std::int64_t));
      std::vector<std::uint32_t> ops(n_red);
      std::vector<std::uint32_t> elems(n_red);
      std::vector<std::int64_t> values(n_red);
      for (std::size_t r = 0; r < n_red; ++r) {
        ops[r] = static_cast<std::uint32_t>(rd.reductions[r].op);
        elems[r] = static_cast<std::uint32_t>(rd.reductions[r].elem);
        values[r] = static_cast<std::int64_t>(slots[n_params + 1 + r]);
      }
      rt::finish_reductions(instances, static_cast<std::int32_t>(n_red), ops.data(), elems.data(),
                            parts.data(), values.data());
      for (std::size_t r = 0; r < n_red; ++r) {
        slots[n_params + 1 + r] = static_cast<std::uint64_t>(values[r]);
      }
    }
  } catch (const std::exception& e) {
    rt::record_failure(ctx, rt::kNoSite, e.what(), true);
    try {
      sync_locked();
    } catch (const std::exception&) {
      // The first error is the one reported.
    }
  }
}

void Program::sync() {
  std::lock_guard<std::mutex> lock(mutex_);
  sync_locked();
}

void Program::sync_locked() {
  if (mirrors_.empty()) {
    return;  // nothing ran since the last sync: the pool stays for the next run
  }
  std::string error;
  try {
    free_pool();  // the blocks this GPU run did not reuse
  } catch (const std::exception& e) {
    error = e.what();
  }
  for (auto& [buffer, m] : mirrors_) {
    try {
      if (m.dirty && m.bytes > 0) {
        device_->to_host(buffer->data(), m.dev, m.bytes);
      }
    } catch (const std::exception& e) {
      if (error.empty()) {
        error = e.what();
      }
    }
    if (m.dev != 0) {
      pool_.emplace(m.capacity, m.dev);
    }
    buffer->release();
  }
  mirrors_.clear();
  if (!error.empty()) {
    throw GpuError(error);
  }
}

std::size_t Program::mirrored() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return mirrors_.size();
}

std::uint64_t Program::uploads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return uploads_;
}

std::uint64_t Program::allocations() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return allocations_;
}

}  // namespace kestrel::gpu
