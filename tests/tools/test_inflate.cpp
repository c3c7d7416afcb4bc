// The DEFLATE decoder on streams built by hand from RFC 1951: one of each block type, the
// code-length repeat codes, overlapping copies, and every malformation it must refuse.
#include <doctest/doctest.h>

#include <string>

#include "deflate_writer.h"
#include "error.h"
#include "gzip.h"

using nnstate_cli::Bytes;
using nnstate_cli::Error;
using nnstate_cli::InflateStats;

namespace {

constexpr size_t kLimit = size_t{1} << 30;

std::string inflate_text(const std::vector<uint8_t> &stream, InflateStats *stats = nullptr,
                         size_t *used = nullptr, size_t limit = kLimit) {
  Bytes out;
  const size_t n = nnstate_cli::inflate(stream.data(), stream.size(), out, limit, stats);
  if (used) *used = n;
  return std::string(out.begin(), out.end());
}

std::string error_of(const std::vector<uint8_t> &stream, size_t limit = kLimit) {
  try {
    inflate_text(stream, nullptr, nullptr, limit);
  } catch (const Error &e) {
    CHECK(e.code() == nnstate_cli::kExitFailure);
    return e.what();
  }
  return "no error";
}

// Fixed Huffman code of RFC 1951 section 3.2.6.
void fixed_literal(test::BitWriter &w, int symbol) {
  if (symbol < 144)
    w.code(0x30 + symbol, 8);
  else if (symbol < 256)
    w.code(0x190 + symbol - 144, 9);
  else if (symbol < 280)
    w.code(symbol - 256, 7);
  else
    w.code(0xc0 + symbol - 280, 8);
}

// "abc" then <length 9, distance 3>: an overlapping copy gives "abcabcabcabc".
std::vector<uint8_t> fixed_block_stream() {
  test::BitWriter w;
  w.bits(1, 1);  // final
  w.bits(1, 2);  // fixed Huffman
  for (char c : std::string("abc")) fixed_literal(w, c);
  fixed_literal(w, 263);  // length 9 (base 9, no extra bits)
  w.code(2, 5);           // distance symbol 2: distance 3
  fixed_literal(w, 256);
  return w.finish();
}

std::vector<uint8_t> stored_block_stream(const std::string &text, bool final = true) {
  test::BitWriter w;
  w.bits(final, 1);
  w.bits(0, 2);
  w.align();
  const uint16_t len = static_cast<uint16_t>(text.size());
  w.bits(len, 16);
  w.bits(static_cast<uint16_t>(~len), 16);
  for (char c : text) w.byte(static_cast<uint8_t>(c));
  return w.finish();
}

// A dynamic block whose code lengths use every repeat code (16, 17 and 18):
// literals 0..255 have 9 bits, symbols 256..263 have 4 bits, 264..285 none; distances 0..3
// have 2 bits, 4..7 none.
struct DynamicBlock {
  std::vector<int> lit, dist;
  std::vector<uint32_t> lit_codes, dist_codes;
};

DynamicBlock dynamic_tables() {
  DynamicBlock b;
  b.lit.assign(286, 0);
  for (int s = 0; s < 256; ++s) b.lit[s] = 9;
  for (int s = 256; s < 264; ++s) b.lit[s] = 4;
  b.dist = {2, 2, 2, 2, 0, 0, 0, 0};
  b.lit_codes = test::canonical_codes(b.lit);
  b.dist_codes = test::canonical_codes(b.dist);
  return b;
}

void dynamic_header(test::BitWriter &w, bool final = true) {
  w.bits(final, 1);
  w.bits(2, 2);
  w.bits(286 - 257, 5);  // HLIT
  w.bits(8 - 1, 5);      // HDIST
  // Code-length code: 16, 9 and 4 get 2 bits, 2 gets 3 bits, 18 and 17 get 4 bits.
  std::vector<int> cl(19, 0);
  cl[16] = 2, cl[9] = 2, cl[4] = 2, cl[2] = 3, cl[18] = 4, cl[17] = 4;
  const int order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
  w.bits(16 - 4, 4);  // HCLEN: up to symbol 2, the 16th in the order
  for (int i = 0; i < 16; ++i) w.bits(static_cast<uint32_t>(cl[order[i]]), 3);
  const std::vector<uint32_t> c = test::canonical_codes(cl);
  auto sym = [&](int s) { w.code(c[s], cl[s]); };
  // 256 nines: one literal 9, then 42 repeats of 6 and one of 3 (code 16, 2 extra bits).
  sym(9);
  for (int i = 0; i < 42; ++i) sym(16), w.bits(3, 2);
  sym(16), w.bits(0, 2);
  // 8 fours: 4, repeat 6, then 4.
  sym(4), sym(16), w.bits(3, 2), sym(4);
  // 22 zeros for 264..285 (code 18: 11 + 7 extra bits).
  sym(18), w.bits(22 - 11, 7);
  // Distances: 2, repeat 3 more, then 4 zeros (code 17: 3 + 3 extra bits).
  sym(2), sym(16), w.bits(0, 2), sym(17), w.bits(4 - 3, 3);
}

std::vector<uint8_t> dynamic_block_stream() {
  const DynamicBlock b = dynamic_tables();
  test::BitWriter w;
  dynamic_header(w);
  auto lit = [&](int s) { w.code(b.lit_codes[s], b.lit[s]); };
  for (char c : std::string("abcd")) lit(static_cast<unsigned char>(c));
  lit(263);                                  // length 9
  w.code(b.dist_codes[3], 2), w.bits(0, 0);  // distance 4
  lit(258);                                  // length 4
  w.code(b.dist_codes[0], 2);                // distance 1: a run of the last byte
  lit(256);
  return w.finish();
}

}  // namespace

