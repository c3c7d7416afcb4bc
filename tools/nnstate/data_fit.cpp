#include "data_fit.h"

#include <nnstate/nnstate.h>

#include <cstdio>
#include <stdexcept>

namespace nnstate_cli {

int32_t loss_from_name(const std::string &name) {
  if (name == "cross_entropy") return NNSTATE_LOSS_CROSS_ENTROPY;
  if (name == "mse") return NNSTATE_LOSS_MSE;
  if (name == "bce_with_logits") return NNSTATE_LOSS_BCE_WITH_LOGITS;
  return 0;
}

const char *loss_name(int32_t loss) {
  switch (loss) {
    case NNSTATE_LOSS_CROSS_ENTROPY:
      return "cross_entropy";
    case NNSTATE_LOSS_MSE:
      return "mse";
    case NNSTATE_LOSS_BCE_WITH_LOGITS:
      return "bce_with_logits";
    default:
      return "unknown";
  }
}

int32_t default_loss(const Data &data, size_t output_size) {
  return data.class_targets && output_size > 1 ? NNSTATE_LOSS_CROSS_ENTROPY : NNSTATE_LOSS_MSE;
}

void check_fits(const Data &data, size_t input_size, size_t output_size, int32_t loss,
                const std::string &network) {
  if (data.features != input_size) {
    throw std::runtime_error(
        data.name + ": " + std::to_string(data.features) + " values per sample" +
        (data.sample_shape.empty() ? "" : " (" + data.sample_shape + ")") + ", but " + network +
        " takes " + std::to_string(input_size) + " inputs");
  }
  if (data.target_width == 0) return;
  const std::string loss_text = std::string("loss ") + loss_name(loss);
  if (loss == NNSTATE_LOSS_CROSS_ENTROPY) {
    if (data.target_width != 1) {
      throw std::runtime_error(data.targets_name + ": " + std::to_string(data.target_width) +
                               " target columns, but " + loss_text +
                               " needs one class index per sample");
    }
    for (size_t i = 0; i < data.samples; ++i) {
      const float t = data.targets[i];
      if (!(t >= 0 && static_cast<double>(t) < static_cast<double>(output_size) &&
            static_cast<float>(static_cast<int64_t>(t)) == t)) {
        char value[32];
        std::snprintf(value, sizeof value, "%g", static_cast<double>(t));
        throw std::runtime_error(data.targets_name + ": target " + value + " of sample " +
                                 std::to_string(i) + " is not a class index 0.." +
                                 std::to_string(output_size - 1) + " for " + network + " (" +
                                 std::to_string(output_size) + " outputs, " + loss_text + ")");
      }
    }
    return;
  }
  if (data.target_width != output_size) {
    throw std::runtime_error(data.targets_name + ": " + std::to_string(data.target_width) +
                             " target value(s) per sample, but " + network + " has " +
                             std::to_string(output_size) + " outputs (" + loss_text +
                             " needs one target per output)");
  }
  if (loss == NNSTATE_LOSS_BCE_WITH_LOGITS) {
    for (size_t i = 0; i < data.targets.size(); ++i) {
      const float t = data.targets[i];
      if (!(t >= 0 && t <= 1)) {
        throw std::runtime_error(data.targets_name + ": target of sample " +
                                 std::to_string(i / output_size) + " is outside [0, 1], which " +
                                 loss_text + " needs");
      }
    }
  }
}

}  // namespace nnstate_cli
