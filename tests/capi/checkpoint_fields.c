/*
 * nnstate_checkpoint_field_*: every stored value of a trainer checkpoint by its full name
 * (scheduler and early-stopping state, position, history, RNG streams...), with wall-clock
 * fields flagged; and the checkpoint policy's fallback to the training loss for "best" when a
 * fit has no validation data (with a warning).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static float x[60 * 2], y[60];

/* The value of field `name`, or NULL; *flags gets its flags. */
static const char *field(const nnstate_checkpoint *c, const char *name, int32_t *flags) {
  size_t count = 0, i;
  CHECK_OK(nnstate_checkpoint_field_count(c, &count));
  for (i = 0; i < count; ++i) {
    const char *n = NULL, *v = NULL;
    CHECK_OK(nnstate_checkpoint_field_at(c, i, &n, &v, flags));
    if (strcmp(n, name) == 0) return v;
  }
  return NULL;
}

static nnstate_trainer *trainer_for(nnstate_network **net_out) {
  nnstate_network *net = NULL;
  nnstate_trainer *t = NULL;
  nnstate_optimizer_options adam;
  nnstate_trainer_options o;
  nnstate_scheduler_options s;
  CHECK_OK(nnstate_network_create(&net, 3));
  CHECK_OK(nnstate_network_add_linear(net, 2, 4, 1));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  CHECK_OK(nnstate_network_add_linear(net, 4, 2, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY));
  CHECK_OK(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM));
  CHECK_OK(nnstate_network_set_optimizer(net, &adam));
  CHECK_OK(nnstate_trainer_options_init(&o));
  o.epochs = 2;
  o.batch_size = 10;
  CHECK_OK(nnstate_scheduler_options_init(&s, NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU));
  s.monitor = "loss";
  CHECK_OK(nnstate_trainer_create(&t, net, &o, &s, NULL));
  *net_out = net;
  return t;
}

int main(void) {
  char dir[] = "/tmp/nnstate_ckpt_fields_XXXXXX", path[300], best[300];
  nnstate_network *net = NULL;
  nnstate_trainer *trainer;
  nnstate_dataset *train = NULL;
  nnstate_checkpoint *ckpt = NULL;
  nnstate_checkpoint_policy policy;
  const char *name = NULL, *value = NULL;
  int32_t flags = -1;
  size_t count = 0;
  int k;

  for (k = 0; k < 60; ++k) {
    x[2 * k] = (float)(k % 3) / 3.0f;
    x[2 * k + 1] = (float)(k % 4) / 4.0f;
    y[k] = (float)((k % 3) + (k % 4) > 2);
  }
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/trainer.nnst", dir);
  snprintf(best, sizeof best, "%s/best.nnst", dir);
  CHECK_OK(nnstate_dataset_create(&train, x, 120, y, 60, 60));

  /* The default policy monitors val_loss; without validation data it follows loss. */
  trainer = trainer_for(&net);
  CHECK_OK(nnstate_checkpoint_policy_init(&policy));
  policy.directory = dir;
  policy.fsync = 0;
  CHECK_OK(nnstate_trainer_set_checkpointing(trainer, &policy));
  CHECK_OK(nnstate_trainer_fit(trainer, train, NULL, NULL));
  CHECK(access(best, F_OK) == 0);
  CHECK(strstr(nnstate_trainer_warnings(trainer), "follows \"loss\" instead of \"val_loss\"") !=
        NULL);
  snprintf(best, sizeof best, "%s/best-e000002.nnst", dir); /* 1-based, as ckpt-e000002 */
  CHECK(access(best, F_OK) == 0);
  CHECK_OK(nnstate_trainer_set_checkpointing(trainer, NULL));
  CHECK_OK(nnstate_trainer_save(trainer, path, NULL));

  CHECK_OK(nnstate_checkpoint_open(&ckpt, path, NULL));
  CHECK_OK(nnstate_checkpoint_field_count(ckpt, &count));
  CHECK(count > 40);
  CHECK_OK(nnstate_checkpoint_field_at(ckpt, 0, &name, &value, &flags));
  CHECK(strcmp(name, "format") == 0 && flags == 0);
  CHECK((value = field(ckpt, "scheduler.kind", &flags)) && strcmp(value, "ReduceLROnPlateau") == 0);
  CHECK((value = field(ckpt, "scheduler.monitor", &flags)) && strcmp(value, "loss") == 0);
  CHECK(field(ckpt, "scheduler.state.num_bad_epochs", &flags) != NULL && flags == 0);
  CHECK((value = field(ckpt, "trainer.position.epoch", &flags)) && strcmp(value, "2") == 0);
  CHECK((value = field(ckpt, "trainer.position.global_step", &flags)) && strcmp(value, "12") == 0);
  CHECK((value = field(ckpt, "trainer.history[1].epoch", &flags)) && strcmp(value, "1") == 0);
  CHECK((value = field(ckpt, "trainer.history[1].val_loss", &flags)) && strcmp(value, "nan") == 0);
  CHECK(field(ckpt, "trainer.history[1].seconds", &flags) != NULL &&
        flags == NNSTATE_FIELD_WALL_CLOCK);
  CHECK(field(ckpt, "created_unix_ns", &flags) != NULL && flags == NNSTATE_FIELD_WALL_CLOCK);
  CHECK((value = field(ckpt, "optimizer.lr", &flags)) && strcmp(value, "0.001") == 0);
  CHECK((value = field(ckpt, "optimizer.state[0.weight].step", &flags)) &&
        strcmp(value, "12") == 0);
  CHECK((value = field(ckpt, "architecture.layers[1].kind", &flags)) && strcmp(value, "ReLU") == 0);
  CHECK(field(ckpt, "rng[dropout].block", &flags) != NULL);
  CHECK((value = field(ckpt, "early_stopping.enabled", &flags)) && strcmp(value, "false") == 0);

  /* Optional outputs, and errors. */
  CHECK_OK(nnstate_checkpoint_field_at(ckpt, count - 1, NULL, NULL, NULL));
  CHECK_ERR(nnstate_checkpoint_field_at(ckpt, count, &name, &value, &flags),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(nnstate_last_error(), "does not exist") != NULL);
  CHECK_ERR(nnstate_checkpoint_field_count(ckpt, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_checkpoint_field_count(NULL, &count), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_checkpoint_field_at(NULL, 0, &name, &value, &flags),
            NNSTATE_ERR_INVALID_ARGUMENT);
  nnstate_checkpoint_free(ckpt);

  nnstate_trainer_free(trainer);
  nnstate_network_free(net);
  nnstate_dataset_free(train);
  snprintf(path, sizeof path, "rm -rf '%s'", dir);
  CHECK(system(path) == 0);
  puts("checkpoint_fields: all checks passed");
  return 0;
}
