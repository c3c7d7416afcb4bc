// Untrusted input: every single-bit flip anywhere in a small checkpoint and every truncation
// is rejected by verification and by loading, with an error and without a crash.
#include <doctest/doctest.h>

#include "checkpoint/crc32c.h"
#include "checkpoint_craft.h"
#include "test_checkpoint_util.h"
#include "util/error.h"

using namespace nnstate;
using namespace nnstate::checkpoint;
using namespace ckpt_test;

namespace {

// The status of verifying `bytes` completely (CRCs and padding included).
nnstate_status verify_status(const std::vector<unsigned char> &bytes, std::string *message) {
  try {
    MemorySource source(bytes.data(), bytes.size(), false, "<flipped>");
    verify_data(source, read_contents(source));
  } catch (const Error &e) {
    *message = e.what();
    return e.status();
  }
  return NNSTATE_OK;
}

nnstate_status load_status(const std::vector<unsigned char> &bytes) {
  try {
    MemorySource source(bytes.data(), bytes.size(), false, "<flipped>");
    load(source, LoadOptions{});
  } catch (const Error &e) {
    return e.status();
  }
  return NNSTATE_OK;
}

// Flips every bit of every byte of a small checkpoint in turn and counts the flips that `check`
// does not reject.
template <typename Check>
size_t undetected_flips(Check check) {
  auto model = small_model(2);
  auto bytes = to_bytes(*model);
  REQUIRE(check(bytes) == NNSTATE_OK);
  REQUIRE(bytes.size() < 8192);  // keeps the test fast
  size_t undetected = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      bytes[i] ^= static_cast<unsigned char>(1u << bit);
      nnstate_status s = check(bytes);
      if (s == NNSTATE_OK) {
        ++undetected;
        FAIL_CHECK("flip of bit " << bit << " at byte " << i << " passed");
      } else if (s != NNSTATE_ERR_CORRUPT && s != NNSTATE_ERR_VERSION) {
        FAIL_CHECK("flip of bit " << bit << " at byte " << i << " gave status " << s);
      }
      bytes[i] ^= static_cast<unsigned char>(1u << bit);
    }
  }
  return undetected;
}

}  // namespace

TEST_CASE("checkpoint: every single-bit flip is detected by verify") {
  CHECK(undetected_flips([](const std::vector<unsigned char> &bytes) {
          std::string message;
          nnstate_status s = verify_status(bytes, &message);
          if (s != NNSTATE_OK && message.find("<flipped>") == std::string::npos) {
            FAIL_CHECK("message does not name the file: " << message);
          }
          return s;
        }) == 0);
}

// Loading checks each loaded tensor and the padding right after it, which with the writer's
// layout (no other gaps) covers every byte as well.
TEST_CASE("checkpoint: every single-bit flip is detected by load") {
  CHECK(undetected_flips(load_status) == 0);
}

TEST_CASE("checkpoint: every truncation and some extensions are rejected") {
  auto model = small_model(1);
  const auto good = to_bytes(*model);
  std::string message;
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<unsigned char> cut(good.begin(), good.begin() + static_cast<long>(n));
    CHECK(verify_status(cut, &message) == NNSTATE_ERR_CORRUPT);
    CHECK(load_status(cut) == NNSTATE_ERR_CORRUPT);
  }
  auto longer = good;
  longer.push_back(0);
  CHECK(verify_status(longer, &message) == NNSTATE_ERR_CORRUPT);
  CHECK(message.find("manifest_length") != std::string::npos);
}

TEST_CASE("checkpoint: a newer major version is refused naming both versions") {
  auto model = small_model(0);
  auto bytes = to_bytes(*model);
  bytes[8] = 2;   // format major
  bytes[12] = 0;  // format minor
  std::string message;
  CHECK(verify_status(bytes, &message) == NNSTATE_ERR_VERSION);
  CHECK(message.find("format version 2.0") != std::string::npos);
  CHECK(message.find("up to 1.x") != std::string::npos);
}

TEST_CASE("checkpoint: random garbage is rejected") {
  std::vector<unsigned char> bytes(4096);
  uint32_t x = 7;
  for (unsigned char &b : bytes) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<unsigned char>(x >> 24);
  }
  std::string message;
  CHECK(verify_status(bytes, &message) == NNSTATE_ERR_CORRUPT);
  CHECK(message.find("bad magic") != std::string::npos);
}

namespace {

// Mutates every manifest byte of `good` with three patterns, fixing the CRCs so that the
// semantic checks are reached: each mutant is refused with a message or loads.
void check_manifest_mutations(const std::vector<unsigned char> &good) {
  uint64_t offset;
  std::memcpy(&offset, good.data() + 16, 8);
  std::string message;
  size_t refused = 0, accepted = 0;
  auto bytes = good;
  const unsigned char patterns[] = {0x01, 0x80, 0xff};
  for (size_t i = static_cast<size_t>(offset); i < good.size(); ++i) {
    for (unsigned char pattern : patterns) {
      bytes[i] ^= pattern;
      ckpt_craft::fix_crcs(bytes);
      nnstate_status s = verify_status(bytes, &message);
      if (s == NNSTATE_OK) {
        // A benign change (a value, a character of a string): loading must work as well.
        ++accepted;
        CHECK(load_status(bytes) == NNSTATE_OK);
      } else {
        ++refused;
        CHECK((s == NNSTATE_ERR_CORRUPT || s == NNSTATE_ERR_VERSION));
        CHECK(message.find("checkpoint \"<flipped>\": ") != std::string::npos);
      }
      bytes[i] = good[i];
    }
  }
  MESSAGE("manifest mutations: " << refused << " refused, " << accepted << " benign");
  CHECK(refused > 0);
}

}  // namespace

TEST_CASE("checkpoint: mutated manifests with valid CRCs are refused or loaded, never crash") {
  check_manifest_mutations(to_bytes(*small_model(1)));
}

TEST_CASE("checkpoint: mutated manifests of the golden graph file (format 1.1) never crash") {
  const auto good = read_file(std::string(NNSTATE_GOLDEN_DIR) + "/v1/resnet_block_trainer.nnst");
  REQUIRE(!good.empty());
  check_manifest_mutations(good);
}

TEST_CASE("checkpoint: mutated manifests of the golden guarded trainer (format 1.2) never crash") {
  const auto good = read_file(std::string(NNSTATE_GOLDEN_DIR) + "/v1/guarded_trainer.nnst");
  REQUIRE(!good.empty());
  check_manifest_mutations(good);
}

TEST_CASE("checkpoint: mutated manifests of the golden frozen, grouped trainer (1.3) never crash") {
  const auto good = read_file(std::string(NNSTATE_GOLDEN_DIR) + "/v1/frozen_groups_trainer.nnst");
  REQUIRE(!good.empty());
  check_manifest_mutations(good);
}
