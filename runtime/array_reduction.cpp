#include "runtime/array_reduction.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <string>

#include "runtime/abi.hpp"
#include "runtime/abi_guard.hpp"

namespace kestrel::rt {

namespace {

/// Calls f(T{}) with T the C++ type of a numeric element type.
template <class F>
void with_elem(Elem e, F&& f) {
  switch (e) {
    case Elem::I32:
      f(std::int32_t{});
      return;
    case Elem::I64:
      f(std::int64_t{});
      return;
    case Elem::F32:
      f(float{});
      return;
    case Elem::F64:
      f(double{});
      return;
    default:
      throw std::logic_error("array reduction of a non-numeric array");
  }
}

}  // namespace

ArrayReductions::ArrayReductions(std::vector<ArrayRef> targets, std::vector<CombineOp> ops)
    : targets_(std::move(targets)), ops_(std::move(ops)), spare_(targets_.size()) {}

ArrayRef ArrayReductions::fresh(std::size_t r) {
  const Array& t = *targets_[r];
  ArrayRef a;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!spare_[r].empty()) {
      a = std::move(spare_[r].back());
      spare_[r].pop_back();
    }
  }
  if (a) {
    return a;  // merge() left it holding the identity
  }
  a = t.rank == 2 ? alloc(Shape(t.shape[0], t.shape[1]), t.elem) : alloc(Shape(t.shape[0]), t.elem);
  CombineOp op = ops_[r];
  with_elem(t.elem, [&](auto zero) {
    using T = decltype(zero);
    std::fill_n(a->ptr<T>(), a->size(), exact_identity<T>(op));
  });
  return a;
}

void ArrayReductions::merge(Node& a, const Node& b) const {
  for (std::size_t r = 0; r < a.size(); ++r) {
    CombineOp op = ops_[r];
    std::int64_t n = a[r]->size();
    with_elem(a[r]->elem, [&](auto zero) {
      using T = decltype(zero);
      T* x = a[r]->ptr<T>();
      T* y = b[r]->ptr<T>();
      T id = exact_identity<T>(op);
      // b is done with: reset it to the identity while it is in cache, for reuse by fresh().
      for (std::int64_t k = 0; k < n; ++k) {
        x[k] = combine_values(op, x[k], y[k]);
        y[k] = id;
      }
    });
  }
}

void ArrayReductions::recycle(Node& n) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t r = 0; r < n.size(); ++r) {
    // Only a copy nobody else holds can be rewritten by the next chunk.
    if (n[r] && n[r]->refs == 1 && n[r]->buffer->refs() == 1 && spare_[r].size() < 64) {
      spare_[r].push_back(std::move(n[r]));
    }
  }
  n.clear();
}

void ArrayReductions::done(std::int64_t c, std::vector<ArrayRef> privates) {
  Node node = std::move(privates);
  int level = 0;
  std::int64_t index = c;
  // Climb while the sibling block is complete: node (level, index) covers chunks
  // [index << level, (index + 1) << level); the left sibling of an odd index is index - 1.
  for (;;) {
    Node sibling;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = pending_.find({level, index ^ 1});
      if (it == pending_.end()) {
        pending_.emplace(std::make_pair(level, index), std::move(node));
        return;
      }
      sibling = std::move(it->second);
      pending_.erase(it);
    }
    if (index & 1) {
      merge(sibling, node);
      recycle(node);
      node = std::move(sibling);
    } else {
      merge(node, sibling);
      recycle(sibling);
    }
    ++level;
    index >>= 1;
  }
}

