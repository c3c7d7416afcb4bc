/*
 * Training through the C API, checked against arithmetic done by hand in this file: one
 * Linear(3, 2) layer with known weights, whose loss, gradients and optimizer updates (SGD with
 * momentum / dampening / nesterov / weight decay / maximize, Adam, AdamW, AMSGrad) are
 * computed here in double. Also evaluate and predict, the three losses, optimizer options and
 * their defaults, the learning rate, and XOR learned end to end.
 */
#include "nnstate/nnstate.h"

#include "check.h"

/* ---- the hand model: Linear(3, 2) on a batch of 4 ----------------------------------------- */

#define IN 3
#define OUT 2
#define BATCH 4
#define NW (IN * OUT)
#define NP (NW + OUT) /* weight then bias */

static const float start_w[NW] = {0.5f, -1.0f, 0.25f, 1.0f, 2.0f, -0.5f};
static const float start_b[OUT] = {0.125f, -0.75f};
static const float batch_x[BATCH * IN] = {1.0f,  2.0f, 4.0f, 2.0f,  -1.0f, 0.0f,
                                          -2.0f, 0.5f, 1.0f, 0.25f, 0.75f, -3.0f};
static const float mse_y[BATCH * OUT] = {1.0f, -1.0f, 0.5f, 2.0f, -1.5f, 0.0f, 3.0f, 0.25f};
static const float bce_y[BATCH * OUT] = {0.0f, 1.0f, 1.0f, 0.0f, 0.25f, 0.75f, 1.0f, 1.0f};
static const float ce_y[BATCH] = {0.0f, 1.0f, 1.0f, 0.0f};

static nnstate_network *make_linear(int32_t loss_kind) {
  nnstate_network *net = NULL;
  CHECK_OK(nnstate_network_create(&net, 2024));
  CHECK_OK(nnstate_network_add_linear(net, IN, OUT, 1));
  CHECK_OK(nnstate_network_set_tensor(net, "0.weight", start_w, NW));
  CHECK_OK(nnstate_network_set_tensor(net, "0.bias", start_b, OUT));
  CHECK_OK(nnstate_network_set_loss(net, loss_kind));
  return net;
}

static void set_optimizer(nnstate_network *net, const nnstate_optimizer_options *options) {
  CHECK_OK(nnstate_network_set_optimizer(net, options));
}

/* p[0 .. NW) = weight, p[NW .. NP) = bias. */
static void read_params(const nnstate_network *net, float *p) {
  CHECK_OK(nnstate_network_get_tensor(net, "0.weight", p, NW));
  CHECK_OK(nnstate_network_get_tensor(net, "0.bias", p + NW, OUT));
}

static const float *targets_of(int32_t loss_kind) {
  return loss_kind == NNSTATE_LOSS_MSE               ? mse_y
         : loss_kind == NNSTATE_LOSS_BCE_WITH_LOGITS ? bce_y
                                                     : ce_y;
}
static size_t target_count_of(int32_t loss_kind) {
  return loss_kind == NNSTATE_LOSS_CROSS_ENTROPY ? BATCH : BATCH * OUT;
}

/* The mean loss at parameters p and its gradient with respect to p, by hand, in double. */
static double loss_and_grad(int32_t loss_kind, const float *p, double *grad) {
  double out[BATCH * OUT], d_out[BATCH * OUT], loss = 0.0;
  int b, o, i;
  for (b = 0; b < BATCH; ++b) {
    for (o = 0; o < OUT; ++o) {
      double y = p[NW + o];
      for (i = 0; i < IN; ++i) y += (double)p[o * IN + i] * batch_x[b * IN + i];
      out[b * OUT + o] = y;
    }
  }
  if (loss_kind == NNSTATE_LOSS_MSE) {
    for (i = 0; i < BATCH * OUT; ++i) {
      double d = out[i] - mse_y[i];
      loss += d * d / (BATCH * OUT);
      d_out[i] = 2.0 * d / (BATCH * OUT);
    }
  } else if (loss_kind == NNSTATE_LOSS_BCE_WITH_LOGITS) {
    for (i = 0; i < BATCH * OUT; ++i) {
      double x = out[i], y = bce_y[i], s = 1.0 / (1.0 + exp(-x));
      loss += (-(y * log(s) + (1.0 - y) * log(1.0 - s))) / (BATCH * OUT);
      d_out[i] = (s - y) / (BATCH * OUT);
    }
  } else {
    for (b = 0; b < BATCH; ++b) {
      const double *z = out + b * OUT;
      int target = (int)ce_y[b];
      double denom = 0.0;
      for (o = 0; o < OUT; ++o) denom += exp(z[o]);
      loss += (log(denom) - z[target]) / BATCH;
      for (o = 0; o < OUT; ++o) d_out[b * OUT + o] = (exp(z[o]) / denom - (o == target)) / BATCH;
    }
  }
  if (grad) {
    for (i = 0; i < NP; ++i) grad[i] = 0.0;
    for (b = 0; b < BATCH; ++b) {
      for (o = 0; o < OUT; ++o) {
        double g = d_out[b * OUT + o];
        for (i = 0; i < IN; ++i) grad[o * IN + i] += g * batch_x[b * IN + i];
        grad[NW + o] += g;
      }
    }
  }
  return loss;
}

