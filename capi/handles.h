// The structs behind the opaque C handles. Each owns its core object; the C API functions are
// thin: check arguments, call the core, map errors (guard.h).
#pragma once

#include <string>
#include <vector>

#include "train/model.h"

struct nnstate_network {
  explicit nnstate_network(uint64_t seed) : model(seed) {}
  nnstate::Model model;
  // Tensor names handed out by nnstate_network_tensor_info, rebuilt when layers change.
  std::vector<std::string> tensor_names;
};

#include <memory>

#include "checkpoint/contents.h"
#include "checkpoint/fields.h"
#include "checkpoint/io.h"

// An open checkpoint: its bytes (mapping or owned copy) and its validated manifest.
struct nnstate_checkpoint {
  std::unique_ptr<nnstate::checkpoint::Source> source;
  nnstate::checkpoint::Contents contents;
  // The named fields of nnstate_checkpoint_field_*, built on first use from `contents`.
  mutable std::vector<nnstate::checkpoint::Field> fields;
  mutable bool fields_built = false;
};
