/* Writes the golden checkpoints of the current format into DIR and prints the values that
 * tests/unit/test_checkpoint_golden.cpp checks. Run once when a format version is released;
 * the files are then committed and never change:
 *   checkpoint_make_golden tests/data/v1
 */
#define _POSIX_C_SOURCE 200809L

#include "../capi/checkpoint_common.h"

static void save(nnstate_network *net, const char *dir, const char *name, const char *optimizer) {
  char path[512];
  const char *keys[] = {"optimizer", "lr", "purpose"};
  const char *values[3];
  nnstate_save_options so;
  nnstate_checkpoint *ck = NULL;
  size_t count, i, j;
  values[0] = optimizer;
  values[1] = "0.01";
  values[2] = "golden file: must load in every later version";
  ckpt_join(path, sizeof path, dir, name);
  CHECK_OK(nnstate_save_options_init(&so));
  so.metadata_keys = keys;
  so.metadata_values = values;
  so.metadata_count = 3;
  CHECK_OK(nnstate_checkpoint_save(net, path, &so));
  CHECK_OK(nnstate_checkpoint_open(&ck, path, NULL));
  CHECK_OK(nnstate_checkpoint_tensor_count(ck, &count));
  printf("%s\n", name);
  for (i = 0; i < count; ++i) {
    const char *tensor;
    const float *data;
    size_t n;
    uint32_t bits;
    CHECK_OK(nnstate_checkpoint_tensor_info(ck, i, &tensor, NULL, NULL, NULL, NULL));
    CHECK_OK(nnstate_checkpoint_tensor_data(ck, tensor, &data, &n));
    printf("  {\"%s\", {", tensor);
    for (j = 0; j < 3 && j < n; ++j) {
      memcpy(&bits, &data[j], sizeof bits);
      printf("%s0x%08xu", j ? ", " : "", (unsigned)bits);
    }
    printf("}},\n");
  }
  nnstate_checkpoint_free(ck);
}

int main(int argc, char **argv) {
  nnstate_network *net;
  nnstate_optimizer_options o;
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  net = ckpt_model(3);
  save(net, argv[1], "mlp_adam.nnst", "Adam");
  nnstate_network_free(net);

  CHECK_OK(nnstate_network_create(&net, 7));
  CHECK_OK(nnstate_network_add_linear(net, 4, 8, 1));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_TANH));
  CHECK_OK(nnstate_network_add_linear(net, 8, 3, 0));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE));
  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_SGD));
  o.lr = 0.01;
  o.momentum = 0.9;
  CHECK_OK(nnstate_network_set_optimizer(net, &o));
  ckpt_train(net, 0, 2);
  save(net, argv[1], "mlp_sgd_momentum.nnst", "SGD");
  nnstate_network_free(net);
  return 0;
}
