/*
 * libnnstate_mpi: data-parallel training over MPI for libnnstate (an optional component, built
 * when Open MPI is found; libnnstate itself has no MPI dependency). Same conventions as
 * nnstate.h: every function returns an nnstate_status and leaves a message in
 * nnstate_last_error(); nothing aborts on bad input.
 *
 * Every rank of a communicator builds the same network (same seed, same layers), puts it in the
 * deterministic mode (nnstate_network_set_deterministic, same chunk size on every rank) and
 * calls nnstate_mpi_attach. From then on every pass over a batch (train_step, a trainer's fit,
 * evaluate, predict) computes only this rank's share of the batch's chunks and the ranks gather
 * every chunk's gradients, losses, accuracy counts and BatchNorm statistics, which each rank
 * reduces in the same canonical order: every rank holds the same bits, and 1, 2 or 4 ranks give
 * the same bits as one process (with any thread count) when BatchNorm is synchronised
 * (nnstate_mpi_set_batchnorm_sync; by default it is per rank, as in PyTorch DDP, and results
 * then depend on the rank count, still the same on every rank). Each rank passes the same data to
 * every call (the same global batch; a trainer's shuffle is the same everywhere), and
 * validation metrics are therefore the same on every rank, so early stopping and
 * ReduceLROnPlateau decide alike.
 *
 * Checkpoints: the state is the same on every rank, so one rank (0) writes it
 * (nnstate_mpi_trainer_set_checkpointing); the file holds exactly what a single-process
 * checkpoint holds and resumes on any number of ranks (nnstate_mpi_trainer_resume_latest).
 */
#ifndef NNSTATE_NNSTATE_MPI_H
#define NNSTATE_NNSTATE_MPI_H

#include <mpi.h>

#include "nnstate/nnstate.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NNSTATE_MPI_API __attribute__((visibility("default")))

/* Joins `network` (in the deterministic mode) to the data-parallel group `comm` (duplicated:
 * the caller keeps its own). Collective: every rank of comm calls it. The group stays attached
 * until nnstate_mpi_detach or nnstate_network_free. Errors: INVALID_ARGUMENT (NULL network),
 * STATE (the network is not in the deterministic mode), IO (an MPI call failed). */
NNSTATE_MPI_API nnstate_status nnstate_mpi_attach(nnstate_network *network, MPI_Comm comm);
/* Leaves the group: the network computes every chunk itself again. */
NNSTATE_MPI_API nnstate_status nnstate_mpi_detach(nnstate_network *network);

/* BatchNorm statistics per rank (synchronised 0, the default, PyTorch DDP's) or over the whole
 * global batch (synchronised 1, SyncBatchNorm's). Per rank, each rank normalises its share of
 * the batch with that share's statistics (its backward uses that share's gradient moments);
 * the weight gradients are still every rank's, so the weights stay the same on every rank, and
 * the running statistics of every rank are updated with rank 0's batch statistics (DDP's
 * broadcast_buffers), so the whole state is rank 0's, which is what rank 0 checkpoints. The
 * results then depend on the rank count, as in DDP; only synchronised keeps "the same bits at
 * any scale". Not saved in checkpoints (a runtime setting like the group itself): set it on
 * every rank, before or after attach, alike on every rank. Same as
 * nnstate_network_set_batchnorm_sync. Errors: INVALID_ARGUMENT (NULL network). */
NNSTATE_MPI_API nnstate_status nnstate_mpi_set_batchnorm_sync(nnstate_network *network,
                                                              int synchronised);

/* The trainer's checkpoint policy on rank 0 of comm; the other ranks keep none (their state is
 * rank 0's). Collective. Errors: those of nnstate_trainer_set_checkpointing (on rank 0, or IO
 * when an MPI call failed; every rank returns rank 0's status). */
NNSTATE_MPI_API nnstate_status nnstate_mpi_trainer_set_checkpointing(
    nnstate_trainer *trainer, const nnstate_checkpoint_policy *policy, MPI_Comm comm);
/* nnstate_trainer_resume_latest on every rank of comm, then a check that all resumed from the
 * same position (the same file: *found and the trainer's global step agree); STATE when they do
 * not. Collective. */
NNSTATE_MPI_API nnstate_status nnstate_mpi_trainer_resume_latest(nnstate_trainer *trainer,
                                                                 const char *directory,
                                                                 int32_t *found, MPI_Comm comm);

#ifdef __cplusplus
}
#endif

#endif /* NNSTATE_NNSTATE_MPI_H */
