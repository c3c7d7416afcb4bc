/*
 * Training that survives interruption, on the public C API: a classifier trained with Adam,
 * ReduceLROnPlateau and early stopping, checkpointed into a directory every few steps. Run it
 * again after a crash (or after --stop-after N) and it resumes from the newest valid checkpoint,
 * ending exactly where an uninterrupted run ends.
 *
 * Usage: train_resume DIR [--stop-after STEPS]
 * Prints one line per epoch and, at the end, a digest of the final weights.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnstate/nnstate.h"

#define SAMPLES 600
#define VAL 200
#define FEATURES 6
#define CLASSES 3

static void check(nnstate_status status, const char *what) {
  if (status != NNSTATE_OK) {
    fprintf(stderr, "train_resume: %s: %s\n", what, nnstate_last_error());
    exit(1);
  }
}

static int32_t print_epoch(const nnstate_epoch_info *e, void *user_data) {
  (void)user_data;
  printf("epoch %lld: loss %.4f, val_loss %.4f, val_accuracy %.3f, lr %.2e\n", (long long)e->epoch,
         e->loss, e->val_loss, e->val_accuracy, e->lr);
  return 0;
}

static int32_t stop_after(const nnstate_batch_info *b, void *user_data) {
  const long long *limit = (const long long *)user_data;
  return *limit > 0 && b->global_step >= *limit; /* non-zero: stop here, resumably */
}

int main(int argc, char **argv) {
  static float x[(SAMPLES + VAL) * FEATURES], y[SAMPLES + VAL];
  long long limit = 0;
  uint32_t s = 2024u;
  int i, f;
  nnstate_network *net = NULL;
  nnstate_optimizer_options adam;
  nnstate_trainer_options options;
  nnstate_scheduler_options plateau;
  nnstate_early_stopping_options early;
  nnstate_checkpoint_policy policy;
  nnstate_trainer *trainer = NULL;
  nnstate_dataset *train = NULL, *val = NULL;
  int32_t found = 0, reason = 0;
  float weights[32 * FEATURES];
  uint64_t digest = 1469598103934665603ull;
  const unsigned char *bytes = (const unsigned char *)weights;

  if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--stop-after") == 0)) {
    fprintf(stderr, "usage: train_resume DIR [--stop-after STEPS]\n");
    return 2;
  }
  if (argc == 4) limit = atoll(argv[3]);
  for (i = 0; i < SAMPLES + VAL; ++i) { /* three noisy clusters */
    for (f = 0; f < FEATURES; ++f) {
      s = s * 1664525u + 1013904223u;
      x[i * FEATURES + f] = (float)(s >> 8) / 16777216.0f - 0.5f + (f == i % CLASSES ? 0.7f : 0.f);
    }
    y[i] = (float)(i % CLASSES);
  }

  check(nnstate_network_create(&net, 7), "create");
  check(nnstate_network_add_linear(net, FEATURES, 32, 1), "linear");
  check(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU), "relu");
  check(nnstate_network_add_linear(net, 32, CLASSES, 1), "linear");
  check(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY), "loss");
  check(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM), "adam");
  adam.lr = 0.01;
  check(nnstate_network_set_optimizer(net, &adam), "optimizer");

  check(nnstate_trainer_options_init(&options), "options");
  options.epochs = 15;
  options.batch_size = 32;
  check(nnstate_scheduler_options_init(&plateau, NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU), "plateau");
  plateau.patience = 1;
  check(nnstate_early_stopping_options_init(&early), "early stopping");
  early.patience = 4;
  early.restore_best_weights = 1;
  check(nnstate_trainer_create(&trainer, net, &options, &plateau, &early), "trainer");
  check(nnstate_checkpoint_policy_init(&policy), "policy");
  policy.directory = argv[1];
  policy.every_steps = 10; /* and every epoch, and when fit returns */
  check(nnstate_trainer_set_checkpointing(trainer, &policy), "checkpointing");
  check(nnstate_trainer_set_callbacks(trainer, print_epoch, stop_after, &limit), "callbacks");

  check(nnstate_trainer_resume_latest(trainer, argv[1], &found), "resume");
  if (*nnstate_trainer_warnings(trainer))
    printf("warning: %s\n", nnstate_trainer_warnings(trainer));
  if (found) {
    int64_t epoch, step;
    check(nnstate_trainer_position(trainer, &epoch, &step, NULL), "position");
    printf("resumed at epoch %lld, step %lld\n", (long long)epoch, (long long)step);
  }

  check(nnstate_dataset_create(&train, x, SAMPLES * FEATURES, y, SAMPLES, SAMPLES), "dataset");
  check(nnstate_dataset_create(&val, x + SAMPLES * FEATURES, VAL * FEATURES, y + SAMPLES, VAL, VAL),
        "dataset");
  check(nnstate_trainer_fit(trainer, train, val, &reason), "fit");
  printf("%s\n", reason == NNSTATE_STOP_REQUESTED        ? "stopped (run again to resume)"
                 : reason == NNSTATE_STOP_EARLY_STOPPING ? "stopped early"
                                                         : "completed");

  check(nnstate_network_get_tensor(net, "0.weight", weights, 32 * FEATURES), "weights");
  for (i = 0; i < (int)sizeof weights; ++i) digest = (digest ^ bytes[i]) * 1099511628211ull;
  printf("final weights digest: %016llx\n", (unsigned long long)digest);

  nnstate_dataset_free(train);
  nnstate_dataset_free(val);
  nnstate_trainer_free(trainer);
  nnstate_network_free(net);
  return 0;
}
