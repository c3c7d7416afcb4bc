// C API: the deterministic-across-scale mode of a network (chunked training, src/parallel/).
#include "guard.h"
#include "handles.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;

nnstate_status nnstate_network_set_deterministic(nnstate_network *network, int64_t chunk_size,
                                                 int32_t threads) {
  return guard([&] {
    require_arg(network, "network");
    network->model.set_deterministic(chunk_size, threads);
  });
}

nnstate_status nnstate_network_deterministic(const nnstate_network *network, int64_t *chunk_size,
                                             int32_t *threads) {
  return guard([&] {
    require_arg(network, "network");
    if (chunk_size) *chunk_size = network->model.deterministic_chunk_size();
    if (threads) *threads = static_cast<int32_t>(network->model.deterministic_threads());
  });
}
