package org.nnstate;

/** Why Trainer.fit returned (NNSTATE_STOP_*). */
public enum StopReason {
  /** All epochs are done. */
  COMPLETED,
  /** The early-stopping rule fired (now or in an earlier fit). */
  EARLY_STOPPING,
  /** requestStop() or a callback returning true: fit again to continue. */
  REQUESTED;

  static StopReason of(int code) {
    if (code < 0 || code >= values().length) {
      throw new NnstateException(Status.INTERNAL, "unknown stop reason " + code);
    }
    return values()[code];
  }
}
