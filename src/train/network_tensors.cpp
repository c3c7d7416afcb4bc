#include "train/network_tensors.h"

namespace nnstate {
namespace {

std::vector<TensorRef> collect(Graph &network, bool parameters_only) {
  struct Collector : StateVisitor {
    bool parameters_only = false;
    std::vector<TensorRef> refs;
    void tensor(const std::string &name, TensorRole role, Tensor &value, Tensor *grad) override {
      const bool parameter = role == TensorRole::parameter;
      if (parameter || !parameters_only)
        refs.push_back(TensorRef{name, &value, parameter ? grad : nullptr});
    }
  } collector;
  collector.parameters_only = parameters_only;
  network.visit_state(collector);
  return std::move(collector.refs);
}

}  // namespace

std::vector<TensorRef> network_tensors(Graph &network) {
  return collect(network, false);
}

std::vector<TensorRef> network_parameters(Graph &network) {
  return collect(network, true);
}

}  // namespace nnstate
