// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every part of a
// checkpoint file. On x86-64 with SSE4.2 it uses the crc32 instruction, and for long inputs
// carry-less multiplication folding (PCLMULQDQ, or VPCLMULQDQ on 32- or 64-byte registers) that the
// crc32 instruction finishes; elsewhere a portable slicing-by-8 table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace nnstate::checkpoint {

// Continues a CRC: crc32c(crc32c(0, a), b) == crc32c of a followed by b. Start with 0.
uint32_t crc32c(uint32_t crc, const void *data, size_t size);

// The CRC of a followed by b from crc32c(0, a), crc32c(0, b) and b's length (zlib's
// crc32_combine for this polynomial): parts checksummed apart, e.g. on two threads, joined.
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t size_b);

// How every message shows a CRC: "0x%08x", as `nnstate dump` does.
std::string crc_text(uint32_t crc);

// The two implementations, exposed so tests can check both against known vectors.
uint32_t crc32c_portable(uint32_t crc, const void *data, size_t size);
// Only valid when crc32c_hardware_available().
uint32_t crc32c_hardware(uint32_t crc, const void *data, size_t size);
bool crc32c_hardware_available();
// The folding on 32-byte registers, which crc32c uses on CPUs with VPCLMULQDQ but without
// AVX-512; exposed so tests check it on CPUs that have AVX-512 too.
bool crc32c_fold32_available();
uint32_t crc32c_fold32(uint32_t crc, const void *data, size_t size);

}  // namespace nnstate::checkpoint
