/*
 * Refusals of train_step / evaluate / predict: counts off by one (SHAPE_MISMATCH naming both
 * numbers), batch size 0, unknown loss kinds, a cross-entropy class index out of range, no loss
 * or no optimizer (STATE). Every refusal leaves the parameters and the optimizer state exactly
 * as they were: a network that went through the failures trains bitwise like one that did not.
 */
#include "nnstate/nnstate.h"

#include "check.h"

/* 3 -> 4 -> 2 MLP, batch of 4: inputs 12 floats, outputs 8 floats. */
static const float xs[13] = {1.0f, 2.0f, 4.0f,  2.0f,  -1.0f, 0.0f, -2.0f,
                             0.5f, 1.0f, 0.25f, 0.75f, -3.0f, 9.0f};
static const float ys[9] = {1.0f, -1.0f, 0.5f, 2.0f, -1.5f, 0.0f, 3.0f, 0.25f, 7.0f};
static const float classes[5] = {0.0f, 1.0f, 1.0f, 0.0f, 1.0f};

static nnstate_network *make_net(int32_t loss_kind, int32_t optimizer_kind) {
  nnstate_network *net = NULL;
  CHECK_OK(nnstate_network_create(&net, 31));
  CHECK_OK(nnstate_network_add_linear(net, 3, 4, 1));
  CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_TANH));
  CHECK_OK(nnstate_network_add_linear(net, 4, 2, 1));
  if (loss_kind) CHECK_OK(nnstate_network_set_loss(net, loss_kind));
  if (optimizer_kind) {
    nnstate_optimizer_options o;
    CHECK_OK(nnstate_optimizer_options_init(&o, optimizer_kind));
    o.lr = 0.01;
    CHECK_OK(nnstate_network_set_optimizer(net, &o));
  }
  return net;
}

#define NPARAM (12 + 4 + 8 + 2)
static void read_all(const nnstate_network *net, float *p) {
  CHECK_OK(nnstate_network_get_tensor(net, "0.weight", p, 12));
  CHECK_OK(nnstate_network_get_tensor(net, "0.bias", p + 12, 4));
  CHECK_OK(nnstate_network_get_tensor(net, "2.weight", p + 16, 8));
  CHECK_OK(nnstate_network_get_tensor(net, "2.bias", p + 24, 2));
}

static void check_unchanged(const nnstate_network *net, const float *before, const char *what) {
  float now[NPARAM];
  read_all(net, now);
  if (memcmp(before, now, sizeof now) != 0) {
    fprintf(stderr, "%s changed the parameters\n", what);
    exit(1);
  }
}

