// gzip decoding with zlib's inflate in gzip mode (16 + MAX_WBITS: header, CRC-32 and size
// checked), one member after another, into a buffer that grows up to the caller's limit.
#include "gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>

namespace nnstate_cli {
namespace {

constexpr size_t kMinBuffer = size_t{64} << 10;
constexpr uint64_t kMaxDeflateRatio = 1032;  // 258 bytes per 2-bit code at best

uint32_t read_le32(const uint8_t *p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// zlib counts in uInt (32 bits): larger buffers are handed over in pieces.
uInt piece(size_t n) {
  return static_cast<uInt>(std::min<size_t>(n, UINT_MAX));
}

class Inflater {
 public:
  Inflater() {
    if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) {
      throw std::runtime_error("cannot start zlib's inflate: out of memory");
    }
  }
  ~Inflater() { inflateEnd(&stream_); }
  Inflater(const Inflater &) = delete;
  Inflater &operator=(const Inflater &) = delete;
  z_stream &stream() { return stream_; }

 private:
  z_stream stream_{};
};

// The last member's size field is a hint to allocate once; it is untrusted, so it is capped
// by the limit and by what DEFLATE can expand the input to.
size_t first_buffer_size(const uint8_t *data, size_t size, size_t limit) {
  const uint64_t hint = size >= 4 ? read_le32(data + size - 4) : 0;
  const uint64_t most = static_cast<uint64_t>(size) * kMaxDeflateRatio;
  return static_cast<size_t>(
      std::min<uint64_t>({std::max<uint64_t>(hint, kMinBuffer), most, uint64_t{limit}}));
}

// reserve() first: resize() alone may allocate more than asked for.
void grow_to(Bytes &out, size_t size) {
  out.reserve(size);
  out.resize(size);
}

[[noreturn]] void bad_gzip(size_t offset, const std::string &what) {
  throw std::runtime_error("invalid gzip data at compressed byte " + std::to_string(offset) + ": " +
                           what);
}

}  // namespace

bool is_gzip(const uint8_t *data, size_t size) {
  return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

Bytes gunzip(const uint8_t *data, size_t size, size_t limit) {
  Inflater inflater;
  z_stream &z = inflater.stream();
  Bytes out;
  grow_to(out, first_buffer_size(data, size, limit));
  size_t produced = 0, fed = 0;  // bytes written to `out`; input bytes handed to zlib
  uint8_t probe;                 // takes the first byte past the limit, which is refused
  for (;;) {
    if (z.avail_in == 0 && fed < size) {
      z.next_in = const_cast<Bytef *>(data + fed);
      z.avail_in = piece(size - fed);
      fed += z.avail_in;
    }
    if (produced == out.size() && out.size() < limit) {
      grow_to(out, std::min(limit, std::max(2 * out.size(), kMinBuffer)));
    }
    const bool at_limit = produced == out.size();
    z.next_out = at_limit ? &probe : out.data() + produced;
    z.avail_out = at_limit ? 1 : piece(out.size() - produced);
    const uInt room = z.avail_out;
    const int rc = inflate(&z, Z_NO_FLUSH);
    const size_t made = room - z.avail_out;
    if (at_limit && made > 0) {
      throw std::runtime_error("decompressed data exceeds the limit of " + std::to_string(limit) +
                               " bytes (refused as a likely decompression bomb)");
    }
    produced += made;
    const size_t used = fed - z.avail_in;  // input bytes zlib has consumed
    if (rc == Z_STREAM_END) {
      size_t next = used;
      while (next < size && data[next] == 0) ++next;
      if (next == size) break;  // the end, or zero padding after the last member
      // A lone 1f may be the start of a member cut short: zlib then reports the truncation.
      const bool member_follows =
          size - next == 1 ? data[next] == 0x1f : is_gzip(data + next, size - next);
      if (next != used || !member_follows) {
        bad_gzip(next, "unexpected data after the last member");
      }
      inflateReset(&z);  // another member follows
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && z.avail_out == 0) continue;               // full: grow or probe
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && fed < size) continue;  // hand over more input
    if (rc == Z_BUF_ERROR) {
      throw std::runtime_error("truncated gzip data: the input ends inside a member after " +
                               std::to_string(size) + " bytes (" + std::to_string(produced) +
                               " bytes decompressed)");
    }
    if (rc == Z_MEM_ERROR) throw std::runtime_error("out of memory in zlib's inflate");
    bad_gzip(used, z.msg ? z.msg : "zlib error " + std::to_string(rc));
  }
  out.resize(produced);
  return out;
}

}  // namespace nnstate_cli
