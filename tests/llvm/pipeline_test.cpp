// The JIT's pipelines (jit::Options::pipeline, passes.hpp, baseline.hpp): every golden program
// compiled with every function on the cheap pipeline, on the full one, in the baseline tier, and
// half in the baseline tier and half hot, prints the
// same bytes and raises the same error as the interpreter, at 1 and 8 threads (golden_test.cpp
// runs the default, Full, at 1, 2 and 8; Auto mixes the two). And the choice takes effect: the
// cheap pipeline leaves a loop the full one removes, a hot function gets the full one, and a
// function of more than kMaxFullLoops loops or kMaxFullBlocks blocks gets the cheap one
// whatever was asked.
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "codegen/llvm/passes.hpp"
#include "codegen/llvm/program.hpp"
#include "runtime/limits.hpp"
#include "runtime/parallel.hpp"
#include "tests/llvm/jit_helpers.hpp"

namespace kestrel::jit::testing {
namespace {

/// Runs `program` in the JIT compiled with `jo` (no object cache).
Outcome run_with(const diag::SourceManager& sources, const ir::Program& program, Options jo) {
  Outcome o;
  codegen::RunOptions options;
  options.out = &o.out;
  jo.use_cache = false;
  try {
    auto code = compile(program, jo);
    run_main(*code, options);
  } catch (const codegen::RunError& e) {
    o.error = diag::location(sources, e.span()) + ": " + e.message();
  }
  return o;
}

class Pipelines : public ::testing::TestWithParam<std::string> {};

TEST_P(Pipelines, CheapFullAndBaselineSameAsInterpreter) {
  std::filesystem::path path = std::filesystem::path(KESTREL_SOURCE_DIR) / GetParam();
  diag::SourceManager sources;
  diag::DiagnosticList diags;
  auto program = sema::check_file(sources, path, check_options(), diags);
  ASSERT_TRUE(program && !diags.has_errors()) << diag::render(sources, diags);
  Outcome interp = run_program(sources, *program, Mode::Interp);
  const bool example = GetParam().rfind("examples/", 0) == 0;
  // Baseline twice: every function in it (a module at CodeGenOptLevel::None), and every other
  // function hot (a module mixing optnone baseline functions and full ones that call each other).
  for (int variant = 0; variant < 4; ++variant) {
    const Pipeline pipeline = variant == 0   ? Pipeline::Cheap
                              : variant == 1 ? Pipeline::Full
                                             : Pipeline::Baseline;
    for (int threads : {1, 8}) {
      rt::set_threads(threads);
      Options jo;
      jo.pipeline = pipeline;
      if (variant == 3) {
        for (std::uint32_t f = 0; f < program->functions.size(); f += 2) {
          jo.hot.push_back(ir::FnId{f});
        }
      }
      Outcome jit = run_with(sources, *program, jo);
      const char* name = variant == 0   ? "cheap"
                         : variant == 1 ? "full"
                         : variant == 2 ? "baseline"
                                        : "baseline+hot";
      if (example) {
        EXPECT_EQ(without_timings(interp.out), without_timings(jit.out)) << name << threads;
      } else {
        EXPECT_EQ(interp.out, jit.out) << name << " pipeline, " << threads << " threads";
      }
      EXPECT_EQ(interp.error, jit.error) << name << " pipeline, " << threads << " threads";
    }
  }
  rt::set_threads(0);
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(Programs, Pipelines, ::testing::ValuesIn(golden_files()), test_name);

/// `text` without the attribute-group number of its definition line (`... #1 {`), which
/// numbers the module's attribute sets, not the function's code.
std::string without_attribute_group(std::string text) {
  std::size_t brace = text.find(" {\n");
  std::size_t hash = text.rfind(" #", brace);
  if (brace != std::string::npos && hash != std::string::npos) {
    text.erase(hash, brace - hash);
  }
  return text;
}

/// The optimised text of function `name` of `text` compiled with `jo` (without its attribute
/// group), and what it printed.
struct Compiled {
  std::string fn_text;
  std::string out;
};
Compiled compiled(const std::string& text, const std::string& name, Options jo) {
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  if (!program) {
    return {};
  }
  jo.use_cache = false;
  auto code = compile(*program, jo);
  Compiled c;
  codegen::RunOptions options;
  options.out = &c.out;
  run_main(*code, options);
  for (std::uint32_t f = 0; f < program->functions.size(); ++f) {
    if (program->functions[f].name == name) {
      c.fn_text = without_attribute_group(emit_llvm_function(*code, ir::FnId{f}));
    }
  }
  return c;
}

// A loop of a closed form: the full pipeline's IndVarSimplify and loop deletion replace it by
// arithmetic, the cheap pipeline keeps the loop (a back edge: a phi).
constexpr const char* kClosedForm =
    "fn tri(n: i64) -> i64 {\n"
    "    var acc = 0\n"
    "    for i in 0..n { acc += i }\n"
    "    return acc\n"
    "}\n"
    "print(tri(1000))\n";

TEST(Pipeline, CheapSkipsTheLoopPassesFullRuns) {
  Options cheap;
  cheap.pipeline = Pipeline::Cheap;
  Options full;
  full.pipeline = Pipeline::Full;
  Compiled c = compiled(kClosedForm, "tri", cheap);
  Compiled f = compiled(kClosedForm, "tri", full);
  EXPECT_EQ(c.out, "499500\n");
  EXPECT_EQ(f.out, "499500\n");
  EXPECT_NE(c.fn_text.find("phi"), std::string::npos) << c.fn_text;
  EXPECT_NE(c.fn_text, f.fn_text);
}

TEST(Pipeline, AutoAndHotGiveLoopsTheFullPipeline) {
  Options full;
  full.pipeline = Pipeline::Full;
  Options autop;
  autop.pipeline = Pipeline::Auto;  // a function with a loop is hot
  Compiled f = compiled(kClosedForm, "tri", full);
  EXPECT_EQ(compiled(kClosedForm, "tri", autop).fn_text, f.fn_text);
  // Cheap, except the function named hot (FnId 1: 0 is the top level).
  diag::SourceManager sources;
  auto program = check_text(sources, kClosedForm);
  ASSERT_TRUE(program);
  ASSERT_EQ(program->functions.at(1).name, "tri");
  Options hot;
  hot.pipeline = Pipeline::Cheap;
  hot.hot = {ir::FnId{1}};
  EXPECT_EQ(compiled(kClosedForm, "tri", hot).fn_text, f.fn_text);
}

// passes::cut_multiply_chains: a 32x32->64-bit multiply's masked operand is frozen for code
// generation (a Philox draw's rounds, and the same shape written by hand), and the answers are
// the interpreter's.
TEST(Pipeline, MasksMultipliedAreCutForCodeGeneration) {
  const std::string text =
      "fn draws(n: i64) -> i64 {\n"
      "    var hits = 0\n"
      "    for i in 0..n {\n"
      "        if random(7, i) < 0.25 { hits += 1 }\n"
      "    }\n"
      "    return hits\n"
      "}\n"
      "fn mix(a: i64[:], out: i64[:]) {\n"
      "    for i in 0..len(a) { out[i] = ((a[i] * 7 + 3) & 4294967295) * 3528531795 }\n"
      "}\n"
      "let a = arange(1000, i64)\n"
      "let out = zeros(1000, i64)\n"
      "mix(a, out)\n"
      "print(draws(1000), sum(out))\n";
  Options full;
  full.pipeline = Pipeline::Full;
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  ASSERT_TRUE(program);
  const Outcome interp = run_program(sources, *program, Mode::Interp);
  for (const char* fn : {"draws", "mix"}) {
    Compiled c = compiled(text, fn, full);
    EXPECT_EQ(c.out, interp.out);
    EXPECT_NE(c.fn_text.find(".cut = freeze"), std::string::npos) << fn << ":\n" << c.fn_text;
  }
  // Where draws' loop is vectorised, the high halves of its Philox products read a freeze.
  const std::string draws = compiled(text, "draws", full).fn_text;
  if (draws.find("mul nuw <") != std::string::npos) {
    EXPECT_NE(draws.find(".high = freeze <"), std::string::npos) << draws;
  }
  // mix's loop is vectorised: its masks are written constant first, so that CodeGenPrepare does
  // not number the block for each multiply.
  const std::string mix = compiled(text, "mix", full).fn_text;
  if (mix.find("mul <") != std::string::npos) {
    EXPECT_TRUE(std::regex_search(mix, std::regex("= and <[0-9]+ x i64> <i64 4294967295, ")))
        << mix;
  }
}

/// Lowers `program` into `module` and prepares it for passes::optimise as compile() does.
void prepare(const ir::Program& program, llvm::Module& module, llvm::TargetMachine& tm) {
  LoweredTables tables;
  lower_program(program, module, tables);
  passes::set_target(module, tm);
  passes::fold_large_loop_tails(module);
  passes::add_random_variants(module, tm);
  passes::add_division_variants(module, tm);
}

/// TargetMachines for this machine's CPU and for CPUs of narrower vectors (AVX2's four lanes,
/// SSE2's two), by name ("" for the host).
std::vector<std::pair<std::string, std::unique_ptr<llvm::TargetMachine>>> target_machines() {
  (void)make_host();  // initialises the native target
  std::vector<std::pair<std::string, std::unique_ptr<llvm::TargetMachine>>> out;
  auto host = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!host) {
    llvm::consumeError(host.takeError());
    return out;
  }
  for (const char* cpu : {"", "haswell", "x86-64"}) {
    llvm::orc::JITTargetMachineBuilder builder(host->getTargetTriple());
    if (cpu[0] == '\0') {
      builder = *host;
    } else {
      builder.setCPU(cpu);
    }
    auto tm = builder.createTargetMachine();
    if (!tm) {
      llvm::consumeError(tm.takeError());
      continue;
    }
    out.emplace_back(cpu, std::move(*tm));
  }
  return out;
}

/// Monte Carlo pi's function, as the standard library writes it.
constexpr const char* kPi =
    "fn pi(n: i64, seed: i64) -> f64 {\n"
    "    var hits = 0\n"
    "    parallel for i in 0..n {\n"
    "        let x = random(seed, 2 * i)\n"
    "        let y = random(seed, 2 * i + 1)\n"
    "        if x * x + y * y < 1.0 { hits += 1 }\n"
    "    }\n"
    "    return 4.0 * f64(hits) / f64(n)\n"
    "}\n";

// passes::optimise in a function that holds a Philox loop: it skips the InstCombine runs
// passes.hpp lists (three before vectorisation, two after it when the loop is vectorised), and
// the optimised function is the one that running all of them gives.
TEST(Pipeline, APhiloxLoopSkipsInstCombineRunsThatChangeNothing) {
  const std::string text = std::string(kPi) + "print(pi(100000, 42))\n";
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  ASSERT_TRUE(program);
  (void)make_host();  // initialises the native target
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  ASSERT_TRUE(static_cast<bool>(builder));
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);
  auto tm = builder->createTargetMachine();
  ASSERT_TRUE(static_cast<bool>(tm));
  // The text of the optimised module's Philox loop function, and the runs skipped.
  auto optimised = [&](bool all, unsigned* skipped) {
    llvm::LLVMContext context;
    llvm::Module module("kestrel", context);
    prepare(*program, module, **tm);
    *skipped = passes::optimise(module, **tm, 2, all);
    std::string body;
    for (const llvm::Function& f : module) {
      if (!f.isDeclaration() && f.getName().contains(".chunk.")) {
        llvm::raw_string_ostream os(body);
        f.print(os);
      }
    }
    return body;
  };
  unsigned skipped = 0;
  unsigned none = 0;
  const std::string some = optimised(false, &skipped);
  const std::string all = optimised(true, &none);
  ASSERT_NE(some, "");
  EXPECT_EQ(none, 0u);
  // Three before vectorisation; two more after it where the target vectorises the loop.
  EXPECT_TRUE(skipped == 3u || skipped == 5u) << skipped;
  const auto diverge = std::mismatch(some.begin(), some.end(), all.begin(), all.end());
  EXPECT_TRUE(some == all) << "the texts part at character " << (diverge.first - some.begin())
                           << ": skipping\n"
                           << std::string(diverge.first, std::min(diverge.first + 300, some.end()))
                           << "\nall\n"
                           << std::string(diverge.second,
                                          std::min(diverge.second + 300, all.end()));
  const Outcome interp = run_program(sources, *program, Mode::Interp);
  EXPECT_EQ(compiled(text, "pi", Options{}).out, interp.out);
}

// passes::add_random_variants and expand_random_calls: a parallel loop's draws are calls of
// kestrel.random until optimisation is done (the vectoriser widens them to the variants), then
// the draws that do not depend on one another share one loop over Philox's rounds in the vector
// loop (pi's, whose tail is folded: a draw counts as its rounds for fold_large_loop_tails); draws
// the vectoriser leaves scalar would be written out in vector lanes (mixed's counters come from
// other draws); a loop with a float sum (total's) has its draws written out at once. No call of
// kestrel.random is left, and the answers are the interpreter's.
TEST(Pipeline, ParallelDrawsShareALoopOverPhiloxRounds) {
  const std::string text =
      std::string(kPi) +
      "fn mixed(n: i64, seed: i64) -> i64 {\n"
      "    var chained = 0\n"
      "    parallel for i in 0..n {\n"
      "        if random(seed, i64(random(i % 3, i) * 100.0)) < 0.5 { chained += 1 }\n"
      "    }\n"
      "    return chained\n"
      "}\n"
      "fn total(n: i64, seed: i64) -> f64 {\n"
      "    var s = 0.0\n"
      "    parallel for i in 0..n { s += random(seed, i) * random(seed + 1, i) }\n"
      "    return s\n"
      "}\n"
      "print(pi(1003, 42), pi(5, -1), mixed(1003, 7), total(1003, 7))\n";
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  ASSERT_TRUE(program);
  Options full;
  full.pipeline = Pipeline::Full;
  full.use_cache = false;
  auto code = compile(*program, full);
  codegen::RunOptions options;
  std::string out;
  options.out = &out;
  run_main(*code, options);
  EXPECT_EQ(out, run_program(sources, *program, Mode::Interp).out);
  const std::string module = emit_llvm(*code);
  EXPECT_EQ(module.find("kestrel.random"), std::string::npos) << module;
  const std::size_t pi = module.find("define internal void @kestrel.pi.");
  ASSERT_NE(pi, std::string::npos) << module;
  const std::string pi_text = module.substr(pi, module.find("\n}\n", pi) - pi);
  if (pi_text.find("vector.body:") != std::string::npos) {
    EXPECT_NE(pi_text.find("vector.body.philox:"), std::string::npos) << pi_text;
  }
}

// The module expand_random_calls leaves is well formed (the verifier, which compile() does not
// run after optimisation), for the golden programs that draw in parallel loops, on this
// machine and for CPUs of narrower vectors (the variants are as wide as the target's registers:
// AVX2's four lanes, SSE2's two), with Monte Carlo pi's draws in a vector loop over the rounds.
TEST(Pipeline, ExpandedDrawsVerify) {
  auto machines = target_machines();
  ASSERT_EQ(machines.size(), 3u);
  for (auto& [cpu, tm] : machines) {
    unsigned expanded = 0;
    for (const char* path :
         {"tests/lang/random/parallel_draw_shapes.kst", "tests/lang/random/parallel_substreams.kst",
          "tests/lang/random/pure_draws.kst", "tests/lang/parallel/substreams_large.kst",
          "tests/lang/random/montecarlo_pi.kst"}) {
      diag::SourceManager sources;
      diag::DiagnosticList diags;
      auto program = sema::check_file(sources, std::filesystem::path(KESTREL_SOURCE_DIR) / path,
                                      check_options(), diags);
      ASSERT_TRUE(program && !diags.has_errors()) << diag::render(sources, diags);
      llvm::LLVMContext context;
      llvm::Module module("kestrel", context);
      prepare(*program, module, *tm);
      passes::optimise(module, *tm, 2);
      const bool drew = std::any_of(module.begin(), module.end(), [](const llvm::Function& f) {
        return f.getName().starts_with("kestrel.random");
      });
      passes::expand_random_calls(module);
      passes::expand_division_calls(module);
      std::string errors;
      llvm::raw_string_ostream os(errors);
      EXPECT_FALSE(llvm::verifyModule(module, &os)) << cpu << " " << path << ": " << errors;
      EXPECT_EQ(module.getFunction("kestrel.random"), nullptr) << cpu << " " << path;
      if (std::string_view(path).find("montecarlo_pi") != std::string_view::npos) {
        EXPECT_NE(passes::print(module).find("vector.body.philox:"), std::string::npos)
            << cpu << ": pi's draws are not in a vector loop over the rounds";
      }
      expanded += drew ? 1 : 0;
    }
    EXPECT_GE(expanded, 2u) << cpu;
  }
}

// passes::add_division_variants and expand_division_calls (int_div_ir.hpp): `a % D` and
// `a // D` with a constant D are calls of kestrel.sdiv until optimisation is done, so the
// vectoriser widens a loop of them (LLVM would divide a vector of i64 a lane at a time, and so
// left the loop scalar); after it, the vector calls are multiplies by D's magic number and the
// scalar ones LLVM's sdiv, on this machine and for CPUs of narrower vectors. No call is left, the
// module verifies, and the answers are the interpreter's (tests/lang/basics/int_div_const.kst
// holds the edge values in every mode).
TEST(Pipeline, DivisionsByAConstantAreVectorised) {
  const std::string text =
      "fn buckets(n: i64) -> i64 {\n"
      "    var s = 0\n"
      "    parallel for i in 0..n { s += (i * 31 + 7) % 100 + (i - 500) // -7 }\n"
      "    return s\n"
      "}\n"
      "let lo = -9223372036854775807 - 1\n"
      "print(buckets(1003), buckets(5), lo // 3, lo % 3, 17 % -10)\n";
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  ASSERT_TRUE(program);
  const Outcome interp = run_program(sources, *program, Mode::Interp);
  EXPECT_EQ(compiled(text, "buckets", Options{}).out, interp.out);
  auto machines = target_machines();
  ASSERT_EQ(machines.size(), 3u);
  for (auto& [cpu, tm] : machines) {
    llvm::LLVMContext context;
    llvm::Module module("kestrel", context);
    prepare(*program, module, *tm);
    EXPECT_NE(module.getFunction("kestrel.srem"), nullptr) << cpu;
    EXPECT_NE(module.getFunction("kestrel.sdiv"), nullptr) << cpu;
    passes::optimise(module, *tm, 2);
    passes::expand_random_calls(module);
    passes::expand_division_calls(module);
    std::string errors;
    llvm::raw_string_ostream os(errors);
    EXPECT_FALSE(llvm::verifyModule(module, &os)) << cpu << ": " << errors;
    const std::string ir = passes::print(module);
    EXPECT_EQ(ir.find("kestrel.sdiv"), std::string::npos) << cpu << ": " << ir;
    EXPECT_EQ(ir.find("kestrel.srem"), std::string::npos) << cpu << ": " << ir;
    EXPECT_EQ(ir.find("sdiv <"), std::string::npos) << cpu << ": " << ir;
    EXPECT_EQ(ir.find("srem <"), std::string::npos) << cpu << ": " << ir;
    EXPECT_TRUE(std::regex_search(ir, std::regex("mul <[0-9]+ x i64>"))) << cpu << ": " << ir;
  }
}

// The vector division's magic numbers against the interpreter's division for many divisors: a
// parallel loop sums, for each of 48 pseudo-random divisors of every magnitude and sign (and a
// few that keep LLVM's division: 2^k, -1, 1), a hash of v[i] // D and v[i] % D over 4,024 values
// (the i64 limits and pseudo-random values of every magnitude). A quotient or remainder off in
// any lane changes the sum.
TEST(Pipeline, VectorDivisionsAgreeWithTheInterpreterForManyDivisors) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    std::uint64_t state = seed * 0x9E3779B97F4A7C15ull;
    auto next = [&] {
      state ^= state >> 12;
      state ^= state << 25;
      state ^= state >> 27;
      return state * 0x2545F4914F6CDD1Dull;
    };
    std::vector<std::int64_t> divisors{4, -1, 1, 2, -1024};
    while (divisors.size() < 53) {
      const std::uint64_t r = next();
      const auto d = static_cast<std::int64_t>(r >> (r % 62));  // every magnitude
      if (d != 0 && d != std::numeric_limits<std::int64_t>::min()) {
        divisors.push_back(next() % 2 == 0 ? d : -d);
      }
    }
    std::string text =
        "fn values() -> i64[:] {\n"
        "    let v = zeros(4024, i64)\n"
        "    var x = " +
        std::to_string(static_cast<std::int64_t>(next() >> 1)) +
        "\n"
        "    for i in 0..4000 {\n"
        "        x = x * 6364136223846793005 + 1442695040888963407\n"
        "        v[i] = x >> (i % 64)\n"
        "    }\n"
        "    let lo = -9223372036854775807 - 1\n"
        "    let edges = [lo, lo + 1, -7, -3, -1, 0, 1, 3, 7, 9223372036854775806, "
        "9223372036854775807, 1000000007, lo + 2, -2, 2, 5, -5, 100, -100, 64, -64, 63, -63, 11]\n"
        "    for k in 0..24 {\n"
        "        v[4000 + k] = edges[k]\n"
        "    }\n"
        "    return v\n"
        "}\n"
        "fn hash(v: i64[:]) -> i64 {\n"
        "    var s = 0\n"
        "    parallel for i in 0..len(v) {\n"
        "        let a = v[i]\n";
    for (std::size_t j = 0; j < divisors.size(); ++j) {
      const std::string d = divisors[j] < 0 ? "(0 - " + std::to_string(-divisors[j]) + ")"
                                            : std::to_string(divisors[j]);
      text += "        s += (a // " + d + ") * " + std::to_string(2 * j + 3) + " + (a % " + d +
              ") * " + std::to_string(1000003 + 2 * j) + "\n";
    }
    text +=
        "    }\n"
        "    return s\n"
        "}\n"
        "print(hash(values()))\n";
    diag::SourceManager sources;
    auto program = check_text(sources, text);
    ASSERT_TRUE(program) << text;
    const Outcome interp = run_program(sources, *program, Mode::Interp);
    ASSERT_EQ(interp.error, "") << text;
    const Compiled jit = compiled(text, "hash", Options{});
    EXPECT_EQ(jit.out, interp.out) << "seed " << seed << "\n" << text;
  }
}

