// Embedding: built from its config, and its config in the checkpoint, in JSON and in `nnstate
// diff`.
#include "layers/embedding.h"
#include "layers/json_fields.h"
#include "layers/layer_spec.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const LayerConfig &c, Rng *init_rng) {
  return std::make_unique<Embedding>(c, init_rng);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const LayerConfig &c) {
  return fb::CreateEmbeddingConfig(b, c.num_embeddings, c.embedding_dim, c.padding_idx,
                                   c.has_padding_idx)
      .Union();
}

void decode(const void *table, const TableReader &, LayerConfig &c) {
  const auto *t = static_cast<const fb::EmbeddingConfig *>(table);
  c.num_embeddings = t->num_embeddings();
  c.embedding_dim = t->embedding_dim();
  c.padding_idx = t->padding_idx();
  c.has_padding_idx = t->has_padding_idx();
}

void describe(const LayerConfig &c, ConfigFields &f) {
  f.integer("num_embeddings", c.num_embeddings);
  f.integer("embedding_dim", c.embedding_dim);
  if (c.has_padding_idx) f.integer("padding_idx", c.padding_idx);
}

constexpr json::Field kNumEmbeddings =
    json::count_field<&LayerConfig::num_embeddings>("num_embeddings");
constexpr json::Field kEmbeddingDim =
    json::count_field<&LayerConfig::embedding_dim>("embedding_dim");
// null (the default) for none; negative counts from the end, as in PyTorch (the layer checks
// it against num_embeddings).
constexpr json::Field kPaddingIdx{
    "padding_idx",
    [](const json::Json &v, LayerConfig &c, const json::Where &w) {
      c.has_padding_idx = !v.is_null();
      c.padding_idx = v.is_null() ? 0 : json::read_int(v, w, -json::kInt64Max, json::kInt64Max);
    },
    [](const LayerConfig &c) {
      return c.has_padding_idx ? json::Json(c.padding_idx) : json::Json(nullptr);
    }};
constexpr json::Argument kArguments[] = {
    {&kNumEmbeddings, true}, {&kEmbeddingDim, true}, {&kPaddingIdx, false}};

}  // namespace

extern const LayerKindSpec embedding_spec = [] {
  LayerKindSpec s;
  s.make = make;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  s.declare = Embedding::declare;
  return s;
}();

}  // namespace nnstate
