/* Builds against an installed libnnstate_mpi (find_package(nnstate COMPONENTS mpi), pkg-config
 * nnstate_mpi) and trains one step over MPI_COMM_WORLD, run by mpirun. */
#include <stdio.h>

#include <nnstate/nnstate_mpi.h>

int main(int argc, char **argv) {
  nnstate_network *net = NULL;
  nnstate_optimizer_options sgd;
  const float x[4] = {1.0f, 2.0f, -1.0f, 0.5f}, y[2] = {3.0f, -2.0f};
  float loss = -1.0f;
  int rank = 0, failed;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  failed = nnstate_network_create(&net, 1) || nnstate_network_add_linear(net, 2, 1, 1) ||
           nnstate_network_set_loss(net, NNSTATE_LOSS_MSE) ||
           nnstate_optimizer_options_init(&sgd, NNSTATE_OPTIMIZER_SGD) ||
           nnstate_network_set_optimizer(net, &sgd) ||
           nnstate_network_set_deterministic(net, 1, 1) || nnstate_mpi_set_batchnorm_sync(net, 1) ||
           nnstate_mpi_attach(net, MPI_COMM_WORLD) ||
           nnstate_network_train_step(net, x, 4, y, 2, 2, &loss) || !(loss > 0.0f);
  if (failed) fprintf(stderr, "consumer_mpi failed on rank %d: %s\n", rank, nnstate_last_error());
  nnstate_network_free(net);
  if (!failed && rank == 0) printf("consumer_mpi: trained one step over MPI, loss %g\n", loss);
  MPI_Finalize();
  return failed;
}
