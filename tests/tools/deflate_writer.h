// Test helper: writes DEFLATE bit streams by hand (RFC 1951), so the decoder is checked
// against streams built from the specification rather than only against one encoder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace test {

class BitWriter {
 public:
  // `count` bits of `value`, least significant first (header fields, extra bits).
  void bits(uint32_t value, int count) {
    for (int i = 0; i < count; ++i) put((value >> i) & 1);
  }
  // A Huffman code: most significant bit first.
  void code(uint32_t value, int length) {
    for (int i = length - 1; i >= 0; --i) put((value >> i) & 1);
  }
  void align() {
    while (used_ != 0) put(0);
  }
  void byte(uint8_t b) { bytes_.push_back(b); }  // only when aligned
  std::vector<uint8_t> finish() {
    align();
    return bytes_;
  }

 private:
  void put(uint32_t bit) {
    if (used_ == 0) bytes_.push_back(0);
    bytes_.back() |= static_cast<uint8_t>(bit << used_);
    used_ = (used_ + 1) % 8;
  }
  std::vector<uint8_t> bytes_;
  int used_ = 0;
};

// Canonical codes for code lengths (RFC 1951 section 3.2.2).
inline std::vector<uint32_t> canonical_codes(const std::vector<int> &lengths) {
  int count[16] = {};
  for (int l : lengths) count[l]++;
  count[0] = 0;
  uint32_t next[16] = {};
  uint32_t code = 0;
  for (int bits = 1; bits < 16; ++bits) {
    code = (code + static_cast<uint32_t>(count[bits - 1])) << 1;
    next[bits] = code;
  }
  std::vector<uint32_t> codes(lengths.size());
  for (size_t s = 0; s < lengths.size(); ++s) {
    if (lengths[s]) codes[s] = next[lengths[s]]++;
  }
  return codes;
}

// CRC-32 bit by bit, independent of the table-driven one under test.
inline uint32_t reference_crc32(const std::string &data) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

// Wraps a raw deflate stream in a minimal gzip member with a correct trailer.
inline std::vector<uint8_t> gzip_member(const std::vector<uint8_t> &deflate,
                                        const std::string &content) {
  std::vector<uint8_t> out;
  out.reserve(deflate.size() + 18);
  for (uint8_t b : {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}) out.push_back(b);
  for (uint8_t b : deflate) out.push_back(b);  // (insert() trips a GCC 12 -Warray-bounds bug)
  const uint32_t crc = reference_crc32(content);
  const uint32_t size = static_cast<uint32_t>(content.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(crc >> (8 * i)));
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(size >> (8 * i)));
  return out;
}

}  // namespace test
