// C API: graph nodes of any kind, described in JSON (layers/layer_json.h), and back.
#include "guard.h"
#include "handles.h"
#include "layers/layer_json.h"
#include "text_out.h"
#include "train/network_json.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;

extern "C" {

nnstate_status nnstate_network_add_node(nnstate_network *network, const char *node_json,
                                        int64_t *index_out) {
  return guard([&] {
    require_arg(network, "network");
    require_arg(node_json, "node_json");
    if (index_out) *index_out = -1;
    const size_t index = nnstate::add_node_json(network->model, node_json);
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
    nnstate::capi::copy_text_out(nnstate::node_json(graph, index), buffer, capacity, size_out);
  });
}

}  // extern "C"
