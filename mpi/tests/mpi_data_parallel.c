/*
 * A data-parallel training over MPI (every rank runs this program): a CNN with BatchNorm and
 * dropout on synthetic 8x8 images, in the deterministic mode (chunks of 4) with synchronised
 * BatchNorm, a trainer with ReduceLROnPlateau on the validation loss, checkpoints by rank 0
 * every 3 batches.
 *
 * Usage: mpi_data_parallel DIR [--final PATH] [--resume] [--kill-at-step K] [--per-rank]
 *   --final PATH      rank 0 saves the finished run's checkpoint there
 *   --resume          continue from the newest checkpoint in DIR (written by any rank count)
 *   --kill-at-step K  the last rank kills itself (SIGKILL) once K batches are done
 *   --per-rank        BatchNorm per rank (the default of the library, PyTorch DDP's) instead
 *                     of synchronised: the results then depend on the rank count
 * run_mpi_tests.sh runs it on 1, 2 and 4 ranks and compares the final checkpoints.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnstate/nnstate_mpi.h"

#define TRAIN 150
#define VAL 40
#define PIXELS 64

static int rank, ranks;
static int64_t kill_at = 0;

static void check(nnstate_status status, const char *what) {
  if (status != NNSTATE_OK) {
    fprintf(stderr, "rank %d: %s: %s\n", rank, what, nnstate_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

static void make_data(float *x, float *y, int samples, int salt) {
  int s, p;
  for (s = 0; s < samples; ++s) {
    const int label = (s * 7 + salt) % 3;
    for (p = 0; p < PIXELS; ++p) {
      x[s * PIXELS + p] =
          (float)(0.5 * sin(0.3 * (s + 1) * (p % 8 + 1) + salt) + (label == p % 3 ? 0.8 : 0.0));
    }
    y[s] = (float)label;
  }
}

static int32_t on_batch(const nnstate_batch_info *info, void *user_data) {
  (void)user_data;
  if (kill_at > 0 && info->global_step == kill_at && rank == ranks - 1) raise(SIGKILL);
  return 0;
}

static const char *kNetwork =
    "{\"input_shape\": [1, 8, 8], \"nodes\": ["
    "{\"kind\": \"Conv2d\", \"in_channels\": 1, \"out_channels\": 4, \"kernel_size\": 3,"
    " \"padding\": 1},"
    "{\"kind\": \"BatchNorm2d\", \"num_features\": 4}, {\"kind\": \"ReLU\"},"
    "{\"kind\": \"Dropout2d\", \"p\": 0.1}, {\"kind\": \"MaxPool2d\", \"kernel_size\": 2},"
    "{\"kind\": \"Flatten\"}, {\"kind\": \"Linear\", \"in_features\": 64, \"out_features\": 16},"
    "{\"kind\": \"BatchNorm1d\", \"num_features\": 16}, {\"kind\": \"ReLU\"},"
    "{\"kind\": \"Dropout\", \"p\": 0.2},"
    "{\"kind\": \"Linear\", \"in_features\": 16, \"out_features\": 3}]}";

int main(int argc, char **argv) {
  static float train_x[TRAIN * PIXELS], train_y[TRAIN], val_x[VAL * PIXELS], val_y[VAL];
  const char *dir = NULL, *final_path = NULL;
  int resume = 0, per_rank = 0, i;
  nnstate_network *net = NULL;
  nnstate_trainer *trainer = NULL;
  nnstate_dataset *train = NULL, *val = NULL;
  nnstate_optimizer_options adam;
  nnstate_trainer_options options;
  nnstate_scheduler_options plateau;
  nnstate_checkpoint_policy policy;
  int32_t found = 0, reason = 0;
  int64_t steps_before = 0, steps_after = 0;
  double started, seconds;

  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  for (i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--final") == 0 && i + 1 < argc) {
      final_path = argv[++i];
    } else if (strcmp(argv[i], "--resume") == 0) {
      resume = 1;
    } else if (strcmp(argv[i], "--per-rank") == 0) {
      per_rank = 1;
    } else if (strcmp(argv[i], "--kill-at-step") == 0 && i + 1 < argc) {
      kill_at = atoll(argv[++i]);
    } else if (!dir && argv[i][0] != '-') {
      dir = argv[i];
    } else {
      if (rank == 0) fprintf(stderr, "mpi_data_parallel: bad argument %s\n", argv[i]);
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
  }
  if (!dir) MPI_Abort(MPI_COMM_WORLD, 2);

  make_data(train_x, train_y, TRAIN, 1);
  make_data(val_x, val_y, VAL, 2);
  check(nnstate_network_create_from_json(&net, kNetwork, 5), "network");
  check(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY), "loss");
  check(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM), "adam");
  adam.lr = 0.01;
  check(nnstate_network_set_optimizer(net, &adam), "optimizer");
  check(nnstate_network_set_deterministic(net, 4, 1), "deterministic mode");
  /* Synchronised BatchNorm: the same bits on any number of ranks (per rank, the results
   * depend on it). */
  check(nnstate_mpi_set_batchnorm_sync(net, !per_rank), "BatchNorm mode");
  check(nnstate_mpi_attach(net, MPI_COMM_WORLD), "attach");

  check(nnstate_trainer_options_init(&options), "options");
  options.epochs = 4;
  options.batch_size = 30;
  check(nnstate_scheduler_options_init(&plateau, NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU), "plateau");
  plateau.patience = 0;
  plateau.factor = 0.5;
  check(nnstate_trainer_create(&trainer, net, &options, &plateau, NULL), "trainer");
  check(nnstate_trainer_set_callbacks(trainer, NULL, on_batch, NULL), "callbacks");
  check(nnstate_checkpoint_policy_init(&policy), "policy");
  policy.directory = dir;
  policy.every_steps = 3;
  policy.fsync = 0;
  check(nnstate_mpi_trainer_set_checkpointing(trainer, &policy, MPI_COMM_WORLD), "checkpointing");
  if (resume) {
    check(nnstate_mpi_trainer_resume_latest(trainer, dir, &found, MPI_COMM_WORLD), "resume");
    if (!found) {
      fprintf(stderr, "rank %d: no checkpoint to resume in %s\n", rank, dir);
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
  }
  check(nnstate_dataset_create(&train, train_x, TRAIN * PIXELS, train_y, TRAIN, TRAIN), "data");
  check(nnstate_dataset_create(&val, val_x, VAL * PIXELS, val_y, VAL, VAL), "data");
  check(nnstate_trainer_position(trainer, NULL, &steps_before, NULL), "position");
  started = MPI_Wtime();
  check(nnstate_trainer_fit(trainer, train, val, &reason), "fit");
  seconds = MPI_Wtime() - started;
  check(nnstate_trainer_position(trainer, NULL, &steps_after, NULL), "position");
  if (final_path && rank == 0) check(nnstate_trainer_save(trainer, final_path, NULL), "save");
  MPI_Barrier(MPI_COMM_WORLD);
  nnstate_trainer_free(trainer);
  nnstate_dataset_free(train);
  nnstate_dataset_free(val);
  nnstate_network_free(net); /* releases the group (its duplicated communicator) */
  if (rank == 0) {
    /* A measurement for the README's scaling table, not a check. */
    printf("mpi_data_parallel: %d ranks done (stop reason %d), %.0f training samples/s\n", ranks,
           reason, (double)(steps_after - steps_before) * options.batch_size / seconds);
  }
  MPI_Finalize();
  return 0;
}
