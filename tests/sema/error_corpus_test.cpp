// The error corpus tests/lang/errors/*.kst, checked in-process: each file's `# CHECK:` and
// `# CHECK-LOC:` lines must equal the diagnostics that parse + check report for it, in order.
// (tests/lang/run_golden.py checks the same files through `kestrel check`.)
#include <fstream>
#include <regex>

#include "runtime/rules/messages.hpp"
#include "tests/sema/check_helpers.hpp"

namespace kestrel::sema {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> expected(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::regex check(R"(^\s*#\s*CHECK:\s*error:\s*(.*?)\s*$)");
  std::regex loc(R"(^\s*#\s*CHECK-LOC:\s*(\d+:\d+)\s*$)");
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, check)) {
      out.push_back(m[1].str());
    } else if (std::regex_match(line, m, loc) && !out.empty()) {
      out.back() = m[1].str() + ": " + out.back();
    }
  }
  return out;
}

TEST(ErrorCorpus, EveryFileReportsWhatItExpects) {
  fs::path dir = testing::source_dir() / "tests/lang/errors";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".kst") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  EXPECT_GE(files.size(), 45u);
  for (const fs::path& path : files) {
    testing::Checked c;
    testing::check_path_into(c, path);
    std::vector<std::string> got;
    for (const diag::Diagnostic& d : c.diags.all()) {
      if (d.span.file != 0) {
        continue;  // reported in an imported file
      }
      std::string loc = diag::location(c.sources, d.span);
      // As rendered: control bytes a message quotes are written as escapes.
      got.push_back(loc.substr(loc.find(':') + 1) + ": " + rt::printable(d.message, true));
    }
    std::vector<std::string> want = expected(path);
    EXPECT_FALSE(want.empty()) << path << " has no CHECK line";
    EXPECT_EQ(got, want) << path.filename() << "\n" << c.rendered();
  }
}

}  // namespace
}  // namespace kestrel::sema
