package org.nnstate;

/**
 * torch.optim.SGD / Adam / AdamW hyper-parameters, filled with PyTorch's defaults by
 * nnstate_optimizer_options_init: e.g. {@code OptimizerOptions.adam().lr(0.01)}.
 */
public final class OptimizerOptions {
  public static final int SGD = 1;
  public static final int ADAM = 2;
  public static final int ADAMW = 3;

  final Structs.OptimizerOptions struct = new Structs.OptimizerOptions();

  OptimizerOptions(int kind) {
    struct.checkInit(NativeApi.LIB.nnstate_optimizer_options_init(struct, kind), "optimizer");
  }

  /** Adam with lr 1e-3, betas (0.9, 0.999), eps 1e-8. */
  public static OptimizerOptions adam() {
    return new OptimizerOptions(ADAM);
  }

  /** AdamW with lr 1e-3 and weight_decay 1e-2. */
  public static OptimizerOptions adamw() {
    return new OptimizerOptions(ADAMW);
  }

  /** SGD with learning rate `lr` (no momentum). */
  public static OptimizerOptions sgd(double lr) {
    return new OptimizerOptions(SGD).lr(lr);
  }

  /** One of SGD, ADAM, ADAMW. */
  public static OptimizerOptions of(int kind) {
    return new OptimizerOptions(kind);
  }

  public OptimizerOptions lr(double lr) {
    struct.lr = lr;
    return this;
  }

  public OptimizerOptions betas(double beta1, double beta2) {
    struct.beta1 = beta1;
    struct.beta2 = beta2;
    return this;
  }

  public OptimizerOptions eps(double eps) {
    struct.eps = eps;
    return this;
  }

  public OptimizerOptions weightDecay(double weightDecay) {
    struct.weight_decay = weightDecay;
    return this;
  }

  public OptimizerOptions amsgrad(boolean on) {
    struct.amsgrad = on ? 1 : 0;
    return this;
  }

  public OptimizerOptions maximize(boolean on) {
    struct.maximize = on ? 1 : 0;
    return this;
  }

  public OptimizerOptions momentum(double momentum) {
    struct.momentum = momentum;
    return this;
  }

  public OptimizerOptions dampening(double dampening) {
    struct.dampening = dampening;
    return this;
  }

  public OptimizerOptions nesterov(boolean on) {
    struct.nesterov = on ? 1 : 0;
    return this;
  }

  public int kind() {
    return struct.kind;
  }

  public double lr() {
    return struct.lr;
  }

  public double beta1() {
    return struct.beta1;
  }

  public double beta2() {
    return struct.beta2;
  }

  public double eps() {
    return struct.eps;
  }

  public double weightDecay() {
    return struct.weight_decay;
  }

  public double momentum() {
    return struct.momentum;
  }

  @Override
  public String toString() {
    String[] names = {"?", "sgd", "adam", "adamw"};
    String name = struct.kind >= 1 && struct.kind <= 3 ? names[struct.kind] : "?";
    return name + "(lr=" + struct.lr + ", betas=(" + struct.beta1 + ", " + struct.beta2
        + "), eps=" + struct.eps + ", weight_decay=" + struct.weight_decay + ", momentum="
        + struct.momentum + ")";
  }
}
