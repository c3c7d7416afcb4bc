/* Resumption in a fresh process: training k steps, saving, loading the checkpoint in another
 * process and training n more must give parameters and optimizer state bitwise identical to
 * training k + n steps straight.
 *
 *   checkpoint_resume selftest DIR        runs the steps below as child processes and compares
 *   checkpoint_resume train STEPS OUT     trains a fresh model STEPS steps, saves OUT
 *   checkpoint_resume resume IN STEPS OUT loads IN, trains STEPS more, saves OUT
 */
#define _POSIX_C_SOURCE 200809L

#include <sys/wait.h>

#include "../capi/checkpoint_common.h"

static int run(const char *self, const char *a, const char *b, const char *c, const char *d) {
  pid_t pid = fork();
  int status = 0;
  CHECK(pid >= 0);
  if (pid == 0) {
    execl(self, self, a, b, c, d, (char *)NULL);
    _exit(127);
  }
  CHECK(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int64_t steps_done(const char *path) {
  nnstate_checkpoint *ck = NULL;
  int64_t step;
  CHECK_OK(nnstate_checkpoint_open(&ck, path, NULL));
  CHECK_OK(nnstate_checkpoint_optimizer(ck, NULL, &step));
  nnstate_checkpoint_free(ck);
  return step;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "train") == 0) {
    nnstate_network *net = ckpt_model(atoi(argv[2]));
    CHECK_OK(nnstate_checkpoint_save(net, argv[3], NULL));
    nnstate_network_free(net);
    return 0;
  }
  if (argc == 5 && strcmp(argv[1], "resume") == 0) {
    nnstate_network *net = NULL;
    CHECK_OK(nnstate_checkpoint_load(&net, argv[2], NULL));
    ckpt_train(net, (int)steps_done(argv[2]), atoi(argv[3]));
    CHECK_OK(nnstate_checkpoint_save(net, argv[4], NULL));
    nnstate_network_free(net);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "selftest") == 0) {
    char first[512], resumed[512], straight[512];
    ckpt_join(first, sizeof first, argv[2], "resume_first.nnst");
    ckpt_join(resumed, sizeof resumed, argv[2], "resume_resumed.nnst");
    ckpt_join(straight, sizeof straight, argv[2], "resume_straight.nnst");
    CHECK(run(argv[0], "train", "4", first, NULL) == 0);
    CHECK(run(argv[0], "resume", first, "6", resumed) == 0);
    CHECK(run(argv[0], "train", "10", straight, NULL) == 0);
    CHECK(steps_done(resumed) == 10);
    CHECK(ckpt_same_state(resumed, straight));
    /* And the comparison can fail: 4 steps is not 10. */
    CHECK(!ckpt_same_state(first, straight));
    remove(first);
    remove(resumed);
    remove(straight);
    printf("checkpoint_resume: bitwise identical after resuming in a fresh process\n");
    return 0;
  }
  fprintf(stderr, "usage: %s selftest DIR | train STEPS OUT | resume IN STEPS OUT\n", argv[0]);
  return 2;
}