TEST(Pipeline, BaselineKeepsTheLoopAndAHotFunctionGetsTheFullPipeline) {
  Options full;
  full.pipeline = Pipeline::Full;
  Options base;
  base.pipeline = Pipeline::Baseline;
  Compiled f = compiled(kClosedForm, "tri", full);
  Compiled b = compiled(kClosedForm, "tri", base);
  EXPECT_EQ(b.out, "499500\n");
  EXPECT_NE(b.fn_text.find("phi"), std::string::npos) << b.fn_text;  // still a loop
  EXPECT_NE(b.fn_text, f.fn_text);
  diag::SourceManager sources;
  auto program = check_text(sources, kClosedForm);
  ASSERT_TRUE(program);
  ASSERT_EQ(program->functions.at(1).name, "tri");
  Options hot = base;  // the top level baseline (optnone), tri in full
  hot.hot = {ir::FnId{1}};
  Compiled h = compiled(kClosedForm, "tri", hot);
  EXPECT_EQ(h.fn_text, f.fn_text);
  EXPECT_EQ(h.out, "499500\n");
}

TEST(Pipeline, ManyLoopsGetTheCheapPipelineAndTheSameResult) {
  // Each `for` is two LLVM loops (strips between interrupt polls): more than kMaxFullLoops.
  std::string text = "fn many(n: i64) -> i64 {\n    var acc = 0\n";
  const unsigned loops = passes::kMaxFullLoops / 2 + 2;
  for (unsigned k = 0; k < loops; ++k) {
    text += "    for i in 0..n { acc += i * " + std::to_string(k + 1) + " % 7 }\n";
  }
  text += "    return acc\n}\nprint(many(100))\n";
  Options full;
  full.pipeline = Pipeline::Full;
  Options cheap;
  cheap.pipeline = Pipeline::Cheap;
  Compiled f = compiled(text, "many", full);
  Compiled c = compiled(text, "many", cheap);
  EXPECT_EQ(f.out, c.out);
  EXPECT_EQ(f.fn_text, c.fn_text);  // over the bound, Full gave it the cheap pipeline too
  Outcome interp;
  {
    diag::SourceManager sources;
    auto program = check_text(sources, text);
    ASSERT_TRUE(program);
    interp = run_program(sources, *program, Mode::Interp);
  }
  EXPECT_EQ(interp.out, f.out);
}

