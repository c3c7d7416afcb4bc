package org.nnstate;

/** One row of history: epoch (0-based), training and validation metrics (NaN where absent),
 * the learning rate used and the epoch's wall time (outside the determinism contract). */
public record EpochInfo(long epoch, double loss, double accuracy, double valLoss,
    double valAccuracy, double lr, double seconds) {
  static EpochInfo of(Structs.EpochInfo s) {
    return new EpochInfo(s.epoch, s.loss, s.accuracy, s.val_loss, s.val_accuracy, s.lr,
        s.seconds);
  }
}
