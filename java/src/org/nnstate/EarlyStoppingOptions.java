package org.nnstate;

import com.sun.jna.Memory;

/** Keras' EarlyStopping (defaults: monitor "val_loss", patience 0); its whole state is
 * checkpointed, best weights included. */
public final class EarlyStoppingOptions {
  final Structs.EarlyStoppingOptions struct = new Structs.EarlyStoppingOptions();
  private Memory monitor;

  public EarlyStoppingOptions() {
    struct.checkInit(NativeApi.LIB.nnstate_early_stopping_options_init(struct), "early stopping");
  }

  public EarlyStoppingOptions monitor(String metric) {
    Buffers.notNull(metric, "monitor");
    monitor = Buffers.string(metric);
    struct.monitor = monitor;
    return this;
  }

  public EarlyStoppingOptions mode(Mode mode) {
    struct.mode = mode.code;
    return this;
  }

  public EarlyStoppingOptions minDelta(double minDelta) {
    struct.min_delta = minDelta;
    return this;
  }

  public EarlyStoppingOptions patience(long patience) {
    struct.patience = patience;
    return this;
  }

  public EarlyStoppingOptions baseline(double baseline) {
    struct.has_baseline = 1;
    struct.baseline = baseline;
    return this;
  }

  public EarlyStoppingOptions restoreBestWeights(boolean on) {
    struct.restore_best_weights = on ? 1 : 0;
    return this;
  }

  public EarlyStoppingOptions startFromEpoch(long epoch) {
    struct.start_from_epoch = epoch;
    return this;
  }
}
