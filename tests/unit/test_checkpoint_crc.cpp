// CRC32C: both implementations against published vectors (RFC 3720 B.4, the "123456789"
// check value) and against each other at every alignment and many lengths, so that every
// hardware path (three-way crc32 interleaving, carry-less multiplication folding on 16-, 32- and
// 64-byte registers) and its joining of partial results is exercised.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "checkpoint/crc32c.h"

using namespace nnstate::checkpoint;

namespace {

struct Vector {
  std::vector<unsigned char> data;
  uint32_t crc;
};

std::vector<Vector> known_vectors() {
  std::vector<Vector> v;
  const char *check = "123456789";
  v.push_back({std::vector<unsigned char>(check, check + 9), 0xE3069283u});
  v.push_back({std::vector<unsigned char>(32, 0x00), 0x8A9136AAu});
  v.push_back({std::vector<unsigned char>(32, 0xFF), 0x62A8AB43u});
  std::vector<unsigned char> up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<unsigned char>(i);
    down[i] = static_cast<unsigned char>(31 - i);
  }
  v.push_back({up, 0x46DD794Eu});
  v.push_back({down, 0x113FDB5Cu});
  v.push_back({{}, 0u});
  return v;
}

}  // namespace

TEST_CASE("crc32c portable implementation matches the published vectors") {
  for (const Vector &v : known_vectors()) {
    CHECK(crc32c_portable(0, v.data.data(), v.data.size()) == v.crc);
    CHECK(crc32c(0, v.data.data(), v.data.size()) == v.crc);
  }
}

TEST_CASE("crc32c hardware implementation matches the published vectors") {
  if (!crc32c_hardware_available()) {
    MESSAGE("no SSE4.2 on this CPU: hardware CRC32C not tested");
    return;
  }
  for (const Vector &v : known_vectors()) {
    CHECK(crc32c_hardware(0, v.data.data(), v.data.size()) == v.crc);
  }
}

TEST_CASE("crc32c implementations agree at every alignment and across the interleave sizes") {
  std::vector<unsigned char> data(3 * 8192 * 2 + 3 * 256 * 3 + 100);
  uint32_t x = 12345;
  for (unsigned char &b : data) {
    x = x * 1103515245u + 12345u;
    b = static_cast<unsigned char>(x >> 24);
  }
  // Around every path's threshold and block size: bytewise, 8-byte, three-way (256, 8192),
  // 16-byte folding (from 256, 64-byte steps), 32-byte folding (from 512 in crc32c, 128 when
  // called alone; 128-byte steps) and 64-byte folding (from 1024, 256-byte steps).
  std::vector<size_t> lengths = {0, 1, 7, 8, 9, 24575, 24576, 24577, 30000, data.size() - 16};
  for (size_t n = 120; n <= 1300; ++n) lengths.push_back(n);
  for (size_t n : {2047, 2048, 2049, 4095, 4096, 4097, 8191, 8192, 8193}) lengths.push_back(n);
  for (size_t offset = 0; offset < 16; ++offset) {
    for (size_t length : lengths) {
      const unsigned char *p = data.data() + offset;
      uint32_t expected = crc32c_portable(0, p, length);
      CHECK(crc32c(0, p, length) == expected);
      if (crc32c_hardware_available()) CHECK(crc32c_hardware(0, p, length) == expected);
      if (crc32c_fold32_available()) CHECK(crc32c_fold32(0, p, length) == expected);
    }
  }
}

TEST_CASE("crc32c continues across split buffers") {
  const char *text = "The quick brown fox jumps over the lazy dog, twice over.";
  size_t n = std::strlen(text);
  uint32_t whole = crc32c(0, text, n);
  for (size_t split = 0; split <= n; ++split) {
    CHECK(crc32c(crc32c(0, text, split), text + split, n - split) == whole);
    CHECK(crc32c_portable(crc32c_portable(0, text, split), text + split, n - split) == whole);
  }
}

TEST_CASE("crc32c_combine joins the CRCs of parts computed apart") {
  std::vector<unsigned char> data(70000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 131 + 7);
  const uint32_t whole = crc32c(0, data.data(), data.size());
  for (size_t split :
       {size_t{0}, size_t{1}, size_t{63}, size_t{4096}, size_t{65537}, data.size()}) {
    const uint32_t a = crc32c(0, data.data(), split);
    const uint32_t b = crc32c(0, data.data() + split, data.size() - split);
    CHECK(crc32c_combine(a, b, data.size() - split) == whole);
  }
  // Three parts, joined left to right.
  const uint32_t ab =
      crc32c_combine(crc32c(0, data.data(), 1000), crc32c(0, data.data() + 1000, 2000), 2000);
  CHECK(crc32c_combine(ab, crc32c(0, data.data() + 3000, data.size() - 3000), data.size() - 3000) ==
        whole);
}
