// Saving a Model (and optionally its Trainer): a crash-safe file or a memory buffer.
// Format: container.h (layout) and schemas/checkpoint.fbs (manifest).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint/contents.h"
#include "train/model.h"

namespace nnstate::checkpoint {

struct SaveOptions {
  bool sync = true;                                           // fsync the file and its directory
  std::vector<std::pair<std::string, std::string>> metadata;  // unique, non-empty keys
  // When set (it must train the model being saved), its whole state is saved too: position,
  // shuffle stream, partial epoch sums, history, scheduler and early stopping with best weights.
  const Trainer *trainer = nullptr;
};

// Streams the model's complete state to `path` via a temporary file in the same directory.
void save(Model &model, const std::string &path, const SaveOptions &options);
// Writes into buffer[0, capacity) and returns the checkpoint's size; when that exceeds
// `capacity` nothing usable is written (buffer contents unspecified) and the caller retries.
size_t save_to_buffer(Model &model, void *buffer, size_t capacity, const SaveOptions &options);

}  // namespace nnstate::checkpoint
