#include "train/network_json.h"

#include <functional>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "layers/layer_json.h"
#include "train/model.h"
#include "util/error.h"

namespace nnstate {
namespace {

// Ordered: nodes are written with their fields in the order node_json gives them.
using Json = nlohmann::ordered_json;

const char kDocument[] = "network description";

[[noreturn]] void refuse(const std::string &problem) {
  fail(NNSTATE_ERR_INVALID_ARGUMENT, std::string(kDocument) + ": " + problem);
}

// A short account of a value for messages, never its (possibly huge or deep) text.
std::string kind_of(const Json &value) {
  switch (value.type()) {
    case Json::value_t::array:
      return "an array of " + std::to_string(value.size()) + " items";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    default:
      return value.dump();
  }
}

// What the parser is inside of, to refuse duplicate keys (nlohmann would keep the last one,
// silently), nesting too deep to be a network, and too many nodes, while it reads.
class StructureCheck {
 public:
  bool operator()(int, Json::parse_event_t event, Json &parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        element_started();
        if (open_.size() >= kMaxNetworkJsonDepth) {
          refuse(where() + "nested deeper than " + std::to_string(kMaxNetworkJsonDepth) +
                 " levels");
        }
        open_.push_back(Open{event == Json::parse_event_t::object_start, {}, {}, 0});
        break;
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        if (!open_.empty()) open_.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open_.empty()) {
          Open &object = open_.back();
          object.key = parsed.get<std::string>();
          if (!object.keys.insert(object.key).second) {
            refuse(where() + "duplicate field " + Json(object.key).dump());
          }
        }
        break;
      case Json::parse_event_t::value:
        element_started();
        break;
    }
    return true;
  }

 private:
  struct Open {
    bool object;
    std::set<std::string> keys;
    std::string key;  // the last key read, in an object
    size_t elements;  // in an array
  };

  // Whether `open_[1]` is the top-level "nodes" array.
  bool in_nodes() const {
    return open_.size() >= 2 && open_[0].object && open_[0].key == "nodes" && !open_[1].object;
  }

  void element_started() {
    if (open_.empty() || open_.back().object) return;
    ++open_.back().elements;
    if (open_.size() == 2 && in_nodes() && open_[1].elements > kMaxNetworkNodes) {
      refuse("field \"nodes\": more than " + std::to_string(kMaxNetworkNodes) + " nodes");
    }
  }

  // "node 3: " inside the third node, else "".
  std::string where() const {
    if (open_.size() >= 3 && in_nodes()) {
      return "node " + std::to_string(open_[1].elements - 1) + ": ";
    }
    return "";
  }

  std::vector<Open> open_;
};

Json parse_text(const std::string &text) {
  if (text.size() > kMaxNetworkJsonBytes) {
    refuse(std::to_string(text.size()) + " bytes is longer than the limit of " +
           std::to_string(kMaxNetworkJsonBytes));
  }
  StructureCheck check;
  try {
    return Json::parse(text, std::ref(check));
  } catch (const Json::exception &e) {
    refuse(std::string("invalid JSON: ") + e.what());
  }
}

Shape read_input_shape(const Json &value) {
  const char *what = "a list of 1 to 3 positive integers (one sample, without the batch)";
  const auto wrong = [&](const std::string &got) {
    refuse("field \"input_shape\": expected " + std::string(what) + ", got " + got);
  };
  if (!value.is_array() || value.empty() || value.size() >= Shape::kMaxRank) {
    wrong(kind_of(value));
  }
  Shape shape;
  shape.rank = static_cast<int32_t>(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const Json &dim = value[i];
    // nlohmann reads every positive integer as unsigned; a float or a negative one is refused.
    if (!dim.is_number_unsigned() ||
        dim.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        dim.get<uint64_t>() == 0) {
      wrong(kind_of(dim) + " at [" + std::to_string(i) + "]");
    }
    shape.dims[i] = static_cast<int64_t>(dim.get<uint64_t>());
  }
  try {
    shape.numel();  // refuses a product that overflows
  } catch (const Error &e) {
    refuse(std::string("field \"input_shape\": ") + e.what());
  }
  return shape;
}

