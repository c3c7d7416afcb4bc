#include "layers/sequential.h"

#include <climits>
#include <cstring>

#include "util/error.h"

namespace nnstate {
void Sequential::set_sample_input_shape(const Shape &shape) {
  if (!layers_.empty()) {
    fail(NNSTATE_ERR_STATE, "the input shape must be set before the first layer is added");
  }
  if (shape.rank == 0 || shape.numel() <= 0) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "invalid input shape " + shape.to_string());
  }
  shape.batched(1);  // validates the rank
  sample_input_shape_ = shape;
  sample_output_shape_ = shape;
}

namespace {

std::string describe(size_t index, const Layer &layer) {
  return "layer " + std::to_string(index) + " (" + layer_kind_name(layer.config().kind) + ")";
}

// The layer's output for one sample of `sample`, with its error reworded to name the layer and
// both shapes.
Shape checked_sample_output(size_t index, const Layer &layer, const Shape &sample) {
  try {
    return layer.output_shape(sample.batched(1)).sample();
  } catch (const Error &e) {
    fail(e.status(), describe(index, layer) + " cannot take samples of shape " +
                         sample.to_string() + ": " + e.what());
  }
}

}  // namespace

void Sequential::add(std::unique_ptr<Layer> layer) {
  const size_t index = layers_.size();
  const Shape required = layer->required_sample_shape();
  if (sample_input_shape_.rank == 0) {
    if (required.rank != 0) {
      // Only shape-preserving layers come before the first shape-fixing one, so it fixes the
      // input; they must accept it (e.g. BatchNorm1d(4) before Linear(4, ...)).
      Shape shape = required;
      for (size_t i = 0; i < index; ++i) shape = checked_sample_output(i, *layers_[i], shape);
      sample_output_shape_ = checked_sample_output(index, *layer, shape);
      sample_input_shape_ = required;
    } else if (!layer->preserves_shape()) {
      fail(NNSTATE_ERR_STATE, describe(index, *layer) +
                                  " changes the shape of inputs it does not fix (e.g. any "
                                  "height and width): set the sample input shape first");
    }
  } else {
    const Shape current = sample_output_shape_;
    if (required.rank != 0 && required != current) {
      fail(NNSTATE_ERR_SHAPE_MISMATCH,
           describe(index, *layer) + " expects samples of shape " + required.to_string() +
               " but the previous layer produces " + current.to_string());
    }
    sample_output_shape_ = checked_sample_output(index, *layer, current);  // e.g. channels
  }
  layers_.push_back(std::move(layer));
  activations_.resize(layers_.size() + 1);
  gradients_.resize(layers_.size() + 1);
}

Shape Sequential::sample_output_shape() const {
  if (sample_input_shape_.rank == 0) {
    fail(NNSTATE_ERR_STATE, "the network has no layer that fixes its input shape yet");
  }
  return sample_output_shape_;
}

int64_t Sequential::sample_input_size() const {
  if (sample_input_shape_.rank == 0) {
    fail(NNSTATE_ERR_STATE, "the network has no layer that fixes its input shape yet");
  }
  return sample_input_shape_.numel();
}

int64_t Sequential::sample_output_size() const {
  return sample_output_shape().numel();
}

const Tensor &Sequential::forward(const float *inputs, int64_t batch, const RunContext &context) {
  if (layers_.empty()) fail(NNSTATE_ERR_STATE, "the network has no layers");
  if (batch <= 0) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "batch size must be positive, got " + std::to_string(batch));
  }
  activations_[0].resize(sample_input_shape_.batched(batch));
  std::memcpy(activations_[0].data(), inputs, activations_[0].byte_size());
  for (size_t i = 0; i < layers_.size(); ++i) {
    Shape out = layers_[i]->output_shape(activations_[i].shape());
    if (out.numel() > INT_MAX) {
      // BLAS takes int sizes.
      fail(NNSTATE_ERR_INVALID_ARGUMENT,
           "layer " + std::to_string(i) + " output " + out.to_string() + " exceeds 2^31 elements");
    }
    activations_[i + 1].resize(out);
    layers_[i]->forward(activations_[i], activations_[i + 1], context);
  }
  return activations_.back();
}

Tensor &Sequential::output_grad() {
  if (layers_.empty()) fail(NNSTATE_ERR_STATE, "the network has no layers");
  gradients_.back().resize(activations_.back().shape());
  return gradients_.back();
}

void Sequential::backward() {
  for (size_t i = layers_.size(); i-- > 0;) {
    Tensor *grad_input = nullptr;
    if (i > 0) {
      gradients_[i].resize(activations_[i].shape());
      grad_input = &gradients_[i];
    }
    layers_[i]->backward(activations_[i], activations_[i + 1], gradients_[i + 1], grad_input);
  }
}

void Sequential::visit_state(StateVisitor &visitor) {
  for (size_t i = 0; i < layers_.size(); ++i) {
    visitor.layer(i, layers_[i]->config());
    layers_[i]->visit_tensors(std::to_string(i) + ".", visitor);
  }
}

int64_t Sequential::parameter_count() {
  struct Counter : StateVisitor {
    int64_t count = 0;
    void tensor(const std::string &, TensorRole role, Tensor &value, Tensor *) override {
      if (role == TensorRole::parameter) count += value.numel();
    }
  } counter;
  visit_state(counter);
  return counter.count;
}

}  // namespace nnstate