TEST_CASE("inflate: stored block") {
  InflateStats stats;
  size_t used = 0;
  const std::vector<uint8_t> s = stored_block_stream("hello, world");
  CHECK(inflate_text(s, &stats, &used) == "hello, world");
  CHECK(used == s.size());
  CHECK(stats.stored_blocks == 1);
}

TEST_CASE("inflate: empty stored block") {
  CHECK(inflate_text(stored_block_stream("")) == "");
}

TEST_CASE("inflate: fixed Huffman block with an overlapping copy") {
  InflateStats stats;
  CHECK(inflate_text(fixed_block_stream(), &stats) == "abcabcabcabc");
  CHECK(stats.fixed_blocks == 1);
}

TEST_CASE("inflate: dynamic Huffman block using repeat codes 16 17 18") {
  InflateStats stats;
  CHECK(inflate_text(dynamic_block_stream(), &stats) == "abcdabcdabcdaaaaa");
  CHECK(stats.dynamic_blocks == 1);
}

TEST_CASE("inflate: several blocks of different kinds, copies across blocks") {
  test::BitWriter w;
  // Stored "xyz" (not final), then a fixed block copying it: <length 3, distance 3>.
  std::vector<uint8_t> stored = stored_block_stream("xyz", false);
  for (uint8_t b : stored) w.bits(b, 8);
  w.bits(1, 1);
  w.bits(1, 2);
  fixed_literal(w, 257);  // length 3
  w.code(2, 5);           // distance 3
  fixed_literal(w, 256);
  InflateStats stats;
  CHECK(inflate_text(w.finish(), &stats) == "xyzxyz");
  CHECK(stats.stored_blocks == 1);
  CHECK(stats.fixed_blocks == 1);
}

TEST_CASE("inflate: reports the bytes used, leaving what follows") {
  std::vector<uint8_t> s = fixed_block_stream();
  const size_t n = s.size();
  s.push_back(0xaa);
  s.push_back(0xbb);
  size_t used = 0;
  inflate_text(s, nullptr, &used);
  CHECK(used == n);
}

