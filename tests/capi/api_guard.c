/*
 * C API of gradient clipping, accumulation and divergence rollback: defaults, argument and
 * struct_size errors naming the field, a NaN target rolled back and recorded, the batch
 * callback's new fields, NNSTATE_STOP_DIVERGED, and the events across save and resume.
 */
#include <math.h>
#include <stdio.h>

#include "check.h"

enum { SAMPLES = 40, BATCH = 10 };
static float xs[SAMPLES * 2], ys[SAMPLES];

static nnstate_network *make_network(void) {
  nnstate_network *net = NULL;
  nnstate_optimizer_options sgd;
  CHECK_OK(nnstate_network_create(&net, 7));
  CHECK_OK(nnstate_network_add_linear(net, 2, 4, 1));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_TANH));
  CHECK_OK(nnstate_network_add_linear(net, 4, 1, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE));
  CHECK_OK(nnstate_optimizer_options_init(&sgd, NNSTATE_OPTIMIZER_SGD));
  sgd.lr = 0.1;
  CHECK_OK(nnstate_network_set_optimizer(net, &sgd));
  return net;
}

static nnstate_trainer *make_trainer(nnstate_network *net, int64_t epochs, int64_t max_rollbacks) {
  nnstate_trainer *trainer = NULL;
  nnstate_trainer_options options;
  nnstate_step_options step;
  nnstate_rollback_options rollback;
  CHECK_OK(nnstate_trainer_options_init(&options));
  options.epochs = epochs;
  options.batch_size = BATCH;
  options.shuffle = 0;
  CHECK_OK(nnstate_trainer_create(&trainer, net, &options, NULL, NULL));
  CHECK_OK(nnstate_step_options_init(&step));
  step.clip_grad_norm = 0.5;
  step.accumulate_steps = 2;
  CHECK_OK(nnstate_trainer_set_step_options(trainer, &step));
  CHECK_OK(nnstate_rollback_options_init(&rollback));
  rollback.enabled = 1;
  rollback.snapshot_every = 1;
  rollback.max_rollbacks = max_rollbacks;
  CHECK_OK(nnstate_trainer_set_rollback(trainer, &rollback));
  return trainer;
}

static int batches, skipped, updates;
static double last_norm;
static int32_t on_batch(const nnstate_batch_info *info, void *user) {
  (void)user;
  CHECK(info->struct_size == sizeof *info);
  batches += 1;
  skipped += info->skipped != 0;
  updates = (int)info->optimizer_steps;
  if (!isnan(info->grad_norm)) last_norm = info->grad_norm;
  return 0;
}

