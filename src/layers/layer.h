// The layer interface and the state visitor: the single place where a layer reports its tensors
// (parameters and buffers) and its configuration. Saving, loading, parameter counting and
// optimizer registration all go through visit_state; there is no other list of tensors.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace nnstate {

class Rng;

// Layer kinds. The numbers are persisted in checkpoints and the C API: append only.
enum class LayerKind : int32_t {
  linear = 1,
  relu = 2,
  leaky_relu = 3,
  tanh = 4,
  sigmoid = 5,
  gelu = 6,
  conv2d = 7,
  max_pool2d = 8,
  flatten = 9,
  batch_norm1d = 10,
  batch_norm2d = 11,
  dropout = 12,
  layer_norm = 13,
  avg_pool2d = 14,
  adaptive_avg_pool2d = 15,
  identity = 16,
  softmax = 17,
  log_softmax = 18,
  embedding = 19,
  dropout2d = 20,
  add = 21,  // merges: two or more inputs (layers/merge.h)
  concat = 22,
  multiply = 23,
};

// Whether nodes of this kind take two or more inputs.
bool is_merge_kind(LayerKind kind);

// A (height, width) pair of a 2-d window: kernel size, stride, padding or dilation.
struct Size2 {
  int64_t h = 0;
  int64_t w = 0;
  bool operator==(const Size2 &o) const { return h == o.h && w == o.w; }
  bool operator!=(const Size2 &o) const { return !(*this == o); }
  // "(h, w)", as PyTorch prints a pair in a module's repr.
  std::string to_string() const { return "(" + std::to_string(h) + ", " + std::to_string(w) + ")"; }
};

// Everything needed to rebuild a layer (not its tensors): its kind and that kind's options
// (layers/layer_config.h; each kind declares its options struct in its own header).
class LayerConfig;

// Equality of the per-kind options structs: each lists its fields once, in fields().
template <class T, class = decltype(std::declval<const T &>().fields())>
bool operator==(const T &a, const T &b) {
  return a.fields() == b.fields();
}
template <class T, class = decltype(std::declval<const T &>().fields())>
bool operator!=(const T &a, const T &b) {
  return !(a == b);
}

// The options of the kinds that have none (ReLU, Tanh, Sigmoid, Identity, Add, Multiply).
struct EmptyConfig {
  std::tuple<> fields() const { return {}; }
};

const char *layer_kind_name(LayerKind kind);

enum class TensorRole : int32_t {
  parameter = 0,  // trainable, has a gradient
  buffer = 1,     // state that is not trained (e.g. BatchNorm running statistics)
};

class StateVisitor {
 public:
  virtual ~StateVisitor() = default;
  // Called once per layer, before that layer's tensors.
  virtual void layer(size_t index, const LayerConfig &config) {
    (void)index;
    (void)config;
  }
  // Called once per node of a graph, after layer(): its name ("" when unnamed: its tensors are
  // then named by its index) and the nodes it takes (indices of earlier nodes, -1: the input).
  virtual void links(size_t index, const std::string &name, const std::vector<int32_t> &inputs) {
    (void)index;
    (void)name;
    (void)inputs;
  }
  // `name` is the PyTorch state_dict name ("0.weight"); `grad` is null for buffers.
  virtual void tensor(const std::string &name, TensorRole role, Tensor &value, Tensor *grad) = 0;
};

// What a forward pass needs besides its input.
struct RunContext {
  bool training = false;
  Rng *dropout_rng = nullptr;
  // Chunked training (parallel/chunked_network.h): the pass holds samples [chunk_first,
  // chunk_first + batch) of a global batch of global_batch samples, and random draws are taken
  // where the whole batch's pass would take them (layers/dropout_stream.h). 0: the pass is the
  // whole batch.
  int64_t chunk_first = 0;
  int64_t global_batch = 0;
};

class Layer {
 public:
  virtual ~Layer() = default;

  virtual LayerConfig config() const = 0;
  // The output shape for an input shape (batch first); throws Error on a mismatch.
  virtual Shape output_shape(const Shape &input) const = 0;
  // The per-sample input shape this layer requires, or rank 0 when it does not fix the whole
  // shape (output_shape then checks what it needs, e.g. Conv2d's channel count).
  virtual Shape required_sample_shape() const { return Shape{}; }
  // Whether the output shape always equals the input shape. A graph lets such layers come
  // before the layer that fixes the input shape, and checks them once it is known.
  virtual bool preserves_shape() const { return false; }

  // `output` has already been resized to output_shape(input.shape()).
  virtual void forward(const Tensor &input, Tensor &output, const RunContext &context) = 0;
  // Sets (does not accumulate) the parameter gradients and, when grad_input is non-null,
  // writes the gradient with respect to the input (already sized like input).
  virtual void backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                        Tensor *grad_input) = 0;

  // Reports this layer's tensors with names prefixed by `prefix` (e.g. "0.").
  virtual void visit_tensors(const std::string &prefix, StateVisitor &visitor) {
    (void)prefix;
    (void)visitor;
  }
};

}  // namespace nnstate
