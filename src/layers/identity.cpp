#include "layers/identity.h"

#include <cstring>

#include "layers/layer_config.h"

namespace nnstate {

LayerConfig Identity::config() const {
  return LayerConfig(LayerKind::identity);
}

void Identity::forward(const Tensor &input, Tensor &output, const RunContext &) {
  if (input.numel()) std::memcpy(output.data(), input.data(), input.byte_size());
}

void Identity::backward(const Tensor &, const Tensor &, const Tensor &grad_output,
                        Tensor *grad_input) {
  if (grad_input && grad_output.numel()) {
    std::memcpy(grad_input->data(), grad_output.data(), grad_output.byte_size());
  }
}

}  // namespace nnstate
