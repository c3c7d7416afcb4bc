// safetensors export and import: the file's layout and metadata, round trips, strict and
// non-strict loads, dtype conversions, and partial loads with renames and skip patterns.
#include <doctest/doctest.h>

#include <dirent.h>
#include <cmath>
#include <nlohmann/json.hpp>

#include "checkpoint/save.h"
#include "interop/tensor_transfer.h"
#include "safetensors_util.h"
#include "test_checkpoint_util.h"
#include "train/network_tensors.h"

using namespace nnstate;
using namespace nnstate::interop;
using st_test::build;
using st_test::file_of;
using st_test::kMlpJson;

namespace {

// Every tensor gets distinct values (num_batches_tracked an integer count).
void fill_distinct(Model &model, float salt) {
  int k = 0;
  for (const TensorRef &t : network_tensors(model.network())) {
    for (int64_t i = 0; i < t.value->numel(); ++i) {
      (*t.value)[i] = t.value->shape().rank == 0 ? 7.0f : salt + 0.01f * static_cast<float>(k++);
    }
  }
}

std::vector<std::vector<float>> values_of(Model &model) {
  std::vector<std::vector<float>> out;
  for (const TensorRef &t : network_tensors(model.network())) {
    out.emplace_back(t.value->data(), t.value->data() + t.value->numel());
  }
  return out;
}

TransferReport load_bytes(Model &model, const std::vector<unsigned char> &bytes,
                          const TransferOptions &options = {}) {
  checkpoint::MemorySource source(bytes.data(), bytes.size(), false, "t.safetensors");
  return transfer_tensors(model.network(), *open_tensor_file(source), options);
}

std::string message_of(Model &model, const std::vector<unsigned char> &bytes,
                       const TransferOptions &options = {}) {
  std::string message;
  ckpt_test::status_of([&] { load_bytes(model, bytes, options); }, &message);
  return message;
}

void put_f32(std::vector<unsigned char> &data, float v) {
  unsigned char b[4];
  std::memcpy(b, &v, 4);
  data.insert(data.end(), b, b + 4);
}

}  // namespace

TEST_CASE("safetensors: the file has PyTorch's names, dtypes, shapes and our metadata") {
  Model model(1);
  build(model, kMlpJson);
  fill_distinct(model, 0.5f);
  const std::vector<unsigned char> bytes = st_test::written(model);
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | bytes[static_cast<size_t>(i)];
  CHECK(length % 8 == 0);  // padded with spaces, as the reference writer does
  const std::string text(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(length));
  const auto json = nlohmann::json::parse(text);
  CHECK(json["0.weight"]["dtype"] == "F32");
  CHECK(json["0.weight"]["shape"] == nlohmann::json({3, 4}));
  CHECK(json["0.weight"]["data_offsets"] == nlohmann::json({0, 48}));
  CHECK(json["1.num_batches_tracked"]["dtype"] == "I64");
  CHECK(json["1.num_batches_tracked"]["shape"] == nlohmann::json::array());
  CHECK(json["__metadata__"]["format"] == "pt");
  CHECK(json["__metadata__"][kVersionKey] == NNSTATE_VERSION_STRING);
  CHECK(json["__metadata__"][kArchitectureKey] == network_json(model.network()));

  const SafetensorsHeader h = st_test::header_of(bytes);
  REQUIRE(h.tensors.size() == 9);  // 0.{weight,bias}, 1.{weight,bias,running_*,num_batches}, 3.*
  CHECK(h.data_start == 8 + length);
  // Data: little-endian row-major floats; the counter as an int64.
  float first;
  std::memcpy(&first, &bytes[h.data_start], 4);
  CHECK(first == 0.5f);
  const SafetensorsEntry *counter = h.find("1.num_batches_tracked");
  REQUIRE(counter);
  int64_t count;
  std::memcpy(&count, &bytes[h.data_start + counter->begin], 8);
  CHECK(count == 7);
}

TEST_CASE("safetensors: a round trip restores every tensor exactly") {
  Model a(1), b(2);
  build(a, kMlpJson);
  build(b, kMlpJson);
  fill_distinct(a, 0.25f);
  CHECK(values_of(a) != values_of(b));
  const TransferReport r = load_bytes(b, st_test::written(a));
  CHECK(values_of(a) == values_of(b));
  CHECK(r.loaded.size() == 9);
  CHECK(r.missing.empty());
  CHECK(r.unexpected.empty());
}

