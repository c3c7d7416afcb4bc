// C API: building networks, training steps, inference, tensors by name.
#include <cstring>
#include <limits>

#include "guard.h"
#include "handles.h"
#include "layers/layer.h"
#include "optimizer_options.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;

namespace {

// A C size_t as the core's int64_t, refusing values that do not fit.
int64_t to_count(size_t value, const char *what) {
  if (value > static_cast<size_t>(std::numeric_limits<int64_t>::max())) {
    nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT,
                  std::string(what) + " " + std::to_string(value) + " is larger than 2^63 - 1");
  }
  return static_cast<int64_t>(value);
}

// Finds a tensor of the network by its state_dict name; NOT_FOUND lists nothing but the name.
struct TensorLookup : nnstate::StateVisitor {
  const char *wanted;
  nnstate::Tensor *found = nullptr;
  explicit TensorLookup(const char *name) : wanted(name) {}
  void tensor(const std::string &name, nnstate::TensorRole, nnstate::Tensor &value,
              nnstate::Tensor *) override {
    if (!found && name == wanted) found = &value;
  }
};

nnstate::Tensor &find_tensor(nnstate_network *network, const char *name) {
  TensorLookup lookup(name);
  network->model.network().visit_state(lookup);
  if (!lookup.found) {
    nnstate::fail(NNSTATE_ERR_NOT_FOUND,
                  std::string("the network has no tensor named \"") + name + "\"");
  }
  return *lookup.found;
}

void check_count(const nnstate::Tensor &tensor, const char *name, size_t count) {
  if (count != static_cast<size_t>(tensor.numel())) {
    nnstate::fail(NNSTATE_ERR_SHAPE_MISMATCH,
                  std::string("tensor \"") + name + "\" has shape " + tensor.shape().to_string() +
                      " = " + std::to_string(tensor.numel()) + " values, the buffer holds " +
                      std::to_string(count));
  }
}

nnstate_status add_layer(nnstate_network *network, const nnstate::LayerConfig &config) {
  return guard([&] {
    require_arg(network, "network");
    network->model.add_layer(config);
    network->tensor_names.clear();
  });
}

nnstate_network *mutable_handle(const nnstate_network *network) {
  // Read-only queries still walk the state visitor, whose interface is non-const.
  return const_cast<nnstate_network *>(network);
}

}  // namespace

extern "C" {

nnstate_status nnstate_network_create(nnstate_network **out, uint64_t seed) {
  return guard([&] {
    require_arg(out, "out");
    *out = nullptr;
    *out = new nnstate_network(seed);
  });
}

void nnstate_network_free(nnstate_network *network) {
  delete network;
}

nnstate_status nnstate_network_add_linear(nnstate_network *network, int64_t in_features,
                                          int64_t out_features, int32_t bias) {
  nnstate::LayerConfig config(nnstate::LayerKind::linear);
  auto &o = config.as<nnstate::LinearConfig>();
  o.in_features = in_features;
  o.out_features = out_features;
  o.bias = bias != 0;
  return add_layer(network, config);
}

nnstate_status nnstate_network_add_activation(nnstate_network *network, int32_t layer_kind) {
  // The message is built inside the guard: std::bad_alloc must not cross the C ABI.
  return guard([&] {
    require_arg(network, "network");
    if (layer_kind != NNSTATE_LAYER_RELU && layer_kind != NNSTATE_LAYER_TANH &&
        layer_kind != NNSTATE_LAYER_SIGMOID && layer_kind != NNSTATE_LAYER_GELU) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT,
                    "layer kind " + std::to_string(layer_kind) +
                        " is not a parameterless activation (use RELU, TANH, SIGMOID or GELU)");
    }
    const nnstate::LayerConfig config(static_cast<nnstate::LayerKind>(layer_kind));
    network->model.add_layer(config);
    network->tensor_names.clear();
  });
}

nnstate_status nnstate_network_add_leaky_relu(nnstate_network *network, float negative_slope) {
  nnstate::LayerConfig config(nnstate::LayerKind::leaky_relu);
  auto &o = config.as<nnstate::LeakyReLUConfig>();
  o.negative_slope = negative_slope;
  return add_layer(network, config);
}

nnstate_status nnstate_network_add_gelu(nnstate_network *network, int32_t tanh_approximation) {
  nnstate::LayerConfig config(nnstate::LayerKind::gelu);
  auto &o = config.as<nnstate::GELUConfig>();
  o.tanh_approximation = tanh_approximation != 0;
  return add_layer(network, config);
}

nnstate_status nnstate_network_layer_count(const nnstate_network *network, size_t *out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(out, "out");
    *out = mutable_handle(network)->model.network().size();
  });
}

nnstate_status nnstate_network_input_size(const nnstate_network *network, size_t *out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(out, "out");
    *out = static_cast<size_t>(mutable_handle(network)->model.network().sample_input_size());
  });
}

nnstate_status nnstate_network_output_size(const nnstate_network *network, size_t *out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(out, "out");
    *out = static_cast<size_t>(mutable_handle(network)->model.network().sample_output_size());
  });
}

nnstate_status nnstate_network_parameter_count(const nnstate_network *network, uint64_t *out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(out, "out");
    *out = static_cast<uint64_t>(mutable_handle(network)->model.network().parameter_count());
  });
}

nnstate_status nnstate_network_set_loss(nnstate_network *network, int32_t loss_kind) {
  return guard([&] {
    require_arg(network, "network");
    network->model.set_loss(static_cast<nnstate::LossKind>(loss_kind));
  });
}

