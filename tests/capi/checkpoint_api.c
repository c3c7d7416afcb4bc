/* Checkpoint C API: save/load/verify/inspect, buffers, options, metadata, argument errors. */
#define _POSIX_C_SOURCE 200809L

#include "checkpoint_common.h"

static void test_file_round_trip(const char *dir) {
  char path[512];
  const char *keys[] = {"lr", "note"};
  const char *values[] = {"0.01", "round trip"};
  nnstate_save_options so;
  nnstate_network *net = ckpt_model(3), *loaded = NULL;
  nnstate_checkpoint *ck = NULL;
  uint32_t major, minor;
  size_t count, i, layers;
  int32_t kind, role, dtype, rank;
  int64_t step, dims[4], created;
  const char *name, *text, *key;
  const float *data;
  float weight[32], copy[32];

  ckpt_join(path, sizeof path, dir, "model.nnst");
  CHECK_OK(nnstate_save_options_init(&so));
  CHECK(so.fsync == 1);
  so.metadata_keys = keys;
  so.metadata_values = values;
  so.metadata_count = 2;
  CHECK_OK(nnstate_checkpoint_save(net, path, &so));
  CHECK_OK(nnstate_checkpoint_verify(path));

  CHECK_OK(nnstate_checkpoint_open(&ck, path, NULL));
  CHECK_OK(nnstate_checkpoint_format(ck, &major, &minor));
  CHECK(major == NNSTATE_FORMAT_VERSION_MAJOR && minor == NNSTATE_FORMAT_VERSION_MINOR);
  CHECK_OK(nnstate_checkpoint_writer_version(ck, &text));
  CHECK(strcmp(text, nnstate_version_string()) == 0);
  CHECK_OK(nnstate_checkpoint_created(ck, &created));
  CHECK(created > 0);
  CHECK_OK(nnstate_checkpoint_environment(ck, &text, NULL));
  CHECK(text[0] != '\0');
  CHECK_OK(nnstate_checkpoint_layer_count(ck, &layers));
  CHECK(layers == 3);
  CHECK_OK(nnstate_checkpoint_optimizer(ck, &kind, &step));
  CHECK(kind == NNSTATE_OPTIMIZER_ADAM && step == 3);
  CHECK_OK(nnstate_checkpoint_tensor_count(ck, &count));
  CHECK(count == 12);
  CHECK_OK(nnstate_checkpoint_tensor_info(ck, 0, &name, &role, &dtype, &rank, dims));
  CHECK(strcmp(name, "0.weight") == 0 && role == NNSTATE_ROLE_PARAMETER);
  CHECK(dtype == NNSTATE_DTYPE_FLOAT32 && rank == 2 && dims[0] == 8 && dims[1] == 4);
  CHECK_OK(nnstate_checkpoint_tensor_info(ck, 4, &name, &role, NULL, NULL, NULL));
  CHECK(strcmp(name, "optimizer.0.weight.exp_avg") == 0);
  CHECK(role == NNSTATE_ROLE_OPTIMIZER_STATE);
  CHECK_ERR(nnstate_checkpoint_tensor_info(ck, count, &name, NULL, NULL, NULL, NULL),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(12);

  /* Zero-copy data equals the network's values and the copying read. */
  CHECK_OK(nnstate_checkpoint_tensor_data(ck, "0.weight", &data, &count));
  CHECK(count == 32);
  CHECK(((uintptr_t)data % 64) == 0);
  CHECK_OK(nnstate_network_get_tensor(net, "0.weight", weight, 32));
  CHECK(memcmp(data, weight, sizeof weight) == 0);
  CHECK_OK(nnstate_checkpoint_read_tensor(ck, "0.weight", copy, 32));
  CHECK(memcmp(copy, weight, sizeof weight) == 0);
  CHECK_ERR(nnstate_checkpoint_read_tensor(ck, "0.weight", copy, 31), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_ERR(nnstate_checkpoint_tensor_data(ck, "9.weight", &data, NULL), NNSTATE_ERR_NOT_FOUND);
  CHECK_MSG_CONTAINS("9.weight");

  CHECK_OK(nnstate_checkpoint_metadata_count(ck, &count));
  CHECK(count == 2);
  CHECK_OK(nnstate_checkpoint_metadata_at(ck, 1, &key, &text));
  CHECK(strcmp(key, "note") == 0 && strcmp(text, "round trip") == 0);
  CHECK_OK(nnstate_checkpoint_metadata_get(ck, "lr", &text));
  CHECK(strcmp(text, "0.01") == 0);
  CHECK_ERR(nnstate_checkpoint_metadata_get(ck, "missing", &text), NNSTATE_ERR_NOT_FOUND);
  nnstate_checkpoint_free(ck);

  /* Rebuild, then train both: identical. */
  CHECK_OK(nnstate_checkpoint_load(&loaded, path, NULL));
  ckpt_train(net, 3, 2);
  ckpt_train(loaded, 3, 2);
  for (i = 0; i < 1; ++i) {
    CHECK_OK(nnstate_network_get_tensor(net, "2.weight", weight, 24));
    CHECK_OK(nnstate_network_get_tensor(loaded, "2.weight", copy, 24));
    CHECK(memcmp(weight, copy, 24 * sizeof(float)) == 0);
  }
  nnstate_network_free(loaded);
  nnstate_network_free(net);
}

static void test_buffers_and_load_into(void) {
  nnstate_network *net = ckpt_model(2), *other = NULL, *copy = NULL, *wrong = NULL;
  nnstate_network *failed = (nnstate_network *)&failed;
  nnstate_load_options lo;
  nnstate_checkpoint *ck = NULL;
  size_t size = 0, size2 = 0;
  unsigned char *buffer;
  float a[24], b[24];
  int64_t step;

  CHECK_ERR(nnstate_checkpoint_save_to_buffer(net, NULL, 0, &size, NULL),
            NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK(size > 0);
  buffer = (unsigned char *)malloc(size);
  CHECK(buffer != NULL);
  CHECK_ERR(nnstate_checkpoint_save_to_buffer(net, buffer, size - 1, &size2, NULL),
            NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK(size2 == size);
  CHECK_MSG_NUMBER(size);
  CHECK_OK(nnstate_checkpoint_save_to_buffer(net, buffer, size, &size2, NULL));
  CHECK(size2 == size);
  CHECK_OK(nnstate_checkpoint_verify_buffer(buffer, size));

  CHECK_OK(nnstate_checkpoint_load_buffer(&copy, buffer, size, NULL));
  CHECK_OK(nnstate_network_get_tensor(net, "2.weight", a, 24));
  CHECK_OK(nnstate_network_get_tensor(copy, "2.weight", b, 24));
  CHECK(memcmp(a, b, sizeof a) == 0);

  /* Into a network built by the caller, weights only. */
  other = ckpt_model(0);
  CHECK_OK(nnstate_load_options_init(&lo));
  lo.what = NNSTATE_LOAD_WEIGHTS_ONLY;
  CHECK_OK(nnstate_checkpoint_load_into_buffer(other, buffer, size, &lo));
  CHECK_OK(nnstate_network_get_tensor(other, "2.weight", b, 24));
  CHECK(memcmp(a, b, sizeof a) == 0);

  /* Strict: a differently shaped network is refused, naming the tensors and shapes. */
  CHECK_OK(nnstate_network_create(&wrong, 1));
  CHECK_OK(nnstate_network_add_linear(wrong, 4, 8, 1));
  CHECK_OK(nnstate_network_add_activation(wrong, NNSTATE_LAYER_RELU));
  CHECK_OK(nnstate_network_add_linear(wrong, 8, 5, 1));
  CHECK_ERR(nnstate_checkpoint_load_into_buffer(wrong, buffer, size, NULL),
            NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_CONTAINS("\"2.weight\": file [3, 8], network [5, 8]");
  CHECK_MSG_CONTAINS("\"2.bias\": file [3], network [5]");

  /* A flipped bit in tensor data: found unless CRC checks are turned off. */
  buffer[64 + 5] ^= 0x10;
  CHECK_ERR(nnstate_checkpoint_open_buffer(&ck, buffer, size, NULL), NNSTATE_ERR_CORRUPT);
  CHECK_MSG_CONTAINS("\"0.weight\"");
  CHECK_MSG_CONTAINS("CRC32C mismatch");
  CHECK(ck == NULL);
  CHECK_ERR(nnstate_checkpoint_load_buffer(&failed, buffer, size, NULL), NNSTATE_ERR_CORRUPT);
  CHECK(failed == NULL);
  lo.verify_crc = 0;
  lo.what = NNSTATE_LOAD_FULL;
  CHECK_OK(nnstate_checkpoint_open_buffer(&ck, buffer, size, &lo));
  nnstate_checkpoint_free(ck);
  ck = NULL;
  buffer[64 + 5] ^= 0x10;
  CHECK_OK(nnstate_checkpoint_verify_buffer(buffer, size));

  /* Inspect a buffer (copied by the handle). */
  CHECK_OK(nnstate_checkpoint_open_buffer(&ck, buffer, size, NULL));
  memset(buffer, 0, size);
  CHECK_OK(nnstate_checkpoint_optimizer(ck, NULL, &step));
  CHECK(step == 2);
  nnstate_checkpoint_free(ck);
  CHECK_ERR(nnstate_checkpoint_verify_buffer(buffer, size), NNSTATE_ERR_CORRUPT);
  CHECK_MSG_CONTAINS("<memory buffer>");

  free(buffer);
  nnstate_network_free(wrong);
  nnstate_network_free(other);
  nnstate_network_free(copy);
  nnstate_network_free(net);
}

static void test_argument_errors(const char *dir) {
  nnstate_network *net = ckpt_model(0), *out = (nnstate_network *)&out;
  nnstate_checkpoint *ck = (nnstate_checkpoint *)&ck;
  nnstate_save_options so;
  nnstate_load_options lo;
  char path[512];
  const char *keys[] = {"a", "a"};
  size_t size;

  ckpt_join(path, sizeof path, dir, "none.nnst");
  CHECK_ERR(nnstate_checkpoint_save(NULL, path, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_checkpoint_save(net, NULL, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_checkpoint_save_to_buffer(net, NULL, 0, NULL, NULL),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_checkpoint_load(&out, path, NULL), NNSTATE_ERR_NOT_FOUND);
  CHECK(out == NULL);
  CHECK_MSG_CONTAINS("none.nnst");
  CHECK_ERR(nnstate_checkpoint_open(&ck, path, NULL), NNSTATE_ERR_NOT_FOUND);
  CHECK(ck == NULL);
  CHECK_ERR(nnstate_checkpoint_verify(path), NNSTATE_ERR_NOT_FOUND);
  CHECK_ERR(nnstate_checkpoint_verify(NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_checkpoint_verify(dir), NNSTATE_ERR_IO);
  CHECK_ERR(nnstate_checkpoint_load_into(net, path, NULL), NNSTATE_ERR_NOT_FOUND);

  CHECK_OK(nnstate_save_options_init(&so));
  so.struct_size = 3;
  CHECK_ERR(nnstate_checkpoint_save(net, path, &so), NNSTATE_ERR_VERSION);
  CHECK_OK(nnstate_save_options_init(&so));
  so.metadata_count = 2;
  CHECK_ERR(nnstate_checkpoint_save(net, path, &so), NNSTATE_ERR_INVALID_ARGUMENT);
  so.metadata_keys = keys;
  so.metadata_values = keys;
  CHECK_ERR(nnstate_checkpoint_save_to_buffer(net, NULL, 0, &size, &so),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("\"a\" appears twice");

  CHECK_OK(nnstate_load_options_init(&lo));
  CHECK(lo.what == NNSTATE_LOAD_FULL && lo.verify_crc == 1);
  lo.what = 7;
  CHECK_ERR(nnstate_checkpoint_load_into_buffer(net, "x", 1, &lo), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_checkpoint_load_buffer(&out, "not a checkpoint", 16, NULL),
            NNSTATE_ERR_CORRUPT);
  CHECK(out == NULL);
  CHECK_ERR(nnstate_save_options_init(NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_load_options_init(NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  nnstate_checkpoint_free(NULL);
  nnstate_network_free(net);
}

int main(void) {
  char dir[512];
  uint32_t major, minor;
  ckpt_mkdtemp(dir, sizeof dir);
  CHECK_OK(nnstate_format_version(&major, &minor));
  CHECK(major == NNSTATE_FORMAT_VERSION_MAJOR && minor == NNSTATE_FORMAT_VERSION_MINOR);
  test_file_round_trip(dir);
  test_buffers_and_load_into();
  test_argument_errors(dir);
  ckpt_rmdir(dir);
  printf("checkpoint_api: ok\n");
  return 0;
}
