/* Crash safety of nnstate_checkpoint_save: when the directory is read-only or the file-size
 * limit is hit, the call fails with an I/O error naming the reason, the previous checkpoint is
 * intact and loadable, and no temporary file is left behind. Each failing save runs in a child
 * process (which drops root privileges, since root ignores directory permissions). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <dirent.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "checkpoint_common.h"

enum failure { READ_ONLY_DIR, FILE_SIZE_LIMIT };

/* In a child: provoke the failure, save, and check the error. Exit status 0 when as expected. */
static void failing_save_in_child(const char *path, enum failure how) {
  pid_t pid = fork();
  int status = 0;
  CHECK(pid >= 0);
  if (pid == 0) {
    nnstate_network *net = ckpt_model(5);
    nnstate_status s;
    if (how == READ_ONLY_DIR && geteuid() == 0) {
      /* 65534: nobody/nogroup. */
      CHECK(setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0);
    }
    if (how == FILE_SIZE_LIMIT) {
      struct rlimit limit;
      limit.rlim_cur = limit.rlim_max = 1000;
      signal(SIGXFSZ, SIG_IGN); /* else the kernel kills us instead of returning EFBIG */
      CHECK(setrlimit(RLIMIT_FSIZE, &limit) == 0);
    }
    s = nnstate_checkpoint_save(net, path, NULL);
    CHECK_ERR(s, NNSTATE_ERR_IO);
    if (how == READ_ONLY_DIR) {
      CHECK_MSG_CONTAINS("Permission denied");
    } else {
      CHECK_MSG_CONTAINS("File too large");
    }
    CHECK_MSG_CONTAINS("errno");
    nnstate_network_free(net);
    exit(0);
  }
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void check_old_intact(const char *dir, const char *path, const unsigned char *original,
                             size_t size) {
  nnstate_network *net = NULL;
  nnstate_checkpoint *ck = NULL;
  int64_t step;
  FILE *f = fopen(path, "rb");
  unsigned char *now = (unsigned char *)malloc(size + 1);
  CHECK(f != NULL && now != NULL);
  CHECK(fread(now, 1, size + 1, f) == size);
  fclose(f);
  CHECK(memcmp(now, original, size) == 0);
  free(now);
  CHECK(count_entries(dir) == 1); /* no temporary left */
  CHECK_OK(nnstate_checkpoint_verify(path));
  CHECK_OK(nnstate_checkpoint_load(&net, path, NULL));
  nnstate_network_free(net);
  CHECK_OK(nnstate_checkpoint_open(&ck, path, NULL));
  CHECK_OK(nnstate_checkpoint_optimizer(ck, NULL, &step));
  CHECK(step == 2);
  nnstate_checkpoint_free(ck);
}

int main(void) {
  char dir[256], path[512];
  nnstate_network *net = ckpt_model(2);
  nnstate_save_options so;
  unsigned char *original;
  size_t size;
  FILE *f;

  ckpt_mkdtemp(dir, sizeof dir);
  CHECK(chmod(dir, 0755) == 0);
  ckpt_join(path, sizeof path, dir, "model.nnst");
  CHECK_OK(nnstate_checkpoint_save(net, path, NULL));
  nnstate_network_free(net);

  f = fopen(path, "rb");
  CHECK(f != NULL);
  CHECK(fseek(f, 0, SEEK_END) == 0);
  size = (size_t)ftell(f);
  rewind(f);
  original = (unsigned char *)malloc(size);
  CHECK(original != NULL && fread(original, 1, size, f) == size);
  fclose(f);
  CHECK(chmod(path, 0644) == 0);

  CHECK(chmod(dir, 0555) == 0);
  failing_save_in_child(path, READ_ONLY_DIR);
  check_old_intact(dir, path, original, size);
  CHECK(chmod(dir, 0755) == 0);

  failing_save_in_child(path, FILE_SIZE_LIMIT);
  check_old_intact(dir, path, original, size);

  /* Overwriting succeeds without fsync too, and replaces the file atomically. */
  net = ckpt_model(4);
  CHECK_OK(nnstate_save_options_init(&so));
  so.fsync = 0;
  CHECK_OK(nnstate_checkpoint_save(net, path, &so));
  CHECK(count_entries(dir) == 1);
  CHECK_OK(nnstate_checkpoint_verify(path));
  nnstate_network_free(net);

  free(original);
  ckpt_rmdir(dir);
  printf("checkpoint_files: ok\n");
  return 0;
}
