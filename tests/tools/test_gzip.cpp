// gzip decoding (tools/nnstate/gzip.cpp) on members made at test time by zlib's own deflate:
// every level, every optional header field, concatenated members and padding; truncated,
// corrupted and oversized input must be refused with a clear message and never crash; plain
// files pass through read_data_file untouched.
#include <doctest/doctest.h>

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <new>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "file_io.h"
#include "gzip.h"

// The largest single allocation while `tracking` is set: proves the bomb limit holds before
// anything is allocated, not after. (Replacing global new is the standard way to observe it.)
static std::atomic<bool> tracking{false};
static std::atomic<size_t> largest{0};

void *operator new(size_t size) {
  if (tracking && size > largest) largest = size;
  if (void *p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void *p) noexcept {
  std::free(p);
}
void operator delete(void *p, size_t) noexcept {
  std::free(p);
}

namespace {

using Gz = std::vector<uint8_t>;
constexpr size_t kLimit = size_t{1} << 30;

// `content` as one gzip member made by zlib; `header` (optional) sets the header's fields.
Gz gzip_member(const std::string &content, int level = 9, gz_header *header = nullptr) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  if (header) REQUIRE(deflateSetHeader(&z, header) == Z_OK);
  Gz out(deflateBound(&z, content.size()) + 1024);
  z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(content.data()));
  z.avail_in = static_cast<uInt>(content.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string gunzip_text(const Gz &file, size_t limit = kLimit) {
  const nnstate_cli::Bytes out = nnstate_cli::gunzip(file.data(), file.size(), limit);
  return std::string(out.begin(), out.end());
}

std::string error_of(const Gz &file, size_t limit = kLimit) {
  try {
    gunzip_text(file, limit);
  } catch (const std::runtime_error &e) {
    return e.what();
  }
  return "no error";
}

std::string text_like(size_t n, uint32_t seed) {
  static const char *words[] = {"epoch ", "loss ",       "0.4321 ", "accuracy ", "adam ",
                                "\n",     "checkpoint ", "never ",  "lost ",     "state "};
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n) s += words[rng() % 10];
  return s;
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char &c : s) c = static_cast<char>(rng());
  return s;
}

Gz concatenated(std::initializer_list<Gz> members) {
  Gz all;
  for (const Gz &m : members) all.insert(all.end(), m.begin(), m.end());
  return all;
}

}  // namespace

TEST_CASE("gzip: members made by zlib at every kind of level decode to their content") {
  for (const int level : {0, 1, 6, 9}) {
    CAPTURE(level);
    const std::string text = text_like(300000, 1), noise = random_bytes(200000, 2);
    CHECK(gunzip_text(gzip_member(text, level)) == text);
    CHECK(gunzip_text(gzip_member(noise, level)) == noise);
    CHECK(gunzip_text(gzip_member("", level)) == "");
  }
}

TEST_CASE("gzip: a header with every optional field (extra, name, comment, header CRC)") {
  std::string extra = "ab\3\0xyz", name = "name.txt", comment = "a comment";
  gz_header header{};
  header.time = 1234567890;
  header.os = 3;
  header.extra = reinterpret_cast<Bytef *>(&extra[0]);
  header.extra_len = static_cast<uInt>(extra.size());
  header.name = reinterpret_cast<Bytef *>(&name[0]);
  header.comment = reinterpret_cast<Bytef *>(&comment[0]);
  header.hcrc = 1;
  const std::string content = text_like(5000, 3);
  const Gz gz = gzip_member(content, 9, &header);
  CHECK(gunzip_text(gz) == content);

  const auto at = std::search(gz.begin(), gz.end(), name.begin(), name.end());
  REQUIRE(at != gz.end());
  Gz bad = gz;
  bad[static_cast<size_t>(at - gz.begin())] ^= 1;  // the name changes, its CRC does not
  CHECK(error_of(bad).find("header crc mismatch") != std::string::npos);
}

TEST_CASE("gzip: concatenated members (an empty one too), then zero padding") {
  const std::string a = text_like(20000, 4), b = random_bytes(3000, 5);
  Gz gz = concatenated({gzip_member(a, 6), gzip_member("", 6), gzip_member(b, 1)});
  CHECK(gunzip_text(gz) == a + b);
  gz.insert(gz.end(), 512, 0);
  CHECK(gunzip_text(gz) == a + b);
}

TEST_CASE("gzip: every truncation is refused as truncated") {
  const std::string first = text_like(3000, 6);
  const Gz member = gzip_member(first);
  const Gz gz = concatenated({member, gzip_member(text_like(500, 7))});
  for (size_t n = 0; n < gz.size(); ++n) {
    CAPTURE(n);
    if (n == member.size()) {  // cut between the members: a complete file of one member
      CHECK(gunzip_text(Gz(gz.begin(), gz.begin() + static_cast<long>(n))) == first);
      continue;
    }
    const std::string error = error_of(Gz(gz.begin(), gz.begin() + static_cast<long>(n)));
    CHECK(error.find("truncated gzip data: the input ends inside a member") != std::string::npos);
  }
}

