/*
 * Fashion-MNIST with an MLP through the C API, checkpointed so that it survives a crash:
 * Adam, ReduceLROnPlateau and early stopping, a checkpoint every 200 steps and every epoch in
 * RUN_DIR; started again, it resumes from the newest valid checkpoint. At the end it saves
 * RUN_DIR/final.nnst and prints the test accuracy.
 *
 * Usage: fashion_mnist DATA_DIR RUN_DIR [--crash-after-steps N]
 *   DATA_DIR holds the four uncompressed IDX files of Fashion-MNIST.
 *   --crash-after-steps kills the process (SIGKILL, no cleanup) after global step N.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fashion_mnist_data.h"
#include "nnstate/nnstate.h"

#define PIXELS FASHION_MNIST_PIXELS
#define CLASSES FASHION_MNIST_CLASSES
#define VALIDATION 6000

static void check(nnstate_status status, const char *what) {
  if (status != NNSTATE_OK) {
    fprintf(stderr, "fashion_mnist: %s: %s\n", what, nnstate_last_error());
    exit(1);
  }
}

static long long crash_after = 0;

static int32_t on_batch(const nnstate_batch_info *info, void *user_data) {
  (void)user_data;
  if (crash_after > 0 && info->global_step == crash_after) {
    printf("simulating a crash at step %lld\n", crash_after);
    fflush(stdout);
    raise(SIGKILL);
  }
  return 0;
}

static int32_t on_epoch(const nnstate_epoch_info *e, void *user_data) {
  (void)user_data;
  printf("epoch %2lld  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  lr %.1e  %.1f s\n",
         (long long)e->epoch + 1, e->loss, e->accuracy, e->val_loss, e->val_accuracy, e->lr,
         e->seconds);
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  fashion_mnist data;
  float *train_x, *train_y, *test_x, *test_y, *scores;
  size_t train_n, test_n, i, correct = 0;
  char final_path[4096];
  nnstate_network *net = NULL;
  nnstate_optimizer_options adam;
  nnstate_trainer_options options;
  nnstate_scheduler_options plateau;
  nnstate_early_stopping_options early;
  nnstate_checkpoint_policy policy;
  nnstate_trainer *trainer = NULL;
  nnstate_dataset *train = NULL, *val = NULL;
  int32_t found = 0, reason = 0;

  if (argc != 3 && !(argc == 5 && strcmp(argv[3], "--crash-after-steps") == 0)) {
    fprintf(stderr, "usage: fashion_mnist DATA_DIR RUN_DIR [--crash-after-steps N]\n");
    return 2;
  }
  if (argc == 5) crash_after = atoll(argv[4]);
  fashion_mnist_load(argv[1], &data);
  train_x = data.train_x;
  train_y = data.train_y;
  test_x = data.test_x;
  test_y = data.test_y;
  train_n = data.train_n;
  test_n = data.test_n;

  check(nnstate_network_create(&net, 1), "create");
  check(nnstate_network_add_linear(net, PIXELS, 256, 1), "linear");
  check(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU), "relu");
  check(nnstate_network_add_linear(net, 256, 128, 1), "linear");
  check(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU), "relu");
  check(nnstate_network_add_linear(net, 128, CLASSES, 1), "linear");
  check(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY), "loss");
  check(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM), "adam");
  check(nnstate_network_set_optimizer(net, &adam), "optimizer");

  check(nnstate_trainer_options_init(&options), "options");
  options.epochs = 12;
  options.batch_size = 128;
  check(nnstate_scheduler_options_init(&plateau, NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU), "plateau");
  plateau.patience = 1;
  plateau.factor = 0.5;
  check(nnstate_early_stopping_options_init(&early), "early stopping");
  early.patience = 3;
  early.restore_best_weights = 1;
  check(nnstate_trainer_create(&trainer, net, &options, &plateau, &early), "trainer");
  check(nnstate_checkpoint_policy_init(&policy), "policy");
  policy.directory = argv[2];
  policy.every_steps = 200;
  check(nnstate_trainer_set_checkpointing(trainer, &policy), "checkpointing");
  check(nnstate_trainer_set_callbacks(trainer, on_epoch, on_batch, NULL), "callbacks");
  check(nnstate_trainer_resume_latest(trainer, argv[2], &found), "resume");
  if (*nnstate_trainer_warnings(trainer))
    printf("warning: %s\n", nnstate_trainer_warnings(trainer));
  if (found) {
    int64_t epoch, step;
    check(nnstate_trainer_position(trainer, &epoch, &step, NULL), "position");
    printf("resumed from %s at epoch %lld, step %lld\n", argv[2], (long long)epoch + 1,
           (long long)step);
  }

  /* The last 6000 training images validate; the test set is only used at the end. */
  check(nnstate_dataset_create(&train, train_x, (train_n - VALIDATION) * PIXELS, train_y,
                               train_n - VALIDATION, train_n - VALIDATION),
        "dataset");
  check(nnstate_dataset_create(&val, train_x + (train_n - VALIDATION) * PIXELS, VALIDATION * PIXELS,
                               train_y + train_n - VALIDATION, VALIDATION, VALIDATION),
        "dataset");
  check(nnstate_trainer_fit(trainer, train, val, &reason), "fit");
  printf("training %s\n", reason == NNSTATE_STOP_EARLY_STOPPING
                              ? "stopped early (best weights restored)"
                              : "completed");
  snprintf(final_path, sizeof final_path, "%s/final.nnst", argv[2]);
  check(nnstate_trainer_save(trainer, final_path, NULL), "save");

  scores = malloc(test_n * CLASSES * sizeof *scores);
  if (!scores) return 1;
  check(nnstate_network_predict(net, test_x, test_n * PIXELS, test_n, scores, test_n * CLASSES),
        "predict");
  for (i = 0; i < test_n; ++i) {
    size_t c, best = 0;
    for (c = 1; c < CLASSES; ++c) {
      if (scores[i * CLASSES + c] > scores[i * CLASSES + best]) best = c;
    }
    correct += (float)best == test_y[i];
  }
  printf("test accuracy: %.4f\n", (double)correct / (double)test_n);
  free(scores);
  fashion_mnist_free(&data);
  nnstate_dataset_free(train);
  nnstate_dataset_free(val);
  nnstate_trainer_free(trainer);
  nnstate_network_free(net);
  return 0;
}
