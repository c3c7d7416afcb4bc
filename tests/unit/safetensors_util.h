// Helpers of the safetensors tests: networks built from JSON documents, files written by hand
// (header text + data bytes) to craft hostile ones.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "checkpoint/io.h"
#include "interop/safetensors.h"
#include "train/model.h"
#include "train/network_json.h"

namespace st_test {

// Linear(4, 3) ("0"), BatchNorm1d(3) ("1"), ReLU, Linear(3, 2) ("3"): parameters and buffers.
constexpr const char *kMlpJson =
    R"({"input_shape": [4], "nodes": [{"kind": "Linear", "in_features": 4, "out_features": 3},
    {"kind": "BatchNorm1d", "num_features": 3}, {"kind": "ReLU"},
    {"kind": "Linear", "in_features": 3, "out_features": 2}]})";

inline void build(nnstate::Model &model, const std::string &document) {
  nnstate::add_network_document(model, nnstate::parse_network_document(document));
}

// A safetensors file from a header text (padded as the format allows) and its data area.
inline std::vector<unsigned char> file_of(const std::string &header,
                                          const std::vector<unsigned char> &data = {}) {
  std::string bytes(8, '\0');
  for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>(uint64_t{header.size()} >> (8 * i));
  bytes += header;
  bytes.append(data.begin(), data.end());
  return std::vector<unsigned char>(bytes.begin(), bytes.end());
}

inline std::vector<unsigned char> written(nnstate::Model &model) {
  nnstate::checkpoint::MemorySink measure(nullptr, 0);
  nnstate::interop::write_safetensors(model.network(), measure);
  std::vector<unsigned char> bytes(measure.position());
  nnstate::checkpoint::MemorySink sink(bytes.data(), bytes.size());
  nnstate::interop::write_safetensors(model.network(), sink);
  return bytes;
}

inline nnstate::interop::SafetensorsHeader header_of(const std::vector<unsigned char> &bytes) {
  nnstate::checkpoint::MemorySource source(bytes.data(), bytes.size(), false, "t.safetensors");
  return nnstate::interop::read_safetensors_header(source);
}

}  // namespace st_test