TEST_CASE("gzip: every single-bit flip is refused or harmless") {
  // Unchecked bits may change without notice: mtime, extra flags and OS (6 bytes), the FTEXT
  // hint, and the padding after the last block (under 8 bits).
  const std::string content = text_like(1500, 8);
  const Gz gz = gzip_member(content);
  size_t refused = 0;
  for (size_t i = 0; i < gz.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      Gz bad = gz;
      bad[i] ^= static_cast<uint8_t>(1 << bit);
      try {
        const std::string out = gunzip_text(bad);
        CAPTURE(i);
        CAPTURE(bit);
        CHECK(out == content);
      } catch (const std::runtime_error &e) {
        CHECK(std::string(e.what()).find("gzip data") != std::string::npos);
        refused++;
      }
    }
  }
  CHECK(refused >= gz.size() * 8 - 56);
}

TEST_CASE("gzip: a bad trailer, method or trailing data is refused with the reason") {
  const Gz good = gzip_member("hello");
  CHECK(gunzip_text(good) == "hello");
  Gz bad = good;
  bad[bad.size() - 8] ^= 0x10;  // CRC-32
  CHECK(error_of(bad).find("incorrect data check") != std::string::npos);
  bad = good;
  bad[bad.size() - 4] = 6;  // ISIZE
  CHECK(error_of(bad).find("incorrect length check") != std::string::npos);
  bad = good;
  bad[2] = 7;
  CHECK(error_of(bad).find("unknown compression method") != std::string::npos);
  bad = good;
  bad.push_back('x');
  CHECK(error_of(bad) == "invalid gzip data at compressed byte " + std::to_string(good.size()) +
                             ": unexpected data after the last member");
  bad = good;
  bad.insert(bad.end(), {0, 0, 0x1f, 0x8b});  // padding is only allowed at the end
  CHECK(error_of(bad).find("unexpected data after the last member") != std::string::npos);
}

TEST_CASE("gzip: a decompression bomb is refused at the limit, nothing allocated past it") {
  // 1.5 MiB from 1.5 KiB. Kept under 2 MiB, where Bytes allocate with operator new (larger
  // blocks are mapped directly and would escape the count).
  const Gz bomb = gzip_member(std::string(size_t{3} << 19, '\0'));
  const size_t limit = size_t{1} << 18;
  largest = 0;
  tracking = true;
  const std::string error = error_of(bomb, limit);
  tracking = false;
  CHECK(error ==
        "decompressed data exceeds the limit of 262144 bytes (refused as a likely "
        "decompression bomb)");
  CHECK(largest <= limit);

  const Gz exact = gzip_member(std::string(100000, 'a'));
  CHECK(gunzip_text(exact, 100000).size() == 100000);
  CHECK(error_of(exact, 99999).find("exceeds the limit of 99999 bytes") != std::string::npos);
}

TEST_CASE("gzip: random garbage after a valid header never crashes") {
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 2000; ++trial) {
    Gz gz = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    const size_t n = rng() % 200;
    for (size_t i = 0; i < n; ++i) gz.push_back(static_cast<uint8_t>(rng()));
    try {
      gunzip_text(gz);
    } catch (const std::runtime_error &) {
    }
  }
}

TEST_CASE("read_data_file: plain files pass through, gzip is decoded, errors name the file") {
  char pattern[] = "/tmp/nnstate_gzip_test_XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  const std::string dir = pattern, plain = dir + "/plain", gz = dir + "/data.gz",
                    cut = dir + "/cut.gz";
  const std::string content = text_like(10000, 9);
  const Gz member = gzip_member(content);
  std::ofstream(plain, std::ios::binary) << content;
  std::ofstream(gz, std::ios::binary)
      .write(reinterpret_cast<const char *>(member.data()),
             static_cast<std::streamsize>(member.size()));
  std::ofstream(cut, std::ios::binary).write(reinterpret_cast<const char *>(member.data()), 100);

  const nnstate_cli::Bytes raw = nnstate_cli::read_data_file(plain);
  CHECK(std::string(raw.begin(), raw.end()) == content);
  const nnstate_cli::Bytes decoded = nnstate_cli::read_data_file(gz);
  CHECK(std::string(decoded.begin(), decoded.end()) == content);
  try {
    nnstate_cli::read_data_file(cut);
    FAIL("no error");
  } catch (const std::runtime_error &e) {
    CHECK(std::string(e.what()).rfind(cut + ": truncated gzip data", 0) == 0);
  }
  CHECK(std::system(("rm -rf '" + dir + "'").c_str()) == 0);
}
