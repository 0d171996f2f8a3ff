// Imports: the script's folder, then the import paths; qualified calls; cycles; bad modules.
#include "tests/sema/check_helpers.hpp"

namespace kestrel::sema {
namespace {

using testing::Checked;
using testing::fixtures;

TEST(Imports, QualifiedCallsAndLaunches) {
  Checked c;
  testing::check_path_into(c, fixtures() / "uses_geometry.kst");
  ASSERT_TRUE(c.ok()) << c.rendered();
  ASSERT_EQ(c.program->modules.size(), 1u);
  EXPECT_EQ(c.program->modules[0].name, "geometry");
  EXPECT_EQ(c.program->modules[0].functions.size(), 3u);
  EXPECT_TRUE(c.program->find_function("geometry.area").valid());
  EXPECT_EQ(c.program->fn(c.program->find_function("geometry.square")).ret, ir::Type::f64());
  EXPECT_NE(c.dump().find("(launch geometry.scale [(len:i64 a)] a 2.0)"), std::string::npos)
      << c.dump();
}

TEST(Imports, ModuleFromImportPath) {
  KESTREL_CHECK_TEXT(c, "import montecarlo\nlet p: f64 = montecarlo.pi(1000, 7)\n");
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_NE(c.dump().find("(call:f64 montecarlo.pi 1000 7)"), std::string::npos) << c.dump();
}

TEST(Imports, ImportedOnceWhenImportedTwice) {
  KESTREL_CHECK_TEXT(c, "import geometry\nimport montecarlo\nprint(geometry.area(1.0, 2.0))\n");
  ASSERT_TRUE(c.ok()) << c.rendered();
  EXPECT_EQ(c.program->modules.size(), 2u);
}

TEST(Imports, MissingModule) {
  KESTREL_CHECK_TEXT(c, "import nosuch\nprint(nosuch.f(1))\n");
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::BadImport});
  EXPECT_EQ(c.diags.all()[0].message,
            "cannot find module 'nosuch': there is no nosuch.kst in the script's folder or the "
            "standard library");
}

TEST(Imports, CycleNamesTheChain) {
  Checked c;
  testing::check_path_into(c, fixtures() / "cycle_a.kst");
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::ImportCycle}) << c.rendered();
  EXPECT_EQ(c.diags.all()[0].message, "import cycle: cycle_a -> cycle_b -> cycle_a");
}

TEST(Imports, UnknownMember) {
  KESTREL_CHECK_TEXT(c, "import geometry\nprint(geometry.volume(1.0))\n");
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::UnknownAttribute});
  EXPECT_EQ(c.diags.all()[0].message, "module 'geometry' has no function 'volume'");
}

TEST(Imports, ErrorsInsideAModuleAreReportedThere) {
  KESTREL_CHECK_TEXT(c, "import broken_module\nprint(broken_module.bad())\n");
  ASSERT_EQ(c.kinds(), std::vector{diag::Kind::ReturnType});
  EXPECT_NE(c.rendered().find("broken_module.kst:3:12"), std::string::npos) << c.rendered();
}

TEST(Imports, OnlyAtTopLevel) {
  KESTREL_CHECK_TEXT(c, "fn f() {\n  import geometry\n}\n");
  EXPECT_EQ(c.kinds(), std::vector{diag::Kind::DefinitionNotTopLevel});
}

}  // namespace
}  // namespace kestrel::sema
