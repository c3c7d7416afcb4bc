#include "api.h"

namespace nnstate_cli {

void check(nnstate_status status, const std::string &context, int code) {
  if (status == NNSTATE_OK) return;
  std::string message = nnstate_last_error();
  if (message.empty()) message = nnstate_status_string(status);
  if (status == NNSTATE_ERR_OUT_OF_MEMORY) code = kExitFailure;
  throw Error(code, context + ": " + message);
}

NetworkPtr build_network(const ArchSpec &spec, uint64_t seed) {
  nnstate_network *raw = nullptr;
  check(nnstate_network_create(&raw, seed), "creating the network");
  NetworkPtr net(raw);
  const std::string context = "building '" + spec.text + "'";
  for (const LayerSpec &l : spec.layers) {
    using Kind = LayerSpec::Kind;
    switch (l.kind) {
      case Kind::linear:
        check(nnstate_network_add_linear(net.get(), l.in, l.out, 1), context);
        break;
      case Kind::relu:
        check(nnstate_network_add_activation(net.get(), NNSTATE_LAYER_RELU), context);
        break;
      case Kind::tanh:
        check(nnstate_network_add_activation(net.get(), NNSTATE_LAYER_TANH), context);
        break;
      case Kind::sigmoid:
        check(nnstate_network_add_activation(net.get(), NNSTATE_LAYER_SIGMOID), context);
        break;
      case Kind::gelu:
      case Kind::gelu_tanh:
        check(nnstate_network_add_gelu(net.get(), l.kind == Kind::gelu_tanh), context);
        break;
      case Kind::leaky_relu:
        check(nnstate_network_add_leaky_relu(net.get(), l.negative_slope), context);
        break;
    }
  }
  return net;
}

int32_t loss_from_name(const std::string &name) {
  if (name == "cross_entropy") return NNSTATE_LOSS_CROSS_ENTROPY;
  if (name == "mse") return NNSTATE_LOSS_MSE;
  if (name == "bce_with_logits") return NNSTATE_LOSS_BCE_WITH_LOGITS;
  return 0;
}

const char *loss_name(int32_t loss) {
  switch (loss) {
    case NNSTATE_LOSS_CROSS_ENTROPY:
      return "cross_entropy";
    case NNSTATE_LOSS_MSE:
      return "mse";
    case NNSTATE_LOSS_BCE_WITH_LOGITS:
      return "bce_with_logits";
    default:
      return "unknown";
  }
}

size_t network_input_size(const nnstate_network *network) {
  size_t n = 0;
  check(nnstate_network_input_size(network, &n), "network input size");
  return n;
}

size_t network_output_size(const nnstate_network *network) {
  size_t n = 0;
  check(nnstate_network_output_size(network, &n), "network output size");
  return n;
}

}  // namespace nnstate_cli