static void check_params(const nnstate_network *net, const double *expected, double tolerance,
                         const char *what) {
  float p[NP];
  int i;
  read_params(net, p);
  for (i = 0; i < NP; ++i) {
    if (!(fabs(p[i] - expected[i]) <= tolerance)) {
      fprintf(stderr, "%s: parameter %d is %.9g, expected %.9g (tolerance %g)\n", what, i, p[i],
              expected[i], tolerance);
      exit(1);
    }
  }
}

static float train(nnstate_network *net, int32_t loss_kind) {
  float loss = -1.0f;
  CHECK_OK(nnstate_network_train_step(net, batch_x, BATCH * IN, targets_of(loss_kind),
                                      target_count_of(loss_kind), BATCH, &loss));
  return loss;
}

/* ---- SGD ---------------------------------------------------------------------------------- */

static void test_sgd_step_by_hand(void) {
  static const int32_t losses[3] = {NNSTATE_LOSS_MSE, NNSTATE_LOSS_BCE_WITH_LOGITS,
                                    NNSTATE_LOSS_CROSS_ENTROPY};
  int k, i;
  for (k = 0; k < 3; ++k) {
    nnstate_network *net = make_linear(losses[k]);
    nnstate_optimizer_options sgd;
    float p[NP], loss = 0.0f, evaluated = 0.0f;
    double grad[NP], expected[NP], hand_loss;
    CHECK_OK(nnstate_optimizer_options_init(&sgd, NNSTATE_OPTIMIZER_SGD));
    sgd.lr = 0.1;
    set_optimizer(net, &sgd);
    read_params(net, p);
    hand_loss = loss_and_grad(losses[k], p, grad);
    /* evaluate agrees with the hand loss and changes nothing. */
    CHECK_OK(nnstate_network_evaluate(net, batch_x, BATCH * IN, targets_of(losses[k]),
                                      target_count_of(losses[k]), BATCH, &evaluated));
    CHECK_NEAR(evaluated, hand_loss, 1e-6 * (1.0 + hand_loss));
    check_params(net,
                 (double[NP]){start_w[0], start_w[1], start_w[2], start_w[3], start_w[4],
                              start_w[5], start_b[0], start_b[1]},
                 0.0, "after evaluate");

    loss = train(net, losses[k]);
    CHECK_NEAR(loss, hand_loss, 1e-6 * (1.0 + hand_loss)); /* the loss before the update */
    for (i = 0; i < NP; ++i) expected[i] = p[i] - 0.1 * grad[i];
    check_params(net, expected, 1e-6, "one SGD step");

    /* evaluate now gives the loss at the new parameters. */
    read_params(net, p);
    hand_loss = loss_and_grad(losses[k], p, NULL);
    CHECK_OK(nnstate_network_evaluate(net, batch_x, BATCH * IN, targets_of(losses[k]),
                                      target_count_of(losses[k]), BATCH, &evaluated));
    CHECK_NEAR(evaluated, hand_loss, 1e-6 * (1.0 + hand_loss));
    nnstate_network_free(net);
  }
}

/* MSE, worked on paper for the first sample: outputs [0.125 + 0.5 - 2 + 1, -0.75 + 1 + 4 - 2]. */
static void test_mse_loss_literally(void) {
  nnstate_network *net = make_linear(NNSTATE_LOSS_MSE);
  float x[3] = {1.0f, 2.0f, 4.0f}, y[2] = {0.0f, 1.0f}, out[2], loss = 0.0f;
  CHECK_OK(nnstate_network_predict(net, x, 3, 1, out, 2));
  CHECK(out[0] == -0.375f && out[1] == 2.25f);
  CHECK_OK(nnstate_network_evaluate(net, x, 3, y, 2, 1, &loss));
  CHECK_NEAR(loss, (0.375 * 0.375 + 1.25 * 1.25) / 2.0, 1e-7);
  nnstate_network_free(net);
}

