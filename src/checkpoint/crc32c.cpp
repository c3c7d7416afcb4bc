#include "checkpoint/crc32c.h"

#include <array>
#include <cstdio>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#define NNSTATE_CRC32C_X86 1
#endif

namespace nnstate::checkpoint {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// Slicing-by-8: table[k][b] is the CRC register after byte b followed by k zero bytes.
constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[0][n] = c;
  }
  for (uint32_t n = 0; n < 256; ++n) {
    for (int k = 1; k < 8; ++k) t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xff];
  }
  return t;
}

constexpr Tables kTables = make_tables();

inline uint64_t load64(const unsigned char *p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;  // little-endian hosts only (checked in container.cpp)
}

#ifdef NNSTATE_CRC32C_X86

// x^n modulo the polynomial in reflected form (bit 31 is x^0).
uint32_t x_power(unsigned n) {
  uint32_t r = 1u << 31;
  for (unsigned i = 0; i < n; ++i) r = (r & 1) ? (r >> 1) ^ kPoly : r >> 1;
  return r;
}

// Folding: a 16-byte block X followed by D bytes is congruent, for the CRC, to
// clmul(X.lo, x^(64 + 8D - 1)) ^ clmul(X.hi, x^(8D - 1)) XORed into the block D bytes later
// (a carry-less product of reflected operands gains one factor x). A constant's 32-bit
// reflected form goes in the high half of its 64-bit lane.
int64_t fold_factor(unsigned exponent) {
  return static_cast<int64_t>(uint64_t{x_power(exponent)} << 32);
}

struct FoldConstants {
  // Low (X.lo) and high (X.hi) multipliers for each folding distance in bytes.
  int64_t lo256 = fold_factor(64 + 8 * 256 - 1), hi256 = fold_factor(8 * 256 - 1);
  int64_t lo128 = fold_factor(64 + 8 * 128 - 1), hi128 = fold_factor(8 * 128 - 1);
  int64_t lo32 = fold_factor(64 + 8 * 32 - 1), hi32 = fold_factor(8 * 32 - 1);
  int64_t lo64 = fold_factor(64 + 8 * 64 - 1), hi64 = fold_factor(8 * 64 - 1);
  int64_t lo16 = fold_factor(64 + 8 * 16 - 1), hi16 = fold_factor(8 * 16 - 1);
  __m128i by64 = _mm_set_epi64x(hi64, lo64), by16 = _mm_set_epi64x(hi16, lo16);
};

const FoldConstants &fold_constants() {
  static const FoldConstants constants;
  return constants;
}

__attribute__((target("pclmul"))) inline __m128i fold(__m128i x, __m128i k, __m128i next) {
  const __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  const __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

__attribute__((target("sse4.2"))) uint32_t bytes_raw(uint32_t crc, const unsigned char *p,
                                                     size_t n) {
  uint64_t c = crc;
  for (; n >= 8; n -= 8, p += 8) c = _mm_crc32_u64(c, load64(p));
  crc = static_cast<uint32_t>(c);
  for (; n > 0; --n) crc = _mm_crc32_u8(crc, *p++);
  return crc;
}

// The folded 16-byte remainder, then the tail, through the crc32 instruction from state 0.
__attribute__((target("sse4.2"))) uint32_t finish(__m128i remainder, const unsigned char *p,
                                                  size_t n) {
  unsigned char rest[16];
  _mm_storeu_si128(reinterpret_cast<__m128i *>(rest), remainder);
  return bytes_raw(bytes_raw(0, rest, sizeof rest), p, n);
}

// The crc32 instruction alone manages 8 bytes per 3 cycles on AMD cores; carry-less
// multiplication folds four independent 16-byte lanes 64 bytes ahead. `n` >= 64.
__attribute__((target("sse4.2,pclmul"))) uint32_t fold16_raw(uint32_t crc, const unsigned char *p,
                                                             size_t n) {
  const FoldConstants &k = fold_constants();
  auto load = [](const unsigned char *q) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i *>(q));
  };
  // The register's state enters as if XORed into the first four message bytes.
  __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(crc)));
  __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
  for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
    x0 = fold(x0, k.by64, load(p));
    x1 = fold(x1, k.by64, load(p + 16));
    x2 = fold(x2, k.by64, load(p + 32));
    x3 = fold(x3, k.by64, load(p + 48));
  }
  x1 = fold(x0, k.by16, x1);
  x2 = fold(x1, k.by16, x2);
  x3 = fold(x2, k.by16, x3);
  return finish(x3, p, n);
}

