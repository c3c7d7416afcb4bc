/*
 * The training child of the crash test: a small classifier trained with Adam, a plateau
 * scheduler and early stopping with best weights, checkpointed every 3 batches into `dir`,
 * resumed from there when a checkpoint exists. Writes its result to `out_path` as text, one
 * value per line with its exact bits, so that two results compare line by line.
 */
#ifndef CRASH_CHILD_H
#define CRASH_CHILD_H

/* 0 when training ran to the end; exits with 2 and a message on any library error. */
int crash_child_train(const char *dir, const char *out_path);

#endif
