#include "train/frozen.h"

#include <algorithm>

#include "layers/layer_config.h"
#include "optim/param_groups.h"
#include "util/error.h"

namespace nnstate {
namespace {

// Each node's parameter names.
std::vector<std::vector<std::string>> node_parameters(Graph &network) {
  struct Walk : StateVisitor {
    std::vector<std::vector<std::string>> out;
    void layer(size_t, const LayerConfig &) override { out.emplace_back(); }
    void tensor(const std::string &name, TensorRole role, Tensor &, Tensor *) override {
      if (role == TensorRole::parameter) out.back().push_back(name);
    }
  } walk;
  network.visit_state(walk);
  return std::move(walk.out);
}

}  // namespace

std::vector<std::string> parameter_names(Graph &network) {
  std::vector<std::string> names;
  for (auto &node : node_parameters(network)) {
    for (auto &name : node) names.push_back(std::move(name));
  }
  return names;
}

std::vector<std::string> select_parameters(Graph &network, const std::vector<std::string> &patterns,
                                           const std::string &what) {
  check_patterns(patterns, what);
  const std::vector<std::string> names = parameter_names(network);
  check_patterns_match(patterns, names, what);
  std::vector<std::string> selected;
  for (const std::string &n : names) {
    if (any_matches(patterns, n)) selected.push_back(n);
  }
  return selected;
}

void apply_frozen(Graph &network, const std::vector<std::string> &frozen, bool batchnorm_eval) {
  if (frozen.empty()) {
    network.set_node_modes({}, {});
    return;
  }
  const auto params = node_parameters(network);
  std::vector<char> backward(params.size(), 0), eval(params.size(), 0);
  for (size_t i = 0; i < params.size(); ++i) {
    size_t trainable = 0;
    for (const std::string &n : params[i]) {
      trainable += std::binary_search(frozen.begin(), frozen.end(), n) ? 0 : 1;
    }
    bool needed = trainable > 0;
    for (int32_t source : network.inputs(i)) {
      if (source != Graph::kNetworkInput && backward[static_cast<size_t>(source)]) needed = true;
    }
    backward[i] = needed ? 1 : 0;
    const LayerKind kind = network.layer(i).config().kind();
    const bool batch_norm = kind == LayerKind::batch_norm1d || kind == LayerKind::batch_norm2d;
    eval[i] = batchnorm_eval && batch_norm && !params[i].empty() && trainable == 0 ? 1 : 0;
  }
  network.set_node_modes(std::move(backward), std::move(eval));
}

}  // namespace nnstate