__attribute__((target("avx2"))) inline __m256i load32(const unsigned char *q) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(q));
}

__attribute__((target("avx2,vpclmulqdq"))) inline __m256i fold256(__m256i x, __m256i k,
                                                                  __m256i next) {
  const __m256i lo = _mm256_clmulepi64_epi128(x, k, 0x00);
  const __m256i hi = _mm256_clmulepi64_epi128(x, k, 0x11);
  return _mm256_xor_si256(_mm256_xor_si256(lo, hi), next);
}

// The same on 32-byte registers (VPCLMULQDQ without AVX-512, e.g. Zen 3): four registers of two
// lanes fold 128 bytes ahead, twice the independent work of fold16_raw per loop. `n` >= 128.
__attribute__((target("sse4.2,pclmul,avx2,vpclmulqdq"))) uint32_t fold32_raw(uint32_t crc,
                                                                             const unsigned char *p,
                                                                             size_t n) {
  const FoldConstants &k = fold_constants();
  const __m256i by128 = _mm256_set_epi64x(k.hi128, k.lo128, k.hi128, k.lo128);
  const __m256i by32 = _mm256_set_epi64x(k.hi32, k.lo32, k.hi32, k.lo32);
  __m256i x0 =
      _mm256_xor_si256(load32(p), _mm256_zextsi128_si256(_mm_cvtsi32_si128(static_cast<int>(crc))));
  __m256i x1 = load32(p + 32), x2 = load32(p + 64), x3 = load32(p + 96);
  for (p += 128, n -= 128; n >= 128; p += 128, n -= 128) {
    x0 = fold256(x0, by128, load32(p));
    x1 = fold256(x1, by128, load32(p + 32));
    x2 = fold256(x2, by128, load32(p + 64));
    x3 = fold256(x3, by128, load32(p + 96));
  }
  x1 = fold256(x0, by32, x1);
  x2 = fold256(x1, by32, x2);
  x3 = fold256(x2, by32, x3);
  alignas(32) unsigned char lanes[32];
  _mm256_store_si256(reinterpret_cast<__m256i *>(lanes), x3);
  const __m128i r = fold(_mm_load_si128(reinterpret_cast<const __m128i *>(lanes)), k.by16,
                         _mm_load_si128(reinterpret_cast<const __m128i *>(lanes + 16)));
  return finish(r, p, n);
}

__attribute__((target("avx512f,vpclmulqdq"))) inline __m512i fold512(__m512i x, __m512i k,
                                                                     __m512i next) {
  const __m512i lo = _mm512_clmulepi64_epi128(x, k, 0x00);
  const __m512i hi = _mm512_clmulepi64_epi128(x, k, 0x11);
  return _mm512_ternarylogic_epi64(lo, hi, next, 0x96);  // lo ^ hi ^ next
}

// The same on 64-byte registers (VPCLMULQDQ): four registers of four lanes fold 256 bytes
// ahead, then the registers and finally their lanes are folded together. `n` >= 256.
__attribute__((target("sse4.2,pclmul,avx512f,vpclmulqdq"))) uint32_t fold64_raw(
    uint32_t crc, const unsigned char *p, size_t n) {
  const FoldConstants &k = fold_constants();
  const __m512i by256 = _mm512_set4_epi64(k.hi256, k.lo256, k.hi256, k.lo256);
  const __m512i by64 = _mm512_set4_epi64(k.hi64, k.lo64, k.hi64, k.lo64);
  __m512i x0 = _mm512_xor_si512(_mm512_loadu_si512(p),
                                _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(crc))));
  __m512i x1 = _mm512_loadu_si512(p + 64), x2 = _mm512_loadu_si512(p + 128),
          x3 = _mm512_loadu_si512(p + 192);
  for (p += 256, n -= 256; n >= 256; p += 256, n -= 256) {
    x0 = fold512(x0, by256, _mm512_loadu_si512(p));
    x1 = fold512(x1, by256, _mm512_loadu_si512(p + 64));
    x2 = fold512(x2, by256, _mm512_loadu_si512(p + 128));
    x3 = fold512(x3, by256, _mm512_loadu_si512(p + 192));
  }
  x1 = fold512(x0, by64, x1);
  x2 = fold512(x1, by64, x2);
  x3 = fold512(x2, by64, x3);
  // Through memory: GCC 12 warns inside its own lane-extract intrinsics.
  alignas(64) unsigned char lanes[64];
  _mm512_store_si512(lanes, x3);
  const auto lane = [&](int i) {
    return _mm_load_si128(reinterpret_cast<const __m128i *>(lanes + 16 * i));
  };
  __m128i r = lane(0);
  r = fold(r, k.by16, lane(1));
  r = fold(r, k.by16, lane(2));
  r = fold(r, k.by16, lane(3));
  return finish(r, p, n);
}

