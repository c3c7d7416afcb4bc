// nnstate C++ wrapper: the C options structs, filled with their defaults (part of nnstate.hpp).
// Each function returns a struct from its nnstate_*_options_init with the arguments applied;
// change further fields directly. Values are checked when the struct is used, not here.
#ifndef NNSTATE_CXX_OPTIONS_HPP
#define NNSTATE_CXX_OPTIONS_HPP

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nnstate/cxx/error.hpp"

namespace nnstate {

// PyTorch's defaults for the optimizer `kind` (NNSTATE_OPTIMIZER_*), or with the given rate.
inline nnstate_optimizer_options optimizer_options(int32_t kind) {
  nnstate_optimizer_options o;
  check(nnstate_optimizer_options_init(&o, kind));
  return o;
}
inline nnstate_optimizer_options optimizer_options(int32_t kind, double lr) {
  nnstate_optimizer_options o = optimizer_options(kind);
  o.lr = lr;
  return o;
}
inline nnstate_optimizer_options adam(double lr = 1e-3) {
  return optimizer_options(NNSTATE_OPTIMIZER_ADAM, lr);
}
inline nnstate_optimizer_options adamw(double lr = 1e-3) {
  return optimizer_options(NNSTATE_OPTIMIZER_ADAMW, lr);
}
inline nnstate_optimizer_options sgd(double lr, double momentum = 0.0) {
  nnstate_optimizer_options o = optimizer_options(NNSTATE_OPTIMIZER_SGD, lr);
  o.momentum = momentum;
  return o;
}

// torch.nn.Conv2d(in_channels, out_channels, kernel_size) with its defaults.
inline nnstate_conv2d_options conv2d_options(int64_t in_channels, int64_t out_channels,
                                             int64_t kernel_size) {
  nnstate_conv2d_options o;
  check(nnstate_conv2d_options_init(&o, in_channels, out_channels, kernel_size));
  return o;
}

// The training loop's defaults (10 epochs, batches of 32, shuffling on, drop_last off), or
// with the given epochs and batch size.
inline nnstate_trainer_options trainer_options() {
  nnstate_trainer_options o;
  check(nnstate_trainer_options_init(&o));
  return o;
}
inline nnstate_trainer_options trainer_options(int64_t epochs, int64_t batch_size) {
  nnstate_trainer_options o = trainer_options();
  o.epochs = epochs;
  o.batch_size = batch_size;
  return o;
}
// A schedule of `kind` (NNSTATE_SCHEDULER_*) with PyTorch's defaults. Its `monitor` and
// `milestones` pointers must stay valid until the trainer is created (they are copied then).
inline nnstate_scheduler_options scheduler_options(int32_t kind) {
  nnstate_scheduler_options o;
  check(nnstate_scheduler_options_init(&o, kind));
  return o;
}
// Keras' EarlyStopping defaults, or with `patience`; `monitor` is borrowed like the
// scheduler's.
inline nnstate_early_stopping_options early_stopping_options() {
  nnstate_early_stopping_options o;
  check(nnstate_early_stopping_options_init(&o));
  return o;
}
inline nnstate_early_stopping_options early_stopping_options(int64_t patience) {
  nnstate_early_stopping_options o = early_stopping_options();
  o.patience = patience;
  return o;
}
// No clipping, no accumulation (nnstate_step_options_init).
inline nnstate_step_options step_options() {
  nnstate_step_options o;
  check(nnstate_step_options_init(&o));
  return o;
}
// Divergence rollback's defaults, enabled (nnstate_rollback_options_init, then enabled = 1).
inline nnstate_rollback_options rollback_options() {
  nnstate_rollback_options o;
  check(nnstate_rollback_options_init(&o));
  o.enabled = 1;
  return o;
}
// The checkpoint policy's defaults for `directory` (borrowed: it must outlive the call to
// Trainer::set_checkpointing, which copies it).
inline nnstate_checkpoint_policy checkpoint_policy(const char *directory) {
  nnstate_checkpoint_policy p;
  check(nnstate_checkpoint_policy_init(&p));
  p.directory = directory;
  return p;
}

// What a load reads: NNSTATE_LOAD_FULL or NNSTATE_LOAD_WEIGHTS_ONLY, CRCs checked or not.
inline nnstate_load_options load_options(int32_t what = NNSTATE_LOAD_FULL, bool verify_crc = true) {
  nnstate_load_options o;
  check(nnstate_load_options_init(&o));
  o.what = what;
  o.verify_crc = verify_crc ? 1 : 0;
  return o;
}

// User metadata of a checkpoint: (key, value) pairs in file order; keys are unique.
using Metadata = std::vector<std::pair<std::string, std::string>>;

// nnstate_save_options whose metadata arrays point into `metadata`, which must outlive it. Not
// copyable or movable, since the struct points into its own arrays: make one per save.
class SaveOptions {
 public:
  explicit SaveOptions(const Metadata &metadata = {}, bool fsync = true) {
    check(nnstate_save_options_init(&options_));
    options_.fsync = fsync ? 1 : 0;
    for (const auto &kv : metadata) {
      keys_.push_back(kv.first.c_str());
      values_.push_back(kv.second.c_str());
    }
    options_.metadata_keys = keys_.empty() ? nullptr : keys_.data();
    options_.metadata_values = values_.empty() ? nullptr : values_.data();
    options_.metadata_count = keys_.size();
  }
  SaveOptions(const SaveOptions &) = delete;
  SaveOptions &operator=(const SaveOptions &) = delete;
  const nnstate_save_options *get() const noexcept { return &options_; }

 private:
  std::vector<const char *> keys_, values_;
  nnstate_save_options options_;
};

}  // namespace nnstate

#endif  // NNSTATE_CXX_OPTIONS_HPP
