// nnstate C++ wrapper: nnstate::Network (part of nnstate.hpp; include that).
#ifndef NNSTATE_CXX_NETWORK_HPP
#define NNSTATE_CXX_NETWORK_HPP

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nnstate/cxx/error.hpp"
#include "nnstate/cxx/options.hpp"

namespace nnstate {

// What a node is besides its description (nnstate_network_node_info).
struct NodeInfo {
  int32_t kind = 0;                   // NNSTATE_LAYER_*
  int32_t inputs = 0;                 // how many nodes it takes
  bool shape_known = false;           // false while the network's input shape is unknown
  std::vector<int64_t> output_shape;  // one sample, without the batch dimension
  uint64_t parameters = 0;
};

// A network with its loss, optimizer and random streams (nnstate_network). Layer functions
// return *this so that a stack reads as one expression; every failure throws Error.
class Network {
 public:
  explicit Network(uint64_t seed = 0) {
    nnstate_network *raw = nullptr;
    check(nnstate_network_create(&raw, seed));
    handle_ = Handle<nnstate_network, nnstate_network_free>(raw);
  }
  // Takes ownership of a handle from the C API (e.g. a network loaded from a checkpoint).
  explicit Network(nnstate_network *raw) : handle_(raw) {}

  // Rebuilds the network stored in a checkpoint file (nnstate_checkpoint_load): layers, loss
  // and, with NNSTATE_LOAD_FULL, the optimizer with its state and the RNG states.
  static Network load(const std::string &path,
                      const nnstate_load_options &options = load_options()) {
    nnstate_network *raw = nullptr;
    check(nnstate_checkpoint_load(&raw, path.c_str(), &options));
    return Network(raw);
  }
  static Network load_buffer(const void *data, size_t size,
                             const nnstate_load_options &options = load_options()) {
    nnstate_network *raw = nullptr;
    check(nnstate_checkpoint_load_buffer(&raw, data, size, &options));
    return Network(raw);
  }
  // Builds the network a JSON document describes ({"input_shape": [...], "nodes": [...]}, see
  // nnstate_network_create_from_json), initialised from `seed`.
  static Network from_json(const std::string &document, uint64_t seed = 0) {
    nnstate_network *raw = nullptr;
    check(nnstate_network_create_from_json(&raw, document.c_str(), seed));
    return Network(raw);
  }
  // The network's document, which from_json rebuilds (nnstate_network_to_json).
  std::string to_json() const {
    return read_text([this](char *buffer, size_t capacity, size_t *size) {
      return nnstate_network_to_json(get(), buffer, capacity, size);
    });
  }
  // Appends a node of any kind described by a JSON object (nnstate_network_add_node), e.g.
  //   net.add_node(R"({"kind": "Add", "inputs": ["bn2", "downsample.1"]})");
  // and returns its index, which later nodes may name as an input.
  int64_t add_node(const std::string &node) {
    int64_t index = -1;
    check(nnstate_network_add_node(get(), node.c_str(), &index));
    return index;
  }
  // Node `index`'s description (nnstate_network_node_json).
  std::string node_json(size_t index) const {
    return read_text([this, index](char *buffer, size_t capacity, size_t *size) {
      return nnstate_network_node_json(get(), index, buffer, capacity, size);
    });
  }

  // Node `index`'s kind, input count, output shape and parameter count.
  NodeInfo node_info(size_t index) const {
    NodeInfo info;
    check(nnstate_network_node_info(get(), index, &info.kind, &info.inputs, nullptr, nullptr,
                                    &info.parameters));
    int32_t rank = 0;
    int64_t dims[4] = {0, 0, 0, 0};
    const nnstate_status status =
        nnstate_network_node_info(get(), index, nullptr, nullptr, &rank, dims, nullptr);
    if (status != NNSTATE_ERR_STATE) check(status);  // STATE: no input shape yet
    info.shape_known = status == NNSTATE_OK;
    info.output_shape.assign(dims, dims + (info.shape_known ? rank : 0));
    return info;
  }

