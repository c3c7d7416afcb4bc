/*
 * Limits of the checkpoint API: a buffer size no allocation can hold (SIZE_MAX used to wrap the
 * aligned allocation and corrupt the heap), file names up to NAME_MAX (the temporary name used
 * to be the target's name plus a suffix), required outputs of nnstate_checkpoint_format, and
 * monitors refused when they are configured, by nnstate_trainer_create as by
 * nnstate_trainer_set_checkpointing.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdint.h>

#include "checkpoint_common.h"

static void test_open_buffer_sizes(void) {
  static const unsigned char bytes[64] = {0};
  nnstate_checkpoint *ck = (nnstate_checkpoint *)&ck; /* must be reset to NULL */
  CHECK_ERR(nnstate_checkpoint_open_buffer(&ck, bytes, SIZE_MAX, NULL),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(ck == NULL);
  CHECK_MSG_CONTAINS("18446744073709551615 bytes");
  CHECK_ERR(nnstate_checkpoint_open_buffer(&ck, bytes, SIZE_MAX - 62, NULL),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(ck == NULL);
  /* No wrap, but no machine has that much memory. */
  CHECK_ERR(nnstate_checkpoint_open_buffer(&ck, bytes, SIZE_MAX - 63, NULL),
            NNSTATE_ERR_OUT_OF_MEMORY);
  CHECK(ck == NULL);
  CHECK_ERR(nnstate_checkpoint_open_buffer(&ck, bytes, SIZE_MAX / 2, NULL),
            NNSTATE_ERR_OUT_OF_MEMORY);
  CHECK(ck == NULL);
  /* A real (too short) size is read and refused as corrupt. */
  CHECK_ERR(nnstate_checkpoint_open_buffer(&ck, bytes, sizeof bytes, NULL), NNSTATE_ERR_CORRUPT);
  CHECK(ck == NULL);
}

/* "<dir>/xxx...x.nnst" with a file name of exactly `length` bytes. */
static void long_name(char *out, size_t size, const char *dir, size_t length) {
  char name[300];
  CHECK(length < sizeof name && length > 5);
  memset(name, 'x', length - 5);
  memcpy(name + length - 5, ".nnst", 6);
  ckpt_join(out, size, dir, name);
}

static void test_long_file_names(void) {
  char dir[512], path[1024];
  size_t length;
  nnstate_network *net = ckpt_model(2), *loaded = NULL;
  ckpt_mkdtemp(dir, sizeof dir);
  for (length = 245; length <= 255; length += 5) {
    long_name(path, sizeof path, dir, length);
    CHECK_OK(nnstate_checkpoint_save(net, path, NULL));
    CHECK_OK(nnstate_checkpoint_verify(path));
    CHECK_OK(nnstate_checkpoint_load(&loaded, path, NULL));
    nnstate_network_free(loaded);
    loaded = NULL;
    /* Saving again replaces the file; no temporary is left beside it. */
    CHECK_OK(nnstate_checkpoint_save(net, path, NULL));
  }
  CHECK(count_entries(dir) == 3);
  /* One byte more than NAME_MAX: the system's error, and still nothing left behind. */
  long_name(path, sizeof path, dir, 256);
  CHECK_ERR(nnstate_checkpoint_save(net, path, NULL), NNSTATE_ERR_IO);
  CHECK_MSG_CONTAINS("File name too long");
  CHECK(count_entries(dir) == 3);
  nnstate_network_free(net);
  ckpt_rmdir(dir);
}

static void test_format_outputs_required(void) {
  nnstate_network *net = ckpt_model(1);
  nnstate_checkpoint *ck = NULL;
  uint32_t major = 0, minor = 99;
  size_t size = 0;
  unsigned char *buffer;
  CHECK_ERR(nnstate_checkpoint_save_to_buffer(net, NULL, 0, &size, NULL),
            NNSTATE_ERR_SHAPE_MISMATCH);
  buffer = malloc(size);
  CHECK(buffer != NULL);
  CHECK_OK(nnstate_checkpoint_save_to_buffer(net, buffer, size, &size, NULL));
  CHECK_OK(nnstate_checkpoint_open_buffer(&ck, buffer, size, NULL));
  CHECK_ERR(nnstate_checkpoint_format(ck, NULL, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("major");
  CHECK_ERR(nnstate_checkpoint_format(ck, &major, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("minor");
  CHECK_ERR(nnstate_checkpoint_format(ck, NULL, &minor), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("major");
  CHECK_OK(nnstate_checkpoint_format(ck, &major, &minor));
  CHECK(major == NNSTATE_FORMAT_VERSION_MAJOR && minor == NNSTATE_FORMAT_VERSION_MINOR);
  nnstate_checkpoint_free(ck);
  free(buffer);
  nnstate_network_free(net);
}

static void test_unknown_monitors(void) {
  nnstate_network *net = ckpt_model(0);
  nnstate_trainer *trainer = (nnstate_trainer *)&trainer;
  nnstate_trainer_options options;
  nnstate_early_stopping_options early;
  nnstate_scheduler_options plateau;
  nnstate_checkpoint_policy policy;
  char dir[512], leftover[1024];
  FILE *f;
  CHECK_OK(nnstate_trainer_options_init(&options));
  CHECK_OK(nnstate_early_stopping_options_init(&early));
  early.monitor = "bogus";
  CHECK_ERR(nnstate_trainer_create(&trainer, net, &options, NULL, &early),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK(trainer == NULL);
  CHECK_MSG_CONTAINS("early stopping monitors unknown metric \"bogus\"");
  CHECK_OK(nnstate_scheduler_options_init(&plateau, NNSTATE_SCHEDULER_REDUCE_ON_PLATEAU));
  plateau.monitor = "val_acc";
  CHECK_ERR(nnstate_trainer_create(&trainer, net, &options, &plateau, NULL),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("ReduceLROnPlateau monitors unknown metric \"val_acc\"");
  /* The same check, with the same words, for the checkpoint policy. */
  CHECK_OK(nnstate_trainer_create(&trainer, net, &options, NULL, NULL));
  ckpt_mkdtemp(dir, sizeof dir);
  CHECK_OK(nnstate_checkpoint_policy_init(&policy));
  policy.directory = dir;
  policy.monitor = "bogus";
  CHECK_ERR(nnstate_trainer_set_checkpointing(trainer, &policy), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("monitors unknown metric \"bogus\"");
  /* A valid policy removes what a killed save left (its temporary name, and the longer one of
   * earlier versions). */
  ckpt_join(leftover, sizeof leftover, dir, ".nnst-tmp-12345-0");
  f = fopen(leftover, "w");
  CHECK(f != NULL);
  fclose(f);
  ckpt_join(leftover, sizeof leftover, dir, "ckpt-e000001-s000000000004.nnst.tmp-12345-0");
  f = fopen(leftover, "w");
  CHECK(f != NULL);
  fclose(f);
  policy.monitor = "val_loss";
  CHECK_OK(nnstate_trainer_set_checkpointing(trainer, &policy));
  CHECK(count_entries(dir) == 0);
  nnstate_trainer_free(trainer);
  nnstate_network_free(net);
  ckpt_rmdir(dir);
}

int main(void) {
  test_open_buffer_sizes();
  test_long_file_names();
  test_format_outputs_required();
  test_unknown_monitors();
  printf("checkpoint_limits: all checks passed\n");
  return 0;
}
