/* Writes tests/data/v1/cnn_trainer.nnst: a small CNN with every stateful layer kind (Conv2d,
 * BatchNorm2d, MaxPool2d, Flatten, Dropout, LayerNorm, BatchNorm1d) trained for 2 epochs by a
 * trainer with ReduceLROnPlateau and early stopping (best weights kept), saved with
 * nnstate_trainer_save. Run once at release; the file never changes afterwards:
 *   checkpoint_make_golden_trainer tests/data/v1/cnn_trainer.nnst
 */
#include <stdio.h>

#include "nnstate/nnstate.h"

#define OK(call)                                                     \
  if ((call) != NNSTATE_OK) {                                        \
    fprintf(stderr, "%s failed: %s\n", #call, nnstate_last_error()); \
    return 1;                                                        \
  }

int main(int argc, char **argv) {
  static float x[48 * 36], y[48];
  const int64_t input[3] = {1, 6, 6}, norm[1] = {8};
  nnstate_network *net = NULL;
  nnstate_conv2d_options conv;
  nnstate_optimizer_options adam;
  nnstate_trainer_options options;
  nnstate_scheduler_options plateau;
  nnstate_early_stopping_options early;
  nnstate_trainer *trainer = NULL;
  nnstate_dataset *train = NULL, *val = NULL;
  nnstate_save_options save;
  const char *keys[] = {"purpose"}, *values[] = {"golden v1 trainer checkpoint"};
  int i;
  if (argc != 2) return 2;
  for (i = 0; i < 48 * 36; ++i) x[i] = (float)((i * 37) % 17) / 17.0f - 0.4f;
  for (i = 0; i < 48; ++i) y[i] = (float)(i % 3);
  OK(nnstate_network_create(&net, 11));
  OK(nnstate_network_set_input_shape(net, input, 3));
  OK(nnstate_conv2d_options_init(&conv, 1, 4, 3));
  conv.padding_h = conv.padding_w = 1;
  OK(nnstate_network_add_conv2d(net, &conv));
  OK(nnstate_network_add_batch_norm(net, 2, 4, 1e-5, 0.1, 1, 1));
  OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  OK(nnstate_network_add_max_pool2d(net, 2, 2, 0, 0, 0, 0));
  OK(nnstate_network_add_flatten(net));
  OK(nnstate_network_add_dropout(net, 0.2));
  OK(nnstate_network_add_linear(net, 36, 8, 1));
  OK(nnstate_network_add_layer_norm(net, norm, 1, 1e-5, 1));
  OK(nnstate_network_add_batch_norm(net, 1, 8, 1e-5, 0.1, 1, 1));
  OK(nnstate_network_add_linear(net, 8, 3, 1));
  OK(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY));
  OK(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM));
  adam.amsgrad = 1;
  OK(nnstate_network_set_optimizer(net, &adam));
  OK(nnstate_trainer_options_init(&options));
  options.epochs = 2;
  options.batch_size = 12;
  OK(nnstate_scheduler_options_init(&plateau, NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU));
  plateau.patience = 0;
  OK(nnstate_early_stopping_options_init(&early));
  early.patience = 5;
  early.restore_best_weights = 1;
  OK(nnstate_trainer_create(&trainer, net, &options, &plateau, &early));
  OK(nnstate_dataset_create(&train, x, 36 * 36, y, 36, 36));
  OK(nnstate_dataset_create(&val, x + 36 * 36, 12 * 36, y + 36, 12, 12));
  OK(nnstate_trainer_fit(trainer, train, val, NULL));
  OK(nnstate_save_options_init(&save));
  save.metadata_keys = keys;
  save.metadata_values = values;
  save.metadata_count = 1;
  OK(nnstate_trainer_save(trainer, argv[1], &save));
  nnstate_dataset_free(train);
  nnstate_dataset_free(val);
  nnstate_trainer_free(trainer);
  nnstate_network_free(net);
  return 0;
}