  // Loads a checkpoint into this network, whose tensors must match the file's.
  void load_into(const std::string &path, const nnstate_load_options &options = load_options()) {
    check(nnstate_checkpoint_load_into(get(), path.c_str(), &options));
  }
  // Crash-safe save of the network's complete state (nnstate_checkpoint_save).
  void save(const std::string &path, const Metadata &metadata = {}, bool fsync = true) {
    const SaveOptions options(metadata, fsync);
    check(nnstate_checkpoint_save(get(), path.c_str(), options.get()));
  }

  // Layers, as torch.nn's (see nnstate.h for each one's checks).
  Network &linear(int64_t in, int64_t out, bool bias = true) {
    check(nnstate_network_add_linear(get(), in, out, bias ? 1 : 0));
    return *this;
  }
  Network &relu() { return activation(NNSTATE_LAYER_RELU); }
  Network &tanh() { return activation(NNSTATE_LAYER_TANH); }
  Network &sigmoid() { return activation(NNSTATE_LAYER_SIGMOID); }
  Network &gelu(bool tanh_approximation = false) {
    check(nnstate_network_add_gelu(get(), tanh_approximation ? 1 : 0));
    return *this;
  }
  Network &leaky_relu(float negative_slope = 0.01f) {
    check(nnstate_network_add_leaky_relu(get(), negative_slope));
    return *this;
  }
  // The shape of one input sample without the batch dimension ({1, 28, 28}), for networks
  // that do not start with Linear. Before the first layer.
  Network &input_shape(const std::vector<int64_t> &dims) {
    check(nnstate_network_set_input_shape(get(), dims.data(), static_cast<int32_t>(dims.size())));
    return *this;
  }
  Network &conv2d(const nnstate_conv2d_options &options) {
    check(nnstate_network_add_conv2d(get(), &options));
    return *this;
  }
  Network &conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size) {
    return conv2d(conv2d_options(in_channels, out_channels, kernel_size));
  }
  // A stride of 0 means the kernel size (PyTorch's stride=None).
  Network &max_pool2d(int64_t kernel, int64_t stride = 0, int64_t padding = 0) {
    return max_pool2d(kernel, kernel, stride, stride, padding, padding);
  }
  Network &max_pool2d(int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                      int64_t padding_h, int64_t padding_w) {
    check(nnstate_network_add_max_pool2d(get(), kernel_h, kernel_w, stride_h, stride_w, padding_h,
                                         padding_w));
    return *this;
  }
  Network &flatten() {
    check(nnstate_network_add_flatten(get()));
    return *this;
  }
  Network &batch_norm1d(int64_t num_features, double eps = 1e-5, double momentum = 0.1,
                        bool affine = true, bool track_running_stats = true) {
    return batch_norm(1, num_features, eps, momentum, affine, track_running_stats);
  }
  Network &batch_norm2d(int64_t num_features, double eps = 1e-5, double momentum = 0.1,
                        bool affine = true, bool track_running_stats = true) {
    return batch_norm(2, num_features, eps, momentum, affine, track_running_stats);
  }
  Network &dropout(double p = 0.5) {
    check(nnstate_network_add_dropout(get(), p));
    return *this;
  }
  Network &layer_norm(const std::vector<int64_t> &normalized_shape, double eps = 1e-5,
                      bool elementwise_affine = true) {
    check(nnstate_network_add_layer_norm(get(), normalized_shape.data(),
                                         static_cast<int32_t>(normalized_shape.size()), eps,
                                         elementwise_affine ? 1 : 0));
    return *this;
  }

  Network &loss(int32_t loss_kind) {
    check(nnstate_network_set_loss(get(), loss_kind));
    return *this;
  }
  Network &optimizer(const nnstate_optimizer_options &options) {
    check(nnstate_network_set_optimizer(get(), &options));
    return *this;
  }