static void test_defaults_and_errors(void) {
  nnstate_step_options step;
  nnstate_rollback_options rollback;
  nnstate_rollback_event event;
  nnstate_network *net = make_network();
  nnstate_trainer *trainer = NULL;
  nnstate_trainer_options options;
  size_t count = 99;

  CHECK_OK(nnstate_step_options_init(&step));
  CHECK(step.struct_size == sizeof step && step.clip_grad_norm == 0.0 &&
        step.clip_norm_type == 2.0 && step.clip_grad_value == 0.0 && step.accumulate_steps == 1);
  CHECK_OK(nnstate_rollback_options_init(&rollback));
  CHECK(rollback.enabled == 0 && rollback.max_rollbacks == 3 && rollback.lr_factor == 0.5 &&
        rollback.skip_batches == 1 && rollback.snapshot_every == 50 && rollback.spike_factor == 0);
  CHECK_ERR(nnstate_step_options_init(NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_rollback_options_init(NULL), NNSTATE_ERR_INVALID_ARGUMENT);

  CHECK_OK(nnstate_trainer_options_init(&options));
  CHECK_OK(nnstate_trainer_create(&trainer, net, &options, NULL, NULL));
  CHECK_ERR(nnstate_trainer_set_step_options(NULL, &step), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_trainer_set_rollback(NULL, &rollback), NNSTATE_ERR_INVALID_ARGUMENT);
  step.clip_grad_norm = -1.0;
  CHECK_ERR(nnstate_trainer_set_step_options(trainer, &step), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("clip_grad_norm");
  step.clip_grad_norm = 1.0;
  step.clip_norm_type = 0.0;
  CHECK_ERR(nnstate_trainer_set_step_options(trainer, &step), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("norm_type");
  step.clip_norm_type = INFINITY;
  step.accumulate_steps = 0;
  CHECK_ERR(nnstate_trainer_set_step_options(trainer, &step), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("accumulate_steps");
  step.struct_size = 4;
  CHECK_ERR(nnstate_trainer_set_step_options(trainer, &step), NNSTATE_ERR_VERSION);
  rollback.enabled = 1;
  rollback.skip_batches = 0;
  CHECK_ERR(nnstate_trainer_set_rollback(trainer, &rollback), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("skip_batches");
  rollback.skip_batches = 1;
  rollback.struct_size = 8;
  CHECK_ERR(nnstate_trainer_set_rollback(trainer, &rollback), NNSTATE_ERR_VERSION);
  CHECK_OK(nnstate_trainer_set_step_options(trainer, NULL)); /* the defaults */
  CHECK_OK(nnstate_trainer_set_rollback(trainer, NULL));

  CHECK_OK(nnstate_trainer_rollback_count(trainer, &count));
  CHECK(count == 0);
  CHECK_ERR(nnstate_trainer_rollback_count(trainer, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_trainer_rollback_count(NULL, &count), NNSTATE_ERR_INVALID_ARGUMENT);
  event.struct_size = sizeof event;
  CHECK_ERR(nnstate_trainer_rollback_event(trainer, 0, &event), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("0 recorded");
  CHECK_ERR(nnstate_trainer_rollback_event(trainer, 0, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  event.struct_size = 1;
  CHECK_ERR(nnstate_trainer_rollback_event(trainer, 0, &event), NNSTATE_ERR_VERSION);
  nnstate_trainer_free(trainer);
  nnstate_network_free(net);
}

static void test_rollback_recorded_and_resumed(const char *path) {
  nnstate_network *net = make_network(), *again_net = make_network();
  nnstate_trainer *trainer = make_trainer(net, 2, 5), *again = NULL;
  nnstate_dataset *data = NULL;
  nnstate_rollback_event event;
  int32_t reason = -1;
  size_t count = 0;

  CHECK_OK(nnstate_dataset_create(&data, xs, SAMPLES * 2, ys, SAMPLES, SAMPLES));
  CHECK_OK(nnstate_trainer_set_callbacks(trainer, NULL, on_batch, NULL));
  CHECK_OK(nnstate_trainer_fit(trainer, data, NULL, &reason));
  CHECK(reason == NNSTATE_STOP_COMPLETED);
  /* 4 batches per epoch, the third NaN: per epoch, a group of 2, then the NaN batch skipped
   * (and its group dropped), then the last batch alone at the epoch's end. */
  CHECK(batches == 8 && skipped == 2 && updates == 4);
  CHECK(last_norm > 0.0);
  CHECK_OK(nnstate_trainer_rollback_count(trainer, &count));
  CHECK(count == 2);
  event.struct_size = sizeof event;
  CHECK_OK(nnstate_trainer_rollback_event(trainer, 1, &event));
  CHECK(event.epoch == 1 && event.batch == 3 && event.global_step == 7);
  CHECK(event.reason == NNSTATE_DIVERGENCE_NONFINITE_LOSS && isnan(event.loss));
  CHECK(event.lr == 0.025 && event.gave_up == 0);
  CHECK(event.restored_step == 3);

  CHECK_OK(nnstate_trainer_save(trainer, path, NULL));
  again = make_trainer(again_net, 2, 5);
  CHECK_OK(nnstate_trainer_resume(again, path));
  CHECK_OK(nnstate_trainer_rollback_count(again, &count));
  CHECK(count == 2);
  CHECK_OK(nnstate_trainer_rollback_event(again, 1, &event));
  CHECK(event.global_step == 7 && event.lr == 0.025);

  /* Every rollback used up: the run ends as diverged, and stays ended. */
  nnstate_trainer_free(trainer);
  trainer = make_trainer(net, 3, 0);
  CHECK_OK(nnstate_trainer_fit(trainer, data, NULL, &reason));
  CHECK(reason == NNSTATE_STOP_DIVERGED);
  CHECK_OK(nnstate_trainer_rollback_event(trainer, 0, &event));
  CHECK(event.gave_up == 1);
  CHECK_OK(nnstate_trainer_fit(trainer, data, NULL, &reason));
  CHECK(reason == NNSTATE_STOP_DIVERGED);

  nnstate_trainer_free(trainer);
  nnstate_trainer_free(again);
  nnstate_dataset_free(data);
  nnstate_network_free(net);
  nnstate_network_free(again_net);
  remove(path);
}

int main(int argc, char **argv) {
  int i;
  char path[4096];
  for (i = 0; i < SAMPLES; ++i) {
    xs[2 * i] = (float)sin(1.3 * i);
    xs[2 * i + 1] = (float)cos(0.7 * i);
    ys[i] = xs[2 * i] - 0.5f * xs[2 * i + 1];
  }
  ys[25] = NAN; /* batch 3 of every epoch (no shuffling) */
  snprintf(path, sizeof path, "%s/api_guard.nnst", argc > 1 ? argv[1] : ".");
  test_defaults_and_errors();
  test_rollback_recorded_and_resumed(path);
  printf("api_guard: all checks passed\n");
  return 0;
}
