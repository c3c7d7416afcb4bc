// The structs behind the trainer and dataset handles: the core trainer plus the adapter of its
// observer hooks to the C callbacks, and the checkpoint policy.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "checkpoint/policy.h"
#include "guard.h"
#include "nnstate/nnstate.h"
#include "train/trainer.h"

namespace nnstate::capi {

inline void to_epoch_info(const nnstate::HistoryRow &row, nnstate_epoch_info &info) {
  info.epoch = row.epoch;
  info.loss = row.loss;
  info.accuracy = row.accuracy;
  info.val_loss = row.val_loss;
  info.val_accuracy = row.val_accuracy;
  info.lr = row.lr;
  info.seconds = row.seconds;
}

// history[index] into the caller's row, once its struct_size and the index are checked; shared
// by the trainer's and the checkpoint's history queries.
inline void copy_history_row(const std::vector<nnstate::HistoryRow> &history, size_t index,
                             nnstate_epoch_info *row) {
  require_arg(row, "row");
  check_struct_size(row, "nnstate_epoch_info", "set it to sizeof(nnstate_epoch_info)");
  if (index >= history.size()) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "history row " + std::to_string(index) +
                                           " does not exist (" + std::to_string(history.size()) +
                                           " rows recorded)");
  }
  to_epoch_info(history[index], *row);
}

// Forwards the core's observer hooks to the C callbacks.
struct CallbackObserver : nnstate::TrainerObserver {
  nnstate_epoch_callback on_epoch = nullptr;
  nnstate_batch_callback on_batch = nullptr;
  void *user_data = nullptr;

  bool on_batch_end(const nnstate::BatchInfo &b) override {
    if (!on_batch) return true;
    nnstate_batch_info info;
    info.struct_size = sizeof info;
    info.epoch = b.epoch;
    info.batch = b.batch;
    info.batches_per_epoch = b.batches_per_epoch;
    info.global_step = b.global_step;
    info.loss = b.loss;
    info.samples = b.samples;
    info.grad_norm = b.grad_norm;
    info.optimizer_steps = b.optimizer_steps;
    info.skipped = b.skipped ? 1 : 0;
    return on_batch(&info, user_data) == 0;
  }
  bool on_epoch_end(const nnstate::HistoryRow &row) override {
    if (!on_epoch) return true;
    nnstate_epoch_info info;
    info.struct_size = sizeof info;
    to_epoch_info(row, info);
    return on_epoch(&info, user_data) == 0;
  }
};

// What the handle connects to the loop; nnstate_trainer_fit runs them through the core's
// ObserverList: the C callbacks decide whether to go on, then the checkpoint policy (if any)
// saves once the state is consistent.
struct TrainerHooks {
  CallbackObserver callbacks;
  // Shared so that a fit keeps the policy it prepared even when a callback replaces or removes
  // it: the change applies from the next fit, and the running one never sees a freed policy.
  std::shared_ptr<nnstate::checkpoint::CheckpointPolicy> policy;
};

}  // namespace nnstate::capi

struct nnstate_dataset {
  nnstate::Dataset data;
};

struct nnstate_trainer {
  nnstate_network *network = nullptr;
  std::unique_ptr<nnstate::Trainer> trainer;
  nnstate::capi::TrainerHooks hooks;
  std::string warnings;  // of the last resume, newline-separated
};

namespace nnstate::capi {

// Waits for the checkpoint policy's save in flight and throws its error if it failed: every
// trainer call that touches the checkpoints or trains starts with it, so no failure is lost.
inline void flush_saves(nnstate_trainer &trainer) {
  if (trainer.hooks.policy) trainer.hooks.policy->flush(trainer.trainer.get());
}

}  // namespace nnstate::capi
