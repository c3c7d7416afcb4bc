/* nnstate_checkpoint_load_mapped (large tensors as copy-on-write mappings of the file) against
 * nnstate_checkpoint_load: the same state, the same training afterwards bit for bit, the file
 * untouched by that training, the same refusals and messages; and nnstate_checkpoint_verify_tensor
 * on a handle opened without the CRC pass. */
#define _POSIX_C_SOURCE 200809L

#include "checkpoint_common.h"

enum { kWidth = 600, kBatch = 2 }; /* a 1.4 MB weight: past the 1 MiB from which tensors map */

static void wide_batch(int step, float *x, float *y) {
  int i;
  for (i = 0; i < kWidth * kBatch; ++i) {
    x[i] = (float)((i * 7 + step * 13) % 17 - 8) / 8.0f;
    y[i] = (float)((i * 5 + step * 3) % 11 - 5) / 5.0f;
  }
}

static void wide_train(nnstate_network *net, int step) {
  static float x[kWidth * kBatch], y[kWidth * kBatch];
  wide_batch(step, x, y);
  CHECK_OK(nnstate_network_train_step(net, x, kWidth * kBatch, y, kWidth * kBatch, kBatch, NULL));
}

static nnstate_network *wide_model(void) {
  nnstate_network *net = NULL;
  nnstate_optimizer_options o;
  CHECK_OK(nnstate_network_create(&net, 5));
  CHECK_OK(nnstate_network_add_linear(net, kWidth, kWidth, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE));
  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_ADAM));
  CHECK_OK(nnstate_network_set_optimizer(net, &o));
  wide_train(net, 0);
  return net;
}

static void save_to(nnstate_network *net, const char *path) {
  nnstate_save_options so;
  CHECK_OK(nnstate_save_options_init(&so));
  so.fsync = 0;
  CHECK_OK(nnstate_checkpoint_save(net, path, &so));
}

static unsigned char *read_all(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  unsigned char *bytes;
  long n;
  CHECK(f != NULL);
  CHECK(fseek(f, 0, SEEK_END) == 0);
  n = ftell(f);
  CHECK(n > 0);
  rewind(f);
  bytes = malloc((size_t)n);
  CHECK(bytes != NULL);
  CHECK(fread(bytes, 1, (size_t)n, f) == (size_t)n);
  fclose(f);
  *size = (size_t)n;
  return bytes;
}

static void write_all(const char *path, const unsigned char *bytes, size_t size) {
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  CHECK(fwrite(bytes, 1, size, f) == size);
  CHECK(fclose(f) == 0);
}

static void test_same_state_and_training(const char *dir) {
  char a[512], b[512], a_next[512], b_next[512];
  nnstate_network *original = wide_model(), *mapped = NULL;
  unsigned char *before, *after;
  size_t before_size, after_size;
  ckpt_join(a, sizeof a, dir, "a.nnst");
  ckpt_join(b, sizeof b, dir, "b.nnst");
  ckpt_join(a_next, sizeof a_next, dir, "a_next.nnst");
  ckpt_join(b_next, sizeof b_next, dir, "b_next.nnst");
  save_to(original, a);
  before = read_all(a, &before_size);

  CHECK_OK(nnstate_checkpoint_load_mapped(&mapped, a, NULL));
  save_to(mapped, b);
  CHECK(ckpt_same_state(a, b));
  /* Training writes the mapped tensors: copies of their pages, never the file. */
  wide_train(original, 1);
  wide_train(mapped, 1);
  save_to(original, a_next);
  save_to(mapped, b_next);
  CHECK(ckpt_same_state(a_next, b_next));
  after = read_all(a, &after_size);
  CHECK(after_size == before_size);
  CHECK(memcmp(before, after, before_size) == 0);
  free(before);
  free(after);
  nnstate_network_free(original);
  nnstate_network_free(mapped);
}

static void test_refusals_and_lazy_checks(const char *dir) {
  char good[512], bad[512], copied[1024];
  nnstate_network *net = wide_model(), *out = NULL;
  nnstate_checkpoint *ck = NULL;
  nnstate_load_options lo;
  unsigned char *bytes;
  size_t size;
  ckpt_join(good, sizeof good, dir, "good.nnst");
  ckpt_join(bad, sizeof bad, dir, "bad.nnst");
  save_to(net, good);
  bytes = read_all(good, &size);
  /* "0.weight" is the first tensor of the data section, which starts after the 64-byte header. */
  bytes[64 + 1000] ^= 0x10;
  write_all(bad, bytes, size);

  CHECK_ERR(nnstate_checkpoint_load(&out, bad, NULL), NNSTATE_ERR_CORRUPT);
  CHECK(strstr(nnstate_last_error(), "tensor \"0.weight\"") != NULL);
  snprintf(copied, sizeof copied, "%s", nnstate_last_error());
  CHECK_ERR(nnstate_checkpoint_load_mapped(&out, bad, NULL), NNSTATE_ERR_CORRUPT);
  CHECK(strcmp(copied, nnstate_last_error()) == 0);
  CHECK(out == NULL);
  CHECK_ERR(nnstate_checkpoint_load_mapped(&out, NULL, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_checkpoint_load_mapped(NULL, good, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_checkpoint_load_mapped(&out, "/nonexistent/x.nnst", NULL),
            NNSTATE_ERR_NOT_FOUND);
  /* Truncated: refused before anything is mapped for a tensor. */
  write_all(bad, bytes, size / 2);
  CHECK_ERR(nnstate_checkpoint_load_mapped(&out, bad, NULL), NNSTATE_ERR_CORRUPT);
  write_all(bad, bytes, size);

  CHECK_OK(nnstate_load_options_init(&lo));
  lo.verify_crc = 0;
  CHECK_OK(nnstate_checkpoint_open(&ck, bad, &lo));
  CHECK_OK(nnstate_checkpoint_verify_tensor(ck, "0.bias"));
  CHECK_ERR(nnstate_checkpoint_verify_tensor(ck, "0.weight"), NNSTATE_ERR_CORRUPT);
  CHECK(strcmp(copied, nnstate_last_error()) == 0);
  CHECK_ERR(nnstate_checkpoint_verify_tensor(ck, "9.weight"), NNSTATE_ERR_NOT_FOUND);
  CHECK_ERR(nnstate_checkpoint_verify_tensor(ck, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_checkpoint_verify_tensor(NULL, "0.bias"), NNSTATE_ERR_INVALID_ARGUMENT);
  nnstate_checkpoint_free(ck);
  CHECK_OK(nnstate_checkpoint_open(&ck, good, &lo));
  CHECK_OK(nnstate_checkpoint_verify_tensor(ck, "0.weight"));
  CHECK_OK(nnstate_checkpoint_verify_tensor(ck, "optimizer.0.weight.exp_avg"));
  nnstate_checkpoint_free(ck);
  free(bytes);
  nnstate_network_free(net);
}

int main(void) {
  char dir[256];
  ckpt_mkdtemp(dir, sizeof dir);
  test_same_state_and_training(dir);
  test_refusals_and_lazy_checks(dir);
  ckpt_rmdir(dir);
  return 0;
}
