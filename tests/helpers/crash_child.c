/* The training child of crash_resume (see crash_child.h). */
#include "crash_child.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash_points.h"
#include "nnstate/nnstate.h"

#define SAMPLES 400
#define VAL 100
#define FEATURES 8

static void die(const char *what) {
  fprintf(stderr, "crash_resume child: %s: %s\n", what, nnstate_last_error());
  exit(2);
}
#define OK(call) \
  if ((call) != NNSTATE_OK) die(#call)

static int32_t on_batch(const nnstate_batch_info *info, void *user_data) {
  char step[32];
  (void)user_data;
  snprintf(step, sizeof step, "%lld", (long long)info->global_step);
  crash_point("step", step);
  return 0;
}

static int32_t on_epoch(const nnstate_epoch_info *info, void *user_data) {
  char epoch[32];
  (void)user_data;
  snprintf(epoch, sizeof epoch, "%lld", (long long)info->epoch);
  crash_point("epoch", epoch);
  return 0;
}

static void put_double(FILE *out, const char *name, double value) {
  unsigned long long bits;
  memcpy(&bits, &value, sizeof bits);
  fprintf(out, " %s=%.17g/%016llx", name, value, bits);
}

static void write_result(FILE *out, nnstate_network *net, nnstate_trainer *trainer) {
  size_t count = 0, n, i;
  int64_t epoch, step;
  double lr;
  OK(nnstate_network_tensor_count(net, &count));
  for (n = 0; n < count; ++n) {
    const char *name;
    int32_t rank;
    int64_t dims[4];
    size_t elements = 1;
    float *values;
    int d;
    OK(nnstate_network_tensor_info(net, n, &name, NULL, &rank, dims));
    for (d = 0; d < rank; ++d) elements *= (size_t)dims[d];
    values = malloc(elements * sizeof *values);
    if (!values) die("malloc");
    OK(nnstate_network_get_tensor(net, name, values, elements));
    for (i = 0; i < elements; ++i) {
      unsigned bits;
      memcpy(&bits, &values[i], sizeof bits);
      fprintf(out, "%s[%zu] %.9g/%08x\n", name, i, values[i], bits);
    }
    free(values);
  }
  OK(nnstate_trainer_history_count(trainer, &count));
  for (n = 0; n < count; ++n) {
    nnstate_epoch_info row;
    row.struct_size = sizeof row;
    OK(nnstate_trainer_history_row(trainer, n, &row));
    fprintf(out, "history[%zu] epoch=%lld", n, (long long)row.epoch);
    put_double(out, "loss", row.loss);
    put_double(out, "accuracy", row.accuracy);
    put_double(out, "val_loss", row.val_loss);
    put_double(out, "val_accuracy", row.val_accuracy);
    put_double(out, "lr", row.lr); /* row.seconds is wall time: not part of the result */
    fputc('\n', out);
  }
  OK(nnstate_network_get_lr(net, &lr));
  fprintf(out, "final");
  put_double(out, "lr", lr);
  OK(nnstate_trainer_position(trainer, &epoch, &step, NULL));
  fprintf(out, " epoch=%lld step=%lld\n", (long long)epoch, (long long)step);
}

int crash_child_train(const char *dir, const char *out_path) {
  static float x[(SAMPLES + VAL) * FEATURES], y[SAMPLES + VAL];
  uint32_t s = 7u;
  int i, f;
  nnstate_network *net = NULL;
  nnstate_optimizer_options adam;
  nnstate_trainer_options options;
  nnstate_scheduler_options plateau;
  nnstate_early_stopping_options early;
  nnstate_checkpoint_policy policy;
  nnstate_trainer *trainer = NULL;
  nnstate_dataset *train_set = NULL, *val_set = NULL;
  int32_t found = 0;
  int64_t step = 0;
  char resumed[32];
  FILE *out;

  for (i = 0; i < SAMPLES + VAL; ++i) {
    for (f = 0; f < FEATURES; ++f) {
      s = s * 1664525u + 1013904223u;
      x[i * FEATURES + f] = (float)(s >> 8) / 16777216.0f - 0.5f + (f == i % 4 ? 0.6f : 0.0f);
    }
    y[i] = (float)(i % 4);
  }
  OK(nnstate_network_create(&net, 3));
  OK(nnstate_network_add_linear(net, FEATURES, 64, 1));
  OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  OK(nnstate_network_add_linear(net, 64, 64, 1));
  OK(nnstate_network_add_activation(net, NNSTATE_LAYER_TANH));
  OK(nnstate_network_add_linear(net, 64, 4, 1));
  OK(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY));
  OK(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM));
  adam.lr = 0.002;
  OK(nnstate_network_set_optimizer(net, &adam));
  OK(nnstate_trainer_options_init(&options));
  options.epochs = 12;
  options.batch_size = 16;
  OK(nnstate_scheduler_options_init(&plateau, NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU));
  plateau.patience = 0;
  plateau.factor = 0.7;
  OK(nnstate_early_stopping_options_init(&early));
  early.patience = 6;
  early.restore_best_weights = 1;
  OK(nnstate_trainer_create(&trainer, net, &options, &plateau, &early));
  OK(nnstate_trainer_set_callbacks(trainer, on_epoch, on_batch, NULL));
  OK(nnstate_checkpoint_policy_init(&policy));
  policy.directory = dir;
  policy.every_steps = 3;
  policy.keep_last = 2;
  OK(nnstate_trainer_set_checkpointing(trainer, &policy));
  OK(nnstate_trainer_resume_latest(trainer, dir, &found));
  OK(nnstate_trainer_position(trainer, NULL, &step, NULL));
  snprintf(resumed, sizeof resumed, "%lld", (long long)step);
  crash_point(found ? "resumed" : "fresh", resumed);
  OK(nnstate_dataset_create(&train_set, x, SAMPLES * FEATURES, y, SAMPLES, SAMPLES));
  OK(nnstate_dataset_create(&val_set, x + SAMPLES * FEATURES, VAL * FEATURES, y + SAMPLES, VAL,
                            VAL));
  OK(nnstate_trainer_fit(trainer, train_set, val_set, NULL));

  out = fopen(out_path, "w");
  if (!out) die("fopen");
  write_result(out, net, trainer);
  if (fclose(out) != 0) die("fclose");
  nnstate_dataset_free(train_set);
  nnstate_dataset_free(val_set);
  nnstate_trainer_free(trainer);
  nnstate_network_free(net);
  return 0;
}
