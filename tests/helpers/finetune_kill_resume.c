/*
 * Fine-tuning end to end through the C API, killed and resumed. `finetune_kill_resume selftest
 * WORKDIR` runs the training child three times: once uninterrupted; once SIGKILLing itself when
 * its training reaches batch KILL_AT (by progress, never by time); once more in the killed
 * run's directory, resuming from its newest checkpoint. The resumed run's result -- every
 * tensor's bits, the history, each group's rate -- must equal the uninterrupted one's.
 * The child: a small CNN trained on task A (4 classes), its backbone copied by name into a new
 * network with another head (task B, 2 classes), the first conv block frozen with its BatchNorm
 * in eval mode, Adam over two param groups (backbone lr 1e-3, head lr 1e-2) with a per-batch
 * StepLR, checkpoints every 5 batches.
 * `finetune_kill_resume train DIR OUT KILL_AT` is the child (KILL_AT -1: no kill).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nnstate/nnstate.h"
#include "text_file.h"

#define SAMPLES 96
#define SIDE 8
#define PIXELS (SIDE * SIDE)
#define KILL_AT 23

static void die(const char *what) {
  fprintf(stderr, "finetune_kill_resume child: %s: %s\n", what, nnstate_last_error());
  exit(2);
}
#define OK(call) \
  if ((call) != NNSTATE_OK) die(#call)

static float images[SAMPLES * PIXELS], labels_a[SAMPLES], labels_b[SAMPLES];
static long long kill_at = -1;

/* Images with a bright quadrant (task A: which one) and a stripe (task B: horizontal or not). */
static void make_data(void) {
  uint32_t s = 11u;
  int i, p;
  for (i = 0; i < SAMPLES; ++i) {
    const int quadrant = i % 4, stripe = (i / 4) % 2;
    for (p = 0; p < PIXELS; ++p) {
      const int r = p / SIDE, c = p % SIDE;
      s = s * 1664525u + 1013904223u;
      images[i * PIXELS + p] =
          (float)(s >> 8) / 16777216.0f - 0.5f +
          ((r < 4) == (quadrant < 2) && (c < 4) == (quadrant % 2 == 0) ? 0.8f : 0.0f) +
          (stripe ? (r == 3 ? 1.0f : 0.0f) : (c == 3 ? 1.0f : 0.0f));
    }
    labels_a[i] = (float)quadrant;
    labels_b[i] = (float)stripe;
  }
}

/* "0" Conv2d(1, 4, 3, padding 1), "1" BatchNorm2d(4), "2" ReLU, "3" Conv2d(4, 4, 3, padding 1),
 * "4" ReLU, "5" MaxPool2d(2), "6" Flatten: 64 features. */
static nnstate_network *backbone(uint64_t seed) {
  nnstate_network *net = NULL;
  nnstate_conv2d_options conv;
  const int64_t shape[3] = {1, SIDE, SIDE};
  OK(nnstate_network_create(&net, seed));
  OK(nnstate_network_set_input_shape(net, shape, 3));
  OK(nnstate_conv2d_options_init(&conv, 1, 4, 3));
  conv.padding_h = conv.padding_w = 1;
  OK(nnstate_network_add_conv2d(net, &conv));
  OK(nnstate_network_add_batch_norm(net, 2, 4, 1e-5, 0.1, 1, 1));
  OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  OK(nnstate_conv2d_options_init(&conv, 4, 4, 3));
  conv.padding_h = conv.padding_w = 1;
  OK(nnstate_network_add_conv2d(net, &conv));
  OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  OK(nnstate_network_add_max_pool2d(net, 2, 2, 2, 2, 0, 0));
  OK(nnstate_network_add_flatten(net));
  return net;
}

static nnstate_network *pretrained(void) {
  nnstate_network *net = backbone(5);
  nnstate_optimizer_options adam;
  nnstate_trainer_options options;
  nnstate_trainer *trainer = NULL;
  nnstate_dataset *data = NULL;
  OK(nnstate_network_add_linear(net, 64, 4, 1));
  OK(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY));
  OK(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM));
  adam.lr = 0.01;
  OK(nnstate_network_set_optimizer(net, &adam));
  OK(nnstate_trainer_options_init(&options));
  options.epochs = 3;
  options.batch_size = 16;
  OK(nnstate_trainer_create(&trainer, net, &options, NULL, NULL));
  OK(nnstate_dataset_create(&data, images, SAMPLES * PIXELS, labels_a, SAMPLES, SAMPLES));
  OK(nnstate_trainer_fit(trainer, data, NULL, NULL));
  nnstate_dataset_free(data);
  nnstate_trainer_free(trainer);
  return net;
}

static const char *const kBackbone[] = {"0.weight",
                                        "0.bias",
                                        "1.weight",
                                        "1.bias",
                                        "1.running_mean",
                                        "1.running_var",
                                        "1.num_batches_tracked",
                                        "3.weight",
                                        "3.bias"};
#define BACKBONE_TENSORS (sizeof kBackbone / sizeof kBackbone[0])

/* The backbone goes into the new network as a user's fine-tuning does: the pretrained network
 * is exported to safetensors and partially loaded, its head ("7.*", another shape) skipped. */
