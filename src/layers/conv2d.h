// 2-d convolution with PyTorch's semantics and layout: input [N, C, H, W], weight
// [out_c, in_c / groups, kh, kw], bias [out_c]; zero padding, stride, dilation and groups.
// Lowered to im2col + one sgemm per group, over chunks of samples whose columns fit in cache.
#pragma once

#include <vector>

#include "layers/im2col.h"
#include "layers/layer.h"
#include "layers/layer_state.h"

namespace nnstate {

struct Conv2dConfig {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  Size2 kernel_size{0, 0};
  Size2 stride{1, 1};
  Size2 padding{0, 0};  // zeros
  Size2 dilation{1, 1};
  int64_t groups = 1;
  bool bias = true;
  bool padding_same = false;  // padding='same' (stride 1; `padding` must be (0, 0))
  auto fields() const {
    return std::tie(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                    padding_same);
  }
};

class Conv2d final : public Layer {
 public:
  // Uses in_channels, out_channels, kernel_size, stride, padding (or padding_same: PyTorch's
  // padding='same': stride 1, one more after than before when dilation (k - 1) is odd),
  // dilation, groups and bias.
  // Initialises like torch.nn.Conv2d: weight then bias, both U(-1/sqrt(fan_in), 1/sqrt(fan_in))
  // with fan_in = in_c / groups * kh * kw, drawn from `init_rng` (zero when it is null).
  Conv2d(const Conv2dConfig &config, Rng *init_rng);

  LayerConfig config() const override;
  Shape output_shape(const Shape &input) const override;
  void forward(const Tensor &input, Tensor &output, const RunContext &context) override;
  // Uses the columns of the last forward pass, which must have been given the same input.
  void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                Tensor *grad_input) override;
  void visit_tensors(const std::string &prefix, StateVisitor &visitor) override;
  // The tensors visit_tensors reports for a layer of `config` (which the constructor
  // accepts), without building it: shapes only (layers/layer_state.h).
  static void declare(const Conv2dConfig &config, const std::string &prefix, StateVisitor &visitor);

  // Floats of im2col workspace per chunk of samples (at least one sample per chunk); for
  // tests and tuning.
  void set_column_budget(int64_t floats) { column_budget_ = floats; }

 private:
  // The one list of its tensors (layers/layer_state.h).
  static StateTensors<Conv2d> tensors(const Conv2dConfig &config);
  WindowGeometry geometry(const Shape &input) const;
  std::string describe() const;
  // Samples per chunk: the batch is lowered a chunk at a time so that the columns stay in
  // cache and the workspaces stay small.
  int64_t chunk_samples(const WindowGeometry &g) const;
  // im2col of samples [start, start + count) into col_, unless col_ already holds it.
  void lower_chunk(const WindowGeometry &g, const float *input, int64_t start, int64_t count);

  Conv2dConfig config_;
  Tensor weight_, weight_grad_;
  Tensor bias_, bias_grad_;
  std::vector<double> bias_sums_;
  int64_t column_budget_ = int64_t{1} << 17;  // floats of col_ per chunk (512 KiB)
  // Workspaces, grown only when a larger batch is seen: col_ holds im2col of one chunk (then
  // its column gradient), product_ the chunk's sgemm result in [out_c, samples * oh * ow]
  // order (then the output gradient in that order).
  Tensor col_, product_;
  bool col_holds_input_ = false;
  int64_t cached_start_ = 0, cached_count_ = 0;
};

}  // namespace nnstate
