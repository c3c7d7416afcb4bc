// gzip container (RFC 1952): member headers, CRC-32 and ISIZE trailers, concatenated members.
#include <algorithm>
#include <string>

#include "error.h"
#include "gzip.h"

namespace nnstate_cli {
namespace {

constexpr uint8_t kFlagHeaderCrc = 0x02, kFlagExtra = 0x04, kFlagName = 0x08, kFlagComment = 0x10,
                  kFlagReserved = 0xe0;

[[noreturn]] void bad_gzip(const std::string &what, size_t offset) {
  fail_runtime("invalid gzip data at byte " + std::to_string(offset) + ": " + what);
}

uint32_t read_le32(const uint8_t *p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// Parses one member header starting at `pos`; returns the offset of its deflate data.
size_t parse_header(const uint8_t *data, size_t size, size_t pos) {
  const size_t start = pos;
  if (size - pos < 10) bad_gzip("header truncated (" + std::to_string(size - pos) + " bytes)", pos);
  if (data[pos] != 0x1f || data[pos + 1] != 0x8b) bad_gzip("not a gzip member (bad magic)", pos);
  if (data[pos + 2] != 8) {
    bad_gzip("compression method " + std::to_string(data[pos + 2]) + " is not deflate (8)", pos);
  }
  const uint8_t flags = data[pos + 3];
  if (flags & kFlagReserved) bad_gzip("reserved header flags are set", pos + 3);
  pos += 10;  // magic, method, flags, mtime, extra flags, OS
  if (flags & kFlagExtra) {
    if (size - pos < 2) bad_gzip("extra field length truncated", pos);
    const size_t xlen = static_cast<size_t>(data[pos]) | static_cast<size_t>(data[pos + 1]) << 8;
    pos += 2;
    if (size - pos < xlen) {
      bad_gzip("extra field of " + std::to_string(xlen) + " bytes runs past the end", pos);
    }
    pos += xlen;
  }
  for (const uint8_t flag : {kFlagName, kFlagComment}) {
    if (!(flags & flag)) continue;
    while (pos < size && data[pos] != 0) ++pos;
    if (pos == size)
      bad_gzip(flag == kFlagName ? "unterminated file name" : "unterminated comment", pos);
    ++pos;
  }
  if (flags & kFlagHeaderCrc) {
    if (size - pos < 2) bad_gzip("header CRC truncated", pos);
    const uint32_t stored = static_cast<uint32_t>(data[pos]) | static_cast<uint32_t>(data[pos + 1])
                                                                   << 8;
    const uint32_t actual = crc32(0, data + start, pos - start) & 0xffffu;
    if (stored != actual) bad_gzip("header CRC mismatch", pos);
    pos += 2;
  }
  return pos;
}

}  // namespace

uint32_t crc32(uint32_t crc, const uint8_t *data, size_t size) {
  // Reflected polynomial 0xedb88320, "slicing by 8": eight tables let one step consume eight
  // bytes (table k is the CRC of a byte followed by k zero bytes).
  static const auto tables = [] {
    struct Tables {
      uint32_t t[8][256];
    } s;
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      s.t[0][n] = c;
    }
    for (int k = 1; k < 8; ++k) {
      for (uint32_t n = 0; n < 256; ++n) {
        s.t[k][n] = (s.t[k - 1][n] >> 8) ^ s.t[0][s.t[k - 1][n] & 0xff];
      }
    }
    return s;
  }();
  const auto &t = tables.t;
  crc = ~crc;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    const uint32_t lo = crc ^ read_le32(data + i);
    const uint32_t hi = read_le32(data + i + 4);
    crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
          t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
  }
  for (; i < size; ++i) crc = t[0][(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

bool is_gzip(const uint8_t *data, size_t size) {
  return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

Bytes gunzip(const uint8_t *data, size_t size, size_t limit, InflateStats *stats) {
  Bytes out;
  // The last ISIZE is a hint to allocate once; it is untrusted, so cap it by the limit and by
  // the most DEFLATE can expand (258 bytes per 2-bit code, roughly 1032:1).
  if (size >= 18) {
    const uint64_t hint = read_le32(data + size - 4);
    const uint64_t cap = static_cast<uint64_t>(size) * 1032;
    out.reserve(static_cast<size_t>(std::min<uint64_t>({hint, cap, limit})));
  }
  size_t pos = 0;
  do {
    if (pos > 0 && !is_gzip(data + pos, size - pos)) {
      bad_gzip("unexpected data after the last member", pos);
    }
    pos = parse_header(data, size, pos);
    const size_t member_start = out.size();
    pos += inflate(data + pos, size - pos, out, limit, stats);
    if (size - pos < 8) bad_gzip("trailer truncated (CRC-32 and size)", pos);
    const uint32_t expected_crc = read_le32(data + pos);
    const uint32_t expected_size = read_le32(data + pos + 4);
    const size_t length = out.size() - member_start;
    const uint32_t actual_crc = crc32(0, out.data() + member_start, length);
    if (actual_crc != expected_crc) {
      bad_gzip("CRC-32 mismatch: trailer says " + std::to_string(expected_crc) + ", data gives " +
                   std::to_string(actual_crc),
               pos);
    }
    if (static_cast<uint32_t>(length) != expected_size) {
      bad_gzip("size mismatch: trailer says " + std::to_string(expected_size) + " bytes, " +
                   std::to_string(length) + " decoded",
               pos + 4);
    }
    pos += 8;
    if (stats) stats->members++;
    size_t zeros = pos;
    while (zeros < size && data[zeros] == 0) ++zeros;
    if (zeros == size) break;
  } while (true);
  return out;
}

}  // namespace nnstate_cli
