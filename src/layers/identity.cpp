#include "layers/identity.h"

#include <cstring>

namespace nnstate {

LayerConfig Identity::config() const {
  LayerConfig c;
  c.kind = LayerKind::identity;
  return c;
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
