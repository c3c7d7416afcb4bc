// C API: reading the training-loop state, optimizer and architecture of an open checkpoint.
#include <cstring>

#include "guard.h"
#include "handles.h"
#include "trainer_handle.h"

using nnstate::capi::guard;
using nnstate::capi::require_arg;

extern "C" {

nnstate_status nnstate_checkpoint_trainer(const nnstate_checkpoint *checkpoint, int32_t *present,
                                          int64_t *epoch, int64_t *global_step,
                                          int64_t *batch_in_epoch) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    const auto &c = checkpoint->contents;
    if (present) *present = c.has_trainer ? 1 : 0;
    if (!c.has_trainer) return;
    if (epoch) *epoch = c.trainer.epoch;
    if (global_step) *global_step = c.trainer.global_step;
    if (batch_in_epoch) *batch_in_epoch = c.trainer.batch_in_epoch;
  });
}

nnstate_status nnstate_checkpoint_history_count(const nnstate_checkpoint *checkpoint, size_t *out) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(out, "out");
    *out = checkpoint->contents.trainer.history.size();
  });
}

nnstate_status nnstate_checkpoint_history_row(const nnstate_checkpoint *checkpoint, size_t index,
                                              nnstate_epoch_info *row) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    nnstate::capi::copy_history_row(checkpoint->contents.trainer.history, index, row);
  });
}

nnstate_status nnstate_checkpoint_scheduler(const nnstate_checkpoint *checkpoint, int32_t *kind,
                                            int64_t *last_epoch, double *best,
                                            int64_t *num_bad_epochs, int64_t *cooldown_counter) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    const auto &c = checkpoint->contents;
    if (kind) *kind = c.has_scheduler ? static_cast<int32_t>(c.scheduler.kind) : 0;
    if (!c.has_scheduler) return;
    if (last_epoch) *last_epoch = c.scheduler_state.last_epoch;
    if (best) *best = c.scheduler_state.best;
    if (num_bad_epochs) *num_bad_epochs = c.scheduler_state.num_bad_epochs;
    if (cooldown_counter) *cooldown_counter = c.scheduler_state.cooldown_counter;
  });
}

nnstate_status nnstate_checkpoint_early_stopping(const nnstate_checkpoint *checkpoint,
                                                 int32_t *present, const char **monitor,
                                                 double *best, int64_t *best_epoch, int64_t *wait,
                                                 int64_t *stopped_epoch) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    const auto &c = checkpoint->contents;
    if (present) *present = c.has_early_stopping ? 1 : 0;
    if (!c.has_early_stopping) return;
    if (monitor) *monitor = c.early_stopping.monitor.c_str();
    if (best) *best = c.early_stopping_state.best;
    if (best_epoch) *best_epoch = c.early_stopping_state.best_epoch;
    if (wait) *wait = c.early_stopping_state.wait;
    if (stopped_epoch) *stopped_epoch = c.early_stopping_state.stopped_epoch;
  });
}

nnstate_status nnstate_checkpoint_optimizer_options(const nnstate_checkpoint *checkpoint,
                                                    nnstate_optimizer_options *options) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(options, "options");
    nnstate::capi::check_struct_size(options, "nnstate_optimizer_options");
    const auto &c = checkpoint->contents;
    std::memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    if (!c.has_optimizer) return;
    const nnstate::OptimizerConfig &o = c.optimizer;
    options->kind = static_cast<int32_t>(o.kind);
    options->lr = o.lr;
    options->beta1 = o.beta1;
    options->beta2 = o.beta2;
    options->eps = o.eps;
    options->weight_decay = o.weight_decay;
    options->amsgrad = o.amsgrad;
    options->maximize = o.maximize;
    options->momentum = o.momentum;
    options->dampening = o.dampening;
    options->nesterov = o.nesterov;
  });
}

nnstate_status nnstate_checkpoint_loss(const nnstate_checkpoint *checkpoint, int32_t *kind) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(kind, "kind");
    *kind = checkpoint->contents.loss;
  });
}

nnstate_status nnstate_checkpoint_layer_kind(const nnstate_checkpoint *checkpoint, size_t index,
                                             int32_t *kind) {
  return guard([&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(kind, "kind");
    const auto &layers = checkpoint->contents.layers;
    if (index >= layers.size()) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, "layer " + std::to_string(index) +
                                                      " does not exist (" +
                                                      std::to_string(layers.size()) + " layers)");
    }
    *kind = static_cast<int32_t>(layers[index].kind());
  });
}

}  // extern "C"
