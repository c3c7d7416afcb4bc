// A read-only view of a checkpoint file through the C++ wrapper, shared by inspect, dump,
// diff and plot: everything the API exposes about the file, gathered once, plus what the
// tools derive from it (byte counts per role, the per-epoch history).
#pragma once

#include <nnstate/nnstate.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint_io.h"
#include "graph_view.h"

namespace nnstate_cli {

// A tensor's name, role, dtype and shape, with its values.
struct TensorView : nnstate::TensorInfo {
  size_t count = 0;             // elements
  uint64_t bytes = 0;           // count * sizeof(float)
  const float *data = nullptr;  // inside the handle's mapping
  uint32_t crc32c = 0;          // as stored (and verified when the view was opened)
};

// One epoch of the training history (NaN where a value does not exist).
struct HistoryRow {
  int64_t epoch = 0;  // 1-based, as printed by `nnstate train`
  double loss, accuracy, val_loss, val_accuracy, lr, seconds;
};

struct History {
  std::string source;  // where it came from ("" when the file holds none)
  std::vector<HistoryRow> rows;
};

struct CheckpointView {
  CheckpointView(const std::string &file, nnstate::Checkpoint open)
      : path(file), checkpoint(std::move(open)) {}

  std::string path;
  uint64_t file_bytes = 0;
  nnstate::Checkpoint checkpoint;
  nnstate::FormatVersion format;
  std::string writer_version;
  int64_t created_ns = 0;
  nnstate::Environment environment;
  size_t layer_count = 0;
  std::vector<TensorView> tensors;
  nnstate::OptimizerState optimizer;   // kind 0: none
  nnstate::Metadata metadata;          // in file order
  std::vector<nnstate::Field> fields;  // every stored value besides tensors and metadata
  // From rebuilding the network (open_checkpoint_view with `rebuild`), which is the only way
  // the C API gives the learning rate and the input/output sizes.
  bool rebuilt = false;
  std::string rebuild_error;  // why rebuilding failed, when it did
  double lr = 0;
  bool has_lr = false;
  size_t input_size = 0, output_size = 0;
  GraphView graph;  // each node with its output shape and parameters, when rebuilt
  // 1.3, when rebuilt: the frozen parameters and the optimizer's groups (default group first)
  // with their trainable parameter counts.
  std::vector<std::string> frozen;
  std::vector<std::pair<nnstate::Network::ParamGroup, size_t>> param_groups;

  const TensorView *find(const std::string &name) const;
  const std::string *meta(const std::string &key) const;  // nullptr when absent
  uint64_t bytes_of_role(int32_t role) const;
  uint64_t elements_of_role(int32_t role) const;
};

// Opens and fully validates `path` (every CRC) and gathers the view. Failures throw
// std::runtime_error with "PATH: what is wrong".
CheckpointView open_checkpoint_view(const std::string &path, bool rebuild);

// The library's message of a failure about `path`, without its own 'checkpoint "PATH": '
// prefix, so that the file is named once.
std::string file_error(const std::string &path, const nnstate::Error &error);

// Runs `call` (wrapper calls about the file `path`); a library failure is rethrown as
// std::runtime_error "PATH: what is wrong".
template <typename Call>
auto about_file(const std::string &path, Call &&call) -> decltype(call()) {
  try {
    return call();
  } catch (const nnstate::Error &e) {
    throw std::runtime_error(path + ": " + file_error(path, e));
  }
}

// The training history stored in the checkpoint: the trainer's own history when the file holds
// training-loop state, else the cli.history metadata written by older `nnstate train` files.
History checkpoint_history(const CheckpointView &view);
// Parses cli.history's CSV (header row, then one row per epoch; columns found by name).
// Throws std::runtime_error naming `where` and the line when it is malformed.
std::vector<HistoryRow> parse_history_csv(const std::string &text, const std::string &where);

const char *role_name(int32_t role);
const char *dtype_name(int32_t dtype);
const char *optimizer_name(int32_t kind);              // "none" for 0
std::string shape_text(const nnstate::TensorInfo &t);  // "[32, 16]", "[]" for a scalar
std::string format_time_utc(int64_t unix_ns);          // "2025-01-02 03:04:05 UTC"

}  // namespace nnstate_cli