static void import_backbone(nnstate_network *from, nnstate_network *to, const char *dir) {
  char path[4096];
  const char *skip[] = {"7.*"};
  nnstate_partial_load_options how;
  nnstate_load_report *report = NULL;
  size_t loaded = 0, missing = 0, i;
  const char *name = NULL;
  snprintf(path, sizeof path, "%s.pretrained.safetensors", dir);
  OK(nnstate_network_save_safetensors(from, path, NULL));
  OK(nnstate_partial_load_options_init(&how));
  how.skip_patterns = skip;
  how.skip_count = 1;
  OK(nnstate_network_load_partial(to, path, &how, &report));
  OK(nnstate_load_report_count(report, NNSTATE_REPORT_LOADED, &loaded));
  OK(nnstate_load_report_count(report, NNSTATE_REPORT_MISSING, &missing));
  if (loaded != BACKBONE_TENSORS || missing != 4) die("the backbone import loaded other tensors");
  for (i = 0; i < loaded; ++i) {
    OK(nnstate_load_report_name(report, NNSTATE_REPORT_LOADED, i, &name));
    if (strcmp(name, kBackbone[i]) != 0) die("the backbone import loaded other tensors");
  }
  nnstate_load_report_free(report);
}

static int32_t on_batch(const nnstate_batch_info *info, void *user_data) {
  (void)user_data;
  if (info->global_step == kill_at) raise(SIGKILL);
  return 0;
}

static void write_result(FILE *out, nnstate_network *net, nnstate_trainer *trainer) {
  size_t count = 0, n, i;
  OK(nnstate_network_tensor_count(net, &count));
  for (n = 0; n < count; ++n) {
    const char *name;
    int32_t rank;
    int64_t dims[4];
    size_t elements = 1;
    float values[1024];
    int d;
    OK(nnstate_network_tensor_info(net, n, &name, NULL, &rank, dims));
    for (d = 0; d < rank; ++d) elements *= (size_t)dims[d];
    if (elements > 1024) die("tensor too large for the result buffer");
    OK(nnstate_network_get_tensor(net, name, values, elements));
    for (i = 0; i < elements; ++i) {
      unsigned bits;
      memcpy(&bits, &values[i], sizeof bits);
      fprintf(out, "%s[%zu] %08x\n", name, i, bits);
    }
  }
  OK(nnstate_trainer_history_count(trainer, &count));
  for (n = 0; n < count; ++n) {
    nnstate_epoch_info row;
    row.struct_size = sizeof row;
    OK(nnstate_trainer_history_row(trainer, n, &row));
    fprintf(out, "history[%zu] loss %a accuracy %a lr %a\n", n, row.loss, row.accuracy, row.lr);
  }
  OK(nnstate_network_param_group_count(net, &count));
  for (n = 0; n < count; ++n) {
    nnstate_param_group_info info;
    info.struct_size = sizeof info;
    OK(nnstate_network_param_group(net, n, &info));
    fprintf(out, "group %zu lr %a parameters %zu\n", n, info.lr, info.parameter_count);
  }
}

static int train(const char *dir, const char *out_path) {
  nnstate_network *source, *net;
  nnstate_optimizer_options adam;
  nnstate_param_group_options groups[2];
  const char *body[] = {"0", "3"};
  const char *head[] = {"7", "9"};
  nnstate_trainer_options options;
  nnstate_scheduler_options step_lr;
  nnstate_checkpoint_policy policy;
  nnstate_trainer *trainer = NULL;
  nnstate_dataset *data = NULL;
  float pretrained_w0[36], final_w0[36];
  int32_t found = 0;
  int64_t step = 0;
  FILE *out;
  char resumed_path[4096];

  make_data();
  source = pretrained();
  net = backbone(6);
  OK(nnstate_network_add_linear(net, 64, 8, 1)); /* "7" */
  OK(nnstate_network_add_activation(net, NNSTATE_LAYER_RELU));
  OK(nnstate_network_add_linear(net, 8, 2, 1)); /* "9" */
  OK(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY));
  import_backbone(source, net, dir);
  OK(nnstate_network_get_tensor(source, "0.weight", pretrained_w0, 36));
  nnstate_network_free(source);
  OK(nnstate_network_set_requires_grad(net, "0", 0));
  OK(nnstate_network_set_requires_grad(net, "1.", 0));
  OK(nnstate_network_set_frozen_batchnorm_eval(net, 1));
  OK(nnstate_optimizer_options_init(&adam, NNSTATE_OPTIMIZER_ADAM));
  OK(nnstate_param_group_options_init(&groups[0]));
  OK(nnstate_param_group_options_init(&groups[1]));
  groups[0].patterns = body;
  groups[0].pattern_count = 2;
  groups[0].lr = 1e-3;
  groups[1].patterns = head;
  groups[1].pattern_count = 2;
  groups[1].lr = 1e-2;
  groups[1].weight_decay = 1e-4;
  OK(nnstate_network_set_optimizer_groups(net, &adam, groups, 2));
  OK(nnstate_trainer_options_init(&options));
  options.epochs = 4;
  options.batch_size = 8;
  OK(nnstate_scheduler_options_init(&step_lr, NNSTATE_SCHEDULER_STEP));
  step_lr.per_batch = 1;
  step_lr.step_size = 5;
  step_lr.gamma = 0.8;
  OK(nnstate_trainer_create(&trainer, net, &options, &step_lr, NULL));
  OK(nnstate_trainer_set_callbacks(trainer, NULL, on_batch, NULL));
  OK(nnstate_checkpoint_policy_init(&policy));
  policy.directory = dir;
  policy.every_steps = 5;
  policy.keep_last = 2;
  OK(nnstate_trainer_set_checkpointing(trainer, &policy));
  OK(nnstate_trainer_resume_latest(trainer, dir, &found));
  OK(nnstate_trainer_position(trainer, NULL, &step, NULL));
  snprintf(resumed_path, sizeof resumed_path, "%s.resumed", out_path);
  out = fopen(resumed_path, "w");
  if (!out) die("fopen");
  fprintf(out, "%lld\n", found ? (long long)step : -1LL);
  fclose(out);
  OK(nnstate_dataset_create(&data, images, SAMPLES * PIXELS, labels_b, SAMPLES, SAMPLES));
  OK(nnstate_trainer_fit(trainer, data, NULL, NULL));
  /* The frozen layer is the pretrained one, untouched by fine-tuning. */
  OK(nnstate_network_get_tensor(net, "0.weight", final_w0, 36));
  if (memcmp(pretrained_w0, final_w0, sizeof final_w0) != 0) {
    fprintf(stderr, "finetune_kill_resume child: the frozen 0.weight changed\n");
    return 3;
  }
  out = fopen(out_path, "w");
  if (!out) die("fopen");
  write_result(out, net, trainer);
  if (fclose(out) != 0) die("fclose");
  nnstate_dataset_free(data);
  nnstate_trainer_free(trainer);
  nnstate_network_free(net);
  return 0;
}

