/*
 * Trainer checkpoints through the C API: nnstate_trainer_save / _resume, and the queries of an
 * open checkpoint for the training loop's state (position, history, scheduler, early
 * stopping), the optimizer's options, the loss and the layer kinds.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static float x[120 * 2], y[120];

static nnstate_network *network(uint64_t seed) {
  nnstate_network *net = NULL;
  nnstate_optimizer_options sgd;
  CHECK_OK(nnstate_network_create(&net, seed));
  CHECK_OK(nnstate_network_add_linear(net, 2, 6, 1));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_TANH));
  CHECK_OK(nnstate_network_add_linear(net, 6, 2, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY));
  CHECK_OK(nnstate_optimizer_options_init(&sgd, NNSTATE_OPTIMIZER_SGD));
  sgd.lr = 0.1;
  sgd.momentum = 0.9;
  CHECK_OK(nnstate_network_set_optimizer(net, &sgd));
  return net;
}

static nnstate_trainer *trainer_for(nnstate_network *net) {
  nnstate_trainer *t = NULL;
  nnstate_trainer_options o;
  nnstate_scheduler_options s;
  nnstate_early_stopping_options e;
  CHECK_OK(nnstate_trainer_options_init(&o));
  o.epochs = 4;
  o.batch_size = 16;
  CHECK_OK(nnstate_scheduler_options_init(&s, NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU));
  s.patience = 0;
  CHECK_OK(nnstate_early_stopping_options_init(&e));
  e.patience = 5;
  CHECK_OK(nnstate_trainer_create(&t, net, &o, &s, &e));
  return t;
}

int main(void) {
  char dir[] = "/tmp/nnstate_ckpt_training_XXXXXX", path[256], plain[256];
  nnstate_network *net, *other;
  nnstate_trainer *trainer, *resumed;
  nnstate_dataset *train = NULL, *val = NULL;
  nnstate_checkpoint *ckpt = NULL;
  nnstate_epoch_info stored, live;
  nnstate_optimizer_options options;
  int32_t present = -1, kind = -1;
  int64_t epoch = -1, step = -1, in_epoch = -1, last_epoch = -1, best_epoch = -1, wait = -1;
  double best = 0;
  const char *monitor = NULL;
  size_t rows = 0, i;
  int k;

  for (k = 0; k < 120; ++k) {
    x[2 * k] = (float)(k % 2) + (float)(k % 7) / 10.0f;
    x[2 * k + 1] = (float)(k % 5) / 5.0f;
    y[k] = (float)(k % 2);
  }
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/trainer.nnst", dir);
  snprintf(plain, sizeof plain, "%s/network.nnst", dir);
  CHECK_OK(nnstate_dataset_create(&train, x, 200, y, 100, 100));
  CHECK_OK(nnstate_dataset_create(&val, x + 200, 40, y + 100, 20, 20));

  net = network(1);
  trainer = trainer_for(net);
  CHECK_OK(nnstate_trainer_fit(trainer, train, val, NULL));
  CHECK_OK(nnstate_trainer_save(trainer, path, NULL));
  CHECK_OK(nnstate_checkpoint_save(net, plain, NULL));

  CHECK_OK(nnstate_checkpoint_open(&ckpt, path, NULL));
  CHECK_OK(nnstate_checkpoint_trainer(ckpt, &present, &epoch, &step, &in_epoch));
  CHECK(present == 1 && epoch == 4 && step == 4 * 7 && in_epoch == 0);
  CHECK_OK(nnstate_checkpoint_history_count(ckpt, &rows));
  CHECK(rows == 4);
  for (i = 0; i < rows; ++i) {
    stored.struct_size = live.struct_size = sizeof stored;
    CHECK_OK(nnstate_checkpoint_history_row(ckpt, i, &stored));
    CHECK_OK(nnstate_trainer_history_row(trainer, i, &live));
    CHECK(stored.epoch == live.epoch && stored.loss == live.loss &&
          stored.val_loss == live.val_loss && stored.val_accuracy == live.val_accuracy &&
          stored.lr == live.lr);
  }
  CHECK_ERR(nnstate_checkpoint_history_row(ckpt, rows, &stored), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_OK(nnstate_checkpoint_scheduler(ckpt, &kind, &last_epoch, &best, NULL, NULL));
  CHECK(kind == NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU && last_epoch == 4);
  CHECK_OK(
      nnstate_checkpoint_early_stopping(ckpt, &present, &monitor, &best, &best_epoch, &wait, NULL));
  CHECK(present == 1 && strcmp(monitor, "val_loss") == 0 && best_epoch >= 0 && wait >= 0);
  options.struct_size = sizeof options;
  CHECK_OK(nnstate_checkpoint_optimizer_options(ckpt, &options));
  CHECK(options.kind == NNSTATE_OPTIMIZER_SGD && options.momentum == 0.9);
  CHECK_OK(nnstate_checkpoint_loss(ckpt, &kind));
  CHECK(kind == NNSTATE_LOSS_CROSS_ENTROPY);
  CHECK_OK(nnstate_checkpoint_layer_kind(ckpt, 1, &kind));
  CHECK(kind == NNSTATE_LAYER_TANH);
  CHECK_ERR(nnstate_checkpoint_layer_kind(ckpt, 3, &kind), NNSTATE_ERR_INVALID_ARGUMENT);
  options.struct_size = 1;
  CHECK_ERR(nnstate_checkpoint_optimizer_options(ckpt, &options), NNSTATE_ERR_VERSION);
  CHECK_ERR(nnstate_checkpoint_trainer(NULL, &present, NULL, NULL, NULL),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_checkpoint_loss(ckpt, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  nnstate_checkpoint_free(ckpt);

  /* A plain network checkpoint has no training-loop state, and cannot resume a trainer. */
  CHECK_OK(nnstate_checkpoint_open(&ckpt, plain, NULL));
  CHECK_OK(nnstate_checkpoint_trainer(ckpt, &present, NULL, NULL, NULL));
  CHECK(present == 0);
  CHECK_OK(nnstate_checkpoint_history_count(ckpt, &rows));
  CHECK(rows == 0);
  nnstate_checkpoint_free(ckpt);

  /* Resume into a fresh trainer: the same position and history. */
  other = network(99);
  resumed = trainer_for(other);
  CHECK_ERR(nnstate_trainer_resume(resumed, plain), NNSTATE_ERR_STATE);
  CHECK_OK(nnstate_trainer_resume(resumed, path));
  CHECK_OK(nnstate_trainer_position(resumed, &epoch, &step, NULL));
  CHECK(epoch == 4 && step == 28);
  CHECK(strcmp(nnstate_trainer_warnings(resumed), "") == 0);
  CHECK_ERR(nnstate_trainer_resume(resumed, "/nonexistent/x.nnst"), NNSTATE_ERR_NOT_FOUND);
  CHECK_ERR(nnstate_trainer_resume(NULL, path), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_trainer_save(resumed, NULL, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(strcmp(nnstate_trainer_warnings(NULL), "") == 0);

  nnstate_trainer_free(resumed);
  nnstate_trainer_free(trainer);
  nnstate_network_free(other);
  nnstate_network_free(net);
  nnstate_dataset_free(train);
  nnstate_dataset_free(val);
  unlink(path);
  unlink(plain);
  rmdir(dir);
  puts("checkpoint_training: all checks passed");
  return 0;
}
