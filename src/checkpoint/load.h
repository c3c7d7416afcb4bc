// Loading a checkpoint: rebuild a model from the file alone, load into a model the caller
// built, or restore a trainer to resume.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint/contents.h"
#include "checkpoint/io.h"
#include "train/model.h"

namespace nnstate::checkpoint {

enum class LoadMode : int32_t {
  full = 0,          // network tensors, optimizer (config and state), loss, RNG states
  weights_only = 1,  // parameters and buffers; the optimizer and RNGs are left alone
};

struct LoadOptions {
  LoadMode mode = LoadMode::full;
  // Check the CRC32C of each tensor read (in full mode: every tensor of the file). Bytes
  // outside tensors are checked to be zero either way.
  bool verify_crc = true;
};

// Rebuilds a model (layers, loss, optimizer, state) from the checkpoint alone.
std::unique_ptr<Model> load(const Source &source, const LoadOptions &options);
// Loads into a model the caller built; its tensors must match the file's exactly (names and
// shapes), else SHAPE_MISMATCH / NOT_FOUND listing every difference, before anything changes.
// In full mode the model's optimizer is replaced by the file's (config and state).
void load_into(Model &model, const Source &source, const LoadOptions &options);
// Restores a trainer and its model (fully) from a checkpoint of a trainer. The trainer must be
// set up alike: same batch size, shuffle and drop_last, same scheduler kind, early stopping on
// or off (else STATE naming the difference); the number of epochs may differ (to extend a run).
// Returns warnings, e.g. when the BLAS core type or thread count differ from the file's.
std::vector<std::string> restore_trainer(Trainer &trainer, const Source &source,
                                         const LoadOptions &options);

}  // namespace nnstate::checkpoint
