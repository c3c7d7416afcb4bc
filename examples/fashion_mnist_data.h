/*
 * Fashion-MNIST for the examples and benchmarks: the four IDX files of Debian's
 * dataset-fashion-mnist, decompressed into one directory (examples/fashion_mnist_data.sh does
 * that), read as floats: pixels scaled to [0, 1], labels as class indices.
 */
#ifndef NNSTATE_EXAMPLES_FASHION_MNIST_DATA_H
#define NNSTATE_EXAMPLES_FASHION_MNIST_DATA_H

#include <stddef.h>

#define FASHION_MNIST_PIXELS 784
#define FASHION_MNIST_CLASSES 10

typedef struct fashion_mnist {
  float *train_x, *train_y; /* train_n images of FASHION_MNIST_PIXELS floats, train_n labels */
  float *test_x, *test_y;
  size_t train_n, test_n;
} fashion_mnist;

/* Reads an IDX file of unsigned bytes with `dims` dimensions whose items (everything after the
 * first dimension) are `item_size` bytes, into floats multiplied by `scale`; the item count goes
 * to *count. Exits with a message naming the file on any mismatch (the examples have no
 * recovery). */
float *idx_read(const char *dir, const char *name, int dims, size_t item_size, float scale,
                size_t *count);

/* Reads the training and test sets from `dir`; exits with a message on any error. */
void fashion_mnist_load(const char *dir, fashion_mnist *out);
void fashion_mnist_free(fashion_mnist *data);

#endif
