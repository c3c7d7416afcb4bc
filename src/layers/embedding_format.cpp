// Embedding: built from its config, and its config in the checkpoint, in JSON and in `nnstate
// diff`.
#include "layers/embedding.h"
#include "layers/kind_spec.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const EmbeddingConfig &c, Rng *init_rng) {
  return std::make_unique<Embedding>(c, init_rng);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const EmbeddingConfig &c) {
  return fb::CreateEmbeddingConfig(b, c.num_embeddings, c.embedding_dim, c.padding_idx,
                                   c.has_padding_idx)
      .Union();
}

void decode(const void *table, const TableReader &, EmbeddingConfig &c) {
  const auto *t = static_cast<const fb::EmbeddingConfig *>(table);
  c.num_embeddings = t->num_embeddings();
  c.embedding_dim = t->embedding_dim();
  c.padding_idx = t->padding_idx();
  c.has_padding_idx = t->has_padding_idx();
}

void describe(const EmbeddingConfig &c, ConfigFields &f) {
  f.integer("num_embeddings", c.num_embeddings);
  f.integer("embedding_dim", c.embedding_dim);
  if (c.has_padding_idx) f.integer("padding_idx", c.padding_idx);
}

constexpr json::Field<EmbeddingConfig> kNumEmbeddings =
    json::count_field<&EmbeddingConfig::num_embeddings>("num_embeddings");
constexpr json::Field<EmbeddingConfig> kEmbeddingDim =
    json::count_field<&EmbeddingConfig::embedding_dim>("embedding_dim");
// null (the default) for none; negative counts from the end, as in PyTorch (the layer checks
// it against num_embeddings).
constexpr json::Field<EmbeddingConfig> kPaddingIdx{
    "padding_idx",
    [](const json::Json &v, EmbeddingConfig &c, const json::Where &w) {
      c.has_padding_idx = !v.is_null();
      c.padding_idx = v.is_null() ? 0 : json::read_int(v, w, -json::kInt64Max, json::kInt64Max);
    },
    [](const EmbeddingConfig &c) {
      return c.has_padding_idx ? json::Json(c.padding_idx) : json::Json(nullptr);
    }};
constexpr json::Argument<EmbeddingConfig> kArguments[] = {
    {kNumEmbeddings, true}, {kEmbeddingDim, true}, {kPaddingIdx, false}};

}  // namespace

extern const KindSpec<EmbeddingConfig> embedding_spec = [] {
  KindSpec<EmbeddingConfig> s;
  s.make = make;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  s.declare = Embedding::declare;
  return s;
}();

}  // namespace nnstate