  // One optimisation step on `batch` samples; returns the loss before the update.
  float train_step(const std::vector<float> &inputs, const std::vector<float> &targets,
                   size_t batch) {
    return train_step(inputs.data(), inputs.size(), targets.data(), targets.size(), batch);
  }
  float train_step(const float *inputs, size_t input_count, const float *targets,
                   size_t target_count, size_t batch) {
    float loss_value = 0.0f;
    check(nnstate_network_train_step(get(), inputs, input_count, targets, target_count, batch,
                                     &loss_value));
    return loss_value;
  }
  // The mean loss on `batch` samples, without training.
  float evaluate(const std::vector<float> &inputs, const std::vector<float> &targets,
                 size_t batch) {
    return evaluate(inputs.data(), inputs.size(), targets.data(), targets.size(), batch);
  }
  float evaluate(const float *inputs, size_t input_count, const float *targets, size_t target_count,
                 size_t batch) {
    float loss_value = 0.0f;
    check(nnstate_network_evaluate(get(), inputs, input_count, targets, target_count, batch,
                                   &loss_value));
    return loss_value;
  }
  // The outputs for `batch` samples (batch * output_size() floats).
  std::vector<float> predict(const std::vector<float> &inputs, size_t batch) {
    std::vector<float> out(batch * output_size());
    predict(inputs.data(), inputs.size(), batch, out.data(), out.size());
    return out;
  }
  // The same into the caller's `outputs` (output_count must be batch * output_size()).
  void predict(const float *inputs, size_t input_count, size_t batch, float *outputs,
               size_t output_count) {
    check(nnstate_network_predict(get(), inputs, input_count, batch, outputs, output_count));
  }

  // false (the default) is PyTorch's model.eval() for predict and evaluate.
  void set_training_mode(bool training) {
    check(nnstate_network_set_training_mode(get(), training ? 1 : 0));
  }
  bool training_mode() const {
    int32_t mode = 0;
    check(nnstate_network_get_training_mode(get(), &mode));
    return mode != 0;
  }

  size_t layer_count() const { return query(nnstate_network_layer_count); }
  size_t input_size() const { return query(nnstate_network_input_size); }
  size_t output_size() const { return query(nnstate_network_output_size); }
  uint64_t parameter_count() const {
    uint64_t n = 0;
    check(nnstate_network_parameter_count(get(), &n));
    return n;
  }
  double lr() const {
    double value = 0.0;
    check(nnstate_network_get_lr(get(), &value));
    return value;
  }
  void set_lr(double lr) { check(nnstate_network_set_lr(get(), lr)); }

  // Frozen parameters (requires_grad=False) by tensor or module name: "features", "fc.weight".
  Network &freeze(const std::string &pattern) {
    check(nnstate_network_set_requires_grad(get(), pattern.c_str(), 0));
    return *this;
  }
  Network &unfreeze(const std::string &pattern) {
    check(nnstate_network_set_requires_grad(get(), pattern.c_str(), 1));
    return *this;
  }
  // The deterministic-across-scale mode (chunk_size 0: off; threads 0: OpenBLAS's count):
  // the same bits on any thread count, see nnstate_network_set_deterministic.
  Network &deterministic(int64_t chunk_size, int32_t threads = 0) {
    check(nnstate_network_set_deterministic(get(), chunk_size, threads));
    return *this;
  }
  // The chunk size (0 when the mode is off).
  int64_t deterministic_chunk_size() const {
    int64_t chunk = 0;
    check(nnstate_network_deterministic(get(), &chunk, nullptr));
    return chunk;
  }
  // BatchNorm layers whose parameters are all frozen run in eval mode while training.
  Network &frozen_batchnorm_eval(bool eval) {
    check(nnstate_network_set_frozen_batchnorm_eval(get(), eval ? 1 : 0));
    return *this;
  }
  std::vector<std::string> frozen() const {
    std::vector<std::string> names(query(nnstate_network_frozen_count));
    for (size_t i = 0; i < names.size(); ++i) {
      const char *name = nullptr;
      check(nnstate_network_frozen_name(get(), i, &name));
      names[i] = name;
    }
    return names;
  }

