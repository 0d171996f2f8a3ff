// What on-stack replacement buys, timed (no assertions): ./osr_bench FILE [repeats]
// (tests/interp/osr_bench/*.kst: a long loop at the top level, and one in a call)
// Runs FILE's top level three ways and prints the median wall time of each:
//   interp  the interpreter alone;
//   osr     the interpreter, whose loops move to native code while they run: at a loop's first
//           poll a background thread adds the loop's continuation (dsl/ir/osr.hpp) to a copy of
//           the program and compiles it with the JIT; at a later poll, once it is ready, the
//           interpreter hands over its live values and the rest of the call runs natively;
//   jit     compiling the whole program with the JIT, then running it.
// Object cache off, so every compile is cold. A sketch of the engine's loop tier, not the engine.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "codegen/common/tier.hpp"
#include "codegen/interp/interp.hpp"
#include "codegen/llvm/jit.hpp"
#include "codegen/llvm/program.hpp"
#include "dsl/diag/diagnostic.hpp"
#include "dsl/ir/osr.hpp"
#include "dsl/sema/check.hpp"
#include "runtime/abi.hpp"

namespace {

using namespace kestrel;

/// Compiles each loop's continuation on a thread of its own when the loop is first polled.
class BackgroundJit : public codegen::TierHook {
 public:
  explicit BackgroundJit(const ir::Program& p) : program_(p) {}
  ~BackgroundJit() override {
    for (auto& [k, l] : loops_) {
      l->thread.join();
    }
  }

  bool function_ready(ir::FnId) override { return false; }
  void call_function(ir::FnId, std::span<const std::int64_t>, std::int64_t*,
                     codegen::TierState&) override {}
  bool loop_ready(codegen::LoopRef loop, std::int64_t /*left*/) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& l = loops_[{loop.fn.v, loop.index}];
    if (!l) {
      l = std::make_unique<Loop>();
      Loop* raw = l.get();
      raw->thread = std::thread([this, raw, loop] {
        raw->program = std::make_unique<ir::Program>(program_);
        raw->c = ir::add_continuation(*raw->program, loop.fn, loop.index);
        jit::Options options;
        options.use_cache = false;
        options.roots = {raw->c.fn};
        raw->code = jit::compile(*raw->program, options);
        raw->ready.store(true, std::memory_order_release);
      });
      return false;
    }
    return l->ready.load(std::memory_order_acquire);
  }
  void continue_loop(codegen::LoopRef loop, std::span<const std::int64_t> live, std::int64_t* out,
                     codegen::TierState& state) override {
    Loop* l = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      l = loops_.at({loop.fn.v, loop.index}).get();
    }
    jit::CompiledProgram& jp = *l->code;
    jit::set_stream_state(jp, *state.stream);
    auto* ctx = static_cast<KestrelContext*>(jit::begin_direct(jp, *state.options));
    ctx->depth = state.depth;
    std::vector<std::int64_t> in(live.begin(), live.end());
    in.resize(std::max<std::size_t>(in.size(), 1));
    std::vector<std::int64_t> res(
        std::max<std::size_t>(jp.impl().tables.sigs.at(l->c.fn.v).flat_ret.size(), 1), 0);
    using EntryFn = void (*)(KestrelContext*, std::int64_t*, std::int64_t*);
    reinterpret_cast<EntryFn>(jp.impl().entries.at(l->c.fn.v))(ctx, in.data(), res.data());
    *state.stream = codegen::StreamState{ctx->stream_key, ctx->stream_counter};
    jit::end_direct(jp, ctx);
    std::copy(res.begin(), res.end(), out);
    switched_.fetch_add(1);
  }
  int switched() const { return switched_.load(); }

 private:
  struct Loop {
    std::thread thread;
    std::unique_ptr<ir::Program> program;
    ir::Continuation c;
    std::unique_ptr<jit::CompiledProgram> code;
    std::atomic<bool> ready{false};
  };
  const ir::Program& program_;
  std::mutex mutex_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::unique_ptr<Loop>> loops_;
  std::atomic<int> switched_{0};
};

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: osr_bench FILE [repeats]\n");
    return 2;
  }
  int repeats = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  sema::CheckOptions check;
  check.import_paths.push_back(std::filesystem::path(KESTREL_SOURCE_DIR) / "stdlib");
  auto program = sema::check_file(sources, argv[1], check, diags);
  if (!program || diags.has_errors()) {
    std::fprintf(stderr, "%s", diag::render(sources, diags).c_str());
    return 1;
  }
  std::vector<double> interp_ms, osr_ms, jit_ms;
  int switched = 0;
  std::string first;
  auto same = [&](const std::string& out, const char* mode) {
    if (first.empty()) {
      first = out;
    } else if (out != first) {
      std::fprintf(stderr, "%s printed something else\n", mode);
      std::exit(1);
    }
  };
  for (int r = 0; r < repeats; ++r) {
    {
      std::string out;
      auto t = std::chrono::steady_clock::now();
      auto compiled = interp::compile(*program);
      codegen::RunOptions options;
      options.out = &out;
      interp::run_main(*compiled, options);
      interp_ms.push_back(ms_since(t));
      same(out, "interp");
    }
    {
      std::string out;
      auto t = std::chrono::steady_clock::now();
      auto compiled = interp::compile(*program);
      BackgroundJit hook(*program);
      codegen::RunOptions options;
      options.out = &out;
      options.tier = &hook;
      interp::run_main(*compiled, options);
      osr_ms.push_back(ms_since(t));
      switched = hook.switched();
      same(out, "osr");
    }
    {
      std::string out;
      auto t = std::chrono::steady_clock::now();
      jit::Options jo;
      jo.use_cache = false;
      auto compiled = jit::compile(*program, jo);
      codegen::RunOptions options;
      options.out = &out;
      jit::run_main(*compiled, options);
      jit_ms.push_back(ms_since(t));
      same(out, "jit");
    }
  }
  std::printf("%s: median of %d, wall ms (compile included)\n", argv[1], repeats);
  std::printf(
      "  interp %9.1f\n  osr    %9.1f   (%d loop switches in the last run)\n  jit    %9.1f\n",
      median(interp_ms), median(osr_ms), switched, median(jit_ms));
  return 0;
}