/* PyTorch's SGD: buf = g (first step) or momentum * buf + (1 - dampening) * d; nesterov uses
 * d + momentum * buf; d = g (+ weight_decay * p), negated first when maximizing. */
static void sgd_by_hand(const nnstate_optimizer_options *o, const float *p, const double *g,
                        double *buf, int first, double *out) {
  int i;
  for (i = 0; i < NP; ++i) {
    double d = (o->maximize ? -g[i] : g[i]) + o->weight_decay * p[i];
    if (o->momentum != 0.0) {
      buf[i] = first ? d : o->momentum * buf[i] + (1.0 - o->dampening) * d;
      d = o->nesterov ? d + o->momentum * buf[i] : buf[i];
    }
    out[i] = p[i] - o->lr * d;
  }
}

static void test_sgd_options_by_hand(void) {
  struct {
    double lr, momentum, dampening, weight_decay;
    int32_t nesterov, maximize;
  } cases[] = {
      {0.1, 0.0, 0.0, 0.0, 0, 0},  {0.05, 0.9, 0.0, 0.0, 0, 0},  {0.05, 0.9, 0.5, 0.0, 0, 0},
      {0.05, 0.9, 0.0, 0.0, 1, 0}, {0.1, 0.0, 0.0, 0.01, 0, 0},  {0.02, 0.5, 0.0, 0.1, 1, 0},
      {0.1, 0.0, 0.0, 0.0, 0, 1},  {0.03, 0.8, 0.2, 0.05, 0, 1},
  };
  size_t c;
  for (c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
    nnstate_network *net = make_linear(NNSTATE_LOSS_MSE);
    nnstate_optimizer_options o;
    double buf[NP], grad[NP], expected[NP];
    float p[NP];
    int step;
    CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_SGD));
    o.lr = cases[c].lr;
    o.momentum = cases[c].momentum;
    o.dampening = cases[c].dampening;
    o.weight_decay = cases[c].weight_decay;
    o.nesterov = cases[c].nesterov;
    o.maximize = cases[c].maximize;
    set_optimizer(net, &o);
    for (step = 0; step < 3; ++step) {
      read_params(net, p);
      (void)loss_and_grad(NNSTATE_LOSS_MSE, p, grad);
      sgd_by_hand(&o, p, grad, buf, step == 0, expected);
      (void)train(net, NNSTATE_LOSS_MSE);
      check_params(net, expected, 1e-6, "SGD options");
    }
    nnstate_network_free(net);
  }
}

/* ---- Adam / AdamW ------------------------------------------------------------------------- */

/* torch.optim.Adam / AdamW, one step, in double. */
static void adam_by_hand(const nnstate_optimizer_options *o, int step, const float *p,
                         const double *g_in, double *m, double *v, double *v_max, double *out) {
  int i;
  double bc1 = 1.0 - pow(o->beta1, step), bc2 = 1.0 - pow(o->beta2, step);
  for (i = 0; i < NP; ++i) {
    double g = o->maximize ? -g_in[i] : g_in[i], param = p[i], second;
    if (o->kind == NNSTATE_OPTIMIZER_ADAMW) {
      param *= 1.0 - o->lr * o->weight_decay;
    } else {
      g += o->weight_decay * param;
    }
    m[i] = o->beta1 * m[i] + (1.0 - o->beta1) * g;
    v[i] = o->beta2 * v[i] + (1.0 - o->beta2) * g * g;
    second = v[i];
    if (o->amsgrad) {
      if (v[i] > v_max[i]) v_max[i] = v[i];
      second = v_max[i];
    }
    out[i] = param - o->lr / bc1 * m[i] / (sqrt(second) / sqrt(bc2) + o->eps);
  }
}

