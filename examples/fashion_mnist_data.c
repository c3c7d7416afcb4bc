#include "fashion_mnist_data.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t big_endian(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void fail(const char *path, const char *what) {
  fprintf(stderr, "fashion-mnist: %s: %s\n", path, what);
  exit(2);
}

float *idx_read(const char *dir, const char *name, int dims, size_t item_size, float scale,
                size_t *count) {
  char path[4096];
  unsigned char head[4 + 4 * 3];
  const size_t head_size = 4 + 4 * (size_t)dims;
  size_t item = 1, total, i;
  long file_size;
  unsigned char *bytes;
  float *values;
  FILE *f;
  int d;
  if (dims < 1 || dims > 3) fail(name, "unsupported number of dimensions");
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "rb");
  if (!f) fail(path, "cannot open (decompress Debian's dataset-fashion-mnist here)");
  /* 0x08: unsigned bytes, then the number of dimensions. */
  if (fread(head, 1, head_size, f) != head_size || big_endian(head) != 0x800u + (uint32_t)dims) {
    fail(path, "not an IDX file of unsigned bytes with the expected dimensions");
  }
  for (d = 1; d < dims; ++d) item *= big_endian(head + 4 + 4 * d);
  if (item != item_size) fail(path, "items of an unexpected size");
  /* The count is checked against the file's size before anything is allocated from it. */
  if (fseek(f, 0, SEEK_END) != 0 || (file_size = ftell(f)) < 0 ||
      fseek(f, (long)head_size, SEEK_SET) != 0) {
    fail(path, "cannot seek");
  }
  *count = big_endian(head + 4);
  if (*count == 0 || (size_t)file_size - head_size != *count * item_size) {
    fail(path, "the item count does not match the file's size");
  }
  total = *count * item_size;
  bytes = malloc(total);
  values = malloc(total * sizeof *values);
  if (!bytes || !values) fail(path, "out of memory");
  if (fread(bytes, 1, total, f) != total) fail(path, "truncated");
  fclose(f);
  for (i = 0; i < total; ++i) values[i] = (float)bytes[i] * scale;
  free(bytes);
  return values;
}

void fashion_mnist_load(const char *dir, fashion_mnist *out) {
  size_t labels;
  const float pixel = 1.0f / 255.0f;
  out->train_x =
      idx_read(dir, "train-images-idx3-ubyte", 3, FASHION_MNIST_PIXELS, pixel, &out->train_n);
  out->train_y = idx_read(dir, "train-labels-idx1-ubyte", 1, 1, 1.0f, &labels);
  if (labels != out->train_n) fail(dir, "training images and labels differ in number");
  out->test_x =
      idx_read(dir, "t10k-images-idx3-ubyte", 3, FASHION_MNIST_PIXELS, pixel, &out->test_n);
  out->test_y = idx_read(dir, "t10k-labels-idx1-ubyte", 1, 1, 1.0f, &labels);
  if (labels != out->test_n) fail(dir, "test images and labels differ in number");
}

void fashion_mnist_free(fashion_mnist *data) {
  free(data->train_x);
  free(data->train_y);
  free(data->test_x);
  free(data->test_y);
}
