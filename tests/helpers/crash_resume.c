/*
 * Crash test of resumable training. `crash_resume selftest WORKDIR [SEED]` runs the training
 * child (crash_child.c) to the end once, recording every point of its progress (crash_points.h:
 * batches, and the steps of each checkpoint save). It then picks 20 of those points at random
 * (seeded, so that a failure reproduces) and runs the same training in another directory,
 * SIGKILLing the child when it reaches each chosen point in turn and starting a new one, which
 * resumes from the newest checkpoint. After every kill every checkpoint on disk must verify and
 * the next child must resume from the newest one (never older than the last completed save);
 * the final result must equal the uninterrupted run's line for line (every tensor's bits, the
 * history, the learning rate, the position).
 * A kill waits for the child to reach its point, never for time, so the test passes at any load.
 * `crash_resume train DIR OUT [REPORT_FD GO_FD]` is the training child.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crash_child.h"
#include "crash_points.h"
#include "nnstate/nnstate.h"
#include "text_file.h"

#define KILLS 20
#define MIN_KILLS_IN_SAVES 5 /* a broken interposition would silently leave none */
#define LINE 512
#define LISTING 4096

/* Where a child is: batches done (-1 before its first) and points reached since. */
typedef struct {
  long long step;
  long ordinal;
} position;

typedef struct {
  position at;
  char text[LINE];
} point;

typedef struct {
  pid_t pid;
  FILE *points;
  int go;
  position at;
} child;

static const char *self_path;
static unsigned long long initial_seed = 20261201u; /* printed with every failure */
static unsigned long long seed;

static int fail(const char *format, ...) {
  va_list args;
  fprintf(stderr, "crash_resume (seed %llu): ", initial_seed);
  va_start(args, format);
  vfprintf(stderr, format, args);
  va_end(args);
  fputc('\n', stderr);
  return 1;
}

static unsigned long long next_random(void) { /* xorshift64* */
  seed ^= seed >> 12;
  seed ^= seed << 25;
  seed ^= seed >> 27;
  return seed * 2685821657736338717ull;
}

static int before(position a, position b) {
  return a.step < b.step || (a.step == b.step && a.ordinal < b.ordinal);
}