static const char *self_path;

/* Runs the child; returns its wait status. */
static int run_child(const char *dir, const char *out, long long kill) {
  char kill_text[32];
  pid_t pid;
  int status = 0;
  snprintf(kill_text, sizeof kill_text, "%lld", kill);
  pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    execl(self_path, self_path, "train", dir, out, kill_text, (char *)NULL);
    _exit(127);
  }
  if (waitpid(pid, &status, 0) != pid) return -1;
  return status;
}

static int selftest(const char *work) {
  char straight_dir[1024], killed_dir[1024], straight_out[1024], resumed_out[1024], path[8192];
  char *a, *b, *resumed_at;
  int status, same;
  long long at;
  if (strlen(work) > 900) return 1;
  snprintf(straight_dir, sizeof straight_dir, "%s/straight", work);
  snprintf(killed_dir, sizeof killed_dir, "%s/killed", work);
  snprintf(straight_out, sizeof straight_out, "%s/straight.txt", work);
  snprintf(resumed_out, sizeof resumed_out, "%s/resumed.txt", work);
  snprintf(path, sizeof path, "rm -rf '%s' && mkdir -p '%s' '%s'", work, straight_dir, killed_dir);
  if (system(path) != 0) return 1;
  status = run_child(straight_dir, straight_out, -1);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "finetune_kill_resume: the uninterrupted run failed (%d)\n", status);
    return 1;
  }
  status = run_child(killed_dir, resumed_out, KILL_AT);
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
    fprintf(stderr, "finetune_kill_resume: the run to kill was not killed (%d)\n", status);
    return 1;
  }
  status = run_child(killed_dir, resumed_out, -1);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "finetune_kill_resume: the resumed run failed (%d)\n", status);
    return 1;
  }
  snprintf(path, sizeof path, "%s.resumed", resumed_out);
  resumed_at = read_text_file(path);
  at = resumed_at ? atoll(resumed_at) : -1;
  free(resumed_at);
  /* Checkpoints every 5 batches: the newest before the kill at 23 is at 20. */
  if (at != 20) {
    fprintf(stderr, "finetune_kill_resume: resumed at batch %lld, expected 20\n", at);
    return 1;
  }
  a = read_text_file(straight_out);
  b = read_text_file(resumed_out);
  same = a && b && strcmp(a, b) == 0 && strstr(a, "group 2 lr") != NULL;
  if (!same) fprintf(stderr, "finetune_kill_resume: %s and %s differ\n", straight_out, resumed_out);
  free(a);
  free(b);
  if (!same) return 1;
  printf("finetune_kill_resume: killed at batch %d, resumed at %lld, identical\n", KILL_AT, at);
  return 0;
}

int main(int argc, char **argv) {
  self_path = argv[0];
  if (argc == 3 && strcmp(argv[1], "selftest") == 0) return selftest(argv[2]);
  if (argc == 5 && strcmp(argv[1], "train") == 0) {
    kill_at = atoll(argv[4]);
    return train(argv[2], argv[3]);
  }
  fprintf(stderr, "usage: %s selftest WORKDIR | train DIR OUT KILL_AT\n", argv[0]);
  return 2;
}
