/*
 * Every rank takes the same decisions with BatchNorm per rank (the library's default, PyTorch
 * DDP's): an MLP with BatchNorm1d and dropout, in the deterministic mode (chunks of 4), trained
 * by a trainer with validation, ReduceLROnPlateau and early stopping (best weights restored).
 * Each rank normalises its own share of a batch with that share's statistics, so the ranks'
 * forward passes differ; the validation loss and accuracy are reduced across the ranks, so the
 * learning-rate schedule and the stop must be the same everywhere. The program checks on rank 0
 * that every rank's history (every epoch's loss, accuracy, validation loss and accuracy and
 * rate, bit for bit), stop epoch and stop reason are rank 0's, that the rate was reduced and
 * early stopping fired; every rank then saves its trainer to DIR/rank<r>.nnst, which
 * run_mpi_decisions.sh compares (nnstate diff: every tensor and field but wall times).
 *
 * Usage: mpirun -np R mpi_decisions DIR
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nnstate/nnstate_mpi.h"

#define TRAIN 128
#define VAL 48
#define FEATURES 8
#define EPOCHS 40
#define FIELDS 5 /* per epoch: loss, accuracy, val_loss, val_accuracy, lr */

static int rank, ranks;

static void check(nnstate_status status, const char *what) {
  if (status != NNSTATE_OK) {
    fprintf(stderr, "rank %d: %s: %s\n", rank, what, nnstate_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

static void fail(const char *what) {
  fprintf(stderr, "FAIL: %s\n", what);
  MPI_Abort(MPI_COMM_WORLD, 1);
}

/* Three classes from the first features, with label noise, so that validation stops improving. */
static void make_data(float *x, float *y, int samples, int salt) {
  int s, f;
  for (s = 0; s < samples; ++s) {
    const int label = (s * 5 + salt) % 3;
    for (f = 0; f < FEATURES; ++f) {
      x[s * FEATURES + f] =
          (float)(sin(0.7 * (s + 1) * (f + 1) + salt) + (f == label ? 0.9 : 0.0) + 0.2 * f);
    }
    y[s] = (float)(s % 7 == 0 ? (label + 1) % 3 : label);
  }
}

static const char *kNetwork =
    "{\"input_shape\": [8], \"nodes\": ["
    "{\"kind\": \"Linear\", \"in_features\": 8, \"out_features\": 16},"
    "{\"kind\": \"BatchNorm1d\", \"num_features\": 16}, {\"kind\": \"ReLU\"},"
    "{\"kind\": \"Dropout\", \"p\": 0.1},"
    "{\"kind\": \"Linear\", \"in_features\": 16, \"out_features\": 3}]}";

int main(int argc, char **argv) {
  static float train_x[TRAIN * FEATURES], train_y[TRAIN], val_x[VAL * FEATURES], val_y[VAL];
  static double mine[EPOCHS * FIELDS + 2], all[4 * (EPOCHS * FIELDS + 2)];
  const int width = EPOCHS * FIELDS + 2;
  char path[4096];
  nnstate_network *net = NULL;
  nnstate_trainer *trainer = NULL;
  nnstate_dataset *train = NULL, *val = NULL;
  nnstate_optimizer_options adam;
  nnstate_trainer_options options;
  nnstate_scheduler_options plateau;
  nnstate_early_stopping_options stopping;
  nnstate_epoch_info row;
  int32_t reason = -1, synchronised = -1;
  size_t epochs = 0, e;
  int r, reduced = 0;

  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (argc != 2 || ranks > 4) {
    if (rank == 0) fprintf(stderr, "usage: mpirun -np R (R <= 4) %s DIR\n", argv[0]);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  make_data(train_x, train_y, TRAIN, 1);
  make_data(val_x, val_y, VAL, 2);
  check(nnstate_network_create_from_json(&net, kNetwork, 9), "network");
  check(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY), "loss");
  check(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM), "adam");
  adam.lr = 0.003;
  check(nnstate_network_set_optimizer(net, &adam), "optimizer");
  check(nnstate_network_set_deterministic(net, 4, 1), "deterministic mode");
  check(nnstate_mpi_attach(net, MPI_COMM_WORLD), "attach");
  check(nnstate_network_batchnorm_sync(net, &synchronised), "BatchNorm mode");
  if (synchronised != 0) fail("BatchNorm is not per rank by default");

  check(nnstate_trainer_options_init(&options), "options");
  options.epochs = EPOCHS;
  options.batch_size = 32; /* 8 chunks: 2 per rank on 4 ranks, 8 values per channel */
  check(nnstate_scheduler_options_init(&plateau, NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU), "plateau");
  plateau.patience = 0;
  plateau.factor = 0.5;
  check(nnstate_early_stopping_options_init(&stopping), "early stopping");
  stopping.patience = 3;
  stopping.restore_best_weights = 1;
  check(nnstate_trainer_create(&trainer, net, &options, &plateau, &stopping), "trainer");
  check(nnstate_dataset_create(&train, train_x, TRAIN * FEATURES, train_y, TRAIN, TRAIN), "data");
  check(nnstate_dataset_create(&val, val_x, VAL * FEATURES, val_y, VAL, VAL), "data");
  check(nnstate_trainer_fit(trainer, train, val, &reason), "fit");

  /* This rank's decisions: every epoch's metrics and rate, the epochs run, the reason. */
  check(nnstate_trainer_history_count(trainer, &epochs), "history");
  if (epochs > EPOCHS) fail("more epochs than configured");
  memset(mine, 0, sizeof mine);
  for (e = 0; e < epochs; ++e) {
    row.struct_size = sizeof row;
    check(nnstate_trainer_history_row(trainer, e, &row), "history row");
    mine[e * FIELDS + 0] = row.loss;
    mine[e * FIELDS + 1] = row.accuracy;
    mine[e * FIELDS + 2] = row.val_loss;
    mine[e * FIELDS + 3] = row.val_accuracy;
    mine[e * FIELDS + 4] = row.lr;
    if (e > 0 && row.lr < mine[(e - 1) * FIELDS + 4]) reduced = 1;
  }
  mine[EPOCHS * FIELDS] = (double)epochs;
  mine[EPOCHS * FIELDS + 1] = (double)reason;
  MPI_Gather(mine, width, MPI_DOUBLE, all, width, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    for (r = 1; r < ranks; ++r) {
      if (memcmp(all, all + r * width, sizeof mine) != 0) {
        fprintf(stderr, "FAIL: rank %d's history, stop epoch or reason differ from rank 0's\n", r);
        MPI_Abort(MPI_COMM_WORLD, 1);
      }
    }
    if (reason != NNSTATE_STOP_EARLY_STOPPING) fail("early stopping did not fire");
    if (!reduced) fail("ReduceLROnPlateau never reduced the rate");
    printf("mpi_decisions: %d ranks agree: stopped early after %zu epochs, final rate %g\n", ranks,
           epochs, mine[(epochs - 1) * FIELDS + 4]);
  }
  snprintf(path, sizeof path, "%s/rank%d.nnst", argv[1], rank);
  check(nnstate_trainer_save(trainer, path, NULL), "save");
  nnstate_trainer_free(trainer);
  nnstate_dataset_free(train);
  nnstate_dataset_free(val);
  nnstate_network_free(net);
  MPI_Finalize();
  return 0;
}
