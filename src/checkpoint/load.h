// Loading a checkpoint: rebuild a model from the file alone, load into a model the caller
// built, or resume a trainer. Each loader takes a checkpoint validated once (reader.h); those
// taking a Source validate its manifest first and check each tensor as they read it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint/contents.h"
#include "checkpoint/io.h"
#include "checkpoint/reader.h"
#include "train/model.h"

namespace nnstate::checkpoint {

enum class LoadMode : int32_t {
  full = 0,          // network tensors, optimizer (config and state), loss, RNG states
  weights_only = 1,  // parameters and buffers; the optimizer and RNGs are left alone
};

struct LoadOptions {
  LoadMode mode = LoadMode::full;
  // Check the CRC32C of each tensor read (in full mode: every tensor of the file). Bytes
  // outside tensors are checked to be zero either way. Moot for a checkpoint whose data
  // section was verified already.
  bool verify_crc = true;
};

// Rebuilds a model (layers, loss, optimizer, state) from the checkpoint alone.
std::unique_ptr<Model> load(const ValidatedCheckpoint &checkpoint, const LoadOptions &options);
std::unique_ptr<Model> load(const Source &source, const LoadOptions &options);
// The same from a file whose large tensors (1 MiB and more) stay in the file's pages: each
// becomes a copy-on-write private mapping of the file, checked where it lies, so nothing is
// copied and no memory is taken until a page is written (training copies each page it writes).
// The file must not be truncated or rewritten in place while the model lives (SIGBUS or
// changed values); replacing it by a rename, as save() does, is safe.
std::unique_ptr<Model> load_mapped(const std::string &path, const LoadOptions &options);
// Loads into a model the caller built; its tensors must match the file's exactly (names and
// shapes), else SHAPE_MISMATCH / NOT_FOUND listing every difference, before anything changes.
// In full mode the model's optimizer is replaced by the file's (config and state). A tensor
// whose CRC fails while it is read (only when the data section was not verified before)
// leaves the model partly overwritten.
void load_into(Model &model, const ValidatedCheckpoint &checkpoint, const LoadOptions &options);
void load_into(Model &model, const Source &source, const LoadOptions &options);

// Restores a trainer and its model (fully) from a checkpoint of a trainer. The trainer must be
// set up alike: same batch size, shuffle and drop_last, same scheduler kind, early stopping on
// or off (else STATE naming the difference); the number of epochs may differ (to extend a run).
// Returns warnings, e.g. when the BLAS core type or thread count differ from the file's. Only
// a checkpoint whose data section was verified leaves the trainer untouched on any error
// (except I/O errors of the source while copying).
std::vector<std::string> restore_trainer(Trainer &trainer, const ValidatedCheckpoint &checkpoint);

// The one way to resume: validates the whole file once (header, manifest, every tensor CRC and
// padding byte), then restores the trainer from it without reading or checking anything twice.
// A damaged file, or one that does not fit the trainer, leaves the trainer untouched.
std::vector<std::string> resume_trainer(Trainer &trainer, const Source &source);
// The same from a file, read through a read-only mapping so that its bytes come from the page
// cache once (checked, then copied). The file must not be truncated meanwhile (SIGBUS), as for
// any mapping; the library never truncates a checkpoint, it renames new ones over old ones.
std::vector<std::string> resume_trainer(Trainer &trainer, const std::string &path);

}  // namespace nnstate::checkpoint