nnstate_status nnstate_optimizer_options_init(nnstate_optimizer_options *options, int32_t kind) {
  return guard([&] {
    require_arg(options, "options");
    if (kind != NNSTATE_OPTIMIZER_SGD && kind != NNSTATE_OPTIMIZER_ADAM &&
        kind != NNSTATE_OPTIMIZER_ADAMW) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, "unknown optimizer kind " + std::to_string(kind));
    }
    nnstate::OptimizerConfig c =
        nnstate::default_optimizer_config(static_cast<nnstate::OptimizerKind>(kind));
    std::memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    options->kind = kind;
    options->lr = c.lr;
    options->beta1 = c.beta1;
    options->beta2 = c.beta2;
    options->eps = c.eps;
    options->weight_decay = c.weight_decay;
    options->amsgrad = c.amsgrad;
    options->maximize = c.maximize;
    options->momentum = c.momentum;
    options->dampening = c.dampening;
    options->nesterov = c.nesterov;
  });
}

nnstate_status nnstate_network_set_optimizer(nnstate_network *network,
                                             const nnstate_optimizer_options *options) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(options, "options");
    network->model.set_optimizer(nnstate::capi::optimizer_config_of(options));
  });
}

nnstate_status nnstate_network_get_lr(const nnstate_network *network, double *out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(out, "out");
    nnstate::Optimizer *optimizer = mutable_handle(network)->model.optimizer();
    if (!optimizer) nnstate::fail(NNSTATE_ERR_STATE, "no optimizer is set");
    *out = optimizer->lr();
  });
}

nnstate_status nnstate_network_set_lr(nnstate_network *network, double lr) {
  return guard([&] {
    require_arg(network, "network");
    nnstate::Optimizer *optimizer = network->model.optimizer();
    if (!optimizer) nnstate::fail(NNSTATE_ERR_STATE, "no optimizer is set");
    optimizer->set_lr(lr);
  });
}

nnstate_status nnstate_network_train_step(nnstate_network *network, const float *inputs,
                                          size_t input_count, const float *targets,
                                          size_t target_count, size_t batch_size, float *loss_out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(inputs, "inputs");
    require_arg(targets, "targets");
    float loss = network->model.train_step(inputs, to_count(input_count, "input_count"), targets,
                                           to_count(target_count, "target_count"),
                                           to_count(batch_size, "batch_size"));
    if (loss_out) *loss_out = loss;
  });
}

nnstate_status nnstate_network_evaluate(nnstate_network *network, const float *inputs,
                                        size_t input_count, const float *targets,
                                        size_t target_count, size_t batch_size, float *loss_out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(inputs, "inputs");
    require_arg(targets, "targets");
    require_arg(loss_out, "loss_out");
    *loss_out = network->model.evaluate(inputs, to_count(input_count, "input_count"), targets,
                                        to_count(target_count, "target_count"),
                                        to_count(batch_size, "batch_size"));
  });
}

nnstate_status nnstate_network_predict(nnstate_network *network, const float *inputs,
                                       size_t input_count, size_t batch_size, float *outputs,
                                       size_t output_count) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(inputs, "inputs");
    require_arg(outputs, "outputs");
    network->model.predict(inputs, to_count(input_count, "input_count"),
                           to_count(batch_size, "batch_size"), outputs,
                           to_count(output_count, "output_count"));
  });
}

nnstate_status nnstate_network_tensor_count(const nnstate_network *network, size_t *out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(out, "out");
    struct Counter : nnstate::StateVisitor {
      size_t count = 0;
      void tensor(const std::string &, nnstate::TensorRole, nnstate::Tensor &,
                  nnstate::Tensor *) override {
        ++count;
      }
    } counter;
    mutable_handle(network)->model.network().visit_state(counter);
    *out = counter.count;
  });
}

nnstate_status nnstate_network_tensor_info(const nnstate_network *network, size_t index,
                                           const char **name, int32_t *role, int32_t *rank,
                                           int64_t *dims) {
  return guard([&] {
    require_arg(network, "network");
    nnstate_network *handle = mutable_handle(network);
    struct Describer : nnstate::StateVisitor {
      size_t wanted, seen = 0;
      std::vector<std::string> names;
      nnstate::TensorRole role = nnstate::TensorRole::parameter;
      nnstate::Shape shape;
      void tensor(const std::string &n, nnstate::TensorRole r, nnstate::Tensor &value,
                  nnstate::Tensor *) override {
        if (seen++ == wanted) {
          role = r;
          shape = value.shape();
        }
        names.push_back(n);
      }
    } describer;
    describer.wanted = index;
    handle->model.network().visit_state(describer);
    if (index >= describer.seen) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, "tensor index " + std::to_string(index) +
                                                      " is out of range (the network has " +
                                                      std::to_string(describer.seen) + " tensors)");
    }
    if (handle->tensor_names != describer.names) handle->tensor_names = std::move(describer.names);
    if (name) *name = handle->tensor_names[index].c_str();
    if (role) *role = static_cast<int32_t>(describer.role);
    if (rank) *rank = describer.shape.rank;
    if (dims) {
      for (int i = 0; i < describer.shape.rank; ++i) dims[i] = describer.shape.dims[i];
    }
  });
}

nnstate_status nnstate_network_get_tensor(const nnstate_network *network, const char *name,
                                          float *values, size_t count) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(name, "name");
    require_arg(values, "values");
    const nnstate::Tensor &tensor = find_tensor(mutable_handle(network), name);
    check_count(tensor, name, count);
    std::memcpy(values, tensor.data(), tensor.byte_size());
  });
}

nnstate_status nnstate_network_set_tensor(nnstate_network *network, const char *name,
                                          const float *values, size_t count) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(name, "name");
    require_arg(values, "values");
    nnstate::Tensor &tensor = find_tensor(network, name);
    check_count(tensor, name, count);
    std::memcpy(tensor.data(), values, tensor.byte_size());
  });
}

}  // extern "C"