TEST_CASE("safetensors: a strict load lists every problem at once and changes nothing") {
  Model a(1), b(2);
  build(a, kMlpJson);
  build(b, R"({"input_shape": [4], "nodes": [{"kind": "Linear", "in_features": 4,
      "out_features": 5}, {"kind": "ReLU"}, {"kind": "Linear", "in_features": 5,
      "out_features": 2, "bias": false}]})");
  const auto before = values_of(b);
  const std::vector<unsigned char> bytes = st_test::written(a);
  std::string message;
  checkpoint::MemorySource source(bytes.data(), bytes.size(), false, "t.safetensors");
  CHECK(ckpt_test::status_of([&] { transfer_tensors(b.network(), *open_safetensors(source), {}); },
                             &message) == NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK(message ==
        "safetensors file \"t.safetensors\" does not match the network:\n"
        "  missing from the file: \"2.weight\" [2, 5]\n"
        "  not in the network: \"1.weight\" [3]\n"
        "  not in the network: \"1.bias\" [3]\n"
        "  not in the network: \"1.running_mean\" [3]\n"
        "  not in the network: \"1.running_var\" [3]\n"
        "  not in the network: \"1.num_batches_tracked\" []\n"
        "  not in the network: \"3.weight\" [2, 3]\n"
        "  not in the network: \"3.bias\" [2]\n"
        "  \"0.weight\": file [3, 4], network [5, 4]\n"
        "  \"0.bias\": file [3], network [5]");
  CHECK(values_of(b) == before);

  // Non-strict: the same lists returned, nothing loaded since nothing matches.
  TransferOptions loose;
  loose.strict = false;
  const TransferReport r = load_bytes(b, bytes, loose);
  CHECK(r.loaded.empty());
  CHECK(r.missing == std::vector<std::string>{"2.weight"});
  CHECK(r.mismatched == std::vector<std::string>{"0.weight", "0.bias"});
  CHECK(r.unexpected.size() == 7);
  CHECK(values_of(b) == before);
}

TEST_CASE("safetensors: names alone differing is NOT_FOUND") {
  Model a(1), b(2);
  build(a, R"({"input_shape": [2], "nodes": [{"kind": "Linear", "in_features": 2,
      "out_features": 1}]})");
  build(b, R"({"input_shape": [2], "nodes": [{"kind": "Linear", "name": "fc", "in_features": 2,
      "out_features": 1}]})");
  std::string message;
  CHECK(ckpt_test::status_of([&] { load_bytes(b, st_test::written(a)); }, &message) ==
        NNSTATE_ERR_NOT_FOUND);
  CHECK(message.find("missing from the file: \"fc.weight\" [1, 2]") != std::string::npos);
  CHECK(message.find("not in the network: \"0.bias\" [1]") != std::string::npos);
}

TEST_CASE("safetensors: F16, BF16, F64 and I64 are converted to float32") {
  Model model(1);
  build(model, R"({"input_shape": [4], "nodes": [{"kind": "Linear", "in_features": 4,
      "out_features": 1}]})");
  // weight [1, 4] as F16: 1.0, -2.5, 6.1e-5 (the smallest normal), 2^-24 (a subnormal);
  // bias [1] as F64 1e300 (beyond float: +inf).
  const std::vector<unsigned char> half = {0x00, 0x3c, 0x00, 0xc1, 0x00, 0x04, 0x01, 0x00};
  std::vector<unsigned char> data = half;
  double big = 1e300;
  unsigned char b8[8];
  std::memcpy(b8, &big, 8);
  data.insert(data.end(), b8, b8 + 8);
  load_bytes(model, file_of(R"({"0.weight":{"dtype":"F16","shape":[1,4],"data_offsets":[0,8]},)"
                            R"("0.bias":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}})",
                            data));
  const auto v = values_of(model);
  CHECK(v[0] == std::vector<float>{1.0f, -2.5f, std::ldexp(1.0f, -14), std::ldexp(1.0f, -24)});
  CHECK(std::isinf(v[1][0]));
  CHECK(v[1][0] > 0);

  // BF16 (the top half of a float) and I64.
  std::vector<unsigned char> bf = {0x80, 0x3f, 0x40, 0xc0, 0x80, 0x7f, 0xc0, 0xff};  // 1,-3,inf,nan
  int64_t seven = -7;
  std::memcpy(b8, &seven, 8);
  bf.insert(bf.end(), b8, b8 + 8);
  load_bytes(model, file_of(R"({"0.weight":{"dtype":"BF16","shape":[1,4],"data_offsets":[0,8]},)"
                            R"("0.bias":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}})",
                            bf));
  const auto w = values_of(model);
  CHECK(w[0][0] == 1.0f);
  CHECK(w[0][1] == -3.0f);
  CHECK(std::isinf(w[0][2]));
  CHECK(std::isnan(w[0][3]));
  CHECK(w[1][0] == -7.0f);
}

