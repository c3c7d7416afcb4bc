package org.nnstate;

import com.sun.jna.Memory;

/**
 * A learning-rate schedule with PyTorch's meaning and defaults (torch.optim.lr_scheduler),
 * filled by nnstate_scheduler_options_init: {@code SchedulerOptions.reduceOnPlateau().patience(1)}.
 */
public final class SchedulerOptions {
  public static final int STEP = 1;
  public static final int MULTI_STEP = 2;
  public static final int EXPONENTIAL = 3;
  public static final int COSINE_ANNEALING = 4;
  public static final int LINEAR = 5;
  public static final int REDUCE_ON_PLATEAU = 6;

  final Structs.SchedulerOptions struct = new Structs.SchedulerOptions();
  private Memory milestones; // borrowed by the struct until the trainer copies it
  private Memory monitor;

  private SchedulerOptions(int kind) {
    struct.checkInit(NativeApi.LIB.nnstate_scheduler_options_init(struct, kind), "scheduler");
  }

  public static SchedulerOptions of(int kind) {
    return new SchedulerOptions(kind);
  }

  /** StepLR(step_size, gamma). */
  public static SchedulerOptions step(long stepSize, double gamma) {
    return new SchedulerOptions(STEP).stepSize(stepSize).gamma(gamma);
  }

  /** MultiStepLR(milestones, gamma). */
  public static SchedulerOptions multiStep(long[] milestones, double gamma) {
    return new SchedulerOptions(MULTI_STEP).milestones(milestones).gamma(gamma);
  }

  public static SchedulerOptions exponential(double gamma) {
    return new SchedulerOptions(EXPONENTIAL).gamma(gamma);
  }

  /** CosineAnnealingLR(T_max, eta_min). */
  public static SchedulerOptions cosineAnnealing(long tMax, double etaMin) {
    SchedulerOptions s = new SchedulerOptions(COSINE_ANNEALING);
    s.struct.t_max = tMax;
    s.struct.eta_min = etaMin;
    return s;
  }

  /** LinearLR(start_factor, end_factor, total_iters): warm-up. */
  public static SchedulerOptions linear(double startFactor, double endFactor, long totalIters) {
    SchedulerOptions s = new SchedulerOptions(LINEAR);
    s.struct.start_factor = startFactor;
    s.struct.end_factor = endFactor;
    s.struct.total_iters = totalIters;
    return s;
  }

  /** ReduceLROnPlateau with PyTorch's defaults on "val_loss". */
  public static SchedulerOptions reduceOnPlateau() {
    return new SchedulerOptions(REDUCE_ON_PLATEAU);
  }

  /** Step after every batch instead of every epoch. */
  public SchedulerOptions perBatch(boolean on) {
    struct.per_batch = on ? 1 : 0;
    return this;
  }

  public SchedulerOptions stepSize(long stepSize) {
    struct.step_size = stepSize;
    return this;
  }

  public SchedulerOptions gamma(double gamma) {
    struct.gamma = gamma;
    return this;
  }

  public SchedulerOptions milestones(long... epochs) {
    Buffers.notNull(epochs, "milestones");
    milestones = epochs.length == 0 ? null : new Memory(8L * epochs.length);
    if (milestones != null) {
      milestones.write(0, epochs, 0, epochs.length);
    }
    struct.milestones = milestones;
    struct.milestone_count = epochs.length;
    return this;
  }

  public SchedulerOptions mode(Mode mode) {
    struct.mode = mode.code;
    return this;
  }

  public SchedulerOptions factor(double factor) {
    struct.factor = factor;
    return this;
  }

  public SchedulerOptions patience(long patience) {
    struct.patience = patience;
    return this;
  }

  public SchedulerOptions threshold(double threshold, boolean absolute) {
    struct.threshold = threshold;
    struct.threshold_mode = absolute ? 1 : 0;
    return this;
  }

  public SchedulerOptions cooldown(long cooldown) {
    struct.cooldown = cooldown;
    return this;
  }

  public SchedulerOptions minLr(double minLr) {
    struct.min_lr = minLr;
    return this;
  }

  public SchedulerOptions eps(double eps) {
    struct.eps = eps;
    return this;
  }

  /** ReduceLROnPlateau's metric: "loss", "accuracy", "val_loss", "val_accuracy" or "lr". */
  public SchedulerOptions monitor(String metric) {
    Buffers.notNull(metric, "monitor");
    monitor = Buffers.string(metric);
    struct.monitor = monitor;
    return this;
  }

  public int kind() {
    return struct.kind;
  }
}
