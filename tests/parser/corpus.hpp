#pragma once
// The test programs every corpus-wide parser test walks: each .kst file under tests/, stdlib/
// and examples/ of the source tree, found when the test runs (so new programs join at once).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace kestrel::parser::testing {

struct CorpusFile {
  std::string path;  // relative to the source root, e.g. "tests/lang/errors/undefined.kst"
  std::string text;
};

inline std::vector<CorpusFile> load_corpus() {
  namespace fs = std::filesystem;
  const fs::path root = KESTREL_SOURCE_DIR;
  std::vector<CorpusFile> files;
  for (const char* dir : {"tests", "stdlib", "examples"}) {
    std::error_code ec;
    if (!fs::is_directory(root / dir, ec)) {
      continue;
    }
    for (auto it = fs::recursive_directory_iterator(root / dir, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) {
        break;
      }
      // tests/lang_pending/ holds known-failing programs awaiting fixes (one is a 72 KB block
      // that would make every-byte truncation quadratic); they are not part of the corpus.
      if (it->is_directory() && it->path().filename() == "lang_pending") {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file() && it->path().extension() == ".kst") {
        std::ifstream in(it->path(), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        files.push_back({fs::relative(it->path(), root).generic_string(), text.str()});
      }
    }
  }
  std::sort(files.begin(), files.end(),
            [](const CorpusFile& a, const CorpusFile& b) { return a.path < b.path; });
  return files;
}

/// Golden error programs may fail to parse on purpose.
inline bool expected_to_fail(const CorpusFile& file) {
  return file.path.rfind("tests/lang/errors/", 0) == 0;
}

}  // namespace kestrel::parser::testing
