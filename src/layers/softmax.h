// nn.Softmax and nn.LogSoftmax over one dim: y = exp(x - max) / sum exp(x - max), and
// log y = x - max - log(sum exp(x - max)); subtracting the max keeps exp from overflowing.
// `dim` counts the batch dim (as in PyTorch, negative from the end) but may not name it: the
// result of one sample must not depend on the others in its batch.
#pragma once

#include <vector>

#include "layers/layer.h"

namespace nnstate {

// Softmax's and LogSoftmax's options.
struct SoftmaxConfig {
  int32_t dim = -1;  // negative: from the end
  auto fields() const { return std::tie(dim); }
};

class Softmax final : public Layer {
 public:
  // `dim` in [-4, 3]; `log` selects LogSoftmax.
  Softmax(int32_t dim, bool log);

  LayerConfig config() const override;
  // The input shape, once `dim` is checked against its rank.
  Shape output_shape(const Shape &input) const override;
  bool preserves_shape() const override { return true; }
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  // From the output alone: softmax dx = y (dy - sum dy y), log-softmax dx = dy - exp(y) sum dy.
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;

 private:
  std::string describe() const;
  // The input as [outer, extent, inner], with the softmax over `extent`.
  void split(const Shape &shape, int64_t &outer, int64_t &extent, int64_t &inner) const;

  int32_t dim_;
  bool log_;
  // Per-inner-position maxima and sums of one outer slice; grown only.
  std::vector<float> max_;
  std::vector<double> sum_;
};

}  // namespace nnstate
