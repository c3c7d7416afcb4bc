// DEFLATE (RFC 1951) and gzip (RFC 1952) decoding, written for untrusted input: every read is
// bounds-checked, every code table validated, and the output never grows past a caller limit.
// Malformed input throws nnstate_cli::Error (exit code 1) with the reason and the byte offset.
#pragma once

#include <cstddef>
#include <cstdint>

#include "large_alloc.h"

namespace nnstate_cli {

// What a decode went through; lets tests prove which block kinds they exercised.
struct InflateStats {
  size_t stored_blocks = 0;
  size_t fixed_blocks = 0;
  size_t dynamic_blocks = 0;
  size_t members = 0;  // gzip members (gunzip only)
};

// Decodes the raw DEFLATE stream at the start of `data` and appends the result to `out`,
// which may not exceed `limit` bytes in total. Returns the number of input bytes used (the
// final partial byte included); back-references may reach only into this stream's output.
size_t inflate(const uint8_t *data, size_t size, Bytes &out, size_t limit,
               InflateStats *stats = nullptr);

// True when `data` starts with the gzip magic bytes 1f 8b.
bool is_gzip(const uint8_t *data, size_t size);

// Decodes a whole gzip file (one or more members, each with its header and CRC32/ISIZE trailer
// checked). Trailing zero bytes are accepted (tape padding, as gzip does); anything else after
// the last member is an error.
Bytes gunzip(const uint8_t *data, size_t size, size_t limit, InflateStats *stats = nullptr);

// CRC-32 of RFC 1952 (the one gzip and zip use); pass the previous value to continue.
uint32_t crc32(uint32_t crc, const uint8_t *data, size_t size);

}  // namespace nnstate_cli