static void test_adam_by_hand(void) {
  /* AMSGrad only differs once the second moment decreases: a small beta2 and a large rate
   * make it happen within the steps below (checked). */
  struct {
    int32_t kind;
    double lr, weight_decay, beta1, beta2;
    int32_t amsgrad, maximize;
  } cases[] = {
      {NNSTATE_OPTIMIZER_ADAM, 0.01, 0.0, 0.9, 0.999, 0, 0},
      {NNSTATE_OPTIMIZER_ADAM, 0.01, 0.1, 0.9, 0.999, 0, 0},
      {NNSTATE_OPTIMIZER_ADAM, 0.01, 0.0, 0.8, 0.99, 0, 1},
      {NNSTATE_OPTIMIZER_ADAM, 0.1, 0.0, 0.5, 0.5, 1, 0},
      {NNSTATE_OPTIMIZER_ADAMW, 0.01, 0.1, 0.9, 0.999, 0, 0},
      {NNSTATE_OPTIMIZER_ADAMW, 0.1, 0.01, 0.5, 0.5, 1, 0},
  };
  size_t c;
  for (c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
    nnstate_network *net = make_linear(NNSTATE_LOSS_MSE);
    nnstate_optimizer_options o;
    double m[NP] = {0}, v[NP] = {0}, v_max[NP] = {0}, grad[NP], expected[NP];
    float p[NP];
    int step, i;
    CHECK_OK(nnstate_optimizer_options_init(&o, cases[c].kind));
    o.lr = cases[c].lr;
    o.weight_decay = cases[c].weight_decay;
    o.beta1 = cases[c].beta1;
    o.beta2 = cases[c].beta2;
    o.amsgrad = cases[c].amsgrad;
    o.maximize = cases[c].maximize;
    set_optimizer(net, &o);
    for (step = 1; step <= 8; ++step) {
      read_params(net, p);
      (void)loss_and_grad(NNSTATE_LOSS_MSE, p, grad);
      adam_by_hand(&o, step, p, grad, m, v, v_max, expected);
      if (step == 1 && o.weight_decay == 0.0) {
        /* First step without decay: every parameter moves by lr * g / (|g| + eps). */
        for (i = 0; i < NP; ++i) {
          double g = o.maximize ? -grad[i] : grad[i];
          CHECK_NEAR(expected[i], p[i] - o.lr * g / (fabs(g) + o.eps), 1e-12);
        }
      }
      (void)train(net, NNSTATE_LOSS_MSE);
      check_params(net, expected, 1e-6, cases[c].kind == NNSTATE_OPTIMIZER_ADAM ? "Adam" : "AdamW");
    }
    if (o.amsgrad) {
      int decreased = 0;
      for (i = 0; i < NP; ++i) decreased |= v_max[i] > v[i];
      CHECK(decreased); /* the case exercises AMSGrad's maximum */
    }
    nnstate_network_free(net);
  }
}

/* set_optimizer again starts from fresh state: the next step is a first step again. */
static void test_set_optimizer_resets_state(void) {
  nnstate_network *net = make_linear(NNSTATE_LOSS_MSE);
  nnstate_optimizer_options o;
  double m[NP] = {0}, v[NP] = {0}, grad[NP], expected[NP];
  float p[NP];
  int k;
  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_ADAM));
  o.lr = 0.01;
  set_optimizer(net, &o);
  for (k = 0; k < 3; ++k) (void)train(net, NNSTATE_LOSS_MSE);
  set_optimizer(net, &o);
  read_params(net, p);
  (void)loss_and_grad(NNSTATE_LOSS_MSE, p, grad);
  adam_by_hand(&o, 1, p, grad, m, v, NULL, expected);
  (void)train(net, NNSTATE_LOSS_MSE);
  check_params(net, expected, 1e-6, "Adam after set_optimizer again");
  nnstate_network_free(net);
}

/* ---- options ------------------------------------------------------------------------------ */

static void test_options_defaults(void) {
  static const int32_t kinds[3] = {NNSTATE_OPTIMIZER_SGD, NNSTATE_OPTIMIZER_ADAM,
                                   NNSTATE_OPTIMIZER_ADAMW};
  int k;
  for (k = 0; k < 3; ++k) {
    nnstate_optimizer_options o;
    memset(&o, 0xAB, sizeof o);
    CHECK_OK(nnstate_optimizer_options_init(&o, kinds[k]));
    CHECK(o.struct_size == sizeof(nnstate_optimizer_options));
    CHECK(o.kind == kinds[k]);
    CHECK(o.lr == 1e-3);
    CHECK(o.beta1 == 0.9 && o.beta2 == 0.999 && o.eps == 1e-8);
    CHECK(o.weight_decay == (kinds[k] == NNSTATE_OPTIMIZER_ADAMW ? 1e-2 : 0.0));
    CHECK(o.amsgrad == 0 && o.maximize == 0 && o.nesterov == 0);
    CHECK(o.momentum == 0.0 && o.dampening == 0.0);
  }
}

