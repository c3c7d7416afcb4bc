/* Builds against an installed libnnstate and trains one step: proves the installed headers,
 * library, CMake package and pkg-config file are usable. */
#include <stdio.h>
#include <string.h>

#include <nnstate/nnstate.h>

int main(void) {
  nnstate_network *net = NULL;
  nnstate_optimizer_options sgd;
  const float x[2] = {1.0f, 2.0f}, y[1] = {3.0f};
  float loss = -1.0f;
  if (nnstate_abi_version() != NNSTATE_ABI_VERSION ||
      strcmp(nnstate_version_string(), NNSTATE_VERSION_STRING) != 0) {
    fprintf(stderr, "version mismatch: %s\n", nnstate_version_string());
    return 1;
  }
  if (nnstate_network_create(&net, 1) || nnstate_network_add_linear(net, 2, 1, 1) ||
      nnstate_network_set_loss(net, NNSTATE_LOSS_MSE) ||
      nnstate_optimizer_options_init(&sgd, NNSTATE_OPTIMIZER_SGD) ||
      nnstate_network_set_optimizer(net, &sgd) ||
      nnstate_network_train_step(net, x, 2, y, 1, 1, &loss) || !(loss > 0.0f)) {
    fprintf(stderr, "consumer failed: %s\n", nnstate_last_error());
    nnstate_network_free(net);
    return 1;
  }
  nnstate_network_free(net);
  printf("consumer: trained one step with libnnstate %s, loss %g\n", nnstate_version_string(),
         loss);
  return 0;
}
