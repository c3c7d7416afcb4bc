#include "layers/merge.h"

#include <cstring>

#include "layers/layer_config.h"
#include "util/error.h"

namespace nnstate {
namespace {

[[noreturn]] void refuse_single_input(const Layer &layer) {
  fail(NNSTATE_ERR_INTERNAL, std::string(layer_kind_name(layer.config().kind())) +
                                 " is a merge: it takes two or more inputs");
}

std::string shapes_string(const std::vector<Shape> &shapes) {
  std::string text;
  for (const Shape &s : shapes) text += (text.empty() ? "" : ", ") + s.to_string();
  return text;
}

Shape equal_shapes(const char *kind, const std::vector<Shape> &inputs) {
  for (const Shape &s : inputs) {
    if (s != inputs[0]) {
      fail(NNSTATE_ERR_SHAPE_MISMATCH,
           std::string(kind) + " needs inputs of one shape, got " + shapes_string(inputs));
    }
  }
  return inputs[0];
}

// Concat's dim as an index into a batched shape of `rank` dims (never the batch dim).
int concat_axis(int32_t dim, int32_t rank, const std::vector<Shape> &inputs) {
  const int32_t axis = dim < 0 ? dim + rank : dim;
  if (axis < 1 || axis >= rank) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH, "Concat dim " + std::to_string(dim) +
                                         " is not a non-batch dim of inputs " +
                                         shapes_string(inputs));
  }
  return axis;
}

Shape concat_shape(int32_t dim, const std::vector<Shape> &inputs) {
  const int32_t rank = inputs[0].rank;
  const int axis = concat_axis(dim, rank, inputs);
  Shape out = inputs[0];
  out.dims[axis] = 0;
  for (const Shape &s : inputs) {
    bool agree = s.rank == rank;
    for (int d = 0; agree && d < rank; ++d) agree = d == axis || s[d] == out[d];
    if (!agree) {
      fail(NNSTATE_ERR_SHAPE_MISMATCH, "Concat along dim " + std::to_string(dim) +
                                           " needs the other dims equal, got " +
                                           shapes_string(inputs));
    }
    if (__builtin_add_overflow(out.dims[axis], s[axis], &out.dims[axis])) {
      fail(NNSTATE_ERR_SHAPE_MISMATCH, "Concat of " + shapes_string(inputs) + " overflows");
    }
  }
  out.numel();  // throws if the product overflows
  return out;
}

// Elements before and after `axis`: a concatenation copies `after * extent` blocks per outer row.
void split_at(const Shape &s, int axis, int64_t &outer, int64_t &inner) {
  outer = 1;
  inner = 1;
  for (int d = 0; d < axis; ++d) outer *= s[d];
  for (int d = axis + 1; d < s.rank; ++d) inner *= s[d];
}

}  // namespace

Shape merged_shape(const LayerConfig &config, const std::vector<Shape> &inputs) {
  const char *kind = layer_kind_name(config.kind());
  if (inputs.size() < 2) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         std::string(kind) + " needs at least two inputs, got " + std::to_string(inputs.size()));
  }
  switch (config.kind()) {
    case LayerKind::add:
    case LayerKind::multiply:
      return equal_shapes(kind, inputs);
    case LayerKind::concat:
      return concat_shape(config.as<ConcatConfig>().dim, inputs);
    default:
      fail(NNSTATE_ERR_INTERNAL, std::string(kind) + " is not a merge");
  }
}

Shape Merge::output_shape(const Shape &) const {
  refuse_single_input(*this);
}

void Merge::forward(const Tensor &, Tensor &, const RunContext &) {
  refuse_single_input(*this);
}

void Merge::backward(const Tensor &, const Tensor &, const Tensor &, Tensor *) {
  refuse_single_input(*this);
}

LayerConfig Add::config() const {
  return LayerConfig(LayerKind::add);
}

Shape Add::merged_output_shape(const std::vector<Shape> &inputs) const {
  return merged_shape(config(), inputs);
}

