package org.nnstate;

/** What the batch callback receives: epoch (0-based), batches done in it (this one
 * included), batches per epoch, batches done in the run, the epoch's running loss. */
public record BatchInfo(long epoch, long batch, long batchesPerEpoch, long globalStep,
    double loss, long samples) {
  static BatchInfo of(Structs.BatchInfo s) {
    return new BatchInfo(s.epoch, s.batch, s.batches_per_epoch, s.global_step, s.loss,
        s.samples);
  }
}
