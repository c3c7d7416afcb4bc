// LayerNorm: built from its config, and its config in the checkpoint, in JSON and in `nnstate
// diff`.
#include "layers/kind_spec.h"
#include "layers/layer_norm.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const LayerNormConfig &c, Rng *) {
  return std::make_unique<LayerNorm>(c);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const LayerNormConfig &c) {
  const Shape &s = c.normalized_shape;
  auto shape = b.CreateVector(s.dims, static_cast<size_t>(s.rank));
  return fb::CreateLayerNormConfig(b, shape, c.eps, c.affine).Union();
}

void decode(const void *table, const TableReader &in, LayerNormConfig &c) {
  const auto *t = static_cast<const fb::LayerNormConfig *>(table);
  c.normalized_shape = in.shape(t->normalized_shape(), "normalized_shape", true);
  c.eps = t->eps();
  c.affine = t->elementwise_affine();
}

void describe(const LayerNormConfig &c, ConfigFields &f) {
  f.text("normalized_shape", c.normalized_shape.to_string());
  f.real("eps", c.eps);
  f.boolean("elementwise_affine", c.affine);
}

// An int or a list of 1 to 3 ints.
constexpr json::Field<LayerNormConfig> kNormalizedShape{
    "normalized_shape",
    [](const json::Json &v, LayerNormConfig &c, const json::Where &w) {
      const char *what = "an integer or a list of 1 to 3 integers";
      Shape shape;
      if (v.is_array()) {
        if (v.empty() || v.size() > 3) w.expected(what, v);
        shape.rank = static_cast<int32_t>(v.size());
        for (size_t i = 0; i < v.size(); ++i) {
          shape.dims[i] = json::read_int(v[i], w, 1, json::kInt64Max, what);
        }
      } else {
        shape.rank = 1;
        shape.dims[0] = json::read_int(v, w, 1, json::kInt64Max, what);
      }
      c.normalized_shape = shape;
    },
    [](const LayerNormConfig &c) {
      json::Json dims = json::Json::array();
      for (int32_t i = 0; i < c.normalized_shape.rank; ++i) dims.push_back(c.normalized_shape[i]);
      return dims;
    }};
constexpr json::Field<LayerNormConfig> kElementwiseAffine{
    "elementwise_affine",
    [](const json::Json &v, LayerNormConfig &c, const json::Where &w) {
      c.affine = json::read_bool(v, w);
    },
    [](const LayerNormConfig &c) { return json::Json(c.affine); }};
constexpr json::Argument<LayerNormConfig> kArguments[] = {
    {kNormalizedShape, true}, {json::kEps<LayerNormConfig>, false}, {kElementwiseAffine, false}};

}  // namespace

extern const KindSpec<LayerNormConfig> layer_norm_spec = [] {
  KindSpec<LayerNormConfig> s;
  s.make = make;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  s.declare = LayerNorm::declare;
  return s;
}();

}  // namespace nnstate
