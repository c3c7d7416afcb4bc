#include "layers/factory.h"

#include "layers/layer_spec.h"
#include "layers/registry.h"
#include "util/error.h"

namespace nnstate {

bool LayerConfig::operator==(const LayerConfig &o) const {
  return kind == o.kind && in_features == o.in_features && out_features == o.out_features &&
         bias == o.bias && negative_slope == o.negative_slope && gelu_tanh == o.gelu_tanh &&
         in_channels == o.in_channels && out_channels == o.out_channels &&
         kernel_size == o.kernel_size && stride == o.stride && padding == o.padding &&
         dilation == o.dilation && groups == o.groups && num_features == o.num_features &&
         eps == o.eps && momentum == o.momentum && affine == o.affine &&
         track_running_stats == o.track_running_stats && p == o.p &&
         normalized_shape == o.normalized_shape && start_dim == o.start_dim &&
         end_dim == o.end_dim && count_include_pad == o.count_include_pad &&
         output_size == o.output_size && dim == o.dim && num_embeddings == o.num_embeddings &&
         embedding_dim == o.embedding_dim && has_padding_idx == o.has_padding_idx &&
         padding_idx == o.padding_idx && padding_same == o.padding_same;
}

bool is_merge_kind(LayerKind kind) {
  const LayerKindEntry *entry = find_layer_kind(kind);
  return entry && entry->spec->merge;
}

const char *layer_kind_name(LayerKind kind) {
  const LayerKindEntry *entry = find_layer_kind(kind);
  return entry ? entry->torch_name : "unknown";
}

std::unique_ptr<Layer> make_layer(const LayerConfig &config, Rng *init_rng) {
  return layer_kind_entry(config.kind).spec->make(config, init_rng);
}

}  // namespace nnstate
