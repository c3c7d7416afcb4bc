// What one layer kind provides besides its forward and backward (defined in the kind's
// <kind>_format.cpp, listed in registry.cpp): building the layer, and its options written to
// and read from the checkpoint's FlatBuffers table, JSON and `nnstate diff` fields. The writer
// and the reader of each form sit side by side in the kind's file.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "checkpoint_generated.h"
#include "layers/layer_config.h"

namespace nnstate {

class Rng;

// Checks of the nested values of a kind's checkpoint table, supplied by the reader: their
// refusals (Error CORRUPT) name the file and `field` within the layer's table.
class TableReader {
 public:
  virtual ~TableReader() = default;
  virtual Size2 size2(const fb::Size2 *value, const char *field) const = 0;
  // Rank at most 4, dims not negative (positive when `positive`).
  virtual Shape shape(const flatbuffers::Vector<int64_t> *dims, const char *field,
                      bool positive) const = 0;
};

// Receives a configuration's fields as text for `nnstate diff` (checkpoint/fields.h).
class ConfigFields {
 public:
  virtual ~ConfigFields() = default;
  virtual void text(const std::string &name, const std::string &value) = 0;
  virtual void integer(const std::string &name, int64_t value) = 0;
  virtual void boolean(const std::string &name, bool value) = 0;
  virtual void real(const std::string &name, double value) = 0;  // exact: reads back the same
  virtual void size2(const std::string &name, const Size2 &value) = 0;
};

namespace json {
// Ordered: a description is written (and its errors found) in document order.
using Json = nlohmann::ordered_json;
struct Where;  // layers/json_fields.h
}  // namespace json

inline fb::Size2 size2_struct(const Size2 &s) {
  return fb::Size2(s.h, s.w);
}

// What the dispatchers (factory, checkpoint writer and reader, `nnstate diff` fields, JSON)
// call. Each kind implements it as a KindSpec<its options struct> (layers/kind_spec.h), whose
// typed members its <kind>_format.cpp sets by name; what a kind leaves out it does not have.
class LayerKindSpec {
 public:
  virtual ~LayerKindSpec() = default;

  // The kind's options struct with its defaults, and whether `options` are of that struct.
  virtual LayerOptions default_options() const = 0;
  virtual bool holds(const LayerOptions &options) const = 0;

  // The layer, initialised from `init_rng` (zero when null); throws Error on a bad config.
  virtual std::unique_ptr<Layer> make_layer(const LayerConfig &config, Rng *init_rng) const = 0;
  // The kind's table of the schema's LayerConfig union (its type number is the LayerKind).
  virtual flatbuffers::Offset<void> encode_table(flatbuffers::FlatBufferBuilder &builder,
                                                 const LayerConfig &config) const = 0;
  // Fills `config` (of the kind, with its defaults) from the Verifier-checked `table`.
  virtual void decode_table(const void *table, const TableReader &reader,
                            LayerConfig &config) const = 0;
  // The fields that matter for the kind, for `nnstate diff`.
  virtual void describe_fields(const LayerConfig &config, ConfigFields &fields) const = 0;
  // Reports the tensors a layer of `config` (valid: checkpoint/declarations.h) would hold,
  // named `prefix` + "weight" ..., as tensors with a shape and no storage; the same list the
  // built layer's visit_tensors reports (layers/layer_state.h). Nothing for a kind with none.
  virtual void declare_tensors(const LayerConfig &config, const std::string &prefix,
                               StateVisitor &visitor) const = 0;

  // Its JSON arguments (layers/layer_json.h), in PyTorch's constructor order.
  virtual size_t json_argument_count() const = 0;
  virtual const char *json_argument_name(size_t i) const = 0;
  virtual bool json_argument_required(size_t i) const = 0;  // PyTorch has no default for it
  virtual void read_json_argument(size_t i, const json::Json &value, LayerConfig &config,
                                  const json::Where &where) const = 0;
  virtual json::Json write_json_argument(size_t i, const LayerConfig &config) const = 0;
  // Sets the JSON defaults that differ from the options struct's.
  virtual void set_json_defaults(LayerConfig &config) const = 0;

  // Whether it holds no tensors and building it allocates nothing: the checks of an unbuilt
  // configuration (checkpoint/declarations.h) then build it and ask the layer itself. When
  // false, declarations.cpp has the kind's rules as arithmetic.
  bool declared_by_building = false;
  // Whether its nodes take two or more inputs (a merge: layers/merge.h).
  bool merge = false;
};

}  // namespace nnstate
