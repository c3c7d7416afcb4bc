// The input with its header's manifest CRC32C and header CRC32C recomputed (when the header
// locates a manifest inside the input) before it goes through every load path: mutations of
// the manifest and the header's fields reach the Verifier and the semantic checks instead of
// stopping at a CRC. Tensor CRCs inside the manifest stay as mutated.
#include <cstring>
#include <vector>

#include "checkpoint_exercise.h"
#include "fuzz_target.h"

namespace {

constexpr size_t kHeaderSize = 64;
constexpr size_t kManifestOffsetAt = 16, kManifestLengthAt = 24, kManifestCrcAt = 48;
constexpr size_t kHeaderCrcAt = 60;  // CRC of bytes [0, 60)

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bitwise: independent of the library's
// table-driven implementation, so a bug there is not copied into the fix-up.
uint32_t crc32c(const uint8_t *p, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

uint64_t load_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

void store_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> fixed(data, data + size);
  if (size >= kHeaderSize) {
    uint8_t *h = fixed.data();
    const uint64_t offset = load_u64(h + kManifestOffsetAt),
                   length = load_u64(h + kManifestLengthAt);
    if (offset <= size && length <= size - offset) {
      store_u32(h + kManifestCrcAt, crc32c(h + offset, static_cast<size_t>(length)));
    }
    store_u32(h + kHeaderCrcAt, crc32c(h, kHeaderCrcAt));
  }
  static const uint8_t empty = 0;
  exercise_checkpoint(fixed.empty() ? &empty : fixed.data(), fixed.size());
  return 0;
}