TEST_CASE("safetensors: a dtype that is not a float is a mismatch naming it") {
  Model model(1);
  build(model, R"({"input_shape": [1], "nodes": [{"kind": "Linear", "in_features": 1,
      "out_features": 1}]})");
  std::vector<unsigned char> data;
  put_f32(data, 1.0f);
  data.insert(data.end(), {1, 0, 0, 0});
  const auto bytes = file_of(R"({"0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},)"
                             R"("0.bias":{"dtype":"I32","shape":[1],"data_offsets":[4,8]}})",
                             data);
  CHECK(message_of(model, bytes) ==
        "safetensors file \"t.safetensors\" does not match the network:\n"
        "  \"0.bias\": file [1], network [1], dtype I32 is not a float type");
}

TEST_CASE("safetensors: save writes the file crash-safely and leaves no temporary") {
  ckpt_test::TempDir dir;
  Model a(1), b(2);
  build(a, kMlpJson);
  build(b, kMlpJson);
  fill_distinct(a, 1.0f);
  const std::string path = dir.file("m.safetensors");
  save_safetensors(b.network(), path, true);
  save_safetensors(a.network(), path, false);  // replaces the previous file
  checkpoint::FileSource source(path);
  transfer_tensors(b.network(), *open_tensor_file(source), {});
  CHECK(values_of(a) == values_of(b));
  DIR *d = opendir(dir.path.c_str());
  int entries = 0;
  while (dirent *e = readdir(d))
    entries += e->d_name[0] != '.' || checkpoint::is_temporary_name(e->d_name);
  closedir(d);
  CHECK(entries == 1);
  // Into a directory that does not exist: IO, naming the target.
  std::string message;
  CHECK(ckpt_test::status_of(
            [&] { save_safetensors(a.network(), dir.file("no/m.safetensors"), true); }, &message) ==
        NNSTATE_ERR_IO);
  CHECK(message.find("no/m.safetensors") != std::string::npos);
}

TEST_CASE("partial load: a checkpoint's backbone into a network with another head") {
  // Source: "backbone" Linear(4, 3) + "head" Linear(3, 2), saved as our checkpoint.
  Model a(1), b(2);
  build(a, R"({"input_shape": [4], "nodes": [{"kind": "Linear", "name": "backbone",
      "in_features": 4, "out_features": 3}, {"kind": "ReLU"}, {"kind": "Linear", "name": "head",
      "in_features": 3, "out_features": 2}]})");
  fill_distinct(a, 2.0f);
  build(b, R"({"input_shape": [4], "nodes": [{"kind": "Linear", "name": "features",
      "in_features": 4, "out_features": 3}, {"kind": "ReLU"}, {"kind": "Linear",
      "name": "classifier", "in_features": 3, "out_features": 5}]})");
  const auto head_before = values_of(b)[2];
  const std::vector<unsigned char> bytes = ckpt_test::to_bytes(a);
  TransferOptions o;
  o.strict = false;
  o.renames = {{"backbone.", "features."}};
  o.skip = {"head.*"};
  const TransferReport r = load_bytes(b, bytes, o);
  CHECK(r.loaded == std::vector<std::string>{"features.weight", "features.bias"});
  CHECK(r.skipped == std::vector<std::string>{"head.weight", "head.bias"});
  CHECK(r.missing == std::vector<std::string>{"classifier.weight", "classifier.bias"});
  CHECK(r.unexpected.empty());
  CHECK(r.mismatched.empty());
  CHECK(values_of(b)[0] == values_of(a)[0]);
  CHECK(values_of(b)[1] == values_of(a)[1]);
  CHECK(values_of(b)[2] == head_before);

  // The same from safetensors, and without skipping: the head is mis-shaped and unexpected.
  o.skip.clear();
  o.renames = {{"backbone.", "features."}, {"head.", "classifier."}};
  const TransferReport s = load_bytes(b, st_test::written(a), o);
  CHECK(s.loaded.size() == 2);
  CHECK(s.mismatched == std::vector<std::string>{"classifier.weight", "classifier.bias"});

  // Two names renamed onto one: refused whatever the strictness.
  o.renames = {{"backbone.", "head."}};
  CHECK(message_of(b, bytes, o) ==
        "checkpoint \"t.safetensors\": \"backbone.weight\" and \"head.weight\" both become "
        "\"head.weight\" after renaming");
}

TEST_CASE("partial load: a damaged checkpoint tensor is refused by its CRC") {
  Model a(1), b(2);
  build(a, kMlpJson);
  build(b, kMlpJson);
  std::vector<unsigned char> bytes = ckpt_test::to_bytes(a);
  bytes[64] ^= 1;  // the first tensor's first byte
  CHECK(message_of(b, bytes).find("CRC") != std::string::npos);
}
