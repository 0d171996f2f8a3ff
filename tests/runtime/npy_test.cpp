// .npy: save and load round trips (memory-mapped), and clear errors on mismatches.
#include "runtime/npy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "runtime/random.hpp"
#include "tests/runtime/expect_error.hpp"

namespace kestrel::rt {
namespace {

class Npy : public ::testing::Test {
 protected:
  std::string path(const std::string& name) {
    auto p = std::filesystem::temp_directory_path() / ("kestrel_npy_" + name);
    paths_.push_back(p);
    return p.string();
  }
  void TearDown() override {
    for (const auto& p : paths_) {
      std::filesystem::remove(p);
    }
  }
  std::vector<std::filesystem::path> paths_;
};

TEST_F(Npy, RoundTripMatrix) {
  std::string p = path("m.npy");
  ArrayRef m = randn_array(Shape(3, 4), 5);
  save_npy(p, *m);
  std::int64_t buffers = live_buffers();
  {
    ArrayRef back = load_npy(p, Elem::F64, 2);
    EXPECT_EQ(back->buffer->kind(), Buffer::Kind::Mapped);
    EXPECT_EQ(live_buffers(), buffers + 1);
    EXPECT_EQ(back->shape[0], 3);
    EXPECT_EQ(back->shape[1], 4);
    EXPECT_EQ(to_vector<double>(*back), to_vector<double>(*m));
    // Writes go to a private copy, never to the file.
    back->at<double>(0, 0) = 123;
  }
  EXPECT_EQ(live_buffers(), buffers);
  EXPECT_EQ(to_vector<double>(*load_npy(p, Elem::F64, 2)), to_vector<double>(*m));
}

TEST_F(Npy, RoundTripEveryElementType) {
  std::string p = path("v.npy");
  save_npy(p, *make_array<std::int32_t>({1, -2, 3}));
  EXPECT_EQ(to_vector<std::int32_t>(*load_npy(p, Elem::I32, 1)),
            (std::vector<std::int32_t>{1, -2, 3}));
  save_npy(p, *make_array<std::int64_t>({INT64_MIN}));
  EXPECT_EQ(to_vector<std::int64_t>(*load_npy(p, Elem::I64, 1)),
            (std::vector<std::int64_t>{INT64_MIN}));
  save_npy(p, *make_array<float>({0.5f}));
  EXPECT_EQ(to_vector<float>(*load_npy(p, Elem::F32, 1)), (std::vector<float>{0.5f}));
  save_npy(p, *make_array<bool>({true, false}));
  EXPECT_EQ(to_vector<bool>(*load_npy(p, Elem::Bool, 1)), (std::vector<bool>{true, false}));
  save_npy(p, *zeros(0));
  EXPECT_EQ(load_npy(p, Elem::F64, 1)->size(), 0);
  // A strided view is saved in row-major order.
  save_npy(p, *transpose(*make_matrix<double>({{1, 2}, {3, 4}})));
  EXPECT_EQ(to_vector<double>(*load_npy(p, Elem::F64, 2)), (std::vector<double>{1, 3, 2, 4}));
}

TEST_F(Npy, HeaderIsNumpyVersion1) {
  std::string p = path("h.npy");
  save_npy(p, *zeros(Shape(2, 3)));
  std::ifstream in(p, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  std::size_t header_len =
      static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_EQ(bytes.substr(10, 59), "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }");
  EXPECT_EQ(bytes.size(), 10 + header_len + 48);
}

TEST_F(Npy, Mismatches) {
  std::string p = path("w.npy");
  save_npy(p, *full(Shape(2, 2), Value(1.0f), Elem::F32));
  expect_error([&] { load_npy(p, Elem::F64, 2); }, p + ": holds f32 data, not f64");
  expect_error([&] { load_npy(p, Elem::F32, 1); }, p + ": has rank 2, not 1");
  expect_error([&] { load_npy(path("missing.npy"), Elem::F64, 1); }, "cannot open file");
  std::string f = path("f.npy");
  {
    std::string dict = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }";
    dict.append(128 - 10 - dict.size() - 1, ' ');
    dict += '\n';
    std::ofstream out(f, std::ios::binary);
    out << std::string("\x93NUMPY\x01\x00", 8) << static_cast<char>(dict.size()) << '\0' << dict
        << std::string(32, '\0');
  }
  expect_error([&] { load_npy(f, Elem::F64, 2); }, "is in Fortran order");
  std::string g = path("g.npy");
  {
    std::ofstream out(g, std::ios::binary);
    out << "not numpy at all";
  }
  expect_error([&] { load_npy(g, Elem::F64, 1); }, "not a .npy file");
  std::string u = path("u.npy");
  {
    std::string dict = "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }";
    dict.append(128 - 10 - dict.size() - 1, ' ');
    dict += '\n';
    std::ofstream out(u, std::ios::binary);
    out << std::string("\x93NUMPY\x01\x00", 8) << static_cast<char>(dict.size()) << '\0' << dict
        << std::string(24, '\0');
  }
  expect_error([&] { load_npy(u, Elem::F64, 1); }, "holds dtype '<U3', which Kestrel cannot load");
  std::string tr = path("t.npy");
  save_npy(tr, *zeros(100));
  std::filesystem::resize_file(tr, 200);
  expect_error([&] { load_npy(tr, Elem::F64, 1); }, "truncated .npy data");
}

/// A version-1 .npy file with `dict` as its header and `data_bytes` zero bytes of data.
void write_npy(const std::string& p, std::string dict, std::size_t data_bytes) {
  dict.append(128 - 10 - dict.size() - 1, ' ');
  dict += '\n';
  std::ofstream out(p, std::ios::binary);
  out << std::string("\x93NUMPY\x01\x00", 8) << static_cast<char>(dict.size()) << '\0' << dict
      << std::string(data_bytes, '\0');
}

// A shape whose element count (or byte count) wraps around 64 bits once passed the size test
// and the array read far past the mapping.
TEST_F(Npy, ShapeProductOverflowIsAnError) {
  std::string p = path("big.npy");
  const std::string kWant = ": .npy header's shape is larger than the file";
  // 2^32 * 2^32 = 2^64: the product wrapped to 0.
  write_npy(p, "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 64);
  expect_error([&] { load_npy(p, Elem::F64, 2); }, p + kWant);
  // 2^61 elements of 8 bytes: the byte count wrapped to 0.
  write_npy(p, "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }", 64);
  expect_error([&] { load_npy(p, Elem::F64, 1); }, p + kWant);
  // A dimension that does not fit in 64 bits at all.
  write_npy(p, "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", 64);
  expect_error([&] { load_npy(p, Elem::F64, 1); }, p + kWant);
  // Large but honest: the file is just too short.
  write_npy(p, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", 64);
  expect_error([&] { load_npy(p, Elem::F64, 2); }, p + ": truncated .npy data");
}

// save_npy over a file that a loaded array still maps: the array keeps the old contents (the
// file was truncated under the mapping: SIGBUS on the next read), the file gets the new ones.
TEST_F(Npy, SaveOverAMappedFileKeepsTheMapping) {
  std::string p = path("mapped.npy");
  std::vector<double> old_values(100000);
  for (std::size_t i = 0; i < old_values.size(); ++i) {
    old_values[i] = static_cast<double>(i);
  }
  ArrayRef original = zeros(static_cast<std::int64_t>(old_values.size()));
  std::copy(old_values.begin(), old_values.end(), static_cast<double*>(original->data));
  save_npy(p, *original);
  ArrayRef mapped = load_npy(p, Elem::F64, 1);
  ASSERT_EQ(mapped->buffer->kind(), Buffer::Kind::Mapped);
  save_npy(p, *make_array<double>({7.0}));
  EXPECT_EQ(to_vector<double>(*mapped), old_values);
  EXPECT_EQ(to_vector<double>(*load_npy(p, Elem::F64, 1)), (std::vector<double>{7.0}));
  // No temporary file is left beside it.
  int files = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(std::filesystem::path(p).parent_path())) {
    files += e.path().filename().string().rfind("kestrel_npy_mapped.npy", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(files, 1);
}

// save_npy over a symbolic link writes the file it names and leaves the link, and a file that
// exists keeps its permissions, as writing in place would (the rename once replaced the link
// with a new file of mode 0644).
TEST_F(Npy, SaveThroughALinkKeepsTheLinkAndTheMode) {
  namespace fs = std::filesystem;
  std::string target = path("target.npy");
  std::string link = path("link.npy");
  save_npy(target, *make_array<double>({1.0}));
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  fs::create_symlink(fs::path(target).filename(), link);
  save_npy(link, *make_array<double>({2.0, 3.0}));
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(to_vector<double>(*load_npy(target, Elem::F64, 1)), (std::vector<double>{2.0, 3.0}));
  EXPECT_EQ(fs::status(target).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
}

}  // namespace
}  // namespace kestrel::rt
