// Where `nnstate train` gets its network: --arch SPEC (the MLP shorthand) or --model FILE (a
// JSON document of any graph, see nnstate_network_create_from_json), or, when resuming without
// either, what DIR/last.nnst recorded. Also what data must be like to feed the network.
#pragma once

#include <nnstate/nnstate.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "data.h"

namespace nnstate_cli {

// Metadata key of `nnstate train --model` files: the network's document (as to_json writes it).
constexpr const char *kMetaModel = "cli.model";

struct ModelSource {
  std::string arch;      // --arch SPEC, or "" for a document
  std::string document;  // the network's document (to_json), for a model
  std::string name;      // for messages: "the architecture 784-10", "the model net.json"
  std::string summary;   // for the run's first line: "Linear(784, 10)", "net.json: 12 nodes"
  std::vector<int64_t> input_shape;  // of one sample
  size_t input_size = 0, output_size = 0;
  nnstate::Network network;
};

// --arch SPEC: usage errors name the item (arch_spec.h).
ModelSource arch_model(const std::string &arch, uint64_t seed);
// --model FILE: the file is read (errors name it, exit 1) and built (an invalid document is a
// usage error naming the file, the node and the field).
ModelSource file_model(const std::string &path, uint64_t seed);
// A document recorded in a checkpoint's metadata (`origin` names it in messages).
ModelSource document_model(const std::string &document, const std::string &origin, uint64_t seed);

// Samples with a shape (IDX images, e.g. 28x28) must have the network's input shape, leading
// 1s aside ([1, 28, 28] takes 28x28 images), unless the network takes flat vectors (an MLP:
// input rank 1), which take any image of as many values. Throws std::runtime_error naming the
// file and both shapes. The value count itself is check_fits' (data_fit.h).
void check_sample_shape(const Data &data, const ModelSource &model);

}  // namespace nnstate_cli
