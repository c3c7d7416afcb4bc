// gzip files: members made by the gzip program at test time (dynamic, stored and fixed blocks,
// several members), hand-made headers with every optional field, and corrupted or truncated
// files, which must be refused with a message and never crash.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "deflate_writer.h"
#include "error.h"
#include "gzip.h"

using nnstate_cli::Bytes;
using nnstate_cli::Error;
using nnstate_cli::InflateStats;

namespace {

constexpr size_t kLimit = size_t{1} << 30;

std::string gunzip_text(const std::vector<uint8_t> &file, InflateStats *stats = nullptr) {
  const Bytes out = nnstate_cli::gunzip(file.data(), file.size(), kLimit, stats);
  return std::string(out.begin(), out.end());
}

std::string error_of(const std::vector<uint8_t> &file) {
  try {
    gunzip_text(file);
  } catch (const Error &e) {
    return e.what();
  }
  return "no error";
}

// A scratch directory with files compressed by the system's gzip.
class GzipTool {
 public:
  GzipTool() {
    char pattern[] = "/tmp/nnstate_gzip_test_XXXXXX";
    const char *dir = mkdtemp(pattern);
    REQUIRE(dir != nullptr);
    dir_ = dir;
  }
  ~GzipTool() { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  static bool available() { return std::system("gzip --version > /dev/null 2>&1") == 0; }

  // Compresses `content` with `gzip <flags>` and returns the .gz bytes.
  std::vector<uint8_t> compress(const std::string &content, const std::string &flags) {
    const std::string plain = dir_ + "/data";
    std::ofstream(plain, std::ios::binary) << content;
    const std::string cmd = "gzip " + flags + " -c '" + plain + "' > '" + plain + ".gz'";
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::ifstream in(plain + ".gz", std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string dir_;
};

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

std::vector<uint8_t> hello_member() {
  // "hello" in one stored block.
  std::vector<uint8_t> deflate = {0x01, 5, 0, 0xfa, 0xff, 'h', 'e', 'l', 'l', 'o'};
  return test::gzip_member(deflate, "hello");
}

}  // namespace

TEST_CASE("gzip: CRC-32 check value") {
  const std::string s = "123456789";
  CHECK(nnstate_cli::crc32(0, reinterpret_cast<const uint8_t *>(s.data()), s.size()) ==
        0xcbf43926u);
  const std::string long_text = text_like(10000, 7);
  CHECK(nnstate_cli::crc32(0, reinterpret_cast<const uint8_t *>(long_text.data()),
                           long_text.size()) == test::reference_crc32(long_text));
}

TEST_CASE("gzip: files made by the gzip program") {
  if (!GzipTool::available()) {
    WARN("gzip not found: skipped");
    return;
  }
  GzipTool tool;
  SUBCASE("dynamic blocks (text, -9 and -1)") {
    const std::string content = text_like(300000, 1);
    for (const char *level : {"-9", "-1"}) {
      InflateStats stats;
      CHECK(gunzip_text(tool.compress(content, level), &stats) == content);
      CHECK(stats.dynamic_blocks > 0);
    }
  }
  SUBCASE("stored blocks (incompressible data)") {
    const std::string content = random_bytes(200000, 2);
    InflateStats stats;
    CHECK(gunzip_text(tool.compress(content, "-9"), &stats) == content);
    CHECK(stats.stored_blocks > 0);
  }
  SUBCASE("fixed block (short input)") {
    const std::string content = "abcabcabcabc hello hello hello";
    InflateStats stats;
    CHECK(gunzip_text(tool.compress(content, "-9"), &stats) == content);
    CHECK(stats.fixed_blocks == 1);
  }
  SUBCASE("empty file") {
    CHECK(gunzip_text(tool.compress("", "-9")) == "");
  }
  SUBCASE("with the original file name in the header") {
    const std::string content = text_like(5000, 3);
    std::vector<uint8_t> gz = tool.compress(content, "-N -9");
    CHECK(gunzip_text(gz) == content);
  }
  SUBCASE("two members concatenated, then zero padding") {
    const std::string a = text_like(20000, 4), b = random_bytes(3000, 5);
    std::vector<uint8_t> gz = tool.compress(a, "-6");
    const std::vector<uint8_t> second = tool.compress(b, "-6");
    gz.insert(gz.end(), second.begin(), second.end());
    gz.insert(gz.end(), 512, 0);
    InflateStats stats;
    CHECK(gunzip_text(gz, &stats) == a + b);
    CHECK(stats.members == 2);
  }
  SUBCASE("every truncation is refused") {
    const std::vector<uint8_t> gz = tool.compress(text_like(3000, 6), "-9");
    for (size_t n = 0; n < gz.size(); ++n) {
      const std::vector<uint8_t> cut(gz.begin(), gz.begin() + static_cast<long>(n));
      CAPTURE(n);
      CHECK(error_of(cut).find("invalid") != std::string::npos);
    }
  }
  SUBCASE("every single-bit flip is refused or harmless") {
    // Unchecked bits may change without notice: mtime, extra flags and OS (6 bytes), the
    // FTEXT hint, and the padding after the last block (under 8 bits).
    const std::string content = text_like(1500, 8);
    const std::vector<uint8_t> gz = tool.compress(content, "-n -9");
    size_t refused = 0;
    for (size_t i = 0; i < gz.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::vector<uint8_t> bad = gz;
        bad[i] ^= static_cast<uint8_t>(1 << bit);
        try {
          const std::string out = gunzip_text(bad);
          CAPTURE(i);
          CAPTURE(bit);
          CHECK(out == content);
        } catch (const Error &) {
          refused++;
        }
      }
    }
    CHECK(refused >= gz.size() * 8 - 56);
  }
}

TEST_CASE("gzip: optional header fields (extra, name, comment, header CRC)") {
  const std::vector<uint8_t> member = hello_member();
  std::vector<uint8_t> gz(member.begin(), member.begin() + 10);
  gz[3] = 0x02 | 0x04 | 0x08 | 0x10;                           // FHCRC, FEXTRA, FNAME, FCOMMENT
  for (uint8_t b : {3, 0, 0x61, 0x62, 0x63}) gz.push_back(b);  // XLEN 3 + data
  for (char c : std::string("name.txt")) gz.push_back(static_cast<uint8_t>(c));
  gz.push_back(0);
  for (char c : std::string("a comment")) gz.push_back(static_cast<uint8_t>(c));
  gz.push_back(0);
  const uint32_t hcrc = nnstate_cli::crc32(0, gz.data(), gz.size());
  gz.push_back(static_cast<uint8_t>(hcrc));
  gz.push_back(static_cast<uint8_t>(hcrc >> 8));
  gz.insert(gz.end(), member.begin() + 10, member.end());
  CHECK(gunzip_text(gz) == "hello");

  std::vector<uint8_t> bad_hcrc = gz;
  bad_hcrc[15] ^= 1;  // inside the name: the header CRC no longer matches
  CHECK(error_of(bad_hcrc).find("header CRC mismatch") != std::string::npos);
}

TEST_CASE("gzip: malformed headers and trailers are refused with the reason") {
  const std::vector<uint8_t> good = hello_member();
  CHECK(gunzip_text(good) == "hello");
  std::vector<uint8_t> bad = good;
  bad[0] = 0x1e;
  CHECK(error_of(bad).find("bad magic") != std::string::npos);
  bad = good;
  bad[2] = 7;
  CHECK(error_of(bad).find("compression method 7 is not deflate") != std::string::npos);
  bad = good;
  bad[3] = 0x20;
  CHECK(error_of(bad).find("reserved header flags") != std::string::npos);
  bad = good;
  bad[3] = 0x08;  // FNAME, never terminated
  bad.assign(bad.begin(), bad.begin() + 10);
  bad.insert(bad.end(), 20, 'x');
  CHECK(error_of(bad).find("unterminated file name") != std::string::npos);
  bad = good;
  bad[bad.size() - 8] ^= 0x10;  // CRC-32
  CHECK(error_of(bad).find("CRC-32 mismatch") != std::string::npos);
  bad = good;
  bad[bad.size() - 4] = 6;  // ISIZE
  CHECK(error_of(bad).find("size mismatch: trailer says 6 bytes, 5 decoded") != std::string::npos);
  bad = good;
  bad.push_back('x');
  CHECK(error_of(bad).find("unexpected data after the last member") != std::string::npos);
  CHECK(error_of({0x1f, 0x8b, 8}).find("header truncated") != std::string::npos);
}

TEST_CASE("gzip: a decompression bomb stops at the limit") {
  // 'a' and 2000 copies of length 258 in one fixed block: 516 001 bytes from ~ 0.5 KB.
  test::BitWriter w;
  w.bits(1, 1);
  w.bits(1, 2);
  w.code(0x30 + 'a', 8);
  for (int i = 0; i < 2000; ++i) {
    w.code(0xc0 + 5, 8);  // length 258
    w.code(0, 5);         // distance 1
  }
  w.code(0, 7);
  const std::vector<uint8_t> deflate = w.finish();
  const std::vector<uint8_t> gz = test::gzip_member(deflate, std::string(516001, 'a'));
  CHECK(nnstate_cli::gunzip(gz.data(), gz.size(), kLimit).size() == 516001);
  try {
    nnstate_cli::gunzip(gz.data(), gz.size(), 100000);
    FAIL("no error");
  } catch (const Error &e) {
    CHECK(std::string(e.what()).find("exceeds the limit of 100000 bytes") != std::string::npos);
  }
}

TEST_CASE("gzip: random garbage after a valid header never crashes") {
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<uint8_t> gz = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    const size_t n = rng() % 200;
    for (size_t i = 0; i < n; ++i) gz.push_back(static_cast<uint8_t>(rng()));
    try {
      gunzip_text(gz);
    } catch (const Error &) {
    }
  }
}
