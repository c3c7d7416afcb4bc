package org.nnstate;

import com.sun.jna.Memory;

/**
 * When Trainer.fit writes checkpoints into a directory (nnstate_checkpoint_policy): after every
 * epoch (default), every N steps, when fit returns, keeping the last 3 and the best by
 * "val_loss". Files: ckpt-e&lt;epoch&gt;-s&lt;step&gt;.nnst, best-e&lt;epoch&gt;.nnst and best.nnst.
 */
public final class CheckpointPolicy {
  final Structs.CheckpointPolicy struct = new Structs.CheckpointPolicy();
  private Memory directory;
  private Memory monitor;

  public CheckpointPolicy(String directory) {
    Buffers.notNull(directory, "directory");
    struct.checkInit(NativeApi.LIB.nnstate_checkpoint_policy_init(struct), "checkpoint policy");
    this.directory = Buffers.string(directory);
    struct.directory = this.directory;
  }

  /** Save after every N epochs (0: never). */
  public CheckpointPolicy everyEpochs(long n) {
    struct.every_epochs = n;
    return this;
  }

  /** Save after every N batches (0, the default: never). */
  public CheckpointPolicy everySteps(long n) {
    struct.every_steps = n;
    return this;
  }

  public CheckpointPolicy onStop(boolean on) {
    struct.on_stop = on ? 1 : 0;
    return this;
  }

  public CheckpointPolicy keepLast(long n) {
    struct.keep_last = n;
    return this;
  }

  public CheckpointPolicy keepBest(long n) {
    struct.keep_best = n;
    return this;
  }

  public CheckpointPolicy monitor(String metric, Mode mode) {
    Buffers.notNull(metric, "monitor");
    monitor = Buffers.string(metric);
    struct.monitor = monitor;
    struct.mode = mode.code;
    return this;
  }

  public CheckpointPolicy fsync(boolean on) {
    struct.fsync = on ? 1 : 0;
    return this;
  }

  /**
   * Writes each checkpoint on a background thread after copying the state into a reused staging
   * buffer; fit goes on meanwhile (Trainer.flushSaves waits and reports a failed save).
   */
  public CheckpointPolicy asyncSave(boolean on) {
    struct.async_save = on ? 1 : 0;
    return this;
  }

  /** A periodic save due while the previous one is still written is skipped (and counted). */
  public CheckpointPolicy skipWhenBusy(boolean skip) {
    struct.when_busy = skip ? 1 : 0; // NNSTATE_SAVE_SKIP : NNSTATE_SAVE_WAIT
    return this;
  }

  /** Bound of the staging buffer (0: none); a larger state is saved synchronously. */
  public CheckpointPolicy maxStagingBytes(long bytes) {
    struct.max_staging_bytes = bytes;
    return this;
  }
}
