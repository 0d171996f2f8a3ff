#pragma once
// What the on-stack replacement tests share: the golden programs of tests/lang, checked and
// run with their output and runtime error captured, and the TierHooks that count a loop's
// back-edges and switch it to its continuation (dsl/ir/osr.hpp) at the N-th. The backend that
// runs the continuation is the test's (run_continuation).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "codegen/common/backend.hpp"
#include "codegen/common/tier.hpp"
#include "dsl/diag/diagnostic.hpp"
#include "dsl/ir/osr.hpp"
#include "dsl/sema/check.hpp"

namespace kestrel::testing::osr {

namespace fs = std::filesystem;

inline fs::path root() { return fs::path(KESTREL_SOURCE_DIR); }

/// The golden programs that run (tests/lang, not errors/) and the shapes of tests/interp/osr,
/// relative to the root, sorted.
inline std::vector<std::string> Goldens() {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root() / "tests/interp/osr")) {
    out.push_back(fs::relative(e.path(), root()).generic_string());
  }
  for (const auto& e : fs::recursive_directory_iterator(root() / "tests/lang")) {
    if (e.path().extension() != ".kst") {
      continue;
    }
    std::string rel = fs::relative(e.path(), root()).generic_string();
    if (rel.rfind("tests/lang/errors/", 0) == 0) {
      continue;
    }
    out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param.substr(std::string("tests/").size());
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  return s;
}

/// A golden program, checked (program empty when it does not check: `check` says why).
struct LoadedGolden {
  std::unique_ptr<diag::SourceManager> sources = std::make_unique<diag::SourceManager>();
  std::optional<ir::Program> program;
  std::string check;
};

inline LoadedGolden load(const std::string& rel) {
  // The programs name their data files relative to the root, as the golden runs do.
  fs::current_path(root());
  LoadedGolden g;
  sema::CheckOptions options;
  options.import_paths.push_back(root() / "stdlib");
  diag::DiagnosticList diags;
  g.program = sema::check_file(*g.sources, root() / rel, options, diags);
  if (!g.program || diags.has_errors()) {
    g.check = diag::render(*g.sources, diags);
    g.program.reset();
  }
  return g;
}

/// What a run printed, and its runtime error as `file:line:col: message` (empty if none).
struct Outcome {
  std::string out;
  std::string error;
};

inline Outcome run_outcome(const LoadedGolden& g,
                           const std::function<void(const codegen::RunOptions&)>& run) {
  Outcome o;
  codegen::RunOptions options;
  options.out = &o.out;
  try {
    run(options);
  } catch (const codegen::RunError& e) {
    std::string where = diag::location(*g.sources, e.span());
    std::string prefix = root().generic_string() + "/";
    if (where.rfind(prefix, 0) == 0) {
      where = where.substr(prefix.size());
    }
    o.error = where + ": " + e.message();
  }
  return o;
}

/// What tests/interp/osr's programs say they print (`# OUT: line`, and `# ERROR: where: what`
/// for the runtime error); empty for the golden programs, which their own tests judge.
inline Outcome expected(const std::string& rel) {
  Outcome o;
  if (rel.rfind("tests/interp/osr/", 0) != 0) {
    return o;
  }
  std::ifstream in(root() / rel);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# OUT: ", 0) == 0) {
      o.out += line.substr(7) + "\n";
    } else if (line.rfind("# ERROR: ", 0) == 0) {
      o.error = line.substr(9);
    }
  }
  return o;
}

/// The flattened types of a parameter, one per word.
inline void flatten(const ir::TypeTable& types, ir::Type t, std::vector<ir::Type>& out) {
  if (t.is_tuple()) {
    for (ir::Type e : types.elems(t)) {
      flatten(types, e, out);
    }
  } else if (!t.is_void()) {
    out.push_back(t);
  }
}

inline std::pair<std::uint32_t, std::uint32_t> key(codegen::LoopRef l) { return {l.fn.v, l.index}; }

