// C API: graph nodes of any kind, described in JSON (layers/layer_json.h), and back.
#include <cstring>
#include <limits>

#include "guard.h"
#include "handles.h"
#include "layers/layer_json.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;

extern "C" {

nnstate_status nnstate_network_add_node(nnstate_network *network, const char *node_json,
                                        int64_t *index_out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(node_json, "node_json");
    if (index_out) *index_out = -1;
    nnstate::Model &model = network->model;
    // Checked before parsing so the message does not depend on the description.
    if (model.optimizer()) {
      nnstate::fail(NNSTATE_ERR_STATE, "cannot add a layer after the optimizer is set");
    }
    const nnstate::NodeDescription node = nnstate::parse_node_json(node_json, model.network());
    size_t index;
    try {
      index = model.add_node(node.config, node.inputs, node.name);
    } catch (const nnstate::Error &e) {
      // The layer's and the graph's refusals, prefixed with the node they concern.
      const std::string label = nnstate::node_label(model.network().size(), node.name, node.config);
      nnstate::fail(e.status(), label + ": " + e.what());
    }
    network->tensor_names.clear();
    if (index_out) *index_out = static_cast<int64_t>(index);
  });
}

nnstate_status nnstate_network_node_json(const nnstate_network *network, size_t index, char *buffer,
                                         size_t capacity, size_t *size_out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(size_out, "size_out");
    *size_out = 0;
    const nnstate::Graph &graph = const_cast<nnstate_network *>(network)->model.network();
    if (index >= graph.size()) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, "node index " + std::to_string(index) +
                                                      " is out of range (the network has " +
                                                      std::to_string(graph.size()) + " nodes)");
    }
    const std::string text = nnstate::node_json(graph, index);
    const size_t size = text.size() + 1;  // with the terminating NUL
    *size_out = size;
    if (!buffer || size > capacity) {
      nnstate::fail(NNSTATE_ERR_SHAPE_MISMATCH, "the description needs " + std::to_string(size) +
                                                    " bytes, the buffer has " +
                                                    std::to_string(buffer ? capacity : 0));
    }
    std::memcpy(buffer, text.c_str(), size);
  });
}

}  // extern "C"