static void test_options_refused(void) {
  nnstate_network *net = make_linear(NNSTATE_LOSS_MSE);
  nnstate_optimizer_options o;
  double lr = 0.0;
  float before[NP];

  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_SGD));
  o.lr = 0.25;
  set_optimizer(net, &o);
  read_params(net, before);

#define REFUSED(kind, field, value, word)                                            \
  do {                                                                               \
    CHECK_OK(nnstate_optimizer_options_init(&o, (kind)));                            \
    o.field = (value);                                                               \
    CHECK_ERR(nnstate_network_set_optimizer(net, &o), NNSTATE_ERR_INVALID_ARGUMENT); \
    CHECK_MSG_CONTAINS(word);                                                        \
  } while (0)
  REFUSED(NNSTATE_OPTIMIZER_SGD, lr, -1.0, "lr");
  REFUSED(NNSTATE_OPTIMIZER_ADAM, lr, -0.001, "lr");
  REFUSED(NNSTATE_OPTIMIZER_ADAM, lr, NAN, "lr");
  REFUSED(NNSTATE_OPTIMIZER_ADAMW, lr, INFINITY, "lr");
  REFUSED(NNSTATE_OPTIMIZER_ADAM, beta1, 1.0, "beta1");
  REFUSED(NNSTATE_OPTIMIZER_ADAM, beta1, -0.1, "beta1");
  REFUSED(NNSTATE_OPTIMIZER_ADAMW, beta2, 1.0, "beta2");
  REFUSED(NNSTATE_OPTIMIZER_ADAM, beta2, NAN, "beta2");
  REFUSED(NNSTATE_OPTIMIZER_ADAM, eps, -1e-8, "eps");
  REFUSED(NNSTATE_OPTIMIZER_SGD, weight_decay, -0.5, "weight_decay");
  REFUSED(NNSTATE_OPTIMIZER_ADAMW, weight_decay, -0.5, "weight_decay");
  REFUSED(NNSTATE_OPTIMIZER_SGD, momentum, -0.9, "momentum");
  REFUSED(NNSTATE_OPTIMIZER_SGD, nesterov, 1, "nesterov"); /* momentum 0 */
  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_SGD));
  o.nesterov = 1;
  o.momentum = 0.9;
  o.dampening = 0.1;
  CHECK_ERR(nnstate_network_set_optimizer(net, &o), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_CONTAINS("nesterov");
#undef REFUSED

  /* An unknown kind in the struct. */
  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_SGD));
  o.kind = 4;
  CHECK_ERR(nnstate_network_set_optimizer(net, &o), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(4);
  o.kind = 0;
  CHECK_ERR(nnstate_network_set_optimizer(net, &o), NNSTATE_ERR_INVALID_ARGUMENT);
  /* Unknown kinds for _init. */
  CHECK_ERR(nnstate_optimizer_options_init(&o, 0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_optimizer_options_init(&o, 4), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(4);
  CHECK_ERR(nnstate_optimizer_options_init(&o, -1), NNSTATE_ERR_INVALID_ARGUMENT);

  /* A struct_size this library does not know: VERSION naming both sizes. */
  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_SGD));
  o.struct_size = (uint32_t)sizeof o + 8;
  CHECK_ERR(nnstate_network_set_optimizer(net, &o), NNSTATE_ERR_VERSION);
  CHECK_MSG_NUMBER(sizeof o + 8);
  CHECK_MSG_NUMBER(sizeof o);
  o.struct_size = (uint32_t)sizeof o - 8;
  CHECK_ERR(nnstate_network_set_optimizer(net, &o), NNSTATE_ERR_VERSION);
  o.struct_size = 0;
  CHECK_ERR(nnstate_network_set_optimizer(net, &o), NNSTATE_ERR_VERSION);
  o.struct_size = 1;
  CHECK_ERR(nnstate_network_set_optimizer(net, &o), NNSTATE_ERR_VERSION);

  /* After all these refusals the first optimizer is still in place, parameters untouched. */
  CHECK_OK(nnstate_network_get_lr(net, &lr));
  CHECK(lr == 0.25);
  {
    float after[NP];
    read_params(net, after);
    CHECK(memcmp(before, after, sizeof before) == 0);
  }
  nnstate_network_free(net);
}

/* ---- learning rate ------------------------------------------------------------------------ */