/// Counts every loop's back-edges that the interpreter reports; never switches.
class CountingHook : public codegen::TierHook {
 public:
  bool function_ready(ir::FnId) override { return false; }
  void call_function(ir::FnId, std::span<const std::int64_t>, std::int64_t*,
                     codegen::TierState&) override {
    ADD_FAILURE() << "call_function without function_ready";
  }
  bool loop_ready(codegen::LoopRef loop, std::int64_t /*left*/) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counts_[key(loop)];
    return false;
  }
  void continue_loop(codegen::LoopRef, std::span<const std::int64_t>, std::int64_t*,
                     codegen::TierState&) override {
    ADD_FAILURE() << "continue_loop without loop_ready";
  }
  /// Each loop that ran and its back-edge count.
  std::vector<std::pair<codegen::LoopRef, std::uint64_t>> counts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::pair<codegen::LoopRef, std::uint64_t>> out;
    for (const auto& [k, n] : counts_) {
      out.push_back({codegen::LoopRef{ir::FnId{k.first}, k.second}, n});
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> counts_;
};

/// The loops to switch, with their back-edge counts: every loop that ran, except in a heavy
/// program (over a million back-edges in all), whose every run is slow in the interpreter: there
/// only the script's own loops, not its imported modules' (the smaller programs that import
/// those switch them).
inline std::vector<std::pair<codegen::LoopRef, std::uint64_t>> loops_to_switch(
    const ir::Program& p, const CountingHook& counter) {
  std::vector<std::pair<codegen::LoopRef, std::uint64_t>> all = counter.counts();
  std::uint64_t total = 0;
  for (const auto& [loop, n] : all) {
    total += n;
  }
  if (total <= 1000000) {
    return all;
  }
  std::vector<char> imported(p.functions.size(), 0);
  for (const ir::Module& m : p.modules) {
    for (ir::FnId f : m.functions) {
      imported[f.v] = 1;
    }
    if (m.main.valid()) {
      imported[m.main.v] = 1;
    }
  }
  std::vector<std::pair<codegen::LoopRef, std::uint64_t>> own;
  for (const auto& entry : all) {
    if (imported[entry.first.fn.v] == 0) {
      own.push_back(entry);
    }
  }
  return own;
}

/// Switches loop `target` at its n-th reported back-edge (once per run: later calls of the same
/// function run interpreted): adds the continuation to a copy of the program and has
/// run_continuation run it.
class SwitchHook : public codegen::TierHook {
 public:
  SwitchHook(const ir::Program& program, codegen::LoopRef target, std::uint64_t n)
      : program_(program), target_(target), n_(n) {}

  bool function_ready(ir::FnId) override { return false; }
  void call_function(ir::FnId, std::span<const std::int64_t>, std::int64_t*,
                     codegen::TierState&) override {
    ADD_FAILURE() << "call_function without function_ready";
  }
  bool loop_ready(codegen::LoopRef loop, std::int64_t /*left*/) override {
    if (key(loop) != key(target_)) {
      return false;
    }
    return ++seen_ == n_;
  }
  void continue_loop(codegen::LoopRef loop, std::span<const std::int64_t> live, std::int64_t* out,
                     codegen::TierState& state) override {
    EXPECT_EQ(key(loop), key(target_));
    switched_ = true;
    auto copy = std::make_unique<ir::Program>(program_);
    ir::Continuation c = ir::add_continuation(*copy, loop.fn, loop.index);
    std::uint32_t words = 0;
    for (const ir::LiveSlot& s : c.live) {
      words += ir::word_count(copy->types, s.type);
    }
    EXPECT_EQ(words, live.size());
    const ir::Program& p = *copy;
    programs_.push_back(std::move(copy));
    run_continuation(p, c, live, out, state);
  }

  bool switched() const { return switched_; }

 protected:
  virtual void run_continuation(const ir::Program& program, const ir::Continuation& c,
                                std::span<const std::int64_t> live, std::int64_t* out,
                                codegen::TierState& state) = 0;

 private:
  const ir::Program& program_;
  codegen::LoopRef target_;
  std::uint64_t n_;
  std::atomic<std::uint64_t> seen_{0};
  bool switched_ = false;
  std::vector<std::unique_ptr<ir::Program>> programs_;
};

}  // namespace kestrel::testing::osr