void ArrayReductions::finish() {
  if (pending_.empty()) {
    return;
  }
  // The remaining nodes, in chunk order, are the aligned blocks of the binary decomposition of
  // the chunk count (every chunk was handed in); fold them from the right.
  std::vector<std::pair<std::int64_t, Node*>> blocks;
  for (auto& [key, node] : pending_) {
    blocks.emplace_back(key.second << key.first, &node);
  }
  std::sort(blocks.begin(), blocks.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Node& acc = *blocks.back().second;
  for (std::size_t k = blocks.size() - 1; k-- > 0;) {
    Node& left = *blocks[k].second;
    merge(left, acc);
    acc.swap(left);
  }
  for (std::size_t r = 0; r < targets_.size(); ++r) {
    const Array& t = *targets_[r];
    CombineOp op = ops_[r];
    const Array& part = *acc[r];
    with_elem(t.elem, [&](auto zero) {
      using T = decltype(zero);
      const T* y = part.ptr<T>();
      for (std::int64_t i = 0; i < t.shape[0]; ++i) {
        for (std::int64_t j = 0; j < t.shape[1]; ++j) {
          T& x = t.at<T>(i, j);
          x = combine_values(op, x, y[i * t.shape[1] + j]);
        }
      }
    });
  }
  pending_.clear();
}

namespace {

/// Runs f, recording an exception in ctx at `site`; returns whether f succeeded.
template <class F>
bool guarded(KestrelContext* ctx, std::uint32_t site, F&& f) {
  return abi::guarded_call<bool>(ctx, site, false, [&] {
    f();
    return true;
  });
}

/// A handle: the reductions and how chunk indices are found.
struct Handle {
  ArrayReductions reductions;
  std::int64_t range_lo;
  std::int64_t chunk;  // 0: serial, the index counts done() calls
  std::uint32_t site;  // where an error is recorded: the loop's
  std::int64_t next = 0;

  std::int64_t index_of(std::int64_t lo) { return chunk == 0 ? next++ : (lo - range_lo) / chunk; }
};

}  // namespace

}  // namespace kestrel::rt

namespace rt = kestrel::rt;

extern "C" {

void* kestrel_rt_arred_begin(KestrelContext* ctx, std::int32_t count, const std::uint32_t* ops,
                             rt::Array* const* targets, std::int32_t adopt, std::int64_t range_lo,
                             std::int64_t chunk, std::uint32_t site) {
  std::vector<rt::ArrayRef> held;
  std::vector<rt::CombineOp> cops;
  for (std::int32_t r = 0; r < count; ++r) {
    held.push_back(adopt != 0 ? rt::ArrayRef::adopt(targets[r]) : rt::ArrayRef(targets[r]));
    cops.push_back(static_cast<rt::CombineOp>(ops[r]));
  }
  auto* h =
      new rt::Handle{rt::ArrayReductions(std::move(held), std::move(cops)), range_lo, chunk, site};
  ctx->host->array_reductions.emplace_back(h, [](void* q) { delete static_cast<rt::Handle*>(q); });
  return h;
}

void kestrel_rt_arred_fresh(KestrelContext* ctx, void* handle, rt::Array** privates) {
  auto* h = static_cast<rt::Handle*>(handle);
  std::size_t n = h->reductions.size();
  std::fill_n(privates, n, nullptr);
  rt::guarded(ctx, h->site, [&] {
    for (std::size_t r = 0; r < n; ++r) {
      privates[r] = h->reductions.fresh(r).detach();
    }
  });
}

void kestrel_rt_arred_done(KestrelContext* ctx, void* handle, std::int64_t lo,
                           rt::Array** privates) {
  auto* h = static_cast<rt::Handle*>(handle);
  std::size_t n = h->reductions.size();
  std::vector<rt::ArrayRef> node;
  bool complete = true;
  for (std::size_t r = 0; r < n; ++r) {
    complete = complete && privates[r] != nullptr;
    node.push_back(rt::ArrayRef::adopt(std::exchange(privates[r], nullptr)));
  }
  if (ctx->failed != 0 || !complete) {
    return;
  }
  std::int64_t c = h->index_of(lo);
  rt::guarded(ctx, h->site, [&] { h->reductions.done(c, std::move(node)); });
}

void kestrel_rt_arred_next(KestrelContext* ctx, void* handle, rt::Array** privates) {
  kestrel_rt_arred_done(ctx, handle, 0, privates);
  if (ctx->failed == 0) {
    kestrel_rt_arred_fresh(ctx, handle, privates);
  }
}

void kestrel_rt_arred_end(KestrelContext* ctx, void* handle, rt::Array** back) {
  auto* h = static_cast<rt::Handle*>(handle);
  if (ctx->failed == 0) {
    rt::guarded(ctx, h->site, [&] { h->reductions.finish(); });
  }
  if (back != nullptr) {
    for (std::size_t r = 0; r < h->reductions.size(); ++r) {
      back[r] = h->reductions.target(r).get();
      rt::retain(back[r]);
    }
  }
  auto& all = ctx->host->array_reductions;
  auto it = std::find_if(all.begin(), all.end(), [&](const auto& p) { return p.get() == handle; });
  if (it != all.end()) {
    all.erase(it);
  }
}

}  // extern "C"