static void test_lr(void) {
  nnstate_network *net = make_linear(NNSTATE_LOSS_MSE);
  nnstate_optimizer_options o;
  double lr = 0.0, grad[NP], expected[NP];
  float p[NP], after[NP];
  int i;

  CHECK_ERR(nnstate_network_get_lr(net, &lr), NNSTATE_ERR_STATE);
  CHECK_ERR(nnstate_network_set_lr(net, 0.1), NNSTATE_ERR_STATE);

  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_SGD));
  o.lr = 0.125;
  set_optimizer(net, &o);
  CHECK_OK(nnstate_network_get_lr(net, &lr));
  CHECK(lr == 0.125);
  CHECK_OK(nnstate_network_set_lr(net, 0.0625));
  CHECK_OK(nnstate_network_get_lr(net, &lr));
  CHECK(lr == 0.0625);
  CHECK_OK(nnstate_network_set_lr(net, 1e-7));
  CHECK_OK(nnstate_network_get_lr(net, &lr));
  CHECK(lr == 1e-7);

  /* Invalid rates are refused and leave the rate as it was. */
  CHECK_ERR(nnstate_network_set_lr(net, -1.0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_MSG_NUMBER(-1);
  CHECK_ERR(nnstate_network_set_lr(net, NAN), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_set_lr(net, INFINITY), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_ERR(nnstate_network_set_lr(net, -1e-12), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_OK(nnstate_network_get_lr(net, &lr));
  CHECK(lr == 1e-7);

  /* The new rate is the one the next step uses. */
  CHECK_OK(nnstate_network_set_lr(net, 0.2));
  read_params(net, p);
  (void)loss_and_grad(NNSTATE_LOSS_MSE, p, grad);
  for (i = 0; i < NP; ++i) expected[i] = p[i] - 0.2 * grad[i];
  (void)train(net, NNSTATE_LOSS_MSE);
  check_params(net, expected, 1e-6, "SGD after set_lr(0.2)");

  /* lr 0 is valid and freezes the parameters. */
  CHECK_OK(nnstate_network_set_lr(net, 0.0));
  read_params(net, p);
  (void)train(net, NNSTATE_LOSS_MSE);
  read_params(net, after);
  CHECK(memcmp(p, after, sizeof p) == 0);

  /* Adam too. */
  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_ADAM));
  set_optimizer(net, &o);
  CHECK_OK(nnstate_network_get_lr(net, &lr));
  CHECK(lr == 1e-3);
  CHECK_OK(nnstate_network_set_lr(net, 3e-4));
  CHECK_OK(nnstate_network_get_lr(net, &lr));
  CHECK(lr == 3e-4);
  CHECK_ERR(nnstate_network_set_lr(net, -1.0), NNSTATE_ERR_INVALID_ARGUMENT);
  CHECK_OK(nnstate_network_get_lr(net, &lr));
  CHECK(lr == 3e-4);
  nnstate_network_free(net);
}

/* ---- losses, evaluate, predict ------------------------------------------------------------ */

static void test_losses_and_evaluate(void) {
  nnstate_network *net = make_linear(NNSTATE_LOSS_MSE);
  float p[NP], loss = 0.0f, out[BATCH * OUT], again[BATCH * OUT];
  int i;
  read_params(net, p);

  /* evaluate needs a loss but no optimizer; switching the loss changes what it computes. */
  CHECK_OK(nnstate_network_evaluate(net, batch_x, 12, mse_y, 8, BATCH, &loss));
  CHECK_NEAR(loss, loss_and_grad(NNSTATE_LOSS_MSE, p, NULL), 1e-5);
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_BCE_WITH_LOGITS));
  CHECK_OK(nnstate_network_evaluate(net, batch_x, 12, bce_y, 8, BATCH, &loss));
  CHECK_NEAR(loss, loss_and_grad(NNSTATE_LOSS_BCE_WITH_LOGITS, p, NULL), 1e-6);
  CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_CROSS_ENTROPY));
  CHECK_OK(nnstate_network_evaluate(net, batch_x, 12, ce_y, 4, BATCH, &loss));
  CHECK_NEAR(loss, loss_and_grad(NNSTATE_LOSS_CROSS_ENTROPY, p, NULL), 1e-6);

  /* Cross-entropy on large logits stays finite (log-softmax, not softmax then log). */
  {
    float big_w[NW] = {100.0f, 0.0f, 0.0f, -100.0f, 0.0f, 0.0f}, zero_b[OUT] = {0.0f, 0.0f};
    float x[IN] = {10.0f, 0.0f, 0.0f}, y[1] = {1.0f};
    CHECK_OK(nnstate_network_set_tensor(net, "0.weight", big_w, NW));
    CHECK_OK(nnstate_network_set_tensor(net, "0.bias", zero_b, OUT));
    CHECK_OK(nnstate_network_evaluate(net, x, IN, y, 1, 1, &loss));
    CHECK_NEAR(loss, 2000.0, 1e-3); /* logits 1000 and -1000 */
    CHECK_OK(nnstate_network_set_loss(net, NNSTATE_LOSS_BCE_WITH_LOGITS));
    {
      float yy[2] = {0.0f, 1.0f};
      CHECK_OK(nnstate_network_evaluate(net, x, IN, yy, 2, 1, &loss));
      CHECK_NEAR(loss, 1000.0, 1e-3); /* mean of 1000 and 1000 */
    }
    CHECK_OK(nnstate_network_set_tensor(net, "0.weight", p, NW));
    CHECK_OK(nnstate_network_set_tensor(net, "0.bias", p + NW, OUT));
  }

  /* predict: row-major batch equal to the samples one at a time; it changes nothing. */
  CHECK_OK(nnstate_network_predict(net, batch_x, 12, BATCH, out, 8));
  for (i = 0; i < BATCH; ++i) {
    float one[OUT];
    CHECK_OK(nnstate_network_predict(net, batch_x + IN * i, IN, 1, one, OUT));
    CHECK_NEAR(one[0], out[OUT * i], 1e-6);
    CHECK_NEAR(one[1], out[OUT * i + 1], 1e-6);
  }
  CHECK_OK(nnstate_network_predict(net, batch_x, 12, BATCH, again, 8));
  CHECK(memcmp(out, again, sizeof out) == 0);
  {
    float now[NP];
    read_params(net, now);
    CHECK(memcmp(p, now, sizeof p) == 0);
  }
  nnstate_network_free(net);
}

