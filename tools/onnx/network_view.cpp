#include "network_view.h"

#include <stdexcept>

namespace nnstate_onnx {
namespace {

using Json = nlohmann::json;

Json parse(const std::string &text, const char *what) {
  try {
    return Json::parse(text);
  } catch (const Json::exception &e) {
    throw std::runtime_error(std::string("cannot read the library's ") + what + ": " + e.what());
  }
}

std::vector<int64_t> integers(const Json &list, const char *what) {
  std::vector<int64_t> result;
  if (!list.is_array()) throw std::runtime_error(std::string(what) + ": not a list of integers");
  for (const Json &d : list) {
    if (!d.is_number_integer()) {
      throw std::runtime_error(std::string(what) + ": not a list of integers");
    }
    result.push_back(d.get<int64_t>());
  }
  return result;
}

// A node's "inputs" (names of named nodes, else indices) as indices of earlier nodes.
std::vector<int64_t> resolve_inputs(const Json &inputs, const std::map<std::string, int64_t> &names,
                                    const std::string &label) {
  std::vector<int64_t> result;
  for (const Json &input : inputs) {
    if (input.is_number_integer()) {
      result.push_back(input.get<int64_t>());
    } else if (input.is_string() && names.count(input.get<std::string>())) {
      result.push_back(names.at(input.get<std::string>()));
    } else {
      throw std::runtime_error(label + ": cannot resolve input " + input.dump());
    }
  }
  return result;
}

}  // namespace

std::string NodeView::tensor_prefix() const {
  return name.empty() ? std::to_string(index) : name;
}

std::string NodeView::label() const {
  return "node " + std::to_string(index) + (name.empty() ? "" : " \"" + name + "\"") + " (" + kind +
         ")";
}

NetworkView::NetworkView(const nnstate::Network &network) : network_(network) {
  const Json document = parse(network.to_json(), "network document");
  std::map<std::string, int64_t> names;
  const size_t count = network.layer_count();
  for (size_t i = 0; i < count; ++i) {
    NodeView node;
    node.index = static_cast<int64_t>(i);
    node.arguments = parse(network.node_json(i), "node description");
    node.kind = node.arguments.value("kind", "");
    node.name = node.arguments.value("name", "");
    const Json default_inputs = Json::array({node.index - 1});
    node.inputs =
        resolve_inputs(node.arguments.value("inputs", default_inputs), names, node.label());
    const nnstate::NodeInfo info = network.node_info(i);
    if (!info.shape_known) throw std::runtime_error(node.label() + ": output shape unknown");
    node.output_shape = info.output_shape;
    if (!node.name.empty()) names[node.name] = node.index;
    nodes_.push_back(std::move(node));
  }
  const auto shape = document.find("input_shape");
  if (shape != document.end()) {
    input_shape_ = integers(*shape, "input_shape");
  } else {  // the first node (Linear) fixes it: a vector
    input_shape_ = {static_cast<int64_t>(network.input_size())};
  }
  size_t tensors = 0;
  nnstate::check(nnstate_network_tensor_count(network.get(), &tensors));
  for (size_t i = 0; i < tensors; ++i) {
    const char *name = nullptr;
    int32_t rank = 0;
    int64_t dims[4] = {0, 0, 0, 0};
    nnstate::check(nnstate_network_tensor_info(network.get(), i, &name, nullptr, &rank, dims));
    tensor_dims_[name] = std::vector<int64_t>(dims, dims + rank);
  }
}

const std::vector<int64_t> &NetworkView::shape_of(int64_t index) const {
  if (index == kNetworkInput) return input_shape_;
  if (index < 0 || static_cast<size_t>(index) >= nodes_.size()) {
    throw std::runtime_error("node index " + std::to_string(index) + " out of range");
  }
  return nodes_[static_cast<size_t>(index)].output_shape;
}

TensorView NetworkView::tensor(const std::string &name) const {
  const auto it = tensor_dims_.find(name);
  if (it == tensor_dims_.end()) throw std::runtime_error("the network has no tensor " + name);
  TensorView t;
  t.dims = it->second;
  size_t count = 1;
  for (int64_t d : t.dims) count *= static_cast<size_t>(d);  // the library's checked shape
  t.values.resize(count);
  float none = 0;  // a rank-0 or empty tensor still gets a valid pointer
  nnstate::check(nnstate_network_get_tensor(
      network_.get(), name.c_str(), t.values.empty() ? &none : t.values.data(), t.values.size()));
  return t;
}

}  // namespace nnstate_onnx
