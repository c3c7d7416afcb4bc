/* libnnstate_mpi: MPI as the transport of libnnstate's collective (nnstate_collective). */
#include "nnstate/nnstate_mpi.h"

#include <limits.h>
#include <stdlib.h>

/* A rank's MPI state, owned by libnnstate once attached (freed by release()). */
typedef struct mpi_group {
  MPI_Comm comm;
  int size;
  int *counts; /* per rank, for MPI_Allgatherv: reused by every call */
  int *displs;
} mpi_group;

static int32_t group_allgather(void *buffer, const int64_t *bytes, const int64_t *offset,
                               void *user_data) {
  mpi_group *g = (mpi_group *)user_data;
  int r;
  for (r = 0; r < g->size; ++r) {
    if (bytes[r] < 0 || bytes[r] > INT_MAX || offset[r] < 0 || offset[r] > INT_MAX) return -1;
    g->counts[r] = (int)bytes[r];
    g->displs[r] = (int)offset[r];
  }
  return MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buffer, g->counts, g->displs, MPI_BYTE,
                        g->comm) == MPI_SUCCESS
             ? 0
             : -2;
}

static int32_t group_broadcast(void *buffer, int64_t bytes, int64_t root, void *user_data) {
  mpi_group *g = (mpi_group *)user_data;
  if (bytes < 0 || bytes > INT_MAX || root < 0 || root >= g->size) return -1;
  return MPI_Bcast(buffer, (int)bytes, MPI_BYTE, (int)root, g->comm) == MPI_SUCCESS ? 0 : -2;
}

static void group_release(void *user_data) {
  mpi_group *g = (mpi_group *)user_data;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Comm_free(&g->comm);
  free(g->counts);
  free(g->displs);
  free(g);
}

/* A status and message of libnnstate's own for an MPI failure. */
static nnstate_status mpi_failed(const char *what) {
  return nnstate_report_error(NNSTATE_ERR_IO, what);
}

nnstate_status nnstate_mpi_attach(nnstate_network *network, MPI_Comm comm) {
  nnstate_collective c;
  mpi_group *g;
  int rank = 0, size = 0;
  int64_t chunk = 0;
  nnstate_status status;
  if (!network) return nnstate_report_error(NNSTATE_ERR_INVALID_ARGUMENT, "network is NULL");
  status = nnstate_network_deterministic(network, &chunk, NULL);
  if (status != NNSTATE_OK) return status;
  if (chunk == 0) {
    return nnstate_report_error(NNSTATE_ERR_STATE,
                                "nnstate_mpi_attach: the network is not in the deterministic mode "
                                "(nnstate_network_set_deterministic): ranks exchange chunks");
  }
  g = (mpi_group *)calloc(1, sizeof *g);
  if (!g) return nnstate_report_error(NNSTATE_ERR_OUT_OF_MEMORY, "nnstate_mpi_attach");
  if (MPI_Comm_dup(comm, &g->comm) != MPI_SUCCESS) {
    free(g);
    return mpi_failed("nnstate_mpi_attach: MPI_Comm_dup failed");
  }
  MPI_Comm_rank(g->comm, &rank);
  MPI_Comm_size(g->comm, &size);
  g->size = size;
  g->counts = (int *)calloc((size_t)size, sizeof(int));
  g->displs = (int *)calloc((size_t)size, sizeof(int));
  if (!g->counts || !g->displs) {
    group_release(g);
    return nnstate_report_error(NNSTATE_ERR_OUT_OF_MEMORY, "nnstate_mpi_attach");
  }
  nnstate_collective_init(&c);
  c.rank = rank;
  c.size = size;
  c.allgather = group_allgather;
  c.broadcast = group_broadcast;
  c.release = group_release;
  c.user_data = g;
  status = nnstate_network_set_collective(network, &c);
  if (status != NNSTATE_OK) group_release(g); /* not taken */
  return status;
}

nnstate_status nnstate_mpi_detach(nnstate_network *network) {
  return nnstate_network_set_collective(network, NULL);
}

nnstate_status nnstate_mpi_set_batchnorm_sync(nnstate_network *network, int synchronised) {
  return nnstate_network_set_batchnorm_sync(network, synchronised ? 1 : 0);
}

nnstate_status nnstate_mpi_trainer_set_checkpointing(nnstate_trainer *trainer,
                                                     const nnstate_checkpoint_policy *policy,
                                                     MPI_Comm comm) {
  int rank = 0;
  int32_t status = NNSTATE_OK;
  if (MPI_Comm_rank(comm, &rank) != MPI_SUCCESS) return mpi_failed("MPI_Comm_rank failed");
  if (rank == 0) status = nnstate_trainer_set_checkpointing(trainer, policy);
  if (MPI_Bcast(&status, 1, MPI_INT32_T, 0, comm) != MPI_SUCCESS) {
    return mpi_failed("nnstate_mpi_trainer_set_checkpointing: MPI_Bcast failed");
  }
  if (status != NNSTATE_OK && rank != 0) {
    return nnstate_report_error(status, "rank 0 could not set the checkpoint policy");
  }
  return status;
}

nnstate_status nnstate_mpi_trainer_resume_latest(nnstate_trainer *trainer, const char *directory,
                                                 int32_t *found, MPI_Comm comm) {
  int32_t here = 0;
  int64_t mine[2] = {0, -1}, lowest[2], highest[2];
  int32_t status = nnstate_trainer_resume_latest(trainer, directory, &here);
  int32_t worst = status;
  if (MPI_Allreduce(&status, &worst, 1, MPI_INT32_T, MPI_MIN, comm) != MPI_SUCCESS) {
    return mpi_failed("nnstate_mpi_trainer_resume_latest: MPI_Allreduce failed");
  }
  if (status != NNSTATE_OK) return status;
  if (worst != NNSTATE_OK) {
    return nnstate_report_error(worst, "another rank could not resume (its status is given)");
  }
  mine[0] = here;
  if (nnstate_trainer_position(trainer, NULL, &mine[1], NULL) != NNSTATE_OK) mine[1] = -1;
  if (MPI_Allreduce(mine, lowest, 2, MPI_INT64_T, MPI_MIN, comm) != MPI_SUCCESS ||
      MPI_Allreduce(mine, highest, 2, MPI_INT64_T, MPI_MAX, comm) != MPI_SUCCESS) {
    return mpi_failed("nnstate_mpi_trainer_resume_latest: MPI_Allreduce failed");
  }
  if (lowest[0] != highest[0] || lowest[1] != highest[1]) {
    return nnstate_report_error(NNSTATE_ERR_STATE,
                                "the ranks resumed from different checkpoints (a save was still "
                                "being written, or the ranks see different directories)");
  }
  if (found) *found = here;
  return NNSTATE_OK;
}
