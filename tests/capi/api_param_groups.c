/*
 * Frozen parameters and parameter groups through the C API: every NULL and bad name gives a
 * status and a message naming what is wrong; a frozen layer does not move while the others
 * train; groups report their options and members; a checkpoint round trip keeps the frozen set,
 * the groups and their rates.
 */
#include "nnstate/nnstate.h"

#include <math.h>
#include <stdlib.h>

#include "check.h"

static const float xs[4 * 3] = {1.0f, 2.0f, -1.0f, 0.5f,  -0.5f, 2.0f,
                                3.0f, 1.0f, 0.0f,  -2.0f, 1.0f,  1.0f};
static const float ys[4 * 2] = {1.0f, 0.0f, -1.0f, 2.0f, 0.5f, 0.5f, 1.5f, -1.0f};

/* Linear(3, 4) "0", ReLU "1", Linear(4, 2) "2", MSE. */
static nnstate_network *make_net(void) {
  nnstate_network *net = NULL;
  CHECK_OK(nnstate_network_create(&net, 9));
  CHECK_OK(nnstate_network_add_linear(net, 3, 4, 1));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  CHECK_OK(nnstate_network_add_linear(net, 4, 2, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE));
  return net;
}

static void set_two_groups(nnstate_network *net) {
  nnstate_optimizer_options o;
  nnstate_param_group_options groups[2];
  const char *first[] = {"0."};
  const char *second[] = {"2.weight", "2.bias"};
  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_ADAMW));
  CHECK_OK(nnstate_param_group_options_init(&groups[0]));
  CHECK_OK(nnstate_param_group_options_init(&groups[1]));
  CHECK(isnan(groups[0].lr) && isnan(groups[0].weight_decay));
  groups[0].patterns = first;
  groups[0].pattern_count = 1;
  groups[0].lr = 1e-4;
  groups[1].patterns = second;
  groups[1].pattern_count = 2;
  groups[1].lr = 1e-2;
  groups[1].beta1 = 0.5;
  CHECK_OK(nnstate_network_set_optimizer_groups(net, &o, groups, 2));
}

