// The library's only random number generator: Philox4x32-10 (Salmon et al., "Parallel random
// numbers: as easy as 1, 2, 3", SC 2011), a counter-based generator. Its whole state is four
// integers (seed, stream, block counter, position in the block), so it is checkpointed exactly,
// and independent streams (initialisation, shuffling, dropout) come from one seed by using the
// stream number as part of the counter.
//
// Output: block b of stream s under seed k is Philox4x32-10(counter = {b_lo, b_hi, s, 0},
// key = {k_lo, k_hi}); its four 32-bit words are consumed in order.
#pragma once

#include <array>
#include <cstdint>

namespace nnstate {

// Streams derived from one seed. Values are persisted in checkpoints: append only.
enum class RngStream : uint32_t { init = 0, shuffle = 1, dropout = 2 };

struct RngState {
  uint64_t seed = 0;
  uint32_t stream = 0;
  uint64_t block = 0;     // next block to generate when position == 4
  uint32_t position = 4;  // words of the current block already used (4: none buffered)
  bool operator==(const RngState &o) const {
    return seed == o.seed && stream == o.stream && block == o.block && position == o.position;
  }
};

// One Philox4x32-10 block: the published reference function.
std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

class Rng {
 public:
  Rng(uint64_t seed, RngStream stream);
  explicit Rng(const RngState &state);

  uint32_t next_u32();
  // The next `count` next_u32() draws into out, the same words and the same state afterwards,
  // with whole blocks computed several at a time (dropout draws one word per value).
  void fill_u32(uint32_t *out, int64_t count);
  // Uniform in [0, 1) with 24 random bits (every float32 value of that grid is reachable).
  float uniform();
  // Uniform in [low, high).
  float uniform(float low, float high);
  // Standard normal by the Box-Muller transform (two uniforms per value).
  float normal();
  // Uniform integer in [0, bound) without modulo bias (Lemire's method).
  uint32_t below(uint32_t bound);
  // Advances past `words` next_u32() draws without computing them (the generator is
  // counter-based): chunked training positions a chunk's draws where the whole batch puts them.
  // Throws Error when the position would pass 2^64 words.
  void skip(uint64_t words);

  // The whole state; a generator restored from it continues the same sequence.
  const RngState &state() const { return state_; }
  // Whether a state (e.g. read from a file) can be restored.
  static bool valid(const RngState &state) {
    return state.position == 4 || (state.position < 4 && state.block > 0);
  }

 private:
  RngState state_;
  std::array<uint32_t, 4> buffer_{};
};

}  // namespace nnstate
