/*
 * The benches' MLP 784-512-256-10 (ReLU, cross-entropy, Adam with PyTorch's defaults but the
 * given rate), built layer by layer through the C API: the same network in bench/mlp_train.c
 * (beside its PyTorch twin) and mpi/bench/mpi_scaling.c. Returns the first failing status.
 */
#ifndef NNSTATE_BENCH_MLP_NETWORK_H
#define NNSTATE_BENCH_MLP_NETWORK_H

#include "nnstate/nnstate.h"

#define MLP_IN 784
#define MLP_H1 512
#define MLP_H2 256
#define MLP_CLASSES 10

static nnstate_status build_mlp_network(nnstate_network *net, double lr) {
  nnstate_optimizer_options adam;
  nnstate_status s;
  if ((s = nnstate_network_add_linear(net, MLP_IN, MLP_H1, 1)) != NNSTATE_OK ||
      (s = nnstate_network_add_activation(net, NNSTATE_LAYER_RELU)) != NNSTATE_OK ||
      (s = nnstate_network_add_linear(net, MLP_H1, MLP_H2, 1)) != NNSTATE_OK ||
      (s = nnstate_network_add_activation(net, NNSTATE_LAYER_RELU)) != NNSTATE_OK ||
      (s = nnstate_network_add_linear(net, MLP_H2, MLP_CLASSES, 1)) != NNSTATE_OK ||
      (s = nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY)) != NNSTATE_OK ||
      (s = nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM)) != NNSTATE_OK) {
    return s;
  }
  adam.lr = lr;
  return nnstate_network_set_optimizer(net, &adam);
}

#endif
