// Saving a Model (and optionally its Trainer): a crash-safe file or a memory buffer.
// Format: container.h (layout) and schemas/checkpoint.fbs (manifest).
#pragma once

#include <cstddef>
#include <cstdint>
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
  int64_t created_unix_ns = 0;  // 0: now (tests fix it to compare files byte for byte)
};

// A checkpoint laid out and described -- its manifest built from the model and trainer on the
// calling thread -- whose tensor bytes are streamed later by write(). Until stage() it reads
// the live tensors; after stage() only its own copy, so write() may then run on another thread
// while training changes the model. write() fills in the CRCs as it streams and may be called
// again (for a second file): every call writes the same bytes.
class CheckpointImage {
 public:
  CheckpointImage(Model &model, const SaveOptions &options);
  ~CheckpointImage();
  CheckpointImage(const CheckpointImage &) = delete;
  CheckpointImage &operator=(const CheckpointImage &) = delete;

  uint64_t data_bytes() const;  // the data section: what stage() copies
  uint64_t file_bytes() const;  // the whole file
  // Copies every tensor into staging[0, data_bytes()) in the file's layout, zero padding
  // included, and reads them from there from now on.
  void stage(unsigned char *staging);
  // With `parallel_crcs`, a large image's CRCs are computed on a helper thread while it is
  // written (the file's bytes are the same either way).
  void write(Sink &sink, bool parallel_crcs = true);

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

// Streams the model's complete state to `path` via a temporary file in the same directory.
void save(Model &model, const std::string &path, const SaveOptions &options);
// Writes into buffer[0, capacity) and returns the checkpoint's size; when that exceeds
// `capacity` nothing usable is written (buffer contents unspecified) and the caller retries.
size_t save_to_buffer(Model &model, void *buffer, size_t capacity, const SaveOptions &options);

}  // namespace nnstate::checkpoint
