// csv_blocks (csv_stream.cpp): the reader reuses the buffers of blocks the program dropped, and a
// buffer with too little room for the next block is replaced. Blocks whose lengths change by
// far more than a read chunk (short records, then long ones, then short again) must still be
// the file's records in order, each once. The long blocks are split in parallel at the line
// marks the reader left (with blank lines and CRLF line ends among their lines).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/csv.hpp"
#include "runtime/stream.hpp"

namespace kestrel::rt {
namespace {

TEST(CsvStream, BlocksOfVeryDifferentLengthsAreTheFilesRecords) {
  auto path = std::filesystem::temp_directory_path() /
              ("kestrel_csv_stream_test_" + std::to_string(::getpid()) + ".csv");
  constexpr std::int64_t kRows = 1000;  // records per block
  {
    std::ofstream out(path, std::ios::binary);
    out << "id,text\n";
    for (std::int64_t r = 0; r < 9 * kRows + 17; ++r) {
      // Blocks 0, 3, 6 and 9 hold records of about 3000 bytes (3 MB blocks), the others of ~10.
      bool wide = (r / kRows) % 3 == 0;
      out << r << "," << std::string(wide ? 2990 + r % 7 : r % 5, 'a' + static_cast<char>(r % 26))
          << (r % 7 == 0 ? "\r\n" : "\n");
      if (r % 333 == 0) {
        out << "\n";  // a blank line
      }
    }
  }
  TableRef whole = read_csv(path.string());
  std::vector<std::string> cells;
  std::vector<std::int64_t> ids;
  std::int64_t handle = csv_stream_open(path.string(), kRows);
  std::int64_t blocks = 0;
  while (stream_next(handle)) {
    TableRef t = stream_table(handle);
    ++blocks;
    ArrayRef id = t->i64("id");
    for (std::int64_t r = 0; r < t->rows(); ++r) {
      ids.push_back(id->at<std::int64_t>(r));
      cells.push_back(t->cell(r, 1));
    }
  }
  std::filesystem::remove(path);
  EXPECT_EQ(blocks, 10);
  ASSERT_EQ(static_cast<std::int64_t>(ids.size()), whole->rows());
  ArrayRef want_ids = whole->i64("id");
  for (std::int64_t r = 0; r < whole->rows(); ++r) {
    ASSERT_EQ(ids[static_cast<std::size_t>(r)], want_ids->at<std::int64_t>(r)) << "row " << r;
    ASSERT_EQ(cells[static_cast<std::size_t>(r)], whole->cell(r, 1)) << "row " << r;
  }
}

}  // namespace
}  // namespace kestrel::rt
