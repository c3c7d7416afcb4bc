// The merges (Add, Concat, Multiply): built from their config, and their config in the
// checkpoint, in JSON and in `nnstate diff`.
#include "layers/kind_spec.h"
#include "layers/merge.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make_add(const EmptyConfig &, Rng *) {
  return std::make_unique<Add>();
}
flatbuffers::Offset<void> encode_add(flatbuffers::FlatBufferBuilder &b, const EmptyConfig &) {
  return fb::CreateAddConfig(b).Union();
}

std::unique_ptr<Layer> make_multiply(const EmptyConfig &, Rng *) {
  return std::make_unique<Multiply>();
}
flatbuffers::Offset<void> encode_multiply(flatbuffers::FlatBufferBuilder &b, const EmptyConfig &) {
  return fb::CreateMultiplyConfig(b).Union();
}

std::unique_ptr<Layer> make_concat(const ConcatConfig &c, Rng *) {
  return std::make_unique<Concat>(c.dim);
}
flatbuffers::Offset<void> encode_concat(flatbuffers::FlatBufferBuilder &b, const ConcatConfig &c) {
  return fb::CreateConcatConfig(b, c.dim).Union();
}
void decode_concat(const void *table, const TableReader &, ConcatConfig &c) {
  c.dim = static_cast<const fb::ConcatConfig *>(table)->dim();
}
void describe_concat(const ConcatConfig &c, ConfigFields &f) {
  f.integer("dim", c.dim);
}

constexpr json::Argument<ConcatConfig> kConcatArguments[] = {{json::kDim<ConcatConfig>, false}};
// torch.cat's default dim 0 is the batch; a node concatenates channels or features.
void concat_defaults(ConcatConfig &c) {
  c.dim = 1;
}

}  // namespace

extern const KindSpec<EmptyConfig> add_spec = [] {
  KindSpec<EmptyConfig> s;
  s.make = make_add;
  s.encode = encode_add;
  s.merge = true;
  return s;
}();
extern const KindSpec<ConcatConfig> concat_spec = [] {
  KindSpec<ConcatConfig> s;
  s.make = make_concat;
  s.encode = encode_concat;
  s.decode = decode_concat;
  s.describe = describe_concat;
  s.json_arguments = json::arguments(kConcatArguments);
  s.json_defaults = concat_defaults;
  s.merge = true;
  return s;
}();
extern const KindSpec<EmptyConfig> multiply_spec = [] {
  KindSpec<EmptyConfig> s;
  s.make = make_multiply;
  s.encode = encode_multiply;
  s.merge = true;
  return s;
}();

}  // namespace nnstate
