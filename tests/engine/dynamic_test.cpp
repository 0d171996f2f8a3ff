// kestrel/dynamic.hpp: functions described as data, and calls with their signature learnt at run
// time (what the Python module uses), in every mode: scalars, tuples, str, arrays without a copy
// both ways, a result viewing an argument kept alive by the argument's on_release, errors.
#include "kestrel/dynamic.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

constexpr const char* kSource = R"(
fn add(x: i64, y: f64) -> f64 {
    return f64(x) + y
}
fn ident(a: f64[:]) -> f64[:] {
    return a
}
fn tail(m: i32[:, :]) -> i32[:, :] {
    return m[1:, :]
}
fn scale(a: f64[:], k: f64) {
    a[:] *= k
}
fn stats(a: f64[:]) -> ((f64, i64), str, f64[:]) {
    return ((sum(a), len(a)), "ok", a * 2.0)
}
fn at(a: f64[:], i: i64) -> f64 {
    return a[i]
}
)";

class DynamicTest : public ::testing::TestWithParam<kestrel::Mode> {
 protected:
  kestrel::Module load() const {
    kestrel::EngineOptions options;
    options.mode = GetParam();
    options.use_cache = false;
    return kestrel::Engine(options).load_source("dyn.kst", kSource);
  }
};

int released = 0;
void count_release(void* owner) {
  ++released;
  EXPECT_EQ(owner, &released);
}

kestrel::DynValue array_of(std::vector<double>& v, bool owned) {
  kestrel::DynValue a;
  a.array.data = v.data();
  a.array.shape[0] = static_cast<std::int64_t>(v.size());
  if (owned) {
    a.array.on_release = count_release;
    a.array.owner = &released;
  }
  return a;
}

TEST_P(DynamicTest, DescribesFunctions) {
  std::vector<kestrel::FunctionInfo> fns = kestrel::functions(load());
  ASSERT_EQ(fns.size(), 6U);
  EXPECT_EQ(fns[0].signature, "add(x: i64, y: f64) -> f64");
  EXPECT_EQ(fns[0].param_names, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(fns[0].params[1].kind, kestrel::TypeInfo::Kind::Scalar);
  EXPECT_EQ(fns[2].params[0].rank, 2);
  EXPECT_EQ(fns[2].params[0].elem, kestrel::Elem::I32);
  EXPECT_EQ(fns[3].writes, (std::vector<bool>{true, false}));
  EXPECT_EQ(fns[1].writes, (std::vector<bool>{false}));
  const kestrel::TypeInfo& r = fns[4].result;
  ASSERT_EQ(r.kind, kestrel::TypeInfo::Kind::Tuple);
  ASSERT_EQ(r.elems.size(), 3U);
  EXPECT_EQ(r.elems[0].kind, kestrel::TypeInfo::Kind::Tuple);
  EXPECT_EQ(r.elems[1].kind, kestrel::TypeInfo::Kind::Str);
}

TEST_P(DynamicTest, ScalarsAndNestedTuples) {
  kestrel::Module m = load();
  std::vector<kestrel::DynValue> args(2);
  args[0].i = 2;
  args[1].f = 0.5;
  EXPECT_EQ(kestrel::DynamicFunction(m, "add")(args).f, 2.5);

  std::vector<double> v{1, 2, 3};
  std::vector<kestrel::DynValue> one;
  one.push_back(array_of(v, false));
  kestrel::DynValue s = kestrel::DynamicFunction(m, "stats")(one);
  ASSERT_EQ(s.elems.size(), 3U);
  ASSERT_EQ(s.elems[0].elems.size(), 2U);
  EXPECT_EQ(s.elems[0].elems[0].f, 6.0);
  EXPECT_EQ(s.elems[0].elems[1].i, 3);
  EXPECT_EQ(s.elems[1].str, "ok");
  const auto* twice = static_cast<const double*>(s.elems[2].array.data);
  EXPECT_EQ(twice[2], 6.0);
  EXPECT_NE(s.elems[2].array.handle, nullptr);
}

TEST_P(DynamicTest, ArraysWithoutCopies) {
  kestrel::Module m = load();
  std::vector<double> v{1, 2, 3, 4};
  released = 0;
  {
    std::vector<kestrel::DynValue> args;
    args.push_back(array_of(v, true));
    args.emplace_back().f = 10.0;
    kestrel::DynamicFunction(m, "scale")(args);
    EXPECT_EQ(v[3], 40.0);  // written in place
    EXPECT_EQ(released, 1);
  }
  {
    // A result viewing an owned argument is that memory, alive until the result goes.
    std::vector<kestrel::DynValue> args;
    args.push_back(array_of(v, true));
    kestrel::DynValue r = kestrel::DynamicFunction(m, "ident")(args);
    EXPECT_EQ(r.array.data, v.data());
    EXPECT_EQ(released, 1);
    r = kestrel::DynValue();
    EXPECT_EQ(released, 2);
  }
  {
    // Borrowed (no on_release): the result is a copy.
    std::vector<kestrel::DynValue> args;
    args.push_back(array_of(v, false));
    kestrel::DynValue r = kestrel::DynamicFunction(m, "ident")(args);
    EXPECT_NE(r.array.data, v.data());
    EXPECT_EQ(static_cast<const double*>(r.array.data)[0], 10.0);
  }
  // A strided 2-D view: rows 1.. of a 3x2 matrix seen with a row stride of 4.
  std::vector<std::int32_t> mat{1, 2, 0, 0, 3, 4, 0, 0, 5, 6, 0, 0};
  std::vector<kestrel::DynValue> args(1);
  args[0].array.data = mat.data();
  args[0].array.shape[0] = 3;
  args[0].array.shape[1] = 2;
  args[0].array.strides[0] = 4;
  kestrel::DynValue t = kestrel::DynamicFunction(m, "tail")(args);
  const auto* e = static_cast<const std::int32_t*>(t.array.data);
  EXPECT_EQ(t.array.shape[0], 2);
  EXPECT_EQ(e[0], 3);
  EXPECT_EQ(e[t.array.strides[0] + 1], 6);
}

TEST_P(DynamicTest, ErrorsReleaseTheArguments) {
  kestrel::Module m = load();
  std::vector<double> v{1, 2};
  released = 0;
  std::vector<kestrel::DynValue> args;
  args.push_back(array_of(v, true));
  args.emplace_back().i = 5;
  try {
    kestrel::DynamicFunction(m, "at")(args);
    FAIL() << "no error";
  } catch (const kestrel::Error& e) {
    EXPECT_NE(std::string(e.what()).find("dyn.kst:18:12: error: index 5 is out of bounds"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(released, 1);
  args.pop_back();  // wrong count: still released once
  EXPECT_THROW(kestrel::DynamicFunction(m, "at")(args), kestrel::Error);
  EXPECT_EQ(released, 2);
  EXPECT_THROW(kestrel::DynamicFunction(m, "nope"), kestrel::Error);
}

std::string mode_name(const ::testing::TestParamInfo<kestrel::Mode>& p) {
  switch (p.param) {
    case kestrel::Mode::Interp:
      return "Interp";
    case kestrel::Mode::Jit:
      return "Jit";
    case kestrel::Mode::Tiered:
      break;
  }
  return "Tiered";
}

INSTANTIATE_TEST_SUITE_P(Modes, DynamicTest,
                         ::testing::Values(kestrel::Mode::Interp, kestrel::Mode::Jit,
                                           kestrel::Mode::Tiered),
                         mode_name);

}  // namespace