// Node `index` as node_json writes it: kind, name (when named), inputs, then the arguments.
Json node_object(const LayerConfig &config, const std::vector<NodeLinks> &links, size_t index) {
  const Json arguments = Json::parse(layer_config_json(config));
  Json node = Json::object();
  node["kind"] = arguments.at("kind");
  if (!links[index].name.empty()) node["name"] = links[index].name;
  Json inputs = Json::array();
  for (int32_t input : links[index].inputs) {
    const bool named = input != Graph::kNetworkInput && static_cast<size_t>(input) < index &&
                       !links[static_cast<size_t>(input)].name.empty();
    if (named) {
      inputs.push_back(links[static_cast<size_t>(input)].name);
    } else {
      inputs.push_back(input);
    }
  }
  node["inputs"] = inputs;
  for (auto item = arguments.begin(); item != arguments.end(); ++item) {
    if (item.key() != "kind") node[item.key()] = item.value();
  }
  return node;
}

}  // namespace

NetworkDocument parse_network_document(const std::string &text) {
  const Json document = parse_text(text);
  if (!document.is_object()) refuse("expected a JSON object, got " + kind_of(document));
  NetworkDocument result;
  bool has_nodes = false;
  for (auto item = document.begin(); item != document.end(); ++item) {
    if (item.key() == "input_shape") {
      result.input_shape = read_input_shape(item.value());
    } else if (item.key() == "nodes") {
      const Json &nodes = item.value();
      if (!nodes.is_array()) {
        refuse("field \"nodes\": expected a list of node objects, got " + kind_of(nodes));
      }
      has_nodes = true;
      result.nodes.reserve(nodes.size());
      // Each node is re-read by parse_node_json, which names its fields in messages; the
      // nesting limit above bounds dump()'s recursion.
      for (const Json &node : nodes) result.nodes.push_back(node.dump());
    } else {
      refuse("unknown field " + Json(item.key()).dump() + " (it takes input_shape, nodes)");
    }
  }
  if (!has_nodes) refuse("field \"nodes\" is missing (a list of node objects)");
  return result;
}

size_t add_node_json(Model &model, const std::string &node_text) {
  // Checked before parsing so the message does not depend on the description.
  if (model.optimizer()) fail(NNSTATE_ERR_STATE, "cannot add a layer after the optimizer is set");
  const NodeDescription node = parse_node_json(node_text, model.network());
  try {
    return model.add_node(node.config, node.inputs, node.name);
  } catch (const Error &e) {
    // The layer's and the graph's refusals, prefixed with the node they concern.
    const std::string label = node_label(model.network().size(), node.name, node.config);
    fail(e.status(), label + ": " + e.what());
  }
}

void add_network_document(Model &model, const NetworkDocument &document) {
  if (model.network().size() != 0) {
    fail(NNSTATE_ERR_STATE, "a network description is built into an empty network only");
  }
  if (document.input_shape.rank > 0) {
    try {
      model.network().set_sample_input_shape(document.input_shape);
    } catch (const Error &e) {
      fail(e.status(), std::string(kDocument) + ": field \"input_shape\": " + e.what());
    }
  }
  for (const std::string &node : document.nodes) add_node_json(model, node);
}

std::string network_json(const Shape &input_shape, const std::vector<LayerConfig> &layers,
                         const std::vector<NodeLinks> &links) {
  if (links.size() != layers.size()) {
    fail(NNSTATE_ERR_INTERNAL, "network_json: " + std::to_string(layers.size()) + " layers but " +
                                   std::to_string(links.size()) + " links");
  }
  std::string text = "{";
  if (input_shape.rank > 0) {
    Json dims = Json::array();
    for (int32_t i = 0; i < input_shape.rank; ++i) dims.push_back(input_shape[i]);
    text += "\"input_shape\":" + dims.dump() + ",";
  }
  text += "\"nodes\":[";
  for (size_t i = 0; i < layers.size(); ++i) {
    text += (i ? ",\n  " : "\n  ") + node_object(layers[i], links, i).dump();
  }
  text += layers.empty() ? "]}" : "\n]}";
  return text;
}

std::string network_json(const Graph &graph) {
  std::vector<LayerConfig> layers;
  std::vector<NodeLinks> links;
  layers.reserve(graph.size());
  links.reserve(graph.size());
  for (size_t i = 0; i < graph.size(); ++i) {
    layers.push_back(graph.layer(i).config());
    links.push_back(NodeLinks{graph.name(i), graph.inputs(i)});
  }
  return network_json(graph.sample_input_shape(), layers, links);
}

}  // namespace nnstate
