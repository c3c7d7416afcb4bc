/*
 * BatchNorm over the ranks (every rank runs this program; run_mpi_batchnorm.sh runs it on 1, 2
 * and 4 ranks): a Linear-BatchNorm1d-ReLU-Linear network in the deterministic mode (chunks of
 * 4, batches of 16), trained over MPI_COMM_WORLD, against networks trained by this process
 * alone (no collective) as references:
 *  - synchronised: the same bits as one process on the whole batch;
 *  - per rank (the default): every rank holds the same state (weights, running statistics);
 *    with one rank it equals synchronised, with more it differs; after one step the running
 *    statistics are those of one process that trained on rank 0's share of the batch alone;
 *  - per rank, a share with one value per channel is refused on every rank alike (no rank is
 *    left waiting in a collective), where synchronised trains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnstate/nnstate_mpi.h"

#define FEATURES 6
#define CLASSES 3
#define BATCH 16
#define CHUNK 4
#define STEPS 5
#define MAX_STATE 4096

static int rank, ranks, failures;

static void check(nnstate_status status, const char *what) {
  if (status != NNSTATE_OK) {
    fprintf(stderr, "rank %d: %s: %s\n", rank, what, nnstate_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

static void expect(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "rank %d of %d: FAIL: %s\n", rank, ranks, what);
    ++failures;
  }
}

static float inputs[STEPS][BATCH * FEATURES], targets[STEPS][BATCH];

static void make_data(void) {
  int s, i, f;
  for (s = 0; s < STEPS; ++s) {
    for (i = 0; i < BATCH; ++i) {
      /* Each quarter of the batch is shifted differently, so the ranks' shares differ. */
      for (f = 0; f < FEATURES; ++f) {
        inputs[s][i * FEATURES + f] =
            (float)(((i * 7 + f * 3 + s * 5) % 11) - 5) * 0.2f + (float)(i / 4) * 0.5f;
      }
      targets[s][i] = (float)((i + s) % CLASSES);
    }
  }
}

/* `sync_first`: the BatchNorm mode is set before the deterministic mode (it is kept). */
static nnstate_network *make_network_with(int sync_first) {
  nnstate_network *net = NULL;
  nnstate_optimizer_options sgd;
  check(nnstate_network_create(&net, 11), "network");
  if (sync_first) check(nnstate_mpi_set_batchnorm_sync(net, 1), "batchnorm sync");
  check(nnstate_network_add_linear(net, FEATURES, 8, 1), "linear");
  check(nnstate_network_add_batch_norm(net, 1, 8, 1e-5, 0.1, 1, 1), "batch norm");
  check(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU), "relu");
  check(nnstate_network_add_linear(net, 8, CLASSES, 1), "linear");
  check(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY), "loss");
  check(nnstate_optimizer_options_init(&sgd, NNSTATE_OPTIMIZER_SGD), "sgd");
  sgd.lr = 0.1;
  check(nnstate_network_set_optimizer(net, &sgd), "optimizer");
  check(nnstate_network_set_deterministic(net, CHUNK, 1), "deterministic mode");
  return net;
}

static nnstate_network *make_network(void) {
  return make_network_with(0);
}

/* Every tensor of the network, in state_dict order; returns their number of floats. */
static size_t state_of(const nnstate_network *net, float *out) {
  size_t count = 0, t, used = 0;
  check(nnstate_network_tensor_count(net, &count), "tensor count");
  for (t = 0; t < count; ++t) {
    const char *name = NULL;
    int32_t dims_count = 0, d;
    int64_t dims[4];
    size_t n = 1;
    check(nnstate_network_tensor_info(net, t, &name, NULL, &dims_count, dims), "tensor info");
    for (d = 0; d < dims_count; ++d) n *= (size_t)dims[d];
    if (used + n > MAX_STATE) MPI_Abort(MPI_COMM_WORLD, 3);
    check(nnstate_network_get_tensor(net, name, out + used, n), "get tensor");
    used += n;
  }
  return used;
}

/* Trains `steps` batches (the first `samples` of each); `attach`: over MPI_COMM_WORLD;
 * `synchronised` 2: set before the deterministic mode. */
static size_t train(int attach, int synchronised, int steps, size_t samples, float *state) {
  nnstate_network *net = make_network_with(synchronised == 2);
  int s;
  if (synchronised != 2) check(nnstate_mpi_set_batchnorm_sync(net, synchronised), "sync");
  if (attach) check(nnstate_mpi_attach(net, MPI_COMM_WORLD), "attach");
  for (s = 0; s < steps; ++s) {
    check(nnstate_network_train_step(net, inputs[s], samples * FEATURES, targets[s], samples,
                                     samples, NULL),
          "train step");
  }
  samples = state_of(net, state);
  nnstate_network_free(net);
  return samples;
}

