// Header-only C++17 RAII wrapper over the C API (nnstate.h): handles close themselves, errors
// become nnstate::Error exceptions carrying the status and message, options take PyTorch's
// defaults. It adds no symbols to the library and needs nothing but nnstate.h.
//
//   nnstate::Network net(42);
//   net.linear(4, 64).relu().linear(64, 1).loss(NNSTATE_LOSS_MSE).optimizer(nnstate::adam(1e-3));
//   float loss = net.train_step(x, y, batch);
#ifndef NNSTATE_NNSTATE_HPP
#define NNSTATE_NNSTATE_HPP

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "nnstate/nnstate.h"

namespace nnstate {

class Error : public std::runtime_error {
 public:
  Error(nnstate_status status, const std::string &message)
      : std::runtime_error(std::string(nnstate_status_string(status)) + ": " + message),
        status_(status) {}
  nnstate_status status() const noexcept { return status_; }

 private:
  nnstate_status status_;
};

// Throws Error for a failed status, with the calling thread's last error message.
inline void check(nnstate_status status) {
  if (status != NNSTATE_OK) throw Error(status, nnstate_last_error());
}

// Owns a C handle and frees it with `Free`; movable, not copyable.
template <typename T, void (*Free)(T *)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(T *raw) : raw_(raw) {}
  Handle(Handle &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
  Handle &operator=(Handle &&other) noexcept {
    if (this != &other) {
      Free(raw_);
      raw_ = std::exchange(other.raw_, nullptr);
    }
    return *this;
  }
  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;
  ~Handle() { Free(raw_); }
  T *get() const noexcept { return raw_; }

 private:
  T *raw_ = nullptr;
};

inline nnstate_optimizer_options optimizer_options(int32_t kind, double lr) {
  nnstate_optimizer_options o;
  check(nnstate_optimizer_options_init(&o, kind));
  o.lr = lr;
  return o;
}
inline nnstate_optimizer_options adam(double lr = 1e-3) {
  return optimizer_options(NNSTATE_OPTIMIZER_ADAM, lr);
}
inline nnstate_optimizer_options adamw(double lr = 1e-3) {
  return optimizer_options(NNSTATE_OPTIMIZER_ADAMW, lr);
}
inline nnstate_optimizer_options sgd(double lr, double momentum = 0.0) {
  nnstate_optimizer_options o = optimizer_options(NNSTATE_OPTIMIZER_SGD, lr);
  o.momentum = momentum;
  return o;
}

class Network {
 public:
  explicit Network(uint64_t seed = 0) {
    nnstate_network *raw = nullptr;
    check(nnstate_network_create(&raw, seed));
    handle_ = Handle<nnstate_network, nnstate_network_free>(raw);
  }
  // Takes ownership of a handle from the C API (e.g. a network loaded from a checkpoint).
  explicit Network(nnstate_network *raw) : handle_(raw) {}

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
    float loss_value = 0.0f;
    check(nnstate_network_train_step(get(), inputs.data(), inputs.size(), targets.data(),
                                     targets.size(), batch, &loss_value));
    return loss_value;
  }
  float evaluate(const std::vector<float> &inputs, const std::vector<float> &targets,
                 size_t batch) {
    float loss_value = 0.0f;
    check(nnstate_network_evaluate(get(), inputs.data(), inputs.size(), targets.data(),
                                   targets.size(), batch, &loss_value));
    return loss_value;
  }
  std::vector<float> predict(const std::vector<float> &inputs, size_t batch) {
    std::vector<float> out(batch * output_size());
    check(nnstate_network_predict(get(), inputs.data(), inputs.size(), batch, out.data(),
                                  out.size()));
    return out;
  }

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
    check(nnstate_network_get_tensor(get(), name.c_str(), values.data(), values.size()));
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
  size_t query(nnstate_status (*function)(const nnstate_network *, size_t *)) const {
    size_t value = 0;
    check(function(get(), &value));
    return value;
  }

  Handle<nnstate_network, nnstate_network_free> handle_;
};

}  // namespace nnstate

#endif  // NNSTATE_NNSTATE_HPP
