/*
 * Kill points of the crash test (crash_resume). The training child reports every point of its
 * progress to the parent as one line "KIND DETAIL" and waits for the parent's go-ahead, so the
 * parent can SIGKILL it at exactly that point, whatever the machine's load.
 *
 * Points between batches come from the trainer's callbacks ("step N", "epoch N"). Points inside
 * a checkpoint save come from the system calls the library makes, which crash_points.c
 * interposes in this test executable only (the library itself pays nothing): "write" and
 * "header" (the temporary file is being written), "fsync" (the temporary is complete),
 * "rename" (it is about to replace the target), "dirsync" (renamed, directory not yet synced),
 * "link" and "unlink" (best.nnst is updated, old checkpoints pruned). Each is reported before
 * the call runs.
 */
#ifndef CRASH_POINTS_H
#define CRASH_POINTS_H

/* Starts reporting to `report_fd` and waiting on `go_fd` (both inherited from the parent). */
void crash_points_connect(int report_fd, int go_fd);

/* Reports "kind detail" and returns once the parent says go (at once when not connected). */
void crash_point(const char *kind, const char *detail);

#endif
