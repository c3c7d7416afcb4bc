/*
 * Data-parallel scaling of the MLP 784-512-256-10 (Adam, cross-entropy, batch 128) over MPI in
 * the deterministic mode (chunks of 32, one library thread per rank): every rank runs this
 * program on the same synthetic batches, computes its share of each batch's chunks and gathers
 * the rest, so every rank count ends with the same weights. Rank 0 prints
 *   RESULT ranks=R steps=S samples_per_second=X first_weight_bits=0x...
 * (with bytes_per_step: the most bytes one rank contributed per training step, its blocks of
 * the allgathers and what it broadcast as the root; collectives_per_step: the MPI calls), and
 * saves the final network to PATH when given, for run_mpi_bench.sh to compare the rank counts'
 * results (nnstate diff).
 *
 * Usage: mpirun -np R mpi_scaling [steps (default 60)] [PATH]
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_network.h"
#include "nnstate/nnstate_mpi.h"

enum { IN = MLP_IN, H1 = MLP_H1, BATCH = 128, BATCHES = 8, CHUNK = 32 };
enum { WARMUP = 5 };

static int rank;

/* MPI's profiling interface: libnnstate_mpi's collectives land here first, to be counted. */
static long long contributed = 0, collectives = 0;

int MPI_Allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                   const int recvcounts[], const int displs[], MPI_Datatype recvtype,
                   MPI_Comm comm) {
  int me = 0, type_size = 0;
  PMPI_Comm_rank(comm, &me);
  PMPI_Type_size(recvtype, &type_size);
  contributed += (long long)recvcounts[me] * type_size;
  ++collectives;
  return PMPI_Allgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs, recvtype, comm);
}

int MPI_Bcast(void *buffer, int count, MPI_Datatype datatype, int root, MPI_Comm comm) {
  int me = 0, type_size = 0;
  PMPI_Comm_rank(comm, &me);
  PMPI_Type_size(datatype, &type_size);
  if (me == root) contributed += (long long)count * type_size;
  ++collectives;
  return PMPI_Bcast(buffer, count, datatype, root, comm);
}

static void check(nnstate_status status, const char *what) {
  if (status != NNSTATE_OK) {
    fprintf(stderr, "mpi_scaling rank %d: %s: %s\n", rank, what, nnstate_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

/* The same numbers on every rank: a fixed linear congruential stream. */
static uint64_t state = 42;
static float next_uniform(void) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (float)(state >> 40) / (float)(1u << 24);
}

static void step(nnstate_network *net, const float *x, const float *y, long s) {
  const size_t b = (size_t)(s % BATCHES);
  float loss = 0.0f;
  check(nnstate_network_train_step(net, x + b * BATCH * IN, (size_t)BATCH * IN, y + b * BATCH,
                                   BATCH, BATCH, &loss),
        "train_step");
}

int main(int argc, char **argv) {
  long steps = argc > 1 ? strtol(argv[1], NULL, 10) : 60, s;
  const char *path = argc > 2 ? argv[2] : NULL;
  int ranks;
  size_t i;
  float *x, *y, *first;
  uint32_t bits;
  double started, seconds;
  long long counted[2], most[2];
  nnstate_network *net = NULL;

  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (steps < 1 || argc > 3) {
    if (rank == 0) fprintf(stderr, "usage: mpirun -np R %s [steps >= 1] [PATH]\n", argv[0]);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  x = malloc(sizeof(float) * BATCHES * BATCH * IN);
  y = malloc(sizeof(float) * BATCHES * BATCH);
  if (!x || !y) check(NNSTATE_ERR_OUT_OF_MEMORY, "data");
  for (i = 0; i < (size_t)BATCHES * BATCH * IN; ++i) x[i] = next_uniform();
  for (i = 0; i < (size_t)BATCHES * BATCH; ++i) y[i] = (float)((size_t)(next_uniform() * 10) % 10);

  check(nnstate_network_create(&net, 1234), "network_create");
  check(build_mlp_network(net, 1e-3), "building the MLP");
  check(nnstate_network_set_deterministic(net, CHUNK, 1), "deterministic mode");
  check(nnstate_mpi_attach(net, MPI_COMM_WORLD), "attach");

  for (s = 0; s < WARMUP; ++s) step(net, x, y, s);
  MPI_Barrier(MPI_COMM_WORLD);
  contributed = collectives = 0;
  started = MPI_Wtime();
  for (s = 0; s < steps; ++s) step(net, x, y, WARMUP + s);
  counted[0] = contributed;
  counted[1] = collectives;
  MPI_Barrier(MPI_COMM_WORLD);
  seconds = MPI_Wtime() - started;
  MPI_Allreduce(counted, most, 2, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);

  first = malloc(sizeof(float) * H1 * IN);
  if (!first) check(NNSTATE_ERR_OUT_OF_MEMORY, "weights");
  check(nnstate_network_get_tensor(net, "0.weight", first, (size_t)H1 * IN), "get_tensor");
  memcpy(&bits, first, sizeof bits);
  if (rank == 0) {
    printf(
        "RESULT ranks=%d steps=%ld samples_per_second=%.0f bytes_per_step=%lld "
        "collectives_per_step=%lld first_weight_bits=0x%08x\n",
        ranks, steps, (double)steps * BATCH / seconds, most[0] / steps, most[1] / steps,
        (unsigned)bits);
    if (path) check(nnstate_checkpoint_save(net, path, NULL), "save");
  }
  check(nnstate_mpi_detach(net), "detach");
  nnstate_network_free(net);
  free(first);
  free(x);
  free(y);
  MPI_Finalize();
  return 0;
}
