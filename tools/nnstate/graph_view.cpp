#include "graph_view.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace nnstate_cli {
namespace {

using Json = nlohmann::json;

Json parse(const std::string &text, const char *what) {
  try {
    return Json::parse(text);
  } catch (const Json::exception &e) {
    throw std::runtime_error(std::string("cannot read the library's ") + what + ": " + e.what());
  }
}

std::vector<int64_t> read_dims(const Json &dims) {
  std::vector<int64_t> result;
  for (const Json &d : dims) {
    if (!d.is_number_integer()) throw std::runtime_error("input_shape: not a list of integers");
    result.push_back(d.get<int64_t>());
  }
  return result;
}

}  // namespace

std::vector<int64_t> document_input_shape(const std::string &document) {
  const Json doc = parse(document, "network description");
  const auto it = doc.is_object() ? doc.find("input_shape") : doc.end();
  if (it == doc.end()) return {};
  if (!it->is_array()) throw std::runtime_error("input_shape: not a list of integers");
  return read_dims(*it);
}

GraphView graph_view(const nnstate::Network &network) {
  GraphView view;
  view.input_shape = document_input_shape(network.to_json());
  const size_t count = network.layer_count();
  for (size_t i = 0; i < count; ++i) {
    const Json node = parse(network.node_json(i), "node description");
    NodeRow row;
    row.index = i;
    row.kind = node.value("kind", "?");
    row.name = node.value("name", "");
    for (const Json &input : node.value("inputs", Json::array())) {
      NodeInput in;
      if (input.is_string()) {
        in.name = input.get<std::string>();
      } else if (input.is_number_integer()) {
        in.index = input.get<int64_t>();
      }
      row.inputs.push_back(in);
    }
    const nnstate::NodeInfo info = network.node_info(i);
    row.shape_known = info.shape_known;
    row.output_shape = info.output_shape;
    row.parameters = info.parameters;
    view.nodes.push_back(std::move(row));
  }
  return view;
}

std::string input_text(const NodeInput &input) {
  if (!input.name.empty()) return input.name;
  return input.index == -1 ? "input" : std::to_string(input.index);
}

std::string dims_text(const std::vector<int64_t> &dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) text += (i ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

}  // namespace nnstate_cli
