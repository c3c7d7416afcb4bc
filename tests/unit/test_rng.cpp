// The Philox4x32-10 generator: published known-answer vectors, the documented mapping from
// (seed, stream, block) to output, exact resume from a saved state, and loose statistical checks
// with fixed seeds (deterministic, so they cannot flake).
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "random/rng.h"
#include "util/error.h"

using namespace nnstate;

namespace {

using Block = std::array<uint32_t, 4>;

// The block the header documents: counter {b_lo, b_hi, stream, 0}, key {seed_lo, seed_hi}.
Block documented_block(uint64_t seed, uint32_t stream, uint64_t block) {
  return philox4x32_10(
      {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), stream, 0u},
      {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
}

RngState make_state(uint64_t seed, uint32_t stream, uint64_t block, uint32_t position) {
  RngState s;
  s.seed = seed;
  s.stream = stream;
  s.block = block;
  s.position = position;
  return s;
}

nnstate_status status_of_restore(const RngState &state) {
  try {
    Rng rng(state);
    (void)rng.next_u32();
  } catch (const Error &e) {
    CHECK(std::string(e.what()).find("position") != std::string::npos);
    return e.status();
  }
  return NNSTATE_OK;
}

constexpr uint64_t kSeed = 0x0123456789ABCDEFull;

}  // namespace

TEST_CASE("rng: philox4x32_10 matches the Random123 known-answer vectors") {
  // kat_vectors of Random123 (Salmon et al., SC 2011): counter, key -> output.
  CHECK(philox4x32_10({0u, 0u, 0u, 0u}, {0u, 0u}) ==
        Block{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u});
  CHECK(philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                      {0xffffffffu, 0xffffffffu}) ==
        Block{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu});
  CHECK(philox4x32_10({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                      {0xa4093822u, 0x299f31d0u}) ==
        Block{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u});
}

TEST_CASE("rng: output is the documented sequence of Philox blocks") {
  // A seed with both 32-bit halves non-zero, a non-zero stream: every input word matters.
  Rng rng(kSeed, RngStream::dropout);
  const uint32_t stream = static_cast<uint32_t>(RngStream::dropout);
  for (uint64_t b = 0; b < 5; ++b) {
    Block expected = documented_block(kSeed, stream, b);
    for (int w = 0; w < 4; ++w) {
      INFO("block " << b << ", word " << w);
      CHECK(rng.next_u32() == expected[w]);
    }
  }
  SUBCASE("the block counter's high word is used") {
    const uint64_t block = (uint64_t{1} << 32) + 2;
    Rng far(make_state(kSeed, stream, block, 4));
    Block expected = documented_block(kSeed, stream, block);
    for (int w = 0; w < 4; ++w) CHECK(far.next_u32() == expected[w]);
    CHECK(expected != documented_block(kSeed, stream, 2));
  }
}

TEST_CASE("rng: state counts blocks and positions") {
  Rng rng(kSeed, RngStream::shuffle);
  CHECK(rng.state() == make_state(kSeed, 1, 0, 4));
  for (uint64_t k = 1; k <= 13; ++k) {
    rng.next_u32();
    INFO("after " << k << " draws");
    CHECK(rng.state().seed == kSeed);
    CHECK(rng.state().stream == 1u);
    CHECK(rng.state().block == (k + 3) / 4);
    CHECK(rng.state().position == (k - 1) % 4 + 1);
  }
}

TEST_CASE("rng: a generator restored from state() continues the identical sequence") {
  // Every offset inside a block and both sides of block boundaries (0, 4, 8, 12 draws).
  for (int drawn = 0; drawn <= 13; ++drawn) {
    Rng original(kSeed, RngStream::shuffle);
    for (int i = 0; i < drawn; ++i) original.next_u32();
    const RngState saved = original.state();
    REQUIRE(Rng::valid(saved));
    Rng restored(saved);
    CHECK(restored.state() == saved);
    INFO("restored after " << drawn << " draws");
    for (int i = 0; i < 40; ++i) {
      uint32_t a = original.next_u32(), b = restored.next_u32();
      REQUIRE(a == b);
    }
    // Mixed use through every kind of draw keeps them in step too.
    for (int i = 0; i < 50; ++i) {
      CHECK(original.uniform() == restored.uniform());
      CHECK(original.normal() == restored.normal());
      CHECK(original.below(1000003u) == restored.below(1000003u));
      CHECK(original.uniform(-2.0f, 3.0f) == restored.uniform(-2.0f, 3.0f));
    }
    CHECK(original.state() == restored.state());
  }
}

TEST_CASE("rng: a state at position 0 regenerates the block it points into") {
  // block 1, position 0: block 0 is current and none of its words is used yet.
  Rng rng(make_state(kSeed, 2, 1, 0));
  Block expected = documented_block(kSeed, 2, 0);
  for (int w = 0; w < 4; ++w) CHECK(rng.next_u32() == expected[w]);
  CHECK(rng.next_u32() == documented_block(kSeed, 2, 1)[0]);
}

TEST_CASE("rng: different streams and seeds give different sequences") {
  auto first_words = [](uint64_t seed, RngStream stream) {
    Rng rng(seed, stream);
    std::vector<uint32_t> out;
    for (int i = 0; i < 8; ++i) out.push_back(rng.next_u32());
    return out;
  };
  const std::vector<std::vector<uint32_t>> sequences = {
      first_words(kSeed, RngStream::init),
      first_words(kSeed, RngStream::shuffle),
      first_words(kSeed, RngStream::dropout),
      first_words(kSeed + 1, RngStream::init),
      first_words(kSeed ^ (uint64_t{1} << 40), RngStream::init),  // high word of the seed only
      first_words(0, RngStream::init),
      first_words(1, RngStream::init),
  };
  for (size_t a = 0; a < sequences.size(); ++a) {
    for (size_t b = a + 1; b < sequences.size(); ++b) {
      INFO("sequences " << a << " and " << b);
      // Not merely different somewhere: no position agrees (8 words, chance ~2e-9).
      for (int i = 0; i < 8; ++i) CHECK(sequences[a][i] != sequences[b][i]);
    }
  }
  CHECK(first_words(kSeed, RngStream::dropout) == first_words(kSeed, RngStream::dropout));
}

TEST_CASE("rng: uniform() is below 1, not negative, on a grid of 2^-24") {
  Rng rng(42, RngStream::init);
  const int n = 100000;
  double sum = 0.0;
  int low_quarter = 0;
  for (int i = 0; i < n; ++i) {
    float u = rng.uniform();
    REQUIRE(u >= 0.0f);
    REQUIRE(u < 1.0f);
    double scaled = static_cast<double>(u) * 16777216.0;
    REQUIRE(scaled == std::floor(scaled));
    sum += u;
    if (u < 0.25f) ++low_quarter;
  }
  // Standard deviations: mean 0.0009, quarter fraction 0.0014; bounds are > 10 sigma.
  CHECK(std::fabs(sum / n - 0.5) < 0.01);
  CHECK(std::fabs(static_cast<double>(low_quarter) / n - 0.25) < 0.015);

  SUBCASE("the largest word maps below 1") {
    // uniform() uses the top 24 bits of one word; the same stream's words show which.
    Rng words(7, RngStream::init), floats(7, RngStream::init);
    for (int i = 0; i < 1000; ++i) {
      uint32_t w = words.next_u32();
      CHECK(floats.uniform() == static_cast<float>(w >> 8) / 16777216.0f);
    }
    CHECK(static_cast<float>(0xffffffffu >> 8) / 16777216.0f < 1.0f);
  }
  SUBCASE("uniform(low, high)") {
    for (int i = 0; i < 10000; ++i) {
      float x = rng.uniform(-3.0f, 5.0f);
      REQUIRE(x >= -3.0f);
      REQUIRE(x < 5.0f);
    }
  }
}

TEST_CASE("rng: below(n) is in range and uniform") {
  Rng rng(2024, RngStream::shuffle);
  for (uint32_t bound : {1u, 2u, 3u, 7u, 10u, 1000u, 0x80000001u, 0xC0000000u, 0xFFFFFFFFu}) {
    for (int i = 0; i < 5000; ++i) {
      uint32_t x = rng.below(bound);
      INFO("bound " << bound);
      REQUIRE(x < bound);
    }
  }

  SUBCASE("chi-square over 10 and 7 bins") {
    for (uint32_t bins : {10u, 7u}) {
      const int n = 100000;
      std::vector<int> counts(bins, 0);
      for (int i = 0; i < n; ++i) counts[rng.below(bins)]++;
      const double expected = static_cast<double>(n) / bins;
      double chi2 = 0.0;
      for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
      // bins - 1 degrees of freedom (mean 9 or 6); 40 is beyond p = 1e-5 for both.
      INFO("bins " << bins << ", chi-square " << chi2);
      CHECK(chi2 < 40.0);
    }
  }

  SUBCASE("no bias for a bound of 3 * 2^30") {
    // 2^32 words cannot map evenly onto 3 * 2^30 values. x % bound would put half of the
    // values below 2^30 instead of a third; the multiply-shift without its rejection step would
    // map two words to every multiple of 3 and one to the others (half instead of a third).
    const int n = 100000;
    int below_2_30 = 0, multiples_of_3 = 0;
    for (int i = 0; i < n; ++i) {
      uint32_t x = rng.below(0xC0000000u);
      if (x < 0x40000000u) ++below_2_30;
      if (x % 3 == 0) ++multiples_of_3;
    }
    // Standard deviation 0.0015.
    CHECK(std::fabs(static_cast<double>(below_2_30) / n - 1.0 / 3.0) < 0.01);
    CHECK(std::fabs(static_cast<double>(multiples_of_3) / n - 1.0 / 3.0) < 0.01);
  }

  SUBCASE("a zero bound is refused") {
    try {
      rng.below(0);
      FAIL("below(0) did not throw");
    } catch (const Error &e) {
      CHECK(e.status() == NNSTATE_ERR_INVALID_ARGUMENT);
    }
  }
}

TEST_CASE("rng: normal() has mean 0 and variance 1") {
  Rng rng(12345, RngStream::init);
  const int n = 100000;
  double sum = 0.0, sum_sq = 0.0;
  int within_one = 0;
  for (int i = 0; i < n; ++i) {
    float x = rng.normal();
    REQUIRE(std::isfinite(x));
    sum += x;
    sum_sq += static_cast<double>(x) * x;
    if (std::fabs(x) < 1.0f) ++within_one;
  }
  const double mean = sum / n;
  const double variance = sum_sq / n - mean * mean;
  // Standard deviations: mean 0.0032, variance 0.0045, P(|x| < 1) 0.0015.
  CHECK(std::fabs(mean) < 0.02);
  CHECK(std::fabs(variance - 1.0) < 0.03);
  CHECK(std::fabs(static_cast<double>(within_one) / n - 0.682689) < 0.01);
}

TEST_CASE("rng: an invalid state is refused") {
  for (uint32_t position : {5u, 6u, 100u, 0xFFFFFFFFu}) {
    for (uint64_t block : {uint64_t{0}, uint64_t{1}, uint64_t{77}}) {
      RngState s = make_state(kSeed, 0, block, position);
      INFO("block " << block << ", position " << position);
      CHECK_FALSE(Rng::valid(s));
      CHECK(status_of_restore(s) == NNSTATE_ERR_INVALID_ARGUMENT);
    }
  }
  for (uint32_t position : {0u, 1u, 2u, 3u}) {
    RngState s = make_state(kSeed, 0, 0, position);  // inside a block that was never generated
    INFO("block 0, position " << position);
    CHECK_FALSE(Rng::valid(s));
    CHECK(status_of_restore(s) == NNSTATE_ERR_INVALID_ARGUMENT);
  }
  // The valid corner cases.
  CHECK(status_of_restore(make_state(kSeed, 0, 0, 4)) == NNSTATE_OK);
  CHECK(status_of_restore(make_state(kSeed, 0, 1, 0)) == NNSTATE_OK);
  CHECK(status_of_restore(make_state(kSeed, 0, 1, 3)) == NNSTATE_OK);
  CHECK(status_of_restore(make_state(kSeed, 0, ~uint64_t{0}, 2)) == NNSTATE_OK);
}

TEST_CASE("rng: fill_u32 gives next_u32's words and state from any position") {
  // Starting at each position in a block, over lengths around the 16-block groups it computes
  // at once (64 words), and across a block counter's 32-bit carry.
  for (uint64_t first_block : {uint64_t{0}, uint64_t{0xFFFFFFF8u}}) {
    for (uint32_t skip = 0; skip < 4; ++skip) {
      for (int64_t count : {0, 1, 3, 63, 64, 65, 130, 1000}) {
        CAPTURE(first_block);
        CAPTURE(skip);
        CAPTURE(count);
        RngState start;
        start.seed = 0x123456789abcdefull;
        start.stream = 2;
        start.block = first_block;
        Rng one(start), bulk(start);
        for (uint32_t i = 0; i < skip; ++i) {
          one.next_u32();
          bulk.next_u32();
        }
        std::vector<uint32_t> expected(static_cast<size_t>(count)), words(expected.size());
        for (uint32_t &w : expected) w = one.next_u32();
        bulk.fill_u32(words.data(), count);
        CHECK(words == expected);
        CHECK(bulk.state() == one.state());
        CHECK(bulk.next_u32() == one.next_u32());
      }
    }
  }
}
