// BatchNorm1d and BatchNorm2d (one class, one table type): built from their config, and
// their config in the checkpoint, in JSON and in `nnstate diff`.
#include <limits>

#include "layers/batch_norm.h"
#include "layers/kind_spec.h"

namespace nnstate {
namespace {

template <LayerKind kind>
std::unique_ptr<Layer> make(const BatchNormConfig &c, Rng *) {
  return std::make_unique<BatchNorm>(kind, c);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const BatchNormConfig &c) {
  return fb::CreateBatchNormConfig(b, c.num_features, c.eps, c.momentum, c.affine,
                                   c.track_running_stats)
      .Union();
}

void decode(const void *table, const TableReader &, BatchNormConfig &c) {
  const auto *t = static_cast<const fb::BatchNormConfig *>(table);
  c.num_features = t->num_features();
  c.eps = t->eps();
  c.momentum = t->momentum();
  c.affine = t->affine();
  c.track_running_stats = t->track_running_stats();
}

void describe(const BatchNormConfig &c, ConfigFields &f) {
  f.integer("num_features", c.num_features);
  f.real("eps", c.eps);
  f.real("momentum", c.momentum);
  f.boolean("affine", c.affine);
  f.boolean("track_running_stats", c.track_running_stats);
}

constexpr json::Field<BatchNormConfig> kMomentum{
    "momentum",
    [](const json::Json &v, BatchNormConfig &c, const json::Where &w) {
      if (v.is_null()) w.fail("null (a cumulative average) is not supported");
      c.momentum = json::read_real(v, w, -std::numeric_limits<double>::max(),
                                   std::numeric_limits<double>::max());
    },
    [](const BatchNormConfig &c) { return json::Json(c.momentum); }};
constexpr json::Field<BatchNormConfig> kAffine{
    "affine",
    [](const json::Json &v, BatchNormConfig &c, const json::Where &w) {
      c.affine = json::read_bool(v, w);
    },
    [](const BatchNormConfig &c) { return json::Json(c.affine); }};
constexpr json::Field<BatchNormConfig> kTrackRunningStats{
    "track_running_stats",
    [](const json::Json &v, BatchNormConfig &c, const json::Where &w) {
      c.track_running_stats = json::read_bool(v, w);
    },
    [](const BatchNormConfig &c) { return json::Json(c.track_running_stats); }};
constexpr json::Argument<BatchNormConfig> kArguments[] = {
    {json::count_field<&BatchNormConfig::num_features>("num_features"), true},
    {json::kEps<BatchNormConfig>, false},
    {kMomentum, false},
    {kAffine, false},
    {kTrackRunningStats, false}};

KindSpec<BatchNormConfig> batch_norm_kind_spec(
    decltype(KindSpec<BatchNormConfig>::make) make_layer) {
  KindSpec<BatchNormConfig> s;
  s.make = make_layer;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  s.declare = BatchNorm::declare;
  return s;
}

}  // namespace

extern const KindSpec<BatchNormConfig> batch_norm1d_spec =
    batch_norm_kind_spec(make<LayerKind::batch_norm1d>);
extern const KindSpec<BatchNormConfig> batch_norm2d_spec =
    batch_norm_kind_spec(make<LayerKind::batch_norm2d>);

}  // namespace nnstate
