// Checkpoints of a Model: save (crash-safe file or memory buffer), validate untrusted bytes,
// verify, rebuild a model from a file alone, or load into a model the caller built.
// Format: container.h (layout) and schemas/checkpoint.fbs (manifest).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint/contents.h"
#include "checkpoint/io.h"
#include "train/model.h"

namespace nnstate::checkpoint {

struct SaveOptions {
  bool sync = true;                                           // fsync the file and its directory
  std::vector<std::pair<std::string, std::string>> metadata;  // unique, non-empty keys
  // When set (it must train the model being saved), its whole state is saved too: position,
  // shuffle stream, partial epoch sums, history, scheduler and early stopping with best weights.
  const Trainer *trainer = nullptr;
};

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

// Streams the model's complete state to `path` via a temporary file in the same directory.
void save(Model &model, const std::string &path, const SaveOptions &options);
// Writes into buffer[0, capacity) and returns the checkpoint's size; when that exceeds
// `capacity` nothing usable is written (buffer contents unspecified) and the caller retries.
size_t save_to_buffer(Model &model, void *buffer, size_t capacity, const SaveOptions &options);

// Header, manifest CRC, FlatBuffers verification and semantic checks (no tensor data read).
Contents read_contents(const Source &source);
// Every tensor CRC and every padding byte; with read_contents this checks every byte.
void verify_data(const Source &source, const Contents &contents);
// verify_data, or without `verify_crc` only the bytes outside tensors (padding and any
// unreferenced block must be zero): what opening a file for inspection checks.
void check_data(const Source &source, const Contents &contents, bool verify_crc);

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
