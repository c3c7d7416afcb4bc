// The element-wise activations (ReLU, LeakyReLU, Tanh, Sigmoid, GELU): built from their config,
// and their config in the checkpoint, in JSON and in `nnstate diff`.
#include <cfloat>
#include <cmath>

#include "layers/activations.h"
#include "layers/json_fields.h"
#include "layers/layer_spec.h"
#include "util/error.h"

namespace nnstate {
namespace {

// ReLU, Tanh and Sigmoid: no arguments, an empty table.
template <class Activation>
std::unique_ptr<Layer> make_plain(const LayerConfig &, Rng *) {
  return std::make_unique<Activation>();
}
flatbuffers::Offset<void> encode_relu(flatbuffers::FlatBufferBuilder &b, const LayerConfig &) {
  return fb::CreateReLUConfig(b).Union();
}
flatbuffers::Offset<void> encode_tanh(flatbuffers::FlatBufferBuilder &b, const LayerConfig &) {
  return fb::CreateTanhConfig(b).Union();
}
flatbuffers::Offset<void> encode_sigmoid(flatbuffers::FlatBufferBuilder &b, const LayerConfig &) {
  return fb::CreateSigmoidConfig(b).Union();
}

std::unique_ptr<Layer> make_leaky_relu(const LayerConfig &c, Rng *) {
  if (!std::isfinite(c.negative_slope)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "LeakyReLU negative_slope must be finite");
  }
  return std::make_unique<LeakyReLU>(c.negative_slope);
}
flatbuffers::Offset<void> encode_leaky_relu(flatbuffers::FlatBufferBuilder &b,
                                            const LayerConfig &c) {
  return fb::CreateLeakyReLUConfig(b, c.negative_slope).Union();
}
void decode_leaky_relu(const void *table, const TableReader &, LayerConfig &c) {
  c.negative_slope = static_cast<const fb::LeakyReLUConfig *>(table)->negative_slope();
}
void describe_leaky_relu(const LayerConfig &c, ConfigFields &f) {
  f.real("negative_slope", static_cast<double>(c.negative_slope));
}

std::unique_ptr<Layer> make_gelu(const LayerConfig &c, Rng *) {
  return std::make_unique<GELU>(c.gelu_tanh);
}
flatbuffers::Offset<void> encode_gelu(flatbuffers::FlatBufferBuilder &b, const LayerConfig &c) {
  return fb::CreateGELUConfig(b, c.gelu_tanh).Union();
}
void decode_gelu(const void *table, const TableReader &, LayerConfig &c) {
  c.gelu_tanh = static_cast<const fb::GELUConfig *>(table)->tanh_approximation();
}
void describe_gelu(const LayerConfig &c, ConfigFields &f) {
  f.text("approximate", c.gelu_tanh ? "tanh" : "none");
}

constexpr json::Field kNegativeSlope{
    "negative_slope",
    [](const json::Json &v, LayerConfig &c, const json::Where &w) {
      c.negative_slope = static_cast<float>(json::read_real(v, w, -FLT_MAX, FLT_MAX));
    },
    [](const LayerConfig &c) { return json::write_float(c.negative_slope); }};
constexpr json::Argument kLeakyReLUArguments[] = {{&kNegativeSlope, false}};
constexpr json::Field kApproximate{
    "approximate",
    [](const json::Json &v, LayerConfig &c, const json::Where &w) {
      const bool ok = v.is_string() && (v == "none" || v == "tanh");
      if (!ok) w.expected("\"none\" or \"tanh\"", v);
      c.gelu_tanh = v == "tanh";
    },
    [](const LayerConfig &c) { return json::Json(c.gelu_tanh ? "tanh" : "none"); }};
constexpr json::Argument kGELUArguments[] = {{&kApproximate, false}};

}  // namespace

extern const LayerKindSpec relu_spec = [] {
  LayerKindSpec s;
  s.make = make_plain<ReLU>;
  s.encode = encode_relu;
  return s;
}();
extern const LayerKindSpec leaky_relu_spec = [] {
  LayerKindSpec s;
  s.make = make_leaky_relu;
  s.encode = encode_leaky_relu;
  s.decode = decode_leaky_relu;
  s.describe = describe_leaky_relu;
  s.json_arguments = json::arguments(kLeakyReLUArguments);
  return s;
}();
extern const LayerKindSpec tanh_spec = [] {
  LayerKindSpec s;
  s.make = make_plain<Tanh>;
  s.encode = encode_tanh;
  return s;
}();
extern const LayerKindSpec sigmoid_spec = [] {
  LayerKindSpec s;
  s.make = make_plain<Sigmoid>;
  s.encode = encode_sigmoid;
  return s;
}();
extern const LayerKindSpec gelu_spec = [] {
  LayerKindSpec s;
  s.make = make_gelu;
  s.encode = encode_gelu;
  s.decode = decode_gelu;
  s.describe = describe_gelu;
  s.json_arguments = json::arguments(kGELUArguments);
  return s;
}();

}  // namespace nnstate
