// DEFLATE decoder (RFC 1951): stored, fixed-Huffman and dynamic-Huffman blocks.
//
// Huffman decoding uses a 2^10-entry table indexed by the next 10 input bits for the common
// short codes, and the canonical-code walk (count per length, symbols in code order) for the
// rare longer ones, so a table is cheap to build for every dynamic block.
#include <cstring>
#include <string>

#include "error.h"
#include "gzip.h"

namespace nnstate_cli {
namespace {

constexpr int kMaxBits = 15;      // longest code DEFLATE allows
constexpr int kFastBits = 10;     // codes up to this length decode with one table lookup
constexpr int kMaxLitLen = 288;   // literal/length alphabet incl. the two unused symbols
constexpr int kMaxDist = 32;      // distance alphabet incl. the two unused symbols
constexpr int kMaxCodeLens = 19;  // code-length alphabet

// RFC 1951 section 3.2.5: lengths 3..258 for symbols 257..285, distances 1..32768.
constexpr uint16_t kLengthBase[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                      15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                      67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr uint8_t kLengthExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr uint16_t kDistBase[30] = {1,    2,    3,    4,    5,    7,    9,    13,    17,    25,
                                    33,   49,   65,   97,   129,  193,  257,  385,   513,   769,
                                    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr uint8_t kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                    6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
// Order in which the code-length code's lengths are sent (section 3.2.7).
constexpr uint8_t kCodeLengthOrder[kMaxCodeLens] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                    11, 4,  12, 3, 13, 2, 14, 1, 15};

uint64_t le64(uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  return __builtin_bswap64(v);
#else
  return v;
#endif
}

[[noreturn]] void corrupt(const std::string &what, size_t offset) {
  fail_runtime("invalid deflate data at compressed byte " + std::to_string(offset) + ": " + what);
}

struct Huffman {
  // fast[bits]: (symbol << 4) | length for codes of at most kFastBits bits; 0 otherwise.
  uint16_t fast[1 << kFastBits];
  uint16_t count[kMaxBits + 1];  // number of codes of each length
  uint16_t symbol[kMaxLitLen];   // symbols ordered by code (length, then symbol value)
};

uint32_t reverse_bits(uint32_t code, int length) {
  uint32_t r = 0;
  for (int i = 0; i < length; ++i) {
    r = (r << 1) | (code & 1);
    code >>= 1;
  }
  return r;
}

// Builds the decoding tables from code lengths. An incomplete code is accepted only where
// zlib accepts one: no codes at all (a distance code for a block of literals) or a single code
// of length 1, and only when `allow_incomplete`; an over-subscribed code is always refused.
// Returns an empty string on success, else what is wrong.
std::string build(Huffman &h, const uint8_t *lengths, int n, bool allow_incomplete) {
  std::memset(h.count, 0, sizeof h.count);
  for (int s = 0; s < n; ++s) h.count[lengths[s]]++;
  h.count[0] = 0;
  int left = 1;  // code space still unused, in units of the current length
  int codes = 0, max_length = 0;
  for (int len = 1; len <= kMaxBits; ++len) {
    left = (left << 1) - h.count[len];
    if (left < 0) return "over-subscribed code lengths";
    codes += h.count[len];
    if (h.count[len]) max_length = len;
  }
  if (left > 0 && !(allow_incomplete && max_length <= 1 && codes <= 1)) {
    return "incomplete code lengths";
  }
  uint16_t offset[kMaxBits + 2];
  offset[1] = 0;
  for (int len = 1; len <= kMaxBits; ++len) offset[len + 1] = offset[len] + h.count[len];
  for (int s = 0; s < n; ++s) {
    if (lengths[s]) h.symbol[offset[lengths[s]]++] = static_cast<uint16_t>(s);
  }
  // Canonical codes (section 3.2.2): consecutive values per length, in symbol order; the
  // table is indexed by input bits, which carry each code most-significant bit first.
  std::memset(h.fast, 0, sizeof h.fast);
  uint32_t code = 0;
  int index = 0;
  for (int len = 1; len <= kFastBits; ++len) {
    for (int k = 0; k < h.count[len]; ++k, ++code, ++index) {
      const uint16_t entry = static_cast<uint16_t>((h.symbol[index] << 4) | len);
      for (uint32_t i = reverse_bits(code, len); i < (1u << kFastBits); i += 1u << len) {
        h.fast[i] = entry;
      }
    }
    code <<= 1;
  }
  return {};
}

class Inflater {
 public:
  Inflater(const uint8_t *data, size_t size, Bytes &out, size_t limit, InflateStats *stats)
      : begin_(data), p_(data), end_(data + size), out_(out), limit_(limit), stats_(stats) {
    pos_ = base_ = out.size();
  }

  size_t decoded() const { return pos_; }

  size_t run() {
    bool last = false;
    while (!last) {
      last = bits(1) != 0;
      const uint32_t type = bits(2);
      if (type == 0) {
        stored();
        if (stats_) stats_->stored_blocks++;
      } else if (type == 1) {
        fixed();
        if (stats_) stats_->fixed_blocks++;
      } else if (type == 2) {
        dynamic();
        if (stats_) stats_->dynamic_blocks++;
      } else {
        corrupt("block type 3 is reserved", offset());
      }
    }
    out_.resize(pos_);
    // Whole bytes still in the bit buffer were read ahead, not used.
    return static_cast<size_t>(p_ - begin_) - static_cast<size_t>(nbits_ / 8);
  }

 private:
  size_t offset() const {
    return static_cast<size_t>(p_ - begin_) - static_cast<size_t>(nbits_ / 8);
  }

  // Above nbits_, buf_ may hold bits of the next unread byte (the whole-word load reads one
  // byte more than it counts); reloading that byte ORs the same bits again, so this is
  // harmless as long as no input is skipped (see stored()).
  void refill() {
    if (end_ - p_ >= 8) {
      // Whole-word load: takes as many whole bytes as fit in the 64-bit buffer.
      uint64_t word;
      std::memcpy(&word, p_, 8);
      buf_ |= le64(word) << nbits_;
      p_ += (63 - nbits_) >> 3;
      nbits_ |= 56;
      return;
    }
    while (nbits_ <= 56 && p_ < end_) {
      buf_ |= static_cast<uint64_t>(*p_++) << nbits_;
      nbits_ += 8;
    }
  }

  uint32_t bits(int n) {
    if (nbits_ < n) {
      refill();
      if (nbits_ < n) corrupt("the stream ends early (truncated input)", offset());
    }
    const uint32_t v = static_cast<uint32_t>(buf_ & ((uint64_t{1} << n) - 1));
    buf_ >>= n;
    nbits_ -= n;
    return v;
  }

  int decode(const Huffman &h, const char *what) {
    if (nbits_ < kMaxBits) refill();
    const uint16_t entry = h.fast[buf_ & ((1u << kFastBits) - 1)];
    if (entry) {
      const int len = entry & 15;
      if (len > nbits_) corrupt("the stream ends early (truncated input)", offset());
      buf_ >>= len;
      nbits_ -= len;
      return entry >> 4;
    }
    // Longer (or unused) code: walk the canonical code one bit at a time.
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= kMaxBits; ++len) {
      if (len > nbits_) corrupt("the stream ends early (truncated input)", offset());
      code |= static_cast<int>((buf_ >> (len - 1)) & 1);
      const int count = h.count[len];
      if (code - first < count) {
        buf_ >>= len;
        nbits_ -= len;
        return h.symbol[index + code - first];
      }
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    corrupt(std::string("invalid ") + what + " code", offset());
  }

  void reserve(size_t n) {
    if (n <= out_.size() - pos_) return;
    if (n > limit_ - pos_ || pos_ > limit_) {
      fail_runtime("decompressed data exceeds the limit of " + std::to_string(limit_) + " bytes");
    }
    size_t grown = out_.size() < (size_t{1} << 16) ? (size_t{1} << 16) : out_.size() * 2;
    if (grown > limit_) grown = limit_;
    if (grown < pos_ + n) grown = pos_ + n;
    out_.resize(grown);
  }

  void stored() {
    // Skip to the byte boundary, then LEN and its one's complement NLEN.
    bits(nbits_ % 8);
    const uint32_t len = bits(16);
    const uint32_t nlen = bits(16);
    if ((len ^ 0xffffu) != nlen) {
      corrupt("stored block length " + std::to_string(len) + " does not match its complement " +
                  std::to_string(nlen),
              offset());
    }
    reserve(len);
    uint32_t copied = 0;
    while (copied < len && nbits_ >= 8) out_[pos_ + copied++] = static_cast<uint8_t>(bits(8));
    const size_t rest = len - copied;
    // The rest comes straight from the input: drop the read-ahead bits of the bytes skipped.
    if (rest) buf_ = 0;
    if (static_cast<size_t>(end_ - p_) < rest) {
      corrupt("stored block of " + std::to_string(len) + " bytes runs past the end of the input",
              offset());
    }
    if (rest) std::memcpy(out_.data() + pos_ + copied, p_, rest);
    p_ += rest;
    pos_ += len;
  }

  void fixed() {
    static const Huffman *tables = [] {
      static Huffman t[2];
      uint8_t lengths[kMaxLitLen];
      for (int s = 0; s < kMaxLitLen; ++s) lengths[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
      build(t[0], lengths, kMaxLitLen, false);
      for (int s = 0; s < kMaxDist; ++s) lengths[s] = 5;
      build(t[1], lengths, kMaxDist, false);
      return t;
    }();
    codes(tables[0], tables[1]);
  }

  void dynamic() {
    const int nlit = static_cast<int>(bits(5)) + 257;
    const int ndist = static_cast<int>(bits(5)) + 1;
    const int ncode = static_cast<int>(bits(4)) + 4;
    if (nlit > 286 || ndist > 30) {
      corrupt("dynamic block declares " + std::to_string(nlit) + " literal/length and " +
                  std::to_string(ndist) + " distance codes (at most 286 and 30)",
              offset());
    }
    uint8_t lengths[kMaxLitLen + kMaxDist] = {};
    for (int i = 0; i < ncode; ++i) lengths[kCodeLengthOrder[i]] = static_cast<uint8_t>(bits(3));
    std::string problem = build(lencode_, lengths, kMaxCodeLens, false);
    if (!problem.empty()) corrupt("code-length code: " + problem, offset());

    std::memset(lengths, 0, sizeof lengths);
    for (int i = 0; i < nlit + ndist;) {
      const int sym = decode(lencode_, "code-length");
      if (sym < 16) {
        lengths[i++] = static_cast<uint8_t>(sym);
        continue;
      }
      uint8_t value = 0;
      int repeat;
      if (sym == 16) {
        if (i == 0) corrupt("code-length repeat with no previous length", offset());
        value = lengths[i - 1];
        repeat = 3 + static_cast<int>(bits(2));
      } else if (sym == 17) {
        repeat = 3 + static_cast<int>(bits(3));
      } else {
        repeat = 11 + static_cast<int>(bits(7));
      }
      if (i + repeat > nlit + ndist) {
        corrupt("code-length repeat of " + std::to_string(repeat) + " runs past the " +
                    std::to_string(nlit + ndist) + " lengths",
                offset());
      }
      while (repeat--) lengths[i++] = value;
    }
    if (lengths[256] == 0) corrupt("dynamic block has no end-of-block code", offset());
    problem = build(litcode_, lengths, nlit, true);
    if (!problem.empty()) corrupt("literal/length code: " + problem, offset());
    problem = build(distcode_, lengths + nlit, ndist, true);
    if (!problem.empty()) corrupt("distance code: " + problem, offset());
    codes(litcode_, distcode_);
  }

  void codes(const Huffman &lit, const Huffman &dist) {
    for (;;) {
      const int sym = decode(lit, "literal/length");
      if (sym < 256) {
        reserve(1);
        out_[pos_++] = static_cast<uint8_t>(sym);
        continue;
      }
      if (sym == 256) return;
      if (sym > 285) corrupt("length symbol " + std::to_string(sym) + " is not used", offset());
      const size_t length = kLengthBase[sym - 257] + bits(kLengthExtra[sym - 257]);
      const int dsym = decode(dist, "distance");
      if (dsym > 29) corrupt("distance symbol " + std::to_string(dsym) + " is not used", offset());
      const size_t distance = kDistBase[dsym] + bits(kDistExtra[dsym]);
      if (distance > pos_ - base_) {
        corrupt("distance " + std::to_string(distance) + " reaches before the start of the " +
                    std::to_string(pos_ - base_) + " bytes decoded",
                offset());
      }
      reserve(length);
      // Byte by byte: source and destination overlap when distance < length.
      uint8_t *dst = out_.data() + pos_;
      const uint8_t *src = dst - distance;
      for (size_t k = 0; k < length; ++k) dst[k] = src[k];
      pos_ += length;
    }
  }

  const uint8_t *begin_, *p_, *end_;
  uint64_t buf_ = 0;  // input bits not yet used, least significant first
  int nbits_ = 0;
  Bytes &out_;         // [0, pos_) holds output; the rest is room to grow into
  size_t pos_, base_;  // base_: where this stream's output starts
  size_t limit_;
  InflateStats *stats_;
  Huffman lencode_, litcode_, distcode_;
};

}  // namespace

size_t inflate(const uint8_t *data, size_t size, Bytes &out, size_t limit, InflateStats *stats) {
  if (!data && size) fail_runtime("inflate: no input");
  Inflater inflater(data, size, out, limit, stats);
  try {
    return inflater.run();
  } catch (...) {
    out.resize(inflater.decoded());  // drop the room grown beyond the decoded part
    throw;
  }
}

}  // namespace nnstate_cli
