/*
 * The training loop through the C API: datasets borrowed from caller arrays, fit with a
 * schedule, early stopping and callbacks, history, and a stop/continue that ends identical to an
 * uninterrupted run. Also every trainer function's refusal of NULL and bad options.
 */
#include <math.h>
#include <string.h>

#include "check.h"

#define SAMPLES 120
#define VAL 40
#define FEATURES 3

static float x[(SAMPLES + VAL) * FEATURES], y[SAMPLES + VAL];

static void make_data(void) {
  uint32_t s = 12345u;
  int i, f;
  for (i = 0; i < SAMPLES + VAL; ++i) {
    int label = i % 2;
    for (f = 0; f < FEATURES; ++f) {
      s = s * 1664525u + 1013904223u;
      x[i * FEATURES + f] = (float)((s >> 8) / 16777216.0 - 0.5) + (f == 0 ? label * 1.0f : 0.0f);
    }
    y[i] = (float)label;
  }
}

static nnstate_network *make_network(void) {
  nnstate_network *net = NULL;
  nnstate_optimizer_options adam;
  CHECK_OK(nnstate_network_create(&net, 77));
  CHECK_OK(nnstate_network_add_linear(net, FEATURES, 8, 1));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_TANH));
  CHECK_OK(nnstate_network_add_linear(net, 8, 2, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY));
  CHECK_OK(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM));
  adam.lr = 0.05;
  CHECK_OK(nnstate_network_set_optimizer(net, &adam));
  return net;
}

static nnstate_trainer *make_trainer(nnstate_network *net) {
  nnstate_trainer *trainer = NULL;
  nnstate_trainer_options options;
  nnstate_scheduler_options plateau;
  nnstate_early_stopping_options early;
  CHECK_OK(nnstate_trainer_options_init(&options));
  options.epochs = 12;
  options.batch_size = 16;
  CHECK_OK(nnstate_scheduler_options_init(&plateau, NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU));
  plateau.patience = 0;
  plateau.factor = 0.5;
  plateau.threshold = 0.05;
  CHECK_OK(nnstate_early_stopping_options_init(&early));
  early.patience = 4;
  early.restore_best_weights = 1;
  CHECK_OK(nnstate_trainer_create(&trainer, net, &options, &plateau, &early));
  return trainer;
}

struct counts {
  int epochs, batches;
  int64_t stop_at_step;
};

static int32_t on_epoch(const nnstate_epoch_info *info, void *user_data) {
  struct counts *c = (struct counts *)user_data;
  CHECK(info->struct_size == sizeof *info);
  CHECK(info->epoch == c->epochs);
  c->epochs++;
  return 0;
}

static int32_t on_batch(const nnstate_batch_info *info, void *user_data) {
  struct counts *c = (struct counts *)user_data;
  c->batches++;
  CHECK(info->batches_per_epoch == 8); /* 120 samples, batch 16: 7 full + 1 of 8 */
  return c->stop_at_step > 0 && info->global_step >= c->stop_at_step;
}

static void read_weights(nnstate_network *net, float *out) {
  CHECK_OK(nnstate_network_get_tensor(net, "0.weight", out, 24));
  CHECK_OK(nnstate_network_get_tensor(net, "2.weight", out + 24, 16));
}

