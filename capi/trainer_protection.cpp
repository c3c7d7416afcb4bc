// C API: gradient clipping and accumulation, divergence rollback and its recorded events.
#include <cstring>

#include "guard.h"
#include "trainer_handle.h"

using nnstate::capi::check_struct_size;
using nnstate::capi::guard;
using nnstate::capi::require_arg;

extern "C" {

nnstate_status nnstate_step_options_init(nnstate_step_options *options) {
  return guard([&] {
    require_arg(options, "options");
    const nnstate::TrainerConfig d;
    std::memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    options->clip_grad_norm = d.clip.max_norm;
    options->clip_norm_type = d.clip.norm_type;
    options->clip_error_if_nonfinite = d.clip.error_if_nonfinite ? 1 : 0;
    options->clip_grad_value = d.clip.clip_value;
    options->accumulate_steps = d.accumulate_steps;
  });
}

nnstate_status nnstate_rollback_options_init(nnstate_rollback_options *options) {
  return guard([&] {
    require_arg(options, "options");
    const nnstate::RollbackConfig d;
    std::memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    options->enabled = d.enabled ? 1 : 0;
    options->max_rollbacks = d.max_rollbacks;
    options->lr_factor = d.lr_factor;
    options->skip_batches = d.skip_batches;
    options->snapshot_every = d.snapshot_every;
    options->spike_factor = d.spike_factor;
  });
}

nnstate_status nnstate_trainer_set_step_options(nnstate_trainer *trainer,
                                                const nnstate_step_options *options) {
  return guard([&] {
    require_arg(trainer, "trainer");
    nnstate_step_options o;
    nnstate_step_options_init(&o);
    if (options) {
      check_struct_size(options, "nnstate_step_options");
      o = *options;
    }
    nnstate::GradClipConfig clip;
    clip.max_norm = o.clip_grad_norm;
    clip.norm_type = o.clip_norm_type;
    clip.error_if_nonfinite = o.clip_error_if_nonfinite != 0;
    clip.clip_value = o.clip_grad_value;
    trainer->trainer->set_step_options(clip, o.accumulate_steps);
  });
}

nnstate_status nnstate_trainer_set_rollback(nnstate_trainer *trainer,
                                            const nnstate_rollback_options *options) {
  return guard([&] {
    require_arg(trainer, "trainer");
    nnstate_rollback_options o;
    nnstate_rollback_options_init(&o);
    if (options) {
      check_struct_size(options, "nnstate_rollback_options");
      o = *options;
    }
    nnstate::RollbackConfig r;
    r.enabled = o.enabled != 0;
    r.max_rollbacks = o.max_rollbacks;
    r.lr_factor = o.lr_factor;
    r.skip_batches = o.skip_batches;
    r.snapshot_every = o.snapshot_every;
    r.spike_factor = o.spike_factor;
    trainer->trainer->set_rollback(r);
  });
}

nnstate_status nnstate_trainer_rollback_count(const nnstate_trainer *trainer, size_t *out) {
  return guard([&] {
    require_arg(trainer, "trainer");
    require_arg(out, "out");
    *out = trainer->trainer->state().rollbacks.size();
  });
}

nnstate_status nnstate_trainer_rollback_event(const nnstate_trainer *trainer, size_t index,
                                              nnstate_rollback_event *event) {
  return guard([&] {
    require_arg(trainer, "trainer");
    require_arg(event, "event");
    check_struct_size(event, "nnstate_rollback_event", "set it to sizeof(nnstate_rollback_event)");
    const std::vector<nnstate::RollbackEvent> &events = trainer->trainer->state().rollbacks;
    if (index >= events.size()) {
      nnstate::fail(NNSTATE_ERR_INVALID_ARGUMENT, "rollback event " + std::to_string(index) +
                                                      " does not exist (" +
                                                      std::to_string(events.size()) + " recorded)");
    }
    const nnstate::RollbackEvent &e = events[index];
    event->epoch = e.epoch;
    event->batch = e.batch;
    event->global_step = e.global_step;
    event->restored_step = e.restored_step;
    event->loss = e.loss;
    event->lr = e.lr;
    event->reason = static_cast<int32_t>(e.reason);
    event->gave_up = e.gave_up ? 1 : 0;
  });
}

}  // extern "C"