/* The running statistics (running_mean, running_var, num_batches_tracked) of `state`. */
static const float *running_stats(const float *state) {
  return state + FEATURES * 8 + 8 + 8 + 8; /* after 0.weight, 0.bias, 1.weight, 1.bias */
}

static int same_on_every_rank(const float *state, size_t n) {
  static float rank0[MAX_STATE];
  int same, all = 0;
  memcpy(rank0, state, n * sizeof(float));
  MPI_Bcast(rank0, (int)n, MPI_FLOAT, 0, MPI_COMM_WORLD);
  same = memcmp(rank0, state, n * sizeof(float)) == 0;
  MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all;
}

int main(int argc, char **argv) {
  static float alone[MAX_STATE], synced[MAX_STATE], per_rank[MAX_STATE], share0[MAX_STATE];
  size_t n, rank0_samples;
  int32_t synchronised = -1;
  nnstate_network *net;
  nnstate_status status;
  const float *stats;

  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  make_data();

  net = make_network();
  check(nnstate_network_batchnorm_sync(net, &synchronised), "batchnorm sync");
  expect(synchronised == 0, "BatchNorm is per rank by default");
  check(nnstate_mpi_set_batchnorm_sync(net, 7), "batchnorm sync");
  check(nnstate_network_batchnorm_sync(net, &synchronised), "batchnorm sync");
  expect(synchronised == 1, "any non-zero value is synchronised");
  expect(nnstate_mpi_set_batchnorm_sync(NULL, 1) == NNSTATE_ERR_INVALID_ARGUMENT, "NULL network");
  expect(nnstate_network_batchnorm_sync(net, NULL) == NNSTATE_ERR_INVALID_ARGUMENT, "NULL out");
  nnstate_network_free(net);

  n = train(0, 1, STEPS, BATCH, alone);
  expect(train(1, 1, STEPS, BATCH, synced) == n, "state size");
  expect(memcmp(alone, synced, n * sizeof(float)) == 0,
         "synchronised: the same bits as one process on the whole batch");
  train(1, 2, STEPS, BATCH, synced);
  expect(memcmp(alone, synced, n * sizeof(float)) == 0,
         "synchronised before the deterministic mode: kept");

  train(1, 0, STEPS, BATCH, per_rank);
  expect(same_on_every_rank(per_rank, n), "per rank: every rank holds the same state");
  if (ranks == 1) {
    expect(memcmp(per_rank, synced, n * sizeof(float)) == 0, "one rank: per rank = synchronised");
  } else {
    expect(memcmp(per_rank, synced, n * sizeof(float)) != 0,
           "several ranks: per rank differs from synchronised");
  }

  /* One step: rank 0's share is chunks [0, ceil(4 / ranks)) of the batch's 4. */
  rank0_samples = (size_t)((BATCH / CHUNK + ranks - 1) / ranks) * CHUNK;
  train(1, 0, 1, BATCH, per_rank);
  train(0, 0, 1, rank0_samples, share0);
  stats = running_stats(per_rank);
  expect(memcmp(stats, running_stats(share0), (8 + 8 + 1) * sizeof(float)) == 0,
         "per rank: the running statistics are those of rank 0's share alone");
  expect(stats[8 + 8] == 1.0f, "num_batches_tracked is 1 after one step");
  expect(same_on_every_rank(per_rank, n), "per rank: the same state after one step");

  /* 8 samples, 2 chunks: on 4 ranks two ranks have none and only follow. */
  train(1, 0, STEPS, 8, per_rank);
  expect(same_on_every_rank(per_rank, n), "per rank, ranks without chunks: the same state");
  train(0, 0, STEPS, 8, share0);
  if (ranks == 1) expect(memcmp(per_rank, share0, n * sizeof(float)) == 0, "8 samples alone");

  /* 9 samples: chunks of 4, 4 and 1. With several ranks the last chunk's rank normalises
   * its 1 sample alone: every rank must refuse the step (none waits for it). */
  net = make_network();
  check(nnstate_mpi_attach(net, MPI_COMM_WORLD), "attach");
  status = nnstate_network_train_step(net, inputs[0], 9 * FEATURES, targets[0], 9, 9, NULL);
  if (ranks == 1) {
    expect(status == NNSTATE_OK, "one rank: 9 samples train");
  } else {
    expect(status == NNSTATE_ERR_SHAPE_MISMATCH, "a share of one sample is refused everywhere");
    expect(strstr(nnstate_last_error(), "on rank") != NULL, "the message names the rank");
  }
  check(nnstate_mpi_set_batchnorm_sync(net, 1), "batchnorm sync");
  check(nnstate_network_train_step(net, inputs[0], 9 * FEATURES, targets[0], 9, 9, NULL),
        "synchronised: 9 samples train");
  nnstate_network_free(net);

  MPI_Allreduce(MPI_IN_PLACE, &failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) printf("mpi_batchnorm on %d ranks: %d failures\n", ranks, failures);
  MPI_Finalize();
  return failures ? 1 : 0;
}