int main(void) {
  nnstate_dataset *train = NULL, *val = NULL;
  nnstate_network *net, *other;
  nnstate_trainer *trainer, *interrupted;
  struct counts counts = {0, 0, 0}, stopper = {0, 0, 21};
  int32_t reason = -1;
  size_t rows = 0, i;
  nnstate_epoch_info row;
  float expected[40], actual[40];
  int64_t epoch = -1, step = -1, in_epoch = -1;
  nnstate_trainer_options options;

  make_data();
  CHECK_OK(nnstate_dataset_create(&train, x, SAMPLES * FEATURES, y, SAMPLES, SAMPLES));
  CHECK_OK(
      nnstate_dataset_create(&val, x + SAMPLES * FEATURES, VAL * FEATURES, y + SAMPLES, VAL, VAL));

  /* An uninterrupted run. */
  net = make_network();
  trainer = make_trainer(net);
  CHECK_OK(nnstate_trainer_set_callbacks(trainer, on_epoch, on_batch, &counts));
  CHECK_OK(nnstate_trainer_fit(trainer, train, val, &reason));
  CHECK(reason == NNSTATE_STOP_COMPLETED || reason == NNSTATE_STOP_EARLY_STOPPING);
  CHECK_OK(nnstate_trainer_history_count(trainer, &rows));
  CHECK(rows >= 2 && (int)rows == counts.epochs);
  CHECK(counts.batches == 8 * counts.epochs);
  row.struct_size = sizeof row;
  CHECK_OK(nnstate_trainer_history_row(trainer, rows - 1, &row));
  CHECK(row.epoch == (int64_t)rows - 1);
  CHECK(row.val_accuracy > 0.7);
  CHECK(row.loss > 0.0 && row.val_loss > 0.0);
  CHECK_ERR(nnstate_trainer_history_row(trainer, rows, &row), NNSTATE_ERR_INVALID_ARGUMENT);
  read_weights(net, expected);

  /* The same run stopped by a callback at step 21 (mid-epoch), then continued. */
  other = make_network();
  interrupted = make_trainer(other);
  CHECK_OK(nnstate_trainer_set_callbacks(interrupted, NULL, on_batch, &stopper));
  CHECK_OK(nnstate_trainer_fit(interrupted, train, val, &reason));
  CHECK(reason == NNSTATE_STOP_REQUESTED);
  CHECK_OK(nnstate_trainer_position(interrupted, &epoch, &step, &in_epoch));
  CHECK(step == 21 && epoch == 2 && in_epoch == 5);
  CHECK_OK(nnstate_trainer_set_callbacks(interrupted, NULL, NULL, NULL));
  CHECK_OK(nnstate_trainer_fit(interrupted, train, val, &reason));
  read_weights(other, actual);
  CHECK(memcmp(expected, actual, sizeof expected) == 0);
  for (i = 0; i < rows; ++i) {
    nnstate_epoch_info a, b;
    a.struct_size = b.struct_size = sizeof a;
    CHECK_OK(nnstate_trainer_history_row(trainer, i, &a));
    CHECK_OK(nnstate_trainer_history_row(interrupted, i, &b));
    CHECK(a.loss == b.loss && a.val_loss == b.val_loss && a.lr == b.lr);
  }

  /* The same run trained to 3 epochs, then extended to the 12 it was created with. */
  nnstate_trainer_free(interrupted);
  nnstate_network_free(other);
  other = make_network();
  interrupted = make_trainer(other);
  CHECK_OK(nnstate_trainer_set_epochs(interrupted, 3));
  CHECK_OK(nnstate_trainer_fit(interrupted, train, val, &reason));
  CHECK_OK(nnstate_trainer_position(interrupted, &epoch, NULL, NULL));
  CHECK(epoch <= 3 && epoch >= 2);
  CHECK_OK(nnstate_trainer_set_epochs(interrupted, 12));
  CHECK_OK(nnstate_trainer_fit(interrupted, train, val, &reason));
  read_weights(other, actual);
  CHECK(memcmp(expected, actual, sizeof expected) == 0);
  CHECK_ERR(nnstate_trainer_set_epochs(NULL, 3), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_trainer_set_epochs(interrupted, -1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(-1);

  /* Refusals. A failed create sets *out to NULL. */
  nnstate_trainer_free(interrupted);
  interrupted = NULL;
  {
    nnstate_dataset *bad = (nnstate_dataset *)&counts;
    CHECK_ERR(nnstate_dataset_create(NULL, x, 3, y, 1, 1), NNSTATE_ERR_INVALID_ARGUMENT);
    CHECK_ERR(nnstate_dataset_create(&bad, NULL, 3, y, 1, 1), NNSTATE_ERR_INVALID_ARGUMENT);
    CHECK(bad == NULL);
    CHECK_ERR(nnstate_dataset_create(&bad, x, 7, y, 2, 2), NNSTATE_ERR_SHAPE_MISMATCH);
    CHECK_MSG_NUMBER(7);
    CHECK_ERR(nnstate_dataset_create(&bad, x, 6, y, 2, 0), NNSTATE_ERR_INVALID_ARGUMENT);
  }
  CHECK_ERR(nnstate_trainer_options_init(NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_scheduler_options_init(NULL, 0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_early_stopping_options_init(NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_OK(nnstate_trainer_options_init(&options));
  options.struct_size = 3;
  CHECK_ERR(nnstate_trainer_create(&interrupted, net, &options, NULL, NULL), NNSTATE_ERR_VERSION);
  CHECK(interrupted == NULL);
  CHECK_OK(nnstate_trainer_options_init(&options));
  options.batch_size = 0;
  CHECK_ERR(nnstate_trainer_create(&interrupted, net, &options, NULL, NULL),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_trainer_create(&interrupted, NULL, &options, NULL, NULL),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_trainer_fit(NULL, train, NULL, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_trainer_fit(trainer, NULL, NULL, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  /* The trainer monitors val_loss: fit without validation data is refused with the reason. */
  {
    nnstate_dataset *train2 = NULL;
    CHECK_OK(nnstate_dataset_create(&train2, x, SAMPLES * FEATURES, y, SAMPLES, SAMPLES));
    CHECK_ERR(nnstate_trainer_fit(trainer, train2, NULL, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
    CHECK_MSG_CONTAINS("val_loss");
    nnstate_dataset_free(train2);
  }
  CHECK_ERR(nnstate_trainer_request_stop(NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_OK(nnstate_trainer_request_stop(trainer));
  CHECK_ERR(nnstate_trainer_position(NULL, &epoch, NULL, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_trainer_history_count(trainer, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  row.struct_size = 1;
  CHECK_ERR(nnstate_trainer_history_row(trainer, 0, &row), NNSTATE_ERR_VERSION);
  CHECK_ERR(nnstate_trainer_set_callbacks(NULL, NULL, NULL, NULL), NNSTATE_ERR_INVALID_ARGUMENT);

  nnstate_trainer_free(interrupted);
  nnstate_trainer_free(trainer);
  nnstate_trainer_free(NULL);
  nnstate_network_free(other);
  nnstate_network_free(net);
  nnstate_dataset_free(train);
  nnstate_dataset_free(val);
  nnstate_dataset_free(NULL);
  puts("api_trainer: all checks passed");
  return 0;
}
