#include "random/rng.h"

#include <cmath>

#include "util/error.h"
#include "util/vector_clones.h"

namespace nnstate {
namespace {

constexpr uint32_t kMul0 = 0xD2511F53u;
constexpr uint32_t kMul1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u;
constexpr uint32_t kWeyl1 = 0xBB67AE85u;

// One Philox4x32 round on the counter (c0, c1, c2, c3) under the round's key (k0, k1).
inline void philox_round(uint32_t &c0, uint32_t &c1, uint32_t &c2, uint32_t &c3, uint32_t k0,
                         uint32_t k1) {
  const uint64_t p0 = static_cast<uint64_t>(kMul0) * c0;
  const uint64_t p1 = static_cast<uint64_t>(kMul1) * c2;
  c0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
  c1 = static_cast<uint32_t>(p1);
  c2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
  c3 = static_cast<uint32_t>(p0);
}

// Philox4x32-10 of kPhiloxLanes consecutive blocks from `first`, word w of block j at
// out[4 j + w]: the rounds run across the blocks, so that they vectorise (32x32->64 multiplies),
// each block taking the reference function's rounds.
constexpr int kPhiloxLanes = 16;

NNSTATE_VECTOR_CLONES void philox_blocks(uint64_t first, uint32_t stream, uint64_t seed,
                                         uint32_t *out) {
  uint32_t c0[kPhiloxLanes], c1[kPhiloxLanes], c2[kPhiloxLanes], c3[kPhiloxLanes];
  for (int l = 0; l < kPhiloxLanes; ++l) {
    const uint64_t b = first + static_cast<uint64_t>(l);
    c0[l] = static_cast<uint32_t>(b);
    c1[l] = static_cast<uint32_t>(b >> 32);
    c2[l] = stream;
    c3[l] = 0;
  }
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    for (int l = 0; l < kPhiloxLanes; ++l) philox_round(c0[l], c1[l], c2[l], c3[l], k0, k1);
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  for (int l = 0; l < kPhiloxLanes; ++l) {
    out[4 * l] = c0[l];
    out[4 * l + 1] = c1[l];
    out[4 * l + 2] = c2[l];
    out[4 * l + 3] = c3[l];
  }
}

}  // namespace

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> ctr, std::array<uint32_t, 2> key) {
  for (int round = 0; round < 10; ++round) {
    philox_round(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1]);
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
  return ctr;
}

Rng::Rng(uint64_t seed, RngStream stream) {
  state_.seed = seed;
  state_.stream = static_cast<uint32_t>(stream);
}

Rng::Rng(const RngState &state) : state_(state) {
  if (!valid(state)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "invalid RNG state: position " +
                                           std::to_string(state.position) +
                                           " (must be 0..4, and 4 when block is 0)");
  }
  if (state_.position < 4) {
    // Regenerate the partly used block: the state stores only where we are in it.
    uint64_t current = state_.block - 1;
    buffer_ = philox4x32_10(
        {static_cast<uint32_t>(current), static_cast<uint32_t>(current >> 32), state_.stream, 0},
        {static_cast<uint32_t>(state_.seed), static_cast<uint32_t>(state_.seed >> 32)});
  }
}

uint32_t Rng::next_u32() {
  if (state_.position == 4) {
    uint64_t b = state_.block++;
    buffer_ = philox4x32_10(
        {static_cast<uint32_t>(b), static_cast<uint32_t>(b >> 32), state_.stream, 0},
        {static_cast<uint32_t>(state_.seed), static_cast<uint32_t>(state_.seed >> 32)});
    state_.position = 0;
  }
  return buffer_[state_.position++];
}

void Rng::fill_u32(uint32_t *out, int64_t count) {
  int64_t i = 0;
  while (i < count && state_.position < 4) out[i++] = buffer_[state_.position++];
  // Whole groups of blocks straight into out; then the rest word by word (which buffers the
  // last block as next_u32 does).
  for (; count - i >= 4 * kPhiloxLanes; i += 4 * kPhiloxLanes) {
    philox_blocks(state_.block, state_.stream, state_.seed, out + i);
    state_.block += kPhiloxLanes;
  }
  while (i < count) out[i++] = next_u32();
}

float Rng::uniform() {
  return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f);
}

float Rng::uniform(float low, float high) {
  return low + (high - low) * uniform();
}

float Rng::normal() {
  // 1 - u is in (0, 1], so the logarithm is finite.
  double u1 = 1.0 - static_cast<double>(uniform());
  double u2 = static_cast<double>(uniform());
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2));
}

void Rng::skip(uint64_t words) {
  if (words == 0) return;
  // Words used so far: every block before `block`, less the unused rest of a buffered one.
  uint64_t used = 0;
  if (__builtin_mul_overflow(state_.block, uint64_t{4}, &used) ||
      __builtin_add_overflow(used - (4 - state_.position), words, &used) || used > UINT64_MAX - 3) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "the random stream cannot skip " + std::to_string(words) +
                                           " draws from block " + std::to_string(state_.block));
  }
  const uint32_t in_block = static_cast<uint32_t>(used % 4);
  state_.block = used / 4 + (in_block ? 1 : 0);
  state_.position = in_block ? in_block : 4;
  *this = Rng(state_);  // regenerates a partly used block
}

uint32_t Rng::below(uint32_t bound) {
  if (bound == 0) fail(NNSTATE_ERR_INVALID_ARGUMENT, "Rng::below needs a positive bound");
  uint64_t m = static_cast<uint64_t>(next_u32()) * bound;
  uint32_t low = static_cast<uint32_t>(m);
  if (low < bound) {
    uint32_t threshold = (0u - bound) % bound;
    while (low < threshold) {
      m = static_cast<uint64_t>(next_u32()) * bound;
      low = static_cast<uint32_t>(m);
    }
  }
  return static_cast<uint32_t>(m >> 32);
}

}  // namespace nnstate
