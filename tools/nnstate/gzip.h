// gzip decoding (RFC 1952, concatenated members) with zlib, for untrusted input: the output
// never grows past a caller limit, and malformed input throws nnstate_cli::Error (exit code 1)
// with the reason and the compressed byte offset.
#pragma once

#include <cstddef>
#include <cstdint>

#include "large_alloc.h"

namespace nnstate_cli {

// True when `data` starts with the gzip magic bytes 1f 8b.
bool is_gzip(const uint8_t *data, size_t size);

// Decodes a whole gzip file: one or more members, each with its CRC-32 and size checked.
// Trailing zero bytes are accepted (tape padding, as gzip does); anything else after the last
// member is an error, as is output beyond `limit` bytes (refused before it is allocated).
Bytes gunzip(const uint8_t *data, size_t size, size_t limit);

}  // namespace nnstate_cli
