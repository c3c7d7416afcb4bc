// Flatten: built from its config, and its config in the checkpoint, in JSON and in `nnstate diff`.
#include "layers/flatten.h"
#include "layers/kind_spec.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const FlattenConfig &c, Rng *) {
  return std::make_unique<Flatten>(c);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const FlattenConfig &c) {
  return fb::CreateFlattenConfig(b, c.start_dim, c.end_dim).Union();
}

void decode(const void *table, const TableReader &, FlattenConfig &c) {
  const auto *t = static_cast<const fb::FlattenConfig *>(table);
  c.start_dim = t->start_dim();
  c.end_dim = t->end_dim();
}

void describe(const FlattenConfig &c, ConfigFields &f) {
  f.integer("start_dim", c.start_dim);
  f.integer("end_dim", c.end_dim);
}

constexpr json::Field<FlattenConfig> kStartDim{
    "start_dim",
    [](const json::Json &v, FlattenConfig &c, const json::Where &w) {
      c.start_dim = static_cast<int32_t>(json::read_int(v, w, json::kInt32Min, json::kInt32Max));
    },
    [](const FlattenConfig &c) { return json::Json(c.start_dim); }};
constexpr json::Field<FlattenConfig> kEndDim{
    "end_dim",
    [](const json::Json &v, FlattenConfig &c, const json::Where &w) {
      c.end_dim = static_cast<int32_t>(json::read_int(v, w, json::kInt32Min, json::kInt32Max));
    },
    [](const FlattenConfig &c) { return json::Json(c.end_dim); }};
constexpr json::Argument<FlattenConfig> kArguments[] = {{kStartDim, false}, {kEndDim, false}};

}  // namespace

extern const KindSpec<FlattenConfig> flatten_spec = [] {
  KindSpec<FlattenConfig> s;
  s.make = make;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  return s;
}();

}  // namespace nnstate
