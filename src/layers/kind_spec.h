// A layer kind's spec over its own options struct: the kind's <kind>_format.cpp sets these
// typed members by name (what it leaves out, the kind does not have), and the overrides
// below give them to the dispatchers (layers/layer_spec.h) with the options taken out of the
// LayerConfig, an internal error if it holds another kind's.
#pragma once

#include <memory>
#include <string>

#include "layers/json_fields.h"
#include "layers/layer_spec.h"
#include "util/error.h"

namespace nnstate {

template <class Options>
class KindSpec final : public LayerKindSpec {
 public:
  std::unique_ptr<Layer> (*make)(const Options &options, Rng *init_rng) = nullptr;
  flatbuffers::Offset<void> (*encode)(flatbuffers::FlatBufferBuilder &builder,
                                      const Options &options) = nullptr;
  // Null: the table has no fields.
  void (*decode)(const void *table, const TableReader &reader, Options &options) = nullptr;
  void (*describe)(const Options &options, ConfigFields &fields) = nullptr;  // null: none
  json::Arguments<Options> json_arguments;
  void (*json_defaults)(Options &options) = nullptr;  // null: the struct's defaults
  // Null: it holds no tensors.
  void (*declare)(const Options &options, const std::string &prefix,
                  StateVisitor &visitor) = nullptr;

  LayerOptions default_options() const override { return Options{}; }
  bool holds(const LayerOptions &options) const override {
    return std::holds_alternative<Options>(options);
  }
  std::unique_ptr<Layer> make_layer(const LayerConfig &config, Rng *init_rng) const override {
    if (!make) fail(NNSTATE_ERR_INTERNAL, missing(config, "make"));
    return make(config.as<Options>(), init_rng);
  }
  flatbuffers::Offset<void> encode_table(flatbuffers::FlatBufferBuilder &builder,
                                         const LayerConfig &config) const override {
    if (!encode) fail(NNSTATE_ERR_INTERNAL, missing(config, "encode"));
    return encode(builder, config.as<Options>());
  }
  void decode_table(const void *table, const TableReader &reader,
                    LayerConfig &config) const override {
    if (decode) decode(table, reader, config.as<Options>());
  }
  void describe_fields(const LayerConfig &config, ConfigFields &fields) const override {
    if (describe) describe(config.as<Options>(), fields);
  }
  void declare_tensors(const LayerConfig &config, const std::string &prefix,
                       StateVisitor &visitor) const override {
    if (declare) declare(config.as<Options>(), prefix, visitor);
  }

  size_t json_argument_count() const override { return json_arguments.count; }
  const char *json_argument_name(size_t i) const override { return argument(i).field.name; }
  bool json_argument_required(size_t i) const override { return argument(i).required; }
  void read_json_argument(size_t i, const json::Json &value, LayerConfig &config,
                          const json::Where &where) const override {
    argument(i).field.read(value, config.as<Options>(), where);
  }
  json::Json write_json_argument(size_t i, const LayerConfig &config) const override {
    return argument(i).field.write(config.as<Options>());
  }
  void set_json_defaults(LayerConfig &config) const override {
    if (json_defaults) json_defaults(config.as<Options>());
  }

 private:
  static std::string missing(const LayerConfig &config, const char *what) {
    return std::string(layer_kind_name(config.kind())) + " has no " + what;
  }
  const json::Argument<Options> &argument(size_t i) const {
    if (i >= json_arguments.count)
      fail(NNSTATE_ERR_INTERNAL, "no JSON argument " + std::to_string(i));
    return json_arguments.begin[i];
  }
};

}  // namespace nnstate
