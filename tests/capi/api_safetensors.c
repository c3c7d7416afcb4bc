/*
 * safetensors and partial loads through the C API: a save/load round trip gives the same
 * predictions, a strict load lists every difference, a partial load of a checkpoint's backbone
 * into a network with another head reports what it loaded, skipped and missed, the metadata
 * holds the architecture, and NULL or wrong-size arguments give statuses.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "checkpoint_common.h"

static size_t count_of(const nnstate_load_report *r, int32_t list) {
  size_t n = 0;
  CHECK_OK(nnstate_load_report_count(r, list, &n));
  return n;
}

static const char *name_of(const nnstate_load_report *r, int32_t list, size_t i) {
  const char *name = NULL;
  CHECK_OK(nnstate_load_report_name(r, list, i, &name));
  return name;
}

static void predict(nnstate_network *net, float *out) {
  float x[20], y[15];
  ckpt_batch(99, x, y);
  CHECK_OK(nnstate_network_predict(net, x, 20, 5, out, 15));
}

static void round_trip(const char *dir) {
  char path[512];
  nnstate_network *a = ckpt_model(5), *b = ckpt_model(0);
  nnstate_load_report *report = NULL;
  float pa[15], pb[15];
  int i;
  const char *keys[] = {"run"}, *values[] = {"7"};
  nnstate_save_options so;
  ckpt_join(path, sizeof path, dir, "m.safetensors");
  CHECK_OK(nnstate_save_options_init(&so));
  so.metadata_keys = keys;
  so.metadata_values = values;
  so.metadata_count = 1;
  CHECK_OK(nnstate_network_save_safetensors(a, path, &so));
  CHECK_OK(nnstate_network_load_safetensors(b, path, 1, &report));
  CHECK(count_of(report, NNSTATE_REPORT_LOADED) == 4);
  CHECK(strcmp(name_of(report, NNSTATE_REPORT_LOADED, 0), "0.weight") == 0);
  CHECK(count_of(report, NNSTATE_REPORT_MISSING) == 0);
  CHECK_ERR(nnstate_load_report_name(report, NNSTATE_REPORT_LOADED, 4, &keys[0]),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("index 4 is out of range");
  CHECK_ERR(nnstate_load_report_count(report, 5, &so.metadata_count), NNSTATE_ERR_INVALID_ARGUMENT);
  nnstate_load_report_free(report);
  predict(a, pa);
  predict(b, pb);
  for (i = 0; i < 15; ++i) CHECK(pa[i] == pb[i]);

  {
    char text[4096], expected[4096];
    size_t size = 0;
    CHECK_OK(nnstate_safetensors_metadata(path, "nnstate.architecture", text, sizeof text, &size));
    CHECK_OK(nnstate_network_to_json(a, expected, sizeof expected, &size));
    CHECK(strcmp(text, expected) == 0);
    CHECK_OK(nnstate_safetensors_metadata(path, "run", text, sizeof text, &size));
    CHECK(strcmp(text, "7") == 0);
    CHECK_ERR(nnstate_safetensors_metadata(path, "absent", text, sizeof text, &size),
              NNSTATE_ERR_NOT_FOUND);
    CHECK_ERR(nnstate_safetensors_metadata(path, "run", NULL, 0, &size),
              NNSTATE_ERR_SHAPE_MISMATCH);
    CHECK(size == 2);
  }
  /* A reserved metadata key is refused, and the file stays as it was. */
  keys[0] = "nnstate.version";
  CHECK_ERR(nnstate_network_save_safetensors(a, path, &so), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_OK(nnstate_network_load_safetensors(b, path, 1, NULL));
  nnstate_network_free(a);
  nnstate_network_free(b);
}

static void strict_and_partial(const char *dir) {
  char st[512], ck[512];
  nnstate_network *a = ckpt_model(3), *c = NULL;
  nnstate_load_report *report = (nnstate_load_report *)&report; /* set to NULL on error */
  nnstate_partial_load_options o;
  const char *skip[] = {"2.*"};
  ckpt_join(st, sizeof st, dir, "a.safetensors");
  ckpt_join(ck, sizeof ck, dir, "a.nnst");
  CHECK_OK(nnstate_network_save_safetensors(a, st, NULL));
  CHECK_OK(nnstate_checkpoint_save(a, ck, NULL));

  /* 4-8-5: the head differs. */
  CHECK_OK(nnstate_network_create(&c, 1));
  CHECK_OK(nnstate_network_add_linear(c, 4, 8, 1));
  CHECK_OK(nnstate_network_add_activation(c, NNSTATE_LAYER_RELU));
  CHECK_OK(nnstate_network_add_linear(c, 8, 5, 1));
  CHECK_ERR(nnstate_network_load_safetensors(c, st, 1, &report), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK(report == NULL);
  CHECK_MSG_CONTAINS("\"2.weight\": file [3, 8], network [5, 8]");
  CHECK_MSG_CONTAINS("\"2.bias\": file [3], network [5]");

  CHECK_OK(nnstate_network_load_safetensors(c, st, 0, &report));
  CHECK(count_of(report, NNSTATE_REPORT_LOADED) == 2);
  CHECK(count_of(report, NNSTATE_REPORT_MISMATCHED) == 2);
  nnstate_load_report_free(report);

  /* From the checkpoint, skipping the head. */
  CHECK_OK(nnstate_partial_load_options_init(&o));
  o.skip_patterns = skip;
  o.skip_count = 1;
  CHECK_OK(nnstate_network_load_partial(c, ck, &o, &report));
  CHECK(count_of(report, NNSTATE_REPORT_LOADED) == 2);
  CHECK(count_of(report, NNSTATE_REPORT_SKIPPED) == 2);
  CHECK(strcmp(name_of(report, NNSTATE_REPORT_SKIPPED, 1), "2.bias") == 0);
  CHECK(count_of(report, NNSTATE_REPORT_MISSING) == 2);
  CHECK(count_of(report, NNSTATE_REPORT_MISMATCHED) == 0);
  nnstate_load_report_free(report);
  o.strict = 1;
  CHECK_ERR(nnstate_network_load_partial(c, ck, &o, NULL), NNSTATE_ERR_NOT_FOUND);
  CHECK_MSG_CONTAINS("missing from the file: \"2.weight\" [5, 8]");

  /* Wrong arguments. */
  o.strict = 0;
  o.skip_patterns = NULL;
  CHECK_ERR(nnstate_network_load_partial(c, ck, &o, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("options->skip_patterns is NULL");
  o.struct_size = 4;
  CHECK_ERR(nnstate_network_load_partial(c, ck, &o, NULL), NNSTATE_ERR_VERSION);
  CHECK_ERR(nnstate_partial_load_options_init(NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_load_partial(NULL, ck, NULL, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_load_safetensors(c, NULL, 1, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_save_safetensors(NULL, st, NULL), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_load_report_count(NULL, 0, &o.skip_count), NNSTATE_ERR_INVALID_ARGUMENT);
  /* A checkpoint is not a safetensors file: its magic reads as a huge header length. */
  CHECK_ERR(nnstate_network_load_safetensors(c, ck, 0, NULL), NNSTATE_ERR_CORRUPT);
  CHECK_MSG_CONTAINS("exceeds the limit of 100000000 bytes");
  nnstate_load_report_free(NULL);
  nnstate_network_free(a);
  nnstate_network_free(c);
}

int main(void) {
  char dir[256];
  ckpt_mkdtemp(dir, sizeof dir);
  round_trip(dir);
  strict_and_partial(dir);
  ckpt_rmdir(dir);
  return 0;
}
