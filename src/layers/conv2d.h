// 2-d convolution with PyTorch's semantics and layout: input [N, C, H, W], weight
// [out_c, in_c / groups, kh, kw], bias [out_c]; zero padding, stride, dilation and groups.
// Lowered to im2col + sgemm (conv_gemm.h), over chunks of samples whose columns fit in cache;
// with T > 1 BLAS threads the chunks are split over T threads of the layer's own
// (parallel/batch_split.h), each running single-threaded GEMMs on its own workspaces.
#pragma once

#include <vector>

#include "layers/conv_gemm.h"
#include "layers/im2col.h"
#include "layers/layer.h"
#include "layers/layer_state.h"
#include "parallel/batch_split.h"

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
  // What is lowered for an input: its geometry, or, where the kernel's edge taps read only
  // padding (a 3x3 kernel on a 1x1 plane, say), the geometry of its active taps alone
  // (im2col.h). Then the columns and the GEMMs lose those all-zero rows (8 of 9 on a 1x1 plane)
  // and the GEMMs take the active taps' weights, gathered into trimmed_weight_.
  // `whole_input`: g's window covers each sample's input exactly once (conv_gemm.h), so
  // nothing is lowered: the GEMMs read the input as it is.
  struct Lowering {
    WindowGeometry g;
    TapRectangle taps;
    bool trimmed = false;
    bool whole_input = false;
  };
  Lowering lowering(const Shape &input) const;
  // The weight matrix the GEMMs of `l` multiply by: weight_, or its active taps (refreshed).
  const float *gemm_weight(const Lowering &l);
  // weight_grad_ from the active taps' gradient `trimmed` (the others' is zero).
  void expand_trimmed_grad(const Lowering &l, const float *trimmed);
  std::string describe() const;
  // Workspaces of one slot (one thread's run of chunks), grown only when a larger batch is
  // seen: col holds im2col of one chunk (then its column gradient), product the output
  // gradient in [out_c, samples * oh * ow] order for the GEMMs over a chunk (conv_gemm.h).
  // weight_grad and bias_sums are the slot's partial sums (slot 0 uses the layer's own weight
  // gradient unless the lowering is trimmed: those sums are over the active taps).
  struct Slot {
    Tensor col, product, weight_grad;
    std::vector<double> bias_sums;
    bool col_holds_input = false;
    int64_t cached_start = 0, cached_count = 0;
  };
  // Samples per chunk at most: the batch is lowered a chunk at a time so that the columns
  // stay in cache and the workspaces stay small.
  int64_t chunk_samples(const WindowGeometry &g) const;
  // The split of this batch over this call's threads, with every slot's workspaces sized.
  // `product`: whether the GEMMs go through the slots' product buffers (conv_gemm.h).
  BatchSplit prepare(const Lowering &l, bool backward, bool product);
  ConvGemmShape gemm_shape(const WindowGeometry &g, int64_t count) const;
  // im2col of samples [start, start + count) into slot.col, unless it already holds them.
  void lower_chunk(const WindowGeometry &g, const float *input, int64_t start, int64_t count,
                   Slot &slot);
  void forward_slot(const WindowGeometry &g, const BatchSplit &split, int64_t s,
                    const float *weight, const float *input, float *output);
  void backward_slot(const Lowering &l, const BatchSplit &split, int64_t s, const float *weight,
                     const float *input, const float *grad_output, float *grad_input);
  // The same for a whole-input lowering: one GEMM per group over the slot's samples.
  void whole_input_forward_slot(const WindowGeometry &g, const BatchSplit &split, int64_t s,
                                const float *weight, const float *input, float *output);
  void whole_input_backward_slot(const Lowering &l, const BatchSplit &split, int64_t s,
                                 const float *weight, const float *input, const float *grad_output,
                                 float *grad_input);

  Conv2dConfig config_;
  Tensor weight_, weight_grad_;
  Tensor bias_, bias_grad_;
  Tensor trimmed_weight_;  // [out_c, in_c / groups, active rows, active columns] when trimmed
  int64_t column_budget_ = int64_t{1} << 17;  // floats of a slot's col per chunk (512 KiB)
  std::vector<Slot> slots_;                   // grown to the most threads seen, never shrunk
};

}  // namespace nnstate