static int starts_with(const char *text, const char *prefix) {
  return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* ---- Children ------------------------------------------------------------------------------ */

static int spawn(const char *dir, const char *out, child *c) {
  int report[2], go[2];
  if (pipe2(report, O_CLOEXEC) != 0) return -1;
  if (pipe2(go, O_CLOEXEC) != 0) {
    close(report[0]);
    close(report[1]);
    return -1;
  }
  c->pid = fork();
  if (c->pid == 0) {
    char report_fd[16], go_fd[16];
    fcntl(report[1], F_SETFD, 0);
    fcntl(go[0], F_SETFD, 0);
    snprintf(report_fd, sizeof report_fd, "%d", report[1]);
    snprintf(go_fd, sizeof go_fd, "%d", go[0]);
    execl(self_path, self_path, "train", dir, out, report_fd, go_fd, (char *)NULL);
    _exit(127);
  }
  close(report[1]);
  close(go[0]);
  c->points = c->pid > 0 ? fdopen(report[0], "r") : NULL;
  if (!c->points) {
    close(report[0]);
    close(go[1]);
    return -1;
  }
  c->go = go[1];
  c->at.step = -1;
  c->at.ordinal = 0;
  return 0;
}

/* The child's next point (it waits there until go_on); 0 when it has ended. */
static int next_point(child *c, char *line) {
  size_t n;
  if (!fgets(line, LINE, c->points)) return 0;
  n = strlen(line);
  if (n > 0 && line[n - 1] == '\n') line[n - 1] = '\0';
  if (starts_with(line, "step ")) {
    c->at.step = atoll(line + 5);
    c->at.ordinal = 0;
  } else {
    c->at.ordinal += 1;
  }
  return 1;
}

static void go_on(child *c) {
  if (write(c->go, "g", 1) != 1) { /* the child died; next_point sees the end */
  }
}

/* Kills the child first when `kill_it`; returns its wait status. */
static int finish(child *c, int kill_it) {
  int status = 0;
  if (kill_it) kill(c->pid, SIGKILL);
  fclose(c->points);
  close(c->go);
  if (waitpid(c->pid, &status, 0) != c->pid) return -1;
  return status;
}

static void describe_status(int status, char *text, size_t size) {
  if (WIFEXITED(status)) {
    snprintf(text, size, "exited with status %d", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    snprintf(text, size, "killed by signal %d", WTERMSIG(status));
  } else {
    snprintf(text, size, "wait status %d", status);
  }
}

/* Lets the child start up (it removes temporaries of a killed save first) and checks the step
 * it says it starts from. */
static int check_start(child *c, long long expected, const char *after) {
  char line[LINE], want[64];
  if (expected < 0) {
    snprintf(want, sizeof want, "fresh 0");
  } else {
    snprintf(want, sizeof want, "resumed %lld", expected);
  }
  for (;;) {
    if (!next_point(c, line)) return fail("%s: the child ended before reporting its start", after);
    if (starts_with(line, "fresh ") || starts_with(line, "resumed ")) break;
    go_on(c);
  }
  if (strcmp(line, want) != 0) {
    return fail("%s: the child started with \"%s\", expected \"%s\" (the newest checkpoint)", after,
                line, want);
  }
  go_on(c);
  return 0;
}

/* ---- The checkpoint directory -------------------------------------------------------------- */

/* Verifies every .nnst file in `dir`; lists the directory into `listing` and sets *newest to
 * the step of the newest ckpt-*.nnst (-1 if none). */
static int check_directory(const char *dir, long long *newest, char *listing, char *error) {
  struct dirent **names;
  int count = scandir(dir, &names, NULL, alphasort), i, ok = 1;
  size_t used = 0;
  *newest = -1;
  listing[0] = error[0] = '\0';
  if (count < 0) {
    snprintf(listing, LISTING, "(no directory)");
    return 1;
  }
  for (i = 0; i < count; ++i) {
    const char *name = names[i]->d_name;
    char path[4096];
    struct stat st;
    long long epoch, step;
    size_t length = strlen(name);
    if (name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (stat(path, &st) != 0) st.st_size = -1;
    if (used < LISTING) {
      used += (size_t)snprintf(listing + used, LISTING - used, "%s%s (%lld B)", used ? ", " : "",
                               name, (long long)st.st_size);
    }
    if (length <= 5 || strcmp(name + length - 5, ".nnst") != 0) continue; /* a temporary */
    if (sscanf(name, "ckpt-e%lld-s%lld.nnst", &epoch, &step) == 2 && step > *newest) {
      *newest = step;
    }
    if (ok && nnstate_checkpoint_verify(path) != NNSTATE_OK) {
      snprintf(error, LINE, "%s does not verify: %s", name, nnstate_last_error());
      ok = 0;
    }
  }
  for (i = 0; i < count; ++i) free(names[i]);
  free(names);
  return ok;
}

/* ---- Results ------------------------------------------------------------------------------- */

/* 0 when equal; otherwise reports the first differing line and how many differ. */
static int compare_results(const char *expected_path, const char *actual_path) {
  char *expected = read_text_file(expected_path), *actual = read_text_file(actual_path);
  char *e = expected, *a = actual;
  long line = 0, differing = 0, first = 0;
  char first_expected[LINE] = "", first_actual[LINE] = "";
  int result = 0;
  if (!expected || !actual) {
    result = fail("cannot read the results %s and %s", expected_path, actual_path);
  } else {
    while (*e || *a) {
      size_t el = strcspn(e, "\n"), al = strcspn(a, "\n");
      ++line;
      if (el != al || memcmp(e, a, el) != 0) {
        if (differing++ == 0) {
          first = line;
          snprintf(first_expected, sizeof first_expected, "%.*s", (int)el, e);
          snprintf(first_actual, sizeof first_actual, "%.*s", (int)al, a);
        }
      }
      e += el + (e[el] == '\n');
      a += al + (a[al] == '\n');
    }
    if (differing > 0) {
      result = fail(
          "the resumed result differs from the uninterrupted run in %ld of %ld lines; first at "
          "line %ld:\n  uninterrupted: %s\n  resumed:       %s\n(results: %s, %s)",
          differing, line, first, first_expected[0] ? first_expected : "(missing)",
          first_actual[0] ? first_actual : "(missing)", expected_path, actual_path);
    }
  }
  free(expected);
  free(actual);
  return result;
}

/* ---- The test ------------------------------------------------------------------------------ */

/* Runs the training uninterrupted, recording its points into *points. */
static int reference_run(const char *dir, const char *out, point **points, size_t *count) {
  child c;
  char line[LINE], how[64];
  size_t capacity = 0;
  int status;
  if (spawn(dir, out, &c) != 0) return fail("cannot start the reference run");
  *count = 0;
  while (next_point(&c, line)) {
    if (*count == capacity) {
      point *grown;
      capacity = capacity ? 2 * capacity : 1024;
      grown = realloc(*points, capacity * sizeof **points);
      if (!grown) return fail("out of memory");
      *points = grown;
    }
    (*points)[*count].at = c.at;
    snprintf((*points)[*count].text, LINE, "%s", line);
    ++*count;
    go_on(&c);
  }
  status = finish(&c, 0);
  describe_status(status, how, sizeof how);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return fail("the reference run %s", how);
  return 0;
}

/* Picks KILLS points after the first batch, in order, uniformly (selection sampling). */
static int choose_kill_points(const point *points, size_t count, const point **chosen) {
  size_t candidates = 0, i, picked = 0, in_saves = 0;
  for (i = 0; i < count; ++i) {
    if (points[i].at.step >= 1) ++candidates;
    if (starts_with(points[i].text, "fsync ")) ++in_saves;
  }
  if (in_saves == 0) {
    return fail(
        "the reference run reported no point inside a save (%zu points): the "
        "interposed system calls of crash_points.c are not reached",
        count);
  }
  if (candidates < KILLS) return fail("the reference run has only %zu points", candidates);
  for (i = 0; i < count && picked < KILLS; ++i) {
    if (points[i].at.step < 1) continue;
    if (next_random() % candidates < (unsigned long long)(KILLS - picked)) {
      chosen[picked++] = &points[i];
    }
    --candidates;
  }
  return 0;
}

static int is_inside_save(const char *text) {
  return starts_with(text, "write ") || starts_with(text, "header ") ||
         starts_with(text, "fsync ") || starts_with(text, "dirsync ") ||
         (starts_with(text, "rename ") && strstr(text, "/.nnst-tmp-") != NULL);
}

static int is_between_batches(const char *text) {
  return starts_with(text, "step ") || starts_with(text, "epoch ");
}

/* The step in a "rename X -> ckpt-eE-sS.nnst" point (-1 for other points). */
static long long renamed_checkpoint(const char *text) {
  const char *target = strstr(text, " -> ckpt-");
  long long epoch, step;
  if (!starts_with(text, "rename ") || !target) return -1;
  return sscanf(target, " -> ckpt-e%lld-s%lld.nnst", &epoch, &step) == 2 ? step : -1;
}

static int crash_runs(const char *dir, const char *out, const point *const *targets) {
  long long expected_start = -1, committed = -1;
  int k, between = 0, inside = 0, other = 0;
  char after[LINE + 64] = "the first crashed run";
  for (k = 0; k < KILLS; ++k) {
    child c;
    char line[LINE], how[64], listing[LISTING], error[LINE];
    long long newest, renamed;
    int status;
    if (spawn(dir, out, &c) != 0) return fail("cannot start a training child");
    if (check_start(&c, expected_start, after) != 0) {
      finish(&c, 1);
      return 1;
    }
    for (;;) {
      if (!next_point(&c, line)) {
        describe_status(finish(&c, 0), how, sizeof how);
        return fail(
            "kill %d/%d: the child %s before reaching its kill point (step %lld, point "
            "%ld after it: \"%s\")",
            k + 1, KILLS, how, targets[k]->at.step, targets[k]->at.ordinal, targets[k]->text);
      }
      if (!before(c.at, targets[k]->at)) break;
      /* Told to go on, the child renames before its next point: that save is complete. */
      renamed = renamed_checkpoint(line);
      if (renamed > committed) committed = renamed;
      go_on(&c);
    }
    status = finish(&c, 1);
    snprintf(after, sizeof after, "kill %d/%d (at step %lld, point %ld after it: \"%s\")", k + 1,
             KILLS, c.at.step, c.at.ordinal, line);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
      describe_status(status, how, sizeof how);
      return fail("%s: the child %s instead of dying by SIGKILL", after, how);
    }
    if (!check_directory(dir, &newest, listing, error)) {
      return fail("%s: %s\n  on disk: %s", after, error, listing);
    }
    if (newest < committed) {
      return fail(
          "%s: the newest checkpoint on disk is of step %lld, but the save of step %lld "
          "had completed\n  on disk: %s",
          after, newest, committed, listing);
    }
    if (is_between_batches(line)) {
      ++between;
    } else if (is_inside_save(line)) {
      ++inside;
    } else {
      ++other;
    }
    printf("%s\n  on disk: %s\n", after, listing);
    expected_start = newest;
  }
  if (inside < MIN_KILLS_IN_SAVES) {
    return fail("only %d of %d kills were inside a save, expected at least %d", inside, KILLS,
                MIN_KILLS_IN_SAVES);
  }
  printf(
      "crash_resume: %d kills: %d between batches, %d inside a save, %d while pruning or "
      "updating best.nnst\n",
      KILLS, between, inside, other);
  return 0;
}

static int final_run(const char *dir, const char *out) {
  child c;
  char line[LINE], how[64], listing[LISTING], error[LINE];
  long long newest;
  int status;
  if (!check_directory(dir, &newest, listing, error)) return fail("%s", error);
  if (spawn(dir, out, &c) != 0) return fail("cannot start the final run");
  if (check_start(&c, newest, "the final run") != 0) {
    finish(&c, 1);
    return 1;
  }
  while (next_point(&c, line)) go_on(&c);
  status = finish(&c, 0);
  describe_status(status, how, sizeof how);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return fail("the final run %s", how);
  if (!check_directory(dir, &newest, listing, error)) {
    return fail("after the final run: %s\n  on disk: %s", error, listing);
  }
  return 0;
}

static int selftest(const char *work) {
  char ref_dir[4096], ref_out[4096], dir[4096], out[4096], command[12100];
  point *points = NULL;
  const point *targets[KILLS];
  size_t count = 0;
  int result;

  if (strlen(work) > 4000) return 2;
  snprintf(ref_dir, sizeof ref_dir, "%s/reference", work);
  snprintf(ref_out, sizeof ref_out, "%s/reference.txt", work);
  snprintf(dir, sizeof dir, "%s/crashed", work);
  snprintf(out, sizeof out, "%s/crashed.txt", work);
  /* Start from scratch: earlier runs' checkpoints would be resumed. */
  snprintf(command, sizeof command, "rm -rf '%s' && mkdir -p '%s'", work, work);
  if (system(command) != 0) return 2;
  signal(SIGPIPE, SIG_IGN);         /* a killed child's pipe */
  setvbuf(stdout, NULL, _IOLBF, 0); /* progress and failures interleave in order */

  result = reference_run(ref_dir, ref_out, &points, &count);
  if (result == 0) result = choose_kill_points(points, count, targets);
  if (result == 0) {
    printf(
        "crash_resume (seed %llu): the uninterrupted run has %zu points; killing at %d of them\n",
        initial_seed, count, KILLS);
    result = crash_runs(dir, out, targets);
  }
  if (result == 0) result = final_run(dir, out);
  if (result == 0) result = compare_results(ref_out, out);
  if (result == 0) printf("crash_resume: the resumed result equals the uninterrupted run\n");
  free(points);
  return result;
}

int main(int argc, char **argv) {
  self_path = argv[0];
  if ((argc == 4 || argc == 6) && strcmp(argv[1], "train") == 0) {
    if (argc == 6) crash_points_connect(atoi(argv[4]), atoi(argv[5]));
    return crash_child_train(argv[2], argv[3]);
  }
  if ((argc == 3 || argc == 4) && strcmp(argv[1], "selftest") == 0) {
    if (argc == 4) initial_seed = strtoull(argv[3], NULL, 10);
    seed = initial_seed ? initial_seed : 1; /* xorshift never leaves 0 */
    return selftest(argv[2]);
  }
  fprintf(stderr,
          "usage: crash_resume selftest WORKDIR [SEED] | crash_resume train DIR OUT "
          "[REPORT_FD GO_FD]\n");
  return 2;
}
