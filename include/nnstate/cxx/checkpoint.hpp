// nnstate C++ wrapper: nnstate::Checkpoint, an open checkpoint file for inspection (part of
// nnstate.hpp). Saving and loading are Network::save/load and Trainer::save/resume.
#ifndef NNSTATE_CXX_CHECKPOINT_HPP
#define NNSTATE_CXX_CHECKPOINT_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nnstate/cxx/error.hpp"
#include "nnstate/cxx/options.hpp"

namespace nnstate {

// Checks every byte of a checkpoint (nnstate_checkpoint_verify); throws Error naming what is
// wrong.
inline void verify_checkpoint(const std::string &path) {
  check(nnstate_checkpoint_verify(path.c_str()));
}
inline void verify_checkpoint_buffer(const void *data, size_t size) {
  check(nnstate_checkpoint_verify_buffer(data, size));
}

struct FormatVersion {
  uint32_t major = 0, minor = 0;
};
// The writer's OpenBLAS core type and thread count (bitwise resumption needs the same).
struct Environment {
  std::string blas_core_type;
  int32_t blas_threads = 0;
};
struct TensorInfo {
  std::string name;
  int32_t role = 0;            // NNSTATE_ROLE_*
  int32_t dtype = 0;           // NNSTATE_DTYPE_*
  std::vector<int64_t> shape;  // empty for a scalar
};
// A tensor's values inside the checkpoint's mapping: valid while the Checkpoint lives.
struct TensorData {
  const float *data = nullptr;
  size_t count = 0;
};
struct OptimizerState {
  int32_t kind = 0;  // NNSTATE_OPTIMIZER_*, 0 when the file has none
  int64_t step = 0;
};
// The training loop's position; present is false for a checkpoint of a network alone.
struct TrainerState {
  bool present = false;
  int64_t epoch = 0, global_step = 0, batch_in_epoch = 0;
};
// PyTorch's names: last_epoch, and ReduceLROnPlateau's best, num_bad_epochs, cooldown_counter.
struct SchedulerState {
  int32_t kind = NNSTATE_SCHEDULER_NONE;
  int64_t last_epoch = 0;
  double best = 0;
  int64_t num_bad_epochs = 0, cooldown_counter = 0;
};
// Keras' names; epochs are 0-based as in the history.
struct EarlyStoppingState {
  bool present = false;
  std::string monitor;
  double best = 0;
  int64_t best_epoch = 0, wait = 0, stopped_epoch = 0;
};
// One stored value by its full name ("scheduler.state.num_bad_epochs"), as exact text.
struct Field {
  std::string name, value;
  int32_t flags = 0;  // NNSTATE_FIELD_*
  bool wall_clock() const noexcept { return (flags & NNSTATE_FIELD_WALL_CLOCK) != 0; }
};

// An open, validated checkpoint (nnstate_checkpoint): the file is mapped read-only until the
// object is destroyed. Every query throws Error on failure.
class Checkpoint {
 public:
  // Opens and validates `path` (with verify_crc, every tensor CRC and the padding too).
  explicit Checkpoint(const std::string &path, bool verify_crc = true) {
    const nnstate_load_options options = load_options(NNSTATE_LOAD_FULL, verify_crc);
    nnstate_checkpoint *raw = nullptr;
    check(nnstate_checkpoint_open(&raw, path.c_str(), &options));
    handle_ = Handle<nnstate_checkpoint, nnstate_checkpoint_free>(raw);
  }
  // The same over a copy of `size` bytes at `data`.
  static Checkpoint from_buffer(const void *data, size_t size, bool verify_crc = true) {
    const nnstate_load_options options = load_options(NNSTATE_LOAD_FULL, verify_crc);
    nnstate_checkpoint *raw = nullptr;
    check(nnstate_checkpoint_open_buffer(&raw, data, size, &options));
    return Checkpoint(raw);
  }
  // Takes ownership of a handle from the C API.
  explicit Checkpoint(nnstate_checkpoint *raw) : handle_(raw) {}

  // The document of the stored network, from the architecture alone
  // (nnstate_checkpoint_network_json): what Network::to_json gives for the network it rebuilds.
  std::string network_json() const {
    return read_text([this](char *buffer, size_t capacity, size_t *size) {
      return nnstate_checkpoint_network_json(get(), buffer, capacity, size);
    });
  }

  FormatVersion format() const {
    FormatVersion v;
    check(nnstate_checkpoint_format(get(), &v.major, &v.minor));
    return v;
  }
  std::string writer_version() const {
    const char *text = nullptr;
    check(nnstate_checkpoint_writer_version(get(), &text));
    return text ? text : "";
  }
  int64_t created_unix_ns() const {
    int64_t ns = 0;
    check(nnstate_checkpoint_created(get(), &ns));
    return ns;
  }
  Environment environment() const {
    Environment e;
    const char *core = nullptr;
    check(nnstate_checkpoint_environment(get(), &core, &e.blas_threads));
    e.blas_core_type = core ? core : "";
    return e;
  }

  size_t layer_count() const { return count(nnstate_checkpoint_layer_count); }
  int32_t layer_kind(size_t index) const {  // NNSTATE_LAYER_*
    int32_t kind = 0;
    check(nnstate_checkpoint_layer_kind(get(), index, &kind));
    return kind;
  }
  int32_t loss() const {  // NNSTATE_LOSS_*, 0 when none
    int32_t kind = 0;
    check(nnstate_checkpoint_loss(get(), &kind));
    return kind;
  }

