// Whether a dataset can feed a network: sizes, and targets that the loss accepts; the losses'
// names.
#pragma once

#include <cstdint>
#include <string>

#include "data.h"

namespace nnstate_cli {

// Loss names on the command line and in checkpoint metadata ("cross_entropy", "mse",
// "bce_with_logits").
int32_t loss_from_name(const std::string &name);  // 0 when unknown
const char *loss_name(int32_t loss);              // "unknown" for others

// cross_entropy for one integer class label per sample and more than one output, else mse.
int32_t default_loss(const Data &data, size_t output_size);

// Throws std::runtime_error naming the file and both numbers when the inputs do not have
// `input_size` values per sample, or (with targets) the targets do not suit `loss` with
// `output_size` outputs. `network` names the network in messages ("--arch 784-10").
void check_fits(const Data &data, size_t input_size, size_t output_size, int32_t loss,
                const std::string &network);

}  // namespace nnstate_cli
