// Hostile safetensors files: every refusal is CORRUPT with a message naming the tensor (or the
// header part) and what is wrong, and nothing is allocated from an unchecked number.
#include <doctest/doctest.h>

#include "safetensors_util.h"
#include "test_checkpoint_util.h"

using namespace nnstate;
using st_test::file_of;

namespace {

const std::string kPrefix = "safetensors file \"t.safetensors\": ";

// The refusal of `bytes` without the file prefix; fails the test unless it is CORRUPT.
std::string refusal(const std::vector<unsigned char> &bytes) {
  std::string message;
  const nnstate_status status = ckpt_test::status_of([&] { st_test::header_of(bytes); }, &message);
  CHECK(status == NNSTATE_ERR_CORRUPT);
  if (message.compare(0, kPrefix.size(), kPrefix) != 0) return "(no file prefix) " + message;
  return message.substr(kPrefix.size());
}

std::string refusal(const std::string &header, size_t data_bytes = 0) {
  return refusal(file_of(header, std::vector<unsigned char>(data_bytes, 0)));
}

std::string tensor(const char *name, const char *dtype, const char *shape, const char *offsets) {
  return std::string("\"") + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":" + offsets + "}";
}

}  // namespace

TEST_CASE("safetensors hostile: a truncation at any offset is refused by its region") {
  Model model(1);
  st_test::build(model, st_test::kMlpJson);
  const std::vector<unsigned char> bytes = st_test::written(model);
  const nnstate::interop::SafetensorsHeader h = st_test::header_of(bytes);
  for (size_t size = 0; size < bytes.size(); ++size) {
    CAPTURE(size);
    const std::string m =
        refusal(std::vector<unsigned char>(bytes.begin(), bytes.begin() + static_cast<long>(size)));
    if (size < 8) {
      CHECK(m == "the file is " + std::to_string(size) +
                     " bytes, shorter than the 8-byte header length");
    } else if (size < h.data_start) {
      CHECK(m == "header length " + std::to_string(h.data_start - 8) + " exceeds the " +
                     std::to_string(size - 8) + " bytes after the length");
    } else {
      CHECK(m.find("go past the data area's " + std::to_string(size - h.data_start) + " bytes") !=
            std::string::npos);
    }
  }
  // One byte too many: a hole at the end.
  std::vector<unsigned char> longer = bytes;
  longer.push_back(0);
  CHECK(refusal(longer) == "the tensors cover " + std::to_string(h.data_length) +
                               " bytes of the data area, which holds " +
                               std::to_string(h.data_length + 1));
}

TEST_CASE("safetensors hostile: a huge header length is refused before anything is read") {
  std::vector<unsigned char> bytes(16, 0);
  bytes[7] = 0x7f;  // 2^63-ish
  CHECK(refusal(bytes) == "header length 9151314442816847872 exceeds the limit of 100000000 bytes");
  bytes[7] = 0;
  bytes[3] = 1;  // 16 MiB, below the limit but beyond the file
  CHECK(refusal(bytes) == "header length 16777216 exceeds the 8 bytes after the length");
}

TEST_CASE("safetensors hostile: offsets out of range, overlapping or with holes") {
  CHECK(refusal("{" + tensor("a", "F32", "[2]", "[0,8]") + "}", 4) ==
        "tensor \"a\": data_offsets [0, 8) go past the data area's 4 bytes");
  CHECK(refusal("{" + tensor("a", "F32", "[2]", "[0,8]") + "," +
                    tensor("b", "F32", "[1]", "[4,8]") + "}",
                8) == "tensor \"b\": data_offsets [4, 8) overlap \"a\"'s, which end at 8");
  CHECK(refusal("{" + tensor("a", "F32", "[1]", "[4,8]") + "}", 8) ==
        "tensor \"a\": data_offsets [4, 8) leave a hole of 4 bytes before them");
  CHECK(refusal("{" + tensor("a", "F32", "[0]", "[8,0]") + "}", 8) ==
        "tensor \"a\": data_offsets [8,0] end before they begin");
  CHECK(refusal("{" + tensor("a", "F32", "[1]", "[0]") + "}", 4) ==
        "tensor \"a\": data_offsets is [0], not two non-negative integers [begin, end]");
  CHECK(refusal("{" + tensor("a", "F32", "[1]", "[-4,0]") + "}", 4) ==
        "tensor \"a\": data_offsets is [-4,0], not two non-negative integers [begin, end]");
}