TEST(Pipeline, AnInterruptStopsACheapFunctionInTheLoopThatRuns) {
  // A `for` loop's interrupt check leaves the loop through its exit, which then unwinds (not a
  // branch from each loop to the function's unwind block): the run stops in the long loop, with
  // its line, and nothing after it runs, in a function of more than kMaxFullLoops loops.
  std::string text = "fn many(n: i64) -> i64 {\n    var acc = 0\n";
  const unsigned loops = passes::kMaxFullLoops / 2 + 2;
  for (unsigned k = 0; k < loops; ++k) {
    text += "    for i in 0..n { acc += i * " + std::to_string(k + 1) + " % 7 }\n";
  }
  text += "    for i in 0..n * 1000000000 { acc += i % 3 }\n    print(acc)\n    return acc\n}\n";
  text += "print(many(100))\n";
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  ASSERT_TRUE(program);
  Options jo;
  jo.use_cache = false;
  auto code = compile(*program, jo);
  rt::Limits limits;  // counted from here, after the compile
  limits.time_limit_ms = 200;
  limits.deadline_ns = rt::monotonic_ns() + 200'000'000;
  codegen::RunOptions options;
  Outcome o;
  options.out = &o.out;
  options.limits = &limits;
  try {
    run_main(*code, options);
  } catch (const codegen::RunError& e) {
    o.error = diag::location(sources, e.span()) + ": " + e.message();
  }
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.error.rfind("test.kst:" + std::to_string(loops + 3) + ":", 0), 0u) << o.error;
  EXPECT_NE(o.error.find("time limit of 200 ms exceeded"), std::string::npos) << o.error;
}

TEST(Pipeline, ManyBlocksGetTheCheapPipelineAndTheSameResult) {
  // Each statement makes, sums and frees an array: about four blocks, so more than
  // kMaxFullBlocks in all.
  std::string text = "fn lits(m: i64) -> f64 {\n    var t = 0.0\n";
  for (unsigned k = 0; k < passes::kMaxFullBlocks / 3; ++k) {
    text += "    t += sum([" + std::to_string(k) + ".0, 1.5, 2.5])\n";
  }
  text += "    return t + f64(m)\n}\nprint(lits(3))\n";
  Options full;
  full.pipeline = Pipeline::Full;
  Options cheap;
  cheap.pipeline = Pipeline::Cheap;
  Compiled f = compiled(text, "lits", full);
  Compiled c = compiled(text, "lits", cheap);
  EXPECT_EQ(f.out, c.out);
  EXPECT_EQ(f.fn_text, c.fn_text);
  diag::SourceManager sources;
  auto program = check_text(sources, text);
  ASSERT_TRUE(program);
  EXPECT_EQ(run_program(sources, *program, Mode::Interp).out, f.out);
}

}  // namespace
}  // namespace kestrel::jit::testing
