// IDX reader: valid images and labels, and every inconsistency refused before allocation.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "idx.h"

using nnstate_cli::IdxArray;

namespace {

std::vector<uint8_t> idx(uint8_t type, const std::vector<uint32_t> &dims, size_t values) {
  std::vector<uint8_t> f = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) f.push_back(static_cast<uint8_t>(d >> s));
  }
  for (size_t i = 0; i < values; ++i) f.push_back(static_cast<uint8_t>(i * 37));
  return f;
}

std::string error_of(const std::vector<uint8_t> &f) {
  try {
    nnstate_cli::parse_idx(f.data(), f.size());
  } catch (const std::runtime_error &e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("idx: images are flattened and scaled to [0, 1]") {
  const std::vector<uint8_t> f = idx(0x08, {3, 2, 2}, 12);
  const IdxArray a = nnstate_cli::parse_idx(f.data(), f.size());
  CHECK(nnstate_cli::idx_shape(a) == "3x2x2");
  nnstate_cli::Floats x;
  size_t samples = 0, features = 0;
  nnstate_cli::idx_images(a, x, samples, features);
  CHECK(samples == 3);
  CHECK(features == 4);
  REQUIRE(x.size() == 12);
  CHECK(x[1] == doctest::Approx(37.0 / 255));
  for (float v : x) CHECK((v >= 0 && v <= 1));
}

TEST_CASE("idx: labels") {
  const std::vector<uint8_t> f = idx(0x08, {4}, 4);
  const IdxArray a = nnstate_cli::parse_idx(f.data(), f.size());
  nnstate_cli::Floats y;
  nnstate_cli::idx_labels(a, y);
  CHECK(y == nnstate_cli::Floats{0, 37, 74, 111});
}

TEST_CASE("idx: a label file is not images and images are not labels") {
  nnstate_cli::Floats x;
  size_t s = 0, n = 0;
  const std::vector<uint8_t> labels = idx(0x08, {4}, 4);
  const std::vector<uint8_t> images = idx(0x08, {2, 2}, 4);
  CHECK_THROWS_WITH_AS(
      nnstate_cli::idx_images(nnstate_cli::parse_idx(labels.data(), labels.size()), x, s, n),
      "IDX shape 4 is a label file (1 dimension); expected images (magic 0x00000803)",
      std::runtime_error);
  CHECK_THROWS_AS(nnstate_cli::idx_labels(nnstate_cli::parse_idx(images.data(), images.size()), x),
                  std::runtime_error);
}

TEST_CASE("idx: bad magic") {
  std::vector<uint8_t> f = idx(0x08, {2}, 2);
  f[0] = 0x1f;
  CHECK(error_of(f) ==
        "not an IDX file: magic 0x1f000801 (expected 0x00000801 for labels or "
        "0x00000803 for images)");
  CHECK(error_of({0, 0}) == "not an IDX file: 2 bytes, the header needs at least 4");
}

TEST_CASE("idx: unsupported data type and dimension counts") {
  CHECK(error_of(idx(0x0d, {2}, 8)).find("data type 0x0d is not supported") != std::string::npos);
  CHECK(error_of(idx(0x08, {}, 0)).find("0 dimensions") != std::string::npos);
  CHECK(error_of(idx(0x08, {1, 1, 1, 1, 1}, 1)).find("5 dimensions") != std::string::npos);
}

TEST_CASE("idx: truncated header and data") {
  std::vector<uint8_t> f = idx(0x08, {10, 28, 28}, 0);
  f.resize(9);
  CHECK(error_of(f) == "IDX header truncated: 3 dimensions need 16 bytes, the file has 9");
  CHECK(error_of(idx(0x08, {10, 28, 28}, 7000)) ==
        "IDX file truncated or dimensions too large: 10x28x28 needs 7840 bytes of data, the file "
        "has 7000");
}

TEST_CASE("idx: trailing bytes and zero dimensions") {
  CHECK(error_of(idx(0x08, {2, 3}, 7)) == "IDX file has 1 bytes after the 6 bytes of 2x3 data");
  CHECK(error_of(idx(0x08, {0, 3}, 0)) == "IDX dimension 0 is 0");
}

TEST_CASE("idx: absurd dimensions are refused without allocating") {
  const std::string e =
      error_of(idx(0x08, {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, 16));
  CHECK(e.find("needs more than 2^64 bytes") != std::string::npos);
  CHECK(error_of(idx(0x08, {60000, 28, 28}, 100)).find("needs 47040000 bytes") !=
        std::string::npos);
}