TEST_CASE("safetensors hostile: dtypes and shapes") {
  CHECK(refusal("{" + tensor("w", "F33", "[1]", "[0,4]") + "}", 4) ==
        "tensor \"w\": unknown dtype \"F33\"");
  CHECK(refusal("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4) ==
        "tensor \"w\": unknown dtype 4");
  CHECK(refusal("{" + tensor("w", "F32", "[3]", "[0,8]") + "}", 8) ==
        "tensor \"w\": shape [3] of F32 is 12 bytes, data_offsets [0,8] hold 8");
  CHECK(refusal("{" + tensor("w", "F16", "[2,-1]", "[0,8]") + "}", 8) ==
        "tensor \"w\": shape[1] is -1, not a non-negative integer");
  CHECK(refusal("{" + tensor("w", "F16", "[2.5]", "[0,8]") + "}", 8) ==
        "tensor \"w\": shape[0] is 2.5, not a non-negative integer");
  CHECK(refusal("{" + tensor("w", "F16", "4", "[0,8]") + "}", 8) ==
        "tensor \"w\": shape is 4, not a list");
  CHECK(refusal("{" + tensor("w", "F64", "[4294967296,4294967296]", "[0,8]") + "}", 8) ==
        "tensor \"w\": shape [4294967296,4294967296] of F64 overflows 64 bits of bytes");
  CHECK(refusal("{" +
                    tensor("w", "F32",
                           "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
                           "1,1,1,1,1,1]",
                           "[0,4]") +
                    "}",
                4) ==
        "tensor \"w\": a list of more than 32 values (a shape has at most 32 dimensions)");
  CHECK(refusal("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4) ==
        "tensor \"w\": field \"data_offsets\" is missing");
  CHECK(refusal("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4) ==
        "tensor \"w\": unknown field \"x\" (expected dtype, shape, data_offsets)");
  CHECK(refusal("{\"w\":[1]}", 0) == "tensor \"w\": expected an object, got a list");
  CHECK(refusal("{" + tensor("", "F32", "[1]", "[0,4]") + "}", 4) == "a tensor has an empty name");
}

TEST_CASE("safetensors hostile: the JSON itself") {
  CHECK(refusal("{" + tensor("w", "F32", "[1]", "[0,4]") + "," +
                    tensor("w", "F32", "[1]", "[0,4]") + "}",
                4) == "header: duplicate key \"w\"");
  CHECK(
      refusal("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
              4) == "tensor \"w\": duplicate key \"dtype\"");
  CHECK(refusal("[1, 2]  ") == "header: not a JSON object (it must start with '{')");
  CHECK(refusal("") == "header: not a JSON object (it must start with '{')");
  CHECK(refusal("{\"a\": [[[1]]]}") == "tensor \"a\": nested deeper than 3 levels");
  CHECK(refusal("[") == "header: not a JSON object (it must start with '{')");
  // A list of a million zeros would cost 16 bytes of parsed document per 2 bytes of header.
  std::string zeros = "{\"__metadata__\": [0";
  for (int i = 0; i < 40; ++i) zeros += ",0";
  CHECK(refusal(zeros + "]}") ==
        "__metadata__: a list of more than 32 values (a shape has at most 32 dimensions)");
  CHECK(refusal("{\"a\": ").rfind("header: invalid JSON: ", 0) == 0);
  CHECK(refusal("{\"__metadata__\": {\"k\": 1}}") == "__metadata__ \"k\" is 1, not a string");
  CHECK(refusal("{\"__metadata__\": [\"k\"]}") == "__metadata__ is a list, not an object");
  // A valid header with padding spaces, metadata and an empty tensor is accepted.
  const auto h = st_test::header_of(file_of("{\"__metadata__\":{\"k\":\"v\"}," +
                                            tensor("e", "F32", "[0,3]", "[0,0]") + "}     "));
  CHECK(h.tensors.size() == 1);
  CHECK(*h.metadata_value("k") == "v");
}
