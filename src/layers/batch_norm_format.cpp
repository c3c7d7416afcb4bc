// BatchNorm1d and BatchNorm2d (one class, one table type): built from their config, and
// their config in the checkpoint, in JSON and in `nnstate diff`.
#include <limits>

#include "layers/batch_norm.h"
#include "layers/json_fields.h"
#include "layers/layer_spec.h"

namespace nnstate {
namespace {

std::unique_ptr<Layer> make(const LayerConfig &c, Rng *) {
  return std::make_unique<BatchNorm>(c);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const LayerConfig &c) {
  return fb::CreateBatchNormConfig(b, c.num_features, c.eps, c.momentum, c.affine,
                                   c.track_running_stats)
      .Union();
}

void decode(const void *table, const TableReader &, LayerConfig &c) {
  const auto *t = static_cast<const fb::BatchNormConfig *>(table);
  c.num_features = t->num_features();
  c.eps = t->eps();
  c.momentum = t->momentum();
  c.affine = t->affine();
  c.track_running_stats = t->track_running_stats();
}

void describe(const LayerConfig &c, ConfigFields &f) {
  f.integer("num_features", c.num_features);
  f.real("eps", c.eps);
  f.real("momentum", c.momentum);
  f.boolean("affine", c.affine);
  f.boolean("track_running_stats", c.track_running_stats);
}

constexpr json::Field kMomentum{"momentum",
                                [](const json::Json &v, LayerConfig &c, const json::Where &w) {
                                  if (v.is_null())
                                    w.fail("null (a cumulative average) is not supported");
                                  c.momentum =
                                      json::read_real(v, w, -std::numeric_limits<double>::max(),
                                                      std::numeric_limits<double>::max());
                                },
                                [](const LayerConfig &c) { return json::Json(c.momentum); }};
constexpr json::Field kAffine{"affine",
                              [](const json::Json &v, LayerConfig &c, const json::Where &w) {
                                c.affine = json::read_bool(v, w);
                              },
                              [](const LayerConfig &c) { return json::Json(c.affine); }};
constexpr json::Field kTrackRunningStats{
    "track_running_stats",
    [](const json::Json &v, LayerConfig &c, const json::Where &w) {
      c.track_running_stats = json::read_bool(v, w);
    },
    [](const LayerConfig &c) { return json::Json(c.track_running_stats); }};
constexpr json::Argument kArguments[] = {{&json::kNumFeatures, true},
                                         {&json::kEps, false},
                                         {&kMomentum, false},
                                         {&kAffine, false},
                                         {&kTrackRunningStats, false}};

}  // namespace

extern const LayerKindSpec batch_norm_spec = [] {
  LayerKindSpec s;
  s.make = make;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  s.declare = BatchNorm::declare;
  return s;
}();

}  // namespace nnstate
