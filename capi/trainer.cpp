// C API: datasets over caller memory, the trainer with its schedule and early stopping,
// callbacks, and history.
#include <cmath>
#include <cstring>
#include <memory>

#include "guard.h"
#include "handles.h"
#include "train/observer_list.h"
#include "train/trainer.h"
#include "trainer_handle.h"

using nnstate::capi::check_struct_size;
using nnstate::capi::guard;
using nnstate::capi::require_arg;

namespace {

nnstate::SchedulerConfig to_scheduler_config(const nnstate_scheduler_options &o) {
  nnstate::SchedulerConfig c;
  c.kind = static_cast<nnstate::SchedulerKind>(o.kind);
  c.per_batch = o.per_batch != 0;
  c.step_size = o.step_size;
  c.gamma = o.gamma;
  if (o.milestone_count) {
    require_arg(o.milestones, "scheduler.milestones");
    c.milestones.assign(o.milestones, o.milestones + o.milestone_count);
  }
  c.t_max = o.t_max;
  c.eta_min = o.eta_min;
  c.start_factor = o.start_factor;
  c.end_factor = o.end_factor;
  c.total_iters = o.total_iters;
  c.mode = o.mode == NNSTATE_MODE_MAX ? nnstate::PlateauMode::max : nnstate::PlateauMode::min;
  if (o.mode != NNSTATE_MODE_MIN && o.mode != NNSTATE_MODE_MAX) {
    nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT,
                  "scheduler.mode must be NNSTATE_MODE_MIN or _MAX, got " + std::to_string(o.mode));
  }
  c.factor = o.factor;
  c.patience = o.patience;
  c.threshold = o.threshold;
  c.threshold_mode = static_cast<nnstate::ThresholdMode>(o.threshold_mode);
  c.cooldown = o.cooldown;
  c.min_lr = o.min_lr;
  c.eps = o.eps;
  return c;
}

nnstate::EarlyStoppingConfig to_early_stopping_config(const nnstate_early_stopping_options &o) {
  nnstate::EarlyStoppingConfig c;
  require_arg(o.monitor, "early_stopping.monitor");
  c.monitor = o.monitor;
  if (o.mode < NNSTATE_MODE_AUTO || o.mode > NNSTATE_MODE_MAX) {
    nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT,
                  "early_stopping.mode must be NNSTATE_MODE_AUTO, _MIN or _MAX, got " +
                      std::to_string(o.mode));
  }
  c.mode = static_cast<nnstate::MonitorMode>(o.mode);
  c.min_delta = o.min_delta;
  c.patience = o.patience;
  c.has_baseline = o.has_baseline != 0;
  c.baseline = o.baseline;
  c.restore_best_weights = o.restore_best_weights != 0;
  c.start_from_epoch = o.start_from_epoch;
  return c;
}

}  // namespace

extern "C" {

nnstate_status nnstate_dataset_create(nnstate_dataset **out, const float *inputs,
                                      size_t input_count, const float *targets, size_t target_count,
                                      size_t samples) {
  return guard([&] {
    require_arg(out, "out");
    *out = nullptr;
    require_arg(inputs, "inputs");
    require_arg(targets, "targets");
    if (samples == 0) nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, "samples is 0");
    if (input_count % samples || target_count % samples || input_count == 0 || target_count == 0) {
      nnstate::fail(NNSTATE_ERR_SHAPE_MISMATCH,
                    "input_count " + std::to_string(input_count) + " and target_count " +
                        std::to_string(target_count) + " must be non-zero multiples of samples " +
                        std::to_string(samples));
    }
    auto dataset = std::make_unique<nnstate_dataset>();
    dataset->data.inputs = inputs;
    dataset->data.targets = targets;
    dataset->data.samples = static_cast<int64_t>(samples);
    dataset->data.input_size = static_cast<int64_t>(input_count / samples);
    dataset->data.target_size = static_cast<int64_t>(target_count / samples);
    *out = dataset.release();
  });
}

void nnstate_dataset_free(nnstate_dataset *dataset) {
  delete dataset;
}

nnstate_status nnstate_trainer_options_init(nnstate_trainer_options *options) {
  return guard([&] {
    require_arg(options, "options");
    std::memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    options->epochs = 10;
    options->batch_size = 32;
    options->shuffle = 1;
  });
}

nnstate_status nnstate_scheduler_options_init(nnstate_scheduler_options *options, int32_t kind) {
  return guard([&] {
    require_arg(options, "options");
    if (kind < NNSTATE_SCHEDULER_NONE || kind > NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, "unknown scheduler kind " + std::to_string(kind));
    }
    const nnstate::SchedulerConfig d;
    std::memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    options->kind = kind;
    options->step_size = d.step_size;
    options->gamma = d.gamma;
    options->t_max = d.t_max;
    options->eta_min = d.eta_min;
    options->start_factor = d.start_factor;
    options->end_factor = d.end_factor;
    options->total_iters = d.total_iters;
    options->mode = NNSTATE_MODE_MIN;
    options->factor = d.factor;
    options->patience = d.patience;
    options->threshold = d.threshold;
    options->threshold_mode = NNSTATE_THRESHOLD_REL;
    options->cooldown = d.cooldown;
    options->min_lr = d.min_lr;
    options->eps = d.eps;
    options->monitor = "val_loss";
  });
}