void Add::forward_merged(const std::vector<const Tensor *> &inputs, Tensor &output) {
  float *y = output.data();
  const int64_t n = output.numel();
  std::memcpy(y, inputs[0]->data(), output.byte_size());
  for (size_t k = 1; k < inputs.size(); ++k) {
    const float *x = inputs[k]->data();
    for (int64_t i = 0; i < n; ++i) y[i] += x[i];
  }
}

void Add::backward_merged(const std::vector<const Tensor *> &, const Tensor &grad_output,
                          const std::vector<Tensor *> &grad_inputs) {
  for (Tensor *g : grad_inputs) {
    if (g) std::memcpy(g->data(), grad_output.data(), grad_output.byte_size());
  }
}

LayerConfig Multiply::config() const {
  return LayerConfig(LayerKind::multiply);
}

Shape Multiply::merged_output_shape(const std::vector<Shape> &inputs) const {
  return merged_shape(config(), inputs);
}

void Multiply::forward_merged(const std::vector<const Tensor *> &inputs, Tensor &output) {
  float *y = output.data();
  const int64_t n = output.numel();
  std::memcpy(y, inputs[0]->data(), output.byte_size());
  for (size_t k = 1; k < inputs.size(); ++k) {
    const float *x = inputs[k]->data();
    for (int64_t i = 0; i < n; ++i) y[i] *= x[i];
  }
}

void Multiply::backward_merged(const std::vector<const Tensor *> &inputs, const Tensor &grad_output,
                               const std::vector<Tensor *> &grad_inputs) {
  // d/dx_k of the product is the product of the other inputs: computed directly (not as
  // y / x_k), so that zeros in x_k are exact.
  const int64_t n = grad_output.numel();
  const float *dy = grad_output.data();
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!grad_inputs[k]) continue;
    float *dx = grad_inputs[k]->data();
    std::memcpy(dx, dy, grad_output.byte_size());
    for (size_t j = 0; j < inputs.size(); ++j) {
      if (j == k) continue;
      const float *x = inputs[j]->data();
      for (int64_t i = 0; i < n; ++i) dx[i] *= x[i];
    }
  }
}

LayerConfig Concat::config() const {
  ConcatConfig c;
  c.dim = dim_;
  return LayerConfig(LayerKind::concat, c);
}

Shape Concat::merged_output_shape(const std::vector<Shape> &inputs) const {
  return merged_shape(config(), inputs);
}

void Concat::forward_merged(const std::vector<const Tensor *> &inputs, Tensor &output) {
  const int axis = concat_axis(dim_, output.shape().rank, {output.shape()});
  int64_t outer, inner;
  split_at(output.shape(), axis, outer, inner);
  const int64_t out_row = output.shape()[axis] * inner;
  int64_t offset = 0;  // where this input's block starts within an output row
  for (const Tensor *in : inputs) {
    const int64_t row = in->shape()[axis] * inner;
    for (int64_t o = 0; o < outer; ++o) {
      std::memcpy(output.data() + o * out_row + offset, in->data() + o * row,
                  static_cast<size_t>(row) * sizeof(float));
    }
    offset += row;
  }
}

void Concat::backward_merged(const std::vector<const Tensor *> &inputs, const Tensor &grad_output,
                             const std::vector<Tensor *> &grad_inputs) {
  const int axis = concat_axis(dim_, grad_output.shape().rank, {grad_output.shape()});
  int64_t outer, inner;
  split_at(grad_output.shape(), axis, outer, inner);
  const int64_t out_row = grad_output.shape()[axis] * inner;
  int64_t offset = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const int64_t row = inputs[k]->shape()[axis] * inner;
    if (Tensor *g = grad_inputs[k]) {
      for (int64_t o = 0; o < outer; ++o) {
        std::memcpy(g->data() + o * row, grad_output.data() + o * out_row + offset,
                    static_cast<size_t>(row) * sizeof(float));
      }
    }
    offset += row;
  }
}

}  // namespace nnstate