  // Every stored tensor: network tensors, optimizer state, early stopping's best weights.
  size_t tensor_count() const { return count(nnstate_checkpoint_tensor_count); }
  TensorInfo tensor_info(size_t index) const {
    TensorInfo t;
    const char *name = nullptr;
    int32_t rank = 0;
    int64_t dims[4] = {0, 0, 0, 0};
    check(nnstate_checkpoint_tensor_info(get(), index, &name, &t.role, &t.dtype, &rank, dims));
    t.name = name ? name : "";
    t.shape.assign(dims, dims + (rank < 0 ? 0 : rank > 4 ? 4 : rank));
    return t;
  }
  std::vector<TensorInfo> tensors() const {
    std::vector<TensorInfo> all;
    for (size_t i = 0, n = tensor_count(); i < n; ++i) all.push_back(tensor_info(i));
    return all;
  }
  // The CRC32C stored for tensor `index` (checked against the bytes when opened with CRCs).
  uint32_t tensor_crc32c(size_t index) const {
    uint32_t crc = 0;
    check(nnstate_checkpoint_tensor_crc32c(get(), index, &crc));
    return crc;
  }
  TensorData tensor_data(const std::string &name) const {
    TensorData t;
    check(nnstate_checkpoint_tensor_data(get(), name.c_str(), &t.data, &t.count));
    return t;
  }
  std::vector<float> read_tensor(const std::string &name) const {
    const TensorData t = tensor_data(name);
    return std::vector<float>(t.data, t.data + t.count);
  }

  OptimizerState optimizer() const {
    OptimizerState o;
    check(nnstate_checkpoint_optimizer(get(), &o.kind, &o.step));
    return o;
  }
  nnstate_optimizer_options optimizer_options() const {
    nnstate_optimizer_options o{};
    o.struct_size = sizeof o;
    check(nnstate_checkpoint_optimizer_options(get(), &o));
    return o;
  }

  // User metadata in file order, and one key's value (nullopt when absent).
  Metadata metadata() const {
    Metadata pairs(count(nnstate_checkpoint_metadata_count));
    for (size_t i = 0; i < pairs.size(); ++i) {
      const char *key = nullptr, *value = nullptr;
      check(nnstate_checkpoint_metadata_at(get(), i, &key, &value));
      pairs[i] = {key ? key : "", value ? value : ""};
    }
    return pairs;
  }
  std::optional<std::string> metadata(const std::string &key) const {
    const char *value = nullptr;
    const nnstate_status status = nnstate_checkpoint_metadata_get(get(), key.c_str(), &value);
    if (status == NNSTATE_ERR_NOT_FOUND) return std::nullopt;
    check(status);
    return std::string(value ? value : "");
  }

  // Training-loop state of a trainer checkpoint.
  TrainerState trainer_state() const {
    TrainerState s;
    int32_t present = 0;
    check(nnstate_checkpoint_trainer(get(), &present, &s.epoch, &s.global_step, &s.batch_in_epoch));
    s.present = present != 0;
    return s;
  }
  // One row per completed epoch; empty without training-loop state.
  std::vector<nnstate_epoch_info> history() const {
    std::vector<nnstate_epoch_info> rows(count(nnstate_checkpoint_history_count));
    for (size_t i = 0; i < rows.size(); ++i) {
      rows[i].struct_size = sizeof rows[i];
      check(nnstate_checkpoint_history_row(get(), i, &rows[i]));
    }
    return rows;
  }
  SchedulerState scheduler() const {
    SchedulerState s;
    check(nnstate_checkpoint_scheduler(get(), &s.kind, &s.last_epoch, &s.best, &s.num_bad_epochs,
                                       &s.cooldown_counter));
    return s;
  }
  EarlyStoppingState early_stopping() const {
    EarlyStoppingState s;
    int32_t present = 0;
    const char *monitor = nullptr;
    check(nnstate_checkpoint_early_stopping(get(), &present, &monitor, &s.best, &s.best_epoch,
                                            &s.wait, &s.stopped_epoch));
    s.present = present != 0;
    s.monitor = monitor ? monitor : "";
    return s;
  }

  // Every stored value besides tensor data and metadata, in the library's fixed order: two
  // checkpoints store the same value exactly when the texts are equal.
  std::vector<Field> fields() const {
    std::vector<Field> all(count(nnstate_checkpoint_field_count));
    for (size_t i = 0; i < all.size(); ++i) {
      const char *name = nullptr, *value = nullptr;
      check(nnstate_checkpoint_field_at(get(), i, &name, &value, &all[i].flags));
      all[i].name = name ? name : "";
      all[i].value = value ? value : "";
    }
    return all;
  }

  nnstate_checkpoint *get() const noexcept { return handle_.get(); }

 private:
  size_t count(nnstate_status (*function)(const nnstate_checkpoint *, size_t *)) const {
    size_t n = 0;
    check(function(get(), &n));
    return n;
  }

  Handle<nnstate_checkpoint, nnstate_checkpoint_free> handle_;
};

}  // namespace nnstate

#endif  // NNSTATE_CXX_CHECKPOINT_HPP
