#include "layers/layer_json.h"

#include <set>

#include "layers/graph.h"
#include "layers/json_fields.h"
#include "layers/layer_spec.h"
#include "layers/registry.h"
#include "util/error.h"

namespace nnstate {
namespace {

using json::describe;
using json::Json;
using json::Where;

// The kind's spec (<kind>_format.cpp), which has its arguments.
const LayerKindSpec &spec_of(LayerKind kind) {
  return *layer_kind_entry(kind).spec;
}

std::string argument_list(const LayerKindSpec &spec) {
  const size_t count = spec.json_argument_count();
  if (count == 0) return "it takes none";
  std::string list = "it takes";
  for (size_t i = 0; i < count; ++i) {
    list += (i ? ", " : " ") + std::string(spec.json_argument_name(i));
  }
  return list;
}

// ---- Parsing -----------------------------------------------------------------------------------

// Parses `text`, refusing duplicate keys (which nlohmann would silently resolve to the last).
Json parse_text(const std::string &text, const std::string &label) {
  std::vector<std::set<std::string>> open_objects;
  auto no_duplicates = [&](int, Json::parse_event_t event, Json &parsed) {
    if (event == Json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == Json::parse_event_t::key && !open_objects.empty()) {
      if (!open_objects.back().insert(parsed.get<std::string>()).second) {
        fail(NNSTATE_ERR_INVALID_ARGUMENT, label + ": duplicate field " + describe(parsed));
      }
    }
    return true;
  };
  try {
    return Json::parse(text, no_duplicates);
  } catch (const Json::exception &e) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, label + ": invalid JSON: " + e.what());
  }
}

LayerKind read_kind(const Json &object, const std::string &label) {
  const auto it = object.find("kind");
  if (it == object.end()) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, label +
                                           ": field \"kind\" is missing (a PyTorch class name "
                                           "such as \"Conv2d\")");
  }
  const Where where{label, "kind"};
  if (!it->is_string()) where.expected("a layer class name", *it);
  if (const LayerKindEntry *entry = find_layer_kind(it->get_ref<const std::string &>())) {
    return entry->kind;
  }
  where.fail("unknown layer kind " + describe(*it));
}

// Reads the arguments of `object` into a config of `kind`, skipping the node fields `skip`.
LayerConfig read_config(const Json &object, LayerKind kind, const std::string &label,
                        const std::set<std::string> &skip) {
  const LayerKindSpec &spec = spec_of(kind);
  const size_t count = spec.json_argument_count();
  LayerConfig config(kind);
  spec.set_json_defaults(config);
  std::set<std::string> seen;
  for (auto item = object.begin(); item != object.end(); ++item) {
    if (item.key() == "kind" || skip.count(item.key())) continue;
    size_t argument = count;
    for (size_t i = 0; i < count; ++i) {
      if (item.key() == spec.json_argument_name(i)) argument = i;
    }
    if (argument == count) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT, label + ": unknown field " + describe(Json(item.key())) +
                                             " (" + argument_list(spec) + ")");
    }
    spec.read_json_argument(argument, item.value(), config,
                            Where{label, spec.json_argument_name(argument)});
    seen.insert(item.key());
  }
  for (size_t i = 0; i < count; ++i) {
    const char *name = spec.json_argument_name(i);
    if (spec.json_argument_required(i) && !seen.count(name)) {
      fail(NNSTATE_ERR_INVALID_ARGUMENT,
           label + ": field \"" + name + "\" is missing (it has no default)");
    }
  }
  return config;
}

std::vector<int32_t> read_inputs(const Json &v, const Graph &graph, const std::string &label) {
  const Where where{label, "inputs"};
  const int64_t index = static_cast<int64_t>(graph.size());
  if (!v.is_array() || v.empty()) where.expected("a non-empty list of node indices or names", v);
  std::vector<int32_t> inputs;
  for (const Json &item : v) {
    if (item.is_string()) {
      const int64_t found = graph.find(item.get_ref<const std::string &>());
      if (found < 0) where.fail("no earlier node is named " + describe(item));
      inputs.push_back(static_cast<int32_t>(found));
    } else {
      // Only earlier nodes: the graph stays acyclic by construction.
      inputs.push_back(
          static_cast<int32_t>(read_int(item, where, Graph::kNetworkInput, index - 1,
                                        "a node index (-1: the network input) or a node name")));
    }
  }
  return inputs;
}

std::string read_name(const Json &object, const std::string &label) {
  const auto it = object.find("name");
  if (it == object.end()) return "";
  if (!it->is_string()) {
    Where{label, "name"}.expected("a string (a module name such as \"layer1.0.conv1\")", *it);
  }
  return it->get<std::string>();
}

Json config_object(const LayerConfig &config) {
  Json object = Json::object();
  object["kind"] = layer_kind_name(config.kind());
  return object;
}

void write_arguments(const LayerConfig &config, Json &object) {
  const LayerKindSpec &spec = spec_of(config.kind());
  for (size_t i = 0; i < spec.json_argument_count(); ++i) {
    object[spec.json_argument_name(i)] = spec.write_json_argument(i, config);
  }
}

const Json &require_object(const Json &document, const std::string &label) {
  if (!document.is_object()) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         label + ": expected a JSON object, got " + describe(document));
  }
  return document;
}

}  // namespace

std::string node_label(size_t index, const std::string &name, const LayerConfig &config) {
  const std::string who = name.empty() ? std::to_string(index) : describe(Json(name));
  return "node " + who + " (" + layer_kind_name(config.kind()) + ")";
}

NodeDescription parse_node_json(const std::string &text, const Graph &graph) {
  const size_t index = graph.size();
  const std::string bare_label = "node " + std::to_string(index);
  const Json document = parse_text(text, bare_label);
  const Json &object = require_object(document, bare_label);
  NodeDescription node;
  node.name = read_name(object, bare_label);
  const std::string named_label =
      node.name.empty() ? bare_label : "node " + describe(Json(node.name));
  const LayerKind kind = read_kind(object, named_label);
  const std::string label = node_label(index, node.name, LayerConfig(kind));
  node.config = read_config(object, kind, label, {"name", "inputs"});
  const auto inputs = object.find("inputs");
  if (inputs != object.end()) {
    node.inputs = read_inputs(*inputs, graph, label);
  } else {
    node.inputs = {index == 0 ? Graph::kNetworkInput : static_cast<int32_t>(index - 1)};
  }
  return node;
}

std::string node_json(const Graph &graph, size_t index) {
  const LayerConfig config = graph.layer(index).config();
  Json object = config_object(config);
  if (!graph.name(index).empty()) object["name"] = graph.name(index);
  Json inputs = Json::array();
  for (int32_t input : graph.inputs(index)) {
    if (input != Graph::kNetworkInput && !graph.name(static_cast<size_t>(input)).empty()) {
      inputs.push_back(graph.name(static_cast<size_t>(input)));
    } else {
      inputs.push_back(input);
    }
  }
  object["inputs"] = inputs;
  write_arguments(config, object);
  return object.dump();
}

std::string layer_config_json(const LayerConfig &config) {
  Json object = config_object(config);
  write_arguments(config, object);
  return object.dump();
}

LayerConfig parse_layer_config_json(const std::string &text, const std::string &label) {
  const Json document = parse_text(text, label);
  const Json &object = require_object(document, label);
  const LayerKind kind = read_kind(object, label);
  return read_config(object, kind, label + " (" + layer_kind_name(kind) + ")", {});
}

}  // namespace nnstate
