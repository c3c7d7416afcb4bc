// What one layer kind provides besides its forward and backward (defined in the kind's
// <kind>_format.cpp, listed in registry.cpp): building the layer, and its configuration
// written to and read from the checkpoint's FlatBuffers table, JSON and `nnstate diff`
// fields. The writer and the reader of each form sit side by side in the kind's file.
#pragma once

#include <memory>
#include <string>

#include "checkpoint_generated.h"
#include "layers/layer.h"

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
struct Argument;  // layers/json_fields.h
// A kind's JSON arguments, in PyTorch's constructor order.
struct Arguments {
  const Argument *begin = nullptr;
  size_t count = 0;
};
}  // namespace json

inline fb::Size2 size2_struct(const Size2 &s) {
  return fb::Size2(s.h, s.w);
}

// Filled by name in each <kind>_format.cpp; what a kind leaves out it does not have.
struct LayerKindSpec {
  // The layer, initialised from `init_rng` (zero when null); throws Error on a bad config.
  std::unique_ptr<Layer> (*make)(const LayerConfig &config, Rng *init_rng) = nullptr;
  // The kind's table of the schema's LayerConfig union (its type number is the LayerKind).
  flatbuffers::Offset<void> (*encode)(flatbuffers::FlatBufferBuilder &builder,
                                      const LayerConfig &config) = nullptr;
  // Fills `config` (default-constructed, kind set) from the Verifier-checked `table`. Null:
  // the table has no fields.
  void (*decode)(const void *table, const TableReader &reader, LayerConfig &config) = nullptr;
  // The fields that matter for the kind, for `nnstate diff`. Null: none.
  void (*describe)(const LayerConfig &config, ConfigFields &fields) = nullptr;
  // Its JSON arguments (layers/layer_json.h), and the defaults that differ from LayerConfig's
  // (null: none).
  json::Arguments json_arguments;
  void (*json_defaults)(LayerConfig &config) = nullptr;
  // Reports the tensors a layer of `config` (valid: checkpoint/declarations.h) would hold,
  // named `prefix` + "weight" ..., as tensors with a shape and no storage; the same list the
  // built layer's visit_tensors reports (layers/layer_state.h). Null: it holds none.
  void (*declare)(const LayerConfig &config, const std::string &prefix,
                  StateVisitor &visitor) = nullptr;
  // Whether it holds no tensors and building it allocates nothing: the checks of an unbuilt
  // configuration (checkpoint/declarations.h) then build it and ask the layer itself. When
  // false, declarations.cpp has the kind's rules as arithmetic.
  bool declared_by_building = false;
  // Whether its nodes take two or more inputs (a merge: layers/merge.h).
  bool merge = false;
};

}  // namespace nnstate
