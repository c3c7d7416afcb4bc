/* nnstate_checkpoint_tensor_crc32c: the CRC stored in the manifest, not one recomputed. */
#define _POSIX_C_SOURCE 200809L

#include "checkpoint_common.h"

/* Bitwise CRC32C (reflected 0x82F63B78): the test's own oracle, independent of the library. */
static uint32_t oracle_crc32c(const void *data, size_t size) {
  const unsigned char *p = (const unsigned char *)data;
  uint32_t crc = 0xFFFFFFFFu;
  size_t i;
  int k;
  for (i = 0; i < size; ++i) {
    crc ^= p[i];
    for (k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

/* The saved checkpoint in a malloc'ed buffer (*size bytes). */
static unsigned char *saved_bytes(size_t *size) {
  nnstate_network *net = ckpt_model(2);
  unsigned char *bytes;
  CHECK(nnstate_checkpoint_save_to_buffer(net, NULL, 0, size, NULL) == NNSTATE_ERR_SHAPE_MISMATCH);
  bytes = (unsigned char *)malloc(*size);
  CHECK(bytes != NULL);
  CHECK_OK(nnstate_checkpoint_save_to_buffer(net, bytes, *size, size, NULL));
  nnstate_network_free(net);
  return bytes;
}

static void test_stored_crc_matches_the_bytes(const unsigned char *bytes, size_t size) {
  nnstate_checkpoint *ck = NULL;
  size_t count, i, elements;
  const char *name;
  const float *data;
  uint32_t crc;
  CHECK_OK(nnstate_checkpoint_open_buffer(&ck, bytes, size, NULL));
  CHECK_OK(nnstate_checkpoint_tensor_count(ck, &count));
  CHECK(count > 0);
  for (i = 0; i < count; ++i) {
    CHECK_OK(nnstate_checkpoint_tensor_info(ck, i, &name, NULL, NULL, NULL, NULL));
    CHECK_OK(nnstate_checkpoint_tensor_data(ck, name, &data, &elements));
    CHECK_OK(nnstate_checkpoint_tensor_crc32c(ck, i, &crc));
    CHECK(crc == oracle_crc32c(data, elements * sizeof(float)));
  }
  CHECK_ERR(nnstate_checkpoint_tensor_crc32c(ck, count, &crc), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_checkpoint_tensor_crc32c(ck, 0, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_checkpoint_tensor_crc32c(NULL, 0, &crc), NNSTATE_ERR_INVALID_ARGUMENT);
  nnstate_checkpoint_free(ck);
}

/* With verify_crc off a damaged tensor opens: the stored CRC is still the one written, so it
 * no longer matches the bytes (a recomputed value would). */
static void test_stored_not_recomputed(unsigned char *bytes, size_t size) {
  nnstate_checkpoint *ck = NULL;
  nnstate_load_options lo;
  const char *name;
  const float *data;
  size_t elements, at;
  uint32_t before, after;

  CHECK_OK(nnstate_checkpoint_open_buffer(&ck, bytes, size, NULL));
  CHECK_OK(nnstate_checkpoint_tensor_info(ck, 0, &name, NULL, NULL, NULL, NULL));
  CHECK_OK(nnstate_checkpoint_tensor_data(ck, name, &data, &elements));
  CHECK_OK(nnstate_checkpoint_tensor_crc32c(ck, 0, &before));
  /* The handle holds a copy: find tensor 0's bytes in the caller's buffer to damage them. */
  for (at = 0; at + elements * sizeof(float) <= size; ++at) {
    if (memcmp(bytes + at, data, elements * sizeof(float)) == 0) break;
  }
  CHECK(at + elements * sizeof(float) <= size);
  nnstate_checkpoint_free(ck);

  bytes[at] ^= 0x01;
  CHECK_OK(nnstate_load_options_init(&lo));
  lo.verify_crc = 0;
  CHECK_OK(nnstate_checkpoint_open_buffer(&ck, bytes, size, &lo));
  CHECK_OK(nnstate_checkpoint_tensor_info(ck, 0, &name, NULL, NULL, NULL, NULL));
  CHECK_OK(nnstate_checkpoint_tensor_data(ck, name, &data, &elements));
  CHECK_OK(nnstate_checkpoint_tensor_crc32c(ck, 0, &after));
  CHECK(after == before);
  CHECK(after != oracle_crc32c(data, elements * sizeof(float)));
  nnstate_checkpoint_free(ck);
  bytes[at] ^= 0x01;
}

int main(void) {
  size_t size = 0;
  unsigned char *bytes;
  CHECK(oracle_crc32c("123456789", 9) == 0xE3069283u);
  bytes = saved_bytes(&size);
  test_stored_crc_matches_the_bytes(bytes, size);
  test_stored_not_recomputed(bytes, size);
  free(bytes);
  printf("checkpoint_crc: ok\n");
  return 0;
}
