// Softmax and LogSoftmax (one class, one table type): built from their config, and their
// config in the checkpoint, in JSON and in `nnstate diff`.
#include "layers/kind_spec.h"
#include "layers/softmax.h"

namespace nnstate {
namespace {

template <bool log>
std::unique_ptr<Layer> make(const SoftmaxConfig &c, Rng *) {
  return std::make_unique<Softmax>(c.dim, log);
}

flatbuffers::Offset<void> encode(flatbuffers::FlatBufferBuilder &b, const SoftmaxConfig &c) {
  return fb::CreateSoftmaxConfig(b, c.dim).Union();
}

void decode(const void *table, const TableReader &, SoftmaxConfig &c) {
  c.dim = static_cast<const fb::SoftmaxConfig *>(table)->dim();
}

void describe(const SoftmaxConfig &c, ConfigFields &f) {
  f.integer("dim", c.dim);
}

constexpr json::Argument<SoftmaxConfig> kArguments[] = {{json::kDim<SoftmaxConfig>, false}};

KindSpec<SoftmaxConfig> softmax_kind_spec(decltype(KindSpec<SoftmaxConfig>::make) make_layer) {
  KindSpec<SoftmaxConfig> s;
  s.make = make_layer;
  s.encode = encode;
  s.decode = decode;
  s.describe = describe;
  s.json_arguments = json::arguments(kArguments);
  s.declared_by_building = true;
  return s;
}

}  // namespace

extern const KindSpec<SoftmaxConfig> softmax_spec = softmax_kind_spec(make<false>);
extern const KindSpec<SoftmaxConfig> log_softmax_spec = softmax_kind_spec(make<true>);

}  // namespace nnstate
