/*
 * The kill-point protocol of crash_points.h, and the interposed system calls that make points
 * inside a checkpoint save. Defining write, pwrite, fsync, rename, link and unlink in the
 * executable makes the dynamic linker bind libnnstate's calls to them; each reports the point
 * and then does the real work with the raw system call (or its *at variant), so nothing else
 * changes. The parent process never connects, so its own calls pass straight through.
 */
#define _GNU_SOURCE
#include "crash_points.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The build hides symbols by default; these must be seen by the dynamic linker. */
#define INTERPOSED __attribute__((visibility("default")))

static int report_fd = -1;
static int go_fd = -1;

void crash_points_connect(int report, int go) {
  report_fd = report;
  go_fd = go;
}

void crash_point(const char *kind, const char *detail) {
  char line[PIPE_BUF];
  int length;
  char go;
  long n;
  if (report_fd < 0) return;
  length = snprintf(line, sizeof line, "%s %s\n", kind, detail);
  if (length < 0 || (size_t)length >= sizeof line) length = (int)sizeof line - 1;
  line[length - 1] = '\n';
  /* One write of at most PIPE_BUF bytes: the line arrives whole. */
  if (syscall(SYS_write, report_fd, line, (size_t)length) != length) _exit(3);
  do {
    n = read(go_fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) _exit(3); /* the parent is gone */
}

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* The file `fd` refers to, when it is a checkpoint's temporary file. */
static int is_checkpoint_temporary(int fd, char *path, size_t size) {
  char link[64];
  ssize_t n;
  if (report_fd < 0 || fd <= 2) return 0;
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  n = readlink(link, path, size - 1);
  if (n < 0) return 0;
  path[n] = '\0';
  return strstr(path, "/.nnst-tmp-") != NULL;
}

static void report_two(const char *kind, const char *from, const char *to) {
  char detail[PIPE_BUF];
  snprintf(detail, sizeof detail, "%s -> %s", base_name(from), base_name(to));
  crash_point(kind, detail);
}

INTERPOSED ssize_t write(int fd, const void *data, size_t size) {
  char path[PATH_MAX], detail[PATH_MAX + 32];
  if (is_checkpoint_temporary(fd, path, sizeof path)) {
    snprintf(detail, sizeof detail, "%s %zu bytes", base_name(path), size);
    crash_point("write", detail);
  }
  return (ssize_t)syscall(SYS_write, fd, data, size);
}

INTERPOSED ssize_t pwrite(int fd, const void *data, size_t size, off_t offset) {
  char path[PATH_MAX];
  if (is_checkpoint_temporary(fd, path, sizeof path)) crash_point("header", base_name(path));
  return (ssize_t)syscall(SYS_pwrite64, fd, data, size, offset);
}

INTERPOSED int fsync(int fd) {
  char path[PATH_MAX];
  struct stat st;
  if (is_checkpoint_temporary(fd, path, sizeof path)) {
    crash_point("fsync", base_name(path));
  } else if (report_fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    crash_point("dirsync", "checkpoint directory");
  }
  return (int)syscall(SYS_fsync, fd);
}

INTERPOSED int rename(const char *from, const char *to) {
  report_two("rename", from, to);
  return renameat(AT_FDCWD, from, AT_FDCWD, to);
}

INTERPOSED int link(const char *from, const char *to) {
  report_two("link", from, to);
  return linkat(AT_FDCWD, from, AT_FDCWD, to, 0);
}

INTERPOSED int unlink(const char *path) {
  crash_point("unlink", base_name(path));
  return unlinkat(AT_FDCWD, path, 0);
}