TEST_CASE("inflate: refuses truncated streams of every length") {
  for (const auto &stream :
       {stored_block_stream("some stored text"), fixed_block_stream(), dynamic_block_stream()}) {
    for (size_t n = 0; n < stream.size(); ++n) {
      const std::vector<uint8_t> cut(stream.begin(), stream.begin() + static_cast<long>(n));
      CAPTURE(n);
      CHECK(error_of(cut).find("invalid deflate data") != std::string::npos);
    }
  }
}

TEST_CASE("inflate: refuses the reserved block type 3") {
  test::BitWriter w;
  w.bits(1, 1);
  w.bits(3, 2);
  CHECK(error_of(w.finish()).find("block type 3 is reserved") != std::string::npos);
}

TEST_CASE("inflate: refuses a stored length that does not match its complement") {
  std::vector<uint8_t> s = stored_block_stream("abc");
  s[3] ^= 1;  // NLEN
  CHECK(error_of(s).find("does not match its complement") != std::string::npos);
}

TEST_CASE("inflate: refuses a stored block longer than the input") {
  std::vector<uint8_t> s = stored_block_stream("abcdef");
  s.resize(s.size() - 2);
  CHECK(error_of(s).find("runs past the end of the input") != std::string::npos);
}

TEST_CASE("inflate: refuses a distance before the start of the output") {
  test::BitWriter w;
  w.bits(1, 1);
  w.bits(1, 2);
  fixed_literal(w, 'a');
  fixed_literal(w, 257);  // length 3
  w.code(1, 5);           // distance 2, but only 1 byte exists
  fixed_literal(w, 256);
  CHECK(error_of(w.finish()).find("distance 2 reaches before the start of the 1 bytes") !=
        std::string::npos);
}

TEST_CASE("inflate: refuses the unused length and distance symbols of the fixed code") {
  test::BitWriter w;
  w.bits(1, 1);
  w.bits(1, 2);
  fixed_literal(w, 'a');
  fixed_literal(w, 286);
  CHECK(error_of(w.finish()).find("length symbol 286 is not used") != std::string::npos);
  test::BitWriter d;
  d.bits(1, 1);
  d.bits(1, 2);
  fixed_literal(d, 'a');
  fixed_literal(d, 257);
  d.code(30, 5);
  CHECK(error_of(d.finish()).find("distance symbol 30 is not used") != std::string::npos);
}

