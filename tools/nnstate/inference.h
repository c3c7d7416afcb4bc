// What evaluate and predict share: a network loaded from a checkpoint, the loss it was
// trained with, and batched inference.
#pragma once

#include <nnstate/nnstate.hpp>

#include <string>

#include "data.h"

namespace nnstate_cli {

struct LoadedModel {
  nnstate::Network network;
  std::string arch;  // from the metadata, or "the network in FILE"
  int32_t loss = 0;  // from --loss or the metadata; 0 when neither says
  size_t inputs = 0, outputs = 0;
};

// `loss_flag` (may be empty) wins over the checkpoint's metadata.
LoadedModel load_model(const std::string &checkpoint, const std::string &loss_flag);

// Runs the network on `data`'s inputs, `batch` samples at a time; outputs[i * outputs + j].
Floats predict_all(LoadedModel &model, const Data &data, size_t batch);

}  // namespace nnstate_cli
