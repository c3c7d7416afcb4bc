// The element-wise activations (ReLU, LeakyReLU, Tanh, Sigmoid, GELU): built from their config,
// and their config in the checkpoint, in JSON and in `nnstate diff`.
#include <cfloat>
#include <cmath>

#include "layers/activations.h"
#include "layers/kind_spec.h"
#include "util/error.h"

namespace nnstate {
namespace {

// ReLU, Tanh and Sigmoid: no arguments, an empty table.
template <class Activation>
std::unique_ptr<Layer> make_plain(const EmptyConfig &, Rng *) {
  return std::make_unique<Activation>();
}
flatbuffers::Offset<void> encode_relu(flatbuffers::FlatBufferBuilder &b, const EmptyConfig &) {
  return fb::CreateReLUConfig(b).Union();
}
flatbuffers::Offset<void> encode_tanh(flatbuffers::FlatBufferBuilder &b, const EmptyConfig &) {
  return fb::CreateTanhConfig(b).Union();
}
flatbuffers::Offset<void> encode_sigmoid(flatbuffers::FlatBufferBuilder &b, const EmptyConfig &) {
  return fb::CreateSigmoidConfig(b).Union();
}

std::unique_ptr<Layer> make_leaky_relu(const LeakyReLUConfig &c, Rng *) {
  if (!std::isfinite(c.negative_slope)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "LeakyReLU negative_slope must be finite");
  }
  return std::make_unique<LeakyReLU>(c.negative_slope);
}
flatbuffers::Offset<void> encode_leaky_relu(flatbuffers::FlatBufferBuilder &b,
                                            const LeakyReLUConfig &c) {
  return fb::CreateLeakyReLUConfig(b, c.negative_slope).Union();
}
void decode_leaky_relu(const void *table, const TableReader &, LeakyReLUConfig &c) {
  c.negative_slope = static_cast<const fb::LeakyReLUConfig *>(table)->negative_slope();
}
void describe_leaky_relu(const LeakyReLUConfig &c, ConfigFields &f) {
  f.real("negative_slope", static_cast<double>(c.negative_slope));
}

std::unique_ptr<Layer> make_gelu(const GELUConfig &c, Rng *) {
  return std::make_unique<GELU>(c.tanh_approximation);
}
flatbuffers::Offset<void> encode_gelu(flatbuffers::FlatBufferBuilder &b, const GELUConfig &c) {
  return fb::CreateGELUConfig(b, c.tanh_approximation).Union();
}
void decode_gelu(const void *table, const TableReader &, GELUConfig &c) {
  c.tanh_approximation = static_cast<const fb::GELUConfig *>(table)->tanh_approximation();
}
void describe_gelu(const GELUConfig &c, ConfigFields &f) {
  f.text("approximate", c.tanh_approximation ? "tanh" : "none");
}

constexpr json::Field<LeakyReLUConfig> kNegativeSlope{
    "negative_slope",
    [](const json::Json &v, LeakyReLUConfig &c, const json::Where &w) {
      c.negative_slope = static_cast<float>(json::read_real(v, w, -FLT_MAX, FLT_MAX));
    },
    [](const LeakyReLUConfig &c) { return json::write_float(c.negative_slope); }};
constexpr json::Argument<LeakyReLUConfig> kLeakyReLUArguments[] = {{kNegativeSlope, false}};
constexpr json::Field<GELUConfig> kApproximate{
    "approximate",
    [](const json::Json &v, GELUConfig &c, const json::Where &w) {
      const bool ok = v.is_string() && (v == "none" || v == "tanh");
      if (!ok) w.expected("\"none\" or \"tanh\"", v);
      c.tanh_approximation = v == "tanh";
    },
    [](const GELUConfig &c) { return json::Json(c.tanh_approximation ? "tanh" : "none"); }};
constexpr json::Argument<GELUConfig> kGELUArguments[] = {{kApproximate, false}};

}  // namespace

extern const KindSpec<EmptyConfig> relu_spec = [] {
  KindSpec<EmptyConfig> s;
  s.make = make_plain<ReLU>;
  s.encode = encode_relu;
  return s;
}();
extern const KindSpec<LeakyReLUConfig> leaky_relu_spec = [] {
  KindSpec<LeakyReLUConfig> s;
  s.make = make_leaky_relu;
  s.encode = encode_leaky_relu;
  s.decode = decode_leaky_relu;
  s.describe = describe_leaky_relu;
  s.json_arguments = json::arguments(kLeakyReLUArguments);
  return s;
}();
extern const KindSpec<EmptyConfig> tanh_spec = [] {
  KindSpec<EmptyConfig> s;
  s.make = make_plain<Tanh>;
  s.encode = encode_tanh;
  return s;
}();
extern const KindSpec<EmptyConfig> sigmoid_spec = [] {
  KindSpec<EmptyConfig> s;
  s.make = make_plain<Sigmoid>;
  s.encode = encode_sigmoid;
  return s;
}();
extern const KindSpec<GELUConfig> gelu_spec = [] {
  KindSpec<GELUConfig> s;
  s.make = make_gelu;
  s.encode = encode_gelu;
  s.decode = decode_gelu;
  s.describe = describe_gelu;
  s.json_arguments = json::arguments(kGELUArguments);
  return s;
}();

}  // namespace nnstate