TEST_CASE("inflate: refuses malformed dynamic headers") {
  SUBCASE("too many literal/length codes") {
    test::BitWriter w;
    w.bits(1, 1);
    w.bits(2, 2);
    w.bits(30, 5);  // HLIT 287
    w.bits(0, 5);
    w.bits(0, 4);
    CHECK(error_of(w.finish()).find("287 literal/length") != std::string::npos);
  }
  SUBCASE("over-subscribed code-length code") {
    test::BitWriter w;
    w.bits(1, 1);
    w.bits(2, 2);
    w.bits(0, 5);
    w.bits(0, 5);
    w.bits(0, 4);                              // 4 code-length lengths
    for (int i = 0; i < 4; ++i) w.bits(1, 3);  // four codes of 1 bit
    CHECK(error_of(w.finish()).find("code-length code: over-subscribed") != std::string::npos);
  }
  SUBCASE("incomplete code-length code") {
    test::BitWriter w;
    w.bits(1, 1);
    w.bits(2, 2);
    w.bits(0, 5);
    w.bits(0, 5);
    w.bits(0, 4);
    w.bits(2, 3), w.bits(0, 3), w.bits(0, 3), w.bits(0, 3);  // one code of 2 bits
    CHECK(error_of(w.finish()).find("code-length code: incomplete") != std::string::npos);
  }
  SUBCASE("repeat with no previous length") {
    test::BitWriter w;
    w.bits(1, 1);
    w.bits(2, 2);
    w.bits(0, 5);
    w.bits(0, 5);
    w.bits(0, 4);
    // 16, 17, 18 get 2 bits, 0 gets 2 bits: complete.
    for (int i = 0; i < 4; ++i) w.bits(2, 3);
    w.code(1, 2);  // symbol 16 (canonical codes: 0 -> 00, 16 -> 01, 17 -> 10, 18 -> 11)
    w.bits(0, 2);
    CHECK(error_of(w.finish()).find("repeat with no previous length") != std::string::npos);
  }
  SUBCASE("repeat past the end of the lengths") {
    test::BitWriter w;
    w.bits(1, 1);
    w.bits(2, 2);
    w.bits(0, 5);  // 257 + 1 = 258 lengths
    w.bits(0, 5);
    w.bits(0, 4);
    for (int i = 0; i < 4; ++i) w.bits(2, 3);
    for (int i = 0; i < 2; ++i) w.code(3, 2), w.bits(127, 7);  // 2 x 138 zeros > 258
    CHECK(error_of(w.finish()).find("runs past the 258 lengths") != std::string::npos);
  }
  SUBCASE("no end-of-block code") {
    test::BitWriter w;
    w.bits(1, 1);
    w.bits(2, 2);
    w.bits(0, 5);
    w.bits(0, 5);
    w.bits(0, 4);
    for (int i = 0; i < 4; ++i) w.bits(2, 3);  // 16, 17, 18, 0 all 2 bits
    w.code(3, 2), w.bits(127, 7);              // 138 zeros
    w.code(3, 2), w.bits(109, 7);              // 120 zeros: all 258 lengths are 0
    CHECK(error_of(w.finish()).find("no end-of-block code") != std::string::npos);
  }
}

TEST_CASE("inflate: refuses a code never assigned (incomplete single-code distance tree)") {
  // Literal/length code of the dynamic tables above, but one distance code of length 1: a
  // valid (incomplete) tree, whose unassigned code '1' must be refused when used.
  DynamicBlock b = dynamic_tables();
  test::BitWriter w;
  w.bits(1, 1);
  w.bits(2, 2);
  w.bits(286 - 257, 5);
  w.bits(1 - 1, 5);  // one distance code
  std::vector<int> cl(19, 0);
  cl[16] = 2, cl[9] = 2, cl[4] = 2, cl[1] = 3, cl[18] = 3;
  const int order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
  w.bits(18 - 4, 4);  // up to symbol 1, the 18th
  for (int i = 0; i < 18; ++i) w.bits(static_cast<uint32_t>(cl[order[i]]), 3);
  const std::vector<uint32_t> c = test::canonical_codes(cl);
  auto sym = [&](int s) { w.code(c[s], cl[s]); };
  sym(9);
  for (int i = 0; i < 42; ++i) sym(16), w.bits(3, 2);
  sym(16), w.bits(0, 2);
  sym(4), sym(16), w.bits(3, 2), sym(4);
  sym(18), w.bits(22 - 11, 7);
  sym(1);  // the only distance code, length 1
  w.code(b.lit_codes['a'], 9);
  w.code(b.lit_codes[257], 4);  // length 3
  w.code(1, 1);                 // unassigned distance code
  w.bits(0, 16);                // more input, so that the failure is not a truncation
  CHECK(error_of(w.finish()).find("invalid distance code") != std::string::npos);
}

TEST_CASE("inflate: stops at the output limit") {
  // 'a' then a copy of 258: 259 bytes.
  test::BitWriter w;
  w.bits(1, 1);
  w.bits(1, 2);
  fixed_literal(w, 'a');
  fixed_literal(w, 285);  // length 258
  w.code(0, 5);           // distance 1
  fixed_literal(w, 256);
  const std::vector<uint8_t> s = w.finish();
  CHECK(inflate_text(s).size() == 259);
  CHECK(error_of(s, 100).find("exceeds the limit of 100 bytes") != std::string::npos);
}