static void test_errors(void) {
  nnstate_network *net = make_net();
  int32_t frozen = 0;
  size_t count = 0, group = 0;
  const char *name = NULL;
  nnstate_optimizer_options o;
  nnstate_param_group_options g;
  const char *missing[] = {"features."};
  nnstate_param_group_info info;
  CHECK_ERR(nnstate_network_set_requires_grad(NULL, "0", 0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_set_requires_grad(net, NULL, 0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(nnstate_last_error(), "pattern is NULL") != NULL);
  CHECK_ERR(nnstate_network_set_requires_grad(net, "", 0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_set_requires_grad(net, "features", 0), NNSTATE_ERR_NOT_FOUND);
  CHECK(strstr(nnstate_last_error(), "\"features\" names no parameter") != NULL);
  CHECK_ERR(nnstate_network_set_requires_grad(net, "1", 0), NNSTATE_ERR_NOT_FOUND);
  CHECK_ERR(nnstate_network_is_frozen(net, "0.weights", &frozen), NNSTATE_ERR_NOT_FOUND);
  CHECK(strstr(nnstate_last_error(), "\"0.weights\"") != NULL);
  CHECK_ERR(nnstate_network_is_frozen(net, "0.weight", NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_frozen_count(NULL, &count), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_frozen_name(net, 0, &name), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(nnstate_last_error(), "out of range") != NULL);
  CHECK_ERR(nnstate_network_set_frozen_batchnorm_eval(NULL, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_get_frozen_batchnorm_eval(net, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_param_group_options_init(NULL), NNSTATE_ERR_INVALID_ARGUMENT);

  /* No optimizer yet. */
  CHECK_ERR(nnstate_network_param_group_count(net, &count), NNSTATE_ERR_STATE);
  CHECK_ERR(nnstate_network_set_group_lr(net, 0, 0.1), NNSTATE_ERR_STATE);

  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_ADAM));
  CHECK_OK(nnstate_param_group_options_init(&g));
  CHECK_ERR(nnstate_network_set_optimizer_groups(net, &o, NULL, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_set_optimizer_groups(net, &o, &g, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(nnstate_last_error(), "param group 0 selects no parameters") != NULL);
  g.pattern_count = 1; /* patterns still NULL */
  CHECK_ERR(nnstate_network_set_optimizer_groups(net, &o, &g, 1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(nnstate_last_error(), "param group 0: patterns is NULL") != NULL);
  g.patterns = missing;
  CHECK_ERR(nnstate_network_set_optimizer_groups(net, &o, &g, 1), NNSTATE_ERR_NOT_FOUND);
  CHECK(strstr(nnstate_last_error(), "param group 0: \"features.\"") != NULL);
  g.struct_size = 3;
  CHECK_ERR(nnstate_network_set_optimizer_groups(net, &o, &g, 1), NNSTATE_ERR_VERSION);

  set_two_groups(net);
  info.struct_size = sizeof info;
  CHECK_ERR(nnstate_network_param_group(net, 3, &info), NNSTATE_ERR_INVALID_ARGUMENT);
  info.struct_size = 0;
  CHECK_ERR(nnstate_network_param_group(net, 0, &info), NNSTATE_ERR_VERSION);
  CHECK_ERR(nnstate_network_param_group_pattern(net, 0, 0, &name), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_param_group_pattern(net, 2, 2, &name), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_param_group_of(net, "2.weightx", &group), NNSTATE_ERR_NOT_FOUND);
  CHECK(strstr(nnstate_last_error(), "\"2.weightx\"") != NULL);
  CHECK_ERR(nnstate_network_set_group_lr(net, 3, 0.1), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_set_group_lr(net, 1, -1.0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_OK(nnstate_network_set_requires_grad(net, "0", 0));
  CHECK_ERR(nnstate_network_param_group_of(net, "0.bias", &group), NNSTATE_ERR_STATE);
  CHECK(strstr(nnstate_last_error(), "\"0.bias\" is frozen") != NULL);
  CHECK_ERR(nnstate_trainer_set_group_min_lr(NULL, NULL, 0), NNSTATE_ERR_INVALID_ARGUMENT);
  nnstate_network_free(net);
}

static void test_training_and_round_trip(void) {
  nnstate_network *net = make_net(), *loaded = NULL;
  float w0[12], after[12], w2[8], w2_after[8], loss = 0;
  size_t count = 0, group = 9, size = 0;
  int32_t frozen = 0;
  const char *name = NULL;
  nnstate_param_group_info info;
  void *buffer;
  int step;
  set_two_groups(net);
  CHECK_OK(nnstate_network_set_requires_grad(net, "0", 0));
  CHECK_OK(nnstate_network_frozen_count(net, &count));
  CHECK(count == 2);
  CHECK_OK(nnstate_network_frozen_name(net, 0, &name));
  CHECK(strcmp(name, "0.bias") == 0);
  CHECK_OK(nnstate_network_is_frozen(net, "0.weight", &frozen));
  CHECK(frozen == 1);
  CHECK_OK(nnstate_network_is_frozen(net, "2.weight", &frozen));
  CHECK(frozen == 0);
  CHECK_OK(nnstate_network_get_tensor(net, "0.weight", w0, 12));
  CHECK_OK(nnstate_network_get_tensor(net, "2.weight", w2, 8));
  for (step = 0; step < 3; ++step) {
    CHECK_OK(nnstate_network_train_step(net, xs, 12, ys, 8, 4, &loss));
  }
  CHECK_OK(nnstate_network_get_tensor(net, "0.weight", after, 12));
  CHECK_OK(nnstate_network_get_tensor(net, "2.weight", w2_after, 8));
  CHECK(memcmp(w0, after, sizeof w0) == 0);
  CHECK(memcmp(w2, w2_after, sizeof w2) != 0);

  CHECK_OK(nnstate_network_param_group_count(net, &count));
  CHECK(count == 3);
  info.struct_size = sizeof info;
  CHECK_OK(nnstate_network_param_group(net, 1, &info));
  CHECK(info.lr == 1e-4 && info.weight_decay == 1e-2 && info.pattern_count == 1);
  CHECK(info.parameter_count == 0); /* its parameters are frozen */
  CHECK_OK(nnstate_network_param_group(net, 2, &info));
  CHECK(info.lr == 1e-2 && info.beta1 == 0.5 && info.beta2 == 0.999 && info.parameter_count == 2);
  CHECK_OK(nnstate_network_param_group_pattern(net, 2, 1, &name));
  CHECK(strcmp(name, "2.bias") == 0);
  CHECK_OK(nnstate_network_param_group_of(net, "2.bias", &group));
  CHECK(group == 2);
  CHECK_OK(nnstate_network_set_group_lr(net, 2, 5e-3));
  CHECK_OK(nnstate_network_set_frozen_batchnorm_eval(net, 1));

  /* The frozen set, the groups and their current rates survive a checkpoint. */
  CHECK_ERR(nnstate_checkpoint_save_to_buffer(net, NULL, 0, &size, NULL),
            NNSTATE_ERR_SHAPE_MISMATCH);
  buffer = malloc(size);
  CHECK(buffer != NULL);
  CHECK_OK(nnstate_checkpoint_save_to_buffer(net, buffer, size, &size, NULL));
  CHECK_OK(nnstate_checkpoint_load_buffer(&loaded, buffer, size, NULL));
  CHECK_OK(nnstate_network_get_frozen_batchnorm_eval(loaded, &frozen));
  CHECK(frozen == 1);
  CHECK_OK(nnstate_network_frozen_count(loaded, &count));
  CHECK(count == 2);
  CHECK_OK(nnstate_network_param_group_count(loaded, &count));
  CHECK(count == 3);
  CHECK_OK(nnstate_network_param_group(loaded, 2, &info));
  CHECK(info.lr == 5e-3 && info.beta1 == 0.5 && info.parameter_count == 2);
  /* Both continue identically. */
  CHECK_OK(nnstate_network_train_step(net, xs, 12, ys, 8, 4, &loss));
  CHECK_OK(nnstate_network_train_step(loaded, xs, 12, ys, 8, 4, &loss));
  CHECK_OK(nnstate_network_get_tensor(net, "2.weight", w2, 8));
  CHECK_OK(nnstate_network_get_tensor(loaded, "2.weight", w2_after, 8));
  CHECK(memcmp(w2, w2_after, sizeof w2) == 0);
  /* Unfreezing after a load: the layer trains again, from fresh state. */
  CHECK_OK(nnstate_network_set_requires_grad(loaded, "0.weight", 1));
  CHECK_OK(nnstate_network_param_group_of(loaded, "0.weight", &group));
  CHECK(group == 1);
  CHECK_OK(nnstate_network_train_step(loaded, xs, 12, ys, 8, 4, &loss));
  CHECK_OK(nnstate_network_get_tensor(loaded, "0.weight", after, 12));
  CHECK(memcmp(w0, after, sizeof w0) != 0);
  free(buffer);
  nnstate_network_free(loaded);
  nnstate_network_free(net);
}

int main(void) {
  test_errors();
  test_training_and_round_trip();
  printf("api_param_groups: ok\n");
  return 0;
}
