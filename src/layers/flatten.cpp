#include "layers/flatten.h"

#include <cstring>

#include "layers/layer_config.h"
#include "util/error.h"

namespace nnstate {

Flatten::Flatten(const FlattenConfig &c) : start_dim_(c.start_dim), end_dim_(c.end_dim) {
  const auto valid = [](int32_t d) { return d >= -Shape::kMaxRank && d < Shape::kMaxRank; };
  if (!valid(start_dim_) || !valid(end_dim_)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "Flatten start_dim " + std::to_string(start_dim_) +
                                           ", end_dim " + std::to_string(end_dim_) +
                                           " must be in [-4, 3]");
  }
}

LayerConfig Flatten::config() const {
  FlattenConfig c;
  c.start_dim = start_dim_;
  c.end_dim = end_dim_;
  return LayerConfig(LayerKind::flatten, c);
}

Shape Flatten::output_shape(const Shape &input) const {
  const int32_t start = start_dim_ < 0 ? start_dim_ + input.rank : start_dim_;
  const int32_t end = end_dim_ < 0 ? end_dim_ + input.rank : end_dim_;
  if (start < 1 || end < start || end >= input.rank) {
    // start 0 would merge samples into one, breaking the batch-first contract.
    fail(NNSTATE_ERR_SHAPE_MISMATCH, "Flatten(start_dim=" + std::to_string(start_dim_) +
                                         ", end_dim=" + std::to_string(end_dim_) +
                                         ") needs 1 <= start_dim <= end_dim < rank on input " +
                                         input.to_string());
  }
  Shape out;
  for (int32_t d = 0; d < input.rank; ++d) {
    if (d <= start || d > end) {
      out.dims[out.rank++] = input[d];
    } else {
      out.dims[out.rank - 1] *= input[d];
    }
  }
  return out;
}

void Flatten::forward(const Tensor &input, Tensor &output, const RunContext &) {
  std::memcpy(output.data(), input.data(), input.byte_size());
}

void Flatten::backward(const Tensor &, const Tensor &, const Tensor &grad_output,
                       Tensor *grad_input) {
  if (grad_input) std::memcpy(grad_input->data(), grad_output.data(), grad_output.byte_size());
}

}  // namespace nnstate