nnstate_status nnstate_early_stopping_options_init(nnstate_early_stopping_options *options) {
  return guard([&] {
    require_arg(options, "options");
    std::memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    options->monitor = "val_loss";
    options->mode = NNSTATE_MODE_AUTO;
  });
}

nnstate_status nnstate_trainer_create(nnstate_trainer **out, nnstate_network *network,
                                      const nnstate_trainer_options *options,
                                      const nnstate_scheduler_options *scheduler,
                                      const nnstate_early_stopping_options *early_stopping) {
  return guard([&] {
    require_arg(out, "out");
    *out = nullptr;
    require_arg(network, "network");
    require_arg(options, "options");
    check_struct_size(options, "nnstate_trainer_options");
    nnstate::TrainerConfig config;
    config.epochs = options->epochs;
    config.batch_size = options->batch_size;
    config.shuffle = options->shuffle != 0;
    config.drop_last = options->drop_last != 0;
    if (scheduler) {
      check_struct_size(scheduler, "nnstate_scheduler_options");
      config.scheduler = to_scheduler_config(*scheduler);
      if (scheduler->monitor) config.scheduler_monitor = scheduler->monitor;
    }
    if (early_stopping) {
      check_struct_size(early_stopping, "nnstate_early_stopping_options");
      config.early_stopping = true;
      config.early_stopping_config = to_early_stopping_config(*early_stopping);
    }
    auto handle = std::make_unique<nnstate_trainer>();
    handle->network = network;
    handle->trainer = std::make_unique<nnstate::Trainer>(network->model, config);
    *out = handle.release();
  });
}

void nnstate_trainer_free(nnstate_trainer *trainer) {
  delete trainer;
}

nnstate_status nnstate_trainer_set_callbacks(nnstate_trainer *trainer,
                                             nnstate_epoch_callback on_epoch,
                                             nnstate_batch_callback on_batch, void *user_data) {
  return guard([&] {
    require_arg(trainer, "trainer");
    trainer->hooks.callbacks.on_epoch = on_epoch;
    trainer->hooks.callbacks.on_batch = on_batch;
    trainer->hooks.callbacks.user_data = user_data;
  });
}

nnstate_status nnstate_trainer_fit(nnstate_trainer *trainer, const nnstate_dataset *train,
                                   const nnstate_dataset *validation, int32_t *stop_reason) {
  return guard([&] {
    require_arg(trainer, "trainer");
    require_arg(train, "train");
    nnstate::capi::flush_saves(*trainer);
    const std::shared_ptr<nnstate::checkpoint::CheckpointPolicy> policy = trainer->hooks.policy;
    if (policy) {
      const std::string warning = policy->prepare_fit(validation != nullptr);
      if (!warning.empty() && trainer->warnings.find(warning) == std::string::npos) {
        trainer->warnings += (trainer->warnings.empty() ? "" : "\n") + warning;
      }
    }
    nnstate::ObserverList observers{&trainer->hooks.callbacks, policy.get()};
    nnstate::StopReason reason =
        trainer->trainer->fit(train->data, validation ? &validation->data : nullptr, &observers);
    if (stop_reason) *stop_reason = static_cast<int32_t>(reason);
  });
}

nnstate_status nnstate_trainer_request_stop(nnstate_trainer *trainer) {
  if (!trainer) {
    return nnstate::capi::set_error(NNSTATE_ERR_INVALID_ARGUMENT, "trainer is NULL");
  }
  nnstate::capi::clear_error();
  trainer->trainer->request_stop();  // an atomic store: safe from other threads and signals
  return NNSTATE_OK;
}

nnstate_status nnstate_trainer_set_epochs(nnstate_trainer *trainer, int64_t epochs) {
  return guard([&] {
    require_arg(trainer, "trainer");
    trainer->trainer->set_epochs(epochs);
  });
}

nnstate_status nnstate_trainer_position(const nnstate_trainer *trainer, int64_t *epoch,
                                        int64_t *global_step, int64_t *batch_in_epoch) {
  return guard([&] {
    require_arg(trainer, "trainer");
    const nnstate::TrainerState &s = trainer->trainer->state();
    if (epoch) *epoch = s.epoch;
    if (global_step) *global_step = s.global_step;
    if (batch_in_epoch) *batch_in_epoch = s.batch_in_epoch;
  });
}

nnstate_status nnstate_trainer_history_count(const nnstate_trainer *trainer, size_t *out) {
  return guard([&] {
    require_arg(trainer, "trainer");
    require_arg(out, "out");
    *out = trainer->trainer->state().history.size();
  });
}

nnstate_status nnstate_trainer_history_row(const nnstate_trainer *trainer, size_t index,
                                           nnstate_epoch_info *row) {
  return guard([&] {
    require_arg(trainer, "trainer");
    nnstate::capi::copy_history_row(trainer->trainer->state().history, index, row);
  });
}

}  // extern "C"
