// The container around the manifest: a fixed 64-byte header that locates the data section and
// the FlatBuffer manifest. The header is readable before any FlatBuffers parsing, so a future
// major version may change the manifest entirely and still be refused with a clear message.
//
// Layout of format 1 (all integers little-endian):
//   [0, 64)                      header
//   [64, 64 + data_length)       data section: tensors at 64-aligned offsets, zero padding
//   [manifest_offset, file end)  manifest (FlatBuffer, identifier "NNST"), manifest_offset =
//                                64 + data_length, so every byte belongs to exactly one part.
// The manifest follows the data so that a save is one streaming pass: tensor CRCs are known
// when the manifest is built.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace nnstate::checkpoint {

constexpr uint32_t kFormatMajor = 1;
constexpr uint32_t kFormatMinor = 3;
constexpr size_t kHeaderSize = 64;
constexpr uint64_t kAlignment = 64;
// Below FlatBuffers' 2^31 - 1 limit, which is only an assert in release builds.
constexpr uint64_t kMaxManifestSize = (uint64_t{1} << 31) - 2;

// Header fields, in this order: magic[8], major u32, minor u32, manifest_offset u64,
// manifest_length u64, data_offset u64, data_length u64, manifest_crc32c u32, reserved u32 x2
// (zero), header_crc32c u32 (over bytes 0..59).
struct Header {
  uint32_t major = kFormatMajor;
  uint32_t minor = kFormatMinor;
  uint64_t manifest_offset = 0;
  uint64_t manifest_length = 0;
  uint64_t data_offset = kHeaderSize;
  uint64_t data_length = 0;
  uint32_t manifest_crc32c = 0;
};

void encode_header(const Header &header, unsigned char out[kHeaderSize]);

// Checks magic, version, CRC and reserved bytes, then the layout against the file size.
// Throws Error (CORRUPT, VERSION) with messages that start with `file`.
Header decode_header(const unsigned char *bytes, uint64_t file_size, const std::string &file);

inline uint64_t align_up(uint64_t value) {
  return (value + kAlignment - 1) / kAlignment * kAlignment;
}

// "checkpoint \"path\"": the prefix of every message about a file.
std::string describe_file(const std::string &path);

}  // namespace nnstate::checkpoint