enum class Level { none, sse42, pclmul, vpclmul256, avx512 };

Level detect() {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("sse4.2")) return Level::none;
  if (!__builtin_cpu_supports("pclmul")) return Level::sse42;
  if (!__builtin_cpu_supports("vpclmulqdq")) return Level::pclmul;
  if (__builtin_cpu_supports("avx512f")) return Level::avx512;
  return __builtin_cpu_supports("avx2") ? Level::vpclmul256 : Level::pclmul;
}

Level level() {
  static const Level detected = detect();
  return detected;
}

uint32_t hardware_raw(uint32_t crc, const unsigned char *p, size_t n) {
  const Level l = level();
  if (l == Level::avx512 && n >= 1024) return fold64_raw(crc, p, n);
  if (l >= Level::vpclmul256 && n >= 512) return fold32_raw(crc, p, n);
  if (l >= Level::pclmul && n >= 256) return fold16_raw(crc, p, n);
  return bytes_raw(crc, p, n);
}

#endif

}  // namespace

uint32_t crc32c_portable(uint32_t crc, const void *data, size_t size) {
  const auto *p = static_cast<const unsigned char *>(data);
  const auto &t = kTables;
  crc = ~crc;
  for (; size >= 8; size -= 8, p += 8) {
    uint64_t x = load64(p) ^ crc;
    crc = t[7][x & 0xff] ^ t[6][(x >> 8) & 0xff] ^ t[5][(x >> 16) & 0xff] ^ t[4][(x >> 24) & 0xff] ^
          t[3][(x >> 32) & 0xff] ^ t[2][(x >> 40) & 0xff] ^ t[1][(x >> 48) & 0xff] ^ t[0][x >> 56];
  }
  for (; size > 0; --size) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
  return ~crc;
}

bool crc32c_fold32_available() {
#ifdef NNSTATE_CRC32C_X86
  return level() >= Level::vpclmul256;
#else
  return false;
#endif
}

uint32_t crc32c_fold32(uint32_t crc, const void *data, size_t size) {
#ifdef NNSTATE_CRC32C_X86
  const auto *p = static_cast<const unsigned char *>(data);
  return size >= 128 ? ~fold32_raw(~crc, p, size) : crc32c_hardware(crc, data, size);
#else
  return crc32c_portable(crc, data, size);
#endif
}

bool crc32c_hardware_available() {
#ifdef NNSTATE_CRC32C_X86
  return level() != Level::none;
#else
  return false;
#endif
}

uint32_t crc32c_hardware(uint32_t crc, const void *data, size_t size) {
#ifdef NNSTATE_CRC32C_X86
  return ~hardware_raw(~crc, static_cast<const unsigned char *>(data), size);
#else
  return crc32c_portable(crc, data, size);
#endif
}

uint32_t crc32c(uint32_t crc, const void *data, size_t size) {
  return crc32c_hardware_available() ? crc32c_hardware(crc, data, size)
                                     : crc32c_portable(crc, data, size);
}

namespace {

// a(x) * b(x) modulo the polynomial, both reflected (bit 31 is x^0).
uint32_t multiply_mod(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t m = 1u << 31; m != 0; m >>= 1) {
    if (a & m) product ^= b;
    b = (b & 1) ? (b >> 1) ^ kPoly : b >> 1;
  }
  return product;
}

// x^(8 * bytes) modulo the polynomial, by squaring: x^(2^(k+3)) for each set bit k of bytes.
uint32_t x_power_bytes(uint64_t bytes) {
  uint32_t power = 1u << 31;         // x^0
  uint32_t square = 1u << (31 - 8);  // x^8, one byte
  for (; bytes != 0; bytes >>= 1) {
    if (bytes & 1) power = multiply_mod(power, square);
    square = multiply_mod(square, square);
  }
  return power;
}

}  // namespace

uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t size_b) {
  // The pre- and post-conditioning cancel out: shifting a's CRC past b's bytes and adding b's.
  return multiply_mod(x_power_bytes(size_b), crc_a) ^ crc_b;
}

std::string crc_text(uint32_t crc) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", crc);
  return text;
}

}  // namespace nnstate::checkpoint