/* Batches of different sizes one after the other, and a NULL loss_out. */
static void test_batch_sizes(void) {
  nnstate_network *net = make_linear(NNSTATE_LOSS_MSE);
  nnstate_optimizer_options o;
  float p[NP], loss = -1.0f;
  double grad_one[NP];
  int i;
  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_SGD));
  o.lr = 0.01;
  set_optimizer(net, &o);
  (void)train(net, NNSTATE_LOSS_MSE);
  CHECK_OK(nnstate_network_train_step(net, batch_x, IN, mse_y, OUT, 1, NULL));
  CHECK_OK(nnstate_network_train_step(net, batch_x, 2 * IN, mse_y, 2 * OUT, 2, &loss));
  CHECK(loss >= 0.0f);
  (void)train(net, NNSTATE_LOSS_MSE);
  /* A batch of one: the hand gradient of that single sample (MSE over 2 values). */
  read_params(net, p);
  {
    double y[OUT], expected[NP];
    int o2;
    for (i = 0; i < NP; ++i) grad_one[i] = 0.0;
    for (o2 = 0; o2 < OUT; ++o2) {
      double d;
      y[o2] = p[NW + o2];
      for (i = 0; i < IN; ++i) y[o2] += (double)p[o2 * IN + i] * batch_x[i];
      d = 2.0 * (y[o2] - mse_y[o2]) / OUT;
      for (i = 0; i < IN; ++i) grad_one[o2 * IN + i] = d * batch_x[i];
      grad_one[NW + o2] = d;
    }
    for (i = 0; i < NP; ++i) expected[i] = p[i] - 0.01 * grad_one[i];
    CHECK_OK(nnstate_network_train_step(net, batch_x, IN, mse_y, OUT, 1, &loss));
    CHECK_NEAR(
        loss, ((y[0] - mse_y[0]) * (y[0] - mse_y[0]) + (y[1] - mse_y[1]) * (y[1] - mse_y[1])) / 2.0,
        1e-5);
    check_params(net, expected, 1e-6, "SGD on a batch of one");
  }
  nnstate_network_free(net);
}

/* ---- XOR ---------------------------------------------------------------------------------- */

