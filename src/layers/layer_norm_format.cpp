// LayerNorm: built from its config, and its config in the checkpoint and in `nnstate diff`.
#include "layers/layer_norm.h"
#include "layers/layer_spec.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const LayerConfig &c, Rng *) {
  return std::make_unique<LayerNorm>(c);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const LayerConfig &c) {
  const Shape &s = c.normalized_shape;
  auto shape = b.CreateVector(s.dims, static_cast<size_t>(s.rank));
  return fb::CreateLayerNormConfig(b, shape, c.eps, c.affine).Union();
}

void decode(const void *table, const TableReader &in, LayerConfig &c) {
  const auto *t = static_cast<const fb::LayerNormConfig *>(table);
  c.normalized_shape = in.shape(t->normalized_shape(), "normalized_shape", true);
  c.eps = t->eps();
  c.affine = t->elementwise_affine();
}

void describe(const LayerConfig &c, ConfigFields &f) {
  f.text("normalized_shape", c.normalized_shape.to_string());
  f.real("eps", c.eps);
  f.boolean("elementwise_affine", c.affine);
}

}  // namespace

extern const LayerKindSpec layer_norm_spec{make, encode, decode, describe};

}  // namespace nnstate
