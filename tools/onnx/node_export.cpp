// NodeExport's helpers: names, weights and the arguments of a node's description.
#include "kind_exporters.h"

namespace nnstate_onnx {

std::string NodeExport::temporary(const std::string &what) const {
  return graph.fresh(node.tensor_prefix() + "/" + what);
}

std::string NodeExport::weight(const std::string &suffix) const {
  const std::string name = node.tensor_prefix() + "." + suffix;
  if (!network.has_tensor(name)) refuse("the network has no tensor " + name);
  TensorView t = network.tensor(name);
  return graph.floats(name, t.dims, t.values);
}

const std::vector<int64_t> &NodeExport::input_shape(size_t i) const {
  return network.shape_of(node.inputs.at(i));
}

void NodeExport::refuse(const std::string &why) const {
  throw ExportError("cannot export " + node.label() + " to ONNX: " + why);
}

namespace {

const nlohmann::json &field(const NodeExport &e, const char *name) {
  const auto it = e.node.arguments.find(name);
  if (it == e.node.arguments.end())
    e.refuse(std::string("its description has no \"") + name + "\"");
  return *it;
}

}  // namespace

int64_t NodeExport::integer(const char *name) const {
  const nlohmann::json &v = field(*this, name);
  if (!v.is_number_integer()) refuse(std::string("\"") + name + "\" is not an integer");
  return v.get<int64_t>();
}

double NodeExport::real(const char *name) const {
  const nlohmann::json &v = field(*this, name);
  if (!v.is_number()) refuse(std::string("\"") + name + "\" is not a number");
  return v.get<double>();
}

bool NodeExport::flag(const char *name) const {
  const nlohmann::json &v = field(*this, name);
  if (!v.is_boolean()) refuse(std::string("\"") + name + "\" is not a boolean");
  return v.get<bool>();
}

std::string NodeExport::text(const char *name) const {
  const nlohmann::json &v = field(*this, name);
  if (!v.is_string()) refuse(std::string("\"") + name + "\" is not a string");
  return v.get<std::string>();
}

std::array<int64_t, 2> NodeExport::pair(const char *name) const {
  const nlohmann::json &v = field(*this, name);
  if (v.is_number_integer()) return {v.get<int64_t>(), v.get<int64_t>()};
  if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer()) {
    return {v[0].get<int64_t>(), v[1].get<int64_t>()};
  }
  refuse(std::string("\"") + name + "\" is not an integer or [h, w]");
}

}  // namespace nnstate_onnx