static void learn_xor(int32_t hidden_activation, int32_t loss_kind, int32_t optimizer_kind,
                      double lr, int steps, uint64_t seed) {
  static const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1};
  static const float y[4] = {0, 1, 1, 0};
  const int two_outputs = loss_kind == NNSTATE_LOSS_CROSS_ENTROPY;
  const int sigmoid_output = loss_kind == NNSTATE_LOSS_MSE;
  nnstate_network *net = NULL;
  nnstate_optimizer_options o;
  float first = 0.0f, last = 0.0f, out[8];
  int s, i;

  CHECK_OK(nnstate_network_create(&net, seed));
  CHECK_OK(nnstate_network_add_linear(net, 2, 8, 1));
  CHECK_OK(nnstate_network_add_activation(net, hidden_activation));
  CHECK_OK(nnstate_network_add_linear(net, 8, two_outputs ? 2 : 1, 1));
  if (sigmoid_output) CHECK_OK(nnstate_network_add_activation(net, NNSTATE_LAYER_SIGMOID));
  CHECK_OK(nnstate_network_set_loss(net, loss_kind));
  CHECK_OK(nnstate_optimizer_options_init(&o, optimizer_kind));
  o.lr = lr;
  if (optimizer_kind == NNSTATE_OPTIMIZER_SGD) o.momentum = 0.9;
  set_optimizer(net, &o);
  for (s = 0; s < steps; ++s) {
    float loss = 0.0f;
    CHECK_OK(nnstate_network_train_step(net, x, 8, y, 4, 4, &loss));
    if (s == 0) first = loss;
    last = loss;
  }
  CHECK_OK(nnstate_network_predict(net, x, 8, 4, out, two_outputs ? 8 : 4));
  for (i = 0; i < 4; ++i) {
    double p1; /* the predicted probability of class 1 */
    if (two_outputs) {
      p1 = 1.0 / (1.0 + exp((double)out[2 * i] - out[2 * i + 1]));
    } else if (sigmoid_output) {
      p1 = out[i];
    } else {
      p1 = 1.0 / (1.0 + exp(-(double)out[i]));
    }
    if (!((y[i] > 0.5f) ? p1 > 0.5 : p1 < 0.5)) {
      fprintf(stderr,
              "XOR (activation %d, loss %d, optimizer %d): sample %d (%g, %g) predicted %g, "
              "target %g; loss %g -> %g\n",
              (int)hidden_activation, (int)loss_kind, (int)optimizer_kind, i, x[2 * i],
              x[2 * i + 1], p1, y[i], first, last);
      exit(1);
    }
  }
  CHECK(last < 0.5f * first);
  nnstate_network_free(net);
}

static void test_xor(void) {
  learn_xor(NNSTATE_LAYER_TANH, NNSTATE_LOSS_BCE_WITH_LOGITS, NNSTATE_OPTIMIZER_ADAM, 0.05, 500, 1);
  learn_xor(NNSTATE_LAYER_TANH, NNSTATE_LOSS_MSE, NNSTATE_OPTIMIZER_ADAM, 0.05, 1000, 2);
  learn_xor(NNSTATE_LAYER_RELU, NNSTATE_LOSS_CROSS_ENTROPY, NNSTATE_OPTIMIZER_ADAMW, 0.05, 500, 3);
  learn_xor(NNSTATE_LAYER_TANH, NNSTATE_LOSS_BCE_WITH_LOGITS, NNSTATE_OPTIMIZER_SGD, 0.2, 1000, 4);
}

/* ---- determinism -------------------------------------------------------------------------- */

static void test_training_is_deterministic(void) {
  nnstate_network *a = make_linear(NNSTATE_LOSS_MSE), *b = make_linear(NNSTATE_LOSS_MSE);
  nnstate_optimizer_options o;
  float pa[NP], pb[NP];
  int s;
  CHECK_OK(nnstate_optimizer_options_init(&o, NNSTATE_OPTIMIZER_ADAM));
  o.lr = 0.01;
  set_optimizer(a, &o);
  set_optimizer(b, &o);
  for (s = 0; s < 20; ++s) {
    float la = train(a, NNSTATE_LOSS_MSE), lb = train(b, NNSTATE_LOSS_MSE);
    CHECK(memcmp(&la, &lb, sizeof la) == 0);
  }
  read_params(a, pa);
  read_params(b, pb);
  CHECK(memcmp(pa, pb, sizeof pa) == 0);
  nnstate_network_free(a);
  nnstate_network_free(b);
}

int main(void) {
  test_sgd_step_by_hand();
  test_mse_loss_literally();
  test_sgd_options_by_hand();
  test_adam_by_hand();
  test_set_optimizer_resets_state();
  test_options_defaults();
  test_options_refused();
  test_lr();
  test_losses_and_evaluate();
  test_batch_sizes();
  test_xor();
  test_training_is_deterministic();
  printf("api_training: all checks passed\n");
  return 0;
}