static void test_wrong_counts(void) {
  nnstate_network *net = make_net(NNSTATE_LOSS_MSE, NNSTATE_OPTIMIZER_ADAM);
  float before[NPARAM], out[9], loss = 123.0f;
  read_all(net, before);

  /* train_step: inputs 12 +- 1, targets 8 +- 1. */
  CHECK_ERR(nnstate_network_train_step(net, xs, 11, ys, 8, 4, &loss), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(12);
  CHECK_MSG_NUMBER(11);
  CHECK_ERR(nnstate_network_train_step(net, xs, 13, ys, 8, 4, &loss), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(12);
  CHECK_MSG_NUMBER(13);
  CHECK_ERR(nnstate_network_train_step(net, xs, 12, ys, 7, 4, &loss), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(8);
  CHECK_MSG_NUMBER(7);
  CHECK_ERR(nnstate_network_train_step(net, xs, 12, ys, 9, 4, &loss), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(8);
  CHECK_MSG_NUMBER(9);
  /* batch_size that does not fit the counts. */
  CHECK_ERR(nnstate_network_train_step(net, xs, 12, ys, 8, 3, &loss), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_ERR(nnstate_network_train_step(net, xs, 12, ys, 8, 5, &loss), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK(loss == 123.0f); /* not written on error */
  check_unchanged(net, before, "train_step with wrong counts");

  /* evaluate: the same. */
  CHECK_ERR(nnstate_network_evaluate(net, xs, 11, ys, 8, 4, &loss), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(12);
  CHECK_MSG_NUMBER(11);
  CHECK_ERR(nnstate_network_evaluate(net, xs, 13, ys, 8, 4, &loss), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(12);
  CHECK_MSG_NUMBER(13);
  CHECK_ERR(nnstate_network_evaluate(net, xs, 12, ys, 7, 4, &loss), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(8);
  CHECK_MSG_NUMBER(7);
  CHECK_ERR(nnstate_network_evaluate(net, xs, 12, ys, 9, 4, &loss), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(8);
  CHECK_MSG_NUMBER(9);
  CHECK(loss == 123.0f);

  /* predict: inputs 12 +- 1, outputs 8 +- 1. */
  CHECK_ERR(nnstate_network_predict(net, xs, 11, 4, out, 8), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(12);
  CHECK_MSG_NUMBER(11);
  CHECK_ERR(nnstate_network_predict(net, xs, 13, 4, out, 8), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(12);
  CHECK_MSG_NUMBER(13);
  CHECK_ERR(nnstate_network_predict(net, xs, 12, 4, out, 7), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(8);
  CHECK_MSG_NUMBER(7);
  CHECK_ERR(nnstate_network_predict(net, xs, 12, 4, out, 9), NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(8);
  CHECK_MSG_NUMBER(9);
  CHECK_ERR(nnstate_network_predict(net, xs, 0, 1, out, 2), NNSTATE_ERR_SHAPE_MISMATCH);

  /* batch_size 0. */
  CHECK_ERR(nnstate_network_train_step(net, xs, 0, ys, 0, 0, &loss), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_train_step(net, xs, 12, ys, 8, 0, &loss), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_evaluate(net, xs, 12, ys, 8, 0, &loss), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_predict(net, xs, 12, 0, out, 8), NNSTATE_ERR_INVALID_ARGUMENT);

  check_unchanged(net, before, "wrong counts");
  /* And the right counts work. */
  CHECK_OK(nnstate_network_predict(net, xs, 12, 4, out, 8));
  CHECK_OK(nnstate_network_evaluate(net, xs, 12, ys, 8, 4, &loss));
  CHECK_OK(nnstate_network_train_step(net, xs, 12, ys, 8, 4, &loss));
  nnstate_network_free(net);
}

static void test_cross_entropy_targets(void) {
  nnstate_network *net = make_net(NNSTATE_LOSS_CROSS_ENTROPY, NNSTATE_OPTIMIZER_SGD);
  float before[NPARAM], loss = 0.0f, bad[4];
  static const float invalid[] = {2.0f, -1.0f, 0.5f, 1.0001f, 100.0f, NAN, INFINITY};
  size_t i;
  read_all(net, before);

  /* One class index per sample: 4, not 8. */
  CHECK_ERR(nnstate_network_train_step(net, xs, 12, classes, 8, 4, &loss),
            NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(4);
  CHECK_MSG_NUMBER(8);
  CHECK_ERR(nnstate_network_train_step(net, xs, 12, classes, 5, 4, &loss),
            NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(4);
  CHECK_MSG_NUMBER(5);
  CHECK_ERR(nnstate_network_evaluate(net, xs, 12, classes, 3, 4, &loss),
            NNSTATE_ERR_SHAPE_MISMATCH);
  CHECK_MSG_NUMBER(4);
  CHECK_MSG_NUMBER(3);

  /* A class index out of range (2 classes), negative, fractional or not finite; in the last
   * sample, so that the earlier samples were already processed when it is found. */
  for (i = 0; i < sizeof invalid / sizeof invalid[0]; ++i) {
    memcpy(bad, classes, sizeof bad);
    bad[3] = invalid[i];
    CHECK_ERR(nnstate_network_train_step(net, xs, 12, bad, 4, 4, &loss),
              NNSTATE_ERR_INVALID_ARGUMENT);
    CHECK_MSG_NUMBER(3); /* the sample */
    CHECK_ERR(nnstate_network_evaluate(net, xs, 12, bad, 4, 4, &loss),
              NNSTATE_ERR_INVALID_ARGUMENT);
    check_unchanged(net, before, "a cross-entropy class index out of range");
  }
  memcpy(bad, classes, sizeof bad);
  bad[0] = 5.0f;
  CHECK_ERR(nnstate_network_train_step(net, xs, 12, bad, 4, 4, &loss),
            NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(2); /* the number of classes */
  check_unchanged(net, before, "a cross-entropy class index out of range");

  CHECK_OK(nnstate_network_train_step(net, xs, 12, classes, 4, 4, &loss));
  nnstate_network_free(net);
}

static void test_unknown_loss_kinds(void) {
  nnstate_network *net = make_net(NNSTATE_LOSS_MSE, 0);
  static const int32_t kinds[] = {0, 4, -1, 100, INT32_MAX, INT32_MIN};
  float loss = 0.0f, again = 0.0f;
  size_t i;
  CHECK_OK(nnstate_network_evaluate(net, xs, 12, ys, 8, 4, &loss));
  for (i = 0; i < sizeof kinds / sizeof kinds[0]; ++i) {
    CHECK_ERR(nnstate_network_set_loss(net, kinds[i]), NNSTATE_ERR_INVALID_ARGUMENT);
    CHECK_MSG_NUMBER(kinds[i]);
  }
  /* The MSE loss is still the one in place. */
  CHECK_OK(nnstate_network_evaluate(net, xs, 12, ys, 8, 4, &again));
  CHECK(loss == again);
  nnstate_network_free(net);

  /* A network that never had a loss still has none after a refused one. */
  net = make_net(0, NNSTATE_OPTIMIZER_SGD);
  CHECK_ERR(nnstate_network_set_loss(net, 0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_evaluate(net, xs, 12, ys, 8, 4, &loss), NNSTATE_ERR_STATE);
  nnstate_network_free(net);
}

static void test_missing_loss_or_optimizer(void) {
  nnstate_network *net;
  float before[NPARAM], loss = 0.0f, out[8];

  /* Neither. */
  net = make_net(0, 0);
  read_all(net, before);
  CHECK_ERR(nnstate_network_train_step(net, xs, 12, ys, 8, 4, &loss), NNSTATE_ERR_STATE);
  CHECK_ERR(nnstate_network_evaluate(net, xs, 12, ys, 8, 4, &loss), NNSTATE_ERR_STATE);
  CHECK_OK(nnstate_network_predict(net, xs, 12, 4, out, 8)); /* needs neither */
  check_unchanged(net, before, "train_step without loss and optimizer");
  nnstate_network_free(net);

  /* A loss, no optimizer. */
  net = make_net(NNSTATE_LOSS_MSE, 0);
  read_all(net, before);
  CHECK_ERR(nnstate_network_train_step(net, xs, 12, ys, 8, 4, &loss), NNSTATE_ERR_STATE);
  CHECK_MSG_CONTAINS("optimizer");
  CHECK_OK(nnstate_network_evaluate(net, xs, 12, ys, 8, 4, &loss)); /* needs no optimizer */
  check_unchanged(net, before, "train_step without optimizer");
  nnstate_network_free(net);

  /* An optimizer, no loss. */
  net = make_net(0, NNSTATE_OPTIMIZER_ADAM);
  read_all(net, before);
  CHECK_ERR(nnstate_network_train_step(net, xs, 12, ys, 8, 4, &loss), NNSTATE_ERR_STATE);
  CHECK_MSG_CONTAINS("loss");
  CHECK_ERR(nnstate_network_evaluate(net, xs, 12, ys, 8, 4, &loss), NNSTATE_ERR_STATE);
  check_unchanged(net, before, "train_step without loss");
  nnstate_network_free(net);

  /* No layers at all. */
  CHECK_OK(nnstate_network_create(&net, 1));
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_MSE));
  CHECK_ERR(nnstate_network_train_step(net, xs, 12, ys, 8, 4, &loss), NNSTATE_ERR_STATE);
  CHECK_ERR(nnstate_network_evaluate(net, xs, 12, ys, 8, 4, &loss), NNSTATE_ERR_STATE);
  CHECK_ERR(nnstate_network_predict(net, xs, 12, 4, out, 8), NNSTATE_ERR_STATE);
  nnstate_network_free(net);
}

/* Refused calls between steps leave the optimizer's state alone too: Adam's moments and step
 * count. A network that saw every kind of failure trains bitwise like its twin. */
static void test_failures_change_nothing(int32_t loss_kind, int32_t optimizer_kind) {
  nnstate_network *a = make_net(loss_kind, optimizer_kind);
  nnstate_network *b = make_net(loss_kind, optimizer_kind);
  const float *targets = loss_kind == NNSTATE_LOSS_CROSS_ENTROPY ? classes : ys;
  const size_t target_count = loss_kind == NNSTATE_LOSS_CROSS_ENTROPY ? 4 : 8;
  float pa[NPARAM], pb[NPARAM], la = 0.0f, lb = 0.0f, before[NPARAM], out[8];
  float bad_classes[4] = {0.0f, 1.0f, 5.0f, 0.0f};
  nnstate_optimizer_options bad;
  double lr = 0.0;
  int step;
  for (step = 0; step < 5; ++step) {
    read_all(a, before);
    CHECK_ERR(nnstate_network_train_step(a, xs, 11, targets, target_count, 4, &la),
              NNSTATE_ERR_SHAPE_MISMATCH);
    CHECK_ERR(nnstate_network_train_step(a, xs, 12, targets, target_count + 1, 4, &la),
              NNSTATE_ERR_SHAPE_MISMATCH);
    CHECK_ERR(nnstate_network_train_step(a, xs, 12, targets, target_count, 0, &la),
              NNSTATE_ERR_INVALID_ARGUMENT);
    CHECK_ERR(nnstate_network_train_step(a, NULL, 12, targets, target_count, 4, &la),
              NNSTATE_ERR_INVALID_ARGUMENT);
    CHECK_ERR(nnstate_network_train_step(a, xs, 12, NULL, target_count, 4, &la),
              NNSTATE_ERR_INVALID_ARGUMENT);
    if (loss_kind == NNSTATE_LOSS_CROSS_ENTROPY) {
      CHECK_ERR(nnstate_network_train_step(a, xs, 12, bad_classes, 4, 4, &la),
                NNSTATE_ERR_INVALID_ARGUMENT);
    }
    CHECK_ERR(nnstate_network_set_lr(a, -1.0), NNSTATE_ERR_INVALID_ARGUMENT);
    CHECK_OK(nnstate_optimizer_options_init(&bad, optimizer_kind));
    bad.lr = -1.0;
    CHECK_ERR(nnstate_network_set_optimizer(a, &bad), NNSTATE_ERR_INVALID_ARGUMENT);
    bad.lr = 0.5;
    bad.struct_size = 3;
    CHECK_ERR(nnstate_network_set_optimizer(a, &bad), NNSTATE_ERR_VERSION);
    CHECK_ERR(nnstate_network_set_loss(a, 42), NNSTATE_ERR_INVALID_ARGUMENT);
    CHECK_ERR(nnstate_network_add_linear(a, 2, 2, 1), NNSTATE_ERR_STATE);
    CHECK_ERR(nnstate_network_get_tensor(a, "0.weight", out, 13), NNSTATE_ERR_SHAPE_MISMATCH);
    CHECK_ERR(nnstate_network_set_tensor(a, "0.weight", xs, 11), NNSTATE_ERR_SHAPE_MISMATCH);
    CHECK_ERR(nnstate_network_set_tensor(a, "nope", xs, 12), NNSTATE_ERR_NOT_FOUND);
    CHECK_ERR(nnstate_network_predict(a, xs, 12, 4, out, 7), NNSTATE_ERR_SHAPE_MISMATCH);
    check_unchanged(a, before, "the refused calls");
    /* Successful read-only calls in between change nothing either. */
    CHECK_OK(nnstate_network_predict(a, xs, 12, 4, out, 8));
    CHECK_OK(nnstate_network_evaluate(a, xs, 12, targets, target_count, 4, &la));
    CHECK_OK(nnstate_network_get_lr(a, &lr));
    CHECK(lr == 0.01);

    CHECK_OK(nnstate_network_train_step(a, xs, 12, targets, target_count, 4, &la));
    CHECK_OK(nnstate_network_train_step(b, xs, 12, targets, target_count, 4, &lb));
    CHECK(memcmp(&la, &lb, sizeof la) == 0);
    read_all(a, pa);
    read_all(b, pb);
    if (memcmp(pa, pb, sizeof pa) != 0) {
      fprintf(stderr, "loss %d, optimizer %d: step %d differs after refused calls\n",
              (int)loss_kind, (int)optimizer_kind, step);
      exit(1);
    }
  }
  nnstate_network_free(a);
  nnstate_network_free(b);
}

int main(void) {
  test_wrong_counts();
  test_cross_entropy_targets();
  test_unknown_loss_kinds();
  test_missing_loss_or_optimizer();
  test_failures_change_nothing(NNSTATE_LOSS_MSE, NNSTATE_OPTIMIZER_ADAM);
  test_failures_change_nothing(NNSTATE_LOSS_CROSS_ENTROPY, NNSTATE_OPTIMIZER_ADAMW);
  test_failures_change_nothing(NNSTATE_LOSS_BCE_WITH_LOGITS, NNSTATE_OPTIMIZER_SGD);
  printf("api_training_errors: all checks passed\n");
  return 0;
}