  // One parameter group as torch's {"params": ..., "lr": ...}; NaN options: the optimizer's.
  struct ParamGroup {
    std::vector<std::string> params;
    double lr = NAN, beta1 = NAN, beta2 = NAN, eps = NAN, weight_decay = NAN;
  };
  // The optimizer with `groups`; `options` are the default group's (unselected parameters).
  Network &optimizer(const nnstate_optimizer_options &options,
                     const std::vector<ParamGroup> &groups) {
    std::vector<std::vector<const char *>> patterns(groups.size());
    std::vector<nnstate_param_group_options> raw(groups.size());
    for (size_t g = 0; g < groups.size(); ++g) {
      for (const std::string &p : groups[g].params) patterns[g].push_back(p.c_str());
      check(nnstate_param_group_options_init(&raw[g]));
      raw[g].patterns = patterns[g].data();
      raw[g].pattern_count = patterns[g].size();
      raw[g].lr = groups[g].lr;
      raw[g].beta1 = groups[g].beta1;
      raw[g].beta2 = groups[g].beta2;
      raw[g].eps = groups[g].eps;
      raw[g].weight_decay = groups[g].weight_decay;
    }
    check(nnstate_network_set_optimizer_groups(get(), &options, raw.data(), raw.size()));
    return *this;
  }
  // The optimizer's groups, the default group first (index 0), with their current options.
  std::vector<std::pair<ParamGroup, size_t>> param_groups() const {
    std::vector<std::pair<ParamGroup, size_t>> out(query(nnstate_network_param_group_count));
    for (size_t g = 0; g < out.size(); ++g) {
      nnstate_param_group_info info{};
      info.struct_size = sizeof info;
      check(nnstate_network_param_group(get(), g, &info));
      ParamGroup &group = out[g].first;
      group.lr = info.lr;
      group.beta1 = info.beta1;
      group.beta2 = info.beta2;
      group.eps = info.eps;
      group.weight_decay = info.weight_decay;
      for (size_t k = 0; k < info.pattern_count; ++k) {
        const char *pattern = nullptr;
        check(nnstate_network_param_group_pattern(get(), g, k, &pattern));
        group.params.emplace_back(pattern);
      }
      out[g].second = info.parameter_count;
    }
    return out;
  }
  void set_group_lr(size_t group, double lr) {
    check(nnstate_network_set_group_lr(get(), group, lr));
  }

  // Tensor names in state_dict order ("0.weight", ...).
  std::vector<std::string> tensor_names() const {
    std::vector<std::string> names(query(nnstate_network_tensor_count));
    for (size_t i = 0; i < names.size(); ++i) {
      const char *name = nullptr;
      check(nnstate_network_tensor_info(get(), i, &name, nullptr, nullptr, nullptr));
      names[i] = name;
    }
    return names;
  }
  // A tensor's values (NOT_FOUND for an unknown name).
  std::vector<float> tensor(const std::string &name) const {
    size_t count = 0;
    for (size_t i = 0, n = query(nnstate_network_tensor_count); i < n; ++i) {
      const char *candidate = nullptr;
      int32_t rank = 0;
      int64_t dims[4] = {0, 0, 0, 0};
      check(nnstate_network_tensor_info(get(), i, &candidate, nullptr, &rank, dims));
      if (name == candidate) {
        count = 1;
        for (int32_t d = 0; d < rank; ++d) count *= static_cast<size_t>(dims[d]);
      }
    }
    std::vector<float> values(count);
    float none = 0;  // an unknown name still reaches the library, which says NOT_FOUND
    check(nnstate_network_get_tensor(get(), name.c_str(), values.empty() ? &none : values.data(),
                                     values.size()));
    return values;
  }
  void set_tensor(const std::string &name, const std::vector<float> &values) {
    check(nnstate_network_set_tensor(get(), name.c_str(), values.data(), values.size()));
  }

  nnstate_network *get() const noexcept { return handle_.get(); }

 private:
  Network &activation(int32_t kind) {
    check(nnstate_network_add_activation(get(), kind));
    return *this;
  }
  Network &batch_norm(int32_t dims, int64_t num_features, double eps, double momentum, bool affine,
                      bool track_running_stats) {
    check(nnstate_network_add_batch_norm(get(), dims, num_features, eps, momentum, affine ? 1 : 0,
                                         track_running_stats ? 1 : 0));
    return *this;
  }
  size_t query(nnstate_status (*function)(const nnstate_network *, size_t *)) const {
    size_t value = 0;
    check(function(get(), &value));
    return value;
  }

  Handle<nnstate_network, nnstate_network_free> handle_;
};

}  // namespace nnstate

#endif  // NNSTATE_CXX_NETWORK_HPP
