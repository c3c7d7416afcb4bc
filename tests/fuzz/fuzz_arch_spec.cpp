// The --arch mini-language (tools/nnstate/arch_spec.h): every accepted spec respects the width
// and parameter limits, and is then built as a real network through the C API.
#include <cstdlib>
#include <string>

#include "arch_spec.h"
#include "error.h"
#include "fuzz_target.h"
#include "nnstate/nnstate.h"

namespace {

void build(const nnstate_cli::ArchSpec &spec) {
  using Kind = nnstate_cli::LayerSpec::Kind;
  nnstate_network *net = nullptr;
  if (nnstate_network_create(&net, 1) != NNSTATE_OK) return;
  for (const nnstate_cli::LayerSpec &layer : spec.layers) {
    switch (layer.kind) {
      case Kind::linear:
        nnstate_network_add_linear(net, layer.in, layer.out, 1);
        break;
      case Kind::relu:
        nnstate_network_add_activation(net, NNSTATE_LAYER_RELU);
        break;
      case Kind::tanh:
        nnstate_network_add_activation(net, NNSTATE_LAYER_TANH);
        break;
      case Kind::sigmoid:
        nnstate_network_add_activation(net, NNSTATE_LAYER_SIGMOID);
        break;
      case Kind::gelu:
        nnstate_network_add_gelu(net, 0);
        break;
      case Kind::gelu_tanh:
        nnstate_network_add_gelu(net, 1);
        break;
      case Kind::leaky_relu:
        nnstate_network_add_leaky_relu(net, layer.negative_slope);
        break;
    }
  }
  nnstate_network_free(net);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 4096) return 0;  // specs are short; long ones only repeat items
  try {
    const nnstate_cli::ArchSpec spec =
        nnstate_cli::parse_arch_spec(std::string(reinterpret_cast<const char *>(data), size));
    if (spec.parameters > nnstate_cli::kMaxParameters) std::abort();
    for (const nnstate_cli::LayerSpec &layer : spec.layers) {
      if (layer.kind == nnstate_cli::LayerSpec::Kind::linear &&
          (layer.in > nnstate_cli::kMaxWidth || layer.out > nnstate_cli::kMaxWidth)) {
        std::abort();
      }
    }
    nnstate_cli::describe(spec);
    // Up to 2^31 parameters is 8 GiB of weights plus gradients: build only small networks.
    if (spec.parameters <= (uint64_t{1} << 20)) build(spec);
  } catch (const nnstate_cli::Error &) {
  }
  return 0;
}
